#!/usr/bin/python3
"""W2's accuracy after 5 epochs over several seeds, descent (bench_w2 --seed S) against Python
PyTorch (the same loop as ../shared/bench/w2_pytorch.py, seeded with torch.manual_seed(S) and a
shuffling generator seeded 2024 + S, as bench_w2 does), and Welch's t-test of the difference.

    /usr/bin/python3 tests/benchmarks/w2_seeds.py build/tests/benchmarks/bench_w2 [--seeds 10]

Needs Debian's python3-torch and dataset-fashion-mnist. Accuracy only: nothing is timed.
"""
import argparse
import gzip
import math
import os
import re
import struct
import subprocess

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = os.environ.get("FMNIST_DIR", "/usr/share/datasets/fashion-mnist")


def idx(name, images):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        d = f.read()
    if images:
        _, n, r, c = struct.unpack(">IIII", d[:16])
        return torch.from_numpy(np.frombuffer(d, np.uint8, offset=16).reshape(n, r * c).astype(np.float32) / 255)
    return torch.from_numpy(np.frombuffer(d, np.uint8, offset=8).astype(np.int64))


def pytorch_accuracy(seed, data, epochs=5, batch=128):
    xtr, ytr, xte, yte = data
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    g = torch.Generator().manual_seed(2024 + seed)
    for _ in range(epochs):
        for i in torch.randperm(xtr.shape[0], generator=g).split(batch):
            opt.zero_grad()
            F.cross_entropy(model(xtr[i]), ytr[i]).backward()
            opt.step()
    with torch.no_grad():
        return (model(xte).argmax(1) == yte).float().mean().item()


def descent_accuracy(program, seed):
    out = subprocess.run([program, "--seed", str(seed)], check=True, capture_output=True, text=True).stdout
    return float(re.search(r"acc_epoch5=([0-9.]+)", out).group(1))


def betainc(a, b, x):
    """The regularized incomplete beta function I_x(a, b) (Numerical Recipes' continued fraction)."""
    if x <= 0 or x >= 1:
        return 0.0 if x <= 0 else 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x > (a + 1) / (a + b + 2):
        return 1 - betainc(b, a, 1 - x)
    c, d = 1.0, 1 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > 1e-300 else 1e-300)
    f = d
    for m in range(1, 300):
        for numerator in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                          -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > 1e-300 else 1e-300)
            c = 1 + numerator / c
            c = c if abs(c) > 1e-300 else 1e-300
            f *= c * d
        if abs(c * d - 1) < 1e-15:
            break
    return front * f / a


def welch(x, y):
    """Welch's t statistic, its degrees of freedom and the two-sided p-value."""
    mx, my = np.mean(x), np.mean(y)
    vx, vy = np.var(x, ddof=1) / len(x), np.var(y, ddof=1) / len(y)
    t = (mx - my) / math.sqrt(vx + vy)
    dof = (vx + vy) ** 2 / (vx ** 2 / (len(x) - 1) + vy ** 2 / (len(y) - 1))
    return t, dof, betainc(dof / 2, 0.5, dof / (dof + t * t))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bench_w2")
    ap.add_argument("--seeds", type=int, default=10)
    a = ap.parse_args()
    torch.set_num_threads(1)
    data = (idx("train-images-idx3-ubyte.gz", True), idx("train-labels-idx1-ubyte.gz", False),
            idx("t10k-images-idx3-ubyte.gz", True), idx("t10k-labels-idx1-ubyte.gz", False))
    ours, theirs = [], []
    print("seed  descent  pytorch")
    for seed in range(a.seeds):
        ours.append(descent_accuracy(a.bench_w2, seed))
        theirs.append(pytorch_accuracy(seed, data))
        print("%4d  %.4f   %.4f" % (seed, ours[-1], theirs[-1]), flush=True)
    t, dof, p = welch(ours, theirs)
    print("mean  %.4f   %.4f   (std %.4f, %.4f)" % (np.mean(ours), np.mean(theirs), np.std(ours, ddof=1),
                                                   np.std(theirs, ddof=1)))
    print("RESULT W2 seeds=%d descent_mean=%.4f pytorch_mean=%.4f welch_t=%.3f dof=%.1f p=%.3f"
          % (a.seeds, np.mean(ours), np.mean(theirs), t, dof, p))


if __name__ == "__main__":
    main()
