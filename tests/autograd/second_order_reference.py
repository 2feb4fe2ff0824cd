# Second-order reference values for test_second_order.cpp, computed once with Debian's torch 1.13 in
# float64 and committed as literals (second_order_values.inc):
#   /usr/bin/python3 tests/autograd/second_order_reference.py > tests/autograd/second_order_values.inc
# Inputs are closed-form (sin/cos of their index), so the C++ test builds the same tensors.
import math
import torch

torch.set_default_dtype(torch.float64)


def filled(shape, f):
    t = torch.empty(shape)
    flat = t.view(-1)
    for k in range(flat.numel()):
        idx = []
        r = k
        for d in reversed(shape):
            idx.append(r % d)
            r //= d
        idx = list(reversed(idx))
        flat[k] = f(*idx)
    return t


def emit(name, t):
    values = ", ".join(repr(float(v)) for v in t.reshape(-1).tolist())
    print(f"const std::vector<double> {name} = {{{values}}};")


X = filled((4, 3), lambda i, j: math.sin(1 + i * 3 + j))
W1 = filled((5, 3), lambda i, j: 0.3 * math.cos(i * 3 + j * 2))
b1 = filled((5,), lambda i: 0.1 * i - 0.2)
W2 = filled((3, 5), lambda i, j: 0.25 * math.sin(2 * i + j))
b2 = filled((3,), lambda i: 0.05 * i)
labels = torch.tensor([0, 2, 1, 2])
params = [W1, b1, W2, b2]
for p in params:
    p.requires_grad_()

# A: Hessian-vector product of a tanh MLP's softmax cross-entropy, v[k] = cos(0.37 k) per parameter.
loss = torch.nn.functional.cross_entropy(torch.nn.functional.linear(torch.tanh(torch.nn.functional.linear(X, W1, b1)), W2, b2), labels)
grads = torch.autograd.grad(loss, params, create_graph=True)
vs = [filled(tuple(p.shape), lambda *i, p=p: 0) for p in params]
for v in vs:
    flat = v.view(-1)
    for k in range(flat.numel()):
        flat[k] = math.cos(0.37 * k)
inner = sum((g * v).sum() for g, v in zip(grads, vs))
hv = torch.autograd.grad(inner, params)
print("// A: Hessian-vector products of cross_entropy(linear(tanh(linear(X, W1, b1)), W2, b2)) for W1, b1, W2, b2")
for name, t in zip(["hvp_w1", "hvp_b1", "hvp_w2", "hvp_b2"], hv):
    emit(name, t)

# B: gradient penalty of a critic D(x) = linear(tanh(linear(x, W1, b1)), w2, c2): mean((|dD/dx| - 1)^2).
w2 = filled((1, 5), lambda i, j: 0.4 * math.cos(j + 0.5)).requires_grad_()
c2 = torch.tensor([0.1], requires_grad=True)
Xg = X.clone().requires_grad_()
D = torch.nn.functional.linear(torch.tanh(torch.nn.functional.linear(Xg, W1, b1)), w2, c2)
(gx,) = torch.autograd.grad(D.sum(), Xg, create_graph=True)
penalty = ((gx.pow(2).sum(1).sqrt() - 1) ** 2).mean()
pw1, pb1, pw2 = torch.autograd.grad(penalty, [W1, b1, w2])
print("// B: gradient penalty mean((sqrt(sum(dD/dx^2, 1)) - 1)^2) and its gradients for W1, b1, w2")
emit("penalty_value", penalty.detach().reshape(1))
emit("penalty_w1", pw1)
emit("penalty_b1", pb1)
emit("penalty_w2", pw2)

# C: the third derivative of tanh.
x = torch.tensor([-1.5, -0.3, 0.0, 0.4, 2.0], requires_grad=True)
(d1,) = torch.autograd.grad(torch.tanh(x).sum(), x, create_graph=True)
(d2,) = torch.autograd.grad(d1.sum(), x, create_graph=True)
(d3,) = torch.autograd.grad(d2.sum(), x)
print("// C: d^3 tanh / dx^3 at -1.5, -0.3, 0, 0.4, 2")
emit("tanh_third", d3)

# D: the gradient of a Burgers PINN residual loss for u = linear(tanh(linear([t, x], V1, a1)), V2, a2).
V1 = filled((4, 2), lambda i, j: 0.5 * math.sin(i + 2 * j + 1)).requires_grad_()
a1 = filled((4,), lambda i: 0.1 * math.cos(i)).requires_grad_()
V2 = filled((1, 4), lambda i, j: 0.6 * math.cos(j - 0.5)).requires_grad_()
a2 = torch.tensor([0.05], requires_grad=True)
P = filled((5, 2), lambda i, j: math.sin(i * 1.3 + j * 0.8)).requires_grad_()
u = torch.nn.functional.linear(torch.tanh(torch.nn.functional.linear(P, V1, a1)), V2, a2)
(du,) = torch.autograd.grad(u.sum(), P, create_graph=True)
u_t, u_x = du[:, 0:1], du[:, 1:2]
(du_x,) = torch.autograd.grad(u_x.sum(), P, create_graph=True)
u_xx = du_x[:, 1:2]
f = u_t + u * u_x - (0.01 / math.pi) * u_xx
residual = (f ** 2).mean()
gv1, ga1, gv2, ga2 = torch.autograd.grad(residual, [V1, a1, V2, a2])
print("// D: mean(residual^2) of u_t + u u_x - (0.01/pi) u_xx and its gradients for V1, a1, V2, a2")
emit("pinn_value", residual.detach().reshape(1))
emit("pinn_v1", gv1)
emit("pinn_a1", ga1)
emit("pinn_v2", gv2)
emit("pinn_a2", ga2)
