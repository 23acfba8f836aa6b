"""Typical mistakes in lesson 09 (the capstone: a deeper network on the spirals)."""
from . import Correct, Mistake

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

MISTAKES += [
    Mistake(LESSON, "train_spirals", "moments-per-shape", '''\
def train_spirals(x, y, rng, loss_and_grads, sizes=(2, 32, 32, 3), epochs=300, lr=0.02):
    params = [{"W": rng.normal(0.0, np.sqrt(2.0 / n_in), (n_in, n_out)), "b": np.zeros(n_out)}
              for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    m, v = {}, {}                 # one m and v per SHAPE: b1 and b2 share theirs
    losses = []
    for t in range(1, epochs + 1):
        loss, grads = loss_and_grads(params, x, y)
        losses.append(loss)
        for layer, grad in zip(params, grads):
            for k in layer:
                key = layer[k].shape
                m[key] = 0.9 * m.get(key, 0.0) + 0.1 * grad[k]
                v[key] = 0.999 * v.get(key, 0.0) + 0.001 * grad[k] ** 2
                step = (m[key] / (1 - 0.9 ** t)) / (np.sqrt(v[key] / (1 - 0.999 ** t)) + 1e-8)
                layer[k] = layer[k] - lr * step
    return params, losses
''', "not one per shape"),
]

