"""Questions a user of ``backprop_lib.checking.gradcheck`` would ask, answered on random small MLPs.

Each test builds a tiny two-layer network with NumPy (``x (m, n_in) -> W1, b1
-> activation -> W2, b2 -> y_hat (m, n_out)``, mean squared error) from a
seed drawn by hypothesis, so any failure is replayed exactly. Tests whose
claim holds only with high probability run with ``derandomize=True`` (fixed
examples, so they cannot flake); the others hold for every example.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from backprop_lib.checking import gradcheck as gc

FAST = settings(max_examples=40, deadline=None)
FIXED = settings(max_examples=40, deadline=None, derandomize=True)

ACTIVATIONS: dict[str, tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray, np.ndarray], np.ndarray]]] = {
    # name: (f(z), f'(z) given z and a = f(z))
    "tanh": (np.tanh, lambda z, a: 1.0 - a ** 2),
    "sigmoid": (lambda z: 1.0 / (1.0 + np.exp(-z)), lambda z, a: a * (1.0 - a)),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z, a: (z > 0).astype(np.float64)),
}


@dataclass
class Net:
    """A two-layer MLP with its data: ``loss(params)`` and the true ``grads(params)``."""

    params: dict[str, np.ndarray]
    x: np.ndarray  # (m, n_in)
    y: np.ndarray  # (m, n_out)
    act: str

    def forward(self, p: gc.Params) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(z (m, n_hid), a (m, n_hid), y_hat (m, n_out))``."""
        f, _ = ACTIVATIONS[self.act]
        z = self.x @ p["W1"] + p["b1"]
        a = f(z)
        return z, a, a @ p["W2"] + p["b2"]

    def loss(self, p: gc.Params) -> float:
        """Mean over the batch of ``0.5 * |y_hat - y|**2``."""
        y_hat = self.forward(p)[2]
        return float(0.5 * np.sum((y_hat - self.y) ** 2) / len(self.x))

    def grads(self, p: gc.Params | None = None) -> dict[str, np.ndarray]:
        """Backprop by hand: the gradients of :meth:`loss`, shapes as the params."""
        p = self.params if p is None else p
        _, fprime = ACTIVATIONS[self.act]
        z, a, y_hat = self.forward(p)
        d_out = (y_hat - self.y) / len(self.x)        # (m, n_out)
        dz = (d_out @ p["W2"].T) * fprime(z, a)       # (m, n_hid)
        return {"W1": self.x.T @ dz, "b1": dz.sum(axis=0), "W2": a.T @ d_out, "b2": d_out.sum(axis=0)}

    @property
    def size(self) -> int:
        return sum(v.size for v in self.params.values())


def make_net(seed: int, act: str, n_in: int, n_hid: int, n_out: int, m: int, scale: float = 1.0) -> Net:
    rng = np.random.default_rng(seed)
    params = {"W1": rng.normal(size=(n_in, n_hid)) * scale, "b1": rng.normal(size=n_hid) * scale,
              "W2": rng.normal(size=(n_hid, n_out)) * scale, "b2": rng.normal(size=n_out) * scale}
    return Net(params, rng.normal(size=(m, n_in)), rng.normal(size=(m, n_out)), act)


dims = st.integers(1, 4)
seeds = st.integers(0, 2 ** 32 - 1)


@st.composite
def nets(draw: st.DrawFn, acts: tuple[str, ...] = ("tanh", "sigmoid", "relu")) -> Net:
    """Random nets of at most 40 parameters, weights of scale 0.3 to 3."""
    return make_net(draw(seeds), draw(st.sampled_from(acts)), draw(dims), draw(dims), draw(dims),
                    draw(st.integers(1, 6)), draw(st.floats(0.3, 3.0)))


smooth_nets = nets(("tanh", "sigmoid"))


def with_entry_changed(grads: dict[str, np.ndarray], name: str, idx: tuple[int, ...],
                       factor: float) -> dict[str, np.ndarray]:
    wrong = {k: v.copy() for k, v in grads.items()}
    wrong[name][idx] *= factor
    return wrong


