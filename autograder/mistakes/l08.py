"""Typical mistakes in lesson 08 (optimisers and stopping)."""
from . import Correct, Mistake

LESSON = "08_optimisers"

MISTAKES = [
    Mistake(LESSON, "sgd_step", "ascent", '''\
def sgd_step(theta, g, state, lr):
    return theta + lr * g, state
''', "the sign is flipped"),
    Mistake(LESSON, "sgd_step", "in-place", '''\
def sgd_step(theta, g, state, lr):
    theta -= lr * g
    return theta, state
''', "changed its input theta in place"),
    Mistake(LESSON, "sgd_step", "no-lr", '''\
def sgd_step(theta, g, state, lr):
    return theta - g, state
''', "the learning rate is missing"),
    Mistake(LESSON, "momentum_step", "old-velocity", '''\
def momentum_step(theta, g, state, lr, beta=0.9):
    theta_new = theta - lr * state["v"]
    v = beta * state["v"] + g
    return theta_new, {"v": v}
''', "the step uses the OLD velocity"),
    Mistake(LESSON, "momentum_step", "ema", '''\
def momentum_step(theta, g, state, lr, beta=0.9):
    v = beta * state["v"] + (1 - beta) * g
    return theta - lr * v, {"v": v}
''', "this is the averaging form"),
    Mistake(LESSON, "momentum_step", "beta-on-params", '''\
def momentum_step(theta, g, state, lr, beta=0.9):
    return beta * theta - lr * g, {"v": g}
''', "beta multiplies the parameters instead of the velocity"),
    Mistake(LESSON, "momentum_step", "lr-inside", '''\
def momentum_step(theta, g, state, lr, beta=0.9):
    v = beta * state["v"] + lr * g
    return theta - v, {"v": v}
''', "you put lr inside the velocity"),
    Mistake(LESSON, "momentum_step", "in-place-state", '''\
def momentum_step(theta, g, state, lr, beta=0.9):
    v = state["v"]
    v *= beta
    v += g
    return theta - lr * v, {"v": v}
''', "changed its input state['v'] in place"),
    Mistake(LESSON, "adam_step", "no-bias-correction", '''\
def adam_step(theta, g, state, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * state["m"] + (1 - beta1) * g
    v = beta2 * state["v"] + (1 - beta2) * g ** 2
    return theta - lr * m / (np.sqrt(v) + eps), {"m": m, "v": v, "t": state["t"] + 1}
''', "the bias correction is missing"),
    Mistake(LESSON, "adam_step", "no-sqrt", '''\
def adam_step(theta, g, state, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state["t"] + 1
    m = beta1 * state["m"] + (1 - beta1) * g
    v = beta2 * state["v"] + (1 - beta2) * g ** 2
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return theta - lr * m_hat / (v_hat + eps), {"m": m, "v": v, "t": t}
''', "the square root is missing"),
    Mistake(LESSON, "adam_step", "eps-inside", '''\
def adam_step(theta, g, state, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state["t"] + 1
    m = beta1 * state["m"] + (1 - beta1) * g
    v = beta2 * state["v"] + (1 - beta2) * g ** 2
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return theta - lr * m_hat / np.sqrt(v_hat + eps), {"m": m, "v": v, "t": t}
''', "eps is inside the square root"),
    Mistake(LESSON, "adam_step", "stale-t", '''\
def adam_step(theta, g, state, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state["t"]
    m = beta1 * state["m"] + (1 - beta1) * g
    v = beta2 * state["v"] + (1 - beta2) * g ** 2
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), {"m": m, "v": v, "t": t}
''', "t was not increased before the bias correction"),
    Mistake(LESSON, "adam_step", "store-hat", '''\
def adam_step(theta, g, state, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state["t"] + 1
    m = beta1 * state["m"] + (1 - beta1) * g
    v = beta2 * state["v"] + (1 - beta2) * g ** 2
    m, v = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return theta - lr * m / (np.sqrt(v) + eps), {"m": m, "v": v, "t": t}
''', "the state should keep the raw averages m and v"),
    Mistake(LESSON, "should_stop", "signed-change", '''\
def should_stop(losses, tol):
    if len(losses) > 0 and not np.isfinite(losses[-1]):
        return True
    return len(losses) >= 2 and losses[-2] - losses[-1] < tol
''', "use the absolute change"),
    Mistake(LESSON, "should_stop", "no-divergence", '''\
def should_stop(losses, tol):
    return len(losses) >= 2 and abs(losses[-1] - losses[-2]) < tol
''', "a NaN or infinite loss is not detected"),
    Mistake(LESSON, "should_stop", "short-history", '''\
def should_stop(losses, tol):
    if not np.isfinite(losses[-1]):
        return True
    return abs(losses[-1] - losses[-2]) < tol
''', "with fewer than two losses there is no change yet"),
    Mistake(LESSON, "should_stop", "first-vs-last", '''\
def should_stop(losses, tol):
    if len(losses) > 0 and not np.isfinite(losses[-1]):
        return True
    return len(losses) >= 2 and abs(losses[-1] - losses[0]) < tol
''', "you compared the last loss with the FIRST one"),
    Mistake(LESSON, "l2_penalty", "two-lambda", '''\
def l2_penalty(params, lam):
    penalty = lam / 2 * sum(np.sum(p ** 2) for p in params)
    return penalty, [2 * lam * p for p in params]
''', "the gradient is twice too big"),
    Mistake(LESSON, "l2_penalty", "no-half", '''\
def l2_penalty(params, lam):
    penalty = lam * sum(np.sum(p ** 2) for p in params)
    return penalty, [lam * p for p in params]
''', "the penalty lacks the factor 1/2"),
    Mistake(LESSON, "l2_penalty", "minus", '''\
def l2_penalty(params, lam):
    penalty = lam / 2 * sum(np.sum(p ** 2) for p in params)
    return penalty, [-lam * p for p in params]
''', "the sign is flipped"),
    Mistake(LESSON, "l2_penalty", "l1", '''\
def l2_penalty(params, lam):
    penalty = lam / 2 * sum(np.sum(np.abs(p)) for p in params)
    return penalty, [lam * np.sign(p) for p in params]
''', "this is an L1 penalty"),
]

