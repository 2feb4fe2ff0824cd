# A small CNN trained by PyTorch, for tests/nn/test_pytorch_cnn.cpp: computed once with Debian's
# torch 1.13 and committed,
#   /usr/bin/python3 tests/nn/pytorch_cnn_reference.py > tests/nn/pytorch_cnn_values.inc
# It writes tests/io/files/pytorch_cnn.npz, the float32 model's state_dict saved with numpy.savez
# after a few SGD steps in training mode on seeded random data (so the BatchNorm running statistics
# and num_batches_tracked are not their initial values), and prints its state_dict keys in order
# and its eval-mode outputs on closed-form inputs: filled(shape, a, b, c)[k] = a·sin(b·k + c),
# which the C++ test builds with sine_filled.
import math
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from pytorch_state_dict import train_and_save  # noqa: E402


def filled(shape, a, b, c):
    n = math.prod(shape)
    return torch.tensor([a * math.sin(b * k + c) for k in range(n)], dtype=torch.float64).reshape(shape)


torch.manual_seed(0)
model = nn.Sequential(
    nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),  # 12x12 -> 6x6
    nn.Conv2d(4, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.AvgPool2d(2),  # -> 3x3
    nn.AdaptiveAvgPool2d(2),  # 3x3 -> 2x2 with overlapping windows
    nn.Flatten(), nn.Linear(32, 10))
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
images = torch.randn(16, 1, 12, 12)
labels = torch.randint(0, 10, (16,))
train_and_save(model, opt, nn.functional.cross_entropy, images, labels, 5, "pytorch_cnn.npz")

print("// Written by tests/nn/pytorch_cnn_reference.py (torch 1.13): the state_dict keys of pytorch_cnn.npz")
print("// in order, and the model's eval-mode output (float32) on filled((3, 1, 12, 12), 1.5, 0.37, 0.2).")
print("const std::vector<std::string> cnn_keys = {" + ", ".join(f'"{k}"' for k in model.state_dict()) + "};")
with torch.no_grad():
    out = model(filled((3, 1, 12, 12), 1.5, 0.37, 0.2).float())
print("const std::vector<double> cnn_eval = {" + ", ".join(repr(float(v)) for v in out.reshape(-1).tolist()) + "};")
