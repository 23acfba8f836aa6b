"""Static pictures the lessons draw with matplotlib.

Computational graphs, loss surfaces, decision boundaries, training
dashboards, delta heat maps and step-size plots. Uses ``nn`` and
``checking``; nothing in ``nn`` or ``checking`` uses it.
"""
