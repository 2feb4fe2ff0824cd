#!/usr/bin/python3
"""Runs the ONNX graphs test_onnx_export writes (DESCENT_ONNX_TEST_OUTPUT=DIR) with PyTorch's
kernels, node by node, on the inputs written beside them, and compares with descent's outputs.

A stand-in for a runtime until the onnxruntime part of issue 15: Debian's ONNX 1.12 has no reference
evaluator. Each ONNX op of the exporter's table is implemented here from the ONNX spec with
torch.nn.functional / numpy (a different batch size than the export's example checks the dynamic
batch). Usage, from the build tree:

    mkdir -p /tmp/onnx && DESCENT_ONNX_TEST_OUTPUT=/tmp/onnx ./tests/test_onnx_export
    /usr/bin/python3 ../tests/onnx/evaluate_with_torch.py /tmp/onnx     # needs python3-onnx, torch
"""
import glob
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def pads_of(a, spatial):
    p = list(a.get("pads", [0] * (2 * spatial)))
    return p[:spatial], p[spatial:]


def conv(x, w, b=None, **a):
    spatial = w.dim() - 2
    begin, end = pads_of(a, spatial)
    pad = []
    for i in reversed(range(spatial)):  # F.pad: last axis first, (before, after)
        pad += [begin[i], end[i]]
    x = F.pad(x, pad)
    f = F.conv2d if spatial == 2 else F.conv1d
    return f(x, w, b, stride=a.get("strides", 1), dilation=a.get("dilations", 1), groups=a.get("group", 1))


def pool(x, is_max, **a):
    k = a["kernel_shape"]
    spatial = len(k)
    begin, end = pads_of(a, spatial)
    assert begin == end, "symmetric pads only"
    ceil = bool(a.get("ceil_mode", 0))
    if is_max:
        f = F.max_pool2d if spatial == 2 else F.max_pool1d
        return f(x, k, a.get("strides", k), begin, a.get("dilations", [1] * spatial), ceil_mode=ceil)
    f = F.avg_pool2d if spatial == 2 else F.avg_pool1d
    return f(x, k, a.get("strides", k), begin, ceil_mode=ceil, count_include_pad=bool(a.get("count_include_pad", 0)))


def reduce(f):
    def run(x, axes=None, **a):
        if axes is None:
            axes = a.get("axes")
        axes = tuple(range(x.dim())) if axes is None else tuple(int(i) for i in axes)
        return f(x, axes, bool(a.get("keepdims", 1)))
    return run


def reshape(x, shape, **a):
    target = [int(d) for d in shape]
    target = [x.shape[i] if d == 0 else d for i, d in enumerate(target)]
    return x.reshape(target)


def layer_norm(x, scale, bias=None, **a):
    axis = a.get("axis", -1) % x.dim()
    dims = tuple(range(axis, x.dim()))
    mean = x.mean(dims, keepdim=True)
    var = ((x - mean) ** 2).mean(dims, keepdim=True)
    y = (x - mean) / torch.sqrt(var + a.get("epsilon", 1e-5)) * scale
    return y if bias is None else y + bias


def batch_norm(x, scale, bias, mean, var, **a):
    return F.batch_norm(x, mean, var, scale, bias, False, 0.0, a.get("epsilon", 1e-5))


def gemm(a_, b_, c=None, **a):
    if a.get("transA", 0):
        a_ = a_.T
    if a.get("transB", 0):
        b_ = b_.T
    y = a.get("alpha", 1.0) * (a_ @ b_)
    return y if c is None else y + a.get("beta", 1.0) * c


def slice_(x, starts, ends, axes=None, steps=None, **a):
    index = [slice(None)] * x.dim()
    axes = range(len(starts)) if axes is None else axes
    for s, e, ax in zip(starts, ends, axes):
        index[int(ax)] = slice(int(s), int(e))
    return x[tuple(index)]


