# PyTorch's side of bench_conv.cpp (same shapes, same method: medians after warm-up), 2 threads:
#   /usr/bin/python3 tests/benchmarks/bench_conv.py [reps]
import statistics
import sys
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(2)
reps = int(sys.argv[1]) if len(sys.argv) > 1 else 30


def time_layer(name, x_shape, out, input_grad):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(x_shape, generator=g).requires_grad_(input_grad)
    w = (torch.randn(out, x_shape[1], 3, 3, generator=g) * 0.1).requires_grad_()
    b = torch.zeros(out, requires_grad=True)
    fwd, step = [], []
    for r in range(reps + 3):
        with torch.no_grad():
            t0 = time.perf_counter()
            F.conv2d(x, w, b, 1, 1)
            if r >= 3:
                fwd.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        y = F.conv2d(x, w, b, 1, 1)
        torch.autograd.grad([y], [x, w, b] if input_grad else [w, b], [torch.ones_like(y)])
        if r >= 3:
            step.append(time.perf_counter() - t0)
    print(f"RESULT conv torch {name} forward_ms={1e3 * statistics.median(fwd):.3f} "
          f"forward_backward_ms={1e3 * statistics.median(step):.3f} threads={torch.get_num_threads()} "
          f"mkldnn={torch.backends.mkldnn.is_available()}")


time_layer("conv1", (128, 1, 28, 28), 32, False)
time_layer("conv2", (128, 32, 14, 14), 64, True)
