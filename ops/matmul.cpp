// matmul and linear through Eigen GEMM over row-major maps of our buffers.
//
// Threading: Eigen runs single-threaded (EIGEN_DONT_PARALLELIZE); we split the work into chunks
// whose size depends only on the matrix sizes, never on the thread count, so every output
// element is computed the same way for any --threads. Products summed over rows (the weight
// gradient over a batch) are computed as per-chunk partial products added in chunk order.
#include <Eigen/Core>
#include <algorithm>
#include <string>

#include "engine/error.h"
#include "engine/parallel.h"
#include "ops/ops.h"
#include "ops/reference.h"

namespace ulr {
namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixMap = Eigen::Map<RowMatrix>;
using ConstMatrixMap = Eigen::Map<const RowMatrix>;

constexpr int64_t kGemmChunkMacs = 1 << 18;  // multiply-adds per row chunk of a GEMM
constexpr int64_t kReduceMinRows = 256;      // rows per partial product, at least
constexpr int64_t kReduceMaxChunks = 8;      // partial products per reduction, at most

// ---- GEMM helpers -------------------------------------------------------------------------

// c (M,N) = or += a (M,K) @ op(b); op(b) is b (K,N), or b^T when b is stored (N,K).
// Parallel over fixed row chunks (serial when called inside a parallel region).
void gemm_rows(float* c, const float* a, const float* b, int64_t M, int64_t K, int64_t N,
               bool b_transposed, bool accumulate) {
  if (M == 0 || N == 0) return;
  if (K == 0) {
    if (!accumulate) std::fill(c, c + M * N, 0.0f);
    return;
  }
  const int64_t grain = std::max<int64_t>(8, kGemmChunkMacs / std::max<int64_t>(1, K * N));
  parallel_for(M, grain, [&](int64_t begin, int64_t end) {
    MatrixMap cm(c + begin * N, end - begin, N);
    ConstMatrixMap am(a + begin * K, end - begin, K);
    if (b_transposed) {
      ConstMatrixMap bm(b, N, K);
      if (accumulate) cm.noalias() += am * bm.transpose();
      else cm.noalias() = am * bm.transpose();
    } else {
      ConstMatrixMap bm(b, K, N);
      if (accumulate) cm.noalias() += am * bm;
      else cm.noalias() = am * bm;
    }
  });
}

// c (K,N) += a (R,K)^T @ d (R,N): a sum over R rows, split into fixed row chunks whose partial
// products are added into c in chunk order.
void gemm_at_b(float* c, const float* a, const float* d, int64_t R, int64_t K, int64_t N) {
  if (R == 0 || K == 0 || N == 0) return;
  MatrixMap cm(c, K, N);
  const int64_t rows = std::max(kReduceMinRows, (R + kReduceMaxChunks - 1) / kReduceMaxChunks);
  const int64_t chunks = (R + rows - 1) / rows;
  if (chunks == 1) {
    cm.noalias() += ConstMatrixMap(a, R, K).transpose() * ConstMatrixMap(d, R, N);
    return;
  }
  std::vector<float> partial(size_t(chunks * K * N));
  parallel_for(R, rows, [&](int64_t begin, int64_t end) {
    MatrixMap pm(partial.data() + (begin / rows) * K * N, K, N);
    pm.noalias() = ConstMatrixMap(a + begin * K, end - begin, K).transpose() *
                   ConstMatrixMap(d + begin * N, end - begin, N);
  });
  for (int64_t i = 0; i < chunks; ++i) cm += ConstMatrixMap(partial.data() + i * K * N, K, N);
}

// Shapes of a matmul: batch items, M, K, N and whether b is shared by every batch item.
struct MatmulDims {
  int64_t batch = 1, M = 0, K = 0, N = 0;
  bool b_shared = false;
  Shape out;
};

MatmulDims matmul_dims(const Shape& a, const Shape& b) {
  auto fail = [&](const std::string& why) {
    return Error("matmul: a " + a.str() + " and b " + b.str() + ": " + why);
  };
  if (a.rank < 2 || b.rank < 2) throw fail("both operands need rank >= 2");
  MatmulDims d;
  d.M = a[-2], d.K = a[-1], d.N = b[-1];
  if (b[-2] != d.K) throw fail("inner dimensions differ");
  d.b_shared = b.rank == 2;
  if (!d.b_shared) {
    bool same = a.rank == b.rank;
    for (int i = 0; same && i < a.rank - 2; ++i) same = a.dims[i] == b.dims[i];
    if (!same) throw fail("batch dimensions must match, or b must be rank 2");
  }
  for (int i = 0; i < a.rank - 2; ++i) d.batch *= a.dims[i];
  d.out = a;
  d.out[-1] = d.N;
  return d;
}

// Batch items per thread chunk: enough that a chunk holds about kGemmChunkMacs of work.
int64_t batch_grain(const MatmulDims& d) {
  return std::max<int64_t>(1, kGemmChunkMacs / std::max<int64_t>(1, d.M * d.K * d.N));
}

// ---- forward kernels ----------------------------------------------------------------------

// out (batch,M,N) = a (batch,M,K) @ b (batch,K,N) or b (K,N) shared.
void matmul_forward(float* out, const float* a, const float* b, const MatmulDims& d) {
  if (d.b_shared) {  // one GEMM over all batch rows
    gemm_rows(out, a, b, d.batch * d.M, d.K, d.N, false, false);
    return;
  }
  parallel_for(d.batch, batch_grain(d), [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      gemm_rows(out + i * d.M * d.N, a + i * d.M * d.K, b + i * d.K * d.N, d.M, d.K, d.N, false,
                false);
  });
}

// out (R,OUT) = x (R,IN) @ weight (OUT,IN)^T + bias (OUT)
void linear_forward(float* out, const float* x, const float* weight, const float* bias,
                    int64_t R, int64_t IN, int64_t OUT) {
  gemm_rows(out, x, weight, R, IN, OUT, true, false);
  if (!bias) return;
  const int64_t grain = std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(1, OUT));
  parallel_for(R, grain, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r)
      for (int64_t o = 0; o < OUT; ++o) out[r * OUT + o] += bias[o];
  });
}

