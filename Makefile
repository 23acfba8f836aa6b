# The two commands a newcomer needs: `make lab` (work the course) and `make test` (check everything).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q
PORT   ?= 8888
# the student's own copy of the lessons (git-ignored): `make lab` opens JupyterLab on it
WORKSPACE ?= work

.PHONY: lab lab-instructor playground test course grade benchmarks clean-instructor

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Stamps record what was installed, so a second `make` is instant and a changed pyproject reinstalls.
$(VENV)/.run: pyproject.toml | $(BIN)/python
	$(PIP) install -e . 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/python -c "import backprop_lib, nbgrader, ipywidgets, jupyterlab"
	@for ext in validate_assignment assignment_list course_list formgrader; do \
	  $(BIN)/jupyter server extension enable --sys-prefix nbgrader.server_extensions.$$ext >/dev/null 2>&1; done
	$(BIN)/jupyter labextension enable @jupyter/nbgrader >/dev/null
	$(BIN)/jupyter labextension enable @jupyter-widgets/jupyterlab-manager >/dev/null
	touch $@

$(VENV)/.dev: $(VENV)/.run pyproject.toml
	$(PIP) install -e ".[dev,oracle,postgres]" 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/python -c "import pytest, hypothesis, playwright, torch, psycopg"
	touch $@

## make lab: install the course into .venv, copy the lessons into your workspace work/ (never
## overwriting your work) and open JupyterLab on it
lab: $(VENV)/.run
	tools/student_lab.sh $(WORKSPACE) --port=$(PORT)

## make lab-instructor: JupyterLab on the whole repo (solutions/, nbgrader's formgrader, the grading kernel)
lab-instructor: $(VENV)/.run
	tools/instructor_lab.sh --port=$(PORT)

## make playground: every widget of the course on one web page (Voila), nothing to solve; the page's
## address holds the widgets' state, to share. PLAYGROUND_PORT (default 8866) sets its port.
playground: $(VENV)/.run
	tools/playground.sh --port=$(or $(PLAYGROUND_PORT),8866)

## make test: install the dev extras (and, as root, Debian's postgresql for tests/test_postgres.py) and run the whole suite
test: $(VENV)/.dev
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || tools/ensure_debian_package.sh postgresql /usr/bin/pg_ctlcluster || true
	$(BIN)/python -m pytest

## make course: regenerate course/ from solutions/ with nbgrader
course: $(VENV)/.run
	$(BIN)/python -m autograder course

## make grade [SUBMISSIONS=folder]: autograde a class (default: the bundled demo class)
## Students' notebooks run in bubblewrap: installed here when missing (as root), else grading says what to install.
grade: $(VENV)/.run
	@tools/ensure_debian_package.sh bubblewrap /usr/bin/bwrap || true
	$(BIN)/python -m autograder grade $(SUBMISSIONS)

## make benchmarks: run every benchmark script and print its ratios
benchmarks: $(VENV)/.dev
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean-instructor:
	rm -rf instructor