MISTAKES += [
    Mistake(LESSON, "should_stop", "less-or-equal", '''\
def should_stop(losses, tol):
    if len(losses) > 0 and not np.isfinite(losses[-1]):
        return True
    return len(losses) >= 2 and abs(losses[-1] - losses[-2]) <= tol
''', "not <="),
    Mistake(LESSON, "should_stop", "length-before-nan", '''\
def should_stop(losses, tol):
    if len(losses) < 2:
        return False
    if not np.isfinite(losses[-1]):
        return True
    return abs(losses[-1] - losses[-2]) < tol
''', "even when it is the only one"),
    Mistake(LESSON, "adam_step", "no-eps", '''\
def adam_step(theta, g, state, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state["t"] + 1
    m = beta1 * state["m"] + (1 - beta1) * g
    v = beta2 * state["v"] + (1 - beta2) * g ** 2
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return theta - lr * m_hat / np.sqrt(v_hat), {"m": m, "v": v, "t": t}
''', "eps is missing from the denominator"),
]

#: Step functions that keep their memory in a buffer per SHAPE, shared by every array of that shape. The
#: two-array part of the checks catches them in the student's kernel (tests/exercises/test_lesson08.py);
#: they are not in MISTAKES because the grader's outside judge (autograder/verify.py) sends fresh copies
#: of the state at every call, so a buffer shared in the kernel cannot corrupt them there.
SHARED_BUFFERS = [
    Mistake(LESSON, "adam_step", "buffer-per-shape", '''\
_buffers = {}


def adam_step(theta, g, state, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    m, v = _buffers.setdefault(np.shape(theta), (np.zeros(np.shape(theta)), np.zeros(np.shape(theta))))
    t = state["t"] + 1
    m[...] = beta1 * state["m"] + (1 - beta1) * g
    v[...] = beta2 * state["v"] + (1 - beta2) * g * g
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), {"m": m, "v": v, "t": t}
''', "the two arrays share optimiser memory"),
    Mistake(LESSON, "momentum_step", "buffer-per-shape", '''\
_velocity = {}


def momentum_step(theta, g, state, lr, beta=0.9):
    v = _velocity.setdefault(np.shape(theta), np.zeros(np.shape(theta)))
    v[...] = beta * state["v"] + g
    return theta - lr * v, {"v": v}
''', "Keep it per parameter array"),
]

