"""Simulations a lesson runs to make its point.

``xor`` and ``xor_net`` (the 2-2-1 XOR network of lesson 06), ``grad_flow``
(gradient norms through deep sigmoid/ReLU stacks, lesson 07) and
``symbolic_net`` (a small network as SymPy formulas, lesson 04). Built on
``nn``.
"""
