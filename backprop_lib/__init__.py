"""backprop_lib: the helper package of the backpropagation course.

Modules are imported by name (``from backprop_lib import gradcheck``); this
file imports nothing heavy so that ``import backprop_lib`` stays fast.
"""
__version__ = "0.1.0"
