// Scalar reference kernels: the slow, obvious version of each op, kept beside the fast kernel in
// the op's own file and declared here for the tests. Plain tensors in and out, no autograd.
// Backward references return the input gradients for an output gradient `dout`.
#pragma once
#include <vector>

#include "ops/ops.h"

namespace ulr::ref {

// ---- elementwise.cpp ----
Tensor arith(const Tensor& a, const Tensor& b, int op);  // op: 0 add, 1 sub, 2 mul

// ---- activation.cpp ----
Tensor relu(const Tensor& x);
Tensor leaky_relu(const Tensor& x, float negative_slope);
Tensor gelu(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor clamp(const Tensor& x, float lo, float hi);

// ---- softmax.cpp ----
Tensor softmax(const Tensor& x, int dim);      // in double
Tensor log_softmax(const Tensor& x, int dim);

// ---- matmul.cpp ----
// Plain loops, accumulated in double. Backward: {da, db} and {dx, dweight, dbias} (dbias
// undefined when has_bias is false) for the output gradient dout.
Tensor matmul(const Tensor& a, const Tensor& b);
std::vector<Tensor> matmul_backward(const Tensor& dout, const Tensor& a, const Tensor& b);
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias);
std::vector<Tensor> linear_backward(const Tensor& dout, const Tensor& x, const Tensor& weight,
                                    bool has_bias);

// ---- conv.cpp ----
// Plain loops over every product term, accumulated in double.
Tensor conv2d_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, Conv2dOptions opt);
struct Conv2dGrads {
  Tensor dx, dweight, dbias;  // (N,C,H,W), (OC,C/groups,KH,KW), (OC)
};
Conv2dGrads conv2d_backward(const Tensor& x, const Tensor& weight, const Tensor& dout,
                            Conv2dOptions opt);

// ---- shuffle.cpp ----
Tensor pixel_shuffle(const Tensor& x, int r);
Tensor pixel_unshuffle(const Tensor& x, int r);

// ---- resize.cpp ----
// Weights from the kernel's definition per output pixel, summed in double.
Tensor resize_bilinear(const Tensor& x, int out_h, int out_w);
Tensor resize_bicubic(const Tensor& x, int out_h, int out_w);
Tensor area_downsample(const Tensor& x, int factor);

// ---- pool.cpp ----
Tensor avg_pool2d_forward(const Tensor& x, int kernel, int stride, int pad);
Tensor avg_pool2d_backward(const Tensor& x, const Tensor& dout, int kernel, int stride, int pad);
Tensor max_pool2d_forward(const Tensor& x, int kernel, int stride, int pad);
Tensor max_pool2d_backward(const Tensor& x, const Tensor& dout, int kernel, int stride, int pad);
Tensor global_avg_pool_forward(const Tensor& x);
Tensor global_avg_pool_backward(const Tensor& x, const Tensor& dout);

// ---- shape.cpp ----
// Element by element through multi-indices.
Tensor permute(const Tensor& x, const std::vector<int>& dims);
Tensor concat(const std::vector<Tensor>& xs, int dim);
Tensor slice(const Tensor& x, int dim, int64_t start, int64_t end);

// ---- norm.cpp ----
// Statistics in double. batch_norm in training updates running_mean/var as the op does.
Tensor group_norm(const Tensor& x, int groups, const Tensor& gamma, const Tensor& beta, float eps);
Tensor layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps);
Tensor batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                  const Tensor& running_mean, const Tensor& running_var, bool training,
                  float momentum, float eps);

// ---- attention.cpp ----
// Softmax and products in double; multi_head_attention splits heads with plain loops.
Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v);
Tensor multi_head_attention(const Tensor& x, const Tensor& in_proj_weight,
                            const Tensor& in_proj_bias, const Tensor& out_proj_weight,
                            const Tensor& out_proj_bias, int heads);

// ---- spectral_norm.cpp ----
// In double; in training writes the updated u and v into the given tensors, as the op does.
Tensor spectral_norm(const Tensor& weight, const Tensor& u, const Tensor& v, bool training,
                     float eps);

// ---- loss.cpp ----
// Sums in double, serial.
Tensor cross_entropy(const Tensor& logits, const Labels& target, const Tensor& class_weights,
                     int ignore_index);
Tensor mse_loss(const Tensor& pred, const Tensor& target);
Tensor l1_loss(const Tensor& pred, const Tensor& target);
Tensor bce_with_logits(const Tensor& logits, const Tensor& target);
Tensor l2_normalize(const Tensor& x, int dim, float eps);
Tensor cosine_similarity(const Tensor& a, const Tensor& b, int dim, float eps);

}  // namespace ulr::ref