def largest_entry(grads: dict[str, np.ndarray]) -> tuple[str, tuple[int, ...]]:
    name = max(grads, key=lambda k: np.abs(grads[k]).max())
    return name, tuple(int(i) for i in np.unravel_index(np.argmax(np.abs(grads[name])), grads[name].shape))


# --- a correct gradient passes ------------------------------------------------

@FAST
@given(net=nets(), seed=seeds)
def test_does_a_correct_mlp_gradient_pass_all_three_checks(net: Net, seed: int) -> None:
    """It never fails; it passes unless the loss is so large that its round-off hides tiny entries.

    (A random ReLU network can have a loss of thousands: then a central
    difference cannot tell an entry of 1e-9 from 0 to within 1e-8, and the
    check says so instead of passing.)
    """
    grads = net.grads()
    full = gc.check_gradients(net.loss, net.params, grads)
    sampled = gc.check_sampled(net.loss, net.params, grads, 3, np.random.default_rng(seed))
    direction = gc.check_direction(net.loss, net.params, grads, np.random.default_rng(seed))
    for report in (full, sampled):
        noise = max(p.noise for p in report.params.values())
        assert report.passed or report.verdict == "uncertain" and noise > gc.ATOL / 2, str(report)
    assert direction.passed or direction.status == "uncertain" and direction.noise > gc.ATOL / 2, str(direction)


@FAST
@given(net=smooth_nets, seed=seeds)
def test_does_a_smooth_network_ever_report_a_kink(net: Net, seed: int) -> None:
    grads = net.grads()
    assert gc.check_gradients(net.loss, net.params, grads).kinks == []
    assert gc.check_direction(net.loss, net.params, grads, seed).status == "pass"


@FAST
@given(net=nets())
def test_is_a_correct_gradient_well_inside_the_pass_mark(net: Net) -> None:
    # Typically 1e-10 to 1e-8 (entries near 0 compared against the round-off floor
    # reach ~1e-6); a correct gradient should not pass by a whisker.
    assert gc.check_gradients(net.loss, net.params, net.grads()).max_rel_error < gc.NUMERIC_TOL / 3


# --- a wrong gradient fails -----------------------------------------------------

@FAST
@given(net=smooth_nets, seed=seeds)
def test_does_the_direction_check_catch_one_entry_off_by_a_tenth_of_a_percent(net: Net, seed: int) -> None:
    # The largest entry, 0.1% off: with at most 40 parameters this is above the
    # single-entry bound of the check_direction docstring (4 * tol * sum|g| <=
    # 1.6e-4 * max|g|) for every draw of the direction, so this cannot flake.
    grads = net.grads()
    name, idx = largest_entry(grads)
    assume(abs(grads[name][idx]) > 1e-4 * net.loss(net.params))  # well above round-off of the loss
    report = gc.check_direction(net.loss, net.params, with_entry_changed(grads, name, idx, 1.001), seed)
    assert report.status == "fail", str(report)


@FAST
@given(net=smooth_nets, seed=seeds)
def test_does_the_full_check_point_at_the_one_wrong_entry(net: Net, seed: int) -> None:
    grads = net.grads()
    rng = np.random.default_rng(seed)
    name = str(rng.choice(sorted(grads)))
    idx = tuple(int(i) for i in np.unravel_index(np.argmax(np.abs(grads[name])), grads[name].shape))
    assume(abs(grads[name][idx]) > 1e-4 * net.loss(net.params))
    report = gc.check_gradients(net.loss, net.params, with_entry_changed(grads, name, idx, 1.001))
    assert not report.passed and report.failed == [name]
    assert report.params[name].failed == (idx,) and report.params[name].worst == idx
    assert report.kinks == []


@FAST
@given(net=smooth_nets, seed=seeds, k=st.integers(1, 3))
def test_does_a_sampled_check_catch_a_gradient_that_is_twice_too_big(net: Net, seed: int, k: int) -> None:
    # Every entry of dW2 is wrong, so any k entries show it.
    grads = net.grads()
    assume(np.all(np.abs(grads["W2"]) > 1e-4 * net.loss(net.params)))
    wrong = dict(grads, W2=2.0 * grads["W2"])
    report = gc.check_sampled(net.loss, net.params, wrong, k, seed)
    assert report.failed == ["W2"], str(report)


