#include "descent/data/dataset.hpp"

#include <cstring>
#include <string>

#include "detail/dispatch.hpp"
#include "kernels/copy.hpp"

namespace descent::data {

namespace {

std::string describe(const Tensor& t) {
  return t.defined() ? to_string(t.shape()) + " " + to_string(t.dtype()) : std::string("(undefined)");
}

/// Stacks one part (inputs or targets) of the examples along a new axis 0 with raw copies.
Tensor stack_part(const std::vector<Batch>& examples, Tensor Batch::*part, const char* part_name,
                  const std::vector<std::size_t>& indices) {
  const Tensor& first = examples.front().*part;
  for (std::size_t i = 1; i < examples.size(); ++i) {
    const Tensor& t = examples[i].*part;
    const bool same = t.defined() == first.defined() &&
                      (!t.defined() || (t.dtype() == first.dtype() && t.shape() == first.shape()));
    DESCENT_CHECK(same, "get_batch", "example ", i, " (index ", indices[i], ") has ", part_name, " ", describe(t),
                  " but example 0 (index ", indices[0], ") has ", describe(first),
                  ": every example of a batch needs the same shape and dtype");
  }
  if (!first.defined()) return Tensor();
  const std::size_t bytes = first.numel() * element_size(first.dtype());
  Shape shape{examples.size()};
  shape.insert(shape.end(), first.shape().begin(), first.shape().end());
  Tensor out = empty(shape, first.dtype());
  if (bytes == 0) return out;
  auto* dst = static_cast<unsigned char*>(out.impl().data);
  for (const Batch& example : examples) {
    kernels::copy_to_contiguous(example.*part, dst);  // a plain memcpy for contiguous examples
    dst += bytes;
  }
  return out;
}

/// Rows `indices` of a contiguous tensor whose axis 0 has `rows` entries.
Tensor gather_rows(const Tensor& source, const std::vector<std::size_t>& indices) {
  Shape shape = source.shape();
  shape[0] = indices.size();
  Tensor out = empty(shape, source.dtype());
  const std::size_t rows = source.shape()[0];
  const std::size_t row_bytes = rows ? source.numel() / rows * element_size(source.dtype()) : 0;
  const auto* src = static_cast<const unsigned char*>(source.impl().data);
  auto* dst = static_cast<unsigned char*>(out.impl().data);
  for (std::size_t index : indices) {
    DESCENT_CHECK(index < rows, "TensorDataset", "index ", index, " out of range for a dataset of ", rows,
                  " examples");
    if (row_bytes > 0) std::memcpy(dst, src + index * row_bytes, row_bytes);
    dst += row_bytes;
  }
  return out;
}

}  // namespace

Batch Dataset::get_batch(const std::vector<std::size_t>& indices) const {
  DESCENT_CHECK(!indices.empty(), "get_batch", "no indices: a batch needs at least one example");
  std::vector<Batch> examples;
  examples.reserve(indices.size());
  for (std::size_t index : indices) examples.push_back(get(index));
  DESCENT_CHECK(examples.front().inputs.defined(), "get_batch", "example 0 (index ", indices[0],
                ") has undefined inputs");
  return {stack_part(examples, &Batch::inputs, "inputs", indices),
          stack_part(examples, &Batch::targets, "targets", indices)};
}

TensorDataset::TensorDataset(const Tensor& inputs, const Tensor& targets) {
  DESCENT_CHECK(inputs.defined() && targets.defined(), "TensorDataset", "inputs and targets must be defined tensors");
  DESCENT_CHECK(inputs.dim() >= 1 && targets.dim() >= 1, "TensorDataset",
                "inputs and targets need an example axis (axis 0), got inputs ", to_string(inputs.shape()),
                " and targets ", to_string(targets.shape()));
  DESCENT_CHECK(inputs.shape()[0] == targets.shape()[0], "TensorDataset", "inputs ", to_string(inputs.shape()),
                " and targets ", to_string(targets.shape()), " differ in their first dimension (the number of examples: ",
                inputs.shape()[0], " vs ", targets.shape()[0], ")");
  // Row-major values without autograd history: rows are then contiguous byte ranges.
  inputs_ = detail::contiguous_values(inputs).detach();
  targets_ = detail::contiguous_values(targets).detach();
}

std::size_t TensorDataset::size() const { return inputs_.shape()[0]; }

Batch TensorDataset::get(std::size_t index) const {
  Batch batch = TensorDataset::get_batch({index});
  const auto drop_batch_axis = [](Tensor& t) {
    t.impl().shape.erase(t.impl().shape.begin());
    t.impl().strides = contiguous_strides(t.impl().shape);
  };
  drop_batch_axis(batch.inputs);
  drop_batch_axis(batch.targets);
  return batch;
}

Batch TensorDataset::get_batch(const std::vector<std::size_t>& indices) const {
  return {gather_rows(inputs_, indices), gather_rows(targets_, indices)};
}

}  // namespace descent::data
