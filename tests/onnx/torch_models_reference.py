# Writes the PyTorch-exported models tests/onnx/test_onnx_import.cpp imports (tests/onnx/files/torch_*.onnx,
# made with torch.onnx.export) and torch_models_values.inc: each model's input, its output and the
# gradients of sum(output * upstream) with respect to its parameters, as PyTorch computes them.
#   /usr/bin/python3 tests/onnx/torch_models_reference.py   # from the repository's root
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from reference_values import emit, filled, upstream  # noqa: E402

here = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(0)


class Mlp(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(4, 6)
        self.fc2 = torch.nn.Linear(6, 3)

    def forward(self, x):
        return torch.log_softmax(self.fc2(torch.tanh(self.fc1(x))), dim=1)


class Cnn(torch.nn.Module):
    # BatchNorm after the ReLU: not right after the Conv, which the exporter would fold it into
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 3, 3, padding=1)
        self.bn = torch.nn.BatchNorm2d(3)
        self.fc = torch.nn.Linear(3 * 3 * 3, 2)

    def forward(self, x):
        y = torch.nn.functional.max_pool2d(self.bn(torch.relu(self.conv(x))), 2)
        return self.fc(torch.flatten(y, 1))


class NormGelu(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(5, 8)
        self.norm = torch.nn.LayerNorm(8)
        self.out = torch.nn.Linear(8, 5)

    def forward(self, x):
        return self.out(torch.nn.functional.gelu(self.norm(self.fc(x)))) + x


class Recurrent(torch.nn.Module):
    # torch.onnx.export writes nn.LSTM / nn.GRU as ONNX's LSTM / GRU ops (its own gate reordering)
    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True)
        self.gru = torch.nn.GRU(8, 2, batch_first=True)

    def forward(self, x):
        return self.gru(self.lstm(x)[0])[0]


def run(name, model, x):
    model.eval()
    path = os.path.join(here, "files", f"torch_{name}.onnx")
    torch.onnx.export(model, (x,), path, opset_version=17, input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}}, do_constant_folding=True)
    y = model(x)
    (y * upstream(y.shape)).sum().backward()
    emit(f"torch_{name}_input", x)
    emit(f"torch_{name}_output", y)
    for pname, p in model.named_parameters():
        emit(f"torch_{name}_grad_{pname.replace('.', '_')}", p.grad)


if __name__ == "__main__":
    with torch.no_grad():
        cnn = Cnn()
        cnn.bn.running_mean.copy_(filled([3], 0.3, 0.7, 0.1))
        cnn.bn.running_var.copy_(filled([3], 0.2, 0.9, 0.4).abs() + 0.5)
    print("// Written by tests/onnx/torch_models_reference.py (PyTorch " + torch.__version__ + "); do not edit.")
    run("mlp", Mlp(), filled([3, 4], 1.5, 0.9, 0.2))
    run("cnn", cnn, filled([2, 1, 6, 6], 1.0, 0.45, 0.3))
    run("norm_gelu", NormGelu(), filled([2, 3, 5], 1.2, 0.61, 0.5))
    run("recurrent", Recurrent(), filled([2, 5, 3], 1.1, 0.37, 0.4))
