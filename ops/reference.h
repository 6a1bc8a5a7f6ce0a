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

// ---- softmax.cpp ----

// ---- matmul.cpp ----

// ---- conv.cpp ----

// ---- shuffle.cpp ----

// ---- resize.cpp ----

// ---- pool.cpp ----

// ---- shape.cpp ----

// ---- norm.cpp ----

// ---- attention.cpp ----

// ---- spectral_norm.cpp ----

// ---- loss.cpp ----

}  // namespace ulr::ref
