"""Small 2-D data sets for the course: XOR, study and sleep, moons, circles, spirals.

Conventions, the same for every function here:

* Batch-first: ``x`` has shape ``(m, 2)``, one example per row, float64.
* Binary labels (``xor``, ``study_sleep``, ``moons``, ``circles``) come as a
  COLUMN ``y`` of shape ``(m, 1)``, float64, holding 0.0 or 1.0. That is the
  shape of a one-output network's ``y_hat``, so ``y_hat - y`` is element-wise.
  (With ``y`` of shape ``(m,)``, ``y_hat - y`` would silently broadcast to
  ``(m, m)``: a classic bug.)
* Multi-class labels (``spirals``) come as class indices, ``y`` of shape
  ``(m,)``, int64, in ``0 .. n_classes - 1``; :func:`one_hot` turns them into
  an ``(m, n_classes)`` target for a softmax output.
* All randomness comes from the ``rng`` argument, a ``np.random.Generator``
  (``np.random.default_rng(seed)``): the same generator state gives the same
  data, and nothing touches NumPy's global random state.
* Classes are balanced: their sizes differ by at most one (``study_sleep``,
  whose labels come from a rule, is balanced only on average). Rows are
  shuffled, so any slice of the data mixes the classes.
"""
from __future__ import annotations

import numpy as np

#: ``study_sleep``: sleep counts up to this many hours, and not beyond.
SLEEP_CAP = 8.0
#: ``study_sleep``: one hour of sleep (up to the cap) is worth this many hours of study.
SLEEP_WEIGHT = 1.5
#: ``study_sleep``: pass when study + SLEEP_WEIGHT * min(sleep, SLEEP_CAP) exceeds this.
PASS_MARK = 14.0


def xor() -> tuple[np.ndarray, np.ndarray]:
    """The four XOR examples: ``x`` (4, 2) and ``y`` (4, 1), in the order 00, 01, 10, 11.

    ``y`` is 1 exactly when the two inputs differ. No randomness: the same
    four points every time.
    """
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([[0.0], [1.0], [1.0], [0.0]])
    return x, y


def study_sleep(rng: np.random.Generator, m: int, noise: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Hours of study and of sleep before an exam -> passed (1) or failed (0).

    ``x[:, 0]`` is hours of study, uniform in [0, 10); ``x[:, 1]`` hours of
    sleep, uniform in [3, 10). The rule behind the labels::

        score = study + 1.5 * min(sleep, 8)        # sleep beyond 8 hours does not help
        pass  = score + noise * N(0, 1) > 14

    So with 8 hours of sleep, 2 hours of study suffice; with 4 hours of sleep,
    8 hours of study are needed. ``noise`` (in "hours of study") blurs the
    boundary: students near it pass or fail by luck; ``noise=0`` gives the
    exact rule. The cap at 8 hours bends the boundary, so a straight line
    separates the classes only roughly, which is why lesson 05's network has
    a hidden layer. About half the students pass.

    Returns ``x`` (m, 2) in hours (not standardised) and ``y`` (m, 1) of 0.0/1.0.
    """
    study = rng.uniform(0.0, 10.0, size=m)
    sleep = rng.uniform(3.0, 10.0, size=m)
    score = study + SLEEP_WEIGHT * np.minimum(sleep, SLEEP_CAP)
    passed = score + noise * rng.standard_normal(m) > PASS_MARK
    return np.column_stack([study, sleep]), passed.astype(np.float64)[:, None]


def _class_sizes(m: int, n_classes: int) -> list[int]:
    """``m`` split into ``n_classes`` sizes differing by at most one (the first classes get more)."""
    if m < n_classes:
        raise ValueError(f"m = {m} examples cannot hold {n_classes} classes")
    return [m // n_classes + (1 if k < m % n_classes else 0) for k in range(n_classes)]


def _shuffled(rng: np.random.Generator, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The same random permutation applied to the rows of ``x`` and ``y``."""
    order = rng.permutation(len(x))
    return x[order], y[order]


def moons(rng: np.random.Generator, m: int, noise: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half circles: ``x`` (m, 2), ``y`` (m, 1) of 0.0/1.0.

    Class 0 lies on the upper half of the unit circle centred at (0, 0);
    class 1 on the lower half of the unit circle centred at (1, 0.5). Angles
    are uniform along each half; Gaussian noise of standard deviation
    ``noise`` is added to both coordinates.
    """
    m0, m1 = _class_sizes(m, 2)
    t0 = rng.uniform(0.0, np.pi, size=m0)
    t1 = rng.uniform(0.0, np.pi, size=m1)
    upper = np.column_stack([np.cos(t0), np.sin(t0)])
    lower = np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)])
    x = np.concatenate([upper, lower]) + noise * rng.standard_normal((m, 2))
    y = np.concatenate([np.zeros(m0), np.ones(m1)])[:, None]
    return _shuffled(rng, x, y)


def circles(rng: np.random.Generator, m: int, noise: float = 0.05,
            factor: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """A circle inside another: ``x`` (m, 2), ``y`` (m, 1) of 0.0/1.0.

    Class 0 lies on the circle of radius 1, class 1 on the circle of radius
    ``factor`` (in (0, 1)), both centred at the origin, at uniform angles;
    Gaussian noise of standard deviation ``noise`` is added to both coordinates.
    """
    if not 0.0 < factor < 1.0:
        raise ValueError(f"factor is the inner radius and must be in (0, 1), got {factor}")
    m0, m1 = _class_sizes(m, 2)
    angle = rng.uniform(0.0, 2.0 * np.pi, size=m)
    radius = np.concatenate([np.ones(m0), np.full(m1, factor)])
    x = radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    x = x + noise * rng.standard_normal((m, 2))
    y = np.concatenate([np.zeros(m0), np.ones(m1)])[:, None]
    return _shuffled(rng, x, y)


def spirals(rng: np.random.Generator, m: int, n_classes: int = 3,
            noise: float = 0.03) -> tuple[np.ndarray, np.ndarray]:
    """``n_classes`` spiral arms around the origin: ``x`` (m, 2), ``y`` (m,) of int64 class indices.

    Arm ``k`` starts near the origin at angle ``2 pi k / n_classes`` and winds
    one and a quarter turns outwards to radius 1: a point at radius
    ``r`` (uniform in [0.05, 1]) sits at angle ``2 pi k / n_classes + 2.5 pi r``.
    Gaussian noise of standard deviation ``noise`` is added to both coordinates
    (above about 0.05 the arms start to run into each other near the centre).
    No straight line, and no single hidden unit, separates the arms: the
    capstone's deeper network is needed.
    """
    if n_classes < 2:
        raise ValueError(f"spirals needs at least 2 classes, got {n_classes}")
    sizes = _class_sizes(m, n_classes)
    y = np.repeat(np.arange(n_classes), sizes)
    r = rng.uniform(0.05, 1.0, size=m)
    angle = 2.0 * np.pi * y / n_classes + 2.5 * np.pi * r
    x = r[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    x = x + noise * rng.standard_normal((m, 2))
    return _shuffled(rng, x, y.astype(np.int64))


def one_hot(y: np.ndarray, n_classes: int | None = None) -> np.ndarray:
    """Class indices ``y`` of shape (m,) -> one-hot rows of shape (m, n_classes), float64."""
    y = np.asarray(y)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"one_hot needs integer class indices of shape (m,), got {y.dtype} {y.shape}")
    n_classes = int(y.max()) + 1 if n_classes is None else n_classes
    out = np.zeros((len(y), n_classes))
    out[np.arange(len(y)), y] = 1.0
    return out
