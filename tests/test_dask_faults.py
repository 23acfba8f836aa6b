"""When a dask worker dies mid-run, or a grading kernel will not start, is every student still graded truthfully?

Real components, started here: a ``dask scheduler`` and two ``dask worker``
processes with their nannies (``start_cluster`` of
``tests/test_grade_command.py``), real nbgrader and sandboxed kernels, the
instructor's command ``python -m autograder grade --scheduler``. One run, to
keep it cheap, of a small lesson-01 class: two right, two with a known
mistake, and one student whose every grading kernel dies before answering
(injected: ``tests/fixtures/kernel_faults``). Once the first notebook is
written, the worker running another chunk is killed with SIGKILL (its nanny
starts a new one).

* the killed worker's nbgrader, and all it started, dies with it, and no
  grading process is left when the command ends;
* the killed chunk is graded again in a fresh workspace;
* every other student is graded with the exact score, nobody is rejected;
* the student whose kernel never started is the grader's failure in
  ``report/failures.csv``, the only one, and the run exits 3.
"""
from __future__ import annotations

import csv
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from conftest import REPO, require_sandbox
from test_grade_command import start_cluster, stop

from autograder import demo, mistakes
from autograder.csv_safe import restore

pytestmark = pytest.mark.slow
L = "01_derivatives"
POINTS = demo.graded_tasks(L)
FULL = sum(POINTS.values())
RIGHT = demo.solution_sources(L)
MISTAKE = mistakes.for_lesson(L)[0]
KERNEL_FAULTS = REPO / "tests" / "fixtures" / "kernel_faults"
BROKEN = "kernel-never-starts"
#: A process autograding: nbgrader itself, or the grader's runner of autograde and feedback in one process
AUTOGRADING = re.compile(r"\bnbgrader(_steps)? autograde\b")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A scheduler and two nanny-supervised workers; kernels for ``BROKEN``'s notebooks die before replying."""
    require_sandbox()
    folder = tmp_path_factory.mktemp("dask-faults")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(KERNEL_FAULTS), os.environ.get("PYTHONPATH", "")]),
               BACKPROP_FAULT_KERNEL_DIES=BROKEN)
    address, procs = start_cluster(env, folder)
    try:
        yield address, folder
    finally:
        stop(procs)


def write_class(root: Path, students: dict[str, float]) -> None:
    for student, score in students.items():
        sources = RIGHT if score == FULL else RIGHT | {MISTAKE.task: MISTAKE.code}
        path = root / student / L / f"{L}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(demo.submission(L, sources), path)


def grade_command(subs: Path, instructor: Path, address: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "autograder", "grade", str(subs), "--instructor", str(instructor),
                             "--timeout", "10", "--workers", "2", "--scheduler", address],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def processes() -> dict[int, tuple[int, str, str]]:
    """``{pid: (parent pid, command line, BACKPROP_INSTRUCTOR_DIR)}`` of every process this user can read."""
    out = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            env = (proc / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if stat[0] == "Z":
            continue
        folder = next((e.split(b"=", 1)[1].decode(errors="replace") for e in env
                       if e.startswith(b"BACKPROP_INSTRUCTOR_DIR=")), "")
        out[int(proc.name)] = (int(stat[1]), cmd, folder)
    return out


def descendants(pid: int, table: dict[int, tuple[int, str, str]]) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        for child, (ppid, _, _) in table.items():
            if ppid == parent and child not in found:
                found.add(child)
                todo.append(child)
    return found


def ours(instructor: Path, table: dict[int, tuple[int, str, str]]) -> set[int]:
    """The processes grading in ``instructor`` (nbgrader in a workspace, and whatever it started)."""
    nbgrader = {pid for pid, (_, cmd, folder) in table.items()
                if "nbgrader" in cmd and folder.startswith(str(instructor))}
    return nbgrader | {d for pid in nbgrader for d in descendants(pid, table)}


def alive(pids: set[int]) -> set[int]:
    live = set()
    for pid in pids:
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                live.add(pid)
        except OSError:
            pass
    return live


def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))[1:]


def scores(instructor: Path) -> dict[str, float]:
    out: dict[str, float] = {}
    for student, lesson, _, score, _ in read_csv(instructor / "grades_by_exercise.csv"):
        out[restore(student)] = out.get(restore(student), 0.0) + float(score)
    return out


