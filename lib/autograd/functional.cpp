// torch.autograd.functional's tools on top of autograd::grad: every one records f on fresh inputs
// and differentiates with create_graph where a second pass needs it.
#include "descent/autograd/functional.hpp"

#include "descent/autograd/engine.hpp"
#include "descent/autograd/grad_mode.hpp"
#include "descent/ops/elementwise.hpp"
#include "descent/ops/reduce.hpp"
#include "descent/ops/shape.hpp"
#include "detail/dispatch.hpp"
#include "detail/shape.hpp"

namespace descent::autograd::functional {

namespace {

/// The inputs as f will see them: new tensors that require grad, still connected to the caller's
/// graph when the results must be (create_graph), detached otherwise.
std::vector<Tensor> fresh_inputs(const char* op, const std::vector<Tensor>& inputs, bool create_graph) {
  DESCENT_CHECK(!inputs.empty(), op, "expected at least one input");
  std::vector<Tensor> out;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& x = inputs[i];
    DESCENT_CHECK(x.defined() && is_floating(x.dtype()), op, "input ", i, " must be a defined float32 or float64 tensor");
    out.push_back(create_graph && x.requires_grad() ? reshape(x, detail::signed_shape(x.shape()))
                                                    : x.detach().requires_grad_());
  }
  return out;
}

Tensor evaluate(const char* op, const Function& f, const std::vector<Tensor>& xs) {
  Tensor y = f(xs);
  DESCENT_CHECK(y.defined(), op, "the function returned an undefined tensor");
  return y;
}

/// Gradients of `outputs` along `v`, zeros (or an Error if strict) for inputs they do not reach.
std::vector<Tensor> gradients(const char* op, const Tensor& output, const std::vector<Tensor>& xs, const Tensor& v,
                              bool create_graph, bool strict) {
  std::vector<Tensor> grads(xs.size());
  if (output.requires_grad())
    grads = grad({output}, xs, {v}, {.retain_graph = true, .create_graph = create_graph, .allow_unused = true});
  for (std::size_t i = 0; i < xs.size(); ++i) {
    DESCENT_CHECK(grads[i].defined() || !strict, op, "the output does not depend on input ", i,
                  " (strict mode)");
    if (!grads[i].defined()) grads[i] = zeros_like(xs[i]);
  }
  return grads;
}

/// Results handed back: detached unless they must stay differentiable.
template <class Tensors> Tensors finish(Tensors ts, bool create_graph) {
  if (!create_graph)
    for (Tensor& t : ts) t = t.detach();
  return ts;
}

void check_like(const char* op, const std::vector<Tensor>& v, const std::vector<Tensor>& inputs) {
  DESCENT_CHECK(v.size() == inputs.size(), op, "got ", v.size(), " tangents for ", inputs.size(), " inputs");
  for (std::size_t i = 0; i < v.size(); ++i)
    DESCENT_CHECK(v[i].defined() && v[i].shape() == inputs[i].shape() && v[i].dtype() == inputs[i].dtype(), op,
                  "v[", i, "] must match input ", i, " (", to_string(inputs[i].dtype()), " ",
                  to_string(inputs[i].shape()), ")");
}

/// A tensor of `like`'s shape and dtype, 1 at flat position k and 0 elsewhere.
Tensor unit(const Tensor& like, std::size_t k) {
  Tensor e = zeros(like.shape(), like.dtype());
  detail::dispatch_floating("functional", like.dtype(), [&](auto z) { e.data<decltype(z)>()[k] = 1; });
  return e;
}

/// d y / d xs[i] for each i, of shape y's shape + xs[i]'s shape: one backward pass per element of y.
std::vector<Tensor> derivative(const char* op, const Tensor& y, const std::vector<Tensor>& xs, const Options& o) {
  std::vector<std::vector<Tensor>> rows(xs.size());
  for (std::size_t k = 0; k < y.numel(); ++k) {
    const std::vector<Tensor> g = gradients(op, y, xs, unit(y, k), o.create_graph, o.strict);
    for (std::size_t i = 0; i < xs.size(); ++i) rows[i].push_back(g[i]);
  }
  std::vector<Tensor> out;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    std::vector<std::ptrdiff_t> shape = detail::signed_shape(y.shape());
    for (auto d : xs[i].shape()) shape.push_back(static_cast<std::ptrdiff_t>(d));
    out.push_back(y.numel() == 0 ? zeros(Shape(shape.begin(), shape.end()), xs[i].dtype())
                                 : reshape(stack(rows[i]), shape));
  }
  return out;
}

}  // namespace

