"""Typical mistakes in lesson 06 (XOR: the 2-2-1 sigmoid network, trained by hand)."""
from . import Correct, Mistake

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
              db1: str = "delta1.sum(axis=0)", db2: str = "delta2.sum(axis=0)") -> str:
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
    Mistake(LESSON, "forward", "no-bias", _forward(z1='x @ params["W1"]', z2='a1 @ params["W2"]'),
            "the biases are missing"),
    # --- backward
    Mistake(LESSON, "backward", "classic-sign", _backward(delta2="(y - y_hat) * y_hat * (1 - y_hat)"),
            "the sign is flipped"),
    Mistake(LESSON, "backward", "no-output-prime", _backward(delta2="y_hat - y"),
            "output's sigmoid derivative"),
    Mistake(LESSON, "backward", "no-hidden-prime", _backward(delta1='delta2 @ params["W2"].T'),
            "hidden layer's sigmoid derivative"),
    Mistake(LESSON, "backward", "sigmoid-of-a", _backward(
        delta2="(y_hat - y) * (1 / (1 + np.exp(-y_hat))) * (1 - 1 / (1 + np.exp(-y_hat)))",
        delta1='(delta2 @ params["W2"].T) * (1 / (1 + np.exp(-a1))) * (1 - 1 / (1 + np.exp(-a1)))'),
        "cache already holds a = sigmoid(z)"),
    Mistake(LESSON, "backward", "keepdims", _backward(db1="delta1.sum(axis=0, keepdims=True)",
                                                      db2="delta2.sum(axis=0, keepdims=True)"),
            "without keepdims"),
    Mistake(LESSON, "backward", "db-not-summed", _backward(db1="delta1", db2="delta2"),
            "shared by all m rows"),
    Mistake(LESSON, "backward", "mean", _backward(
        delta2="(y_hat - y) * y_hat * (1 - y_hat) / len(y)"), "you divided by m"),
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
    return np.array(history), solved_at
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
    Mistake(LESSON, "xor_recipe", "classic-recipe", '''\
from backprop_lib.lessons.xor import Recipe


def xor_recipe():
    return Recipe(hidden=2, init="uniform", scale=1.0, lr=0.1, loss="mse", epochs=10_000)
''', "budget of 500"),
    Mistake(LESSON, "xor_recipe", "classic-recipe-short", '''\
from backprop_lib.lessons.xor import Recipe


def xor_recipe():
    return Recipe(hidden=2, init="uniform", scale=1.0, lr=0.1, loss="mse", epochs=500)
''', "solved XOR on only"),
    Mistake(LESSON, "xor_recipe", "bce-only", '''\
from backprop_lib.lessons.xor import Recipe


def xor_recipe():
    return Recipe(hidden=2, init="symmetric", lr=1.0, loss="bce", epochs=500)
''', "plateau"),
    Mistake(LESSON, "train", "returns-early", '''\
def train(params, x, y, lr, epochs, ops):
    history = []
    for epoch in range(epochs):
        loss, y_hat = ops.train_step(params, x, y, lr)
        history.append(loss)
        if np.all((y_hat > 0.5) == (y > 0.5)):
            return np.array(history), epoch
    return np.array(history), None
''', "stop early"),
]


