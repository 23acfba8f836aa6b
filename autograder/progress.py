"""A progress bar that moves per notebook: count the autograded notebooks as nbgrader writes them.

One nbgrader command grades a whole chunk, and says nothing to the grader
until it ends. But it writes ``autograded/<student>/<lesson>/<lesson>.ipynb``
the moment that notebook is done (files copied beside it come first, the
notebook last), so watching those files from the grading process counts
each notebook as it finishes, whichever worker ran it, on any cluster that
shares the file system (as grading on dask already requires). Nothing runs
on the workers for it, and a worker that dies takes no progress message
with it.

A notebook is counted once, however many attempts write it (a chunk run
again after its worker died); notebooks that end rejected or failed are
counted when their chunk reports them, and :meth:`NotebookWatch.finish` brings
the count to the total once every notebook has an outcome.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Callable, Iterable


class NotebookWatch:
    """Calls ``advance(n)`` as ``n`` more of the ``expected`` ``(student id, lesson)`` notebooks are written.

    ``folder.glob(pattern)`` finds the autograded notebooks
    (``autograded/*/*/*.ipynb`` in an instructor folder,
    ``w*/autograded/*/*/*.ipynb`` under the dask workspaces); only files
    written since the watch started count (an instructor folder holds earlier
    runs too). Polls every ``every`` seconds in a thread of its own; use it
    as a context manager, or :meth:`start` and :meth:`finish`.
    """

    def __init__(self, folder: Path, pattern: str, expected: Iterable[tuple[str, str]],
                 advance: Callable[[int], None] | None, every: float = 0.5):
        self.folder, self.pattern, self.every = folder, pattern, every
        self.expected = set(expected)
        self.seen: set[tuple[str, str]] = set()
        self._advance = advance
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._since = time.time() - 1.0  # file times lag the clock by a tick

    def mark(self, keys: Iterable[tuple[str, str]]) -> None:
        """Count ``keys`` as done (graded, rejected or failed), each once; a student's ``"*"`` means all their lessons."""
        keys = set(keys)
        stars = {s for s, lesson in keys if lesson == "*"}
        done = {k for k in self.expected if k in keys or k[0] in stars}
        with self._lock:
            new = done - self.seen
            self.seen |= new
            if new and self._advance is not None:
                self._advance(len(new))

    def poll(self) -> None:
        """Count the notebooks written since the last poll."""
        found = []
        for path in self.folder.glob(self.pattern):
            key = (path.parent.parent.name, path.parent.name)
            if key in self.expected and key not in self.seen:
                try:
                    if path.stat().st_mtime >= self._since:
                        found.append(key)
                except OSError:  # removed meanwhile (nbgrader deletes a notebook that failed)
                    continue
        self.mark(found)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.poll()
            except OSError:  # a workspace made or removed while listed: next time
                continue

    def start(self) -> NotebookWatch:
        self._thread = threading.Thread(target=self._run, name="notebook-progress", daemon=True)
        self._thread.start()
        return self

    def finish(self) -> None:
        """Stop watching and count every expected notebook (each has an outcome by now)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.mark(self.expected)

    def __enter__(self) -> NotebookWatch:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.finish()


def watch_instructor(instructor: Path, by_lesson: dict[str, list[str]],
                     advance: Callable[[int], None] | None) -> NotebookWatch:
    """A watch of ``instructor/autograded`` for the notebooks of ``by_lesson`` (grading in one process)."""
    expected = {(s, lesson) for lesson, students in by_lesson.items() for s in students}
    return NotebookWatch(instructor, "autograded/*/*/*.ipynb", expected, advance)