@FIXED
@given(net=smooth_nets, seed=seeds, mistake=st.sampled_from(["dW1 x2", "db2 sign", "no act'", "dW2 / m"]))
def test_does_the_direction_check_catch_typical_wrong_formulas(net: Net, seed: int, mistake: str) -> None:
    grads = net.grads()
    wrong = dict(grads)
    if mistake == "dW1 x2":
        wrong["W1"] = 2.0 * grads["W1"]
    elif mistake == "db2 sign":
        wrong["b2"] = -grads["b2"]
    elif mistake == "no act'":
        z, a, y_hat = net.forward(net.params)
        dz = ((y_hat - net.y) / len(net.x)) @ net.params["W2"].T
        wrong["W1"], wrong["b1"] = net.x.T @ dz, dz.sum(axis=0)
    else:
        wrong["W2"] = grads["W2"] / len(net.x)
    error = np.sqrt(sum(np.sum((wrong[k] - grads[k]) ** 2) for k in grads))
    assume(error > 1e-3 * np.sqrt(sum(np.sum(g ** 2) for g in grads.values())))  # visibly wrong
    assert gc.check_direction(net.loss, net.params, wrong, seed).status == "fail"


def test_does_a_wrong_shape_fail_with_a_hint_rather_than_an_exception() -> None:
    net = make_net(0, "tanh", 3, 4, 2, 5)
    grads = net.grads()
    report = gc.check_gradients(net.loss, net.params, dict(grads, W1=grads["W1"].T))
    assert report.failed == ["W1"]
    assert "transposed" in report.params["W1"].hint and "transposed" in str(report)
    direction = gc.check_direction(net.loss, net.params, dict(grads, W1=grads["W1"].T), 0)
    assert direction.status == "fail" and "transposed" in str(direction)


def test_does_a_missing_or_nan_gradient_fail() -> None:
    net = make_net(1, "tanh", 2, 3, 1, 4)
    grads = net.grads()
    missing = {k: v for k, v in grads.items() if k != "b1"}
    report = gc.check_gradients(net.loss, net.params, missing)
    assert report.failed == ["b1"] and "no gradient for b1" in str(report)
    nan = dict(grads, W2=np.where(np.arange(3)[:, None] == 1, np.nan, grads["W2"]))
    assert gc.check_gradients(net.loss, net.params, nan).failed == ["W2"]
    assert gc.check_sampled(net.loss, net.params, nan, 3, 0).failed == ["W2"]
    assert gc.check_direction(net.loss, net.params, nan, 0).status == "fail"


def test_does_the_full_check_name_the_likely_mistake() -> None:
    net = make_net(2, "tanh", 3, 4, 2, 5)
    grads = net.grads()
    report = gc.check_gradients(net.loss, net.params, dict(grads, b2=-grads["b2"]))
    assert "sign" in report.params["b2"].hint


# --- kinks --------------------------------------------------------------------------

def relu_net_at_a_kink(seed: int, n_in: int, n_hid: int, m: int) -> tuple[Net, int]:
    """A ReLU net whose hidden unit ``j`` has pre-activation exactly 0 on one example.

    That example has the largest ``x @ W1[:, j]``; ``b1[j]`` cancels it, so the
    unit is at its kink there and off (by a margin) on the other examples.
    ``W2[j] = 1`` and the targets sit 1 below the output, so the slope of the
    loss changes by ``n_out / m`` across the kink of ``b1[j]``.
    """
    net = make_net(seed, "relu", n_in, n_hid, 2, m)
    j = int(np.random.default_rng(seed).integers(n_hid))
    s = (net.x @ net.params["W1"])[:, j]
    net.params["b1"][j] = -s.max()
    net.params["W2"][j] = 1.0
    net.y = net.forward(net.params)[2] - 1.0
    second = np.sort(s)[-2] if m > 1 else -np.inf
    assume(s.max() - second > 1e-3)  # the other examples stay off within any step
    return net, j


