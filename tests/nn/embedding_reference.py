# A PyTorch nn.Embedding for tests/nn/test_embedding.cpp: computed once with Debian's torch 1.13
# and committed,
#   /usr/bin/python3 tests/nn/embedding_reference.py > tests/nn/embedding_values.inc
# It writes tests/io/files/pytorch_embedding.npz, the state_dict of a float32
# nn.Embedding(10, 4, padding_idx=2) after a few SGD steps (the padding row stays zero), saved with
# numpy.savez, and prints its state_dict keys and its output at the indices [[2, 7, 7], [0, 9, 2]].
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from pytorch_state_dict import train_and_save  # noqa: E402


def emit(name, t):
    values = ", ".join(repr(float(v)) for v in t.detach().reshape(-1).tolist())
    print(f"const std::vector<double> {name} = {{{values}}};")


torch.manual_seed(0)
model = torch.nn.Embedding(10, 4, padding_idx=2)
opt = torch.optim.SGD(model.parameters(), lr=0.5)
inputs = torch.tensor([[1, 2, 3], [2, 5, 9], [7, 7, 0]])
targets = torch.linspace(-1, 1, 36).reshape(3, 3, 4)
train_and_save(model, opt, torch.nn.functional.mse_loss, inputs, targets, 3, "pytorch_embedding.npz")
print("// pytorch_embedding.npz: nn.Embedding(10, 4, padding_idx=2) in float32 after 3 SGD steps (lr 0.5);")
print("// its state_dict keys, its repr and its output at [[2, 7, 7], [0, 9, 2]]")
print("const std::vector<std::string> embedding_keys = {" + ", ".join(f'"{k}"' for k in model.state_dict()) + "};")
print(f'const std::string embedding_repr = "{model}";')
with torch.no_grad():
    emit("embedding_out", model(torch.tensor([[2, 7, 7], [0, 9, 2]])))
