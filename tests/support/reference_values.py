# The inputs and the output format shared by the reference scripts that compute the C++ tests'
# literals with PyTorch (tests/*/*_reference.py): the same closed forms as tests/support/closed_form.hpp.
import math

import torch


def filled(shape, a, b, c):
    """filled(shape, a, b, c)[k] = a·sin(b·k + c), in torch's default dtype."""
    n = math.prod(shape)
    return torch.tensor([a * math.sin(b * k + c) for k in range(n)]).reshape(shape)


def upstream(shape):
    """upstream(shape)[k] = cos(0.37·k): the gradient the tests send back (cosine_upstream)."""
    n = math.prod(shape)
    return torch.tensor([math.cos(0.37 * k) for k in range(n)]).reshape(shape)


def emit(name, t):
    """t's values as a C++ `const std::vector<double> name = {...};`."""
    values = ", ".join(repr(float(v)) for v in t.detach().reshape(-1).tolist())
    print(f"const std::vector<double> {name} = {{{values}}};")
