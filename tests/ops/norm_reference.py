# Reference values for tests/ops/test_norm.cpp and tests/nn/test_norm_layers.cpp, computed once with
# Debian's torch 1.13 in float64 and committed as literals (norm_values.inc):
#   /usr/bin/python3 tests/ops/norm_reference.py > tests/ops/norm_values.inc
# It also writes tests/io/files/pytorch_norm_mlp.npz: the state_dict of a small float32 model with
# BatchNorm1d, LayerNorm and GroupNorm trained a few SGD steps by PyTorch, saved with numpy.savez.
# Inputs are closed-form (sin/cos of the flat index), so the C++ tests build the same tensors:
#   filled(shape, a, b, c)[k] = a·sin(b·k + c); the upstream gradient is cos(0.37·k).
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from reference_values import emit, filled, upstream  # noqa: E402
from pytorch_state_dict import train_and_save  # noqa: E402

torch.set_default_dtype(torch.float64)


def grads(name, y, inputs):
    """Gradients of sum(y * cos(0.37 k)) for each named input."""
    gs = torch.autograd.grad(y, [t for _, t in inputs], upstream(y.shape))
    for (suffix, _), g in zip(inputs, gs):
        emit(f"{name}_d{suffix}", g)


# var / std
x = filled((3, 4, 5), 2.0, 1.3, 0.5).requires_grad_()
print("// var / std of filled((3, 4, 5), 2, 1.3, 0.5)")
y = torch.var(x)
emit("var_all", y)
grads("var_all", y, [("x", x)])
y = torch.var(x, (0, 2), correction=0, keepdim=True)
emit("var_02_c0_keep", y)
grads("var_02_c0_keep", y, [("x", x)])
y = torch.std(x, (1,), correction=1)
emit("std_1", y)
grads("std_1", y, [("x", x)])
y = torch.std(x, (0, 1, 2), correction=0)
emit("std_all_c0", y)
grads("std_all_c0", y, [("x", x)])

# batch_norm, training, (3, 4, 3, 5) with weight, bias and running statistics
print("// batch_norm in training on filled((3, 4, 3, 5), 1.5, 0.9, 0.2) + 0.3, weight 1 + 0.1c,")
print("// bias 0.2 - 0.05c, running_mean 0.1c, running_var 1 + 0.2c, momentum 0.1, eps 1e-5")
x = (filled((3, 4, 3, 5), 1.5, 0.9, 0.2) + 0.3).requires_grad_()
w = torch.tensor([1 + 0.1 * c for c in range(4)]).requires_grad_()
b = torch.tensor([0.2 - 0.05 * c for c in range(4)]).requires_grad_()
rm = torch.tensor([0.1 * c for c in range(4)])
rv = torch.tensor([1 + 0.2 * c for c in range(4)])
y = torch.nn.functional.batch_norm(x, rm, rv, w, b, True, 0.1, 1e-5)
emit("bn_train", y)
grads("bn_train", y, [("x", x), ("w", w), ("b", b)])
emit("bn_train_running_mean", rm)
emit("bn_train_running_var", rv)

# batch_norm, eval, (2, 3, 4)
print("// batch_norm in eval on filled((2, 3, 4), 1, 0.7, 0.1), running_mean 0.2c - 0.1,")
print("// running_var 0.5 + 0.3c, weight 0.8 + 0.2c, bias 0.1c, eps 1e-3")
x = filled((2, 3, 4), 1.0, 0.7, 0.1).requires_grad_()
w = torch.tensor([0.8 + 0.2 * c for c in range(3)]).requires_grad_()
b = torch.tensor([0.1 * c for c in range(3)]).requires_grad_()
rm = torch.tensor([0.2 * c - 0.1 for c in range(3)])
rv = torch.tensor([0.5 + 0.3 * c for c in range(3)])
y = torch.nn.functional.batch_norm(x, rm, rv, w, b, False, 0.1, 1e-3)
emit("bn_eval", y)
grads("bn_eval", y, [("x", x), ("w", w), ("b", b)])

# batch_norm, training, (5, 3), no affine, no running statistics
print("// batch_norm in training on filled((5, 3), 2, 0.55, 1), no weight, bias or running statistics")
x = filled((5, 3), 2.0, 0.55, 1.0).requires_grad_()
y = torch.nn.functional.batch_norm(x, None, None, None, None, True, 0.1, 1e-5)
emit("bn_plain", y)
grads("bn_plain", y, [("x", x)])

