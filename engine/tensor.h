// Tensor: float32, contiguous, row-major, rank <= 5. A Tensor is a cheap handle (shared
// ownership) to storage plus shape, an optional gradient and, when an op made it with grad
// enabled, the tape node that made it. Copying a Tensor copies the handle, never the data.
//
// Autograd in three lines (micrograd's idea): an op that must be differentiated records a Node
// holding its inputs and a closure with its local chain rule; backward(loss) sorts the nodes
// topologically and calls each closure once, newest first; closures accumulate (+=) into the
// inputs' gradient buffers, which start at zero.
#pragma once
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "engine/rng.h"

namespace ulr {

constexpr int kMaxRank = 5;

struct Shape {
  int rank = 0;
  int64_t dims[kMaxRank] = {};

  Shape() = default;
  Shape(std::initializer_list<int64_t> d);
  explicit Shape(const std::vector<int64_t>& d);
  // Dimension i; negative i counts from the end (-1 = last).
  int64_t operator[](int i) const { return dims[i < 0 ? i + rank : i]; }
  int64_t& operator[](int i) { return dims[i < 0 ? i + rank : i]; }
  int64_t numel() const;
  std::vector<int64_t> vec() const { return std::vector<int64_t>(dims, dims + rank); }
  bool operator==(const Shape& o) const;
  bool operator!=(const Shape& o) const { return !(*this == o); }
  std::string str() const;  // "[2,3,4]"
};

// ---- Caching allocator --------------------------------------------------------------------
// 64-byte aligned blocks in power-of-two size buckets; freed blocks go back to their bucket's
// free list, so a steady-state training step does not call malloc per op. Thread-safe. There is
// one cache per process, like malloc's heap: every Tensor of every thread draws from it, and it
// keeps what it has cached until allocator_release_cache() (or an allocation that the system
// refuses, which releases the cache and retries once).
struct AllocatorStats {
  int64_t bytes_in_use = 0;   // handed out and not yet returned
  int64_t bytes_cached = 0;   // returned, kept in free lists
  int64_t peak_bytes = 0;     // max of bytes_in_use + bytes_cached
  int64_t system_allocs = 0;  // calls that went to the system allocator
  int64_t allocs = 0;         // all allocation calls
};
void* allocate(size_t bytes);             // never returns null; throws std::bad_alloc
void deallocate(void* p, size_t bytes);   // bytes as passed to allocate
AllocatorStats allocator_stats();
void allocator_release_cache();           // gives cached blocks back to the system
// Tunes the C library's allocator for training loops (glibc: large blocks stay in the heap
// instead of being mapped and unmapped per allocation, and freed memory is not trimmed back to
// the system between steps), which removes page-fault and zero-fill churn from Eigen's per-product
// packing buffers. It changes the whole process's malloc, so the library never calls it by
// itself: the `ulrseg` program does, and an embedding program may. No effect elsewhere.
void tune_system_allocator();

// A float buffer owned by the allocator. Contents are uninitialised unless zero-filled.
struct Storage {
  float* data = nullptr;
  int64_t size = 0;
  explicit Storage(int64_t n, bool zero = false);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
};

class Tensor;
using BackwardFn = std::function<void(const Tensor& out)>;

// One recorded op on the tape.
struct Node {
  const char* op = "";          // op name, for error messages and graph dumps
  std::vector<Tensor> inputs;   // parents: what the closure accumulates gradients into
  BackwardFn backward;          // reads out.grad_data(), adds into inputs' grad_data()
};

struct TensorImpl {
  Shape shape;
  std::shared_ptr<Storage> data;
  std::shared_ptr<Storage> grad;  // allocated (zeroed) on first use
  bool requires_grad = false;
  std::shared_ptr<Node> node;     // null for leaves (parameters, inputs)
};

class Tensor {
 public:
  Tensor() = default;  // undefined handle; defined() is false

