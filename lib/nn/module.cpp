#include "descent/nn/module.hpp"

#include <functional>
#include <iomanip>
#include <sstream>

#include "descent/autograd/grad_mode.hpp"

namespace descent::nn {

Tensor Module::operator()(const Tensor& input) {
  Tensor output = forward(input);
  last_output_shape_ = output.shape();
  has_output_shape_ = true;
  return output;
}

std::string Module::describe() const { return "Module"; }

void Module::check_name_free(const char* op, const std::string& name) const {
  const auto taken = [&](const auto& named) {
    for (const auto& [existing, _] : named)
      if (existing == name) return true;
    return false;
  };
  DESCENT_CHECK(!taken(parameters_), op, "a parameter named \"", name, "\" exists already");
  DESCENT_CHECK(!taken(buffers_), op, "a buffer named \"", name, "\" exists already");
  DESCENT_CHECK(!taken(children_), op, "a module named \"", name, "\" exists already");
}

Tensor Module::register_parameter(std::string name, Tensor value) {
  DESCENT_CHECK(value.defined(), "register_parameter", "parameter \"", name, "\" is undefined");
  check_name_free("register_parameter", name);
  if (!value.is_leaf()) value = value.detach();
  value.requires_grad_();
  parameters_.emplace_back(std::move(name), value);
  return value;
}

Tensor Module::register_buffer(std::string name, Tensor value) {
  DESCENT_CHECK(value.defined(), "register_buffer", "buffer \"", name, "\" is undefined");
  check_name_free("register_buffer", name);
  if (value.requires_grad()) value = value.detach();
  buffers_.emplace_back(std::move(name), value);
  return value;
}

void Module::add_child(std::string name, std::shared_ptr<Module> module) {
  DESCENT_CHECK(module != nullptr, "register_module", "module \"", name, "\" is null");
  check_name_free("register_module", name);
  children_.emplace_back(std::move(name), std::move(module));
}

namespace {
/// `own` followed by each child's `of(child)`, the child's names prefixed with "<child>.".
template <class Of>
std::vector<std::pair<std::string, Tensor>> with_children(
    std::vector<std::pair<std::string, Tensor>> out,
    const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children, Of of) {
  for (const auto& [prefix, child] : children)
    for (auto& [name, t] : of(*child)) out.emplace_back(prefix + "." + name, t);
  return out;
}

std::vector<Tensor> values_of(const std::vector<std::pair<std::string, Tensor>>& named) {
  std::vector<Tensor> out;
  for (const auto& [_, t] : named) out.push_back(t);
  return out;
}
}  // namespace

std::vector<std::pair<std::string, Tensor>> Module::named_buffers() const {
  return with_children({buffers_.begin(), buffers_.end()}, children_, [](const Module& m) { return m.named_buffers(); });
}

std::vector<Tensor> Module::buffers() const { return values_of(named_buffers()); }

std::vector<std::pair<std::string, Tensor>> Module::state_dict() const {
  std::vector<std::pair<std::string, Tensor>> own(parameters_.begin(), parameters_.end());
  own.insert(own.end(), buffers_.begin(), buffers_.end());
  return with_children(std::move(own), children_, [](const Module& m) { return m.state_dict(); });
}

std::vector<std::pair<std::string, Tensor>> Module::named_parameters() const {
  return with_children({parameters_.begin(), parameters_.end()}, children_,
                       [](const Module& m) { return m.named_parameters(); });
}

std::vector<Tensor> Module::parameters() const { return values_of(named_parameters()); }

std::size_t Module::num_parameters() const {
  std::size_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

void Module::zero_grad() {
  for (auto& p : parameters()) p.zero_grad();
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [_, child] : children_) child->train(on);
}

void Module::to(Dtype dtype) {
  for (auto& p : parameters())
    if (p.dtype() != dtype) p.set_data(p.detach().to(dtype));
  for (auto& b : buffers())
    if (is_floating(b.dtype()) && b.dtype() != dtype) b.set_data(b.to(dtype));
}

namespace {
struct Row {
  std::string name, type, shape;
  std::size_t params;
};

void collect_rows(const Module& m, const std::string& name, std::vector<Row>& rows, bool is_root,
                  const std::function<std::string(const Module&)>& shape_of) {
  if (!is_root) {
    std::size_t own = m.num_parameters();
    rows.push_back({name, m.describe(), shape_of(m), own});
  }
  for (const auto& [child_name, child] : m.named_children())
    collect_rows(*child, name.empty() ? child_name : name + "." + child_name, rows, false, shape_of);
}
}  // namespace

std::string Module::summary(const Shape& input_shape) const {
  if (input_shape.empty() || parameters().empty()) return table(false);
  return summary(zeros(input_shape, parameters().front().dtype()));
}

std::string Module::summary(const Tensor& example_input) const {
  // One forward pass so that every module called through operator() notes its output shape.
  {
    NoGradGuard no_grad;
    auto& self = const_cast<Module&>(*this);
    const bool was_training = training_;
    self.eval();
    self(example_input);
    self.train(was_training);
  }
  return table(true);
}

std::string Module::table(bool with_shapes) const {
  auto shape_of = [&](const Module& m) {
    return with_shapes && m.has_output_shape_ ? to_string(m.last_output_shape_) : std::string("?");
  };
  std::vector<Row> rows;
  collect_rows(*this, "", rows, true, shape_of);
  if (rows.empty()) rows.push_back({"", describe(), shape_of(*this), num_parameters()});

  std::size_t wn = 5, wt = 5, ws = 12;
  for (const auto& r : rows) {
    wn = std::max(wn, r.name.size());
    wt = std::max(wt, r.type.size());
    ws = std::max(ws, r.shape.size());
  }
  std::ostringstream out;
  const std::string rule(wn + wt + ws + 18, '-');
  out << describe() << "\n" << rule << "\n"
      << std::left << std::setw(static_cast<int>(wn + 2)) << "name" << std::setw(static_cast<int>(wt + 2)) << "layer"
      << std::setw(static_cast<int>(ws + 2)) << "output shape" << std::right << std::setw(12) << "params" << "\n"
      << rule << "\n";
  for (const auto& r : rows)
    out << std::left << std::setw(static_cast<int>(wn + 2)) << r.name << std::setw(static_cast<int>(wt + 2)) << r.type
        << std::setw(static_cast<int>(ws + 2)) << r.shape << std::right << std::setw(12) << r.params << "\n";
  out << rule << "\n" << "total parameters: " << num_parameters() << "\n";
  return out.str();
}

}  // namespace descent::nn
