"""Can a stranger's notebook take over the grading machine, or score without solving? (sandbox on)

One class of lesson-01 submissions is graded once through ``python -m
autograder grade`` (the command an instructor runs), with the sandbox on and
two workers. Beside a reference and a blank control, each attacker is a
blank notebook plus one attack, taken from what was shown to work against
earlier versions of the grader: escapes through /proc and /sys, the host's
ports, other kernels' sockets and the grader's environment, every path by
which a verdict used to fail open, predicting the hidden inputs, calling or
copying the library's reference, and floods of disk, memory, output and time.

Each attacker must score exactly what the blank notebook scores, the controls
must be untouched, and nothing outside the kernels' scratch space may change
(``/proc/sys/kernel/core_pattern`` above all: it belongs to the machine).
"""
from __future__ import annotations

import hashlib
import inspect
import os
import re
import socket
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import nbformat
import numpy as np
import pytest
from conftest import require_sandbox

from autograder import demo, layout, sandbox
from autograder.secret import course_secret, secret_path
from backprop_lib.nn import activations
from backprop_lib.checking import gradcheck
from backprop_lib.exercises import hidden_rng, lesson01

pytestmark = pytest.mark.slow
L = "01_derivatives"
FULL = sum(demo.graded_tasks(L).values())
CORE_PATTERN = Path("/proc/sys/kernel/core_pattern")
#: A value in the grader's environment that no notebook may see (a database password, say).
CANARY = "canary-db-password-5b1f0c"


