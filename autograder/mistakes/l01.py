"""Typical mistakes in lesson 01 (derivatives and the chain rule)."""
from . import Correct, Mistake

LESSON = "01_derivatives"

MISTAKES = [
    Mistake(LESSON, "central_difference", "forward", '''\
def central_difference(f, x, h=1e-5):
    return (f(x + h) - f(x)) / h
''', "forward difference"),
    Mistake(LESSON, "central_difference", "precedence", '''\
def central_difference(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / 2 * h
''', "operator precedence"),
    Mistake(LESSON, "central_difference", "not-2h", '''\
def central_difference(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / h
''', "divide by 2*h"),
    Mistake(LESSON, "sigmoid_prime", "z-not-a", '''\
def sigmoid_prime(z):
    return z * (1 - z)
''', "needs a = sigmoid(z) first"),
    Mistake(LESSON, "sigmoid_prime", "plus", '''\
def sigmoid_prime(z):
    s = 1 / (1 + np.exp(-z))
    return s * (1 + s)
''', "a sign is wrong"),
    Mistake(LESSON, "sigmoid_prime", "negative", '''\
def sigmoid_prime(z):
    a = 1 / (1 + np.exp(-z))
    return a * (a - 1)
''', "the sign is flipped"),
    Mistake(LESSON, "composite_derivative", "outer-at-x", '''\
def composite_derivative(f_prime, g, g_prime):
    return lambda x: f_prime(x) * g_prime(x)
''', "f' at the inner value g(x)"),
    Mistake(LESSON, "composite_derivative", "no-inner", '''\
def composite_derivative(f_prime, g, g_prime):
    def derivative(x):
        return f_prime(g(x))
    return derivative
''', "inner derivative g'(x) is missing"),
    Mistake(LESSON, "dL_dw", "no-sigmoid-prime", '''\
def dL_dw(w, x, b, y):
    a = 1 / (1 + np.exp(-(w * x + b)))
    return 2 * (a - y) * x
''', "sigmoid derivative a * (1 - a) is missing"),
    Mistake(LESSON, "dL_dw", "sign", '''\
def dL_dw(w, x, b, y):
    a = 1 / (1 + np.exp(-(w * x + b)))
    return 2 * (y - a) * a * (1 - a) * x
''', "sign is flipped"),
    Mistake(LESSON, "dL_dw", "times-w", '''\
def dL_dw(w, x, b, y):
    a = 1 / (1 + np.exp(-(w * x + b)))
    return 2 * (a - y) * a * (1 - a) * w
''', "dz/dw is x"),
    Mistake(LESSON, "sigmoid_prime", "sympy-sigmoid", '''\
from backprop_lib.checking.symbolic import sigmoid as sym_sigmoid

def sigmoid_prime(z):
    a = sym_sigmoid(z)
    return a * (1 - a)
''', "returned a SymPy expression"),
    Mistake(LESSON, "dL_dw", "sympy-sigmoid", '''\
from backprop_lib.checking.symbolic import sigmoid

def dL_dw(w, x, b, y):
    a = sigmoid(w * x + b)
    return 2 * (a - y) * a * (1 - a) * x
''', "returned a SymPy expression"),
    Mistake(LESSON, "dL_dw", "summed", '''\
def dL_dw(w, x, b, y):
    a = 1 / (1 + np.exp(-(w * x + b)))
    return np.sum(2 * (a - y) * a * (1 - a) * x)
''', "one number came back where"),
    Mistake(LESSON, "composite_derivative", "float", '''\
def composite_derivative(f_prime, g, g_prime):
    def derivative(x):
        return float(np.mean(f_prime(g(x)) * g_prime(x)))
    return derivative
''', "one number came back where"),
    Mistake(LESSON, "sigmoid_prime", "times-2", '''\
def sigmoid_prime(z):
    a = 1 / (1 + np.exp(-z))
    return 2 * a * (1 - a)
''', "2 times the expected ones"),
    Mistake(LESSON, "composite_derivative", "added", '''\
def composite_derivative(f_prime, g, g_prime):
    return lambda x: f_prime(g(x)) + g_prime(x)
''', "MULTIPLIES"),
    Mistake(LESSON, "dL_dw", "no-x", '''\
def dL_dw(w, x, b, y):
    a = 1 / (1 + np.exp(-(w * x + b)))
    return 2 * (a - y) * a * (1 - a)
''', "dz/dw = x is missing"),
    Mistake(LESSON, "dL_dw", "no-bias", '''\
def dL_dw(w, x, b, y):
    a = 1 / (1 + np.exp(-(w * x)))
    return 2 * (a - y) * a * (1 - a) * x
''', "the bias b is missing"),
]

