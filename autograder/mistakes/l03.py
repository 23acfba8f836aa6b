"""Typical mistakes in lesson 03 (one neuron: forward, binary cross-entropy, one gradient step)."""
from . import Mistake

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
''', "db is one number"),
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
]
