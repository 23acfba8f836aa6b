"""Typical mistakes in lesson 04 (the four equations BP1-BP4, batch-first)."""
from . import Mistake

LESSON = "04_four_equations"

MISTAKES = [
    Mistake(LESSON, "delta_output", "no-act-prime", '''\
def delta_output(y_hat, y, z, act_prime):
    m = y.shape[0]
    return 2 * (y_hat - y) / m
''', "the activation derivative is missing"),
    Mistake(LESSON, "delta_output", "no-mean", '''\
def delta_output(y_hat, y, z, act_prime):
    return 2 * (y_hat - y) * act_prime(z)
''', "the 1/m of the batch mean is missing"),
    Mistake(LESSON, "delta_output", "y-size", '''\
def delta_output(y_hat, y, z, act_prime):
    return 2 * (y_hat - y) / y.size * act_prime(z)
''', "divide by m = y.shape[0]"),
    Mistake(LESSON, "delta_output", "prime-of-a", '''\
def delta_output(y_hat, y, z, act_prime):
    m = y.shape[0]
    return 2 * (y_hat - y) / m * act_prime(y_hat)
''', "act_prime takes z"),
    Mistake(LESSON, "delta_output", "sign", '''\
def delta_output(y_hat, y, z, act_prime):
    m = y.shape[0]
    return 2 * (y - y_hat) / m * act_prime(z)
''', "the sign is flipped"),
    Mistake(LESSON, "delta_hidden", "no-transpose", '''\
def delta_hidden(delta_next, W_next, z, act_prime):
    return (delta_next @ W_next) * act_prime(z)
''', "W_next must be transposed"),
    Mistake(LESSON, "delta_hidden", "column-form", '''\
def delta_hidden(delta_next, W_next, z, act_prime):
    return (W_next.T @ delta_next) * act_prime(z)
''', "W_next must be transposed"),
    Mistake(LESSON, "delta_hidden", "no-act-prime", '''\
def delta_hidden(delta_next, W_next, z, act_prime):
    return delta_next @ W_next.T
''', "the activation derivative is missing"),
    Mistake(LESSON, "delta_hidden", "times-z", '''\
def delta_hidden(delta_next, W_next, z, act_prime):
    return (delta_next @ W_next.T) * z
''', "you multiplied by z itself"),
    Mistake(LESSON, "grad_W", "transposed", '''\
def grad_W(a_prev, delta):
    return delta.T @ a_prev
''', "transposed"),
    Mistake(LESSON, "grad_W", "divided-by-m", '''\
def grad_W(a_prev, delta):
    m = a_prev.shape[0]
    return a_prev.T @ delta / m
''', "do not divide by m again"),
    Mistake(LESSON, "grad_W", "first-row", '''\
def grad_W(a_prev, delta):
    return np.outer(a_prev[0], delta[0])
''', "uses only the first example"),
    Mistake(LESSON, "grad_b", "axis-1", '''\
def grad_b(delta):
    return delta.sum(axis=1)
''', "instead of axis 0"),
    Mistake(LESSON, "grad_b", "mean", '''\
def grad_b(delta):
    return delta.mean(axis=0)
''', "a mean where BP4 has a sum"),
    Mistake(LESSON, "grad_b", "keepdims", '''\
def grad_b(delta):
    return np.sum(delta, axis=0, keepdims=True)
''', "keepdims=True"),
    Mistake(LESSON, "grad_b", "everything", '''\
def grad_b(delta):
    return np.sum(delta)
''', "summed over everything"),
]
