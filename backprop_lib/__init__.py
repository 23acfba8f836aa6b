"""backprop_lib: the helper package of the backpropagation course.

Where to start reading:

- ``nn/``: the network library you build in the course (engine, activations,
  losses, layers, mlp, optim, datasets). It imports nothing else of the course.
- ``checking/``: how answers are judged (gradcheck, symbolic references,
  diagnoses of what differs).
- ``pictures/`` and ``widgets/``: the static plots and the interactive
  explorers of the lessons.
- ``lessons/``: simulations a lesson runs (the XOR network, gradient flow).
- ``exercises/``: one module of self-checks per lesson.

Imports run one way: ``nn`` <- ``checking`` <- ``lessons``, ``pictures`` <-
``widgets``, ``exercises``. Modules are imported by name
(``from backprop_lib.nn import mlp``); this file imports nothing, so that
``import backprop_lib`` stays fast.
"""
__version__ = "0.1.0"
