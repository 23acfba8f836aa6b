"""Typical mistakes in lesson 08 (optimisers and stopping)."""
from . import Mistake

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