#: Right answers written otherwise than the reference: each must pass the self-check and the hidden tests.
CORRECT = [
    Correct(LESSON, "sgd_step", "np-subtract", '''\
def sgd_step(theta, g, state, lr):
    return np.subtract(theta, np.multiply(lr, g)), state
'''),
    Correct(LESSON, "sgd_step", "copy-then-in-place", '''\
def sgd_step(theta, g, state, lr):
    new = np.array(theta, dtype=float, copy=True)
    new -= lr * g
    return new, dict(state)
'''),
    Correct(LESSON, "sgd_step", "loop", '''\
def sgd_step(theta, g, state, lr):
    flat = [t - lr * gi for t, gi in zip(np.ravel(theta), np.ravel(g))]
    return np.array(flat, dtype=float).reshape(np.shape(theta)), state
'''),
    Correct(LESSON, "momentum_step", "copy-then-in-place", '''\
def momentum_step(theta, g, state, lr, beta=0.9):
    v = np.array(state["v"], dtype=float, copy=True)
    v *= beta
    v += g
    new = np.array(theta, dtype=float, copy=True)
    new -= lr * v
    return new, {"v": v}
'''),
    Correct(LESSON, "momentum_step", "library-sgd-on-velocity", '''\
from backprop_lib.nn import mlp


def momentum_step(theta, g, state, lr, beta=0.9):
    v = beta * state["v"] + g
    layer = [{"W": np.array(theta, dtype=float, copy=True)}]
    mlp.sgd_step(layer, [{"W": v}], lr)          # allowed here: it does not answer the exercise by itself
    return layer[0]["W"], {"v": v}
'''),
    Correct(LESSON, "momentum_step", "np-functions", '''\
def momentum_step(theta, g, state, lr, beta=0.9):
    v = np.add(np.multiply(beta, state["v"]), g)
    return np.subtract(theta, lr * v), {"v": v}
'''),
    Correct(LESSON, "adam_step", "folded-correction", '''\
def adam_step(theta, g, state, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state["t"] + 1
    m = beta1 * state["m"] + (1 - beta1) * g
    v = beta2 * state["v"] + (1 - beta2) * np.square(g)
    c2 = np.sqrt(1 - beta2 ** t)
    step = lr * c2 / (1 - beta1 ** t) * m / (np.sqrt(v) + eps * c2)   # the same formula, rearranged
    return theta - step, {"m": m, "v": v, "t": t}
'''),
    Correct(LESSON, "adam_step", "copy-then-in-place", '''\
def adam_step(theta, g, state, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state["t"] + 1
    m = np.array(state["m"], dtype=float, copy=True)
    m *= beta1
    m += (1 - beta1) * g
    v = np.array(state["v"], dtype=float, copy=True)
    v *= beta2
    v += (1 - beta2) * g ** 2
    new = np.array(theta, dtype=float, copy=True)
    new -= lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps)
    return new, {"m": m, "v": v, "t": t}
'''),
    Correct(LESSON, "adam_step", "float-t-power", '''\
def adam_step(theta, g, state, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    t = float(state["t"]) + 1.0
    m = beta1 * state["m"] + (1 - beta1) * g
    v = beta2 * state["v"] + (1 - beta2) * np.power(g, 2)
    m_hat = m / (1 - np.power(beta1, t))
    v_hat = v / (1 - np.power(beta2, t))
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), {"m": m, "v": v, "t": t}
'''),
    Correct(LESSON, "should_stop", "length-first", '''\
def should_stop(losses, tol):
    if len(losses) >= 1 and not np.isfinite(losses[-1]):
        return True
    if len(losses) < 2:
        return False
    return bool(abs(losses[-1] - losses[-2]) < tol)
'''),
    Correct(LESSON, "should_stop", "math-module", '''\
import math


def should_stop(losses, tol):
    values = [float(v) for v in losses]
    if values and (math.isnan(values[-1]) or math.isinf(values[-1])):
        return True
    return len(values) >= 2 and math.fabs(values[-1] - values[-2]) < tol
'''),
    Correct(LESSON, "should_stop", "np-diff", '''\
def should_stop(losses, tol):
    arr = np.asarray(losses, dtype=float)
    if arr.size == 0:
        return False
    if not np.isfinite(arr[-1]):
        return True
    return arr.size >= 2 and np.abs(np.diff(arr[-2:]))[0] < tol
'''),
    Correct(LESSON, "l2_penalty", "loop", '''\
def l2_penalty(params, lam):
    penalty, grads = 0.0, []
    for p in params:
        for x in np.ravel(p):
            penalty += lam / 2 * x * x
        grads.append(lam * p)
    return penalty, grads
'''),
    Correct(LESSON, "l2_penalty", "einsum", '''\
def l2_penalty(params, lam):
    penalty = 0.5 * lam * sum(np.einsum("i,i->", np.ravel(p), np.ravel(p)) for p in params)
    return float(penalty), [np.multiply(lam, p) for p in params]
'''),
    Correct(LESSON, "l2_penalty", "norm-squared", '''\
def l2_penalty(params, lam):
    penalty = lam / 2 * sum(np.linalg.norm(np.ravel(p)) ** 2 for p in params)
    return penalty, [lam * np.asarray(p, dtype=float) for p in params]
'''),
]