#: Right answers written otherwise than the reference: each must pass the self-check and the hidden tests.
CORRECT = [
    Correct(LESSON, "softmax_cross_entropy", "logsumexp-one-hot", '''\
def softmax_cross_entropy(z, y):
    m, k = z.shape
    Y = np.eye(k)[y]
    zmax = np.max(z, axis=1, keepdims=True)
    lse = zmax + np.log(np.sum(np.exp(z - zmax), axis=1, keepdims=True))
    loss = float(np.sum(Y * (lse - z)) / m)
    return loss, (np.exp(z - lse) - Y) / m
'''),
    Correct(LESSON, "softmax_cross_entropy", "row-loop", '''\
def softmax_cross_entropy(z, y):
    m = len(z)
    total, dz = 0.0, np.zeros(np.shape(z))
    for i in range(m):
        row = np.asarray(z[i], dtype=float)
        e = np.exp(row - row.max())
        p = e / e.sum()
        total -= np.log(p[y[i]])
        dz[i] = p
        dz[i, y[i]] -= 1
    return total / m, dz / m
'''),
    Correct(LESSON, "softmax_cross_entropy", "einsum-pick", '''\
def softmax_cross_entropy(z, y):
    m, k = z.shape
    shifted = z - z.max(axis=1)[:, None]
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1))[:, None]
    Y = (np.arange(k)[None, :] == y[:, None]).astype(float)
    return -np.einsum("ij,ij->", Y, log_p) / m, (np.exp(log_p) - Y) / m
'''),
    Correct(LESSON, "mlp_forward", "library-relu", '''\
from backprop_lib.nn.activations import relu


def mlp_forward(params, x):
    a, caches = x, []
    for l, layer in enumerate(params):
        z = a @ layer["W"] + layer["b"]
        caches.append((a, z))
        a = z if l == len(params) - 1 else relu(z)
    return a, caches
'''),
    Correct(LESSON, "mlp_forward", "einsum-where", '''\
def mlp_forward(params, x):
    caches = []
    a = x
    last = len(params) - 1
    for l in range(len(params)):
        z = np.einsum("mi,io->mo", a, params[l]["W"]) + params[l]["b"][None, :]
        caches.append([a, z])
        if l < last:
            a = np.where(z > 0, z, 0.0)
    return z, caches
'''),
    Correct(LESSON, "mlp_forward", "hidden-then-output", '''\
def mlp_forward(params, x):
    a, caches = x, []
    for layer in params[:-1]:
        z = np.dot(a, layer["W"]) + layer["b"]
        caches.append((a, z))
        a = z * (z > 0)
    z = np.dot(a, params[-1]["W"]) + params[-1]["b"]
    caches.append((a, z))
    return z, caches
'''),
    Correct(LESSON, "mlp_backward", "library-relu-prime", '''\
from backprop_lib.nn.activations import relu_prime


def mlp_backward(dz_out, caches, params):
    grads = []
    delta = dz_out
    for l in range(len(params) - 1, -1, -1):
        a_prev = caches[l][0]
        grads.insert(0, {"W": a_prev.T @ delta, "b": np.sum(delta, axis=0)})
        if l > 0:
            delta = (delta @ params[l]["W"].T) * relu_prime(caches[l - 1][1])
    return grads
'''),
    Correct(LESSON, "mlp_backward", "ones-and-heaviside", '''\
def mlp_backward(dz_out, caches, params):
    out = []
    delta = dz_out
    for l in reversed(range(len(params))):
        a_prev, _ = caches[l]
        out.append({"W": np.einsum("mi,mo->io", a_prev, delta), "b": np.ones(delta.shape[0]) @ delta})
        if l:
            delta = np.heaviside(caches[l - 1][1], 0.0) * (delta @ params[l]["W"].T)
    return out[::-1]
'''),
    Correct(LESSON, "mlp_backward", "da-then-mask", '''\
def mlp_backward(dz_out, caches, params):
    grads = [None] * len(params)
    da = None
    for l in range(len(params) - 1, -1, -1):
        a_prev, z = caches[l]
        delta = dz_out if l == len(params) - 1 else da * (z > 0)
        grads[l] = {"W": a_prev.T.dot(delta), "b": delta.sum(0)}
        da = delta.dot(params[l]["W"].T)
    return grads
'''),
    Correct(LESSON, "train_spirals", "library-init-and-adam", '''\
from backprop_lib.nn import mlp, optim


def train_spirals(x, y, rng, loss_and_grads, sizes=(2, 32, 32, 3), epochs=300, lr=0.02):
    params = mlp.init_params(sizes, rng)              # He's recipe, as the exercise asks
    arrays = [layer[k] for layer in params for k in ("W", "b")]
    adam, losses = optim.Adam(lr), []
    for _ in range(epochs):
        loss, grads = loss_and_grads(params, x, y)
        losses.append(loss)
        adam.step(arrays, [g[k] for g in grads for k in ("W", "b")])
    return params, losses
'''),
    Correct(LESSON, "train_spirals", "flat-state-list", '''\
def train_spirals(x, y, rng, loss_and_grads, sizes=(2, 32, 32, 3), epochs=300, lr=0.02):
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        params.append({"W": rng.standard_normal((n_in, n_out)) * np.sqrt(2 / n_in), "b": np.zeros(n_out)})
    keys = [(l, k) for l in range(len(params)) for k in ("W", "b")]
    m = [np.zeros_like(params[l][k]) for l, k in keys]
    v = [np.zeros_like(params[l][k]) for l, k in keys]
    losses = []
    for t in range(1, epochs + 1):
        loss, grads = loss_and_grads(params, x, y)
        losses.append(float(loss))
        for i, (l, k) in enumerate(keys):
            g = grads[l][k]
            m[i] = 0.9 * m[i] + 0.1 * g
            v[i] = 0.999 * v[i] + 0.001 * g * g
            params[l][k] = params[l][k] - lr * (m[i] / (1 - 0.9 ** t)) / (np.sqrt(v[i] / (1 - 0.999 ** t)) + 1e-8)
    return params, losses
'''),
    Correct(LESSON, "train_spirals", "library-momentum-uniform-he", '''\
from backprop_lib.nn import optim


def train_spirals(x, y, rng, loss_and_grads, sizes=(2, 32, 32, 3), epochs=400, lr=0.05):
    params = [{"W": rng.uniform(-np.sqrt(6 / i), np.sqrt(6 / i), (i, o)), "b": np.zeros(o)}
              for i, o in zip(sizes[:-1], sizes[1:])]
    arrays = [layer[k] for layer in params for k in ("W", "b")]
    opt, losses = optim.Momentum(lr, beta=0.9), []
    for _ in range(epochs):
        loss, grads = loss_and_grads(params, x, y)
        losses.append(loss)
        opt.step(arrays, [g[k] for g in grads for k in ("W", "b")])
    return params, losses
'''),
]
