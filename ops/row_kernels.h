// Row kernels that more than one op file uses (internal to ops/).
#pragma once
#include <cstdint>

namespace ulr {

// softmax (or log_softmax) of one contiguous row of d floats: y from x; y may be x. SIMD exp.
// ops/softmax.cpp; the attention forward runs it over its score rows.
void softmax_row(float* y, const float* x, int64_t d, bool log);

}  // namespace ulr
