"""One MLP training step, backprop_lib against PyTorch CPU autograd, in the same process.

A step is forward + loss + backward (no parameter update) of a 784-256-128-10
ReLU network with softmax cross-entropy on a batch of 128, in float64 and in
float32. Both sides use the same number of threads: PyTorch is set to the
thread count of NumPy's BLAS (OpenBLAS), read from the library itself where
possible; ``--threads T`` sets both to T. Prints seconds per step (best of
several repeats, each the mean over many steps; ours and torch are timed in
alternation, so that load from elsewhere hits both alike) and the ratio
ours / torch; the target is a ratio of at most 1.3.

Run:  .venv/bin/python benchmarks/bench_mlp_vs_torch.py [--steps N] [--repeats R] [--threads T]
Needs the ``oracle`` extra (``pip install -e .[oracle]``) for PyTorch.
"""
from __future__ import annotations

import argparse
import ctypes
import glob
import os
import time
from typing import Callable

import numpy as np

from backprop_lib.nn import mlp

SIZES = (784, 256, 128, 10)
BATCH = 128


def _openblas_function(kind: str) -> Callable | None:
    """``get`` or ``set`` num_threads of the OpenBLAS that NumPy loaded, or ``None`` if not found."""
    names = {"get": ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_",
                     "openblas_get_num_threads"),
             "set": ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_",
                     "openblas_set_num_threads")}[kind]
    for path in glob.glob(os.path.join(os.path.dirname(np.__file__) + ".libs", "*openblas*")):
        lib = ctypes.CDLL(path)  # already loaded by NumPy: this returns the same library
        for name in names:
            fn = getattr(lib, name, None)
            if fn is not None:
                return fn
    return None


def numpy_blas_threads() -> int:
    """Threads NumPy's OpenBLAS uses, asked of the library; else from the environment or CPU count."""
    get = _openblas_function("get")
    if get is not None:
        get.restype = ctypes.c_int
        return int(get())
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return os.cpu_count() or 1


def set_numpy_blas_threads(n: int) -> None:
    """Ask NumPy's OpenBLAS to use ``n`` threads (a no-op where the library is not found)."""
    set_ = _openblas_function("set")
    if set_ is not None:
        set_.argtypes = [ctypes.c_int]
        set_(n)


def seconds_per_step(ours: Callable[[], object], theirs: Callable[[], object],
                     steps: int, repeats: int) -> tuple[float, float]:
    """Seconds per step of ``ours`` and ``theirs``: best over ``repeats`` of the mean of ``steps`` calls.

    The two are timed in alternation (ours, theirs, ours, ...), so that a
    burst of load from elsewhere on the machine hits both alike.
    """
    for _ in range(5):
        ours()
        theirs()
    best = [float("inf"), float("inf")]
    for _ in range(repeats):
        for i, step in enumerate((ours, theirs)):
            start = time.perf_counter()
            for _ in range(steps):
                step()
            best[i] = min(best[i], (time.perf_counter() - start) / steps)
    return best[0], best[1]


def make_steps(dtype: type, torch) -> tuple[Callable[[], object], Callable[[], object]]:
    """The two step functions, ours and torch's, on the same data and initial weights."""
    rng = np.random.default_rng(0)
    params = mlp.init_params(SIZES, rng, scheme="he", dtype=dtype)
    x = rng.normal(size=(BATCH, SIZES[0])).astype(dtype)
    y = rng.integers(0, SIZES[-1], size=BATCH)

    def ours() -> object:
        return mlp.loss_and_grads(params, x, y, "softmax_cross_entropy")

    tparams = [(torch.tensor(p["W"], requires_grad=True), torch.tensor(p["b"], requires_grad=True))
               for p in params]
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)

    def theirs() -> object:
        a = tx
        for i, (W, b) in enumerate(tparams):
            W.grad = b.grad = None
            a = a @ W + b
            if i < len(tparams) - 1:
                a = torch.relu(a)
        loss = torch.nn.functional.cross_entropy(a, ty)
        loss.backward()
        return loss

    return ours, theirs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100, help="steps per repeat (default 100)")
    parser.add_argument("--repeats", type=int, default=10, help="repeats; the best is kept (default 10)")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for both NumPy's BLAS and PyTorch (default: NumPy's own count)")
    args = parser.parse_args()

    import torch  # imported late so that --help works without it

    if args.threads is not None:
        set_numpy_blas_threads(args.threads)
    threads = numpy_blas_threads()
    torch.set_num_threads(threads)
    print(f"MLP step {'-'.join(map(str, SIZES))}, batch {BATCH}, ReLU, softmax cross-entropy; "
          f"forward + backward, no update")
    print(f"numpy {np.__version__} (OpenBLAS threads: {threads}), torch {torch.__version__} "
          f"(threads: {torch.get_num_threads()})")
    print(f"{'dtype':<8} {'ours s/step':>12} {'torch s/step':>13} {'ours/torch':>11}")
    for dtype in (np.float64, np.float32):
        ours, theirs = make_steps(dtype, torch)
        t_ours, t_torch = seconds_per_step(ours, theirs, args.steps, args.repeats)
        print(f"{np.dtype(dtype).name:<8} {t_ours:>12.2e} {t_torch:>13.2e} {t_ours / t_torch:>11.2f}")


if __name__ == "__main__":
    main()