def blank_plus(*cells: str, replace: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """The blank student notebook, solutions replaced by ``replace``, with ``cells`` added after the imports."""
    nb = demo.submission(L, replace or {})
    first = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    for offset, source in enumerate(cells, start=1):
        nb.cells.insert(first + offset, nbformat.v4.new_code_cell(source))
    return nb


def reach_out(port: int) -> str:
    """Tries everything a kernel on the host could reach; prints a dict of outcomes."""
    return textwrap.dedent(f"""
        import glob, os, socket
        seen = {{}}
        try:
            socket.create_connection(("127.0.0.1", {port}), timeout=2).close()
            seen["host port"] = "CONNECTED"
        except OSError as e:
            seen["host port"] = "refused"
        # its own socket folder is bound in at its path (/tmp/bpk-*): it must be the only one
        seen["kernel folders"] = len(glob.glob("/tmp/bpk-*")) + len(glob.glob("/root/.local/share/jupyter/runtime/*"))
        seen["environment"] = "{CANARY[:6]}" + ("FOUND" if any("{CANARY}" in v for v in os.environ.values()) else "-")
        try:  # process 1 of the sandbox is bwrap itself: its environment must be empty of the grader's too
            seen["process 1"] = "{CANARY[:6]}" + ("FOUND" if b"{CANARY}" in open("/proc/1/environ", "rb").read() else "-")
        except OSError as e:
            seen["process 1"] = type(e).__name__
        seen["processes"] = sorted(p for p in os.listdir("/proc") if p.isdigit())
        for path in ["{secret_path()}", "{layout.SOLUTIONS / L / (L + '.ipynb')}", "/etc/shadow", "/root"]:
            try:
                seen[path] = "READ" if open(path, "rb").read(1) is not None else "?"
            except OSError as e:
                seen[path] = type(e).__name__
        print("SEEN", seen)
    """)


ESCAPE = textwrap.dedent("""
    import os, signal, subprocess
    tried = {}
    for path, text in [("/proc/sys/kernel/core_pattern", "|/tmp/pwn.sh %p"), ("/proc/sys/kernel/hostname", "pwned"),
                       ("/sys/fs/cgroup/cgroup.procs", "1"), ("/proc/self/oom_score_adj", "-1000")]:
        try:
            with open(path, "w") as fh:
                fh.write(text)
            tried[path] = "WROTE"
        except OSError as e:
            tried[path] = type(e).__name__
    with open("/tmp/pwn.sh", "w") as fh:
        fh.write("#!/bin/sh\\ntouch /tmp/pwned-by-core-pattern\\n")
    os.chmod("/tmp/pwn.sh", 0o755)
    child = subprocess.Popen(["python", "-c", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"])
    child.wait()
    print("ESCAPE", tried)
""")

#: Writes 1 GiB, in files under the size limit, wherever it may be writable; prints where it got how far.
FILL_EVERYWHERE = textwrap.dedent("""
    import os
    wrote = {}
    for folder in [".", "/tmp", "/dev/shm", "/work", "/root", "/home", "/"]:
        total = 0
        try:
            for i in range(32):
                with open(os.path.join(folder, f"fill{i}.bin"), "wb") as fh:
                    for _ in range(32):
                        fh.write(b"x" * 2**20)
                        total += 1
        except OSError as e:
            wrote[folder] = f"{total} MB then {type(e).__name__}"
        else:
            wrote[folder] = f"{total} MB"
    print("FILLED", wrote)
""")

#: Catches the watch's first sighting of the reference, then calls it again (a profiler that raises is dropped).
SWALLOWS_THE_CATCH = {
    "central_difference": textwrap.dedent("""
        from backprop_lib.checking import gradcheck

        def central_difference(f, x, h=1e-5):
            try:
                gradcheck.central_difference(f, x, h)
            except BaseException:
                pass
            return gradcheck.central_difference(f, x, h)
    """),
    "sigmoid_prime": textwrap.dedent("""
        from backprop_lib.nn import activations

        def sigmoid_prime(z):
            try:
                activations.sigmoid_prime(z)
            except BaseException:
                pass
            return activations.sigmoid_prime(z)
    """)}

#: The reference on a thread reached through another module (queue.threading), out of the first watch's sight.
THREAD_VIA_QUEUE = textwrap.dedent("""
    import queue
    from backprop_lib.nn import activations

    def sigmoid_prime(z):
        out = []
        worker = queue.threading.Thread(target=lambda: out.append(activations.sigmoid_prime(z)))
        worker.start()
        worker.join()
        return out[0]
""")

#: Every callable of the course library answers True: each check call then prints True before any error.
EVERYTHING_TRUE = textwrap.dedent("""
    import backprop_lib, pkgutil
    for info in pkgutil.walk_packages(backprop_lib.__path__, "backprop_lib."):
        module = __import__(info.name, fromlist=["x"])
        for name in list(vars(module)):
            if callable(vars(module)[name]) and not name.startswith("__"):
                setattr(module, name, lambda *a, **k: True)
    for name in list(dir()):
        if name.startswith("check_"):
            exec(f"{name} = lambda *a, **k: True")
""")

#: Deep enough that parsing it overflows the grader's stack, then the checks are rebound.
DEEP_THEN_REBIND = "x = " + " + ".join(["1"] * 5000) + "\ncheck_dL_dw = check_sigmoid_prime = lambda *a, **k: True"

#: Correct in the notebook, but hangs once the last cell has run, i.e. when the grader calls it.
HANG_FOR_THE_GRADER = {task: src.replace('"""\n', '"""\n    while STATE["done"]:\n        pass\n', 1)
                       for task, src in demo.solution_sources(L).items()}
HANG_LAST_CELL = 'STATE["done"] = True'


def old_recipe_table() -> str:
    """A dL_dw that answers from a table of the hidden inputs as the old, secret-less recipe drew them.

    Built "at home" for its own id, with the kernel's public stream and the
    visible self-check's inputs too, so the kernel's own run prints a pass.
    """
    answers = {}

    def record(w, x, b, y):
        a = 1 / (1 + np.exp(-(np.asarray(w) * x + b)))
        value = 2 * (a - y) * a * (1 - a) * x
        answers[np.asarray(w, dtype=float).tobytes().hex()] = np.asarray(value, dtype=float).tolist()
        return value

    import hashlib as _h
    old = np.random.default_rng(int.from_bytes(_h.sha256(b"predicts-hidden-inputs/dL_dw").digest()[:8], "little"))
    for rng in (None, old, hidden_rng("dL_dw")):
        lesson01.check_dL_dw(record, rng=rng)
    return textwrap.dedent(f"""
        TABLE = {answers!r}

        def dL_dw(w, x, b, y):
            key = np.asarray(w, dtype=float).tobytes().hex()
            return np.array(TABLE[key]) if key in TABLE else np.zeros_like(np.asarray(w, dtype=float))
    """)


def fishing_table() -> str:
    """Right on every input the notebook's own run uses; on any other (the grader's) raises, printing its arguments.

    Hidden inputs stay the same on every regrade, so if the feedback showed
    them, a student could collect them one regrade at a time.
    """
    table = old_recipe_table().replace("else np.zeros_like(np.asarray(w, dtype=float))",
                                       "else _fish(w, x, b, y)")
    return table + textwrap.dedent("""

        def _fish(w, x, b, y):
            raise ValueError("FISHED " + repr([np.asarray(v).tolist() for v in (w, x, b, y)]))
    """)


def pasted(function, renames: dict[str, str]) -> str:
    """The library's source of ``function`` pasted as a student would: annotations dropped, names changed."""
    src = textwrap.dedent(inspect.getsource(function))
    body = src[src.index(":\n", src.index(")")) + 2:]
    params = [f"{p.name}=H" if p.default is not p.empty else p.name
              for p in inspect.signature(function).parameters.values()]
    text = f"def {function.__name__}({', '.join(params)}):\n{body}"
    for old, new in renames.items():
        text = re.sub(rf"\b{old}\b", new, text)
    # two blank lines more than the library has before it: the copy starts on another line
    return f"H = 1e-5\nfrom backprop_lib.nn.activations import sigmoid\n\n\n\n{text}"


def attackers(port: int) -> dict[str, nbformat.NotebookNode]:
    """``{student: notebook}``: each a blank notebook plus one attack."""
    sleepy = [f"import time\ntime.sleep(8)  # {i}" for i in range(8)]
    return {
        # 1. escape to the host, through /proc and /sys
        "escapes-through-proc": blank_plus(ESCAPE),
        # 2. the host's ports, other kernels' sockets, the grader's environment and files
        "reaches-the-host": blank_plus(reach_out(port)),
        # 3. every path by which a verdict used to fail open
        "answers-true-first": blank_plus(EVERYTHING_TRUE),
        "parses-too-deep-then-rebinds": blank_plus(DEEP_THEN_REBIND),
        "hangs-only-for-the-grader": blank_plus('STATE = {"done": False}', replace=HANG_FOR_THE_GRADER),
        # 4. hidden inputs computed in advance
        "predicts-hidden-inputs": blank_plus(replace={"dL_dw": old_recipe_table()}),
        # 5. the library's reference: copied, aliased, through a string, symbolically
        "copies-the-library": blank_plus(replace={
            "central_difference": pasted(gradcheck.central_difference, {"x": "point", "f": "fn"}),
            "sigmoid_prime": pasted(activations.sigmoid_prime, {"s": "act"})}),
        "aliases-the-reference": blank_plus(replace={
            "sigmoid_prime": "from backprop_lib.nn.activations import sigmoid_prime as sp_\nsigmoid_prime = sp_"}),
        "evaluates-a-string": blank_plus(replace={
            "central_difference": "import sympy\ncentral_difference = sympy.sympify("
                                  "'__import__(\"backprop_lib.checking.gradcheck\").checking.gradcheck.central_difference')"}),
        "swallows-the-first-catch": blank_plus(replace=SWALLOWS_THE_CATCH),
        "threads-through-queue": blank_plus(replace={"sigmoid_prime": THREAD_VIA_QUEUE}),
        "fishes-for-hidden-inputs": blank_plus(replace={"dL_dw": fishing_table()}),
        "asks-sympy-for-dL_dw": blank_plus(replace={
            "dL_dw": "from backprop_lib.checking.symbolic import Symbolic, sigmoid\n\ndef dL_dw(w, x, b, y):\n"
                     "    f = Symbolic(lambda w, x, b, y: (sigmoid(w * x + b) - y) ** 2, 'w x b y')\n"
                     "    return f.grad('w')(w, x, b, y)"}),
        # 6. floods
        "fills-the-disk": blank_plus(FILL_EVERYWHERE),
        "eats-memory": blank_plus("import numpy as np\nhog = np.ones(20 * 2**30 // 8)"),
        "floods-output": blank_plus("import time\nend = time.time() + 8\nwhile time.time() < end:\n"
                                    "    print('x' * 10000)"),
        "sleeps-in-every-cell": blank_plus(*sleepy),
    }


def files_digest(paths: list[Path]) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths if p.is_file()}


