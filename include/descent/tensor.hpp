#pragma once
// Tensor: a cheap handle to shared storage, like torch::Tensor. Copying a Tensor shares its
// values, its gradient and its place in the autograd graph; clone() copies the values.
#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include <xtensor/xarray.hpp>

#include "descent/dtype.hpp"
#include "descent/error.hpp"
#include "descent/shape.hpp"

namespace descent {

namespace autograd {
class Node;
struct BackwardOptions;  // autograd/backward_options.hpp, included at the end: it needs Tensor whole
struct TensorHooks;      // autograd/hooks.hpp, included at the end too
class RemovableHandle;
}

/// How many times a storage's values were changed in place, shared by all its views: every
/// in-place write bumps it, and a tensor saved for backward checks it (autograd/saved_tensor.hpp).
using VersionCounter = std::atomic<std::uint64_t>;

/// A buffer's owner and its version counter, which the owner keeps alive.
struct Storage {
  std::shared_ptr<void> owner;
  VersionCounter* version = nullptr;
};
/// Storage for a buffer kept alive by `owner` (an xt::xarray, a user's buffer): the counter is
/// allocated beside it.
Storage adopt_storage(std::shared_ptr<void> owner);

/// What a Tensor points to. Views (transpose, permute, narrow, reshape) share `owner` and
/// `version` and differ in data/shape/strides.
struct TensorImpl {
  TensorImpl() = default;
  TensorImpl(Storage storage, void* data, Shape shape, Strides strides, Dtype dtype)
      : owner(std::move(storage.owner)), version(storage.version), data(data), shape(std::move(shape)),
        strides(std::move(strides)), dtype(dtype) {}
  Storage storage() const { return {owner, version}; }

