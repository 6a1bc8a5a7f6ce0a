// A tensor seen around one of its dims, for ops that work on the vectors along that dim
// (softmax, L2-normalise, cosine similarity): shape = (outer, d, inner), and the k-th element of
// vector `item` (item = o * inner + j) sits at o*d*inner + k*inner + j.
#pragma once
#include <cstdint>
#include <string>

#include "engine/error.h"
#include "engine/tensor.h"

namespace ulr {

struct DimView {
  int64_t outer = 1, d = 1, inner = 1;
  int64_t items() const { return outer * inner; }
  int64_t at(int64_t item, int64_t k) const { return (item / inner) * d * inner + k * inner + item % inner; }
};

// Throws Error("OP: dim D is out of range for shape S"); negative dims count from the end.
inline DimView dim_view(const Shape& s, int dim, const char* op) {
  if (s.rank == 0 || dim < -s.rank || dim >= s.rank)
    throw Error(std::string(op) + ": dim " + std::to_string(dim) + " is out of range for shape " + s.str());
  if (dim < 0) dim += s.rank;
  DimView v;
  for (int i = 0; i < dim; ++i) v.outer *= s.dims[i];
  v.d = s.dims[dim];
  for (int i = dim + 1; i < s.rank; ++i) v.inner *= s.dims[i];
  return v;
}

}  // namespace ulr
