"""One training step of micrograd's own demo workload, on micrograd and on our Value, side by side.

The workload is micrograd's demo: an MLP with layers 2-16-16-1 (ReLU hidden layers, as in its
nn.py), 64 two-moons points, the SVM max-margin loss plus L2 regularisation, zero_grad,
backward, and an SGD update. The same MLP code below runs on both engines; only the Value
class differs. Runs alternate between the engines so drift in machine speed hits both. Time
is this thread's CPU time by default, which other processes on a shared machine disturb less
than wall time (`--clock wall` for that); garbage is collected untimed before each run.

    python bench/bench_value.py [--runs 15] [--clock cpu|wall]
"""

import argparse
import gc
import math
import random
import statistics
import time

from micrograd.engine import Value as MicrogradValue

from autodiff import Value

POINTS = 64
LAYERS = [2, 16, 16, 1]
ALPHA = 1e-4  # micrograd demo's L2 strength
LEARNING_RATE = 0.1
TARGET = 2.0  # the speed-up over micrograd we hold ourselves to, at least


class Neuron:
    """sum(w_i * x_i) + b, then ReLU unless it is the output neuron (micrograd's nn.Neuron)."""

    def __init__(self, value, nin, nonlin, rng):
        self.w = [value(rng.uniform(-1, 1)) for _ in range(nin)]
        self.b = value(0)
        self.nonlin = nonlin

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.relu() if self.nonlin else act

    def parameters(self):
        return self.w + [self.b]


class MLP:
    """Fully connected layers of Neurons (micrograd's nn.MLP)."""

    def __init__(self, value, sizes, rng):
        last = len(sizes) - 2
        self.layers = [[Neuron(value, sizes[i], i != last, rng) for _ in range(sizes[i + 1])]
                       for i in range(len(sizes) - 1)]

    def __call__(self, x):
        for layer in self.layers:
            x = [neuron(x) for neuron in layer]
        return x[0]

    def parameters(self):
        return [p for layer in self.layers for neuron in layer for p in neuron.parameters()]


def two_moons(n, noise, rng):
    """n points of two interleaved half circles with labels -1 / +1 (like sklearn's make_moons)."""
    points, labels = [], []
    for i in range(n):
        t = math.pi * (i // 2) / (n // 2 - 1)
        if i % 2 == 0:
            x, y, label = math.cos(t), math.sin(t), -1.0
        else:
            x, y, label = 1 - math.cos(t), 0.5 - math.sin(t), 1.0
        points.append((x + rng.gauss(0, noise), y + rng.gauss(0, noise)))
        labels.append(label)
    return points, labels


def training_step(value, model, points, labels):
    """Forward on every point, max-margin loss + L2, zero_grad, backward, SGD; returns the loss."""
    inputs = [[value(x), value(y)] for x, y in points]
    scores = [model(x) for x in inputs]
    losses = [(1 + -label * score).relu() for label, score in zip(labels, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum(p * p for p in model.parameters())
    total = data_loss + reg_loss
    for p in model.parameters():
        p.grad = 0.0
    total.backward()
    for p in model.parameters():
        p.data -= LEARNING_RATE * p.grad
    return total.data


CLOCKS = {"cpu": time.thread_time, "wall": time.perf_counter}


def timed(step, clock):
    """Seconds one call of step() takes on `clock`; garbage from earlier runs is collected first, untimed."""
    gc.collect()
    start = clock()
    step()
    return clock() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed steps per engine (default 15)")
    parser.add_argument("--clock", choices=CLOCKS, default="cpu", help="thread CPU time (default) or wall time")
    args = parser.parse_args()
    runs, clock = args.runs, CLOCKS[args.clock]

    points, labels = two_moons(POINTS, 0.1, random.Random(0))
    engines = {"micrograd 0.1.0": MicrogradValue, "autodiff.Value": Value}
    # Same seed, so both models start from the same weights and do the same arithmetic.
    models = {name: MLP(value, LAYERS, random.Random(1)) for name, value in engines.items()}
    steps = {name: (lambda v=value, m=models[name]: training_step(v, m, points, labels))
             for name, value in engines.items()}

    losses = {name: step() for name, step in steps.items()}  # warm-up, and proof of equal work
    first, second = losses.values()
    assert math.isclose(first, second, rel_tol=1e-12), f"engines disagree: {losses}"

    times = {name: [] for name in engines}
    for _ in range(runs):
        for name, step in steps.items():
            times[name].append(timed(step, clock))

    nodes = POINTS * sum(LAYERS[i] * (2 * LAYERS[i - 1] + 1) for i in range(1, len(LAYERS)))
    print(f"one training step, MLP {'-'.join(map(str, LAYERS))}, {POINTS} points "
          f"(~{nodes} nodes in the MLP alone), {runs} alternating runs each, {args.clock} time")
    print(f"{'engine':<18}{'median ms':>11}{'min ms':>9}{'max ms':>9}")
    for name, samples in times.items():
        print(f"{name:<18}{1e3 * statistics.median(samples):>11.2f}"
              f"{1e3 * min(samples):>9.2f}{1e3 * max(samples):>9.2f}")
    ratio = statistics.median(times["micrograd 0.1.0"]) / statistics.median(times["autodiff.Value"])
    verdict = "ok" if ratio >= TARGET else "MISSED"
    print(f"speed-up of autodiff.Value over micrograd (ratio of medians): {ratio:.2f}x "
          f"(target >= {TARGET:.1f}x: {verdict})")


if __name__ == "__main__":
    main()
