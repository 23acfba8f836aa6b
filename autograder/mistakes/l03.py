"""Typical mistakes in lesson 03 (one neuron: forward, binary cross-entropy, one gradient step)."""
from . import Correct, Mistake

LESSON = "03_neuron"

MISTAKES = [
    Mistake(LESSON, "neuron_forward", "no-sigmoid", '''\
def neuron_forward(x, w, b):
    z = x @ w + b
    return z
''', "the sigmoid is missing"),
    Mistake(LESSON, "neuron_forward", "exp-sign", '''\
def neuron_forward(x, w, b):
    return 1 / (1 + np.exp(x @ w + b))
''', "with MINUS z"),
    Mistake(LESSON, "neuron_forward", "no-bias", '''\
def neuron_forward(x, w, b):
    return 1 / (1 + np.exp(-(x @ w)))
''', "the bias b is missing"),
    Mistake(LESSON, "bce_loss", "sum", '''\
def bce_loss(y_hat, y):
    return -np.sum(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))
''', "m times too big"),
    Mistake(LESSON, "bce_loss", "no-minus", '''\
def bce_loss(y_hat, y):
    return np.mean(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))
''', "the minus sign is missing"),
    Mistake(LESSON, "bce_loss", "swapped", '''\
def bce_loss(y_hat, y):
    return -np.mean(y * np.log(1 - y_hat) + (1 - y) * np.log(y_hat))
''', "log terms are swapped"),
    Mistake(LESSON, "bce_delta", "no-mean", '''\
def bce_delta(z, y):
    y_hat = 1 / (1 + np.exp(-z))
    return y_hat - y
''', "m times too big"),
    Mistake(LESSON, "bce_delta", "sigmoid-factor", '''\
def bce_delta(z, y):
    y_hat = 1 / (1 + np.exp(-z))
    return (y_hat - y) * y_hat * (1 - y_hat) / len(y)
''', "the sigmoid's derivative cancels"),
    Mistake(LESSON, "bce_delta", "sign", '''\
def bce_delta(z, y):
    y_hat = 1 / (1 + np.exp(-z))
    return (y - y_hat) / len(y)
''', "the sign is flipped"),
    Mistake(LESSON, "neuron_grads", "no-mean", '''\
def neuron_grads(x, w, b, y):
    y_hat = 1 / (1 + np.exp(-(x @ w + b)))
    delta = y_hat - y
    return x.T @ delta, delta.sum()
''', "m times too big"),
    Mistake(LESSON, "neuron_grads", "db-not-summed", '''\
def neuron_grads(x, w, b, y):
    y_hat = 1 / (1 + np.exp(-(x @ w + b)))
    delta = (y_hat - y) / len(y)
    return x.T @ delta, delta
''', "one number"),
    Mistake(LESSON, "neuron_grads", "times-w", '''\
def neuron_grads(x, w, b, y):
    y_hat = 1 / (1 + np.exp(-(x @ w + b)))
    delta = (y_hat - y) / len(y)
    return w * delta.sum(), delta.sum()
''', "dz/dw is x"),
    Mistake(LESSON, "gd_step", "ascent", '''\
def gd_step(w, b, dw, db, lr):
    return w + lr * dw, b + lr * db
''', "you moved uphill"),
    Mistake(LESSON, "gd_step", "no-lr", '''\
def gd_step(w, b, dw, db, lr):
    return w - dw, b - db
''', "the learning rate is missing"),
    Mistake(LESSON, "gd_step", "b-stays", '''\
def gd_step(w, b, dw, db, lr):
    w = w - lr * dw
    return w, b
''', "b was not updated"),
    Mistake(LESSON, "neuron_forward", "sympy-sigmoid", '''\
from backprop_lib.checking.symbolic import sigmoid as sym_sigmoid

def neuron_forward(x, w, b):
    return sym_sigmoid(x @ w + b)
''', "returned a SymPy expression"),
    Mistake(LESSON, "bce_loss", "per-example", '''\
def bce_loss(y_hat, y):
    return -(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))
''', "one number"),
    Mistake(LESSON, "neuron_grads", "db-mean-of-delta", '''\
def neuron_grads(x, w, b, y):
    y_hat = 1 / (1 + np.exp(-(x @ w + b)))
    delta = (y_hat - y) / len(y)
    return x.T @ delta, float(delta.mean())
''', "db = delta.sum(), not delta.mean()"),
    Mistake(LESSON, "neuron_grads", "divided-twice", '''\
def neuron_grads(x, w, b, y):
    m = x.shape[0]
    y_hat = 1 / (1 + np.exp(-(x @ w + b)))
    delta = (y_hat - y) / m
    return x.T @ delta / m, float(delta.sum())
''', "no second division by m"),
    Mistake(LESSON, "neuron_grads", "sign", '''\
def neuron_grads(x, w, b, y):
    y_hat = 1 / (1 + np.exp(-(x @ w + b)))
    delta = (y - y_hat) / len(y)
    return x.T @ delta, float(delta.sum())
''', "the sign is flipped"),
    Mistake(LESSON, "bce_delta", "summed", '''\
def bce_delta(z, y):
    y_hat = 1 / (1 + np.exp(-z))
    return float(np.sum(y_hat - y) / len(y))
''', "one number came back where"),
    Mistake(LESSON, "neuron_forward", "minus-bias", '''\
def neuron_forward(x, w, b):
    return 1 / (1 + np.exp(-(x @ w - b)))
''', "the bias is subtracted"),
    Mistake(LESSON, "bce_delta", "divided-twice", '''\
def bce_delta(z, y):
    m = len(y)
    y_hat = 1 / (1 + np.exp(-z))
    return (y_hat - y) / m / m
''', "one division by m too many"),
]

