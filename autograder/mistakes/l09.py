"""Typical mistakes in lesson 09 (the capstone: a deeper network on the spirals)."""
from . import Mistake

LESSON = "09_capstone"

#: The reference training loop with one line swapped by each mistake below.
_TRAIN = '''\
def train_spirals(x, y, rng, loss_and_grads, sizes=(2, 32, 32, 3), epochs=300, lr=0.02):
    params = [{"W": INIT, "b": np.zeros(n_out)} for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    m = [{k: np.zeros_like(a) for k, a in layer.items()} for layer in params]
    v = [{k: np.zeros_like(a) for k, a in layer.items()} for layer in params]
    losses = []
    for t in range(1, epochs + 1):
        loss, grads = loss_and_grads(params, x, y)
        losses.append(loss)
        for layer, grad, m_l, v_l in zip(params, grads, m, v):
            for k in layer:
                m_l[k] = 0.9 * m_l[k] + 0.1 * grad[k]
                v_l[k] = 0.999 * v_l[k] + 0.001 * grad[k] ** 2
                step = (m_l[k] / (1 - 0.9 ** t)) / (np.sqrt(v_l[k] / (1 - 0.999 ** t)) + 1e-8)
                UPDATE
    return params, losses
'''
_HE = "rng.normal(0.0, np.sqrt(2.0 / n_in), (n_in, n_out))"
_GOOD_UPDATE = 'layer[k] = layer[k] - lr * step'


def _train(init: str = _HE, update: str = _GOOD_UPDATE, header: str | None = None) -> str:
    code = _TRAIN.replace("INIT", init).replace("UPDATE", update)
    if header:
        code = code.replace(code.splitlines()[0], header)
    return code


MISTAKES = [
    Mistake(LESSON, "softmax_cross_entropy", "no-max-shift", '''\
def softmax_cross_entropy(z, y):
    m = z.shape[0]
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(p[np.arange(m), y]))
    dz = p.copy()
    dz[np.arange(m), y] -= 1
    return loss, dz / m
''', "Subtract each row's maximum first"),
    Mistake(LESSON, "softmax_cross_entropy", "no-one-hot", '''\
def softmax_cross_entropy(z, y):
    m = z.shape[0]
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    return -np.mean(np.log(p[np.arange(m), y])), p / m
''', "dz is the softmax itself"),
    Mistake(LESSON, "softmax_cross_entropy", "summed", '''\
def softmax_cross_entropy(z, y):
    m = z.shape[0]
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    dz = p.copy()
    dz[np.arange(m), y] -= 1
    return -np.sum(np.log(p[np.arange(m), y])), dz
''', "the loss is SUMMED over the batch"),
    Mistake(LESSON, "softmax_cross_entropy", "wrong-axis", '''\
def softmax_cross_entropy(z, y):
    m = z.shape[0]
    e = np.exp(z - z.max(axis=0, keepdims=True))
    p = e / e.sum(axis=0, keepdims=True)
    dz = p.copy()
    dz[np.arange(m), y] -= 1
    return -np.mean(np.log(p[np.arange(m), y])), dz / m
''', "the softmax is taken over the wrong axis"),
    Mistake(LESSON, "mlp_forward", "relu-on-output", '''\
def mlp_forward(params, x):
    a, caches = x, []
    for layer in params:
        z = a @ layer["W"] + layer["b"]
        caches.append((a, z))
        a = np.maximum(z, 0)
    return a, caches
''', "a ReLU was applied to the output layer too"),
    Mistake(LESSON, "mlp_forward", "cache-output", '''\
def mlp_forward(params, x):
    a, caches = x, []
    for l, layer in enumerate(params):
        z = a @ layer["W"] + layer["b"]
        a = np.maximum(z, 0) if l < len(params) - 1 else z
        caches.append((a, z))
    return a, caches
''', "holds the layer's OUTPUT"),
    Mistake(LESSON, "mlp_forward", "no-bias", '''\
def mlp_forward(params, x):
    a, caches = x, []
    for l, layer in enumerate(params):
        z = a @ layer["W"]
        caches.append((a, z))
        a = np.maximum(z, 0) if l < len(params) - 1 else z
    return a, caches
''', "the biases are missing"),
    Mistake(LESSON, "mlp_backward", "no-mask", '''\
def mlp_backward(dz_out, caches, params):
    grads = [None] * len(params)
    delta = dz_out
    for l in reversed(range(len(params))):
        a_prev, z = caches[l]
        grads[l] = {"W": a_prev.T @ delta, "b": delta.sum(axis=0)}
        delta = delta @ params[l]["W"].T
    return grads
''', "the ReLU mask is missing"),
    Mistake(LESSON, "mlp_backward", "mask-on-output", '''\
def mlp_backward(dz_out, caches, params):
    grads = [None] * len(params)
    da = dz_out
    for l in reversed(range(len(params))):
        a_prev, z = caches[l]
        delta = da * (z > 0)
        grads[l] = {"W": a_prev.T @ delta, "b": delta.sum(axis=0)}
        da = delta @ params[l]["W"].T
    return grads
''', "you applied the mask (z_L > 0) there too"),
    Mistake(LESSON, "mlp_backward", "reversed", '''\
def mlp_backward(dz_out, caches, params):
    grads = []
    delta = dz_out
    for l in reversed(range(len(params))):
        a_prev, z = caches[l]
        grads.append({"W": a_prev.T @ delta, "b": delta.sum(axis=0)})
        if l > 0:
            delta = (delta @ params[l]["W"].T) * (caches[l - 1][1] > 0)
    return grads
''', "in the reverse order"),
    Mistake(LESSON, "mlp_backward", "db-mean", '''\
def mlp_backward(dz_out, caches, params):
    grads = [None] * len(params)
    delta = dz_out
    for l in reversed(range(len(params))):
        a_prev, z = caches[l]
        grads[l] = {"W": a_prev.T @ delta, "b": delta.mean(axis=0)}
        if l > 0:
            delta = (delta @ params[l]["W"].T) * (caches[l - 1][1] > 0)
    return grads
''', "db is the MEAN of delta"),
    Mistake(LESSON, "train_spirals", "zero-init", _train(init="np.zeros((n_in, n_out))"), "identical weights"),
    Mistake(LESSON, "train_spirals", "local-update", _train(update="p = layer[k]; p = p - lr * step"),
            "the parameters are not updated"),
    Mistake(LESSON, "train_spirals", "ascent", _train(update="layer[k] = layer[k] + lr * step"),
            "the loss went UP"),
    Mistake(LESSON, "train_spirals", "too-few-epochs", _train(header="def train_spirals(x, y, rng, loss_and_grads, "
                                                                     "sizes=(2, 32, 32, 3), epochs=25, lr=0.02):"),
            "not far enough"),
    Mistake(LESSON, "train_spirals", "shallow", _train(header="def train_spirals(x, y, rng, loss_and_grads, "
                                                              "sizes=(2, 64, 3), epochs=300, lr=0.02):"),
            "at least two hidden layers"),
]