// ---- backward kernels ---------------------------------------------------------------------

// da += dout @ b^T, db += a^T @ dout (either may be null).
void matmul_backward(float* da, float* db, const float* dout, const float* a,
                     const float* b, const MatmulDims& d) {
  if (d.b_shared) {
    if (da) gemm_rows(da, dout, b, d.batch * d.M, d.N, d.K, true, true);
    if (db) gemm_at_b(db, a, dout, d.batch * d.M, d.K, d.N);
    return;
  }
  parallel_for(d.batch, batch_grain(d), [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const float* dout_i = dout + i * d.M * d.N;
      if (da) gemm_rows(da + i * d.M * d.K, dout_i, b + i * d.K * d.N, d.M, d.N, d.K, true, true);
      if (db) gemm_at_b(db + i * d.K * d.N, a + i * d.M * d.K, dout_i, d.M, d.K, d.N);
    }
  });
}

// dx (R,IN) += dout (R,OUT) @ weight (OUT,IN); dweight (OUT,IN) += dout^T @ x, summed over all
// R rows; dbias (OUT) += column sums of dout, rows added in order. Any pointer may be null.
void linear_backward(float* dx, float* dweight, float* dbias, const float* dout,
                     const float* x, const float* weight, int64_t R, int64_t IN,
                     int64_t OUT) {
  if (dx) gemm_rows(dx, dout, weight, R, OUT, IN, false, true);
  if (dweight) gemm_at_b(dweight, dout, x, R, OUT, IN);
  if (dbias) {
    std::vector<double> s(size_t(OUT), 0.0);
    for (int64_t r = 0; r < R; ++r)
      for (int64_t o = 0; o < OUT; ++o) s[size_t(o)] += dout[r * OUT + o];
    for (int64_t o = 0; o < OUT; ++o) dbias[o] += float(s[size_t(o)]);
  }
}

}  // namespace