#: Right answers written another way than the reference: each must pass the self-check and the hidden test.
CORRECT = [
    Correct(LESSON, "neuron_forward", "tanh", '''\
def neuron_forward(x, w, b):
    return 0.5 * (1 + np.tanh(0.5 * (x @ w + b)))
'''),
    Correct(LESSON, "neuron_forward", "einsum", '''\
def neuron_forward(x, w, b):
    z = np.einsum("ij,j->i", x, w) + b
    return 1 / (1 + np.exp(-z))
'''),
    Correct(LESSON, "neuron_forward", "dot-and-exp-ratio", '''\
def neuron_forward(x, w, b):
    z = np.dot(x, w) + b
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))
'''),
    Correct(LESSON, "neuron_forward", "loop", '''\
import math

def neuron_forward(x, w, b):
    out = np.zeros(x.shape[0])
    for i in range(x.shape[0]):
        z = sum(x[i, j] * w[j] for j in range(x.shape[1])) + b
        out[i] = 1 / (1 + math.exp(-z)) if z > -700 else 0.0
    return out
'''),
    Correct(LESSON, "bce_loss", "sum-over-m", '''\
def bce_loss(y_hat, y):
    m = len(y)
    return -np.sum(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat)) / m
'''),
    Correct(LESSON, "bce_loss", "where", '''\
def bce_loss(y_hat, y):
    return float(np.mean(-np.log(np.where(y == 1, y_hat, 1 - y_hat))))
'''),
    Correct(LESSON, "bce_loss", "loop", '''\
import math

def bce_loss(y_hat, y):
    total = 0.0
    for p, t in zip(y_hat, y):
        total -= t * math.log(p) + (1 - t) * math.log(1 - p)
    return total / len(y)
'''),
    Correct(LESSON, "bce_loss", "log1p", '''\
def bce_loss(y_hat, y):
    return -np.mean(y * np.log(y_hat) + (1 - y) * np.log1p(-y_hat))
'''),
    Correct(LESSON, "bce_delta", "mean-form", '''\
def bce_delta(z, y):
    return (1 / (1 + np.exp(-z)) - y) / z.size
'''),
    Correct(LESSON, "bce_delta", "tanh", '''\
def bce_delta(z, y):
    y_hat = 0.5 + 0.5 * np.tanh(z / 2)
    return np.divide(y_hat - y, len(z))
'''),
    Correct(LESSON, "bce_delta", "int-labels", '''\
def bce_delta(z, y):
    m = len(y)
    y_hat = np.exp(z) / (1 + np.exp(z))
    return (y_hat - y.astype(int)) / m
'''),
    Correct(LESSON, "neuron_grads", "einsum", '''\
def neuron_grads(x, w, b, y):
    y_hat = 1 / (1 + np.exp(-(x @ w + b)))
    delta = (y_hat - y) / x.shape[0]
    return np.einsum("ij,i->j", x, delta), delta.sum()
'''),
    Correct(LESSON, "neuron_grads", "mean-of-outer", '''\
def neuron_grads(x, w, b, y):
    y_hat = 1 / (1 + np.exp(-(x @ w + b)))
    err = y_hat - y
    return (err[:, None] * x).mean(axis=0), float(err.mean())
'''),
    Correct(LESSON, "neuron_grads", "loop", '''\
import math

def neuron_grads(x, w, b, y):
    m, n = x.shape
    dw, db = np.zeros(n), 0.0
    for i in range(m):
        y_hat = 1 / (1 + math.exp(-(x[i] @ w + b)))
        dw += (y_hat - y[i]) * x[i] / m
        db += (y_hat - y[i]) / m
    return dw, db
'''),
    Correct(LESSON, "neuron_grads", "array-db", '''\
def neuron_grads(x, w, b, y):
    delta = (1 / (1 + np.exp(-(x @ w + b))) - y) / len(y)
    return delta @ x, np.sum(delta, axis=0)
'''),
    Correct(LESSON, "gd_step", "separate", '''\
def gd_step(w, b, dw, db, lr):
    w_new = w - lr * dw
    b_new = b - lr * db
    return w_new, b_new
'''),
    Correct(LESSON, "gd_step", "np-subtract", '''\
def gd_step(w, b, dw, db, lr):
    return np.subtract(w, np.multiply(lr, dw)), float(b - lr * db)
'''),
    Correct(LESSON, "gd_step", "copy-then-in-place", '''\
def gd_step(w, b, dw, db, lr):
    w = w.copy()
    w -= lr * dw
    return w, b - lr * db
'''),
]
