#include "descent/tensor.hpp"

#include <cstring>

#include "descent/autograd/engine.hpp"
#include "descent/autograd/function.hpp"
#include "descent/ops/shape.hpp"
#include "detail/dispatch.hpp"
#include "kernels/copy.hpp"

namespace descent {

template <class T> Tensor::Tensor(xt::xarray<T> values) : undefined_reason_(nullptr) {
  auto owner = std::make_shared<xt::xarray<T>>(std::move(values));
  Shape shape(owner->shape().begin(), owner->shape().end());
  Strides strides = contiguous_strides(shape);
  void* data = owner->data();
  impl_ = std::make_shared<TensorImpl>(adopt_storage(std::move(owner)), data, std::move(shape), std::move(strides), dtype_of<T>());
}

void Tensor::throw_undefined() const {
  if (undefined_reason_) throw Error(std::string("Tensor: use of an undefined tensor: ") + undefined_reason_);
  throw Error("Tensor: use of an undefined tensor");
}

std::size_t Tensor::size(std::ptrdiff_t axis) const {
  return shape()[normalize_axis("size", axis, dim(), shape())];
}

bool Tensor::is_contiguous() const {
  const auto& s = impl();
  std::ptrdiff_t expected = 1;
  for (std::size_t i = s.shape.size(); i-- > 0;) {
    if (s.shape[i] != 1 && s.strides[i] != expected) return false;
    expected *= static_cast<std::ptrdiff_t>(s.shape[i]);
  }
  return true;
}

template <class T> T* Tensor::data() const {
  DESCENT_CHECK(dtype_of<T>() == dtype(), "data", "the tensor holds ", to_string(dtype()), ", not ",
                to_string(dtype_of<T>()));
  return static_cast<T*>(impl().data);
}

namespace {
std::ptrdiff_t element_offset(const Tensor& t, std::initializer_list<std::ptrdiff_t> index) {
  DESCENT_CHECK(index.size() == t.dim(), "at", "expected ", t.dim(), " indices for shape ", to_string(t.shape()),
                ", got ", index.size());
  std::ptrdiff_t offset = 0;
  std::size_t axis = 0;
  for (auto i : index) {
    const auto n = static_cast<std::ptrdiff_t>(t.shape()[axis]);
    DESCENT_CHECK(i >= -n && i < n, "at", "index ", i, " out of range for axis ", axis, " of shape ",
                  to_string(t.shape()));
    offset += (i < 0 ? i + n : i) * t.strides()[axis];
    ++axis;
  }
  return offset;
}
}  // namespace

template <class T> T Tensor::item() const {
  DESCENT_CHECK(numel() == 1, "item", "only a one-element tensor has an item, got shape ", to_string(shape()));
  return detail::dispatch(dtype(), [&](auto e) { return static_cast<T>(*static_cast<decltype(e)*>(impl().data)); });
}

double Tensor::at(std::initializer_list<std::ptrdiff_t> index) const {
  const auto offset = element_offset(*this, index);
  return detail::dispatch(dtype(), [&](auto e) {
    return static_cast<double>(static_cast<decltype(e)*>(impl().data)[offset]);
  });
}

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  Tensor out = empty(shape(), dtype());
  kernels::copy_to_contiguous(*this, out.impl().data);
  // d(contiguous(x))/dx = identity
  return autograd::record("contiguous", out, {*this}, [](const Tensor& grad) { return std::vector<Tensor>{grad}; });
}

Tensor Tensor::clone() const {
  Tensor out = empty(shape(), dtype());
  kernels::copy_to_contiguous(*this, out.impl().data);
  // d(clone(x))/dx = identity
  return autograd::record("clone", out, {*this}, [](const Tensor& grad) { return std::vector<Tensor>{grad}; });
}

namespace {
// Casting a float to int64 truncates toward zero (like PyTorch) when the result fits; for NaN, ±inf
// and values outside [-2^63, 2^63) it is undefined behaviour (PyTorch returns INT64_MIN): refuse them.
template <class From> void check_fits_int64(const From* values, const Tensor& t) {
  const auto fits = [](From v) { return (v >= From(-0x1p63)) & (v < From(0x1p63)); };  // false for NaN
  std::size_t misfits = 0;
  for (std::size_t i = 0, n = t.numel(); i < n; ++i) misfits += !fits(values[i]);  // no branch: vectorises
  if (misfits == 0) return;
  const auto i = static_cast<std::size_t>(std::find_if_not(values, values + t.numel(), fits) - values);
  const auto index = xt::unravel_index(i, t.shape());
  throw Error(detail::concat("to(int64): value ", values[i], " at index ", to_string(Shape(index.begin(), index.end())),
                             " of a ", to_string(t.dtype()), " ", to_string(t.shape()),
                             " tensor cannot be converted to int64 (finite values in [-2^63, 2^63) only)"));
}
}  // namespace

Tensor Tensor::to(Dtype target) const {
  if (target == dtype()) return *this;
  Tensor src = contiguous();
  Tensor out = empty(shape(), target);
  detail::dispatch(dtype(), [&](auto from) {
    detail::dispatch(target, [&](auto to) {
      using From = decltype(from);
      using To = decltype(to);
      const From* s = static_cast<const From*>(src.impl().data);
      To* d = static_cast<To*>(out.impl().data);
      if constexpr (std::is_floating_point_v<From> && std::is_same_v<To, std::int64_t>) check_fits_int64(s, src);
      for (std::size_t i = 0, n = numel(); i < n; ++i) d[i] = static_cast<To>(s[i]);
    });
  });
  if (!is_floating(target) || !is_floating(dtype())) return out;
  // d(to(x))/dx = identity, converted back to x's dtype
  const Dtype source = dtype();
  return autograd::record("to", out, {*this}, [source](const Tensor& grad) { return std::vector<Tensor>{grad.to(source)}; });
}

