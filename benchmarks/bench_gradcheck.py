"""Gradient check of a ~100k-parameter MLP: one random direction against full central differences.

The network is 784-128-10 (tanh hidden layer, linear output, mean squared
error) on a batch of 64, in float64: 101 770 parameters. Its gradients come
from a hand-written backward pass. Measured in the same process:

* ``check_direction``: two forward passes, whatever the size (best of several
  repeats); the target is under 0.1 s;
* ``check_gradients`` (every entry): ``1 + 2 * 101 770`` forward passes, far
  too long to wait for, so ``check_sampled`` times a random subset of entries
  (best of several repeats) and the full time is extrapolated as (time per
  entry) x (number of entries); the output says so.

Timings are best-of: on a shared machine a BLAS call now and then waits for
a core. BLAS runs on one thread unless ``OPENBLAS_NUM_THREADS`` (or
``OMP_NUM_THREADS``) is set; both checks run under the same setting.

Also shows that both checks pass the correct gradient and that the direction
check fails when the largest gradient entry is 0.1% off.

Run:  .venv/bin/python benchmarks/bench_gradcheck.py [--seed S] [--entries K] [--repeats R]
"""
from __future__ import annotations

import argparse
import os
import platform
import time

# Small matrices on a shared 2-core machine: a second BLAS thread mostly waits
# for a core. One thread unless the caller says otherwise (set before NumPy loads).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

from backprop_lib.checking import gradcheck as gc  # noqa: E402

SIZES = (784, 128, 10)
BATCH = 64


class Mlp:
    """``x (m, 784) -> tanh(x W1 + b1) (m, 128) -> a W2 + b2 (m, 10)``, loss ``0.5 |y_hat - y|^2 / m``."""

    def __init__(self, rng: np.random.Generator) -> None:
        n_in, n_hid, n_out = SIZES
        self.params = {"W1": rng.normal(size=(n_in, n_hid)) / np.sqrt(n_in), "b1": np.zeros(n_hid),
                       "W2": rng.normal(size=(n_hid, n_out)) / np.sqrt(n_hid), "b2": np.zeros(n_out)}
        self.x = rng.normal(size=(BATCH, n_in))
        self.y = rng.normal(size=(BATCH, n_out))

    def loss(self, p: gc.Params) -> float:
        a = np.tanh(self.x @ p["W1"] + p["b1"])
        return float(0.5 * np.sum((a @ p["W2"] + p["b2"] - self.y) ** 2) / BATCH)

    def grads(self) -> dict[str, np.ndarray]:
        p = self.params
        a = np.tanh(self.x @ p["W1"] + p["b1"])             # (m, 128)
        d_out = (a @ p["W2"] + p["b2"] - self.y) / BATCH     # (m, 10)
        dz = (d_out @ p["W2"].T) * (1.0 - a ** 2)            # (m, 128)
        return {"W1": self.x.T @ dz, "b1": dz.sum(axis=0), "W2": a.T @ d_out, "b2": d_out.sum(axis=0)}


def best_of(repeats: int, fn) -> tuple[float, object]:
    """The shortest wall time of ``repeats`` calls of ``fn`` and the last result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--entries", type=int, default=100, help="sampled entries per parameter array")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    net = Mlp(rng)
    grads = net.grads()
    n_params = sum(p.size for p in net.params.values())
    print(f"MLP {'-'.join(map(str, SIZES))}, tanh, batch {BATCH}, float64: {n_params} parameters "
          f"(Python {platform.python_version()}, NumPy {np.__version__}, "
          f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']})")

    t_forward, _ = best_of(args.repeats * 3, lambda: net.loss(net.params))
    t_direction, direction = best_of(args.repeats, lambda: gc.check_direction(net.loss, net.params, grads, rng))
    print(f"one forward pass (loss):          {t_forward * 1e3:8.2f} ms (best of {args.repeats * 3})")
    print(f"check_direction, 1 direction:     {t_direction * 1e3:8.2f} ms (best of {args.repeats}; "
          f"target < 100 ms: {'met' if t_direction < 0.1 else 'NOT met'})")
    print(f"  {direction}")

    t_sampled, sampled = best_of(args.repeats,
                                 lambda: gc.check_sampled(net.loss, net.params, grads, args.entries, rng))
    n_sampled = sum(p.checked + len(p.kinks) for p in sampled.params.values())
    per_entry = (t_sampled - t_forward) / n_sampled
    t_full = t_forward + per_entry * n_params
    print(f"check_sampled, {n_sampled} entries:      {t_sampled:8.3f} s  (best of {args.repeats}; "
          f"{per_entry * 1e3:.2f} ms per entry; "
          f"max relative error {sampled.max_rel_error:.2g}, {'pass' if sampled.passed else 'FAIL'})")
    print(f"check_gradients, all {n_params} entries: {t_full:8.1f} s  EXTRAPOLATED from the {n_sampled} "
          "sampled entries (not run)")
    print(f"ratio full / direction: {t_full / t_direction:,.0f}x")

    for name, g in grads.items():
        idx = tuple(int(i) for i in np.unravel_index(np.argmax(np.abs(g)), g.shape))
        wrong = {k: v.copy() for k, v in grads.items()}
        wrong[name][idx] *= 1.001
        caught = sum(gc.check_direction(net.loss, net.params, wrong, rng).status == "fail" for _ in range(20))
        print(f"largest entry of {name} ({name}{idx}) 0.1% off: the direction check fails for "
              f"{caught} of 20 random directions")

if __name__ == "__main__":
    main()
