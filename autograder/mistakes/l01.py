"""Typical mistakes in lesson 01 (derivatives and the chain rule)."""
from . import Mistake

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
]