CORRECT = [
    # --- forward
    Correct(LESSON, "forward", "np-dot", '''\
def forward(params, x):
    a1 = 1.0 / (1.0 + np.exp(-(np.dot(x, params["W1"]) + params["b1"])))
    y_hat = 1.0 / (1.0 + np.exp(-(np.dot(a1, params["W2"]) + params["b2"])))
    return y_hat, (x, a1, y_hat)
'''),
    Correct(LESSON, "forward", "einsum", '''\
def forward(params, x):
    z1 = np.einsum("mi,ih->mh", x, params["W1"]) + params["b1"]
    a1 = 1 / (1 + np.exp(-z1))
    z2 = np.einsum("mh,ho->mo", a1, params["W2"]) + params["b2"]
    y_hat = 1 / (1 + np.exp(-z2))
    return y_hat, (x, a1, y_hat)
'''),
    Correct(LESSON, "forward", "library-sigmoid", '''\
from backprop_lib.nn.activations import sigmoid


def forward(params, x):
    a1 = sigmoid(x @ params["W1"] + params["b1"])
    y_hat = sigmoid(a1 @ params["W2"] + params["b2"])
    return y_hat, [x, a1, y_hat]
'''),
    Correct(LESSON, "forward", "tanh-form", '''\
def forward(params, x):
    a1 = 0.5 * (1 + np.tanh(0.5 * (x @ params["W1"] + params["b1"])))
    y_hat = 0.5 * (1 + np.tanh(0.5 * (a1 @ params["W2"] + params["b2"])))
    return y_hat, (x, a1, y_hat)
'''),
    # --- backward
    Correct(LESSON, "backward", "loop-over-examples", '''\
def backward(params, cache, y):
    x, a1, y_hat = cache
    grads = {k: np.zeros(np.shape(v)) for k, v in params.items()}
    for i in range(x.shape[0]):
        d2 = (y_hat[i] - y[i]) * y_hat[i] * (1 - y_hat[i])           # (1,)
        d1 = (params["W2"] @ d2) * a1[i] * (1 - a1[i])               # (H,)
        grads["W2"] += np.outer(a1[i], d2)
        grads["b2"] += d2
        grads["W1"] += np.outer(x[i], d1)
        grads["b1"] += d1
    return grads
'''),
    Correct(LESSON, "backward", "einsum", '''\
def backward(params, cache, y):
    x, a1, y_hat = cache
    delta2 = (y_hat - y) * y_hat * (1 - y_hat)
    delta1 = np.einsum("mo,ho->mh", delta2, params["W2"]) * a1 * (1 - a1)
    return {"W1": np.einsum("mi,mh->ih", x, delta1), "b1": np.einsum("mh->h", delta1),
            "W2": np.einsum("mh,mo->ho", a1, delta2), "b2": np.einsum("mo->o", delta2)}
'''),
    Correct(LESSON, "backward", "np-sum-and-dot", '''\
def backward(params, cache, y):
    x, a1, y_hat = cache
    error = y_hat - y
    delta2 = np.multiply(error, y_hat * (1.0 - y_hat))
    delta1 = np.dot(delta2, params["W2"].T) * (a1 - a1 ** 2)
    return dict(W1=np.dot(x.T, delta1), b1=np.sum(delta1, axis=0),
                W2=np.dot(a1.T, delta2), b2=np.sum(delta2, axis=0))
'''),
    Correct(LESSON, "backward", "classic-sign-negated", '''\
def backward(params, cache, y):
    x, a1, y_hat = cache
    error = y - y_hat                       # the classic code's sign ...
    delta2 = -error * y_hat * (1 - y_hat)   # ... turned into a gradient
    delta1 = (delta2 @ params["W2"].T) * a1 * (1 - a1)
    return {"W1": x.T @ delta1, "b1": delta1.sum(0), "W2": a1.T @ delta2, "b2": delta2.sum(0)}
'''),
    # --- train_step
    Correct(LESSON, "train_step", "items-loop", '''\
def train_step(params, x, y, lr, ops):
    y_hat, cache = ops.forward(params, x)
    loss = ops.loss(y_hat, y)
    for name, g in ops.backward(params, cache, y).items():
        params[name] -= lr * g
    return loss, y_hat
'''),
    Correct(LESSON, "train_step", "slice-assign", '''\
def train_step(params, x, y, lr, ops):
    y_hat, cache = ops.forward(params, x)
    loss = float(ops.loss(y_hat, y))
    grads = ops.backward(params, cache, y)
    for name in ("W1", "b1", "W2", "b2"):
        params[name][...] = params[name] - lr * grads[name]
    return loss, y_hat
'''),
    Correct(LESSON, "train_step", "np-subtract-out", '''\
def train_step(params, x, y, lr, ops):
    y_hat, cache = ops.forward(params, x)
    loss = ops.loss(y_hat, y)
    grads = ops.backward(params, cache, y)
    np.subtract(params["W1"], lr * grads["W1"], out=params["W1"])
    np.subtract(params["b1"], lr * grads["b1"], out=params["b1"])
    np.subtract(params["W2"], lr * grads["W2"], out=params["W2"])
    np.subtract(params["b2"], lr * grads["b2"], out=params["b2"])
    return loss, y_hat
'''),
    Correct(LESSON, "train_step", "rebind-dict-entries", '''\
def train_step(params, x, y, lr, ops):
    y_hat, cache = ops.forward(params, x)
    loss = ops.loss(y_hat, y)
    grads = ops.backward(params, cache, y)
    for name in list(params):
        params[name] = params[name] - lr * grads[name]
    return loss, y_hat
'''),
    # --- train
    Correct(LESSON, "train", "list-then-array", '''\
def train(params, x, y, lr, epochs, ops):
    history, solved_at = [], None
    for epoch in range(epochs):
        loss, y_hat = ops.train_step(params, x, y, lr)
        history.append(loss)
        if solved_at is None and ((y_hat > 0.5) == (y > 0.5)).all():
            solved_at = epoch
    return np.array(history), solved_at
'''),
    Correct(LESSON, "train", "array-equal", '''\
def train(params, x, y, lr, epochs, ops):
    history = np.empty(epochs)
    solved_at = None
    for epoch in range(epochs):
        history[epoch], y_hat = ops.train_step(params, x, y, lr)
        if np.array_equal(y_hat > 0.5, y > 0.5) and solved_at is None:
            solved_at = int(epoch)
    return history, solved_at
'''),
    Correct(LESSON, "train", "while-loop", '''\
def train(params, x, y, lr, epochs, ops):
    history = np.zeros(epochs)
    solved_at = None
    epoch = 0
    while epoch < epochs:
        loss, y_hat = ops.train_step(params, x, y, lr)
        history[epoch] = loss
        correct = np.sum((y_hat > 0.5) == (y > 0.5))
        if solved_at is None and correct == y.size:
            solved_at = epoch
        epoch += 1
    return history, solved_at
'''),
    # --- xor_recipe
    Correct(LESSON, "xor_recipe", "xavier", '''\
from backprop_lib.lessons.xor import Recipe


def xor_recipe():
    return Recipe(hidden=8, init="xavier", scale=1.0, lr=1.0, loss="bce", epochs=500)
'''),
    Correct(LESSON, "xor_recipe", "wide-fast", '''\
from backprop_lib.lessons.xor import Recipe


def xor_recipe():
    return Recipe(hidden=16, init="symmetric", scale=2.0, lr=2.0, loss="bce", epochs=300)
'''),
    Correct(LESSON, "xor_recipe", "as-dict", '''\
def xor_recipe():
    return {"hidden": 8, "init": "symmetric", "scale": 1.0, "lr": 1.0, "loss": "bce", "epochs": 500}
'''),
]
