"""Typical mistakes in lesson 05 (an MLP from scratch: layers with caches, gradient check)."""
from . import Correct, Mistake

LESSON = "05_mlp"

_NETWORK_HEAD = '''\
def network_gradients(params, x, y, ops):
    z1, dense1 = ops.dense_forward(x, params["W1"], params["b1"])
    a1, relu1 = ops.relu_forward(z1)
    z2, dense2 = ops.dense_forward(a1, params["W2"], params["b2"])
    y_hat = ops.sigmoid(z2)
'''

_GRAD_CHECK = '''\
def grad_check(loss_fn, params, grads, h=1e-5):
    errors = {{}}
    for name, p in params.items():
        g = grads[name]
        worst = 0.0
        for idx in np.ndindex(p.shape):
            old = p[idx]
{body}
            worst = {combine}
        errors[name] = worst{final}
    return errors
'''


def _grad_check(body: str, err: str = "abs(g[idx] - n) / max(abs(g[idx]) + abs(n), 1e-8)",
                combine: str = "max(worst, {err})", final: str = "") -> str:
    lines = "\n".join("            " + ln for ln in body.strip("\n").splitlines())
    return _GRAD_CHECK.format(body=lines, combine=combine.format(err=err), final=final)


_CENTRAL = '''\
p[idx] = old + h
up = loss_fn(params)
p[idx] = old - h
down = loss_fn(params)
p[idx] = old
n = (up - down) / (2 * h)'''