@FAST
@given(seed=seeds, n_in=dims, n_hid=dims, m=st.integers(1, 5))
def test_is_a_relu_zero_crossing_reported_as_a_kink_rather_than_a_failure(seed: int, n_in: int, n_hid: int,
                                                                          m: int) -> None:
    net, j = relu_net_at_a_kink(seed, n_in, n_hid, m)
    grads = net.grads()
    for report in (gc.check_gradients(net.loss, net.params, grads),
                   gc.check_sampled(net.loss, net.params, grads, 100, seed)):
        assert report.passed, str(report)
        assert ("b1", (j,)) in report.kinks
        assert "at a kink, skipped" in str(report)
    along_b = {k: np.zeros_like(v) for k, v in net.params.items()}
    along_b["b1"][j] = 1.0
    assert gc.check_direction(net.loss, net.params, grads, seed, direction=along_b).status == "kink"
    assert gc.check_direction(net.loss, net.params, grads, seed).passed


@FAST
@given(seed=seeds, n_in=dims, n_hid=dims, m=st.integers(1, 5))
def test_does_a_kink_excuse_a_gradient_that_is_far_off(seed: int, n_in: int, n_hid: int, m: int) -> None:
    # At the kink the central difference is jump / 2 = n_out / (2m) from either
    # slope; a gradient 3 * n_out / m away is wrong whichever side you take.
    net, j = relu_net_at_a_kink(seed, n_in, n_hid, m)
    wrong = net.grads()
    wrong["b1"][j] = 3.0 * 2 / m
    report = gc.check_gradients(net.loss, net.params, wrong)
    assert report.failed == ["b1"] and ("b1", (j,)) not in report.kinks
    along_b = {k: np.zeros_like(v) for k, v in net.params.items()}
    along_b["b1"][j] = 1.0
    assert gc.check_direction(net.loss, net.params, wrong, seed, direction=along_b).status == "fail"


def test_is_abs_at_zero_a_kink_too() -> None:
    # d|w|/dw taken as +1 at 0 (any value in [-1, 1] is a subgradient); the central difference says 0.
    params = {"w": np.array([0.0, 1.0, -2.0])}
    loss = lambda p: float(np.abs(p["w"]).sum())  # noqa: E731
    report = gc.check_gradients(loss, params, {"w": np.where(params["w"] >= 0, 1.0, -1.0)})
    assert report.passed and report.kinks == [("w", (0,))]
    # sign(0) = 0 happens to agree with the central difference: nothing to skip.
    assert gc.check_gradients(loss, params, {"w": np.sign(params["w"])}).kinks == []


# --- cost, randomness, bookkeeping ------------------------------------------------------

class Counting:
    """A loss that counts its calls."""

    def __init__(self, loss: Callable[[gc.Params], float]) -> None:
        self.loss, self.calls = loss, 0

    def __call__(self, p: gc.Params) -> float:
        self.calls += 1
        return self.loss(p)


def test_how_many_forward_passes_does_each_check_cost() -> None:
    net = make_net(3, "tanh", 4, 4, 3, 5)
    grads = net.grads()
    full, sampled, direction = Counting(net.loss), Counting(net.loss), Counting(net.loss)
    gc.check_gradients(full, net.params, grads)
    gc.check_sampled(sampled, net.params, grads, 2, 0)
    gc.check_direction(direction, net.params, grads, 0)
    assert full.calls == 1 + 2 * net.size
    assert sampled.calls == 1 + 2 * 2 * len(net.params)
    assert direction.calls == 2


def test_does_the_same_seed_check_the_same_entries() -> None:
    net = make_net(4, "tanh", 4, 4, 3, 5)
    wrong = {k: 2.0 * v for k, v in net.grads().items()}
    a = gc.check_sampled(net.loss, net.params, wrong, 3, np.random.default_rng(7))
    b = gc.check_sampled(net.loss, net.params, wrong, 3, 7)
    assert a.params["W1"].failed == b.params["W1"].failed and len(a.params["W1"].failed) == 3
    d1 = gc.random_direction(net.params, 5)
    d2 = gc.random_direction(net.params, np.random.default_rng(5))
    assert all(np.array_equal(d1[k], d2[k]) for k in d1)
    assert np.isclose(sum(np.sum(v ** 2) for v in d1.values()), 1.0)
    assert all(np.all((np.abs(v) * np.sqrt(net.size) >= 0.49) & (np.abs(v) * np.sqrt(net.size) <= 2.0))
               for v in d1.values())


