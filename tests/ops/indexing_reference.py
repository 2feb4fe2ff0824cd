# Reference values for tests/ops/test_indexing.cpp, computed once with Debian's torch 1.13 in
# float64 and committed as literals (indexing_values.inc):
#   /usr/bin/python3 tests/ops/indexing_reference.py > tests/ops/indexing_values.inc
# Inputs are closed-form (sin of the flat index), so the C++ tests build the same tensors:
#   filled(shape, a, b, c)[k] = a·sin(b·k + c); the upstream gradient is cos(0.37·k). Indices and
#   masks are literals repeated in the test.
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from reference_values import emit, filled, upstream  # noqa: E402

torch.set_default_dtype(torch.float64)


def grads(name, y, inputs):
    """Gradients of sum(y * cos(0.37 k)) for each named input."""
    gs = torch.autograd.grad(y, [t for _, t in inputs], upstream(y.shape))
    for (suffix, _), g in zip(inputs, gs):
        emit(f"{name}_d{suffix}", g)


def case(name, y, inputs):
    emit(f"{name}_y", y)
    grads(name, y, inputs)


# embedding
print("// embedding of weight filled((6, 4), 1.3, 0.7, 0.2) at indices [[1, 3, 1], [5, 0, 3]]")
w = filled((6, 4), 1.3, 0.7, 0.2).requires_grad_()
idx = torch.tensor([[1, 3, 1], [5, 0, 3]])
case("embedding", F.embedding(idx, w), [("w", w)])
case("embedding_pad1", F.embedding(idx, w, padding_idx=1), [("w", w)])
case("embedding_pad_last", F.embedding(idx, w, padding_idx=-1), [("w", w)])

# masked_fill
print("// masked_fill of filled((2, 3, 4), 1.1, 0.6, 0.3) where mask (3, 4) is k % 3 == 0 (k its flat index)")
x = filled((2, 3, 4), 1.1, 0.6, 0.3).requires_grad_()
mask = (torch.arange(12) % 3 == 0).reshape(3, 4)
case("masked_fill", torch.masked_fill(x, mask, 0.7), [("x", x)])
v = torch.tensor(-0.4).requires_grad_()
case("masked_fill_tensor", torch.masked_fill(x, mask, v), [("x", x), ("v", v)])
print("// masked_fill of filled((4,), 1.1, 0.6, 0.3) (broadcast to the mask) with a 0-d value -0.4")
x4 = filled((4,), 1.1, 0.6, 0.3).requires_grad_()
case("masked_fill_bx", torch.masked_fill(x4, mask, v), [("x", x4), ("v", v)])

# triu / tril
print("// triu / tril of filled((2, 3, 4), 1.2, 0.9, 0.1)")
x = filled((2, 3, 4), 1.2, 0.9, 0.1).requires_grad_()
case("triu", torch.triu(x), [("x", x)])
case("triu_1", torch.triu(x, 1), [("x", x)])
case("tril_m1", torch.tril(x, -1), [("x", x)])
case("tril_2", torch.tril(x, 2), [("x", x)])

# gather
print("// gather of filled((3, 4), 1.5, 0.8, 0.4) along 1 at [[0, 3], [1, 1], [2, 0]], along 0 at [[2, 0, 1, 2], [0, 0, 2, 1]],")
print("// along 1 at [[3, 0, 3, 1, 2]] (longer than x along the indexed axis, shorter along the other)")
x = filled((3, 4), 1.5, 0.8, 0.4).requires_grad_()
case("gather_1", torch.gather(x, 1, torch.tensor([[0, 3], [1, 1], [2, 0]])), [("x", x)])
case("gather_0", torch.gather(x, 0, torch.tensor([[2, 0, 1, 2], [0, 0, 2, 1]])), [("x", x)])
case("gather_long", torch.gather(x, 1, torch.tensor([[3, 0, 3, 1, 2]])), [("x", x)])

# scatter_add
print("// scatter_add into filled((3, 5), 1, 0.5, 0.6) along 0 of src filled((2, 5), 0.8, 1.1, 0.2) at")
print("// [[0, 1, 2, 0, 1], [2, 1, 0, 0, 2]], along 1 at [[4, 0, 4, 1, 4], [3, 3, 3, 0, 1]] (repeats accumulate)")
x = filled((3, 5), 1.0, 0.5, 0.6).requires_grad_()
src = filled((2, 5), 0.8, 1.1, 0.2).requires_grad_()
case("scatter_add_0", torch.scatter_add(x, 0, torch.tensor([[0, 1, 2, 0, 1], [2, 1, 0, 0, 2]]), src),
     [("x", x), ("src", src)])
case("scatter_add_1", torch.scatter_add(x, 1, torch.tensor([[4, 0, 4, 1, 4], [3, 3, 3, 0, 1]]), src),
     [("x", x), ("src", src)])
print("// scatter_add into filled((3, 5), 1, 0.5, 0.6) along 1 of src filled((3, 6), 0.8, 1.1, 0.2) at index [[1, 4], [0, 0]]")
print("// (smaller than src, which is read in index's part only)")
emit("scatter_add_small_index",
     torch.scatter_add(x, 1, torch.tensor([[1, 4], [0, 0]]), filled((3, 6), 0.8, 1.1, 0.2)))

# cumsum
print("// cumsum of filled((3, 4, 2), 1.4, 0.45, 0.3)")
x = filled((3, 4, 2), 1.4, 0.45, 0.3).requires_grad_()
case("cumsum_0", torch.cumsum(x, 0), [("x", x)])
case("cumsum_1", torch.cumsum(x, 1), [("x", x)])
case("cumsum_last", torch.cumsum(x, -1), [("x", x)])