  std::shared_ptr<void> owner;  ///< keeps the buffer alive (an xt::xarray or a user's buffer)
  VersionCounter* version = nullptr;  ///< the storage's counter, kept alive by owner
  void* data = nullptr;         ///< the first element of this view
  Shape shape;
  Strides strides;              ///< in elements
  Dtype dtype = Dtype::float32;
  bool requires_grad = false;
  std::shared_ptr<TensorImpl> grad;         ///< accumulated by backward() in leaves
  std::shared_ptr<autograd::Node> grad_fn;  ///< the recorded op that produced this tensor
  std::shared_ptr<autograd::TensorHooks> hooks;  ///< a leaf's hooks (a recorded result's are its node's)
};

class Tensor {
 public:
  /// An undefined tensor (like a default torch::Tensor): only defined() may be called.
  Tensor() noexcept : undefined_reason_(nullptr) {}
  /// An undefined tensor whose use is an error that says why it is undefined (`why` must be a
  /// string literal): grad() of a leaf that has none yet, say.
  static Tensor undefined_because(const char* why) {
    Tensor t;
    t.undefined_reason_ = why;
    return t;
  }
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)), undefined_reason_(nullptr) {}
  /// Takes an xtensor array without copying its values (T: float, double, std::int64_t, bool).
  template <class T> explicit Tensor(xt::xarray<T> values);

  bool defined() const { return impl_ != nullptr; }

  const Shape& shape() const { return impl().shape; }
  /// Length of one axis (negative counts from the end).
  std::size_t size(std::ptrdiff_t axis) const;
  std::size_t dim() const { return impl().shape.size(); }
  std::size_t numel() const { return descent::numel(impl().shape); }
  Dtype dtype() const { return impl().dtype; }
  const Strides& strides() const { return impl().strides; }
  bool is_contiguous() const;

  /// Pointer to the first element; throws if T does not match dtype().
  template <class T> T* data() const;
  /// The single value of a one-element tensor, converted to T.
  template <class T = double> T item() const;
  /// One element by index, negative indices counting from the end.
  double at(std::initializer_list<std::ptrdiff_t> index) const;

  /// A copy converted to `dtype` (this tensor itself if it already has it). Differentiable.
  Tensor to(Dtype dtype) const;
  /// This tensor if its elements are in row-major order, otherwise a row-major copy. Differentiable.
  Tensor contiguous() const;
  /// A copy of the values that shares nothing with this tensor. Differentiable.
  Tensor clone() const;
  /// Copies `source`'s values into this tensor's storage (broadcast to its shape, converted to its
  /// dtype), also into a view (a row, a transpose); a source overlapping this tensor is read whole
  /// first (NumPy's result). Not recorded, so refused on a tensor that requires grad while grad
  /// mode is on: for initialisers and optimizer updates, under NoGradGuard. Returns *this.
  Tensor& copy_(const Tensor& source);
  /// In-place arithmetic with a scalar, like PyTorch's x.mul_(2): changes the values of this tensor
  /// (and of every view of them) without allocating. Not recorded, so refused on a tensor that
  /// requires grad while grad mode is on. Returns *this.
  Tensor& add_(double value);
  Tensor& sub_(double value);
  Tensor& mul_(double value);
  Tensor& div_(double value);
  /// Makes this handle (and every copy of it) refer to `source`'s values, shape and dtype, keeping
  /// its autograd identity: how Module::to(dtype) converts parameters an optimizer also holds.
  void set_data(const Tensor& source);
  /// How many in-place writes the storage has seen (PyTorch's x._version).
  std::uint64_t version() const { return impl().version->load(std::memory_order_relaxed); }
  /// Marks the values as changed in place: for code that writes through data<T>() (an optimizer's
  /// update, a custom in-place kernel), so that backward refuses stale saved values.
  void bump_version() const { impl().version->fetch_add(1, std::memory_order_relaxed); }
  /// A copy of the values as an xtensor array (T must match dtype()).
  template <class T> xt::xarray<T> to_xarray() const;
  template <class T> explicit operator xt::xarray<T>() const { return to_xarray<T>(); }

  // --- methods: the free functions of ops/*.hpp on this tensor, as torch::Tensor has them ---
  // (x.sum({1}, true) is sum(x, {1}, true); defined in lib/tensor_methods.cpp.)
  Tensor sum() const;
  Tensor sum(const Axes& axes, bool keepdim = false) const;
  Tensor sum(AllAxes, bool keepdim) const;
  Tensor mean() const;
  Tensor mean(const Axes& axes, bool keepdim = false) const;
  Tensor mean(AllAxes, bool keepdim) const;
  Tensor max() const;
  Tensor max(const Axes& axes, bool keepdim = false) const;
  Tensor max(AllAxes, bool keepdim) const;
  Tensor min() const;
  Tensor min(const Axes& axes, bool keepdim = false) const;
  Tensor min(AllAxes, bool keepdim) const;
  Tensor argmax(std::ptrdiff_t axis, bool keepdim = false) const;
  Tensor reshape(const std::vector<std::ptrdiff_t>& shape) const;
  /// reshape() that never copies: an error when the values' layout cannot take `shape` (PyTorch's view).
  Tensor view(const std::vector<std::ptrdiff_t>& shape) const;
  Tensor flatten(std::ptrdiff_t start = 0, std::ptrdiff_t end = -1) const;
  Tensor squeeze() const;
  Tensor squeeze(std::ptrdiff_t axis) const;
  Tensor unsqueeze(std::ptrdiff_t axis) const;
  /// The transpose of a 2-D tensor; a 0-D or 1-D tensor unchanged (PyTorch's t()).
  Tensor t() const;
  Tensor transpose(std::ptrdiff_t axis0, std::ptrdiff_t axis1) const;
  Tensor permute(const Axes& axes) const;
  Tensor matmul(const Tensor& other) const;
  Tensor pow(double exponent) const;
  Tensor pow(const Tensor& exponent) const;
  Tensor exp() const;
  Tensor log() const;
  Tensor sqrt() const;
  Tensor abs() const;
  Tensor neg() const;
  Tensor clamp(double min, double max) const;
  Tensor relu() const;
  Tensor sigmoid() const;
  Tensor tanh() const;
  Tensor softmax(std::ptrdiff_t axis) const;
  Tensor log_softmax(std::ptrdiff_t axis) const;

  // --- autograd -------------------------------------------------------------------------
  bool requires_grad() const { return impl().requires_grad; }
  /// Marks a leaf as a parameter to differentiate (floating dtypes only). Returns *this.
  Tensor& requires_grad_(bool enabled = true);
  /// The gradient accumulated by backward(). Undefined until then, and always for a tensor that is
  /// not a leaf: using that undefined tensor is an error that says which case it is.
  Tensor grad() const;
  /// Forgets the accumulated gradient (PyTorch's set_to_none=True).
  void zero_grad();
  /// A tensor sharing the values but cut from the graph: a leaf that does not require grad.
  Tensor detach() const;
  /// True unless this tensor was produced by a recorded operation.
  bool is_leaf() const { return impl().grad_fn == nullptr; }
  const std::shared_ptr<autograd::Node>& grad_fn() const { return impl().grad_fn; }
  /// Back-propagates from this tensor: from a scalar with gradient 1, or with an explicit
  /// gradient of this tensor's shape. The graph is released unless retain_graph is true.
  void backward(const Tensor& gradient = Tensor(), bool retain_graph = false) const;
  /// backward() with PyTorch's keywords: {.retain_graph, .create_graph, .inputs}.
  void backward(const Tensor& gradient, const autograd::BackwardOptions& options) const;
  /// Calls `hook` with this tensor's gradient during backward passes (the sum over its uses); the
  /// hook may return a replacement, or an undefined tensor to keep it (autograd/hooks.hpp).
  autograd::RemovableHandle register_hook(std::function<Tensor(const Tensor& grad)> hook) const;
  /// Calls `hook` with this leaf once backward() has accumulated the pass's gradient into its .grad().
  autograd::RemovableHandle register_post_accumulate_grad_hook(std::function<void(const Tensor& tensor)> hook) const;

  TensorImpl& impl() const {
    if (!impl_) throw_undefined();
    return *impl_;
  }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  /// True if both handles point to the same tensor.
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }

 private:
  [[noreturn]] void throw_undefined() const;
  std::shared_ptr<TensorImpl> impl_;
  // Set by every constructor: a default member initializer would be needed before the class ends,
  // for the Tensor() default arguments above.
  const char* undefined_reason_;  ///< why an undefined tensor is undefined, when known
};

