"""The network library a student builds in the course: start reading here.

``engine`` (a scalar autodiff ``Value``, each op's derivative beside its
forward), ``activations``, ``losses``, ``layers`` (forward/backward pairs with
a cache), ``mlp`` (a multi-layer perceptron from those layers), ``optim``
(SGD, momentum, RMSProp, Adam) and ``datasets``. Nothing here imports any
other part of the course.
"""
