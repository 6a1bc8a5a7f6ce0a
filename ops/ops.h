// Every differentiable op of the engine: thin builders that check shapes, run a kernel and, when
// grad is on, record the backward closure. One op family per .cpp file in ops/, holding the
// forward kernel, the backward kernel, the scalar reference kernel and the autograd glue (conv2d,
// with three kernel families, keeps them in ops/conv_gemm.cpp, ops/conv_direct.cpp and
// ops/conv_depthwise.cpp beside ops/conv.cpp).
//
// Conventions: images are NCHW, tokens (B,T,C). Shape errors throw ulr::Error naming the op and
// the shapes. Outputs are new contiguous tensors; inputs are never modified.
// Scalar references (namespace ulr::ref) take and return plain tensors without autograd; tests
// compare the fast kernels against them.
#pragma once
#include <vector>

#include "engine/tensor.h"

namespace ulr {

// ---- elementwise.cpp: arithmetic with NumPy broadcasting --------------------------------
enum class Arith { Add, Sub, Mul };  // the binary op, as the kernels and ref::arith take it
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor scale(const Tensor& x, float s);        // s * x
Tensor add_scalar(const Tensor& x, float s);   // x + s
Tensor sum(const Tensor& x);                   // scalar, shape [1]
Tensor mean(const Tensor& x);                  // scalar, shape [1]

// ---- activation.cpp ---------------------------------------------------------------------
Tensor relu(const Tensor& x);
Tensor leaky_relu(const Tensor& x, float negative_slope = 0.01f);
Tensor gelu(const Tensor& x);   // exact (erf) form, PyTorch's default
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor clamp(const Tensor& x, float lo, float hi);  // gradient 1 inside [lo, hi], 0 outside
// Inverted dropout: keeps each element with probability 1-p and scales it by 1/(1-p).
// Identity when !training or p == 0.
Tensor dropout(const Tensor& x, float p, bool training, Rng& rng);

// ---- softmax.cpp ------------------------------------------------------------------------
Tensor softmax(const Tensor& x, int dim);
Tensor log_softmax(const Tensor& x, int dim);

// ---- matmul.cpp (Eigen GEMM) --------------------------------------------------------------
// a (..., M, K) @ b (..., K, N) -> (..., M, N). Batch dims must match exactly, or b is rank 2
// and shared by every batch.
Tensor matmul(const Tensor& a, const Tensor& b);
// x (..., IN), weight (OUT, IN), bias (OUT) or undefined -> (..., OUT).
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias);

// ---- conv.cpp (im2col + Eigen GEMM; direct xsimd 3x3; depthwise with xsimd) -----------------
struct Conv2dOptions {
  int stride = 1, pad = 0, dilation = 1, groups = 1;
};
// x (N,C,H,W), weight (OC, C/groups, KH, KW), bias (OC) or undefined -> (N,OC,OH,OW) with
// OH = (H + 2*pad - dilation*(KH-1) - 1) / stride + 1 (same for W). Zero padding.
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, Conv2dOptions opt);
// The raw kernels behind conv2d, on plain buffers without autograd (the benchmark calls them).
// Forward overwrites out (N,OC,OH,OW); bias may be null. Backward adds (+=) into dx (N,C,H,W),
// dweight (OC,C/groups,KH,KW) and dbias (OC), each of which may be null (not wanted), given
// dout (N,OC,OH,OW). Shapes are not checked here: conv2d checks them.
void conv2d_forward(float* out, const float* x, const float* weight, const float* bias,
                    const Shape& x_shape, const Shape& weight_shape, Conv2dOptions opt);
void conv2d_backward(float* dx, float* dweight, float* dbias, const float* dout, const float* x,
                     const float* weight, const Shape& x_shape, const Shape& weight_shape,
                     Conv2dOptions opt);

// ---- shuffle.cpp ------------------------------------------------------------------------
Tensor pixel_shuffle(const Tensor& x, int r);    // (N, C*r*r, H, W) -> (N, C, H*r, W*r)
Tensor pixel_unshuffle(const Tensor& x, int r);  // (N, C, H*r, W*r) -> (N, C*r*r, H, W)

// ---- resize.cpp (PyTorch's align_corners=false conventions) --------------------------------
Tensor resize_bilinear(const Tensor& x, int out_h, int out_w);  // (N,C,H,W) -> (N,C,OH,OW)
// Bicubic with A = -0.75 and indices clamped at the border, as torch.nn.functional.interpolate.
Tensor resize_bicubic(const Tensor& x, int out_h, int out_w);
// Box average over factor x factor blocks (what a low-resolution sensor integrates). H and W
// must be multiples of factor.
Tensor area_downsample(const Tensor& x, int factor);