  // Factories. The new tensor is a leaf with requires_grad = false.
  static Tensor empty(const Shape& shape);  // contents uninitialised
  static Tensor zeros(const Shape& shape);
  static Tensor full(const Shape& shape, float value);
  static Tensor from_vector(const Shape& shape, const std::vector<float>& values);
  static Tensor randn(const Shape& shape, Rng& rng, float stddev = 1.0f);
  static Tensor uniform(const Shape& shape, Rng& rng, float lo, float hi);

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl_->shape; }
  int rank() const { return impl_->shape.rank; }
  int64_t size(int d) const { return impl_->shape[d]; }
  int64_t numel() const { return impl_->shape.numel(); }
  float* data() const { return impl_->data->data; }
  float item() const;  // requires numel() == 1
  std::vector<float> to_vector() const;
  void fill(float value) const;
  void copy_from(const Tensor& src) const;  // same numel; data only, no autograd

  // ---- autograd ----
  bool requires_grad() const { return impl_ && impl_->requires_grad; }
  const Tensor& set_requires_grad(bool on) const;
  bool has_grad() const { return impl_->grad != nullptr; }
  float* grad_data() const;  // allocates a zeroed gradient on first call
  Tensor grad() const;       // a tensor viewing the gradient (undefined if none)
  void zero_grad() const;    // zeroes the gradient if it exists
  const Node* node() const { return impl_->node.get(); }

  // The same data under another shape: the view shares this tensor's storage (a write through
  // either is seen by both) and requires shape.numel() == numel(), with no negative dims (else
  // throws Error naming both shapes). The view is a new leaf whatever this tensor is: no node,
  // no gradient of its own, requires_grad = false, so nothing flows back through it. Outside
  // NoGrad, a reshape that gradients must cross is ulr::reshape (ops/ops.h), which records the
  // view on the tape.
  Tensor view(const Shape& shape) const;
  Tensor detach() const;  // view(shape()): the data without its history
  Tensor clone() const;   // copies the data; a new leaf

  TensorImpl* impl() const { return impl_.get(); }
  bool same(const Tensor& o) const { return impl_ == o.impl_; }

 private:
  std::shared_ptr<TensorImpl> impl_;
  friend Tensor make_tensor(const Shape&, std::shared_ptr<Storage>);
};

// A tensor over existing storage: the engine's own constructor (the factories, grad(), view()).
Tensor make_tensor(const Shape& shape, std::shared_ptr<Storage> storage);

// Integer maps (class ids, identity ids) are not autograd tensors: a plain container.
template <class T>
struct IntTensor {
  Shape shape;
  std::vector<T> data;
  IntTensor() = default;
  explicit IntTensor(const Shape& s, T fill = T(0)) : shape(s), data(size_t(s.numel()), fill) {}
  int64_t numel() const { return shape.numel(); }
  // Items [begin, end) along dim 0, copied (a batch's part, a rank's share of views).
  IntTensor slice0(int64_t begin, int64_t end) const {
    const int64_t per = shape[0] ? numel() / shape[0] : 0;
    IntTensor out;
    out.shape = shape;
    out.shape[0] = end - begin;
    out.data.assign(data.begin() + begin * per, data.begin() + end * per);
    return out;
  }
};
using Labels = IntTensor<uint8_t>;  // (N,H,W) class ids, 255 = ignore

// ---- Tape ---------------------------------------------------------------------------------
// Grad mode is per thread. NoGrad switches recording off for a scope (inference, the frozen
// teacher, optimizer updates).
bool grad_enabled();
class NoGrad {
 public:
  NoGrad();
  ~NoGrad();
  NoGrad(const NoGrad&) = delete;
  NoGrad& operator=(const NoGrad&) = delete;

 private:
  bool prev_;
};

// True when an op with these inputs must record itself: grad is enabled and some input
// requires grad. Undefined tensors (e.g. a missing bias) are ignored.
bool should_record(std::initializer_list<Tensor> inputs);
bool should_record(const std::vector<Tensor>& inputs);
// Marks `out` as produced by `op` from `inputs` and attaches the chain-rule closure. The
// closure must add into input.grad_data() only for inputs with requires_grad().
void record(const Tensor& out, const char* op, std::vector<Tensor> inputs, BackwardFn backward);

// Runs the reverse pass from `root`. A scalar root is seeded with gradient 1; otherwise pass
// `seed` (same shape). Gradients accumulate into leaves with requires_grad; the graph and the
// gradients of intermediate tensors are released afterwards.
void backward(const Tensor& root);
void backward(const Tensor& root, const Tensor& seed);

}  // namespace ulr