MISTAKES = [
    # --- dense_forward
    Mistake(LESSON, "dense_forward", "no-bias", '''\
def dense_forward(x, W, b):
    z = x @ W
    return z, (x, W, b)
''', "the bias is missing"),
    Mistake(LESSON, "dense_forward", "cache-z", '''\
def dense_forward(x, W, b):
    z = x @ W + b
    return z, (z, W, b)
''', "must hold the INPUT x"),
    Mistake(LESSON, "dense_forward", "no-cache", '''\
def dense_forward(x, W, b):
    return x @ W + b
''', "should return a pair (z, cache)"),
    # --- dense_backward
    Mistake(LESSON, "dense_backward", "dW-transposed", '''\
def dense_backward(dout, cache):
    x, W, b = cache
    return dout @ W.T, dout.T @ x, dout.sum(axis=0)
''', "dW is transposed"),
    Mistake(LESSON, "dense_backward", "db-not-summed", '''\
def dense_backward(dout, cache):
    x, W, b = cache
    return dout @ W.T, x.T @ dout, dout
''', "db is not summed"),
    Mistake(LESSON, "dense_backward", "db-axis-1", '''\
def dense_backward(dout, cache):
    x, W, b = cache
    return dout @ W.T, x.T @ dout, np.sum(dout, axis=1)
''', "summed over the wrong axis"),
    Mistake(LESSON, "dense_backward", "extra-1-over-m", '''\
def dense_backward(dout, cache):
    x, W, b = cache
    m = x.shape[0]
    return dout @ W.T, x.T @ dout / m, dout.sum(axis=0) / m
''', "already inside dout"),
    # --- relu_backward
    Mistake(LESSON, "relu_backward", "no-mask", '''\
def relu_backward(dout, cache):
    return dout
''', "ReLU mask is missing"),
    Mistake(LESSON, "relu_backward", "mask-from-dout", '''\
def relu_backward(dout, cache):
    return dout * (dout > 0)
''', "mask was taken from dout"),
    Mistake(LESSON, "relu_backward", "times-relu", '''\
def relu_backward(dout, cache):
    z = cache
    return dout * np.maximum(z, 0)
''', "not max(z, 0)"),
    Mistake(LESSON, "relu_backward", "kink-is-one", '''\
def relu_backward(dout, cache):
    z = cache
    return dout * (z >= 0)
''', "at the kink z == 0"),
    # --- output_delta
    Mistake(LESSON, "output_delta", "no-1-over-m", '''\
def output_delta(y_hat, y):
    return y_hat - y
''', "1/m of the batch mean is missing"),
    Mistake(LESSON, "output_delta", "sign", '''\
def output_delta(y_hat, y):
    return (y - y_hat) / len(y)
''', "the sign is flipped"),
    Mistake(LESSON, "output_delta", "sigmoid-prime-again", '''\
def output_delta(y_hat, y):
    m = y_hat.shape[0]
    return (y_hat - y) * y_hat * (1 - y_hat) / m
''', "sigmoid derivative"),
    # --- network_gradients
    Mistake(LESSON, "network_gradients", "no-relu-mask", _NETWORK_HEAD + '''\
    delta2 = ops.output_delta(y_hat, y)
    da1, dW2, db2 = ops.dense_backward(delta2, dense2)
    _, dW1, db1 = ops.dense_backward(da1, dense1)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
''', "ReLU mask is missing in the hidden layer"),
    Mistake(LESSON, "network_gradients", "delta-without-m", _NETWORK_HEAD + '''\
    delta2 = y_hat - y
    da1, dW2, db2 = ops.dense_backward(delta2, dense2)
    delta1 = ops.relu_backward(da1, relu1)
    _, dW1, db1 = ops.dense_backward(delta1, dense1)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
''', "m times too big"),
    Mistake(LESSON, "network_gradients", "sign", _NETWORK_HEAD + '''\
    delta2 = -ops.output_delta(y_hat, y)
    da1, dW2, db2 = ops.dense_backward(delta2, dense2)
    delta1 = ops.relu_backward(da1, relu1)
    _, dW1, db1 = ops.dense_backward(delta1, dense1)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
''', "wrong sign"),
    Mistake(LESSON, "network_gradients", "sigmoid-prime-again", _NETWORK_HEAD + '''\
    delta2 = ops.output_delta(y_hat, y) * y_hat * (1 - y_hat)
    da1, dW2, db2 = ops.dense_backward(delta2, dense2)
    delta1 = ops.relu_backward(da1, relu1)
    _, dW1, db1 = ops.dense_backward(delta1, dense1)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
''', "sigmoid derivative was applied on top"),
    # --- grad_check
    Mistake(LESSON, "grad_check", "forward-difference", _grad_check('''\
p[idx] = old + h
up = loss_fn(params)
p[idx] = old
n = (up - loss_fn(params)) / h'''), "forward difference"),
    Mistake(LESSON, "grad_check", "over-h", _grad_check('''\
p[idx] = old + h
up = loss_fn(params)
p[idx] = old - h
down = loss_fn(params)
p[idx] = old
n = (up - down) / h'''), "divide by 2*h"),
    Mistake(LESSON, "grad_check", "not-restored", _grad_check('''\
p[idx] = old + h
up = loss_fn(params)
p[idx] = old - h
down = loss_fn(params)
n = (up - down) / (2 * h)'''), "put its old value back"),
    Mistake(LESSON, "grad_check", "copy", '''\
def grad_check(loss_fn, params, grads, h=1e-5):
    errors = {}
    for name in params:
        p = params[name].copy()
        g = grads[name]
        worst = 0.0
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + h
            up = loss_fn(params)
            p[idx] = old - h
            down = loss_fn(params)
            p[idx] = old
            n = (up - down) / (2 * h)
            worst = max(worst, abs(g[idx] - n) / max(abs(g[idx]) + abs(n), 1e-8))
        errors[name] = worst
    return errors
''', "IN PLACE"),
    Mistake(LESSON, "grad_check", "absolute-error", _grad_check(_CENTRAL, err="abs(g[idx] - n)"),
            "absolute error"),
    Mistake(LESSON, "grad_check", "mean-error", _grad_check(_CENTRAL, combine="worst + {err}",
                                                            final=" / p.size"), "MEAN relative error"),
]

