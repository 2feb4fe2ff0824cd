# Writes tests/optim/schedulers_sequence_values.inc: the lr (and momentum) trajectories that
# test_schedulers_sequence.cpp replays, computed with torch.optim.lr_scheduler of PyTorch 1.13
# (Debian 12's /usr/bin/python3): LinearLR, OneCycleLR and SequentialLR.
#   /usr/bin/python3 tests/optim/schedulers_sequence_reference.py > tests/optim/schedulers_sequence_values.inc
# Each table is row-major: row 0 after construction, row k after k calls to step(), one column per
# parameter group.
import warnings

import torch
from torch.optim import SGD, Adagrad, Adam, AdamW, RMSprop
from torch.optim.lr_scheduler import CosineAnnealingLR, ExponentialLR, LinearLR, OneCycleLR, SequentialLR, StepLR

warnings.filterwarnings("ignore")  # step(0) in SequentialLR, scheduler.step() without optimizer.step()


def groups(options):
    return [dict(params=[torch.zeros(1, requires_grad=True)], **o) for o in options]


def momentum(group):
    return group["betas"][0] if "betas" in group else group["momentum"]


def lit(values):
    return "{" + ", ".join(repr(float(v)) for v in values) + "}"


def record(name, comment, opt, scheduler, steps, momenta=False):
    lrs, moms = [], []
    for k in range(steps + 1):
        if k > 0:
            scheduler.step()
        assert scheduler.get_last_lr() == [g["lr"] for g in opt.param_groups]
        lrs += [g["lr"] for g in opt.param_groups]
        if momenta:
            moms += [momentum(g) for g in opt.param_groups]
    print(f"// {comment}")
    print(f"const std::vector<double> {name}_lr = {lit(lrs)};")
    if momenta:
        print(f"const std::vector<double> {name}_momentum = {lit(moms)};")


two_sgd = [dict(lr=0.1, momentum=0.9), dict(lr=0.02, momentum=0.5)]

opt = SGD(groups(two_sgd))
record("linear_default", "SGD lr (0.1, 0.02): LinearLR(opt)", opt, LinearLR(opt), 8)
opt = SGD(groups(two_sgd))
record("linear_decay", "SGD lr (0.1, 0.02): LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=4)", opt,
       LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=4), 7)
opt = SGD(groups(two_sgd))
record("linear_partial", "SGD lr (0.1, 0.02): LinearLR(opt, start_factor=0.25, end_factor=0.75, total_iters=3)", opt,
       LinearLR(opt, start_factor=0.25, end_factor=0.75, total_iters=3), 6)

opt = SGD(groups(two_sgd))
record("one_cycle_sgd", "SGD lr (0.1, 0.02) momentum (0.9, 0.5): OneCycleLR(opt, max_lr=[0.1, 0.02], total_steps=10)",
       opt, OneCycleLR(opt, max_lr=[0.1, 0.02], total_steps=10), 10, momenta=True)
opt = Adam(groups([dict(lr=1e-3), dict(lr=1e-3, betas=(0.8, 0.99))]))
record("one_cycle_adam_three_phase",
       "Adam betas ((0.9, 0.999), (0.8, 0.99)): OneCycleLR(opt, max_lr=0.01, epochs=3, steps_per_epoch=4, "
       "pct_start=0.25, anneal_strategy='linear', base_momentum=[0.8, 0.7], max_momentum=[0.9, 0.95], "
       "div_factor=10, final_div_factor=100, three_phase=True)", opt,
       OneCycleLR(opt, max_lr=0.01, epochs=3, steps_per_epoch=4, pct_start=0.25, anneal_strategy="linear",
                  base_momentum=[0.8, 0.7], max_momentum=[0.9, 0.95], div_factor=10, final_div_factor=100,
                  three_phase=True), 12, momenta=True)
opt = AdamW(groups([dict(lr=1e-3), dict(lr=1e-3), dict(lr=1e-3)]))
record("one_cycle_adamw", "AdamW, three groups: OneCycleLR(opt, max_lr=[0.05, 0.5, 0.2], total_steps=7, pct_start=0.4)",
       opt, OneCycleLR(opt, max_lr=[0.05, 0.5, 0.2], total_steps=7, pct_start=0.4), 7, momenta=True)
opt = RMSprop(groups([dict(lr=0.01)]))
record("one_cycle_rmsprop", "RMSprop (momentum 0): OneCycleLR(opt, max_lr=0.1, total_steps=6, three_phase=True)", opt,
       OneCycleLR(opt, max_lr=0.1, total_steps=6, three_phase=True), 6, momenta=True)
opt = Adagrad(groups([dict(lr=0.01), dict(lr=0.01)]))
scheduler = OneCycleLR(opt, max_lr=0.3, total_steps=5, cycle_momentum=False, anneal_strategy="linear", pct_start=0.5)
record("one_cycle_adagrad", "Adagrad: OneCycleLR(opt, max_lr=0.3, total_steps=5, cycle_momentum=False, "
       "anneal_strategy='linear', pct_start=0.5)", opt, scheduler, 5)

opt = SGD(groups(two_sgd))
warmup = LinearLR(opt, start_factor=0.1, total_iters=3)
decay = CosineAnnealingLR(opt, T_max=6, eta_min=0.001)
record("sequential_linear_cosine", "SGD lr (0.1, 0.02): SequentialLR(opt, [LinearLR(opt, start_factor=0.1, "
       "total_iters=3), CosineAnnealingLR(opt, T_max=6, eta_min=0.001)], milestones=[3])", opt,
       SequentialLR(opt, [warmup, decay], milestones=[3]), 16)
opt = SGD(groups(two_sgd))
a = LinearLR(opt, start_factor=0.5, total_iters=4)
b = ExponentialLR(opt, gamma=0.9)
c = StepLR(opt, step_size=2, gamma=0.5)
record("sequential_three", "SGD lr (0.1, 0.02): SequentialLR(opt, [LinearLR(opt, start_factor=0.5, total_iters=4), "
       "ExponentialLR(opt, gamma=0.9), StepLR(opt, step_size=2, gamma=0.5)], milestones=[2, 5])", opt,
       SequentialLR(opt, [a, b, c], milestones=[2, 5]), 12)
opt = SGD(groups(two_sgd))
warmup = LinearLR(opt, start_factor=0.2, total_iters=4)
decay = ExponentialLR(opt, gamma=0.8)
record("sequential_built_in_other_order", "SGD lr (0.1, 0.02): warmup = LinearLR(opt, start_factor=0.2, "
       "total_iters=4) built first, then decay = ExponentialLR(opt, gamma=0.8); SequentialLR(opt, [decay, warmup], "
       "milestones=[3])", opt, SequentialLR(opt, [decay, warmup], milestones=[3]), 9)
opt = SGD(groups(two_sgd))
up = LinearLR(opt, start_factor=0.2, total_iters=2)
down = LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=4)
record("sequential_linear_linear", "SGD lr (0.1, 0.02): SequentialLR(opt, [LinearLR(opt, start_factor=0.2, "
       "total_iters=2), LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=4)], milestones=[2])", opt,
       SequentialLR(opt, [up, down], milestones=[2]), 8)
