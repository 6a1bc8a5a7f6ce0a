#include "engine/tensor.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <unordered_set>

#include "engine/error.h"
#include "engine/parallel.h"

namespace ulr {

// ---- Shape --------------------------------------------------------------------------------

Shape::Shape(std::initializer_list<int64_t> d) {
  ULR_CHECK(d.size() <= size_t(kMaxRank), "rank above 5");
  for (int64_t v : d) dims[rank++] = v;
}

Shape::Shape(const std::vector<int64_t>& d) {
  ULR_CHECK(d.size() <= size_t(kMaxRank), "rank above 5");
  for (int64_t v : d) dims[rank++] = v;
}

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int i = 0; i < rank; ++i) n *= dims[i];
  return n;
}

bool Shape::operator==(const Shape& o) const {
  if (rank != o.rank) return false;
  for (int i = 0; i < rank; ++i)
    if (dims[i] != o.dims[i]) return false;
  return true;
}

std::string Shape::str() const {
  std::string s = "[";
  for (int i = 0; i < rank; ++i) s += (i ? "," : "") + std::to_string(dims[i]);
  return s + "]";
}

// ---- Caching allocator --------------------------------------------------------------------

namespace {
constexpr int kBuckets = 48;
constexpr size_t kMinBlock = 256;

struct CachingAllocator {
  std::mutex mu;
  std::vector<void*> free_lists[kBuckets];
  AllocatorStats stats;

  static int bucket_of(size_t bytes, size_t* rounded) {
    size_t size = kMinBlock;
    int b = 0;
    while (size < bytes) size <<= 1, ++b;
    *rounded = size;
    return b;
  }
  ~CachingAllocator() { release(); }
  void release() {
    std::lock_guard<std::mutex> lock(mu);
    for (int b = 0; b < kBuckets; ++b) {
      for (void* p : free_lists[b]) std::free(p);
      stats.bytes_cached -= int64_t(free_lists[b].size()) * int64_t(kMinBlock << b);
      free_lists[b].clear();
    }
  }
};

CachingAllocator& the_allocator() {
  static CachingAllocator* a = new CachingAllocator();  // never destroyed: outlives statics
  return *a;
}
}  // namespace

void* allocate(size_t bytes) {
  CachingAllocator& a = the_allocator();
  size_t rounded;
  int b = CachingAllocator::bucket_of(bytes ? bytes : 1, &rounded);
  {
    std::lock_guard<std::mutex> lock(a.mu);
    a.stats.allocs++;
    if (!a.free_lists[b].empty()) {
      void* p = a.free_lists[b].back();
      a.free_lists[b].pop_back();
      a.stats.bytes_cached -= int64_t(rounded);
      a.stats.bytes_in_use += int64_t(rounded);
      return p;
    }
    a.stats.system_allocs++;
    a.stats.bytes_in_use += int64_t(rounded);
    a.stats.peak_bytes = std::max(a.stats.peak_bytes, a.stats.bytes_in_use + a.stats.bytes_cached);
  }
  void* p = std::aligned_alloc(64, rounded);
  if (!p) {
    allocator_release_cache();
    p = std::aligned_alloc(64, rounded);
    if (!p) throw std::bad_alloc();
  }
  return p;
}

void deallocate(void* p, size_t bytes) {
  if (!p) return;
  CachingAllocator& a = the_allocator();
  size_t rounded;
  int b = CachingAllocator::bucket_of(bytes ? bytes : 1, &rounded);
  std::lock_guard<std::mutex> lock(a.mu);
  a.free_lists[b].push_back(p);
  a.stats.bytes_in_use -= int64_t(rounded);
  a.stats.bytes_cached += int64_t(rounded);
}

AllocatorStats allocator_stats() {
  CachingAllocator& a = the_allocator();
  std::lock_guard<std::mutex> lock(a.mu);
  return a.stats;
}

void allocator_release_cache() { the_allocator().release(); }

void tune_system_allocator() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
#endif
}

Storage::Storage(int64_t n, bool zero) : size(n) {
  data = static_cast<float*>(allocate(size_t(n) * sizeof(float)));
  // Gradient buffers of whole activations are zeroed here: split across the threads.
  if (zero && n > 0)
    parallel_for(n, 1 << 16, [this](int64_t begin, int64_t end) {
      std::memset(data + begin, 0, size_t(end - begin) * sizeof(float));
    });
}

Storage::~Storage() { deallocate(data, size_t(size) * sizeof(float)); }

// ---- Tensor -------------------------------------------------------------------------------

Tensor make_tensor(const Shape& shape, std::shared_ptr<Storage> storage) {
  ULR_CHECK(storage && storage->size >= shape.numel(), "storage smaller than shape");
  Tensor t;
  t.impl_ = std::make_shared<TensorImpl>();
  t.impl_->shape = shape;
  t.impl_->data = std::move(storage);
  return t;
}

static void check_shape(const Shape& shape) {
  for (int i = 0; i < shape.rank; ++i)
    if (shape.dims[i] < 0) throw Error("tensor shape " + shape.str() + " has a negative dimension");
}

Tensor Tensor::empty(const Shape& shape) {
  check_shape(shape);
  return make_tensor(shape, std::make_shared<Storage>(shape.numel()));
}

Tensor Tensor::zeros(const Shape& shape) {
  check_shape(shape);
  return make_tensor(shape, std::make_shared<Storage>(shape.numel(), true));
}

Tensor Tensor::full(const Shape& shape, float value) {
  Tensor t = empty(shape);
  t.fill(value);
  return t;
}

