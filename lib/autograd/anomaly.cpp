#include "descent/autograd/anomaly.hpp"

#include <cmath>
#include <optional>
#include <sstream>

// The call stack as program counters now, symbolised (names, and file:line where there is debug
// information) only when an anomaly is reported: Boost.Stacktrace over libbacktrace.
#define BOOST_STACKTRACE_LINK
#define BOOST_STACKTRACE_USE_BACKTRACE
#include <boost/stacktrace.hpp>

#include "descent/autograd/node.hpp"
#include "detail/dispatch.hpp"

namespace descent::autograd {

struct RecordSite {
  boost::stacktrace::stacktrace stack;
};

namespace {

thread_local bool anomaly_enabled = false;

// Anomaly mode off while checking: the checks run ops themselves (contiguous copies).
class Pause {
 public:
  Pause() { anomaly_enabled = false; }
  ~Pause() { anomaly_enabled = true; }
  Pause(const Pause&) = delete;
  Pause& operator=(const Pause&) = delete;
};

struct NonFinite {
  std::size_t index;  // flat, row-major
  double value;       // NaN, +Inf or -Inf
};

std::optional<NonFinite> first_non_finite(const Tensor& t) {
  if (!t.defined() || !is_floating(t.dtype())) return std::nullopt;
  const Tensor values = detail::contiguous_values(t);
  return detail::dispatch_floating("detect_anomaly", values.dtype(), [&](auto e) -> std::optional<NonFinite> {
    using T = decltype(e);
    const T* v = values.data<T>();
    for (std::size_t i = 0, n = values.numel(); i < n; ++i)
      if (!std::isfinite(v[i])) return NonFinite{i, static_cast<double>(v[i])};
    return std::nullopt;
  });
}

std::string kind(double value) { return std::isnan(value) ? "NaN" : value > 0 ? "Inf" : "-Inf"; }

// "(1, 2)" for flat index 5 of shape (2, 3).
std::string unravel(std::size_t flat, const Shape& shape) {
  std::vector<std::size_t> index(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    index[d] = flat % shape[d];
    flat /= shape[d];
  }
  std::ostringstream out;
  out << '(';
  for (std::size_t d = 0; d < index.size(); ++d) out << (d ? ", " : "") << index[d];
  out << (index.size() == 1 ? ",)" : ")");
  return out.str();
}

std::string describe(const NonFinite& found, const Tensor& t) {
  if (t.dim() == 0) return detail::concat(kind(found.value), " (a ", to_string(t.dtype()), " scalar)");
  return detail::concat(kind(found.value), " (first at index ", unravel(found.index, t.shape()), " of a ",
                        to_string(t.dtype()), " ", to_string(t.shape()), " tensor)");
}

// One frame per line, innermost first, down to main (what lies below it is the C runtime's).
std::string where(const boost::stacktrace::stacktrace& stack) {
  std::ostringstream out;
  for (std::size_t i = 0; i < stack.size(); ++i) {
    out << "  " << i << "# " << stack[i] << '\n';
    if (stack[i].name() == "main") break;
  }
  return out.str();
}

}  // namespace

bool is_anomaly_enabled() { return anomaly_enabled; }
void set_detect_anomaly(bool enabled) { anomaly_enabled = enabled; }

std::shared_ptr<const RecordSite> capture_record_site() {
  // Skips this function and attach(): the first frame is the op that recorded.
  return std::make_shared<RecordSite>(RecordSite{boost::stacktrace::stacktrace(2, 48)});
}

void check_forward(const char* name, const Tensor& result, std::span<const Tensor> inputs) {
  Pause pause;
  const std::optional<NonFinite> found = first_non_finite(result);
  if (!found) return;
  std::ostringstream message;
  message << "detect_anomaly: the forward of '" << name << "' produced " << describe(*found, result);
  bool from_inputs = false;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (const std::optional<NonFinite> in = first_non_finite(inputs[i])) {
      message << (from_inputs ? "; " : ", from inputs that already held it: ") << "input " << i << " holds "
              << describe(*in, inputs[i])
              << (inputs[i].grad_fn() ? "" : " and was not produced by a recorded op (data, or an in-place "
                                             "update such as an optimizer step)");
      from_inputs = true;
    }
  }
  if (!from_inputs) message << " from finite inputs";
  message << ". The op was called here (innermost first):\n" << where(boost::stacktrace::stacktrace(1, 48));
  throw AnomalyError(message.str());
}

void check_backward(const Node& node, const Tensor& grad_output, std::span<const Tensor> grads) {
  Pause pause;
  for (std::size_t i = 0; i < grads.size(); ++i) {
    const std::optional<NonFinite> found = first_non_finite(grads[i]);
    if (!found) continue;
    std::ostringstream message;
    message << "detect_anomaly: the backward of '" << node.name() << "' returned "
            << describe(*found, grads[i]) << " in the gradient for its input " << i;
    if (const std::optional<NonFinite> in = first_non_finite(grad_output))
      message << ", from an incoming gradient that already held " << describe(*in, grad_output);
    else
      message << " from a finite incoming gradient";
    message << ". The op was recorded here (innermost first):\n"
            << (node.recorded_at ? where(node.recorded_at->stack)
                                 : std::string("(unknown: recorded before anomaly detection was turned on)\n"));
    throw AnomalyError(message.str());
  }
}

void check_root_gradient(const Tensor& gradient) {
  Pause pause;
  if (const std::optional<NonFinite> found = first_non_finite(gradient))
    throw AnomalyError(detail::concat("detect_anomaly: the gradient given to backward() holds ",
                                      describe(*found, gradient)));
}

}  // namespace descent::autograd
