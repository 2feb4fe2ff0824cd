# Reference values for tests/train/test_metrics.cpp: sklearn.metrics' definitions written out in
# NumPy (sklearn is not installed here; each line says which function it stands for), committed as
# literals (metrics_values.inc):
#   /usr/bin/python3 tests/train/metrics_reference.py > tests/train/metrics_values.inc
# Inputs are closed-form, filled(shape, a, b, c)[k] = a·sin(b·k + c), and label lists repeated in the
# test, so the C++ test builds the same tensors.
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from reference_values import emit, filled  # noqa: E402

torch.set_default_dtype(torch.float64)


print("// Written by tests/train/metrics_reference.py (NumPy forms of sklearn.metrics)")


def scalar(name, value):
    print(f"const double {name} = {float(value)!r};")


scores = filled((12, 5), 1.0, 0.7, 0.3).numpy()
labels = np.array([(3 * k + 1) % 5 for k in range(12)])
predicted = scores.argmax(axis=1)  # numpy and torch.argmax: the first maximum
scalar("accuracy_12x5", np.mean(predicted == labels))  # accuracy_score
for k in (2, 3):
    # top_k_accuracy_score without ties (the scores have none): the label among the k largest.
    top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    scalar(f"top{k}_accuracy_12x5", np.mean([labels[i] in top[i] for i in range(12)]))
cm = np.zeros((5, 5), dtype=np.int64)  # confusion_matrix(labels, predicted, labels=range(5))
for t, p in zip(labels, predicted):
    cm[t, p] += 1
emit("confusion_12x5", torch.tensor(cm))

# Scores (N, C, d) = (3, 4, 2) against labels (3, 2): argmax along the class axis 1.
scores3 = filled((3, 4, 2), 1.0, 1.1, 0.2).numpy()
labels3 = np.array([[0, 1], [2, 3], [1, 1]])
scalar("accuracy_3x4x2", np.mean(scores3.argmax(axis=1) == labels3))

for name, shape, p, t in [("n10", (10,), (1.0, 1.3, 0.0), (1.0, 0.5, 0.4)),
                          ("n10x3", (10, 3), (2.0, 0.9, 0.1), (1.5, 0.45, 1.2))]:
    y_pred = filled(shape, *p).numpy()
    y_true = filled(shape, *t).numpy()
    scalar(f"mse_{name}", np.mean((y_pred - y_true) ** 2))  # mean_squared_error
    scalar(f"mae_{name}", np.mean(np.abs(y_pred - y_true)))  # mean_absolute_error
    yt, yp = y_true.reshape(len(y_true), -1), y_pred.reshape(len(y_pred), -1)
    r2 = 1 - ((yt - yp) ** 2).sum(axis=0) / ((yt - yt.mean(axis=0)) ** 2).sum(axis=0)
    scalar(f"r2_{name}", r2.mean())  # r2_score, multioutput="uniform_average"