Tensor Tensor::from_vector(const Shape& shape, const std::vector<float>& values) {
  if (int64_t(values.size()) != shape.numel())
    throw Error("from_vector: " + std::to_string(values.size()) + " values for shape " + shape.str());
  Tensor t = empty(shape);
  std::copy(values.begin(), values.end(), t.data());
  return t;
}

Tensor Tensor::randn(const Shape& shape, Rng& rng, float stddev) {
  Tensor t = empty(shape);
  float* p = t.data();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = stddev * rng.normal();
  return t;
}

Tensor Tensor::uniform(const Shape& shape, Rng& rng, float lo, float hi) {
  Tensor t = empty(shape);
  float* p = t.data();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = rng.uniform(lo, hi);
  return t;
}

float Tensor::item() const {
  ULR_CHECK(numel() == 1, "item() on tensor of shape " + shape().str());
  return data()[0];
}

std::vector<float> Tensor::to_vector() const { return std::vector<float>(data(), data() + numel()); }

void Tensor::fill(float value) const { std::fill(data(), data() + numel(), value); }

void Tensor::copy_from(const Tensor& src) const {
  ULR_CHECK(src.numel() == numel(), "copy_from: " + src.shape().str() + " into " + shape().str());
  std::memcpy(data(), src.data(), size_t(numel()) * sizeof(float));
}

const Tensor& Tensor::set_requires_grad(bool on) const {
  impl_->requires_grad = on;
  return *this;
}

float* Tensor::grad_data() const {
  if (!impl_->grad) impl_->grad = std::make_shared<Storage>(numel(), true);
  return impl_->grad->data;
}

Tensor Tensor::grad() const {
  if (!impl_->grad) return Tensor();
  return make_tensor(shape(), impl_->grad);
}

void Tensor::zero_grad() const {
  if (impl_->grad) std::memset(impl_->grad->data, 0, size_t(numel()) * sizeof(float));
}

Tensor Tensor::view(const Shape& shape) const {
  check_shape(shape);
  if (shape.numel() != numel())
    throw Error("view: shape " + shape.str() + " has " + std::to_string(shape.numel()) +
                " elements, the tensor " + this->shape().str() + " has " + std::to_string(numel()));
  return make_tensor(shape, impl_->data);
}

Tensor Tensor::detach() const { return view(shape()); }

Tensor Tensor::clone() const {
  Tensor t = empty(shape());
  t.copy_from(*this);
  return t;
}

// ---- Tape ---------------------------------------------------------------------------------

static thread_local bool g_grad_enabled = true;

bool grad_enabled() { return g_grad_enabled; }
NoGrad::NoGrad() : prev_(g_grad_enabled) { g_grad_enabled = false; }
NoGrad::~NoGrad() { g_grad_enabled = prev_; }

bool should_record(std::initializer_list<Tensor> inputs) {
  if (!g_grad_enabled) return false;
  for (const Tensor& t : inputs)
    if (t.requires_grad()) return true;
  return false;
}

bool should_record(const std::vector<Tensor>& inputs) {
  if (!g_grad_enabled) return false;
  for (const Tensor& t : inputs)
    if (t.requires_grad()) return true;
  return false;
}

void record(const Tensor& out, const char* op, std::vector<Tensor> inputs, BackwardFn backward) {
  auto node = std::make_shared<Node>();
  node->op = op;
  node->inputs = std::move(inputs);
  node->backward = std::move(backward);
  out.impl()->node = std::move(node);
  out.impl()->requires_grad = true;
}

// Post-order DFS with an explicit stack (deep graphs must not overflow the call stack).
static std::vector<Tensor> topological_order(const Tensor& root) {
  std::vector<Tensor> order;
  std::unordered_set<const TensorImpl*> visited;
  std::vector<std::pair<Tensor, size_t>> stack;
  stack.push_back({root, 0});
  visited.insert(root.impl());
  while (!stack.empty()) {
    auto& [t, next] = stack.back();
    const Node* node = t.node();
    if (node && next < node->inputs.size()) {
      const Tensor& in = node->inputs[next++];
      if (in.defined() && in.node() && !visited.count(in.impl())) {
        visited.insert(in.impl());
        stack.push_back({in, 0});
      }
      continue;
    }
    order.push_back(t);
    stack.pop_back();
  }
  return order;  // inputs before outputs
}

void backward(const Tensor& root, const Tensor& seed) {
  ULR_CHECK(root.requires_grad(), "backward() on a tensor that does not require grad");
  ULR_CHECK(seed.shape() == root.shape(), "backward seed shape " + seed.shape().str() +
                                              " differs from " + root.shape().str());
  std::vector<Tensor> order = topological_order(root);
  float* g = root.grad_data();
  const float* s = seed.data();
  for (int64_t i = 0; i < root.numel(); ++i) g[i] += s[i];
  NoGrad no_grad;  // closures compute with plain kernels; nothing they do is recorded
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    TensorImpl* impl = it->impl();
    std::shared_ptr<Node> node = std::move(impl->node);  // releases the graph as we go
    if (!node) continue;
    if (impl->grad) node->backward(*it);
    impl->grad.reset();  // intermediate gradients are not kept (as in PyTorch)
  }
}

void backward(const Tensor& root) {
  ULR_CHECK(root.numel() == 1, "backward() without a seed needs a scalar, got " + root.shape().str());
  backward(root, Tensor::full(root.shape(), 1.0f));
}

}  // namespace ulr
