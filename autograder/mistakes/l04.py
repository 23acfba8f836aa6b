"""Typical mistakes in lesson 04 (the four equations BP1-BP4, batch-first)."""
from . import Correct, Mistake

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
    Mistake(LESSON, "delta_output", "no-factor-2", '''\
def delta_output(y_hat, y, z, act_prime):
    m = y.shape[0]
    return (y_hat - y) / m * act_prime(z)
''', "the 2 from differentiating the square"),
    Mistake(LESSON, "delta_hidden", "prime-of-product", '''\
def delta_hidden(delta_next, W_next, z, act_prime):
    return act_prime(delta_next @ W_next.T)
''', "it belongs to z"),
    Mistake(LESSON, "grad_b", "not-summed", '''\
def grad_b(delta):
    return delta
''', "b is shared by all m examples"),
    Mistake(LESSON, "grad_b", "first-row", '''\
def grad_b(delta):
    return delta[0]
''', "only the first example"),
]

CORRECT = [
    # --- delta_output
    Correct(LESSON, "delta_output", "len", '''\
def delta_output(y_hat, y, z, act_prime):
    return 2 * (y_hat - y) * act_prime(z) / len(y)
'''),
    Correct(LESSON, "delta_output", "np-multiply", '''\
def delta_output(y_hat, y, z, act_prime):
    m = np.shape(y)[0]
    return np.multiply(np.subtract(y_hat, y) * (2.0 / m), act_prime(z))
'''),
    Correct(LESSON, "delta_output", "loop", '''\
def delta_output(y_hat, y, z, act_prime):
    m, k = y.shape
    slope = act_prime(z)
    out = np.zeros((m, k))
    for i in range(m):
        for j in range(k):
            out[i, j] = 2.0 * (y_hat[i, j] - y[i, j]) / m * slope[i, j]
    return out
'''),
    Correct(LESSON, "delta_output", "int-two", '''\
def delta_output(y_hat, y, z, act_prime):
    return act_prime(z) * (y_hat - y) * 2 / y.shape[0]
'''),
    # --- delta_hidden
    Correct(LESSON, "delta_hidden", "np-dot", '''\
def delta_hidden(delta_next, W_next, z, act_prime):
    return np.dot(delta_next, W_next.T) * act_prime(z)
'''),
    Correct(LESSON, "delta_hidden", "einsum", '''\
def delta_hidden(delta_next, W_next, z, act_prime):
    return np.einsum("mk,jk->mj", delta_next, W_next) * act_prime(z)
'''),
    Correct(LESSON, "delta_hidden", "transpose-twice", '''\
def delta_hidden(delta_next, W_next, z, act_prime):
    return (W_next @ delta_next.T).T * act_prime(z)
'''),
    Correct(LESSON, "delta_hidden", "loop", '''\
def delta_hidden(delta_next, W_next, z, act_prime):
    m, n = z.shape
    back = np.zeros((m, n))
    for i in range(m):
        for j in range(n):
            back[i, j] = sum(delta_next[i, k] * W_next[j, k] for k in range(W_next.shape[1]))
    return back * act_prime(z)
'''),
    # --- grad_W
    Correct(LESSON, "grad_W", "np-dot", '''\
def grad_W(a_prev, delta):
    return np.dot(a_prev.T, delta)
'''),
    Correct(LESSON, "grad_W", "einsum", '''\
def grad_W(a_prev, delta):
    return np.einsum("mi,mj->ij", a_prev, delta)
'''),
    Correct(LESSON, "grad_W", "sum-of-outer-products", '''\
def grad_W(a_prev, delta):
    return sum(np.outer(a_prev[i], delta[i]) for i in range(len(delta)))
'''),
    Correct(LESSON, "grad_W", "transpose-of-product", '''\
def grad_W(a_prev, delta):
    return (delta.T @ a_prev).T
'''),
    # --- grad_b
    Correct(LESSON, "grad_b", "np-sum", '''\
def grad_b(delta):
    return np.sum(delta, axis=0)
'''),
    Correct(LESSON, "grad_b", "ones-product", '''\
def grad_b(delta):
    return np.ones(delta.shape[0]) @ delta
'''),
    Correct(LESSON, "grad_b", "einsum", '''\
def grad_b(delta):
    return np.einsum("mn->n", delta)
'''),
    Correct(LESSON, "grad_b", "loop", '''\
def grad_b(delta):
    total = np.zeros(delta.shape[1])
    for row in delta:
        total += row
    return total
'''),
]
