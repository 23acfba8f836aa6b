"""Widgets: time per update against the 100 ms budget of an interactive control.

For every widget of ``backprop_lib.widgets`` a control is moved back and forth
between a few values, in the same process, with no browser attached:

* compute: the widget's pure compute function alone (``*_state(...)``);
* update: what the kernel does when a control moves: setting the control's
  value runs compute, draws the static view on the widget's reused figure,
  encodes the PNG and hands it to the ``Image`` widget.

Each line prints the median (and fastest) wall-clock time of ``--repeats``
updates, the median CPU time of the process (less sensitive to other work on
the machine), and the ratio of the median update to the 100 ms budget
(``ratio < 1``: within budget). The machine's load average is printed first,
since on a busy machine every wall-clock figure grows.

The XOR trainer has three kinds of update (moving to a cached epoch, to an
epoch not trained yet, and changing the recipe), and a seed-sweep button
that is an explicit action, not a control: it is printed for information.

Run:  .venv/bin/python benchmarks/bench_widgets.py [--repeats 9]
"""
from __future__ import annotations

import argparse
import itertools
import os
import statistics
import time
from typing import Any, Callable, Iterable

import matplotlib

matplotlib.use("Agg")

from backprop_lib.widgets import (  # noqa: E402
    BackpropStepper, ChainRuleExplorer, GraphPlayground, NeuronLossExplorer, OptimiserRace, StepSizeExplorer,
    VanishingGradientExplorer, XorTrainer)
from backprop_lib.widgets import backprop_stepper, chain_rule, graph_playground, neuron_loss  # noqa: E402
from backprop_lib.widgets import optimiser_race, step_size, vanishing, xor_trainer  # noqa: E402
from backprop_lib.widgets._core import UPDATE_BUDGET  # noqa: E402


def timed(actions: Iterable[Callable[[], Any]]) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds of each action."""
    wall, cpu = [], []
    for action in actions:
        w0, c0 = time.perf_counter(), time.process_time()
        action()
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return wall, cpu


def report(name: str, what: str, wall: list[float], cpu: list[float], budget: bool = True) -> tuple[float, float]:
    """Print one line; return the ratios (wall, cpu) of the medians to the budget."""
    med, med_cpu = statistics.median(wall), statistics.median(cpu)
    ratios = f"{med / UPDATE_BUDGET:6.2f} {med_cpu / UPDATE_BUDGET:6.2f}" if budget else "   n/a    n/a"
    print(f"{name:26s} {what:34s} {med * 1e3:8.1f} {min(wall) * 1e3:8.1f} {med_cpu * 1e3:8.1f}  {ratios}")
    return (med / UPDATE_BUDGET, med_cpu / UPDATE_BUDGET) if budget else (0.0, 0.0)


def moves(widget: Any, control: str, values: list[Any], repeats: int) -> list[Callable[[], None]]:
    """``repeats`` assignments of ``control``, cycling through ``values`` (each one a change)."""
    cycle = itertools.cycle(values)
    next(cycle)  # the widget starts at values[0]
    widget.controls[control].value = values[0]

    def move() -> None:
        widget.controls[control].value = next(cycle)

    return [move] * repeats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9, help="updates timed per line; the median is reported")
    args = parser.parse_args()
    n = args.repeats
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores; "
          f"budget per update {UPDATE_BUDGET * 1e3:.0f} ms; {n} updates per line")
    print(f"{'widget':26s} {'update':34s} {'median':>8s} {'fastest':>8s} {'cpu':>8s}  {'ratio':>6s} {'cpu':>6s}")
    print(f"{'':26s} {'':34s} {'ms':>8s} {'ms':>8s} {'ms':>8s}  (median / budget)")

    # (widget, control, values, compute function of one value)
    cases: list[tuple[str, Callable[[], Any], str, list[Any], Callable[[Any], Any]]] = [
        ("StepSizeExplorer", StepSizeExplorer, "x", [1.0, 1.5, 0.5],
         lambda v: step_size.step_size_state("sin", v, 1e-5)),
        ("ChainRuleExplorer", ChainRuleExplorer, "x", [1.2, 0.6, -0.4],
         lambda v: chain_rule.chain_rule_state("sin", "square", v)),
        ("GraphPlayground", GraphPlayground, "step", [0, 4, 8, 12],
         lambda v: graph_playground.graph_state(step=v)),
        ("NeuronLossExplorer", NeuronLossExplorer, "w", [-3.0, 0.0, 3.0],
         lambda v: neuron_loss.neuron_loss_state(v, 1.0)),
        ("BackpropStepper", BackpropStepper, "step", [0, 2, 4],
         lambda v: backprop_stepper.stepper_state(v)),
        ("VanishingGradientExplorer", VanishingGradientExplorer, "depth", [10, 20, 40],
         lambda v: vanishing.gradient_norms_state(v)),
        ("OptimiserRace", OptimiserRace, "steps", [60, 200, 500],
         lambda v: optimiser_race.race_state(steps=v)),
    ]
    ratios: list[tuple[float, float]] = []
    for name, make, control, values, compute in cases:
        cycle = itertools.cycle(values)
        report(name, f"compute ({control})", *timed([lambda: compute(next(cycle))] * n), budget=False)
        widget = make()
        ratios.append(report(name, f"update ({control})", *timed(moves(widget, control, values, n))))

    # XOR trainer: three kinds of update, then the seed sweep
    xor = XorTrainer()
    xor.controls["epoch"].value = 2000  # trains up to 2000 once
    report("XorTrainer", "compute (epoch, cached)",
           *timed([lambda e=e: xor_trainer.xor_state(epoch=e) for e in [1000, 2000] * n][:n]), budget=False)
    ratios.append(report("XorTrainer", "update (epoch, cached)", *timed(moves(xor, "epoch", [1000, 2000], n))))
    ahead = iter(range(2100, 2100 + 100 * (n + 1), 100))
    ratios.append(report("XorTrainer", "update (Play: +100 epochs, new)",
                              *timed([lambda: setattr(xor.controls["epoch"], "value", next(ahead))] * n)))
    lrs = iter([0.3 + 0.01 * k for k in range(n)])
    xor.controls["epoch"].value = 1000
    ratios.append(report("XorTrainer", "update (lr: retrain to epoch 1000)",
                              *timed([lambda: setattr(xor.controls["lr"], "value", next(lrs))] * n)))
    xor.n_seeds.value = 50
    report("XorTrainer", "seed sweep button (50 x 4000 ep.)", *timed([xor.run_sweep] * max(1, n // 3)), budget=False)
    wall_worst, cpu_worst = max(r[0] for r in ratios), max(r[1] for r in ratios)
    print(f"worst update: {wall_worst:.2f} of the budget by the wall clock, {cpu_worst:.2f} in CPU time "
          f"({'within' if cpu_worst < 1 else 'OVER'} the budget in CPU time; the wall clock adds other jobs' load)")


if __name__ == "__main__":
    main()
