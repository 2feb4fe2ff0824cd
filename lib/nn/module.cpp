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

Tensor Module::register_parameter(std::string name, Tensor value) {
  DESCENT_CHECK(value.defined(), "register_parameter", "parameter \"", name, "\" is undefined");
  for (const auto& [existing, _] : parameters_)
    DESCENT_CHECK(existing != name, "register_parameter", "a parameter named \"", name, "\" exists already");
  if (!value.is_leaf()) value = value.detach();
  value.requires_grad_();
  parameters_.emplace_back(std::move(name), value);
  return value;
}

void Module::add_child(std::string name, std::shared_ptr<Module> module) {
  DESCENT_CHECK(module != nullptr, "register_module", "module \"", name, "\" is null");
  for (const auto& [existing, _] : children_)
    DESCENT_CHECK(existing != name, "register_module", "a module named \"", name, "\" exists already");
  children_.emplace_back(std::move(name), std::move(module));
}

std::vector<std::pair<std::string, Tensor>> Module::named_parameters() const {
  std::vector<std::pair<std::string, Tensor>> out(parameters_.begin(), parameters_.end());
  for (const auto& [prefix, child] : children_)
    for (auto& [name, p] : child->named_parameters()) out.emplace_back(prefix + "." + name, p);
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [_, p] : named_parameters()) out.push_back(p);
  return out;
}

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
  if (!input_shape.empty() && !parameters().empty()) {
    // One forward pass on zeros so that every module called through operator() notes its output shape.
    NoGradGuard no_grad;
    auto& self = const_cast<Module&>(*this);
    const bool was_training = training_;
    self.eval();
    self(zeros(input_shape, parameters().front().dtype()));
    self.train(was_training);
  }
  auto shape_of = [&](const Module& m) {
    return !input_shape.empty() && m.has_output_shape_ ? to_string(m.last_output_shape_) : std::string("?");
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