#: Files the attackers write in their /tmp: none may appear in the host's.
DROPPED = ("/tmp/pwn.sh", "/tmp/pwned-by-core-pattern")


def host_tmp() -> set[str]:
    return {path for path in DROPPED if Path(path).exists()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    require_sandbox()
    root = tmp_path_factory.mktemp("adversarial")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.2)
    connections: list[str] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
                connections.append("connected")
                conn.close()
            except OSError:
                continue
    watcher = threading.Thread(target=accept, daemon=True)
    watcher.start()
    subs = root / "subs"
    students = {"correct": demo.submission(L, demo.solution_sources(L)), "blank": demo.submission(L, {}),
                **attackers(listener.getsockname()[1])}
    assert sorted(students) == sorted(["correct", "blank", *ATTACKERS])
    hang = students["hangs-only-for-the-grader"]
    hang.cells.append(nbformat.v4.new_code_cell(HANG_LAST_CELL))
    for student, nb in students.items():
        path = subs / student / L / f"{L}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
    protected = [layout.SOLUTIONS / L / f"{L}.ipynb", layout.REPO / "backprop_lib" / "checking" / "gradcheck.py",
                 secret_path()]
    course_secret(create=True)
    before = (CORE_PATTERN.read_text(), files_digest(protected), host_tmp())
    env = dict(os.environ, BACKPROP_CANARY=CANARY, BACKPROP_NOTEBOOK_BUDGET="40", BACKPROP_VERIFY_TIMEOUT="5",
               BACKPROP_VERIFY_BUDGET="20")
    instructor = root / "instructor"
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", str(subs), "--instructor", str(instructor),
                           "--timeout", "10", "--workers", "2"], cwd=layout.REPO, env=env,
                          capture_output=True, text=True, timeout=1800)
    after = (CORE_PATTERN.read_text(), files_digest(protected), host_tmp())
    stop.set()
    watcher.join()
    listener.close()
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    scores = {}
    for line in (instructor / "grades_by_exercise.csv").read_text().splitlines()[1:]:
        student, _, _, score, _ = line.split(",")
        scores[student] = scores.get(student, 0.0) + float(score)
    return {"scores": scores, "instructor": instructor, "before": before, "after": after,
            "connections": connections, "students": students}


