"""One MLP training step, backprop_lib against PyTorch CPU autograd, in the same process.

A step is forward + loss + backward (no parameter update) of a 784-256-128-10
ReLU network with softmax cross-entropy on a batch of 128, in float64 and in
float32. Both sides use the same number of threads: PyTorch is set to the
thread count of NumPy's BLAS (OpenBLAS), read from the library itself where
possible. Prints seconds per step (best of several repeats, each the mean over
many steps; ours and torch timed in alternation) and the ratio ours / torch; the target is a ratio of at most 1.3.

Run:  .venv/bin/python benchmarks/bench_mlp_vs_torch.py [--steps N] [--repeats R]
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

from backprop_lib import mlp

SIZES = (784, 256, 128, 10)
BATCH = 128


def numpy_blas_threads() -> int:
    """Threads NumPy's OpenBLAS uses, asked of the library; else from the environment or CPU count."""
    libs = glob.glob(os.path.join(os.path.dirname(np.__file__) + ".libs", "*openblas*"))
    for path in libs:
        lib = ctypes.CDLL(path)  # already loaded by NumPy: this returns the same library
        for name in ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_",
                     "openblas_get_num_threads"):
            fn = getattr(lib, name, None)
            if fn is not None:
                fn.restype = ctypes.c_int
                return int(fn())
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return os.cpu_count() or 1


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
    args = parser.parse_args()

    import torch  # imported late so that --help works without it

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