@pytest.fixture(scope="module")
def killed_run(cluster, tmp_path_factory):
    """Grade the class; SIGKILL the worker of a chunk still running once the first notebook is written."""
    address, _ = cluster
    root = tmp_path_factory.mktemp("killed-run")
    expected = {"right-1": FULL, "right-2": FULL, "wrong-1": FULL - POINTS[MISTAKE.task],
                "wrong-2": FULL - POINTS[MISTAKE.task]}
    write_class(root / "subs", expected | {BROKEN: FULL})
    instructor = root / "instructor"
    started = time.perf_counter()
    proc = grade_command(root / "subs", instructor, address)
    victim = None
    try:
        deadline = time.time() + 600
        while victim is None and proc.poll() is None and time.time() < deadline:
            time.sleep(0.2)
            if not list((instructor / "workers").glob("w*/autograded/*/*/*.ipynb")):
                continue
            table = processes()
            running = {pid: Path(folder) for pid, (_, cmd, folder) in table.items()
                       if AUTOGRADING.search(cmd) and "/workers/w" in folder and folder.startswith(str(instructor))
                       and not (Path(folder) / "submitted" / BROKEN).exists()}
            if running:
                pid = next(iter(running))
                victim = {"worker": table[pid][0], "workspace": running[pid], "doomed": {pid} | descendants(pid, table)}
                os.kill(victim["worker"], signal.SIGKILL)
                until = time.time() + 10
                while alive(victim["doomed"]) and time.time() < until:
                    time.sleep(0.1)
                victim["survivors"] = alive(victim["doomed"])
        out, err = proc.communicate(timeout=900)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    seconds = time.perf_counter() - started
    print(f"\nkilled-worker run: graded in {seconds:.0f} s; killed the worker grading in {victim and victim['workspace'].name}")
    return {"proc": proc, "out": out, "err": err, "instructor": instructor, "expected": expected, "victim": victim,
            "left": ours(instructor, processes())}


def test_a_worker_was_killed_mid_chunk_and_its_nbgrader_died_with_it(killed_run):
    victim = killed_run["victim"]
    assert victim is not None, "the run ended before a worker could be killed: " + killed_run["err"][-2000:]
    assert victim["survivors"] == set(), "the killed worker's nbgrader (or its kernels) lived on as orphans"
    assert killed_run["left"] == set(), "no grading process is left once the command ends"


def test_the_killed_chunk_was_graded_again_in_a_fresh_workspace(killed_run):
    victim = killed_run["victim"]
    chunk = victim["workspace"].name.split("-try")[0]
    attempts = sorted(p.name for p in victim["workspace"].parent.glob(f"{chunk}-try*"))
    assert victim["workspace"].name == f"{chunk}-try1" and len(attempts) >= 2, attempts
    retries = (killed_run["instructor"] / "logs" / "retries.log").read_text()
    assert f"{chunk}-try1: this attempt did not finish" in retries, "the run says which attempt it threw away"


def test_every_student_is_graded_exactly_and_nobody_is_rejected(killed_run):
    instructor = killed_run["instructor"]
    assert read_csv(instructor / "report" / "rejected.csv") == [], "neither fault is ever a student's rejection"
    assert scores(instructor) == killed_run["expected"]
    lms = {restore(row[0]) for row in read_csv(instructor / "grades_lms.csv")}
    assert lms == set(killed_run["expected"]) | {BROKEN}, "every student in the output"


def test_a_kernel_that_never_starts_is_the_only_failure_and_the_run_exits_3(killed_run):
    proc, instructor = killed_run["proc"], killed_run["instructor"]
    assert proc.returncode == 3, killed_run["out"][-3000:] + killed_run["err"][-3000:]
    failures = read_csv(instructor / "report" / "failures.csv")
    assert [(restore(s), lesson, stage) for s, lesson, stage, _ in failures] == [(BROKEN, L, "autograde")], \
        "the killed worker cost nobody a failure"
    assert "Kernel died before replying" in failures[0][3]
    assert "grading machinery" in (instructor / "logs" / "retries.log").read_text()


def test_the_progress_bar_counts_notebooks_up_to_the_whole_class_never_past_it(killed_run):
    counts = [int(n) for n in re.findall(r"grading:.*?\b(\d+)/5\b", killed_run["err"])]
    assert counts[-1] == 5 and max(counts) == 5, killed_run["err"][-2000:]
    assert len({n for n in counts if 0 < n < 5}) >= 2, "the bar moved as notebooks were written, not at the end"
    assert counts == sorted(counts), "a notebook graded twice (its chunk run again) is counted once"