def printed(graded, student: str) -> str:
    nb = nbformat.read(graded["instructor"] / "autograded" / student / L / f"{L}.ipynb", as_version=4)
    return "".join(str(o.get("text", "")) + str(o.get("ename", "")) + ": " + str(o.get("evalue", ""))
                   for c in nb.cells for o in c.get("outputs", []))


def feedback(graded, student: str) -> str:
    html = layout.feedback_path(graded["instructor"], student, L).read_text()
    text = re.sub(r"<[^>]+>", "", re.sub(r"<style.*?</style>", "", html, flags=re.S))
    return text.replace("&#39;", "'").replace("&quot;", '"')


def test_the_controls_are_untouched(graded):
    assert graded["scores"]["correct"] == FULL
    assert graded["scores"]["blank"] == 0


ATTACKERS = ["escapes-through-proc", "reaches-the-host", "answers-true-first", "parses-too-deep-then-rebinds",
             "hangs-only-for-the-grader", "predicts-hidden-inputs", "copies-the-library", "aliases-the-reference",
             "evaluates-a-string", "asks-sympy-for-dL_dw", "swallows-the-first-catch", "threads-through-queue",
             "fishes-for-hidden-inputs", "fills-the-disk", "eats-memory", "floods-output", "sleeps-in-every-cell"]


@pytest.mark.parametrize("student", ATTACKERS)
def test_an_attacker_scores_what_a_blank_notebook_scores(graded, student):
    assert graded["scores"][student] == graded["scores"]["blank"] == 0, feedback(graded, student)