#: Right answers written another way than the reference: each must pass the self-check and the hidden test.
CORRECT = [
    Correct(LESSON, "central_difference", "np-divide", '''\
def central_difference(f, x, h=1e-5):
    return np.divide(f(x + h) - f(x - h), 2 * h)
'''),
    Correct(LESSON, "central_difference", "half-times", '''\
def central_difference(f, x, h=1e-5):
    return 0.5 * (f(x + h) - f(x - h)) / h
'''),
    Correct(LESSON, "central_difference", "as-float-array", '''\
def central_difference(f, x, h=1e-5):
    x = np.asarray(x, dtype=np.float64)
    upper, lower = f(x + h), f(x - h)
    return (upper - lower) / h / 2
'''),
    Correct(LESSON, "central_difference", "smaller-default-h", '''\
def central_difference(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)
'''),
    Correct(LESSON, "sigmoid_prime", "exp-form", '''\
def sigmoid_prime(z):
    e = np.exp(-z)
    return e / (1 + e) ** 2
'''),
    Correct(LESSON, "sigmoid_prime", "cosh-form", '''\
def sigmoid_prime(z):
    return 1 / (2 + np.exp(z) + np.exp(-z))
'''),
    Correct(LESSON, "sigmoid_prime", "tanh-form", '''\
def sigmoid_prime(z):
    a = 0.5 * (1 + np.tanh(z / 2))
    return a * (1 - a)
'''),
    Correct(LESSON, "sigmoid_prime", "loop", '''\
import math

def sigmoid_prime(z):
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    for i, v in np.ndenumerate(z):
        a = 1 / (1 + math.exp(-v))
        out[i] = a * (1 - a)
    return out
'''),
    Correct(LESSON, "composite_derivative", "lambda", '''\
def composite_derivative(f_prime, g, g_prime):
    return lambda x: g_prime(x) * f_prime(g(x))
'''),
    Correct(LESSON, "composite_derivative", "named-inner", '''\
def composite_derivative(f_prime, g, g_prime):
    def derivative(x):
        u = g(x)
        return np.multiply(f_prime(u), g_prime(x))
    return derivative
'''),
    Correct(LESSON, "composite_derivative", "functools", '''\
import functools

def _chain(f_prime, g, g_prime, x):
    return f_prime(g(x)) * g_prime(x)

def composite_derivative(f_prime, g, g_prime):
    return functools.partial(_chain, f_prime, g, g_prime)
'''),
    Correct(LESSON, "dL_dw", "one-line", '''\
def dL_dw(w, x, b, y):
    a = 1 / (1 + np.exp(-(w * x + b)))
    return 2 * x * (a - y) * a * (1 - a)
'''),
    Correct(LESSON, "dL_dw", "exp-derivative", '''\
def dL_dw(w, x, b, y):
    e = np.exp(-(w * x + b))
    a = 1 / (1 + e)
    return 2 * (a - y) * e / (1 + e) ** 2 * x
'''),
    Correct(LESSON, "dL_dw", "tanh-sigmoid", '''\
def dL_dw(w, x, b, y):
    z = np.add(np.multiply(w, x), b)
    a = 0.5 + 0.5 * np.tanh(0.5 * z)
    return (2 * (a - y)) * (a - a ** 2) * x
'''),
    Correct(LESSON, "dL_dw", "loop", '''\
import math

def dL_dw(w, x, b, y):
    w, x, b, y = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (w, x, b, y)))
    out = np.zeros(w.shape)
    for i in np.ndindex(w.shape):
        a = 1 / (1 + math.exp(-(w[i] * x[i] + b[i])))
        out[i] = 2 * (a - y[i]) * a * (1 - a) * x[i]
    return out
'''),
]
