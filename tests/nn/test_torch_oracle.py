"""Does the MLP agree with PyTorch's autograd, an independent implementation, to 1e-10?

Random networks of depth 1 to 4, each hidden activation (sigmoid, tanh, ReLU,
leaky ReLU) and each loss, in float64: the output, the loss and every
gradient must match PyTorch CPU to a relative error of 1e-10.

PyTorch is an optional extra (``pip install -e .[oracle]``, which pins
torch==2.13.0). Without it these tests are skipped, except on CI
(``CI=true``), where a missing oracle is a failure: a green CI run must mean
the oracle was consulted.
"""
from __future__ import annotations

import os
import sys
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from backprop_lib.checking import gradcheck
from backprop_lib.nn import mlp
from backprop_lib.nn.losses import as_loss

ORACLE_TOL = 1e-10
INSTALL = "install the oracle extra: pip install -e .[oracle]  (it pins torch==2.13.0, the CPU build)"


def import_torch() -> ModuleType:
    """PyTorch, or a skip; on CI (``CI=true``) a missing PyTorch fails the test instead.

    Called at the top of each test (not in a fixture), so that on CI the
    verdict is a test failure rather than a setup error.
    """
    if os.environ.get("CI", "").lower() == "true":
        try:
            import torch
        except ImportError:
            pytest.fail(f"CI=true but PyTorch is not installed, so the oracle tests cannot run; {INSTALL}",
                        pytrace=False)
        return torch
    return pytest.importorskip("torch", reason=f"PyTorch is not installed; {INSTALL}")


def torch_activation(torch: ModuleType, name: str) -> Any:
    F = torch.nn.functional
    return {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
            "leaky_relu": F.leaky_relu, "identity": lambda t: t}[name]   # leaky slope 0.01 on both sides


def torch_loss(torch: ModuleType, name: str, out: Any, y: Any) -> Any:
    """Our convention (sum over outputs, mean over rows) in PyTorch's terms."""
    F = torch.nn.functional
    m = out.shape[0]
    if name == "mse":
        return F.mse_loss(out, y, reduction="sum") / m
    if name == "binary_cross_entropy":
        return F.binary_cross_entropy(out, y, reduction="sum") / m
    if name == "binary_cross_entropy_with_logits":
        return F.binary_cross_entropy_with_logits(out, y, reduction="sum") / m
    return F.cross_entropy(out, y)    # softmax_cross_entropy: already a mean over rows


#: Each loss with its output activation and a maker of targets (m rows, n outputs).
LOSSES = {
    "mse": ("identity", lambda rng, m, n: rng.normal(size=(m, n))),
    "binary_cross_entropy": ("sigmoid", lambda rng, m, n: rng.integers(0, 2, (m, n)).astype(float)),
    "binary_cross_entropy_with_logits": ("identity", lambda rng, m, n: rng.uniform(size=(m, n))),
    "softmax_cross_entropy": ("identity", lambda rng, m, n: rng.integers(0, n, m)),
}


def run_both(torch: ModuleType, depth: int, hidden: str, loss: str, seed: int,
             dtype: type = np.float64) -> tuple[tuple, tuple]:
    """``(y_hat, L, grads)`` from backprop_lib and from PyTorch, for one random network."""
    rng = np.random.default_rng(seed)
    sizes = list(rng.integers(2, 7, size=depth + 1))
    m = int(rng.integers(1, 9))
    params = mlp.init_params(sizes, rng, scheme="xavier", dtype=dtype)
    x = rng.normal(size=(m, sizes[0])).astype(dtype)
    output, make_y = LOSSES[loss]
    y = make_y(rng, m, sizes[-1])
    activations = [hidden] * (depth - 1) + [output]

    y_hat, caches = mlp.forward(params, x, activations)
    value, dout = as_loss(loss)(y_hat, y)
    grads = mlp.backward(dout, caches)
    ours = (y_hat, value, [(g["W"], g["b"]) for g in grads])

    tparams = [(torch.tensor(p["W"], requires_grad=True), torch.tensor(p["b"], requires_grad=True))
               for p in params]
    a = torch.from_numpy(x)
    for (W, b), name in zip(tparams, activations):
        a = torch_activation(torch, name)(a @ W + b)
    ty = torch.from_numpy(y) if loss == "softmax_cross_entropy" else torch.from_numpy(y.astype(dtype))
    tloss = torch_loss(torch, loss, a, ty)
    tloss.backward()
    theirs = (a.detach().numpy(), tloss.detach().item(), [(W.grad.numpy(), b.grad.numpy()) for W, b in tparams])
    return ours, theirs


#: Depth 1 has no hidden layer, so it is tried once; deeper networks with each hidden activation.
SHAPES = [(1, "none")] + [(depth, hidden) for depth in (2, 3, 4)
                          for hidden in ("sigmoid", "tanh", "relu", "leaky_relu")]


@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("depth, hidden", SHAPES)
def test_gradients_match_pytorch_autograd_in_float64(depth: int, hidden: str, loss: str) -> None:
    torch = import_torch()
    for seed in range(3):
        (y_hat, value, grads), (t_y_hat, t_value, t_grads) = run_both(torch, depth, hidden, loss, seed)
        assert gradcheck.max_rel_error(y_hat, t_y_hat) <= ORACLE_TOL
        assert gradcheck.max_rel_error(value, t_value) <= ORACLE_TOL
        for l, ((dW, db), (tW, tb)) in enumerate(zip(grads, t_grads)):
            assert gradcheck.max_rel_error(dW, tW) <= ORACLE_TOL, f"seed {seed}, layer {l}: dW differs"
            assert gradcheck.max_rel_error(db, tb) <= ORACLE_TOL, f"seed {seed}, layer {l}: db differs"


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_float32_gradients_match_pytorch_to_float32_precision(loss: str) -> None:
    torch = import_torch()
    (_, value, grads), (_, t_value, t_grads) = run_both(torch, 3, "tanh", loss, seed=0, dtype=np.float32)
    assert value == pytest.approx(t_value, rel=1e-5)
    for (dW, db), (tW, tb) in zip(grads, t_grads):
        assert dW.dtype == tW.dtype == np.float32
        np.testing.assert_allclose(dW, tW, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(db, tb, rtol=1e-4, atol=1e-6)


def test_a_missing_oracle_fails_on_ci_and_is_skipped_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)      # makes `import torch` raise ImportError
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"pip install -e \.\[oracle\]"):
        import_torch()
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match="oracle"):
        import_torch()