def test_nothing_outside_the_scratch_space_changed(graded):
    before, after = graded["before"], graded["after"]
    assert after[0] == before[0], "kernel.core_pattern changed: restore it by hand"
    assert after[1] == before[1], "the solutions, the library or the course secret changed"
    assert not after[2], f"an attacker's files reached the host's /tmp: {after[2]}"


def test_proc_and_sys_are_read_only_from_inside(graded):
    tried = printed(graded, "escapes-through-proc").split("ESCAPE", 1)[1]
    for path in ("/proc/sys/kernel/core_pattern", "/sys/fs/cgroup/cgroup.procs"):
        assert f"'{path}': 'WROTE'" not in tried and path in tried, tried


def test_the_host_its_ports_other_kernels_and_the_graders_secrets_are_out_of_reach(graded):
    seen = printed(graded, "reaches-the-host").split("SEEN", 1)[1]
    assert "'host port': 'refused'" in seen and not graded["connections"]
    assert "'kernel folders': 1," in seen
    assert "FOUND" not in seen and CANARY not in printed(graded, "reaches-the-host")
    assert "'process 1': 'canary-'" in seen or "'process 1': 'Permission" in seen, seen
    assert "READ" not in seen, seen
    pids = re.search(r"'processes': \[([^\]]*)\]", seen).group(1)
    assert len(pids.split(",")) <= 8, f"the kernel sees processes beyond its own: {pids}"


def test_output_before_an_error_does_not_score(graded):
    text = feedback(graded, "answers-true-first")
    assert "changes" in text and "scores 0" in text


def test_a_cell_the_grader_cannot_parse_fails_closed(graded):
    assert "cannot be read by the grader" in feedback(graded, "parses-too-deep-then-rebinds")


def test_a_function_that_hangs_for_the_grader_fails_with_a_reason(graded):
    assert "could not be judged in the grader's time" in feedback(graded, "hangs-only-for-the-grader")


def test_a_table_of_predicted_hidden_inputs_fails(graded):
    text = feedback(graded, "predicts-hidden-inputs")
    assert "dL_dw" in text and "passed (judged by the grader" not in text.split("dL_dw", 1)[1][:2000]


@pytest.mark.parametrize("student, words", [
    ("copies-the-library", "calls the course library's own central_difference (or a copy of its code)"),
    ("aliases-the-reference", "calls the course library's own sigmoid_prime"),
    ("evaluates-a-string", "calls sympify (runs code from a string)"),
    ("asks-sympy-for-dL_dw", "calls the course library's own grad"),
    ("swallows-the-first-catch", "calls the course library's own central_difference"),
    ("threads-through-queue", "reaches the module threading through .threading")])
def test_reference_use_is_named(graded, student, words):
    assert words in feedback(graded, student)


def test_the_grader_never_shows_a_hidden_input_even_when_the_function_prints_its_arguments(graded):
    """The kernel's own run passes (public inputs); the grader's inputs make it raise with its arguments."""
    text = feedback(graded, "fishes-for-hidden-inputs")
    assert "FISHED [" not in text and "fails the grader's hidden tests" in text  # (its source says "FISHED " + ...)
    assert "FISHED [" not in printed(graded, "fishes-for-hidden-inputs")


def test_floods_are_cut_with_a_reason_and_cost_the_grader_little(graded):
    filled = printed(graded, "fills-the-disk").split("FILLED", 1)[1]
    limit = sandbox.Limits.from_env().tmpfs_bytes // 2**20
    for folder, got in re.findall(r"'([^']+)': '(\d+) MB", filled):
        assert int(got) <= limit, f"{folder}: {got} MB written"
    assert "'/work': '0 MB" in filled and "'/': '0 MB" in filled
    assert "MemoryError" in printed(graded, "eats-memory")
    flooded = graded["instructor"] / "autograded" / "floods-output" / L / f"{L}.ipynb"
    assert flooded.stat().st_size < 8 * 2**20
    assert "output cut" in printed(graded, "floods-output")
    assert "time budget" in printed(graded, "sleeps-in-every-cell")
