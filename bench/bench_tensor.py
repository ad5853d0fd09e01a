"""Tensor vs PyTorch CPU: one training step of a 2-layer tanh MLP, both on one thread.

The network: x (batch, hidden) -> tanh(x @ W1 + b1) -> @ W2 + b2 -> (batch, 1), MSE loss
against y, backward, SGD update. Inputs are `hidden` wide (in = hidden, so the first layer is
a square hidden x hidden matmul) and there is one output, like the lesson's XOR network.
Each engine runs the same step in its idiomatic form (ours: `p.data -= lr * p.grad`, PyTorch:
`p.sub_(lr * p.grad)` under no_grad). Rounds alternate the engines; the table shows medians.
Time is the thread's CPU time by default (both engines compute on this one thread), so other
processes on a shared machine disturb the numbers less than wall time; `--clock wall` for that.

Run: python bench/bench_tensor.py [--rounds N] [--clock cpu|wall] [--profile]
"""

import os

# Before NumPy (and its BLAS) loads: one thread, like torch.set_num_threads(1) below.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from autodiff import Tensor  # noqa: E402

SIZES = [(4, 8), (256, 64), (4096, 256)]  # (batch, hidden)
TARGETS = {(4, 8): 1.0, (256, 64): 1.5, (4096, 256): 1.5}  # our time / PyTorch's, at most
LR = 0.01


def problem(batch, hidden, seed=0):
    """Float32 inputs, targets and initial weights for one size (the same numbers for both engines)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, hidden)).astype(np.float32)
    y = rng.standard_normal((batch, 1)).astype(np.float32)
    scale = 1 / np.sqrt(hidden)
    weights = [(rng.standard_normal((hidden, hidden)) * scale).astype(np.float32),
               np.zeros((1, hidden), np.float32),
               (rng.standard_normal((hidden, 1)) * scale).astype(np.float32),
               np.zeros((1, 1), np.float32)]
    return x, y, weights


def mlp_loss(X, Y, W1, b1, W2, b2):
    """MSE of the 2-layer tanh MLP: the same code runs on our Tensor and on PyTorch's."""
    h = (X @ W1 + b1).tanh()
    diff = h @ W2 + b2 - Y
    return (diff * diff).mean()


def ours(x, y, weights):
    """A function running one training step with our Tensor."""
    X, Y = Tensor(x), Tensor(y)
    params = [Tensor(w, requires_grad=True) for w in weights]

    def step():
        loss = mlp_loss(X, Y, *params)
        for p in params:
            p.grad = None
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
        return loss
    return step


def pytorch(x, y, weights):
    """A function running the same step with PyTorch."""
    import torch
    X, Y = torch.from_numpy(x.copy()), torch.from_numpy(y.copy())
    params = [torch.tensor(w, requires_grad=True) for w in weights]

    def step():
        loss = mlp_loss(X, Y, *params)
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p.sub_(LR * p.grad)
        return loss
    return step


CLOCKS = {"cpu": time.thread_time, "wall": time.perf_counter}
clock = CLOCKS["cpu"]


def per_step_seconds(step, repeat):
    """Time of `repeat` steps on `clock`, divided by repeat."""
    start = clock()
    for _ in range(repeat):
        step()
    return (clock() - start) / repeat


def same_first_steps(batch, hidden):
    """Check both engines compute the same losses for a few steps (else the timing compares different work)."""
    ours_step = ours(*problem(batch, hidden))
    torch_step = pytorch(*problem(batch, hidden))
    for _ in range(3):
        a, b = float(ours_step().data), float(torch_step().item())
        if not np.isclose(a, b, rtol=1e-4, atol=1e-6):
            raise AssertionError(f"engines disagree at {(batch, hidden)}: loss {a} vs {b}")


def compare(batch, hidden, rounds):
    """Median per-step seconds of ours and PyTorch's, from `rounds` alternating rounds."""
    ours_step = ours(*problem(batch, hidden))
    torch_step = pytorch(*problem(batch, hidden))
    # About 20 ms of work per timing keeps the clock's resolution out of the numbers.
    repeat = max(1, int(0.02 / per_step_seconds(torch_step, 3)))
    for step in (ours_step, torch_step):  # warm up caches and allocators
        per_step_seconds(step, repeat)
    times = {"ours": [], "torch": []}
    for r in range(rounds):
        pair = [("ours", ours_step), ("torch", torch_step)]
        for name, step in (pair if r % 2 == 0 else pair[::-1]):
            times[name].append(per_step_seconds(step, repeat))
    return statistics.median(times["ours"]), statistics.median(times["torch"])


def profile(batch, hidden):
    """Print where our step spends its time (cProfile, sorted by own time)."""
    import cProfile
    import pstats
    step = ours(*problem(batch, hidden))
    cProfile.runctx("for _ in range(2000): step()", globals(), {"step": step}, "/tmp/bench_tensor.prof")
    pstats.Stats("/tmp/bench_tensor.prof").sort_stats("tottime").print_stats(15)


def main():
    """Print the table: per-step time of each engine, the ratio and the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21, help="alternating rounds per size (default 21)")
    parser.add_argument("--clock", choices=CLOCKS, default="cpu", help="thread CPU time (default) or wall time")
    parser.add_argument("--profile", action="store_true", help="profile our step at the smallest size instead")
    args = parser.parse_args()
    global clock
    clock = CLOCKS[args.clock]
    if args.profile:
        profile(*SIZES[0])
        return
    import torch
    torch.set_num_threads(1)
    print(f"numpy {np.__version__}, torch {torch.__version__}, 1 thread, {args.clock} time per step, "
          f"median of {args.rounds} alternating rounds")
    print(f"{'batch x hidden':>15} {'ours':>11} {'PyTorch':>11} {'ratio':>7} {'target':>7}")
    for batch, hidden in SIZES:
        same_first_steps(batch, hidden)
        mine, theirs = compare(batch, hidden, args.rounds)
        ratio = mine / theirs
        verdict = "ok" if ratio <= TARGETS[(batch, hidden)] else "MISSED"
        print(f"{f'{batch} x {hidden}':>15} {_fmt(mine):>11} {_fmt(theirs):>11} {ratio:>6.2f}x "
              f"{TARGETS[(batch, hidden)]:>5.1f}x {verdict}")


def _fmt(seconds):
    """Seconds as us or ms."""
    return f"{seconds * 1e6:.1f} us" if seconds < 1e-3 else f"{seconds * 1e3:.2f} ms"


if __name__ == "__main__":
    main()
