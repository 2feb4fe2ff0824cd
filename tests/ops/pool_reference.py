# Reference values for test_pool.cpp and test_resample.cpp, computed once with Debian's torch 1.13 in
# float64 and committed as literals (pool_values.inc):
#   /usr/bin/python3 tests/ops/pool_reference.py > tests/ops/pool_values.inc
# Each case's input x has element k = ((7919 k) mod n) / n - 1/2 (n elements: distinct, so max
# pooling has no ties), and its gradient is that of sum(y * w) with w_k = cos(0.3 k); the C++ tests
# build the same tensors (pool_input, pool_weights).
import math
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def pool_input(shape):
    n = math.prod(shape)
    return torch.tensor([((7919 * k) % n) / n - 0.5 for k in range(n)]).reshape(shape)


def emit(name, t):
    values = ", ".join(repr(float(v)) for v in t.reshape(-1).tolist())
    print(f"const std::vector<double> {name} = {{{values}}};")


def case(name, shape, f):
    x = pool_input(shape).requires_grad_()
    y = f(x)
    w = torch.tensor([math.cos(0.3 * k) for k in range(y.numel())]).reshape(y.shape)
    (y * w).sum().backward()
    print(f"// {name}: output shape {tuple(y.shape)}")
    emit(name + "_y", y.detach())
    emit(name + "_dx", x.grad)


# pooling
case("max2d_pad", (2, 3, 7, 6), lambda x: F.max_pool2d(x, 3, 2, 1))
case("max2d_dilated_ceil", (1, 2, 6, 7), lambda x: F.max_pool2d(x, (3, 2), (2, 1), (1, 0), (2, 1), ceil_mode=True))
case("max2d_unbatched_ceil", (3, 5, 5), lambda x: F.max_pool2d(x, 2, ceil_mode=True))
case("max2d_ceil_last_window", (1, 1, 5, 5), lambda x: F.max_pool2d(x, 3, 3, 1, ceil_mode=True))
case("max1d_dilated_ceil", (2, 3, 9), lambda x: F.max_pool1d(x, 3, 2, 1, 2, ceil_mode=True))
case("max1d_unbatched", (3, 8), lambda x: F.max_pool1d(x, 2))
case("avg2d_ceil_include_pad", (2, 2, 7, 6), lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True))
case("avg2d_ceil_exclude_pad", (2, 2, 7, 6), lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False))
case("avg2d_unbatched_rect", (3, 5, 5), lambda x: F.avg_pool2d(x, (2, 3), (1, 2), (1, 1)))
case("avg1d_ceil_exclude_pad", (2, 3, 9), lambda x: F.avg_pool1d(x, 4, 3, 2, ceil_mode=True, count_include_pad=False))
case("avg1d_ceil_include_pad", (2, 3, 9), lambda x: F.avg_pool1d(x, 4, 3, 2, ceil_mode=True))
case("adaptive_avg", (2, 3, 7, 5), lambda x: F.adaptive_avg_pool2d(x, (3, 2)))
case("adaptive_avg_unbatched_up", (3, 5, 7), lambda x: F.adaptive_avg_pool2d(x, 4))
case("adaptive_max", (2, 2, 7, 5), lambda x: F.adaptive_max_pool2d(x, (3, 4)))
case("adaptive_max_unbatched_up", (2, 6, 4), lambda x: F.adaptive_max_pool2d(x, (8, 3)))
# pad
case("pad_constant", (2, 3, 4), lambda x: F.pad(x, (1, 2, 0, 1), value=0.5))
case("pad_constant_crop", (2, 3, 4), lambda x: F.pad(x, (-1, 2, 1, -2)))
case("pad_constant_every_axis", (2, 3), lambda x: F.pad(x, (1, 1, 2, 0), value=-1.0))
case("pad_reflect", (2, 3, 5), lambda x: F.pad(x, (2, 4), mode="reflect"))
case("pad_reflect_2d", (1, 2, 4, 5), lambda x: F.pad(x, (1, 2, 3, 1), mode="reflect"))
case("pad_replicate", (2, 3, 4), lambda x: F.pad(x, (3, 1), mode="replicate"))
case("pad_replicate_2d", (1, 2, 3, 4), lambda x: F.pad(x, (2, 1, 0, 3), mode="replicate"))
case("pad_replicate_3d", (1, 2, 3, 2, 3), lambda x: F.pad(x, (1, 0, 0, 2, 1, 1), mode="replicate"))
# interpolate
case("nearest_size", (1, 2, 3, 4), lambda x: F.interpolate(x, size=(5, 7)))
case("nearest_scale2", (2, 1, 3, 3), lambda x: F.interpolate(x, scale_factor=2))
case("nearest_scale_frac", (1, 1, 4, 5), lambda x: F.interpolate(x, scale_factor=1.7))
case("nearest_1d", (2, 2, 5), lambda x: F.interpolate(x, size=8))
case("nearest_down", (1, 2, 4, 7), lambda x: F.interpolate(x, size=(2, 3)))
case("bilinear", (1, 2, 3, 4), lambda x: F.interpolate(x, size=(5, 7), mode="bilinear", align_corners=False))
case("bilinear_align", (1, 2, 3, 4), lambda x: F.interpolate(x, size=(5, 7), mode="bilinear", align_corners=True))
case("bilinear_scale", (1, 2, 4, 5), lambda x: F.interpolate(x, scale_factor=(1.5, 2.5), mode="bilinear"))
case("bilinear_down", (1, 1, 6, 7), lambda x: F.interpolate(x, size=(4, 3), mode="bilinear"))
case("bilinear_align_single", (1, 1, 3, 4), lambda x: F.interpolate(x, size=(1, 6), mode="bilinear", align_corners=True))
