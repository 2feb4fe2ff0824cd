# Reference values for test_functional.cpp, computed once with Debian's torch 1.13 in float64 with
# torch.autograd.functional and committed as literals (functional_values.inc):
#   /usr/bin/python3 tests/autograd/functional_reference.py > tests/autograd/functional_values.inc
# The inputs are the literal tensors the C++ test builds too.
import torch
from torch.autograd.functional import hessian, hvp, jacobian, jvp, vjp

torch.set_default_dtype(torch.float64)


def emit(name, t):
    values = ", ".join(repr(float(v)) for v in t.reshape(-1).tolist())
    print(f"const std::vector<double> {name} = {{{values}}};")


x = torch.tensor([0.3, -0.8, 1.1])
W = torch.tensor([[0.4, -0.3, 0.9], [-0.7, 0.2, 0.5]])
A = torch.tensor([[0.2, -0.5, 0.7], [1.1, 0.4, -0.3]])
B = torch.tensor([[0.6, -0.2], [0.1, 0.8], [-0.9, 0.3]])


def lse_tanh(x, W):
    return torch.logsumexp(torch.tanh(W @ x), 0)


def sig_mm(A, B):
    return torch.sigmoid(A @ B)


print("// hessian(logsumexp(tanh(W·x)), (x, W)): blocks xx, xW, Wx, WW")
H = hessian(lse_tanh, (x, W))
emit("hess_xx", H[0][0])
emit("hess_xw", H[0][1])
emit("hess_wx", H[1][0])
emit("hess_ww", H[1][1])
vx = torch.tensor([1.0, -2.0, 0.5])
vW = torch.tensor([[0.3, 0.0, -1.0], [2.0, 0.7, -0.4]])
print("// hvp of the same along (vx, vW)")
_, hv = hvp(lse_tanh, (x, W), (vx, vW))
emit("hvp_x", hv[0])
emit("hvp_w", hv[1])
print("// jacobian(softmax(x * x)) and jacobian(sigmoid(A·B), (A, B))")
emit("jac_softmax", jacobian(lambda x: torch.softmax(x * x, 0), x))
J = jacobian(sig_mm, (A, B))
emit("jac_a", J[0])
emit("jac_b", J[1])
u = torch.tensor([[1.0, -0.5], [0.25, 2.0]])
print("// vjp(sigmoid(A·B)) with u, jvp along (vA, vB)")
_, vj = vjp(sig_mm, (A, B), u)
emit("vjp_a", vj[0])
emit("vjp_b", vj[1])
vA = torch.tensor([[0.5, 0.1, -0.2], [0.0, 1.0, 0.3]])
vB = torch.tensor([[-1.0, 0.4], [0.2, 0.0], [0.6, -0.3]])
_, jv = jvp(sig_mm, (A, B), (vA, vB))
emit("jvp_ab", jv)
