#!/usr/bin/env bash
# `make lab-instructor`: JupyterLab on the whole repository, with everything: nbgrader's formgrader and
# Create Assignment panel, and the grading kernel (found through the repo's nbgrader_config.py).
#
# usage: tools/instructor_lab.sh [more `jupyter lab` arguments...]
#
# The instructor folder (instructor/, or $BACKPROP_INSTRUCTOR_DIR) is created first: on a fresh clone it does
# not exist, and formgrader's SQLite gradebook cannot be created in a missing folder.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${BACKPROP_BIN:-$repo/.venv/bin}"
mkdir -p "${BACKPROP_INSTRUCTOR_DIR:-$repo/instructor}"
export PATH="$bin:$PATH"
extra=()
[ "$(id -u)" = 0 ] && extra+=(--allow-root)
cd "$repo"  # nbgrader's server extensions read nbgrader_config.py from the working directory
exec "$bin/jupyter" lab ${extra[@]+"${extra[@]}"} "$@"
