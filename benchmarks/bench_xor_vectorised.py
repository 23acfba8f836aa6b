"""XOR: many seeds at once. 100 networks trained together against the plain one-network loop.

Both sides train the classic 2-2-1 sigmoid network (uniform [0, 1) init,
lr 0.1, squared error, 10 000 epochs) in the same process:

* vectorised: ``backprop_lib.lessons.xor.train_many`` on all seeds, each step a few
  NumPy operations on stacks of shape (S, ...); best of ``--repeats`` runs.
* loop: ``backprop_lib.lessons.xor.train_one`` on ``--loop-seeds`` of the seeds, one
  after another; the time per network is multiplied by the number of seeds.
  That is an EXTRAPOLATION (the loop's cost is the same for every seed, so it
  is a fair one), printed as such.

Also checks that both give the same networks for the seeds the loop trained,
and prints the share of seeds the recipe fails. The target: the vectorised run
under 2 s for 100 networks x 10 000 epochs.

Run:  .venv/bin/python benchmarks/bench_xor_vectorised.py [--seeds 100] [--loop-seeds 5] [--repeats 3]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from backprop_lib.lessons.xor import ROBUST_RECIPE, CLASSIC_RECIPE, Recipe, train_loop, train_many

TARGET_SECONDS = 2.0


def best_time(fn, repeats: int) -> tuple[float, object]:
    """The fastest of ``repeats`` calls of ``fn``, in seconds, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100, help="networks trained at once")
    parser.add_argument("--loop-seeds", type=int, default=5, help="networks timed in the plain loop")
    parser.add_argument("--epochs", type=int, default=CLASSIC_RECIPE.epochs)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each side; the best counts")
    args = parser.parse_args()

    recipe = Recipe(epochs=args.epochs)
    seeds = list(range(args.seeds))
    loop_seeds = seeds[: args.loop_seeds]

    t_many, run = best_time(lambda: train_many(seeds, recipe), args.repeats)
    t_loop, loop_run = best_time(lambda: train_loop(loop_seeds, recipe), args.repeats)
    per_network = t_loop / len(loop_seeds)
    t_loop_all = per_network * len(seeds)

    same = max(float(np.abs(a[: len(loop_seeds)] - b).max()) for a, b in zip(run.params, loop_run.params))
    print(f"recipe: {recipe}")
    print(f"vectorised: {len(seeds)} networks x {recipe.epochs} epochs in {t_many:.3f} s "
          f"(target < {TARGET_SECONDS:g} s: {'met' if t_many < TARGET_SECONDS else 'NOT met'})")
    print(f"plain loop: {per_network:.3f} s per network, measured on {len(loop_seeds)} networks; "
          f"extrapolated to {len(seeds)} networks: {t_loop_all:.1f} s")
    print(f"ratio loop / vectorised: {t_loop_all / t_many:.1f}x")
    print(f"largest parameter difference, vectorised vs loop: {same:.1e}")
    print(f"classic recipe: {len(run.unsolved_seeds)} of {len(seeds)} seeds unsolved "
          f"(fraction {run.unsolved_fraction:.2f}): {run.unsolved_seeds}")

    start = time.perf_counter()
    robust = train_many(seeds, ROBUST_RECIPE)
    print(f"robust recipe {ROBUST_RECIPE}: {len(robust.unsolved_seeds)} of {len(seeds)} unsolved "
          f"({time.perf_counter() - start:.2f} s)")


if __name__ == "__main__":
    main()
