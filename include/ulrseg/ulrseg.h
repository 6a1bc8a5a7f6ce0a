// ulrseg: the embedding API. Load a weights file once, then segment ultra-low-resolution
// frames from any number of threads.
//
//   ulrseg::Segmenter seg("weights/ulrnet-joint-16x16.safetensors");
//   ulrseg::Segmentation out = seg.segment(rgb, 16, 16);   // interleaved 8-bit RGB
//   uint8_t cls = out.classes[y * out.width + x];          // 0..13, see class_name()
//
// Errors (unreadable or mismatched weights, wrong frame size) are thrown as ulrseg::Error with
// a one-line message naming the problem.
#pragma once
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace ulrseg {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Segmentation {
  int width = 0, height = 0;     // the model's output size (input size x scale)
  std::vector<uint8_t> classes;  // height*width class ids, row-major
  std::vector<uint8_t> sr_rgb;   // height*width*3: the image the segmenter saw (SR output)
};

class Segmenter {
 public:
  // Loads and validates a weights file. Throws Error("PATH: problem").
  explicit Segmenter(const std::string& weights_path);
  ~Segmenter();
  Segmenter(Segmenter&&) noexcept;
  Segmenter& operator=(Segmenter&&) noexcept;

  int input_width() const;   // frames must be exactly this size for segment()
  int input_height() const;
  int output_width() const;
  int output_height() const;
  int num_classes() const;
  std::string method() const;            // "joint", "fjl1", "mmt1" or "hr"
  static const char* class_name(int id); // "floor", "wall", ...

  // Segments one frame: `rgb` is width*height*3 bytes, interleaved, row-major; width and height
  // must equal input_width() and input_height() (throws Error otherwise). Thread-safe: any
  // number of threads may call it on one Segmenter at once.
  Segmentation segment(const uint8_t* rgb, int width, int height) const;
  // Segments a larger image as the privacy-preserving camera would see it: centre crop to the
  // input's aspect, area-average down to the input size, 8-bit quantise, then segment().
  Segmentation segment_image(const uint8_t* rgb, int width, int height) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Threads: segment() runs its layers on up to this many threads (the caller and workers of one
// process-wide pool; a worker that is busy or descheduled is not waited for). The count belongs
// to the calling thread: set it on each thread that calls segment(). Default: all hardware
// threads. n < 1 counts as 1.
void set_threads(int n);
int threads();

// Optional, for the whole process: tunes glibc's malloc as the `ulrseg` program does (large
// blocks stay in the heap, freed memory is not trimmed back between calls). The library never
// calls it itself, since it changes the host program's allocator. No effect without glibc.
void tune_system_allocator();

}  // namespace ulrseg