// ---- scalar reference ---------------------------------------------------------------------
namespace ref {

void matmul(const Tensor& out, const Tensor& a, const Tensor& b) {
  MatmulDims d = matmul_dims(a.shape(), b.shape());
  expect_shape("ref::matmul", "out", out, d.out);
  for (int64_t i = 0; i < d.batch; ++i) {
    const float* pa = a.data() + i * d.M * d.K;
    const float* pb = b.data() + (d.b_shared ? 0 : i * d.K * d.N);
    float* po = out.data() + i * d.M * d.N;
    for (int64_t m = 0; m < d.M; ++m)
      for (int64_t n = 0; n < d.N; ++n) {
        double s = 0;
        for (int64_t k = 0; k < d.K; ++k) s += double(pa[m * d.K + k]) * pb[k * d.N + n];
        po[m * d.N + n] = float(s);
      }
  }
}

void matmul_backward(const Tensor& da, const Tensor& db, const Tensor& dout, const Tensor& a,
                     const Tensor& b) {
  MatmulDims d = matmul_dims(a.shape(), b.shape());
  expect_shape("ref::matmul_backward", "dout", dout, d.out);
  if (da.defined()) expect_shape("ref::matmul_backward", "da", da, a.shape());
  if (db.defined()) expect_shape("ref::matmul_backward", "db", db, b.shape());
  std::vector<double> acc_b(size_t(b.numel()), 0.0);
  for (int64_t i = 0; i < d.batch; ++i) {
    const float* pa = a.data() + i * d.M * d.K;
    const int64_t boff = d.b_shared ? 0 : i * d.K * d.N;
    const float* pb = b.data() + boff;
    const float* pd = dout.data() + i * d.M * d.N;
    for (int64_t m = 0; da.defined() && m < d.M; ++m)
      for (int64_t k = 0; k < d.K; ++k) {
        double s = 0;
        for (int64_t n = 0; n < d.N; ++n) s += double(pd[m * d.N + n]) * pb[k * d.N + n];
        da.data()[i * d.M * d.K + m * d.K + k] += float(s);
      }
    for (int64_t k = 0; db.defined() && k < d.K; ++k)
      for (int64_t n = 0; n < d.N; ++n)
        for (int64_t m = 0; m < d.M; ++m)
          acc_b[size_t(boff + k * d.N + n)] += double(pa[m * d.K + k]) * pd[m * d.N + n];
  }
  for (int64_t i = 0; db.defined() && i < b.numel(); ++i) db.data()[i] += float(acc_b[size_t(i)]);
}

void linear(const Tensor& out, const Tensor& x, const Tensor& weight, const Tensor& bias) {
  const int64_t IN = weight.size(1), OUT = weight.size(0), R = x.numel() / IN;
  Shape so = x.shape();
  so[-1] = OUT;
  expect_shape("ref::linear", "out", out, so);
  for (int64_t r = 0; r < R; ++r)
    for (int64_t o = 0; o < OUT; ++o) {
      double s = bias.defined() ? bias.data()[o] : 0.0;
      for (int64_t i = 0; i < IN; ++i)
        s += double(x.data()[r * IN + i]) * weight.data()[o * IN + i];
      out.data()[r * OUT + o] = float(s);
    }
}

void linear_backward(const Tensor& dx, const Tensor& dweight, const Tensor& dbias,
                     const Tensor& dout, const Tensor& x, const Tensor& weight) {
  const int64_t IN = weight.size(1), OUT = weight.size(0), R = x.numel() / IN;
  Shape so = x.shape();
  so[-1] = OUT;
  expect_shape("ref::linear_backward", "dout", dout, so);
  if (dx.defined()) expect_shape("ref::linear_backward", "dx", dx, x.shape());
  if (dweight.defined()) expect_shape("ref::linear_backward", "dweight", dweight, weight.shape());
  if (dbias.defined()) expect_shape("ref::linear_backward", "dbias", dbias, {OUT});
  const float* pd = dout.data();
  for (int64_t r = 0; dx.defined() && r < R; ++r)
    for (int64_t i = 0; i < IN; ++i) {
      double s = 0;
      for (int64_t o = 0; o < OUT; ++o) s += double(pd[r * OUT + o]) * weight.data()[o * IN + i];
      dx.data()[r * IN + i] += float(s);
    }
  for (int64_t o = 0; o < OUT; ++o) {
    for (int64_t i = 0; dweight.defined() && i < IN; ++i) {
      double s = 0;
      for (int64_t r = 0; r < R; ++r) s += double(pd[r * OUT + o]) * x.data()[r * IN + i];
      dweight.data()[o * IN + i] += float(s);
    }
    if (dbias.defined()) {
      double s = 0;
      for (int64_t r = 0; r < R; ++r) s += pd[r * OUT + o];
      dbias.data()[o] += float(s);
    }
  }
}

}  // namespace ref

// ---- autograd glue ------------------------------------------------------------------------

Tensor matmul(const Tensor& a, const Tensor& b) {
  MatmulDims d = matmul_dims(a.shape(), b.shape());
  Tensor out = Tensor::empty(d.out);
  matmul_forward(out.data(), a.data(), b.data(), d);
  if (should_record({a, b})) {
    record(out, "matmul", {a, b}, [a, b, d](const Tensor& out) {
      matmul_backward(a.requires_grad() ? a.grad_data() : nullptr,
                      b.requires_grad() ? b.grad_data() : nullptr, out.grad_data(), a.data(),
                      b.data(), d);
    });
  }
  return out;
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  const Shape& sx = x.shape();
  const Shape& sw = weight.shape();
  if (sx.rank < 1 || sw.rank != 2 || sw[1] != sx[-1] ||
      (bias.defined() && (bias.rank() != 1 || bias.size(0) != sw[0])))
    throw Error("linear: x " + sx.str() + ", weight " + sw.str() + ", bias " +
                (bias.defined() ? bias.shape().str() : std::string("none")) +
                ": need x (..., IN), weight (OUT, IN), bias (OUT)");
  const int64_t IN = sw[1], OUT = sw[0], R = IN ? x.numel() / IN : 0;
  Shape so = sx;
  so[-1] = OUT;
  Tensor out = Tensor::empty(so);
  linear_forward(out.data(), x.data(), weight.data(), bias.defined() ? bias.data() : nullptr, R,
                 IN, OUT);
  if (should_record({x, weight, bias})) {
    record(out, "linear", {x, weight, bias}, [x, weight, bias, R, IN, OUT](const Tensor& out) {
      linear_backward(x.requires_grad() ? x.grad_data() : nullptr,
                      weight.requires_grad() ? weight.grad_data() : nullptr,
                      bias.defined() && bias.requires_grad() ? bias.grad_data() : nullptr,
                      out.grad_data(), x.data(), weight.data(), R, IN, OUT);
    });
  }
  return out;
}

}  // namespace ulr
