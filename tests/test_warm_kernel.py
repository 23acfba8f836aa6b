"""Is a grading kernel started ahead of its notebook indistinguishable from one started on demand, and never shared?

The grading executor starts the next notebook's sandboxed kernel while the
current notebook runs (:mod:`autograder.preprocessors.resilient_execute`).
Three notebooks run one after the other in this process, as nbgrader runs
them: the first leaves traces everywhere a student could (a file in /tmp and
in its home, an environment variable, a module attribute, a background
thread); the second, in the kernel started ahead, must see none of them and
run as another uid in another process; the third runs in a kernel started
on demand, and what the student's code can observe of its interpreter
(modules loaded, globals, environment, working folder, its files) must be
the same as the second's.
"""
from __future__ import annotations

import json
import os

import nbformat
import pytest
from conftest import REPO, require_sandbox

from autograder.preprocessors import resilient_execute
from autograder.preprocessors.resilient_execute import ResilientExecute
from autograder.secret import course_secret

pytestmark = pytest.mark.slow

LEAVE_TRACES = """
import os, sys, threading, time, json
open('/tmp/left-behind', 'w').write('x')
open(os.path.expanduser('~/left-behind'), 'w').write('x')
os.environ['LEFT_BEHIND'] = '1'
sys.left_behind = True
threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
print(json.dumps({'pid': os.getpid(), 'uid': os.getuid()}))
"""

OBSERVE = """
import os, sys, json, threading
print(json.dumps({
    'pid': os.getpid(), 'uid': os.getuid(), 'cwd': os.getcwd(),
    'traces': [os.path.exists('/tmp/left-behind'), os.path.exists(os.path.expanduser('~/left-behind')),
               'LEFT_BEHIND' in os.environ, hasattr(sys, 'left_behind')],
    'threads': threading.active_count(),
    'modules': sorted(m for m in sys.modules if not m.startswith('_')),
    'globals': sorted(k for k in globals() if not k.startswith('_')),
    'env': sorted(os.environ), 'home': sorted(os.listdir(os.path.expanduser('~'))), 'tmp': sorted('bpk-*' if n.startswith('bpk-') else n for n in os.listdir('/tmp')),  # bpk-*: its sockets' folder
}))
"""


def run(source: str, tmp_path, name: str) -> dict:
    """One notebook of one code cell through a fresh executor (as nbgrader makes one per notebook); its JSON output."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    path = tmp_path / name
    path.mkdir()
    ex = ResilientExecute(kernel_name="backprop-grading", timeout=30)
    ex.preprocess(nb, {"nbgrader": {"assignment": "none"}, "metadata": {"path": str(path)}})
    text = "".join(o.get("text", "") for o in nb.cells[0].outputs if o.output_type == "stream")
    return json.loads(text.strip().splitlines()[-1])


def test_a_kernel_started_ahead_is_a_fresh_one_of_its_own(tmp_path, monkeypatch):
    require_sandbox()
    course_secret(create=True)
    monkeypatch.setenv("JUPYTER_PATH", str(REPO / "autograder"))
    monkeypatch.setenv("BACKPROP_WARM_KERNEL", "1")
    first = run(LEAVE_TRACES, tmp_path, "first")
    assert resilient_execute._spare is not None, "the next kernel was started while the first notebook ran"
    ahead = run(OBSERVE, tmp_path, "second")
    monkeypatch.setenv("BACKPROP_WARM_KERNEL", "0")
    resilient_execute._discard_spare()  # the third kernel is started on demand
    on_demand = run(OBSERVE, tmp_path, "third")
    assert ahead["traces"] == [False, False, False, False]
    if os.geteuid() == 0:  # as root, each kernel runs as a uid of its own
        assert len({first["uid"], ahead["uid"], on_demand["uid"]}) == 3
    for key in ("cwd", "traces", "threads", "modules", "globals", "env", "home", "tmp"):
        assert ahead[key] == on_demand[key], key
