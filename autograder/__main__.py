"""Command line of the instructor tools: ``python -m autograder {course,grade,import,demo}``.

* ``course``: regenerate ``course/`` from ``solutions/`` (``make course``).
* ``grade [SUBMISSIONS]``: autograde ``SUBMISSIONS/<student>/<lesson>/<lesson>.ipynb``,
  write feedback and CSVs into the instructor folder; without a folder, build
  and grade the bundled demo class and compare with its expected scores
  (``make grade``). Exits 0 only when every student was graded or rejected
  for a reason of their own, 3 when the grader itself failed for someone.
* ``import SOURCES --roster R --into SUBMISSIONS``: fill a submissions folder from
  Canvas or Moodle downloads or nbgrader's exchange (:mod:`autograder.lms_import`);
  ``grade --roster R --due term.toml`` then writes roster-keyed, late-penalised
  CSVs for Canvas and Moodle (:mod:`autograder.lms_export`).
* ``override STUDENT LESSON TASK SCORE --reason R`` (or ``--clear``): set one exercise's score by hand, kept
  across regrades and shown in the feedback, the CSVs and the report (:mod:`autograder.overrides`).
* ``demo OUT``: only write the demo class to ``OUT``.
"""
from __future__ import annotations

import argparse
import os
import sys
from collections import defaultdict
from pathlib import Path

from . import demo, layout, pipeline, records
from .generate import generate_course
from .lateness import TermError
from .roster import RosterError

#: The exit status when the grader itself failed for someone (each failure tried twice): the run is incomplete.
#: 0 means every student was graded or rejected for a reason of their own; 1, a demo score that is not the expected
#: one; 2, grading could not start (no sandbox, no such folder).
EXIT_GRADER_FAILED = 3


def print_table(run: pipeline.GradeRun, expected: list[demo.Expected] | None = None) -> bool:
    """Print one row per student and lesson; with ``expected``, mark each row ok or not."""
    totals = records.totals(run.scores)
    want = {(e.student, e.lesson): e for e in expected or []}
    ok = True
    print(f"\n{'student':<40} {'lesson':<22} {'score':>9}" + ("   expected" if expected else ""))
    for (student, lesson), (score, max_score) in sorted(totals.items()):
        line = f"{student:<40} {lesson:<22} {score:>4g} / {max_score:<3g}"
        if expected:
            e = want.get((student, lesson))
            good = e is not None and e.low <= score <= e.high
            ok &= good
            line += f"   {e.low:g}" + ("" if e is None or e.low == e.high else f"-{e.high:g}") + ("  ok" if good else "  MISMATCH")
        print(line)
    missing = set(want) - set(totals)
    for student, lesson in sorted(missing):
        if want[(student, lesson)].high == 0 and not demo.graded_tasks(lesson):
            print(f"{student:<40} {lesson:<22} {'no exercises':>9}   ok")
            continue
        print(f"{student:<40} {lesson:<22} {'not graded':>9}   MISMATCH")
        ok = False
    for r in run.rejected:
        print(f"{r.student:<40} {r.lesson:<22} rejected: {r.reason}")
    for n in run.notices:
        print(f"{n.student:<40} {n.lesson:<22} note: {n.text}")
    if run.failures:
        print(f"\nTHE GRADER FAILED ({len(run.failures)}, each tried twice; see report/failures.csv and logs/):")
        for f in run.failures:
            print(f"{f.student or '(the class)':<40} {f.lesson:<22} {f.stage}: {f.reason}")
    print("\ntime: " + ", ".join(f"{k} {v:.1f} s" for k, v in run.timings.items()))
    print(f"feedback: {run.instructor / 'feedback'}/<student>/<lesson>/<lesson>.html")
    print(f"grades:   {run.summary_csv} (nbgrader's export), {run.csv_path} (per exercise), "
          f"{run.instructor / 'grades_lms.csv'} (for an LMS)")
    print(f"report:   {run.instructor / 'report' / 'class_report.png'}; mistakes.csv, rejected.csv, "
          "failures.csv and notices.csv beside it")
    return ok