# layer_norm
print("// layer_norm of filled((2, 3, 4), 1.2, 0.8, 0.3) over (3, 4), weight filled((3, 4), 0.5, 0.4, 1) + 1,")
print("// bias filled((3, 4), 0.3, 0.6, 0)")
x = filled((2, 3, 4), 1.2, 0.8, 0.3).requires_grad_()
w = (filled((3, 4), 0.5, 0.4, 1.0) + 1).requires_grad_()
b = filled((3, 4), 0.3, 0.6, 0.0).requires_grad_()
y = torch.nn.functional.layer_norm(x, (3, 4), w, b, 1e-5)
emit("ln", y)
grads("ln", y, [("x", x), ("w", w), ("b", b)])
print("// layer_norm of filled((4, 5), 1, 1.1, 0.4) over (5), no affine, eps 1e-3")
x = filled((4, 5), 1.0, 1.1, 0.4).requires_grad_()
y = torch.nn.functional.layer_norm(x, (5,), None, None, 1e-3)
emit("ln_plain", y)
grads("ln_plain", y, [("x", x)])

# group_norm
print("// group_norm of filled((2, 6, 3, 2), 1.4, 0.65, 0.2) in 3 groups, weight 1 - 0.1c, bias 0.05c")
x = filled((2, 6, 3, 2), 1.4, 0.65, 0.2).requires_grad_()
w = torch.tensor([1 - 0.1 * c for c in range(6)]).requires_grad_()
b = torch.tensor([0.05 * c for c in range(6)]).requires_grad_()
y = torch.nn.functional.group_norm(x, 3, w, b, 1e-5)
emit("gn", y)
grads("gn", y, [("x", x), ("w", w), ("b", b)])
print("// group_norm of filled((3, 4, 5), 1, 0.45, 0.7) in 1 group, no affine")
x = filled((3, 4, 5), 1.0, 0.45, 0.7).requires_grad_()
y = torch.nn.functional.group_norm(x, 1, None, None, 1e-5)
emit("gn_plain", y)
grads("gn_plain", y, [("x", x)])

# BatchNorm2d(3, momentum=0.3): four training steps on filled((4, 3, 2, 3), 1 + t, 0.3 + 0.1t, t) + t,
# then eval on filled((2, 3, 2, 3), 1, 0.5, 0.5)
print("// BatchNorm2d(3, momentum=0.3) after four training forwards on filled((4, 3, 2, 3), 1 + t, 0.3 + 0.1t, t) + t,")
print("// t = 0..3; then its eval output on filled((2, 3, 2, 3), 1, 0.5, 0.5)")
bn = torch.nn.BatchNorm2d(3, momentum=0.3)
for t in range(4):
    bn(filled((4, 3, 2, 3), 1.0 + t, 0.3 + 0.1 * t, float(t)) + t)
emit("steps_running_mean", bn.running_mean)
emit("steps_running_var", bn.running_var)
bn.eval()
emit("steps_eval", bn(filled((2, 3, 2, 3), 1.0, 0.5, 0.5)))

# A float32 model trained by PyTorch, its state_dict saved with numpy.savez
torch.manual_seed(0)
torch.set_default_dtype(torch.float32)
model = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.BatchNorm1d(6), torch.nn.ReLU(),
                            torch.nn.Linear(6, 8), torch.nn.LayerNorm(8), torch.nn.GroupNorm(2, 8),
                            torch.nn.Linear(8, 3))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
inputs = filled((16, 4), 1.0, 0.9, 0.1).float()
targets = filled((16, 3), 1.0, 0.3, 0.7).float()
train_and_save(model, opt, torch.nn.functional.mse_loss, inputs, targets, 5, "pytorch_norm_mlp.npz")
print("// pytorch_norm_mlp.npz: Sequential(Linear(4, 6), BatchNorm1d(6), ReLU(), Linear(6, 8), LayerNorm(8),")
print("// GroupNorm(2, 8), Linear(8, 3)) in float32, 5 SGD steps (lr 0.1) of mse_loss on filled((16, 4), 1, 0.9, 0.1)")
print("// against filled((16, 3), 1, 0.3, 0.7); its state_dict keys in order, and its eval output on")
print("// filled((5, 4), 1.5, 0.35, 0.2)")
print("const std::vector<std::string> mlp_keys = {" + ", ".join(f'"{k}"' for k in model.state_dict()) + "};")
with torch.no_grad():
    emit("mlp_eval", model(filled((5, 4), 1.5, 0.35, 0.2).float()))
