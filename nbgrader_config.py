"""nbgrader configuration of the course, read by every nbgrader command run from the repo root.

Sources live in solutions/, the generated student notebooks in course/; every
instructor output (submissions, autograded copies, feedback, the gradebook)
lives in the git-ignored folder instructor/ (override with BACKPROP_INSTRUCTOR_DIR).
"""
import os

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

here = os.path.dirname(os.path.abspath(__file__))
instructor = os.environ.get("BACKPROP_INSTRUCTOR_DIR", os.path.join(here, "instructor"))

c.CourseDirectory.root = here
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "course"
c.CourseDirectory.submitted_directory = os.environ.get(
    "BACKPROP_SUBMITTED_DIR", os.path.join(instructor, "submitted"))
c.CourseDirectory.autograded_directory = os.path.join(instructor, "autograded")
c.CourseDirectory.feedback_directory = os.path.join(instructor, "feedback")
c.CourseDirectory.solution_directory = os.path.join(instructor, "solution")
# SQLite by default; a PostgreSQL URL works too (postgresql://user@host/db).
c.CourseDirectory.db_url = os.environ.get(
    "BACKPROP_DB_URL", "sqlite:///" + os.path.join(instructor, "gradebook.db"))
c.CourseDirectory.course_id = "backprop"
# Lesson folders hold only the notebook; nothing else is released.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]

# A cell that runs longer than this is interrupted (a student's infinite loop):
# its cell scores 0 and grading goes on with the next cell.
c.Execute.timeout = int(os.environ.get("BACKPROP_CELL_TIMEOUT", "20"))
c.Execute.interrupt_on_timeout = True
# A kernel too busy to send output (allocating gigabytes, say) must not abort the notebook.
c.Execute.raise_on_iopub_timeout = False
# Every notebook is graded (and validated) in the backprop-grading kernel. Grading
# (ResilientExecute) runs it in bubblewrap as an unprivileged uid, talking over
# Unix sockets (autograder/sandbox.py); Validate runs it plainly, memory capped.
# BACKPROP_SANDBOX=0 (python -m autograder grade --unsafe-no-sandbox) turns the sandbox off.
os.environ["JUPYTER_PATH"] = os.pathsep.join(
    p for p in [os.path.join(here, "autograder"), os.environ.get("JUPYTER_PATH", "")] if p)
c.Execute.kernel_name = "backprop-grading"
c.Execute.extra_arguments = ["--HistoryManager.hist_file=:memory:"]

# Validate also names what grading would fail from the source (autograder/lint.py).
# Validator.preprocessors is not configurable (a list of classes), so its default is extended.
from autograder.preprocessors.lint_solutions import add_to_validate  # noqa: E402

add_to_validate()

# A deleted test cell comes back from the gradebook, so it is graded (and fails
# honestly) instead of stopping the whole notebook.
c.OverwriteCells.add_missing_cells = True

# The student version: nbgrader's own steps, plus NameStubs right after the
# solutions are cleared, so each stub's NotImplementedError names its exercise,
# MarkSelfChecks, so that Run All goes on past a failing self-check
# (tagged raises-exception; grading still counts the failure), and StateForbidden,
# so that each exercise names the library functions its check forbids.
c.GenerateAssignment.preprocessors = [
    f"nbgrader.preprocessors.{name}" if "." not in name else name for name in [
        "IncludeHeaderFooter", "InstantiateTests", "LockCells", "ClearSolutions",
        "autograder.preprocessors.NameStubs", "autograder.preprocessors.MarkSelfChecks",
        "autograder.preprocessors.StateForbidden",
        "ClearOutput", "CheckCellMetadata", "ComputeChecksums", "SaveCells",
        "ClearHiddenTests", "ClearMarkScheme", "ComputeChecksums", "CheckCellMetadata",
    ]
]

# A kernel that dies costs the cell that killed it, not the whole notebook.
c.Autograde.autograde_preprocessors = [
    "autograder.preprocessors.ResilientExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# Feedback never shows hidden tests, their inputs or a traceback into test code: see
# autograder/preprocessors/redact_tests.py. Nothing in it runs as script, and a
# missing markdown attachment does not stop it (safe_feedback.py). It reads well offline: MathJax from a
# package, copied to the feedback folder's mathjax/, and long lines wrapped
# (autograder/preprocessors/offline_feedback.py, after the CSS it extends).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "autograder.preprocessors.RedactTests",
    "autograder.preprocessors.SafeFeedback",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "autograder.preprocessors.OfflineFeedback",
]
# The rendered page is cleaned before it is written (autograder/feedback_html.py): no script survives.
c.GenerateFeedback.exporter_class = "autograder.feedback_html.SafeHTMLExporter"
# nbgrader's feedback template, with the offline MathJax of autograder/templates/backprop_feedback.
c.HTMLExporter.template_name = "backprop_feedback"
c.HTMLExporter.extra_template_basedirs = [
    os.path.join(here, "autograder", "templates"),
    os.path.join(os.path.dirname(__import__("nbgrader").__file__), "server_extensions", "formgrader", "templates"),
]