def import_command(args: argparse.Namespace) -> int:
    """``import``: fill a submissions folder from LMS zips or nbgrader's exchange; 0 when every file was
    imported (or was an older version, or already there), 1 when some were set aside (listed), 2 on bad input."""
    from zoneinfo import ZoneInfo

    from .lms_import import ImportError_, import_sources
    from .roster import Roster

    roster_path = args.roster or args.instructor / "roster.csv"
    into = args.into or args.instructor / "submissions"
    try:
        zone = ZoneInfo(args.zip_timezone)
    except (ValueError, KeyError) as exc:
        print(f"error: unknown time zone {args.zip_timezone!r} ({exc})", file=sys.stderr)
        return 2
    try:
        report = import_sources(args.sources, Roster.load(roster_path), into, args.instructor, args.lesson, zone)
    except (ImportError_, RosterError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for o in report.outcomes:
        print(f"{o.status:<11} {o.student or '?':<16} {o.lesson or '?':<18} {o.source}"
              + (f"\n{'':<11} {o.reason}" if o.reason else ""))
    counts = {s: len(report.by_status(s)) for s in ("imported", "unchanged", "superseded", "set aside")}
    print(", ".join(f"{n} {s}" for s, n in counts.items()) + f"; into {into}; log: {args.instructor / 'import' / 'log.csv'}")
    return 1 if counts["set aside"] else 0


def override_command(args: argparse.Namespace) -> int:
    """``override``: set (or ``--clear``) one exercise's score, then bring the feedback, CSVs and report in line.

    0 when done; 2 (nothing changed) for an unknown student, lesson or exercise, a score out of range, no reason.
    """
    from . import overrides

    if args.clear == (args.score is not None):
        print("error: give a SCORE (with --reason) or --clear, not both or neither", file=sys.stderr)
        return 2
    try:
        if args.clear:
            done = overrides.clear_override(args.instructor, args.student, args.lesson, args.task)
            print(f"cleared: {done.student} {done.lesson} {done.task} is the autograder's score again")
        else:
            done = overrides.set_override(args.instructor, args.student, args.lesson, args.task, args.score,
                                          args.reason or "")
            print(f"set: {done.student} {done.lesson} {done.task} = {done.score:g} ({done.reason})")
    except overrides.OverrideError as exc:
        print(f"error: {exc}; nothing was changed", file=sys.stderr)
        return 2
    failed = overrides.refresh_outputs(args.instructor, args.student, args.lesson)
    for f in failed:
        print(f"{f.stage}: {f.reason}", file=sys.stderr)
    print(f"updated: {layout.feedback_path(args.instructor, args.student, args.lesson)}, grades.csv, "
          "grades_by_exercise.csv, grades_lms.csv and report/ in " + str(args.instructor))
    return EXIT_GRADER_FAILED if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("course", help="regenerate course/ from solutions/")
    g = sub.add_parser("grade", help="autograde a folder of submissions (default: the demo class)")
    g.add_argument("submissions", nargs="?", type=Path)
    g.add_argument("--instructor", type=Path, default=layout.DEFAULT_INSTRUCTOR,
                   help="folder for submitted/, autograded/, feedback/, the gradebook and CSVs")
    g.add_argument("--timeout", type=int, default=None, help="seconds a cell may run (default 20)")
    g.add_argument("--workers", type=int, default=None, help="parallel workers (default: the core count; 1 = plain nbgrader)")
    g.add_argument("--scheduler", default=None, help="address of a running dask scheduler (default: a local cluster)")
    g.add_argument("--full-demo", action="store_true",
                   help="without a folder: grade the demo class of every lesson (about 80 notebooks), not the small one")
    g.add_argument("--full", action="store_true",
                   help="execute every notebook again (default: only new or changed submissions and changed lessons)")
    g.add_argument("--unsafe-no-sandbox", action="store_true",
                   help="run the notebooks without the sandbox (bubblewrap): only for code you trust")
    g.add_argument("--roster", type=Path, default=None,
                   help="class list CSV (id, name, email, section, lms_id): also write grades_roster/canvas/moodle.csv "
                        "(default: INSTRUCTOR/roster.csv if there is one)")
    g.add_argument("--due", type=Path, default=None,
                   help="due dates and late policy, TOML or CSV (default: INSTRUCTOR/term.toml if there is one)")
    i = sub.add_parser("import", help="import LMS downloads (Canvas, Moodle zips) or nbgrader's exchange into a "
                                      "submissions folder, by the roster")
    i.add_argument("sources", nargs="+", type=Path, help="zip files, nbgrader inbound or submitted folders")
    i.add_argument("--roster", type=Path, default=None, help="class list CSV (default: INSTRUCTOR/roster.csv)")
    i.add_argument("--into", type=Path, default=None,
                   help="the submissions folder to fill (default: INSTRUCTOR/submissions)")
    i.add_argument("--lesson", default=None, help="the lesson every file is for (default: read from its name)")
    i.add_argument("--zip-timezone", default="UTC", help="time zone of the zip entries' times (default UTC)")
    i.add_argument("--instructor", type=Path, default=layout.DEFAULT_INSTRUCTOR,
                   help="instructor folder: the import log and the files set aside go to INSTRUCTOR/import")
    d = sub.add_parser("demo", help="write the demo class")
    d.add_argument("out", type=Path)
    d.add_argument("--all", action="store_true", help="one student per known mistake, not only the first per task")
    o = sub.add_parser("override", help="set or clear one exercise's score by hand, with a reason")
    o.add_argument("student", help="the student's name, as their submissions folder and the CSVs spell it")
    o.add_argument("lesson", help="e.g. 01_derivatives")
    o.add_argument("task", help="the exercise, as grades_by_exercise.csv names it (e.g. central_difference)")
    o.add_argument("score", nargs="?", type=float, default=None, help="the points it is worth now")
    o.add_argument("--reason", default=None, help="why (the student reads it on their feedback page)")
    o.add_argument("--clear", action="store_true", help="give the exercise back to the autograder's score")
    o.add_argument("--instructor", type=Path, default=layout.DEFAULT_INSTRUCTOR,
                   help="the instructor folder graded before (its gradebook, feedback and CSVs)")
    args = parser.parse_args(argv)

    if args.cmd == "course":
        for path in generate_course():
            print(f"generated {path.relative_to(layout.REPO)}")
        return 0
    if args.cmd == "import":
        return import_command(args)
    if args.cmd == "override":
        return override_command(args)
    if args.cmd == "demo":
        expected = demo.build_class(args.out, "all" if args.all else "demo")  # every lesson
        by_student = defaultdict(list)
        for e in expected:
            by_student[e.student].append(e.lesson)
        print(f"wrote {len(by_student)} students to {args.out}")
        return 0
    expected = None
    submissions = args.submissions
    if submissions is None:
        submissions = args.instructor / "demo_class"
        expected = demo.build_class(submissions, "demo" if args.full_demo else "small")
        print(f"No folder given: grading the {'full ' if args.full_demo else 'small '}demo class in {submissions}")
    if not submissions.is_dir():
        print(f"error: {submissions} is not a folder of <student>/<lesson>/<lesson>.ipynb", file=sys.stderr)
        return 2
    if args.unsafe_no_sandbox:
        os.environ["BACKPROP_SANDBOX"] = "0"
    try:
        run = pipeline.grade(submissions, args.instructor, args.timeout, args.workers, args.scheduler, full=args.full,
                             roster=args.roster, due=args.due)
    except (pipeline.SandboxUnavailable, RosterError, TermError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    ok = print_table(run, expected)
    if run.failures:
        return EXIT_GRADER_FAILED
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