template <class T> xt::xarray<T> Tensor::to_xarray() const {
  DESCENT_CHECK(dtype_of<T>() == dtype(), "to_xarray", "the tensor holds ", to_string(dtype()), ", not ",
                to_string(dtype_of<T>()), " (convert with .to(dtype) first)");
  auto out = xt::xarray<T>::from_shape(shape());
  kernels::copy_to_contiguous(*this, out.data());
  return out;
}

Tensor& Tensor::requires_grad_(bool enabled) {
  DESCENT_CHECK(!enabled || is_floating(dtype()), "requires_grad_",
                "only float32 and float64 tensors can require gradients, got ", to_string(dtype()));
  DESCENT_CHECK(is_leaf(), "requires_grad_", "can only be changed on a leaf tensor (use detach() first)");
  impl().requires_grad = enabled;
  return *this;
}

Tensor& Tensor::copy_(const Tensor& source) {
  DESCENT_CHECK(!(requires_grad() && autograd::is_grad_enabled()), "copy_",
                "a tensor that requires grad cannot be changed in place while recording (use NoGradGuard)");
  for (std::size_t i = 0; i < dim(); ++i)  // a broadcast view would get several values per element
    DESCENT_CHECK(strides()[i] != 0 || shape()[i] == 1, "copy_", "the destination ", to_string(shape()),
                  " repeats its elements (a broadcast view, stride 0 along axis ", i, "): it cannot be written");
  DESCENT_CHECK(broadcast_shapes("copy_", source.shape(), shape()) == shape(), "copy_", "cannot copy ",
                to_string(source.shape()), " into ", to_string(shape()));
  NoGradGuard no_grad;
  Tensor values = broadcast_to(source.detach(), shape()).to(dtype());
  // A source that overlaps the destination (x.copy_(transpose(x))) is read whole before anything
  // is written, as NumPy does.
  if (kernels::may_overlap(*this, values)) values = values.clone();
  kernels::copy(*this, values);
  bump_version();
  return *this;
}

void Tensor::set_data(const Tensor& source) {
  auto& self = impl();
  const auto& other = source.impl();
  self.owner = other.owner;
  self.version = other.version;
  self.data = other.data;
  self.shape = other.shape;
  self.strides = other.strides;
  self.dtype = other.dtype;
  self.grad.reset();
}

Tensor Tensor::grad() const {
  const TensorImpl& self = impl();
  if (self.grad) return Tensor(self.grad);
  if (self.grad_fn)
    return undefined_because(
        "grad() of a tensor that is not a leaf: backward() accumulates .grad() only in leaves (tensors "
        "made with requires_grad_(), such as parameters); use autograd::grad() for a result's gradient");
  if (!self.requires_grad)
    return undefined_because("grad() of a tensor that does not require grad: call requires_grad_() on it before "
                             "the forward pass and backward()");
  return undefined_because("grad() of a leaf with no gradient yet: backward() has not reached it since it was "
                           "created or since zero_grad()");
}

void Tensor::zero_grad() { impl().grad.reset(); }

Tensor Tensor::detach() const {
  const TensorImpl& self = impl();
  Tensor out(std::make_shared<TensorImpl>(self.storage(), self.data, self.shape, self.strides, self.dtype));
  autograd::trace_op("detach", out, {this, 1});  // the same values: a tracer follows them through
  return out;
}

void Tensor::backward(const Tensor& gradient, bool retain_graph) const {
  autograd::backward(*this, gradient, retain_graph);
}

void Tensor::backward(const Tensor& gradient, const autograd::BackwardOptions& options) const {
  DESCENT_CHECK(defined(), "backward", "called on an undefined tensor");
  autograd::backward({*this}, {gradient}, options);
}

template <class T> Tensor from_buffer(const T* values, const Shape& shape) {
  Tensor out = empty(shape, dtype_of<T>());
  // Nothing to copy from an empty buffer, whose pointer may be null (an empty std::vector's data()):
  // memcpy's arguments must not be, even for 0 bytes.
  if (numel(shape) > 0) std::memcpy(out.data<T>(), values, numel(shape) * sizeof(T));
  return out;
}

template <class T> Tensor from_blob(T* values, const Shape& shape, std::shared_ptr<void> owner) {
  return Tensor(
      std::make_shared<TensorImpl>(adopt_storage(std::move(owner)), values, shape, contiguous_strides(shape), dtype_of<T>()));
}

#define DESCENT_INSTANTIATE(T)                                                   \
  template Tensor::Tensor(xt::xarray<T>);                                        \
  template T* Tensor::data<T>() const;                                           \
  template T Tensor::item<T>() const;                                            \
  template xt::xarray<T> Tensor::to_xarray<T>() const;                           \
  template Tensor from_buffer<T>(const T*, const Shape&);                        \
  template Tensor from_blob<T>(T*, const Shape&, std::shared_ptr<void>);
DESCENT_INSTANTIATE(float)
DESCENT_INSTANTIATE(double)
DESCENT_INSTANTIATE(std::int64_t)
DESCENT_INSTANTIATE(bool)
#undef DESCENT_INSTANTIATE
template int Tensor::item<int>() const;

}  // namespace descent
