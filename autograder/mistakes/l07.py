"""Typical mistakes in lesson 07 (vanishing and exploding gradients, Xavier and He initialisation)."""
from . import Mistake

LESSON = "07_vanishing"

_CHAIN = '''\
def chain_gradient(a0, w, b):
    a = np.asarray(a0, dtype=float)
    grad = np.ones_like(a)
    for wl, bl in zip(w, b):
        z = wl * a + bl
{body}
    return grad
'''


def _chain(body: str) -> str:
    return _CHAIN.format(body="\n".join("        " + ln for ln in body.strip("\n").splitlines()))


_CLIP = '''\
def clip_by_norm(grads, max_norm):
{body}
'''

MISTAKES = [
    # --- chain_gradient
    Mistake(LESSON, "chain_gradient", "no-w", _chain('''
a = 1 / (1 + np.exp(-z))
grad = grad * a * (1 - a)
'''), "the weights are missing"),
    Mistake(LESSON, "chain_gradient", "z-not-a", _chain('''
grad = grad * wl * z * (1 - z)
a = 1 / (1 + np.exp(-z))
'''), "sigmoid's OUTPUT"),
    Mistake(LESSON, "chain_gradient", "input-not-output", _chain('''
grad = grad * wl * a * (1 - a)
a = 1 / (1 + np.exp(-z))
'''), "uses its output a_l"),
    Mistake(LESSON, "chain_gradient", "sum", '''\
def chain_gradient(a0, w, b):
    a = np.asarray(a0, dtype=float)
    total = np.zeros_like(a)
    for wl, bl in zip(w, b):
        a = 1 / (1 + np.exp(-(wl * a + bl)))
        total = total + wl * a * (1 - a)
    return total
''', "MULTIPLIES"),
    # --- layer_grad_norms
    Mistake(LESSON, "layer_grad_norms", "spectral", '''\
def layer_grad_norms(grads):
    return np.array([np.linalg.norm(g["W"], 2) for g in grads])
''', "largest singular value"),
    Mistake(LESSON, "layer_grad_norms", "with-biases", '''\
def layer_grad_norms(grads):
    return np.array([np.sqrt(np.sum(g["W"] ** 2) + np.sum(g["b"] ** 2)) for g in grads])
''', "biases are included"),
    Mistake(LESSON, "layer_grad_norms", "no-sqrt", '''\
def layer_grad_norms(grads):
    return np.array([np.sum(g["W"] ** 2) for g in grads])
''', "square root is missing"),
    Mistake(LESSON, "layer_grad_norms", "reversed", '''\
def layer_grad_norms(grads):
    return np.array([np.linalg.norm(g["W"]) for g in reversed(grads)])
''', "reverse order"),
    # --- xavier_init
    Mistake(LESSON, "xavier_init", "variance-as-std", '''\
def xavier_init(n_in, n_out, rng):
    return rng.normal(0.0, 2.0 / (n_in + n_out), size=(n_in, n_out))
''', "take its square root"),
    Mistake(LESSON, "xavier_init", "fan-in-only", '''\
def xavier_init(n_in, n_out, rng):
    return rng.normal(0.0, np.sqrt(1.0 / n_in), size=(n_in, n_out))
''', "LeCun's variance"),
    Mistake(LESSON, "xavier_init", "global-random", '''\
def xavier_init(n_in, n_out, rng):
    return np.random.randn(n_in, n_out) * np.sqrt(2.0 / (n_in + n_out))
''', "draw from the rng passed in"),
    Mistake(LESSON, "xavier_init", "transposed", '''\
def xavier_init(n_in, n_out, rng):
    return rng.normal(0.0, np.sqrt(2.0 / (n_in + n_out)), size=(n_out, n_in))
''', "transposed?"),
    Mistake(LESSON, "xavier_init", "uniform-std-as-limit", '''\
def xavier_init(n_in, n_out, rng):
    limit = np.sqrt(2.0 / (n_in + n_out))
    return rng.uniform(-limit, limit, size=(n_in, n_out))
''', "limit = sqrt(6 / (n_in + n_out))"),
    # --- he_init
    Mistake(LESSON, "he_init", "fan-out", '''\
def he_init(n_in, n_out, rng):
    return rng.normal(0.0, np.sqrt(2.0 / n_out), size=(n_in, n_out))
''', "the fan-in"),
    Mistake(LESSON, "he_init", "lecun", '''\
def he_init(n_in, n_out, rng):
    return rng.normal(0.0, np.sqrt(1.0 / n_in), size=(n_in, n_out))
''', "He doubles it"),
    Mistake(LESSON, "he_init", "positive-only", '''\
def he_init(n_in, n_out, rng):
    return rng.uniform(0.0, np.sqrt(6.0 / n_in), size=(n_in, n_out))
''', "not centred on zero"),
    Mistake(LESSON, "he_init", "fixed-seed", '''\
def he_init(n_in, n_out, rng):
    rng = np.random.default_rng(0)
    return rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))
''', "ignores the rng argument"),
    # --- clip_by_norm
    Mistake(LESSON, "clip_by_norm", "per-layer", _CLIP.format(body='''\
    out = []
    for g in grads:
        norm = np.sqrt(np.sum(g["W"] ** 2) + np.sum(g["b"] ** 2))
        scale = max_norm / norm if norm > max_norm else 1.0
        out.append({"W": g["W"] * scale, "b": g["b"] * scale})
    return out'''), "each layer was clipped by its own norm"),
    Mistake(LESSON, "clip_by_norm", "elementwise", _CLIP.format(body='''\
    return [{k: np.clip(v, -max_norm, max_norm) for k, v in g.items()} for g in grads]'''), "np.clip"),
    Mistake(LESSON, "clip_by_norm", "always", _CLIP.format(body='''\
    norm = np.sqrt(sum(np.sum(g["W"] ** 2) + np.sum(g["b"] ** 2) for g in grads))
    return [{k: v * (max_norm / norm) for k, v in g.items()} for g in grads]'''), "left unchanged"),
    Mistake(LESSON, "clip_by_norm", "weights-only", _CLIP.format(body='''\
    norm = np.sqrt(sum(np.sum(g["W"] ** 2) for g in grads))
    scale = max_norm / norm if norm > max_norm else 1.0
    return [{k: v * scale for k, v in g.items()} for g in grads]'''), "count every entry"),
]