@FAST
@given(net=nets())
def test_are_the_parameters_restored_bit_for_bit(net: Net) -> None:
    before = {k: v.copy() for k, v in net.params.items()}
    wrong = {k: 2.0 * v for k, v in net.grads().items()}
    gc.check_gradients(net.loss, net.params, wrong)
    gc.check_sampled(net.loss, net.params, wrong, 2, 0)
    gc.check_direction(net.loss, net.params, wrong, 0)
    assert all(np.array_equal(before[k], net.params[k]) for k in before)


def test_are_the_parameters_restored_when_the_loss_raises() -> None:
    net = make_net(5, "tanh", 2, 2, 1, 3)
    before = {k: v.copy() for k, v in net.params.items()}
    calls = 0

    def flaky(p: gc.Params) -> float:
        nonlocal calls
        calls += 1
        if calls == 4:
            raise RuntimeError("boom")
        return net.loss(p)

    for check in (lambda: gc.check_gradients(flaky, net.params, net.grads()),
                  lambda: gc.check_direction(flaky, net.params, net.grads(), 0)):
        calls = 2
        with pytest.raises(RuntimeError):
            check()
        assert all(np.array_equal(before[k], net.params[k]) for k in before)


def test_does_a_loss_that_reads_the_weights_through_a_closure_work() -> None:
    net = make_net(6, "sigmoid", 3, 3, 2, 4)
    report = gc.check_gradients(lambda _: net.loss(net.params), net.params, net.grads())
    assert report.passed and report.params["W1"].checked == 9


def test_does_a_transposed_view_as_a_parameter_work() -> None:
    # A non-contiguous array: reshape(-1) would copy it and the loss would never see a perturbation.
    net = make_net(7, "tanh", 3, 4, 2, 5)
    w1_t = np.ascontiguousarray(net.params["W1"].T)
    net.params["W1"] = w1_t.T
    assert not net.params["W1"].flags.c_contiguous
    assert gc.check_gradients(net.loss, net.params, net.grads()).passed
    x = np.arange(6.0).reshape(2, 3).T
    assert np.allclose(gc.numerical_gradient(lambda a: float(np.sum(a ** 2)), x), 2 * x)


def test_are_float32_parameters_refused_with_a_reason() -> None:
    with pytest.raises(TypeError, match="float64"):
        gc.check_gradients(lambda p: 0.0, {"w": np.zeros(3, dtype=np.float32)}, {"w": np.zeros(3)})


def test_what_does_a_report_look_like() -> None:
    net = make_net(8, "tanh", 2, 3, 1, 4)
    grads = net.grads()
    good = str(gc.check_gradients(net.loss, net.params, grads))
    assert good.startswith("gradient check (full central differences, pass mark 1e-05): pass")
    assert "W1 (2, 3): 6 entries, max relative error" in good
    bad = str(gc.check_gradients(net.loss, net.params, dict(grads, b2=2 * grads["b2"])))
    assert "b2 (1,): 1 entry" in bad and "FAIL" in bad
    # one entry twice as large is no evidence of "a 2 too many": the report says what differs, plainly
    assert "twice" not in bad and "worst at (0,): yours " in bad and "central difference" in bad
    bad = str(gc.check_gradients(net.loss, net.params, dict(grads, W1=2 * grads["W1"])))
    assert "W1 (2, 3): 6 entries" in bad and "twice" in bad  # six entries sharing one ratio: named
    assert "pass" in str(gc.check_direction(net.loss, net.params, grads, 0))


# ------------------------------------------------------------------ never a pass the numbers cannot support
def quadratic_with_offset(offset: float):
    return lambda p: offset + float(np.sum(p["x"] ** 2))


