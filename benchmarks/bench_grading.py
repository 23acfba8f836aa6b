"""Grading throughput: plain serial nbgrader vs the course's parallel grader, in one run.

Builds a class of N students (default 40) who each submit every lesson (the
reference solution, so every notebook runs to the end), grades it twice into
two fresh instructor folders, and prints seconds per student for each and
the ratio. Where the time goes is printed from the parallel run's phases.

    .venv/bin/python benchmarks/bench_grading.py [--students 40] [--workers 2]
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import nbformat

from autograder import demo, layout, pipeline, records


def build(out: Path, students: int) -> int:
    """``students`` copies of the reference submission of every lesson; returns notebooks written."""
    n = 0
    for lesson in layout.lessons():
        if not demo.graded_tasks(lesson):
            continue
        nb = demo.submission(lesson, demo.solution_sources(lesson))
        for i in range(students):
            path = out / f"s{i:03d}" / lesson / layout.notebook_name(lesson)
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, path)
            n += 1
    return n


def feedback_error(instructor: Path, score: records.TaskScore) -> str:
    """The error text the autograded notebook holds for one exercise's test cell (first 300 characters)."""
    path = instructor / "autograded" / score.student / score.lesson / layout.notebook_name(score.lesson)
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == f"test_{score.task}":
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            if errors:
                return f"{errors[0].ename}: {errors[0].evalue}"[:300].replace("\n", " | ")
    return "(no error output)"


def timed_grade(subs: Path, instructor: Path, workers: int) -> tuple[float, pipeline.GradeRun]:
    start = time.perf_counter()
    run = pipeline.grade(subs, instructor, workers=workers, progress=False)
    return time.perf_counter() - start, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        notebooks = build(root / "subs", args.students)
        print(f"class: {args.students} students x {notebooks // args.students} lessons = {notebooks} notebooks")
        serial, a = timed_grade(root / "subs", root / "serial", 1)
        print(f"serial nbgrader (one autograde command per lesson): {serial:7.1f} s "
              f"= {serial / args.students:.2f} s per student")
        parallel, b = timed_grade(root / "subs", root / "parallel", args.workers)
        print(f"parallel ({args.workers} dask workers):                  {parallel:7.1f} s "
              f"= {parallel / args.students:.2f} s per student")
        same = [(s.student, s.lesson, s.task, s.score) for s in a.scores] == \
               [(s.student, s.lesson, s.task, s.score) for s in b.scores]
        print(f"speed-up: {serial / parallel:.2f}x (target >= 1.8x); identical grades: {same}")
        for name, run in (("serial", a), ("parallel", b)):
            lost = [s for s in run.scores if s.score < s.max_score]
            for s in lost:  # every student submitted the reference solution: any lost point is a fault
                print(f"  {name}: {s.student} {s.lesson} {s.task} scored {s.score:g} of {s.max_score:g}: "
                      f"{feedback_error(run.instructor, s)}")
        for name, run in (("serial", a), ("parallel", b)):
            phases = ", ".join(f"{k} {v:.1f} s" for k, v in run.timings.items())
            print(f"where time goes ({name}): {phases}")
        commands = sum(p.read_text().count("$ nbgrader") for p in (root / "parallel").rglob("nbgrader.log"))
        print(f"nbgrader commands in the parallel run: {commands} "
              "(one generate, an autograde and a feedback per chunk, one record pass, export)")
        shutil.rmtree(root / "subs")


if __name__ == "__main__":
    main()