CORRECT = [
    # --- dense_forward
    Correct(LESSON, "dense_forward", "np-dot", '''\
def dense_forward(x, W, b):
    return np.dot(x, W) + b, (x, W, b)
'''),
    Correct(LESSON, "dense_forward", "einsum", '''\
def dense_forward(x, W, b):
    z = np.einsum("mi,io->mo", x, W) + b[None, :]
    return z, (x, W, b)
'''),
    Correct(LESSON, "dense_forward", "list-cache", '''\
def dense_forward(x, W, b):
    z = x @ W
    z = z + b.reshape(1, -1)
    return z, [x, W, b]
'''),
    # --- dense_backward
    Correct(LESSON, "dense_backward", "einsum", '''\
def dense_backward(dout, cache):
    x, W, b = cache
    return (np.einsum("mo,io->mi", dout, W), np.einsum("mi,mo->io", x, dout), np.einsum("mo->o", dout))
'''),
    Correct(LESSON, "dense_backward", "loop", '''\
def dense_backward(dout, cache):
    x, W, b = cache
    dx = np.zeros(x.shape)
    dW = np.zeros(W.shape)
    db = np.zeros(b.shape)
    for i in range(x.shape[0]):
        dx[i] = W @ dout[i]
        dW += np.outer(x[i], dout[i])
        db += dout[i]
    return dx, dW, db
'''),
    Correct(LESSON, "dense_backward", "np-dot", '''\
def dense_backward(dout, cache):
    x, W, _ = cache
    return np.dot(dout, W.T), np.dot(x.T, dout), np.sum(dout, axis=0)
'''),
    # --- relu_backward
    Correct(LESSON, "relu_backward", "where", '''\
def relu_backward(dout, cache):
    return np.where(cache > 0, dout, 0.0)
'''),
    Correct(LESSON, "relu_backward", "library-relu-prime", '''\
from backprop_lib.nn.activations import relu_prime


def relu_backward(dout, cache):
    return dout * relu_prime(cache)
'''),
    Correct(LESSON, "relu_backward", "mask-from-a", '''\
def relu_backward(dout, cache):
    a = np.maximum(cache, 0)
    return dout * (a > 0)
'''),
    Correct(LESSON, "relu_backward", "copy-and-zero", '''\
def relu_backward(dout, cache):
    dz = np.array(dout, dtype=float, copy=True)
    dz[cache <= 0] = 0.0
    return dz
'''),
    # --- output_delta
    Correct(LESSON, "output_delta", "len", '''\
def output_delta(y_hat, y):
    return (y_hat - y) / len(y_hat)
'''),
    Correct(LESSON, "output_delta", "np-subtract", '''\
def output_delta(y_hat, y):
    return np.subtract(y_hat, y) * (1.0 / y.shape[0])
'''),
    Correct(LESSON, "output_delta", "mean-form", '''\
def output_delta(y_hat, y):
    k = y.shape[1]
    return (y_hat - y) / y.size * k
'''),
    # --- network_gradients
    Correct(LESSON, "network_gradients", "list-caches", '''\
def network_gradients(params, x, y, ops):
    caches = []
    a = x
    z, c = ops.dense_forward(a, params["W1"], params["b1"]); caches.append(c)
    a, c = ops.relu_forward(z); caches.append(c)
    z, c = ops.dense_forward(a, params["W2"], params["b2"]); caches.append(c)
    dout = ops.output_delta(ops.sigmoid(z), y)
    dout, dW2, db2 = ops.dense_backward(dout, caches[2])
    dout = ops.relu_backward(dout, caches[1])
    dout, dW1, db1 = ops.dense_backward(dout, caches[0])
    return dict(W1=dW1, b1=db1, W2=dW2, b2=db2)
'''),
    Correct(LESSON, "network_gradients", "library-sigmoid", '''\
from backprop_lib.nn.activations import sigmoid


def network_gradients(params, x, y, ops):
    z1, c1 = ops.dense_forward(x, params["W1"], params["b1"])
    a1, r1 = ops.relu_forward(z1)
    z2, c2 = ops.dense_forward(a1, params["W2"], params["b2"])
    delta2 = (sigmoid(z2) - y) / x.shape[0]
    da1, dW2, db2 = ops.dense_backward(delta2, c2)
    _, dW1, db1 = ops.dense_backward(ops.relu_backward(da1, r1), c1)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
'''),
    # --- grad_check
    Correct(LESSON, "grad_check", "vectorised-flat", '''\
def grad_check(loss_fn, params, grads, h=1e-5):
    out = {}
    for name, p in params.items():
        flat = p.reshape(-1)            # a view: changing it changes params[name]
        g = np.asarray(grads[name], dtype=float).reshape(-1)
        errs = []
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + h
            up = loss_fn(params)
            flat[i] = old - h
            down = loss_fn(params)
            flat[i] = old
            n = (up - down) / (2 * h)
            errs.append(abs(g[i] - n) / max(abs(g[i]) + abs(n), 1e-8))
        out[name] = max(errs)
    return out
'''),
    Correct(LESSON, "grad_check", "numeric-array-then-max", '''\
def grad_check(loss_fn, params, grads, h=1e-5):
    result = {}
    for name in params:
        p = params[name]
        numeric = np.zeros_like(p)
        it = np.nditer(p, flags=["multi_index"])
        for _ in it:
            idx = it.multi_index
            keep = p[idx].copy()
            p[idx] = keep + h
            plus = loss_fn(params)
            p[idx] = keep - h
            minus = loss_fn(params)
            p[idx] = keep
            numeric[idx] = (plus - minus) / (2 * h)
        g = grads[name]
        rel = np.abs(g - numeric) / np.maximum(np.abs(g) + np.abs(numeric), 1e-8)
        result[name] = float(rel.max())
    return result
'''),
]
