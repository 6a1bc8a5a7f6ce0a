// A minimal program that links the installed ulrseg library: load a weights file, segment one
// frame, print how many output pixels went to each class.
//
//   usage: embed WEIGHTS [FRAME.ppm]
//
// FRAME is a binary PPM (P6, 8-bit). A frame of the model's input size (16x16) is segmented as
// it is; a larger picture first goes through the simulated low-resolution sensor. Without FRAME
// the program makes up a frame of the model's input size: a light wall above a wooden floor.
#include <ulrseg/ulrseg.h>

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

struct Picture {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;  // height*width*3, interleaved, row-major
};

// Reads the next header field of a PPM, skipping whitespace and '#' comments.
static int read_ppm_field(std::istream& in) {
  while (in.peek() == '#' || std::isspace(in.peek()))
    if (in.get() == '#') in.ignore(1 << 20, '\n');
  int value = -1;
  in >> value;
  return in ? value : -1;
}

static Picture read_ppm(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ulrseg::Error(path + ": cannot open");
  char magic[2] = {};
  in.read(magic, 2);
  if (magic[0] != 'P' || magic[1] != '6') throw ulrseg::Error(path + ": not a binary PPM (P6)");
  Picture p;
  p.width = read_ppm_field(in), p.height = read_ppm_field(in);
  const int maxval = read_ppm_field(in);
  if (p.width <= 0 || p.height <= 0 || p.width > 16384 || p.height > 16384 || maxval != 255)
    throw ulrseg::Error(path + ": want a PPM of at most 16384x16384 with maximum value 255");
  in.get();  // the one whitespace byte between the header and the pixels
  p.rgb.resize(size_t(p.width) * p.height * 3);
  if (!in.read(reinterpret_cast<char*>(p.rgb.data()), std::streamsize(p.rgb.size())))
    throw ulrseg::Error(path + ": fewer pixels than the header promises");
  return p;
}

// A light wall above a wooden floor that brightens towards the camera.
static Picture made_up_frame(int width, int height) {
  Picture p{width, height, std::vector<uint8_t>(size_t(width) * height * 3)};
  const int horizon = height * 9 / 16;
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      const int lift = (y - horizon) * 128 / height;  // 8 levels a row at 16x16
      const int wall[3] = {190, 185, 175}, floor[3] = {150 + lift, 120 + lift, 90 + lift};
      for (int c = 0; c < 3; ++c)
        p.rgb[(size_t(y) * width + x) * 3 + c] = uint8_t(y < horizon ? wall[c] : floor[c]);
    }
  return p;
}

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s WEIGHTS [FRAME.ppm]\n", argv[0]);
    return 2;
  }
  try {
    // Load once; segment() may then be called from any number of threads.
    const ulrseg::Segmenter seg(argv[1]);
    std::printf("model: %s, %dx%d -> %dx%d, %d classes\n", seg.method().c_str(),
                seg.input_width(), seg.input_height(), seg.output_width(), seg.output_height(),
                seg.num_classes());

    const Picture frame = argc == 3 ? read_ppm(argv[2])
                                    : made_up_frame(seg.input_width(), seg.input_height());
    std::printf("frame: %s, %dx%d\n", argc == 3 ? argv[2] : "made up", frame.width, frame.height);
    const ulrseg::Segmentation out = seg.segment_image(frame.rgb.data(), frame.width, frame.height);

    std::vector<int> pixels(size_t(seg.num_classes()), 0);
    for (uint8_t id : out.classes) ++pixels[id];
    std::printf("%-10s %7s %7s\n", "class", "pixels", "share");
    for (int id = 0; id < seg.num_classes(); ++id)
      if (pixels[size_t(id)] > 0)
        std::printf("%-10s %7d %6.1f%%\n", ulrseg::Segmenter::class_name(id), pixels[size_t(id)],
                    100.0 * pixels[size_t(id)] / double(out.classes.size()));
    return 0;
  } catch (const ulrseg::Error& e) {
    std::fprintf(stderr, "embed: %s\n", e.what());
    return 1;
  }
}
