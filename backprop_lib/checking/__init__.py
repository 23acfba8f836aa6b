"""The machinery that judges answers: is a gradient right, and if not, why.

``gradcheck`` (numerical gradients and the pass / fail / uncertain verdict),
``symbolic`` (SymPy expressions as exact references), ``diagnose`` (what
differs between two arrays, in words), ``checks`` (the self-check helpers
exercises use) and ``named_errors`` (a student's exception turned into a
message). Imports ``nn`` at most, never the pictures, lessons or exercises.
"""