// ---- pool.cpp ---------------------------------------------------------------------------
Tensor avg_pool2d(const Tensor& x, int kernel, int stride, int pad);  // count_include_pad=true
Tensor max_pool2d(const Tensor& x, int kernel, int stride, int pad);  // -inf padding
Tensor global_avg_pool(const Tensor& x);                              // (N,C,H,W) -> (N,C)

// ---- shape.cpp --------------------------------------------------------------------------
Tensor reshape(const Tensor& x, const Shape& shape);  // one dim may be -1
Tensor permute(const Tensor& x, const std::vector<int>& dims);
Tensor concat(const std::vector<Tensor>& xs, int dim);
Tensor slice(const Tensor& x, int dim, int64_t start, int64_t end);  // [start, end)

// ---- norm.cpp ---------------------------------------------------------------------------
// gamma/beta may be undefined (no affine). x (N,C,...).
Tensor group_norm(const Tensor& x, int groups, const Tensor& gamma, const Tensor& beta,
                  float eps = 1e-5f);
// relu(group_norm(...)) in one pass forward and one backward: the same values and gradients,
// bit for bit, without the intermediate tensor.
Tensor group_norm_relu(const Tensor& x, int groups, const Tensor& gamma, const Tensor& beta,
                       float eps = 1e-5f);
// Normalises over the last dim; gamma/beta (C) may be undefined.
Tensor layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps = 1e-5f);
// x (N,C,...). training: batch statistics, and running_mean/var (C) are updated in place with
// momentum (unbiased variance, as PyTorch). eval: running statistics.
Tensor batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                  const Tensor& running_mean, const Tensor& running_var, bool training,
                  float momentum = 0.1f, float eps = 1e-5f);

// ---- attention.cpp ----------------------------------------------------------------------
// q, k, v (B, H, T, D) -> softmax(q k^T / sqrt(D)) v, (B, H, T, D).
Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v);
// Multi-head self-attention as torch.nn.MultiheadAttention (batch_first, no mask, no dropout):
// x (B,T,C), in_proj_weight (3C,C), in_proj_bias (3C), out_proj_weight (C,C), out_proj_bias (C).
Tensor multi_head_attention(const Tensor& x, const Tensor& in_proj_weight,
                            const Tensor& in_proj_bias, const Tensor& out_proj_weight,
                            const Tensor& out_proj_bias, int heads);

// ---- spectral_norm.cpp --------------------------------------------------------------------
// weight / sigma with sigma from power iteration on weight viewed as (OUT, rest), as
// torch.nn.utils.spectral_norm. u (OUT) and v (rest) are buffers: in training one power
// iteration updates them in place (v = normalize(W^T u), u = normalize(W v)); in eval they are
// used as they are. sigma = u . (W v). u and v are not differentiated.
Tensor spectral_norm(const Tensor& weight, const Tensor& u, const Tensor& v, bool training,
                     float eps = 1e-12f);

// ---- loss.cpp (each returns a scalar of shape [1]) ------------------------------------------
// logits (N,K,H,W) or (N,K); target (N,H,W) or (N); ignore_index entries are skipped.
// class_weights (K) or undefined. Mean over the kept pixels, weighted as PyTorch does.
Tensor cross_entropy(const Tensor& logits, const Labels& target, const Tensor& class_weights,
                     int ignore_index = 255);
Tensor mse_loss(const Tensor& pred, const Tensor& target);             // mean (pred-target)^2
Tensor l1_loss(const Tensor& pred, const Tensor& target);              // mean |pred-target|
Tensor bce_with_logits(const Tensor& logits, const Tensor& target);    // mean, stable form
// x / max(||x||_2, eps) along dim (as torch.nn.functional.normalize).
Tensor l2_normalize(const Tensor& x, int dim, float eps = 1e-12f);
// Cosine similarity along dim (as torch.nn.functional.cosine_similarity, eps 1e-8).
Tensor cosine_similarity(const Tensor& a, const Tensor& b, int dim, float eps = 1e-8f);
// The paper's feature loss on features (N, D): with a, b L2-normalised along D,
// mean|a - b| + mean_n (1 - cos(a_n, b_n)).
Tensor feature_loss(const Tensor& f_target, const Tensor& f_pred);

}  // namespace ulr