@pytest.mark.parametrize("wrong", [lambda x: 2 * x * 1.01, lambda x: 2 * x + 0.05], ids=["1% off", "+0.05"])
def test_is_a_wrong_gradient_of_a_loss_near_1e8_caught_where_round_off_allows(wrong) -> None:
    """L = 1e8 + sum(x^2): a central difference carries about 1e-3 of round-off, so a 1 % error still shows."""
    x = np.random.default_rng(0).normal(0, 1, 6) + np.sign(np.random.default_rng(1).normal(size=6))
    params = {"x": x}
    report = gc.check_gradients(quadratic_with_offset(1e8), params, {"x": wrong(x)})
    assert report.verdict == "fail", str(report)
    correct = gc.check_gradients(quadratic_with_offset(1e8), params, {"x": 2 * x})
    assert correct.verdict in ("pass", "uncertain") and "fail" not in str(correct).lower().replace("if", "")


def test_does_a_huge_loss_make_the_check_say_it_cannot_tell_instead_of_passing() -> None:
    """sum(exp(x)) with x = (40, 0): the round-off of exp(40) swamps the slope 1 of the second entry."""
    params = {"x": np.array([40.0, 0.0])}
    loss = lambda p: float(np.sum(np.exp(p["x"])))  # noqa: E731
    wrong = {"x": np.array([np.exp(40.0), 1e6])}
    report = gc.check_gradients(loss, params, wrong)
    assert not report.passed and report.verdict in ("fail", "uncertain")
    assert "smaller loss" in str(report) or report.verdict == "fail"


@pytest.mark.parametrize("change", [lambda g: g * np.r_[1.0, np.zeros(4)], lambda g: g * np.r_[1.0, np.full(4, 1e6)]],
                         ids=["small entries zeroed", "small entries x1e6"])
def test_near_overflow_small_entries_are_never_passed(change) -> None:
    x = np.array([700.0, 0.1, -0.3, 0.5, 1.0])
    loss = lambda p: float(np.sum(np.exp(p["x"])))  # noqa: E731
    report = gc.check_gradients(loss, {"x": x.copy()}, {"x": change(np.exp(x))})
    assert not report.passed, str(report)


def test_on_a_million_entries_a_relative_error_of_1e4_is_never_passed() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(0, 1, 10**6)
    loss = lambda p: float(np.sum(p["x"] ** 2))  # noqa: E731
    wrong = {"x": 2 * x * (1 + 1e-4)}
    assert not gc.check_sampled(loss, {"x": x}, wrong, k=8, rng=0).passed
    assert not gc.check_direction(loss, {"x": x}, wrong, 0).passed
    assert gc.check_sampled(loss, {"x": x}, {"x": 2 * x}, k=8, rng=0).verdict != "fail"


@pytest.mark.parametrize("f, at, slope", [
    (lambda x: np.maximum(x, 0.0), 0.0, -0.4), (lambda x: np.maximum(x, 0.0), 0.0, 1.4),
    (np.abs, 0.0, 1.9)], ids=["relu'(0) = -0.4", "relu'(0) = 1.4", "|x|'(0) = 1.9"])
def test_at_a_kink_a_slope_outside_the_one_sided_slopes_fails(f, at, slope) -> None:
    loss = lambda p: float(np.sum(f(p["x"])))  # noqa: E731
    assert gc.check_gradients(loss, {"x": np.array([at])}, {"x": np.array([slope])}).verdict == "fail"


@pytest.mark.parametrize("slope", [0.0, 0.3, 1.0])
def test_at_a_kink_any_slope_between_the_one_sided_ones_is_accepted(slope) -> None:
    loss = lambda p: float(np.sum(np.maximum(p["x"], 0.0)))  # noqa: E731
    report = gc.check_gradients(loss, {"x": np.array([0.0, 0.0])}, {"x": np.array([slope, 1.0 - slope])})
    assert report.passed and report.kinks, str(report)


def test_a_max_tie_gradient_of_1_1_fails_though_each_entry_alone_could_pass() -> None:
    loss = lambda p: float(np.max(p["x"]))  # noqa: E731
    wrong = gc.check_gradients(loss, {"x": np.array([1.0, 1.0])}, {"x": np.array([1.0, 1.0])})
    assert wrong.verdict == "fail" and "at the kinks" in str(wrong)
    right = gc.check_gradients(loss, {"x": np.array([1.0, 1.0])}, {"x": np.array([0.5, 0.5])})
    assert right.passed, str(right)
