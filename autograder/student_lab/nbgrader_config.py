"""nbgrader configuration of the student's JupyterLab (``make lab``): what the Validate button reads.

Validate runs the notebook top to bottom in the course kernel and names every
failing self-check; it also names a construct that grading would score 0
(``autograder/lint.py``), as the instructor's Validate does. The instructor's
configuration (grading kernel, gradebook, course folders) is at the repo root
and is not read here.
"""
c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.Execute.kernel_name = "python3"
# a slow widget or a student's loop must not hang Validate for ever
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True
c.Execute.raise_on_iopub_timeout = False


from autograder.preprocessors.lint_solutions import add_to_validate  # noqa: E402

add_to_validate()
