"""Typical mistakes in lesson 06 (XOR: the 2-2-1 sigmoid network, trained by hand)."""
from . import Mistake

LESSON = "06_xor"

_FORWARD = '''\
def forward(params, x):
    z1 = {z1}
    a1 = {a1}
    z2 = {z2}
    y_hat = {y_hat}
    return y_hat, {cache}
'''


def _forward(z1: str = 'x @ params["W1"] + params["b1"]', a1: str = "1 / (1 + np.exp(-z1))",
             z2: str = 'a1 @ params["W2"] + params["b2"]', y_hat: str = "1 / (1 + np.exp(-z2))",
             cache: str = "(x, a1, y_hat)") -> str:
    return _FORWARD.format(z1=z1, a1=a1, z2=z2, y_hat=y_hat, cache=cache)


_BACKWARD = '''\
def backward(params, cache, y):
    x, a1, y_hat = cache
    delta2 = {delta2}
    delta1 = {delta1}
    return {{"W1": {dW1}, "b1": {db1},
            "W2": a1.T @ delta2, "b2": {db2}}}
'''


def _backward(delta2: str = "(y_hat - y) * y_hat * (1 - y_hat)",
              delta1: str = '(delta2 @ params["W2"].T) * a1 * (1 - a1)', dW1: str = "x.T @ delta1",
              db1: str = "delta1.sum(axis=0, keepdims=True)", db2: str = "delta2.sum(axis=0, keepdims=True)") -> str:
    return _BACKWARD.format(delta2=delta2, delta1=delta1, dW1=dW1, db1=db1, db2=db2)


_STEP = '''\
def train_step(params, x, y, lr, ops):
    y_hat, cache = ops.forward(params, x)
    loss = ops.loss(y_hat, y)
    grads = ops.backward(params, cache, y)
{update}
    return {ret}
'''

_TRAIN = '''\
def train(params, x, y, lr, epochs, ops):
    history = np.zeros(epochs)
    solved_at = None
    for epoch in range(epochs):
        loss, y_hat = ops.train_step(params, x, y, lr)
        history[epoch] = loss
        if {condition}:
            solved_at = {value}
    return history, solved_at
'''

_SOLVED = "np.all((y_hat > 0.5) == (y > 0.5))"

MISTAKES = [
    # --- forward
    Mistake(LESSON, "forward", "no-output-sigmoid", _forward(y_hat="z2"), "output sigmoid is missing"),
    Mistake(LESSON, "forward", "no-hidden-sigmoid", _forward(a1="z1"), "hidden layer's sigmoid is missing"),
    Mistake(LESSON, "forward", "W1-transposed", _forward(z1='x @ params["W1"].T + params["b1"]'), "W1.T"),
    Mistake(LESSON, "forward", "cache-z1", _forward(cache="(x, z1, y_hat)"), "it holds z1"),
    # --- backward
    Mistake(LESSON, "backward", "seed-sign", _backward(delta2="(y - y_hat) * y_hat * (1 - y_hat)"),
            "the sign is flipped"),
    Mistake(LESSON, "backward", "no-output-prime", _backward(delta2="y_hat - y"),
            "output's sigmoid derivative"),
    Mistake(LESSON, "backward", "no-hidden-prime", _backward(delta1='delta2 @ params["W2"].T'),
            "hidden layer's sigmoid derivative"),
    Mistake(LESSON, "backward", "sigmoid-of-a", _backward(
        delta2="(y_hat - y) * (1 / (1 + np.exp(-y_hat))) * (1 - 1 / (1 + np.exp(-y_hat)))",
        delta1='(delta2 @ params["W2"].T) * (1 / (1 + np.exp(-a1))) * (1 - 1 / (1 + np.exp(-a1)))'),
        "cache already holds a = sigmoid(z)"),
    Mistake(LESSON, "backward", "no-keepdims", _backward(db1="delta1.sum(axis=0)", db2="delta2.sum(axis=0)"),
            "keepdims=True"),
    Mistake(LESSON, "backward", "dW1-transposed", _backward(dW1="delta1.T @ x"), "dW1 is transposed"),
    Mistake(LESSON, "backward", "W2-not-transposed", _backward(delta1='(delta2 @ params["W2"]) * a1 * (1 - a1)'),
            "needs W2.T"),
    # --- train_step
    Mistake(LESSON, "train_step", "uphill", _STEP.format(
        update="    for k in params:\n        params[k] += lr * grads[k]", ret="loss, y_hat"), "moved uphill"),
    Mistake(LESSON, "train_step", "rebind", _STEP.format(
        update="    W1, b1, W2, b2 = params['W1'], params['b1'], params['W2'], params['b2']\n"
               "    W1 = W1 - lr * grads['W1']\n    b1 = b1 - lr * grads['b1']\n"
               "    W2 = W2 - lr * grads['W2']\n    b2 = b2 - lr * grads['b2']", ret="loss, y_hat"),
        "left params unchanged"),
    Mistake(LESSON, "train_step", "weights-only", _STEP.format(
        update="    for k in ('W1', 'W2'):\n        params[k] -= lr * grads[k]", ret="loss, y_hat"),
        "weights AND biases"),
    Mistake(LESSON, "train_step", "loss-after", _STEP.format(
        update="    for k in params:\n        params[k] -= lr * grads[k]\n"
               "    y_hat, _ = ops.forward(params, x)\n    loss = ops.loss(y_hat, y)", ret="loss, y_hat"),
        "loss AFTER the update"),
    # --- train
    Mistake(LESSON, "train", "count-from-1", _TRAIN.format(condition=f"solved_at is None and {_SOLVED}",
                                                           value="epoch + 1"), "off by one"),
    Mistake(LESSON, "train", "last-not-first", _TRAIN.format(condition=_SOLVED, value="epoch"),
            "FIRST epoch"),
    Mistake(LESSON, "train", "minus-one", '''\
def train(params, x, y, lr, epochs, ops):
    history = []
    solved_at = -1
    for epoch in range(epochs):
        loss, y_hat = ops.train_step(params, x, y, lr)
        history.append(loss)
        if solved_at < 0 and np.all((y_hat > 0.5) == (y > 0.5)):
            solved_at = epoch
    return history, solved_at
''', "return None"),
    Mistake(LESSON, "train", "loss-after", '''\
def train(params, x, y, lr, epochs, ops):
    history = np.zeros(epochs)
    solved_at = None
    for epoch in range(epochs):
        _, y_hat = ops.train_step(params, x, y, lr)
        history[epoch] = ops.loss(ops.forward(params, x)[0], y)
        if solved_at is None and np.all((y_hat > 0.5) == (y > 0.5)):
            solved_at = epoch
    return history, solved_at
''', "shifted by one epoch"),
    # --- xor_recipe
    Mistake(LESSON, "xor_recipe", "seed-recipe", '''\
from backprop_lib.lessons.xor import Recipe


def xor_recipe():
    return Recipe(hidden=2, init="uniform", scale=1.0, lr=0.1, loss="mse", epochs=10_000)
''', "budget of 500"),
    Mistake(LESSON, "xor_recipe", "seed-recipe-short", '''\
from backprop_lib.lessons.xor import Recipe


def xor_recipe():
    return Recipe(hidden=2, init="uniform", scale=1.0, lr=0.1, loss="mse", epochs=500)
''', "solved XOR on only"),
    Mistake(LESSON, "xor_recipe", "bce-only", '''\
from backprop_lib.lessons.xor import Recipe


def xor_recipe():
    return Recipe(hidden=2, init="symmetric", lr=1.0, loss="bce", epochs=500)
''', "local minimum"),
]
