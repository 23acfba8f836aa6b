"""Typical mistakes in lesson 05 (an MLP from scratch: layers with caches, gradient check)."""
from . import Mistake

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
