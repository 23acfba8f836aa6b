"""Lesson 05's checks accept every correct way of writing an answer, and refuse shortcuts.

tests/test_exercises.py runs the reference solutions and the typical mistakes;
this file adds answers that look different from the reference but are right
(a ReLU mask taken from the output, an in-place mask, a gradient checker that
restores by adding h back), and answers that call the library or hard-code
the self-check's numbers.
"""
from __future__ import annotations

import numpy as np
import pytest

from backprop_lib.nn import layers, mlp
from backprop_lib.checking.checks import CheckFailed
from backprop_lib.exercises import lesson05 as L

SEEDS = range(12)


def compiled(source: str, name: str):
    namespace = {"np": np, "layers": layers, "mlp": mlp}
    exec(source, namespace)  # noqa: S102 - trusted test code
    return namespace[name]


CORRECT_VARIANTS = {
    "relu_backward": [
        # the mask from the forward's OUTPUT a = max(z, 0): the same entries as z > 0
        "def relu_backward(dout, cache):\n    a = np.maximum(cache, 0)\n    return dout * (a > 0)\n",
        "def relu_backward(dout, cache):\n    return np.where(cache > 0, dout, 0.0)\n",
        "def relu_backward(dout, cache):\n    dz = dout.copy()\n    dz[cache <= 0] = 0\n    return dz\n",
        "def relu_backward(dout, cache):\n    return dout * np.heaviside(cache, 0.0)\n",
    ],
    "dense_forward": [
        "def dense_forward(x, W, b):\n    return np.dot(x, W) + b, [x, W, b]\n",
    ],
    "dense_backward": [
        "def dense_backward(dout, cache):\n    x, W, b = cache\n"
        "    return np.dot(dout, W.T), np.einsum('mi,mo->io', x, dout), np.sum(dout, axis=0)\n",
    ],
    "output_delta": [
        "def output_delta(y_hat, y):\n    return (y_hat - y) / len(y)\n",
    ],
    "network_gradients": [
        # the ReLU mask written inline from the activations instead of ops.relu_backward
        "def network_gradients(params, x, y, ops):\n"
        "    z1, c1 = ops.dense_forward(x, params['W1'], params['b1'])\n"
        "    a1, _ = ops.relu_forward(z1)\n"
        "    z2, c2 = ops.dense_forward(a1, params['W2'], params['b2'])\n"
        "    d2 = ops.output_delta(ops.sigmoid(z2), y)\n"
        "    da1, dW2, db2 = ops.dense_backward(d2, c2)\n"
        "    _, dW1, db1 = ops.dense_backward(da1 * (a1 > 0), c1)\n"
        "    return dict(W1=dW1, b1=db1, W2=dW2, b2=db2)\n",
    ],
    "grad_check": [
        # restoring by arithmetic (+h, -2h, +h) instead of saving the old value
        "def grad_check(loss_fn, params, grads, h=1e-5):\n"
        "    out = {}\n"
        "    for name, p in params.items():\n"
        "        num = np.zeros_like(p)\n"
        "        for i in np.ndindex(p.shape):\n"
        "            p[i] += h\n"
        "            up = loss_fn(params)\n"
        "            p[i] -= 2 * h\n"
        "            down = loss_fn(params)\n"
        "            p[i] += h\n"
        "            num[i] = (up - down) / (2 * h)\n"
        "        g = grads[name]\n"
        "        out[name] = np.max(np.abs(g - num) / np.maximum(np.abs(g) + np.abs(num), 1e-8))\n"
        "    return out\n",
        # a flat loop over p.flat
        "def grad_check(loss_fn, params, grads, h=1e-5):\n"
        "    out = {}\n"
        "    for name, p in params.items():\n"
        "        errs = []\n"
        "        for i in range(p.size):\n"
        "            old = p.flat[i]\n"
        "            p.flat[i] = old + h; up = loss_fn(params)\n"
        "            p.flat[i] = old - h; down = loss_fn(params)\n"
        "            p.flat[i] = old\n"
        "            n = (up - down) / (2 * h); g = grads[name].flat[i]\n"
        "            errs.append(abs(g - n) / max(abs(g) + abs(n), 1e-8))\n"
        "        out[name] = max(errs)\n"
        "    return out\n",
    ],
}


@pytest.mark.parametrize("task, source", [(t, s) for t, sources in CORRECT_VARIANTS.items() for s in sources])
def test_a_correct_answer_written_differently_passes(task, source):
    fn = compiled(source, task)
    check = getattr(L, f"check_{task}")
    check(fn)
    for seed in SEEDS:
        check(fn, rng=np.random.default_rng(seed))