std::pair<Tensor, std::vector<Tensor>> vjp(const Function& f, const std::vector<Tensor>& inputs, const Tensor& v,
                                           const Options& o) {
  AutoGradMode recording(true);
  const std::vector<Tensor> xs = fresh_inputs("vjp", inputs, o.create_graph);
  const Tensor y = evaluate("vjp", f, xs);
  Tensor cotangent = v;
  if (!cotangent.defined()) {
    DESCENT_CHECK(y.numel() == 1, "vjp", "v can be left out only for a scalar output, got shape ", to_string(y.shape()));
    cotangent = ones_like(y);
  }
  DESCENT_CHECK(cotangent.shape() == y.shape() && cotangent.dtype() == y.dtype(), "vjp", "v ",
                to_string(cotangent.dtype()), " ", to_string(cotangent.shape()), " does not match the output ",
                to_string(y.dtype()), " ", to_string(y.shape()));
  std::vector<Tensor> g = gradients("vjp", y, xs, cotangent, o.create_graph, o.strict);
  return {o.create_graph ? y : y.detach(), finish(std::move(g), o.create_graph)};
}

std::pair<Tensor, Tensor> jvp(const Function& f, const std::vector<Tensor>& inputs, const std::vector<Tensor>& v,
                              const Options& o) {
  check_like("jvp", v, inputs);
  AutoGradMode recording(true);
  const std::vector<Tensor> xs = fresh_inputs("jvp", inputs, o.create_graph);
  const Tensor y = evaluate("jvp", f, xs);
  // uᵀ·J recorded as a function of u (any value: it is linear in u), then differentiated along v.
  const Tensor u = zeros_like(y).requires_grad_();
  const std::vector<Tensor> ujs = gradients("jvp", y, xs, u, true, o.strict);
  std::vector<Tensor> used_ujs, used_v;
  for (std::size_t i = 0; i < ujs.size(); ++i)
    if (ujs[i].requires_grad()) used_ujs.push_back(ujs[i]), used_v.push_back(v[i]);
  Tensor jv = zeros_like(y);
  if (!used_ujs.empty()) {
    const std::vector<Tensor> g = grad(used_ujs, {u}, used_v, {.create_graph = o.create_graph, .allow_unused = true});
    if (g[0].defined()) jv = g[0];
  }
  return {o.create_graph ? y : y.detach(), o.create_graph ? jv : jv.detach()};
}

std::pair<Tensor, std::vector<Tensor>> hvp(const Function& f, const std::vector<Tensor>& inputs,
                                           const std::vector<Tensor>& v, const Options& o) {
  check_like("hvp", v, inputs);
  AutoGradMode recording(true);
  const std::vector<Tensor> xs = fresh_inputs("hvp", inputs, o.create_graph);
  const Tensor y = evaluate("hvp", f, xs);
  DESCENT_CHECK(y.numel() == 1, "hvp", "the function must return a single value, got shape ", to_string(y.shape()));
  const std::vector<Tensor> g = gradients("hvp", y, xs, ones_like(y), true, o.strict);
  // H·v = d<g, v>/dx
  Tensor inner = zeros({}, y.dtype());
  for (std::size_t i = 0; i < g.size(); ++i) inner = inner + sum(g[i] * v[i]);
  std::vector<Tensor> hv = gradients("hvp", inner, xs, Tensor(), o.create_graph, o.strict);
  return {o.create_graph ? y : y.detach(), finish(std::move(hv), o.create_graph)};
}

std::vector<Tensor> jacobian(const Function& f, const std::vector<Tensor>& inputs, const Options& o) {
  AutoGradMode recording(true);
  const std::vector<Tensor> xs = fresh_inputs("jacobian", inputs, o.create_graph);
  return finish(derivative("jacobian", evaluate("jacobian", f, xs), xs, o), o.create_graph);
}

std::vector<std::vector<Tensor>> hessian(const Function& f, const std::vector<Tensor>& inputs, const Options& o) {
  AutoGradMode recording(true);
  const std::vector<Tensor> xs = fresh_inputs("hessian", inputs, o.create_graph);
  const Tensor y = evaluate("hessian", f, xs);
  DESCENT_CHECK(y.numel() == 1, "hessian", "the function must return a single value, got shape ",
                to_string(y.shape()));
  const std::vector<Tensor> g = gradients("hessian", y, xs, ones_like(y), true, o.strict);
  std::vector<std::vector<Tensor>> h;
  for (const Tensor& gi : g) h.push_back(finish(derivative("hessian", gi, xs, o), o.create_graph));
  return h;
}

}  // namespace descent::autograd::functional
