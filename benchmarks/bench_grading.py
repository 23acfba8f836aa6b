"""Grading cost against a bare run of the same notebooks, serial and parallel, in one run.

Builds a class of N students (default 6) who each submit the given lessons
(default: every graded lesson) as the reference solution, so every notebook
runs to its end, then in one process:

1. **bare**: runs every notebook top to bottom with nbclient in a fresh plain
   ``python3`` kernel (kernel start included, no sandbox, no grader), one
   after the other, three times: with one BLAS thread, as the grading kernel
   runs (``autograder/sandbox.py``), the baseline of every ratio; and for
   reference, with the BLAS library's default threads, as a student's own
   kernel runs, and with one thread and the grader's kernel manager
   (:mod:`autograder.quick_kernel`: no fixed pauses at kernel start and stop,
   which nbclient's default manager makes, about 0.3 s a notebook);
2. **serial grading**: ``pipeline.grade(workers=1)`` into a fresh instructor
   folder (one nbgrader process autogrades every notebook and writes its
   feedback);
3. **parallel grading**: ``pipeline.grade(workers=W)`` into another.

For each it prints wall-clock seconds, CPU seconds and cores kept busy, per notebook, the
ceiling of the parallel speed-up (the cores there are over the cores the serial run kept busy), and the
ratios grading / bare (target at most 1.15) and serial / parallel (target at
least 1.9 on 2 cores), for the whole run and per notebook without the phases
a run pays once (collect, generate, export). CPU is the machine's busy time
(``/proc/stat``), so that sandboxed kernels, which run as another user in a
namespace of their own, count: run it on a machine doing nothing else (the
script prints the load average before it starts). Then where the serial
grading time goes: each phase of the run, each nbgrader command, and inside
autograde the per-notebook kernel start, cells, the grader's verification
and kernel stop (the ``timing:`` lines
:class:`autograder.preprocessors.ResilientExecute` logs). Last, a class of
100 students x 9 lessons extrapolated from the per-notebook figures.

    .venv/bin/python benchmarks/bench_grading.py [--students 6] [--workers 2] [--lessons 01_derivatives,...]
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder import demo, layout, pipeline, sandbox
from autograder.quick_kernel import QuickKernelManager


#: The phases a grading run pays once, whatever the size of the class.
FIXED_PHASES = ("collect", "generate", "export")


def build(out: Path, students: int, lessons: list[str]) -> list[Path]:
    """``students`` copies of the reference submission of each lesson; returns the notebooks written."""
    paths = []
    for lesson in lessons:
        nb = demo.submission(lesson, demo.solution_sources(lesson))
        for i in range(students):
            path = out / f"s{i:03d}" / lesson / layout.notebook_name(lesson)
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, path)
            paths.append(path)
    return paths


@dataclass
class Cost:
    wall: float
    cpu: float


def busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy since boot (``/proc/stat``: every process, every user)."""
    with open("/proc/stat") as fh:
        ticks = [int(v) for v in fh.readline().split()[1:]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")  # user .. steal; guest time is inside user


def measured(fn) -> tuple[Cost, object]:
    wall, cpu = time.perf_counter(), busy_seconds()
    out = fn()
    return Cost(time.perf_counter() - wall, busy_seconds() - cpu), out


def run_bare(paths: list[Path], work: Path, env: dict[str, str], quick: bool = False) -> None:
    """Each notebook in a fresh plain kernel, from a folder of its own (as a student's Run All); ``env`` for kernels.

    ``quick``: the kernels are managed as the grader's are
    (:class:`autograder.quick_kernel.QuickKernelManager`, without
    jupyter_client's fixed pauses at start and stop) instead of by
    jupyter_client's own manager, as nbclient has it.
    """
    from nbclient import NotebookClient

    manager = {"kernel_manager_class": QuickKernelManager} if quick else {}
    saved = dict(os.environ)
    os.environ.update(env)  # the kernels inherit it
    try:
        for i, path in enumerate(paths):
            cwd = work / str(i)
            cwd.mkdir(parents=True)
            nb = nbformat.read(path, as_version=4)
            NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                           resources={"metadata": {"path": str(cwd)}}, **manager).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def per_notebook_phases(instructor: Path) -> dict[str, float]:
    """Seconds summed over every notebook: kernel start, cells, verify, kernel stop (ResilientExecute's log)."""
    sums: dict[str, float] = {}
    for log in instructor.rglob("nbgrader.log"):
        for line in log.read_text(errors="replace").splitlines():
            if "timing: " in line:
                for name, value in re.findall(r"([a-z ]+) (\d+\.\d+)", line.split("timing: ", 1)[1]):
                    sums[name.strip()] = sums.get(name.strip(), 0.0) + float(value)
    return sums