SHORTCUTS = {
    "dense_forward": "def dense_forward(x, W, b):\n    return layers.dense_forward(x, W, b)\n",
    "dense_backward": "def dense_backward(dout, cache):\n    return layers.dense_backward(dout, cache)\n",
    "relu_backward": "def relu_backward(dout, cache):\n"
                     "    return layers.activation_backward(dout, (cache, __import__('backprop_lib.nn.activations',"
                     " fromlist=['x']).ACTIVATIONS['relu']))\n",
    "network_gradients": "def network_gradients(params, x, y, ops):\n"
                         "    net = [{'W': params['W1'], 'b': params['b1']}, {'W': params['W2'], 'b': params['b2']}]\n"
                         "    _, g = mlp.loss_and_grads(net, x, y, 'binary_cross_entropy_with_logits')\n"
                         "    return dict(W1=g[0]['W'], b1=g[0]['b'], W2=g[1]['W'], b2=g[1]['b'])\n",
}


@pytest.mark.parametrize("task", sorted(SHORTCUTS))
def test_calling_the_library_instead_of_writing_the_formula_fails(task):
    fn = compiled(SHORTCUTS[task], task)
    with pytest.raises(CheckFailed, match="course library's own"):
        getattr(L, f"check_{task}")(fn)


def test_the_kink_convention_is_checked_in_every_hidden_draw():
    at_kink = compiled("def relu_backward(dout, cache):\n    return dout * (cache >= 0)\n", "relu_backward")
    for seed in SEEDS:
        with pytest.raises(CheckFailed, match="kink"):
            L.check_relu_backward(at_kink, rng=np.random.default_rng(seed))


def test_a_network_answer_memorised_from_the_self_check_fails_the_hidden_test():
    right = compiled(CORRECT_VARIANTS["network_gradients"][0], "network_gradients")
    seen = {}

    def recording(params, x, y, ops):
        seen[x.tobytes()] = right(params, x, y, ops)
        return seen[x.tobytes()]

    def memorised(params, x, y, ops):
        return seen.get(x.tobytes(), {k: np.zeros_like(v) for k, v in params.items()})

    L.check_network_gradients(recording)
    L.check_network_gradients(memorised)
    with pytest.raises(CheckFailed):
        L.check_network_gradients(memorised, rng=np.random.default_rng(3))


def test_a_grad_check_that_samples_only_some_entries_fails():
    first_only = compiled(
        "def grad_check(loss_fn, params, grads, h=1e-5):\n"
        "    out = {}\n"
        "    for name, p in params.items():\n"
        "        i = (0,) * p.ndim\n"
        "        old = p[i]; p[i] = old + h; up = loss_fn(params); p[i] = old - h; down = loss_fn(params)\n"
        "        p[i] = old\n"
        "        n = (up - down) / (2 * h); g = grads[name][i]\n"
        "        out[name] = abs(g - n) / max(abs(g) + abs(n), 1e-8)\n"
        "    return out\n", "grad_check")
    # the single wrong entry is never the first one, so looking at one entry never suffices
    for rng in [None, *(np.random.default_rng(seed) for seed in SEEDS)]:
        with pytest.raises(CheckFailed, match="not every entry is compared"):
            L.check_grad_check(first_only, rng=rng)


def lesson_text() -> str:
    import nbformat

    from autograder.layout import REPO
    nb = nbformat.read(REPO / "solutions" / "05_mlp" / "05_mlp.ipynb", as_version=4)
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def test_two_linear_layers_are_one_but_a_relu_network_is_not_linear():
    """The lesson's claim, on its own hand-picked network: no activation collapses to one layer, ReLU does not."""
    W1, b1 = np.array([[0.3, -0.2, 0.1], [0.2, 0.1, -0.3]]), np.array([-2.0, 0.5, 0.4])
    W2, b2 = np.array([[1.5], [-0.5], [0.8]]), np.array([-0.3])
    points = np.random.default_rng(5).uniform(0, 10, (500, 2))
    assert np.abs((points @ W1 + b1) @ W2 + b2 - (points @ (W1 @ W2) + (b1 @ W2 + b2))).max() < 1e-12
    with_relu = np.maximum(points @ W1 + b1, 0) @ W2 + b2
    design = np.column_stack([points, np.ones(len(points))])
    best = design @ np.linalg.lstsq(design, with_relu, rcond=None)[0]
    assert np.abs(with_relu - best).max() > 0.5 * with_relu.std()
    assert "two linear layers are one" in lesson_text()


def test_the_lesson_uses_the_course_notation_and_names_no_source():
    text = lesson_text()
    assert "z_1" not in text and "W_2" not in text and "\\delta_2" not in text
    assert "\\mathcal{L}" in text and "seed" not in text.lower().replace("seeds", "")


def test_the_library_helpers_that_do_not_answer_an_exercise_are_allowed():
    from backprop_lib.nn.activations import relu_prime

    def relu_backward(dout, cache):
        return dout * relu_prime(cache)

    L.check_relu_backward(relu_backward)
    L.check_relu_backward(relu_backward, rng=np.random.default_rng(4))