OPS = {
    "Add": lambda a, b, **_: a + b,
    "Sub": lambda a, b, **_: a - b,
    "Mul": lambda a, b, **_: a * b,
    "Div": lambda a, b, **_: a / b,
    "Pow": lambda a, b, **_: torch.pow(a, b),
    "Max": lambda *x, **_: torch.maximum(*x),
    "Min": lambda *x, **_: torch.minimum(*x),
    "MatMul": lambda a, b, **_: a @ b,
    "Gemm": gemm,
    "Neg": lambda x, **_: -x,
    "Exp": lambda x, **_: torch.exp(x),
    "Log": lambda x, **_: torch.log(x),
    "Sqrt": lambda x, **_: torch.sqrt(x),
    "Erf": lambda x, **_: torch.erf(x),
    "Abs": lambda x, **_: torch.abs(x),
    "Relu": lambda x, **_: torch.relu(x),
    "Sigmoid": lambda x, **_: torch.sigmoid(x),
    "Tanh": lambda x, **_: torch.tanh(x),
    "Softplus": lambda x, **_: torch.log1p(torch.exp(x)),  # the spec's ln(exp(x) + 1)
    "LeakyRelu": lambda x, **a: F.leaky_relu(x, a.get("alpha", 0.01)),
    "Identity": lambda x, **_: x,
    "Clip": lambda x, lo=None, hi=None, **_: torch.clamp(x, lo, hi),
    "Gather": lambda x, i, **a: torch.index_select(x, a.get("axis", 0), i.reshape(-1)).reshape(
        list(x.shape[:a.get("axis", 0)]) + list(i.shape) + list(x.shape[a.get("axis", 0) + 1:])),
    "Softmax": lambda x, **a: torch.softmax(x, a.get("axis", -1)),
    "LogSoftmax": lambda x, **a: torch.log_softmax(x, a.get("axis", -1)),
    "ReduceSum": reduce(lambda x, ax, k: x.sum(ax, keepdim=k)),
    "ReduceMean": reduce(lambda x, ax, k: x.mean(ax, keepdim=k)),
    "ReduceMax": reduce(lambda x, ax, k: x.amax(ax, keepdim=k)),
    "ReduceMin": reduce(lambda x, ax, k: x.amin(ax, keepdim=k)),
    "ReduceLogSumExp": reduce(lambda x, ax, k: torch.logsumexp(x, ax, keepdim=k)),
    "Reshape": reshape,
    "Transpose": lambda x, **a: x.permute(*a["perm"]),
    "Slice": slice_,
    "Concat": lambda *x, **a: torch.cat(x, a["axis"]),
    "Unsqueeze": lambda x, axes, **_: x.unsqueeze(int(axes[0])),
    "Expand": lambda x, shape, **_: x * torch.ones([int(d) for d in shape], dtype=x.dtype),
    "Conv": conv,
    "MaxPool": lambda x, **a: pool(x, True, **a),
    "AveragePool": lambda x, **a: pool(x, False, **a),
    "GlobalAveragePool": lambda x, **_: x.mean(tuple(range(2, x.dim())), keepdim=True),
    "GlobalMaxPool": lambda x, **_: x.amax(tuple(range(2, x.dim())), keepdim=True),
    "BatchNormalization": batch_norm,
    "LayerNormalization": layer_norm,
}


def run(model, inputs):
    values = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in model.graph.initializer}
    for info, x in zip(model.graph.input, inputs):
        values[info.name] = torch.from_numpy(x)
    for node in model.graph.node:
        args = [values[i] if i else None for i in node.input]
        values[node.output[0]] = OPS[node.op_type](*args, **attrs(node))
    return [values[o.name].numpy() for o in model.graph.output]


def main(folder):
    worst = 0.0
    for path in sorted(glob.glob(os.path.join(folder, "*.onnx"))):
        name = path[:-5]
        inputs = [np.load(p) for p in sorted(glob.glob(name + ".input*.npy"))]
        expected = [np.load(p) for p in sorted(glob.glob(name + ".output*.npy"))]
        if not inputs:
            continue
        got = run(onnx.load(path), inputs)
        for g, e in zip(got, expected):
            assert g.shape == e.shape, (path, g.shape, e.shape)
            err = float(np.max(np.abs(g - e) / (np.abs(e) + 1e-6))) if e.size else 0.0
            worst = max(worst, err)
            print(f"{os.path.basename(path)}: shape {e.shape}, max relative difference {err:.2e}")
    print(f"worst {worst:.2e}")
    return 0 if worst <= 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
