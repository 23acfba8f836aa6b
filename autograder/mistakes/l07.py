"""Typical mistakes in lesson 07 (vanishing and exploding gradients, Xavier and He initialisation)."""
from . import Correct, Mistake

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
MISTAKES += [
    Mistake(LESSON, "clip_by_norm", "unit-direction", _CLIP.format(body='''\
    norm = np.sqrt(sum(np.sum(g["W"] ** 2) + np.sum(g["b"] ** 2) for g in grads))
    length = min(norm, max_norm)
    return [{k: v / norm * length for k, v in g.items()} for g in grads]'''), "0 / 0 = NaN"),
]

#: Right answers written otherwise than the reference: each must pass the self-check and the hidden tests.
CORRECT = [
    Correct(LESSON, "chain_gradient", "library-sigmoid-prime", '''\
from backprop_lib.nn.activations import sigmoid, sigmoid_prime


def chain_gradient(a0, w, b):
    a = np.asarray(a0, dtype=float)
    grad = np.ones_like(a)
    for wl, bl in zip(w, b):
        z = wl * a + bl
        grad = grad * wl * sigmoid_prime(z)
        a = sigmoid(z)
    return grad
'''),
    Correct(LESSON, "chain_gradient", "factors-then-prod", '''\
def chain_gradient(a0, w, b):
    a = np.asarray(a0, dtype=float)
    factors = []
    for l in range(len(w)):
        a = 1 / (1 + np.exp(-(w[l] * a + b[l])))
        factors.append(w[l] * a * (1 - a))
    return np.prod(np.stack(factors), axis=0)
'''),
    Correct(LESSON, "chain_gradient", "tanh-form", '''\
def chain_gradient(a0, w, b):
    a = np.array(a0, dtype=np.float64)
    grad = 1.0
    for wl, bl in zip(w, b):
        a = 0.5 * (1 + np.tanh((wl * a + bl) / 2))     # the same sigmoid, written with tanh
        grad = grad * wl * a * (1 - a)
    return grad * np.ones_like(a)
'''),
    Correct(LESSON, "layer_grad_norms", "linalg-norm", '''\
def layer_grad_norms(grads):
    return np.array([np.linalg.norm(g["W"]) for g in grads])
'''),
    Correct(LESSON, "layer_grad_norms", "einsum", '''\
def layer_grad_norms(grads):
    return np.array([np.sqrt(np.einsum("ij,ij->", g["W"], g["W"])) for g in grads])
'''),
    Correct(LESSON, "layer_grad_norms", "loop", '''\
import math


def layer_grad_norms(grads):
    out = np.zeros(len(grads))
    for l, g in enumerate(grads):
        out[l] = math.sqrt(sum(float(x) * float(x) for x in np.ravel(g["W"])))
    return out
'''),
    Correct(LESSON, "xavier_init", "uniform", '''\
def xavier_init(n_in, n_out, rng):
    limit = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-limit, limit, size=(n_in, n_out))
'''),
    Correct(LESSON, "xavier_init", "standard-normal-scaled", '''\
def xavier_init(n_in, n_out, rng):
    return rng.standard_normal((n_in, n_out)) * np.sqrt(2 / (n_in + n_out))
'''),
    Correct(LESSON, "xavier_init", "keywords-int-fans", '''\
def xavier_init(n_in, n_out, rng):
    std = (2 / (int(n_in) + int(n_out))) ** 0.5
    return rng.normal(loc=0, scale=std, size=(n_in, n_out))
'''),
    Correct(LESSON, "he_init", "uniform", '''\
def he_init(n_in, n_out, rng):
    limit = np.sqrt(6.0 / n_in)
    return rng.uniform(low=-limit, high=limit, size=(n_in, n_out))
'''),
    Correct(LESSON, "he_init", "standard-normal-scaled", '''\
def he_init(n_in, n_out, rng):
    return np.sqrt(2 / n_in) * rng.standard_normal(size=(n_in, n_out))
'''),
    Correct(LESSON, "he_init", "normal-then-reshape", '''\
def he_init(n_in, n_out, rng):
    return rng.normal(0.0, (2.0 / n_in) ** 0.5, n_in * n_out).reshape(n_in, n_out)
'''),
    Correct(LESSON, "clip_by_norm", "flat-vector", _CLIP.format(body='''\
    flat = np.concatenate([np.ravel(g[k]) for g in grads for k in ("W", "b")])
    norm = np.linalg.norm(flat)
    if norm <= max_norm:
        return [{"W": g["W"].copy(), "b": g["b"].copy()} for g in grads]
    return [{"W": g["W"] * (max_norm / norm), "b": g["b"] * (max_norm / norm)} for g in grads]''')),
    Correct(LESSON, "clip_by_norm", "max-in-denominator", _CLIP.format(body='''\
    norm = np.sqrt(sum(np.sum(np.square(v)) for g in grads for v in g.values()))
    factor = max_norm / max(norm, max_norm)          # 1 when norm <= max_norm, never a division by 0
    return [{k: v * factor for k, v in g.items()} for g in grads]''')),
    Correct(LESSON, "clip_by_norm", "loops", _CLIP.format(body='''\
    total = 0.0
    for g in grads:
        for k in g:
            total += float(np.sum(g[k] * g[k]))
    norm = total ** 0.5
    out = []
    for g in grads:
        out.append({k: (v * max_norm / norm if norm > max_norm else v) for k, v in g.items()})
    return out''')),
]
