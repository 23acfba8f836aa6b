"""The class report: what an instructor reads after grading.

* ``report/class_report.png``: one score histogram per exercise, and the most
  common diagnosed mistakes across the class (from the checks' "likely cause").
* ``report/mistakes.csv``: every failed exercise with its diagnosis.
* ``report/rejected.csv``, ``report/failures.csv``, ``report/notices.csv``:
  submissions rejected for a reason of their own; the grader's own failures;
  remarks on graded submissions (a second notebook beside the lesson's).
* ``grades_lms.csv``: one row per student, one column per lesson plus a total,
  the shape LMS gradebook imports expect.

Every CSV goes through :mod:`autograder.csv_safe` (no cell is a live
formula). Each file is written on its own: the plot failing (a diagnosis
that is not valid mathtext, say) costs the plot, reported as a failure, not
the CSVs.
"""
from __future__ import annotations

import textwrap
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import nbformat

from . import csv_safe
from .lateness import Late, apply
from .layout import ids_path
from .preprocessors.redact_tests import ANSI
from .records import Failure, Notice, Rejected, TaskScore, totals
from .students import StudentIds


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


def diagnoses(instructor: Path, ids: StudentIds | None = None) -> list[Diagnosis]:
    """Every failed test cell of every autograded notebook, with its reason, under the students' names."""
    ids = ids or StudentIds.load(ids_path(instructor))
    found = []
    for path in sorted((instructor / "autograded").glob("*/*/*.ipynb")):
        student, lesson = ids.name(path.parent.parent.name), path.parent.name
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
                    task = str(meta.get("grade_id", "")).removeprefix("test_")
                    found.append(Diagnosis(student, lesson, task, explain_failure(str(out.get("ename", "")),
                                                                                  str(out.get("evalue", "")))))
                    break
    return found


def write_lms_csv(scores: list[TaskScore], path: Path, rejected: list[Rejected] = (),
                  failures: list[Failure] = (), late: dict[tuple[str, str], Late] | None = None) -> None:
    """``student, <lesson> (max N), ..., total``: one row per student.

    A rejected submission counts 0 (its reason is in ``report/rejected.csv``);
    a student the grader failed (``report/failures.csv``) has a row too, with
    that lesson's cell left empty: not graded is not 0. With ``late`` (the
    term has due dates, :mod:`autograder.lateness`) each lesson shows its
    score after the late penalty and a last column keeps the raw total.
    """
    sums = totals(scores)
    maxima = {lesson: m for (_, lesson), (_, m) in sums.items()}  # a lesson's max is every student's
    for r in rejected:
        if r.lesson:
            sums.setdefault((r.student, r.lesson), (0.0, 0.0))
    lessons = sorted({lesson for _, lesson in sums if lesson})
    students = sorted({s for s, _ in sums} | {r.student for r in rejected} | {f.student for f in failures if f.student})
    failed = {(f.student, f.lesson) for f in failures} | {(f.student, "*") for f in failures}
    with csv_safe.open_csv(path) as fh:
        writer = csv_safe.writer(fh)
        writer.writerow(["student"] + [f"{lesson} (max {maxima.get(lesson, 0.0):g})" for lesson in lessons] + ["total"]
                        + (["total before late penalty"] if late is not None else []))
        for s in students:
            cells, total, raw_total = [], 0.0, 0.0
            for lesson in lessons:
                if (s, lesson) in sums:
                    raw = sums[(s, lesson)][0]
                    score = apply(raw, late[(s, lesson)]) if late and (s, lesson) in late else raw
                    cells.append(f"{round(score, 4):g}")
                    total += score
                    raw_total += raw
                else:
                    cells.append("" if (s, lesson) in failed or (s, "*") in failed else "0")
            writer.writerow([s] + cells + [f"{round(total, 4):g}"]
                            + ([f"{raw_total:g}"] if late is not None else []))


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
        ax.set_title(plain_label(f"{lesson[:2]} {task}"), fontsize=8)
        ax.set_xlabel(f"points (of {max_score:g})", fontsize=7)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.tick_params(labelsize=7)
    ax = fig.add_subplot(grid[rows, 1:])
    counts = Counter(f"{d.lesson[:2]} {d.task}: {d.text}" for d in found if d.text != "not implemented yet")
    common = counts.most_common(top)[::-1]
    if common:
        labels = [plain_label(textwrap.shorten(label, 90, placeholder="...")) for label, _ in common]
        ax.barh(range(len(common)), [n for _, n in common], color="C3")
        ax.set_yticks(range(len(common)), ["\n".join(textwrap.wrap(t, 48)) for t in labels], fontsize=7)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_xlabel("students")
    ax.set_title("most common diagnosed mistakes", fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plain_label(text: str) -> str:
    """``text`` as matplotlib shows it literally: a ``$`` would start mathtext (``$\\frac{$`` does not parse)."""
    return text.replace("$", r"\$")


def write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    """A report CSV: UTF-8, no live formula in any cell."""
    with csv_safe.open_csv(path) as fh:
        writer = csv_safe.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


#: ``write_report(late=...)`` left out: export as the last grading run did (its roster and due dates)
AS_LAST_RUN = "as the last grading run"


def write_report(instructor: Path, scores: list[TaskScore], rejected: list[Rejected] = (),
                 failures: list[Failure] = (), notices: list[Notice] = (),
                 late: dict[tuple[str, str], Late] | None | str = AS_LAST_RUN) -> list[Failure]:
    """Write the class report files; return the parts that failed (the rest is written regardless).

    ``late``: each graded lesson's lateness, when the term has due dates (``grades_lms.csv`` applies it);
    left out (a rewrite after an override, say), the roster-keyed CSVs and the penalties are written
    again as the last grading run wrote them (:func:`autograder.lms_export.refresh`)."""
    out = instructor / "report"
    out.mkdir(parents=True, exist_ok=True)
    failed: list[Failure] = []
    if late == AS_LAST_RUN:
        from .lms_export import refresh

        known = list(failures)  # the last run's failures: their lessons stay "grader failed", not "not submitted"
        late = refresh(instructor, scores, list(rejected), known)
        failed += known[len(failures):]
    try:
        found = diagnoses(instructor)
    except Exception as exc:  # noqa: BLE001 - the report is the grader's: its failure is reported, not a crash
        found = []
        failed.append(Failure("", "", "report", f"diagnoses: {type(exc).__name__}: {exc}"[:300]))
    write_csv(out / "rejected.csv", ["student", "lesson", "reason"],
              [[r.student, r.lesson, r.reason] for r in rejected])
    write_csv(out / "notices.csv", ["student", "lesson", "notice"], [[n.student, n.lesson, n.text] for n in notices])
    write_csv(out / "mistakes.csv", ["student", "lesson", "exercise", "diagnosis"],
              [[d.student, d.lesson, d.task, d.text] for d in found])
    write_lms_csv(scores, instructor / "grades_lms.csv", rejected, failures, late)
    try:
        plot_class_report(scores, found, out / "class_report.png")
    except Exception as exc:  # noqa: BLE001
        failed.append(Failure("", "", "report", f"class_report.png: {type(exc).__name__}: {exc}"[:300]))
    write_csv(out / "failures.csv", ["student", "lesson", "stage", "reason"],
              [[f.student, f.lesson, f.stage, f.reason] for f in [*failures, *failed]])
    return failed
