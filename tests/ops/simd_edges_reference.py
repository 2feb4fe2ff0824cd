# Writes tests/ops/simd_edges_values.inc: the reference values test_simd_edges.cpp pins, computed with
# PyTorch 1.13 on CPU (Debian 12's /usr/bin/python3), in float32 and float64.
#   /usr/bin/python3 tests/ops/simd_edges_reference.py > tests/ops/simd_edges_values.inc
# Exceptions, from NumPy instead: pow(x, -0.5) at -0 and -inf follows C99 (std::pow, NumPy: +inf and
# +0), where PyTorch's scalar-exponent shortcut (rsqrt) gives -inf and NaN; and so the gradient of
# pow(x, e), e x^(e-1).
import math
import numpy as np
import torch
import torch.nn.functional as F

inf, nan = math.inf, math.nan
EDGES = {  # 0, ±0, ±inf, NaN, denormals, the smallest normal, ordinary values, overflow edges, huge
    "float32": [0.0, -0.0, inf, -inf, nan, 1e-40, -1e-40, 1.4e-45, 1.1754943508222875e-38, 0.5, -0.5, 1, -1, 2,
                -2, 10, -10, 20, -20, 88.7, -88.7, 88.8, -88.8, 100, -100, 104, -104, 1e30, -1e30, 3.4e38, -3.4e38],
    "float64": [0.0, -0.0, inf, -inf, nan, 5e-324, -5e-324, 1e-310, 2.2250738585072014e-308, 0.5, -0.5, 1, -1, 2,
                -2, 10, -10, 20, -20, 709.7, -709.7, 710, -710, 745, -745, 746, -746, 1e30, -1e30, 1e300, -1e300],
}
PAIRS = [(0, 0), (0, -1), (-0.0, -1), (-0.0, -2), (0, 3), (-0.0, 3), (-0.0, 2), (-0.0, 0.5), (0, -0.5), (0, inf),
         (0, -inf), (-2, 3), (-2, 0.5), (-2, -3), (2, -2), (nan, 0), (nan, -0.0), (1, nan), (1, inf), (1, -inf),
         (-1, inf), (-1, -inf), (inf, 0), (inf, -1), (inf, 0.5), (-inf, 3), (-inf, -3), (-inf, 2), (-inf, 0.5),
         (-inf, -0.5), (0.5, inf), (0.5, -inf), (2, inf), (2, -inf), (-2, inf), (-0.5, inf), (-0.5, -inf),
         (-2, 2.0**60), (-0.5, 2.0**60), (-1, 2.0**60), (nan, nan), (2, nan), (nan, 2), (10, 30), (10, -30),
         (2, 100), (-2, 101)]
PAD = 0.25
EXPONENTS = [2, 0.5, 3, -1, 0, -0.5, 1.5, -2]
ROWS = 67


def lit(v, dtype):
    v = float(v)
    if math.isnan(v): return "NaN"
    if math.isinf(v): return "Inf" if v > 0 else "-Inf"
    if v == 0: return "-0.0" if math.copysign(1, v) < 0 else "0.0"
    return repr(v) if dtype == torch.float64 else "%.9g" % v


def arr(t, dtype): return "{" + ", ".join(lit(v, dtype) for v in torch.as_tensor(t).flatten().tolist()) + "}"


def softmax_rows(dtype):  # ROWS-long rows: (the value of most entries, the others)
    tiny = 1e-40 if dtype == torch.float32 else 5e-324
    return [(0, {20: -inf, 40: -inf}), (-inf, {}), (0, {30: inf}), (0, {25: nan}), (0, {33: 1e30, 50: -1e30}),
            (0, {33: 100, 34: 100}), (0, {5: tiny, 60: -100})]


for name in ["float32", "float64"]:
    dtype = getattr(torch, name)
    x = torch.tensor(EDGES[name], dtype=dtype)
    print("// ---- %s" % name)
    print("const Edges %s_edges{%s, {" % (name, arr(x, dtype)))
    unary = {"exp": torch.exp, "log": torch.log, "sqrt": torch.sqrt, "abs": torch.abs, "tanh": torch.tanh,
             "sigmoid": torch.sigmoid, "gelu": F.gelu, "softplus": F.softplus, "erf": torch.erf,
             "gelu_tanh": lambda v: F.gelu(v, approximate="tanh")}
    for e in EXPONENTS: unary["pow(x, %s)" % e] = (lambda e: lambda v: torch.pow(v, e))(e)
    for op, f in unary.items():
        xg = x.clone().requires_grad_()
        y = f(xg)
        y.sum().backward()
        y, grad = y.detach(), xg.grad
        if op.startswith("pow"):  # d(x^e)/dx = e x^(e-1), 0 where e == 0, with C99's pow (see above)
            e = float(op[len("pow(x, "):-1])
            xn = x.numpy()
            grad = torch.from_numpy(np.zeros_like(xn) if e == 0 else xn.dtype.type(e) * np.power(xn, xn.dtype.type(e - 1)))
            if e == -0.5: y = torch.from_numpy(np.power(xn, xn.dtype.type(e)))
        pad = torch.tensor([PAD], dtype=dtype, requires_grad=True)
        pad_y = f(pad)
        pad_y.backward()
        print('  {"%s", %s, %s,\n   %s, %s},' % (op, lit(pad_y.detach()[0], dtype), arr(y, dtype), lit(pad.grad[0], dtype),
                                              arr(grad, dtype)))
    print("}};")
    b = torch.tensor([p[0] for p in PAIRS], dtype=dtype, requires_grad=True)
    e = torch.tensor([p[1] for p in PAIRS], dtype=dtype, requires_grad=True)
    y = torch.pow(b, e)
    y.sum().backward()
    print("const PowPairs %s_pow{%s,\n  %s,\n  %s,\n  %s,\n  %s};" % (
        name, arr(b.detach(), dtype), arr(e.detach(), dtype), arr(y.detach(), dtype), arr(b.grad, dtype),
        arr(e.grad, dtype)))
    rows = softmax_rows(dtype)
    X = torch.zeros(len(rows), ROWS, dtype=dtype)
    for r, (fill, entries) in enumerate(rows):
        X[r] = fill
        for i, v in entries.items(): X[r, i] = v
    print("const Rows %s_rows{{" % name)
    for fill, entries in rows:
        print("  {%s, {%s}}," % (lit(fill, dtype), ", ".join("{%d, %s}" % (i, lit(v, dtype)) for i, v in entries.items())))
    print("}, {")
    for f in [lambda t: torch.softmax(t, -1), lambda t: torch.log_softmax(t, -1)]:
        Y = f(X)
        print("  {")
        for r, (_, entries) in enumerate(rows):
            fill = Y[r, min(i for i in range(ROWS) if i not in entries)]
            exceptions = [(i, Y[r, i]) for i in range(ROWS) if lit(Y[r, i], dtype) != lit(fill, dtype)]
            print("    {%s, {%s}}," % (lit(fill, dtype), ", ".join("{%d, %s}" % (i, lit(v, dtype)) for i, v in exceptions)))
        print("  },")
    print("}, %s};" % arr(torch.logsumexp(X, -1), dtype))
