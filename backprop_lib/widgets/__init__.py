"""The course's interactive widgets: one module per widget, each a pure compute function,
a static matplotlib view of its state, and a thin ipywidgets wrapper.

=========================  ==========================  ======  ==========================================
widget                     module                      lesson  the student's functions it can take
=========================  ==========================  ======  ==========================================
StepSizeExplorer           step_size                   01      central_difference
ChainRuleExplorer          chain_rule                  01      composite_derivative
GraphPlayground            graph_playground            02      backward_pass
NeuronLossExplorer         neuron_loss                 03      bce_delta
BackpropStepper            backprop_stepper            04, 05  dense_forward, dense_backward, relu_backward
XorTrainer                 xor_trainer                 06      (library training; seed sweep)
VanishingGradientExplorer  vanishing                   07      layer_grad_norms, xavier_init, he_init
OptimiserRace              optimiser_race              08      sgd_step, momentum_step, adam_step
=========================  ==========================  ======  ==========================================

In a lesson::

    from backprop_lib.widgets import StepSizeExplorer
    StepSizeExplorer(central_difference=central_difference)

A widget displays as ipywidgets in JupyterLab and carries a PNG of its
current picture, which nbviewer and exported HTML show instead. Each also
has ``static_figure()``, a pyplot figure of the same state. The classes are
imported on first use, so ``import backprop_lib.widgets`` stays cheap.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

#: Each widget class and the module that holds it.
WIDGETS = {
    "StepSizeExplorer": "step_size",
    "ChainRuleExplorer": "chain_rule",
    "GraphPlayground": "graph_playground",
    "NeuronLossExplorer": "neuron_loss",
    "BackpropStepper": "backprop_stepper",
    "XorTrainer": "xor_trainer",
    "VanishingGradientExplorer": "vanishing",
    "OptimiserRace": "optimiser_race",
}

__all__ = list(WIDGETS)


def __getattr__(name: str) -> Any:
    if name in WIDGETS:
        return getattr(import_module(f".{WIDGETS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
