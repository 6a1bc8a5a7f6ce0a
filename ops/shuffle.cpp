// pixel_shuffle and pixel_unshuffle, with PyTorch's channel order:
//   shuffled[n, c, h*r + i, w*r + j] = unshuffled[n, c*r*r + i*r + j, h, w].
// Both are permutations of the elements, so one kernel moves data either way, and the backward
// of each is the other applied to the gradient.
#include <algorithm>
#include <string>

#include "engine/error.h"
#include "engine/parallel.h"
#include "ops/ops.h"
#include "ops/reference.h"

namespace ulr {

// ---- forward / backward kernel ------------------------------------------------------------

namespace {

// Moves between the unshuffled layout (N, C*r*r, H, W) and the shuffled one (N, C, H*r, W*r).
// to_shuffled: shuffled (=|+=) unshuffled; otherwise unshuffled (=|+=) shuffled. Every
// destination element is written once, so rows run in parallel.
void shuffle_kernel(float* shuffled, float* unshuffled, int64_t N, int64_t C, int64_t H,
                    int64_t W, int64_t r, bool to_shuffled, bool accumulate) {
  const int64_t out_w = W * r;
  // One work item per row of the shuffled tensor: (n, c, oh).
  parallel_for(N * C * H * r, std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(1, out_w)),
               [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t oh = row % (H * r), nc = row / (H * r);
      const int64_t h = oh / r, i = oh % r, n = nc / C, c = nc % C;
      float* srow = shuffled + row * out_w;
      for (int64_t j = 0; j < r; ++j) {
        float* uplane = unshuffled + ((n * C + c) * r * r + i * r + j) * H * W + h * W;
        for (int64_t w = 0; w < W; ++w) {
          float& s = srow[w * r + j];
          float& u = uplane[w];
          if (to_shuffled) s = accumulate ? s + u : u;
          else u = accumulate ? u + s : s;
        }
      }
    }
  });
}

void check_shuffle(const Tensor& x, int r, bool shuffle) {
  const char* op = shuffle ? "pixel_shuffle" : "pixel_unshuffle";
  const Shape& s = x.shape();
  if (r < 1) throw Error(std::string(op) + ": factor " + std::to_string(r) + " must be >= 1");
  if (s.rank != 4)
    throw Error(std::string(op) + ": x " + s.str() + " must be (N,C,H,W)");
  if (shuffle && s[1] % (int64_t(r) * r) != 0)
    throw Error(std::string(op) + ": channels of " + s.str() + " not divisible by r*r = " +
                std::to_string(r * r));
  if (!shuffle && (s[2] % r != 0 || s[3] % r != 0))
    throw Error(std::string(op) + ": H and W of " + s.str() + " not divisible by r = " +
                std::to_string(r));
}

}  // namespace

// ---- scalar reference ---------------------------------------------------------------------
namespace ref {

void pixel_shuffle(const Tensor& out, const Tensor& x, int r) {
  const int64_t N = x.size(0), C = x.size(1) / (r * r), H = x.size(2), W = x.size(3);
  expect_shape("ref::pixel_shuffle", "out", out, {N, C, H * r, W * r});
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t oh = 0; oh < H * r; ++oh)
        for (int64_t ow = 0; ow < W * r; ++ow) {
          int64_t ic = c * r * r + (oh % r) * r + (ow % r);
          out.data()[((n * C + c) * H * r + oh) * W * r + ow] =
              x.data()[((n * C * r * r + ic) * H + oh / r) * W + ow / r];
        }
}

void pixel_unshuffle(const Tensor& out, const Tensor& x, int r) {
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2) / r, W = x.size(3) / r;
  expect_shape("ref::pixel_unshuffle", "out", out, {N, C * r * r, H, W});
  for (int64_t n = 0; n < N; ++n)
    for (int64_t oc = 0; oc < C * r * r; ++oc)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t w = 0; w < W; ++w) {
          int64_t c = oc / (r * r), i = (oc / r) % r, j = oc % r;
          out.data()[((n * C * r * r + oc) * H + h) * W + w] =
              x.data()[((n * C + c) * H * r + h * r + i) * W * r + w * r + j];
        }
}

}  // namespace ref

// ---- autograd glue ------------------------------------------------------------------------

Tensor pixel_shuffle(const Tensor& x, int r) {
  check_shuffle(x, r, true);
  const int64_t N = x.size(0), C = x.size(1) / (r * r), H = x.size(2), W = x.size(3);
  Tensor out = Tensor::empty({N, C, H * r, W * r});
  shuffle_kernel(out.data(), x.data(), N, C, H, W, r, true, false);
  if (should_record({x})) {
    record(out, "pixel_shuffle", {x}, [x, N, C, H, W, r](const Tensor& out) {
      shuffle_kernel(out.grad_data(), x.grad_data(), N, C, H, W, r, false, true);
    });
  }
  return out;
}

Tensor pixel_unshuffle(const Tensor& x, int r) {
  check_shuffle(x, r, false);
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2) / r, W = x.size(3) / r;
  Tensor out = Tensor::empty({N, C * r * r, H, W});
  shuffle_kernel(x.data(), out.data(), N, C, H, W, r, false, false);
  if (should_record({x})) {
    record(out, "pixel_unshuffle", {x}, [x, N, C, H, W, r](const Tensor& out) {
      shuffle_kernel(x.grad_data(), out.grad_data(), N, C, H, W, r, true, true);
    });
  }
  return out;
}

}  // namespace ulr
