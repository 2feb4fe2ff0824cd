# Writes tests/optim/lbfgs_values.inc: the trajectories test_lbfgs.cpp replays, computed with
# torch.optim.LBFGS of PyTorch 1.13 (Debian 12's /usr/bin/python3), float64 unless said otherwise.
#   /usr/bin/python3 tests/optim/lbfgs_reference.py > tests/optim/lbfgs_values.inc
import torch


def rosenbrock(p):
    """The Rosenbrock loss, with its gradient written out by hand: one rounding per operation, in the
    same order as test_lbfgs.cpp, so that both sides see the same gradients to the last bit (autograd
    sums the contributions of x in its own order). Backward of sum(x * gx + y * gy) sets the gradient."""
    with torch.no_grad():
        x, y = p[0:1].clone(), p[1:2].clone()
        r = y - x * x
        loss = ((1 - x) * (1 - x) + 100 * (r * r)).sum()
        gx = -2 * (1 - x) - 400 * (x * r)
        gy = 200 * r
    (p[0:1] * gx + p[1:2] * gy).sum().backward()
    return loss


def lit(values):
    return "{" + ", ".join(repr(float(v)) for v in values) + "}"


def run(name, steps, dtype=torch.float64, lr_after_first=None, **options):
    """Rosenbrock from (-1.5, 2): per step the returned loss, the point and the total closure count;
    also every point the closure saw during the first step. The comment says how far the last point
    moves when the start moves by one ulp: how closely another implementation can follow."""
    start = torch.tensor([-1.5, 2.0], dtype=dtype)
    nudged = start.clone()
    nudged[0] = torch.nextafter(start[0], torch.tensor(0, dtype=dtype))
    _, _, _, _, last = trajectory(nudged, steps, lr_after_first, options)
    losses, points, evals, first, _ = trajectory(start, steps, lr_after_first, options)
    spread = max(abs(a - b) / abs(b) for a, b in zip(last, points[-1]))
    print(f"// {name}: torch.optim.LBFGS({', '.join(f'{k}={v!r}' for k, v in options.items())}), {dtype}"
          + (f", lr = {lr_after_first} after step 1" if lr_after_first is not None else ""))
    print(f"// (a start one ulp away ends {spread:.1e} away, relatively)")
    print(f"const Run {name} = {{")
    print(f"    {lit(losses)},")
    print("    {" + ", ".join(lit(q) for q in points) + "},")
    print(f"    {{{', '.join(str(e) for e in evals)}}},")
    print(f"    {{{', '.join(lit(q) for q in first)}}}}};")


def trajectory(start, steps, lr_after_first, options):
    p = start.clone().requires_grad_()
    opt = torch.optim.LBFGS([p], **options)
    seen = []

    def closure():
        opt.zero_grad()
        loss = rosenbrock(p)
        seen.append(p.detach().tolist())
        return loss

    losses, points, evals, first = [], [], [], None
    for k in range(steps):
        losses.append(float(opt.step(closure)))
        points.append(p.detach().tolist())
        evals.append(opt.state[p]["func_evals"])
        if k == 0:
            first = list(seen)
            if lr_after_first is not None:
                opt.param_groups[0]["lr"] = lr_after_first
    return losses, points, evals, first, points[-1]


run("rosenbrock_fixed_step", 2)
run("rosenbrock_strong_wolfe", 4, line_search_fn="strong_wolfe")
run("rosenbrock_float32", 3, dtype=torch.float32, line_search_fn="strong_wolfe")
run("rosenbrock_lr", 3, lr=0.5, lr_after_first=0.25, max_iter=6, history_size=2)
run("stop_tolerance_grad", 3, tolerance_grad=1e-2, line_search_fn="strong_wolfe")
run("stop_tolerance_change", 2, tolerance_change=1e-2)
run("stop_max_eval", 2, max_eval=7, line_search_fn="strong_wolfe")
run("stop_max_iter", 2, max_iter=3)

# Least squares on a Linear(3, 2) layer: mse_loss(fc(x), y), history_size=3, strong Wolfe, 3 steps.
x = torch.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5], [-1.0, 2.0, 0.75], [0.0, -0.5, 1.25], [2.0, 1.0, -1.5]],
                 dtype=torch.float64)
y = torch.tensor([[1.0, -2.0], [0.5, 0.0], [-1.5, 3.0], [2.0, 1.0], [0.25, -0.75]], dtype=torch.float64)
fc = torch.nn.Linear(3, 2).double()
with torch.no_grad():
    fc.weight.copy_(torch.tensor([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]], dtype=torch.float64))
    fc.bias.copy_(torch.tensor([0.05, -0.05], dtype=torch.float64))
opt = torch.optim.LBFGS(fc.parameters(), history_size=3, max_iter=4, line_search_fn="strong_wolfe")


def closure():
    opt.zero_grad()
    loss = torch.nn.functional.mse_loss(fc(x), y)
    loss.backward()
    return loss


print("// Linear(3, 2), mse_loss, torch.optim.LBFGS(history_size=3, max_iter=4, line_search_fn='strong_wolfe'): per step")
print("// the returned loss, the weight and the bias, and the total closure count")
print("const LinearRun linear_least_squares = {")
for k in range(3):
    loss = float(opt.step(closure))
    print(f"    {{{loss!r}, {lit(fc.weight.detach().flatten())}, {lit(fc.bias.detach())}, "
          f"{opt.state[fc.weight]['func_evals']}}},")
print("};")
