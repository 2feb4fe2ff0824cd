# For the reference scripts that write a PyTorch-trained model's state_dict for the C++ tests
# (tests/ops/norm_reference.py, tests/nn/pytorch_cnn_reference.py).
import os

import numpy

FILES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "io", "files")


def train_and_save(model, opt, loss, inputs, targets, steps, name):
    """`steps` steps of opt on loss(model(inputs), targets) in training mode, then model.eval() and
    its state_dict saved with numpy.savez as tests/io/files/<name> (what io::load reads)."""
    for _ in range(steps):
        opt.zero_grad()
        loss(model(inputs), targets).backward()
        opt.step()
    model.eval()
    numpy.savez(os.path.join(FILES, name), **{k: v.numpy() for k, v in model.state_dict().items()})
