// Scalar reference kernels: the slow, obvious version of each op, kept beside the fast kernel in
// the op's own file and declared here for the tests. Plain tensors, no autograd; sums in double.
//
// One calling convention (llm.c's): outputs first, then inputs, then sizes and options; every
// reference returns void and writes its outputs.
//   - A forward reference takes its output, then the op's arguments (ops/ops.h) in the op's
//     order, and overwrites every element of the output.
//   - A backward reference takes the gradients it computes, then dout, then the inputs it
//     needs, then the op's sizes and options. It adds (+=) into the gradients, as the kernels
//     and the tape do (so they start from Tensor::zeros); a gradient passed as an undefined
//     Tensor() is not computed.
//   - The caller allocates every output with the shape the op gives; a reference checks it
//     (and dout's) and throws Error("ref::NAME: OUTPUT has shape S, expected T") otherwise.
//   - A mode is an enum (Arith), never an integer code.
#pragma once
#include <string>
#include <vector>

#include "engine/error.h"
#include "ops/ops.h"

namespace ulr::ref {

// Throws Error("NAME: WHAT has shape S, expected T") unless t is defined with shape `want`.
inline void expect_shape(const char* name, const char* what, const Tensor& t, const Shape& want) {
  if (!t.defined())
    throw Error(std::string(name) + ": " + what + " is undefined, expected shape " + want.str());
  if (t.shape() != want)
    throw Error(std::string(name) + ": " + what + " has shape " + t.shape().str() + ", expected " +
                want.str());
}

// ---- elementwise.cpp ----
void arith(const Tensor& out, const Tensor& a, const Tensor& b, Arith op);  // broadcasting

// ---- activation.cpp ----
void relu(const Tensor& out, const Tensor& x);
void leaky_relu(const Tensor& out, const Tensor& x, float negative_slope);
void gelu(const Tensor& out, const Tensor& x);
void sigmoid(const Tensor& out, const Tensor& x);
void tanh(const Tensor& out, const Tensor& x);
void clamp(const Tensor& out, const Tensor& x, float lo, float hi);

// ---- softmax.cpp ----
void softmax(const Tensor& out, const Tensor& x, int dim);
void log_softmax(const Tensor& out, const Tensor& x, int dim);

// ---- matmul.cpp ----
void matmul(const Tensor& out, const Tensor& a, const Tensor& b);
void matmul_backward(const Tensor& da, const Tensor& db, const Tensor& dout, const Tensor& a,
                     const Tensor& b);
void linear(const Tensor& out, const Tensor& x, const Tensor& weight, const Tensor& bias);
void linear_backward(const Tensor& dx, const Tensor& dweight, const Tensor& dbias,
                     const Tensor& dout, const Tensor& x, const Tensor& weight);

// ---- conv.cpp ----
// Plain loops over every product term.
void conv2d_forward(const Tensor& out, const Tensor& x, const Tensor& weight, const Tensor& bias,
                    Conv2dOptions opt);
void conv2d_backward(const Tensor& dx, const Tensor& dweight, const Tensor& dbias,
                     const Tensor& dout, const Tensor& x, const Tensor& weight, Conv2dOptions opt);

// ---- shuffle.cpp ----
void pixel_shuffle(const Tensor& out, const Tensor& x, int r);
void pixel_unshuffle(const Tensor& out, const Tensor& x, int r);

// ---- resize.cpp ----
// Weights from the kernel's definition per output pixel.
void resize_bilinear(const Tensor& out, const Tensor& x, int out_h, int out_w);
void resize_bicubic(const Tensor& out, const Tensor& x, int out_h, int out_w);
void area_downsample(const Tensor& out, const Tensor& x, int factor);

// ---- pool.cpp ----
// The backward of avg_pool2d and global_avg_pool needs no input: dx has its shape.
void avg_pool2d_forward(const Tensor& out, const Tensor& x, int kernel, int stride, int pad);
void avg_pool2d_backward(const Tensor& dx, const Tensor& dout, int kernel, int stride, int pad);
void max_pool2d_forward(const Tensor& out, const Tensor& x, int kernel, int stride, int pad);
void max_pool2d_backward(const Tensor& dx, const Tensor& dout, const Tensor& x, int kernel,
                         int stride, int pad);
void global_avg_pool_forward(const Tensor& out, const Tensor& x);
void global_avg_pool_backward(const Tensor& dx, const Tensor& dout);

// ---- shape.cpp ----
// Element by element through multi-indices.
void permute(const Tensor& out, const Tensor& x, const std::vector<int>& dims);
void concat(const Tensor& out, const std::vector<Tensor>& xs, int dim);
void slice(const Tensor& out, const Tensor& x, int dim, int64_t start, int64_t end);

// ---- norm.cpp ----
// batch_norm in training updates running_mean/var in place, as the op does.
void group_norm(const Tensor& out, const Tensor& x, int groups, const Tensor& gamma,
                const Tensor& beta, float eps);
void layer_norm(const Tensor& out, const Tensor& x, const Tensor& gamma, const Tensor& beta,
                float eps);
void batch_norm(const Tensor& out, const Tensor& x, const Tensor& gamma, const Tensor& beta,
                const Tensor& running_mean, const Tensor& running_var, bool training,
                float momentum, float eps);

// ---- attention.cpp ----
// multi_head_attention splits the heads with plain loops.
void scaled_dot_product_attention(const Tensor& out, const Tensor& q, const Tensor& k,
                                  const Tensor& v);
void multi_head_attention(const Tensor& out, const Tensor& x, const Tensor& in_proj_weight,
                          const Tensor& in_proj_bias, const Tensor& out_proj_weight,
                          const Tensor& out_proj_bias, int heads);

// ---- spectral_norm.cpp ----
// In training writes the updated u and v into the given tensors, as the op does.
void spectral_norm(const Tensor& out, const Tensor& weight, const Tensor& u, const Tensor& v,
                   bool training, float eps);

// ---- loss.cpp ----
// Serial sums; out of a loss is a scalar of shape [1].
void cross_entropy(const Tensor& out, const Tensor& logits, const Labels& target,
                   const Tensor& class_weights, int ignore_index);
void mse_loss(const Tensor& out, const Tensor& pred, const Tensor& target);
void l1_loss(const Tensor& out, const Tensor& pred, const Tensor& target);
void bce_with_logits(const Tensor& out, const Tensor& logits, const Tensor& target);
void l2_normalize(const Tensor& out, const Tensor& x, int dim, float eps);
void cosine_similarity(const Tensor& out, const Tensor& a, const Tensor& b, int dim, float eps);

}  // namespace ulr::ref