/// NumPy-style printing: tensor([[1., 2.], [3., 4.]], dtype=float32).
std::ostream& operator<<(std::ostream& out, const Tensor& tensor);
std::string to_string(const Tensor& tensor);

// --- creation -------------------------------------------------------------------------------
/// Uninitialised values.
Tensor empty(const Shape& shape, Dtype dtype = float32);
Tensor zeros(const Shape& shape, Dtype dtype = float32);
Tensor ones(const Shape& shape, Dtype dtype = float32);
Tensor full(const Shape& shape, double value, Dtype dtype = float32);
Tensor zeros_like(const Tensor& like);
Tensor ones_like(const Tensor& like);
Tensor full_like(const Tensor& like, double value);
/// [0, end) and [start, end) by step, like numpy.arange.
Tensor arange(double end, Dtype dtype = float32);
Tensor arange(double start, double end, double step = 1, Dtype dtype = float32);
/// Identity matrix n×n or n×m.
Tensor eye(std::size_t n, Dtype dtype = float32);
Tensor eye(std::size_t n, std::size_t m, Dtype dtype = float32);
/// A number or a braced list of NestedLists, as torch::tensor takes them: each level of braces is
/// one axis, so {{1.0}, {2.0}, {3.0}} is a column (3, 1) and {} is (0,). Integers are kept exactly
/// (an int64 tensor of 2^62 + 1 holds 2^62 + 1).
class NestedList {
 public:
  NestedList(double value) : number_(value), integer_(false) {}
  template <class I>
    requires(std::is_integral_v<I> && !std::is_same_v<I, bool>)
  NestedList(I value) : integer_value_(static_cast<std::int64_t>(value)), number_(double(value)) {}
  NestedList(bool value) : integer_value_(value), number_(value) {}
  NestedList(std::initializer_list<NestedList> items) : items_(items), list_(true) {}

  bool is_list() const { return list_; }
  const std::vector<NestedList>& items() const { return items_; }
  double number() const { return number_; }
  bool is_integer() const { return integer_; }
  std::int64_t integer() const { return integer_value_; }

 private:
  std::vector<NestedList> items_;
  std::int64_t integer_value_ = 0;
  double number_ = 0;
  bool integer_ = true;
  bool list_ = false;
};
/// From a number or (nested) braced lists of numbers: tensor({{1, 2}, {3, 4}}), tensor(3.5),
/// tensor({1, 2}, float64), tensor({{1.0}, {2.0}}) (a column), tensor({3, 1, 2}, int64). Lists of
/// one level must all have the same length ("tensor: ragged list ..." otherwise).
Tensor tensor(const NestedList& values, Dtype dtype = float32);
namespace detail {
Tensor tensor_from_values(xt::xarray<double> values, Dtype dtype);
}
/// A copy of an xtensor array or expression's values, converted to `dtype`.
template <class E> Tensor tensor(const xt::xexpression<E>& values, Dtype dtype = float32) {
  return detail::tensor_from_values(xt::xarray<double>(values), dtype);
}
/// A copy of `numel(shape)` values read from a raw buffer.
template <class T> Tensor from_buffer(const T* values, const Shape& shape);
/// Wraps a raw buffer without copying; `owner` (may be empty) is kept alive with the tensor.
template <class T> Tensor from_blob(T* values, const Shape& shape, std::shared_ptr<void> owner = {});

}  // namespace descent

#include "descent/autograd/backward_options.hpp"  // completes Tensor::backward(gradient, options)
#include "descent/autograd/hooks.hpp"             // completes register_hook's handle
