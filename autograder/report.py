"""The class report: what an instructor reads after grading.

* ``report/class_report.png``: one score histogram per exercise, and the most
  common diagnosed mistakes across the class (from the checks' "likely cause").
* ``report/mistakes.csv``: every failed exercise with its diagnosis.
* ``grades_lms.csv``: one row per student, one column per lesson plus a total,
  the shape LMS gradebook imports expect.
"""
from __future__ import annotations

import csv
import textwrap
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .pipeline import Rejected, TaskScore, totals
from .preprocessors.redact_tests import ANSI


@dataclass(frozen=True)
class Diagnosis:
    """Why one student's exercise failed, as the checks explained it."""

    student: str
    lesson: str
    task: str
    text: str


def explain_failure(ename: str, evalue: str) -> str:
    """The short reason of a failed test cell: the check's "likely cause", or the error's kind."""
    evalue = ANSI.sub("", evalue)
    for line in evalue.splitlines():
        if line.strip().startswith("likely cause:"):
            return line.split("likely cause:", 1)[1].strip()
    if ename == "CheckFailed":
        first = evalue.strip().splitlines()[0] if evalue.strip() else "check failed"
        if "not implemented yet" in first:
            return "not implemented yet"
        if " raised " in first:
            return "the function raised " + first.split(" raised ", 1)[1].split(":")[0]
        return "wrong result, no known pattern"
    if ename in {"KeyboardInterrupt", "CellTimeoutError"}:
        return "did not finish (time limit)"
    if ename == "DeadKernelError":
        return "the kernel died"
    return f"{ename}"


def diagnoses(instructor: Path) -> list[Diagnosis]:
    """Every failed test cell of every autograded notebook, with its reason."""
    found = []
    for path in sorted((instructor / "autograded").glob("*/*/*.ipynb")):
        student, lesson = path.parent.parent.name, path.parent.name
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:  # noqa: BLE001 - an unreadable notebook has no diagnoses to report
            continue
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if not meta.get("grade") or meta.get("solution"):
                continue
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    task = meta["grade_id"].removeprefix("test_")
                    found.append(Diagnosis(student, lesson, task, explain_failure(out.get("ename", ""), out.get("evalue", ""))))
                    break
    return found


def write_lms_csv(scores: list[TaskScore], path: Path, rejected: list[Rejected] = ()) -> None:
    """``student, <lesson> (max N), ..., total``: one row per student.

    A rejected submission counts 0 (its reason is in ``report/rejected.csv``).
    """
    sums = totals(scores)
    maxima = {lesson: m for (_, lesson), (_, m) in sums.items()}  # a lesson's max is every student's
    for r in rejected:
        sums.setdefault((r.student, r.lesson), (0.0, 0.0))
    lessons = sorted({lesson for _, lesson in sums})
    students = sorted({s for s, _ in sums})
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student"] + [f"{lesson} (max {maxima.get(lesson, 0.0):g})" for lesson in lessons] + ["total"])
        for s in students:
            row = [sums.get((s, lesson), (0.0, 0.0))[0] for lesson in lessons]
            writer.writerow([s] + [f"{v:g}" for v in row] + [f"{sum(row):g}"])


def plot_class_report(scores: list[TaskScore], found: list[Diagnosis], path: Path, top: int = 10) -> None:
    """Score histograms per exercise and the ``top`` most common diagnoses, as one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = sorted({(r.lesson, r.task) for r in scores})
    cols = 4
    rows = max(1, -(-len(tasks) // cols))
    fig = plt.figure(figsize=(3.2 * cols, 2.2 * rows + 0.45 * top + 1))
    grid = fig.add_gridspec(rows + 1, cols, height_ratios=[2.2] * rows + [0.45 * top + 1])
    for i, (lesson, task) in enumerate(tasks):
        ax = fig.add_subplot(grid[i // cols, i % cols])
        got = [r.score for r in scores if (r.lesson, r.task) == (lesson, task)]
        max_score = max(r.max_score for r in scores if (r.lesson, r.task) == (lesson, task))
        ax.hist(got, bins=[b - 0.5 for b in range(int(max_score) + 2)] if max_score <= 10 else 10, color="C0")
        ax.set_title(f"{lesson[:2]} {task}", fontsize=8)
        ax.set_xlabel(f"points (of {max_score:g})", fontsize=7)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.tick_params(labelsize=7)
    ax = fig.add_subplot(grid[rows, 1:])
    counts = Counter(f"{d.lesson[:2]} {d.task}: {d.text}" for d in found if d.text != "not implemented yet")
    common = counts.most_common(top)[::-1]
    if common:
        labels = [textwrap.shorten(label, 90, placeholder="...") for label, _ in common]
        ax.barh(range(len(common)), [n for _, n in common], color="C3")
        ax.set_yticks(range(len(common)), ["\n".join(textwrap.wrap(t, 48)) for t in labels], fontsize=7)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_xlabel("students")
    ax.set_title("most common diagnosed mistakes", fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def write_report(instructor: Path, scores: list[TaskScore], rejected: list[Rejected] = ()) -> dict[str, Path]:
    """Write the class report files; returns their paths by name."""
    found = diagnoses(instructor)
    out = instructor / "report"
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "rejected.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student", "lesson", "reason"])
        writer.writerows([r.student, r.lesson, r.reason] for r in rejected)
    with open(out / "mistakes.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student", "lesson", "exercise", "diagnosis"])
        for d in found:
            writer.writerow([d.student, d.lesson, d.task, d.text])
    write_lms_csv(scores, instructor / "grades_lms.csv", rejected)
    plot_class_report(scores, found, out / "class_report.png")
    return {"plot": out / "class_report.png", "mistakes": out / "mistakes.csv", "lms": instructor / "grades_lms.csv"}