def command_seconds(instructor: Path) -> dict[str, tuple[float, int]]:
    """``{nbgrader step: (seconds, commands)}`` from the logs' ``# took`` lines (the parallel workspaces' too)."""
    out: dict[str, tuple[float, int]] = {}
    for log in instructor.rglob("nbgrader.log"):
        for step, secs in re.findall(r"^\$ nbgrader (\S+).*?^# took (\d+\.\d+) s$", log.read_text(errors="replace"),
                                     flags=re.M | re.S):
            total, count = out.get(step, (0.0, 0))
            out[step] = (total + float(secs), count + 1)
    return out


def lost_points(run: pipeline.GradeRun) -> list[str]:
    return [f"{s.student} {s.lesson} {s.task}: {s.score:g} of {s.max_score:g}" for s in run.scores
            if s.score < s.max_score]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=6)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--lessons", default="", help="comma-separated lessons (default: every graded lesson)")
    args = parser.parse_args()
    lessons = args.lessons.split(",") if args.lessons else [l for l in layout.lessons() if demo.graded_tasks(l)]
    print(f"load average before the run: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"({os.cpu_count()} cores; CPU figures count the whole machine)")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = build(root / "subs", args.students, lessons)
        n = len(paths)
        print(f"class: {args.students} students x {len(lessons)} lessons = {n} notebooks")
        bare, _ = measured(lambda: run_bare(paths, root / "bare", sandbox.BLAS_THREADS))
        threaded, _ = measured(lambda: run_bare(paths, root / "bare-threads", {}))
        quick, _ = measured(lambda: run_bare(paths, root / "bare-quick", sandbox.BLAS_THREADS, quick=True))
        serial, a = measured(lambda: pipeline.grade(root / "subs", root / "serial", workers=1, progress=False))
        parallel, b = measured(lambda: pipeline.grade(root / "subs", root / "parallel", workers=args.workers,
                                                      progress=False))
        print(f"\n{'':<52}{'wall s':>9}{'per nb':>9}{'CPU s':>9}{'per nb':>9}{'cores':>7}{'wall/bare':>11}"
              f"{'CPU/bare':>10}")
        for name, c in (("bare, 1 BLAS thread (the baseline)", bare), ("bare, default BLAS threads", threaded),
                        ("bare, 1 BLAS thread, the grader's kernel manager", quick),
                        ("grading, serial (workers=1)", serial),
                        (f"grading, parallel ({args.workers} workers)", parallel)):
            print(f"{name:<52}{c.wall:9.1f}{c.wall / n:9.2f}{c.cpu:9.1f}{c.cpu / n:9.2f}{c.cpu / c.wall:7.2f}"
                  f"{c.wall / bare.wall:11.2f}{c.cpu / bare.cpu:10.2f}")
        print(f"\nwhole run: grading / bare, serial {serial.wall / bare.wall:.2f}x wall, {serial.cpu / bare.cpu:.2f}x "
              f"CPU (target <= 1.15x); parallel speed-up (serial / parallel wall) {serial.wall / parallel.wall:.2f}x "
              f"(target >= 1.9x)")
        cores = os.cpu_count() or 1
        print(f"ceiling: the serial run kept {serial.cpu / serial.wall:.2f} cores busy on average (the next kernel "
              f"starts beside the current notebook), so on {cores} cores a parallel run doing the same work can be at "
              f"most {cores / (serial.cpu / serial.wall):.2f}x faster; it did {parallel.cpu / serial.cpu:.2f}x the "
              f"serial run's work, keeping {parallel.cpu / parallel.wall:.2f} cores busy")
        print(f"grading / bare with the grader's kernel manager (no start and stop pauses): serial "
              f"{serial.wall / quick.wall:.2f}x wall, {serial.cpu / quick.cpu:.2f}x CPU")
        same = [(s.student, s.lesson, s.task, s.score) for s in a.scores] == \
               [(s.student, s.lesson, s.task, s.score) for s in b.scores]
        print(f"identical grades: {same}; points lost by a reference solution: "
              f"{lost_points(a) + lost_points(b) or 'none'}")
        for name, run in (("serial", a), ("parallel", b)):
            print(f"phases ({name}): " + ", ".join(f"{k} {v:.1f} s" for k, v in run.timings.items()))
        commands = command_seconds(root / "serial")
        print("nbgrader commands (serial run): " + ", ".join(
            f"{step} {secs:.1f} s in {count}" for step, (secs, count) in sorted(commands.items())))
        inside = per_notebook_phases(root / "serial")
        print("inside the serial autograde, summed over the notebooks: " +
              ", ".join(f"{k} {v:.1f} s ({v / n:.2f} per nb)" for k, v in inside.items()))
        waited = inside.pop("waiting for the kernel", 0.0)  # a part of verify
        rest = commands.get("autograde", (0.0, 0))[0] - sum(inside.values())
        print(f"  of verify, waiting for the kernel's answers {waited / n:.2f} s per nb; nbgrader's own work "
              f"(start-up, reading, sanitizing, gradebook) {rest / n:.2f} s per nb; feedback pages "
              f"{commands.get('generate_feedback', (0.0, 0))[0] / n:.2f} s per nb")
        # per run, whatever the class size: collect, generate, export
        fixed = {name: sum(v for k, v in run.timings.items() if k in FIXED_PHASES) for name, run in
                 (("serial", a), ("parallel", b))}
        per_nb = {"bare": bare.wall / n, "serial": (serial.wall - fixed["serial"]) / n,
                  "parallel": (parallel.wall - fixed["parallel"]) / n}
        print(f"\nper notebook, without the per-run phases ({', '.join(FIXED_PHASES)}: serial "
              f"{fixed['serial']:.1f} s, parallel {fixed['parallel']:.1f} s): bare {per_nb['bare']:.2f} s, serial "
              f"{per_nb['serial']:.2f} s ({per_nb['serial'] / per_nb['bare']:.2f}x bare, target <= 1.15x), parallel "
              f"{per_nb['parallel']:.2f} s (speed-up {per_nb['serial'] / per_nb['parallel']:.2f}x, target >= 1.9x)")
        print(f"  of the parallel run, recording as chunks ended (overlapping the other chunks): "
              f"{b.timings.get('record', 0.0):.1f} s ({b.timings.get('record', 0.0) / n:.3f} s per notebook)")
        big = 900
        minutes = {k: (big * v + fixed.get(k, 0.0)) / 60 for k, v in per_nb.items()}
        print(f"\n100 students x 9 lessons = {big} notebooks, extrapolated (per-notebook figures x {big} + the per-run "
              f"phases): bare {minutes['bare']:.0f} min; graded serially {minutes['serial']:.0f} min "
              f"({minutes['serial'] / minutes['bare']:.2f}x bare), in parallel on {args.workers} workers "
              f"{minutes['parallel']:.0f} min ({minutes['serial'] / minutes['parallel']:.2f}x the serial run)")
        shutil.rmtree(root / "subs")


if __name__ == "__main__":
    main()
