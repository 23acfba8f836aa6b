#!/usr/bin/env bash
# `make lab`: seed the student's workspace from course/ as committed, then open JupyterLab on it, as a student's.
#
# usage: tools/student_lab.sh [WORKSPACE] [more `jupyter lab` arguments...]
#
# The workspace (default work/, git-ignored) is seeded and updated by autograder/workspace.py: a notebook the
# student has touched is never overwritten. JupyterLab runs with autograder/student_lab/ as its working and
# configuration directory: Validate and the course kernel, no grading kernel, no instructor panels (see the
# README there). JupyterLab's user settings stay in the user's usual folder.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${BACKPROP_BIN:-$repo/.venv/bin}"
workspace="$("$bin/python" -c 'import os, sys; print(os.path.abspath(sys.argv[1]))' "${1:-$repo/work}")"
[ $# -gt 0 ] && shift

"$bin/python" -m autograder.workspace "$workspace"

config="$repo/autograder/student_lab"
user_config="$("$bin/jupyter" --config-dir)"
export JUPYTERLAB_SETTINGS_DIR="${JUPYTERLAB_SETTINGS_DIR:-$user_config/lab/user-settings}"
export JUPYTERLAB_WORKSPACES_DIR="${JUPYTERLAB_WORKSPACES_DIR:-$user_config/lab/workspaces}"
export JUPYTER_CONFIG_DIR="$config"
# the grading kernel lives in autograder/kernels: never on a student's kernel path
if [ -n "${JUPYTER_PATH:-}" ]; then
  kept=""
  IFS=':' read -r -a entries <<< "$JUPYTER_PATH"
  for entry in "${entries[@]}"; do
    [ -n "$entry" ] && [ "$(cd "$entry" 2>/dev/null && pwd -P)" = "$(cd "$repo/autograder" && pwd -P)" ] && continue
    kept="${kept:+$kept:}$entry"
  done
  export JUPYTER_PATH="$kept"
fi
export PATH="$bin:$PATH"
extra=()
[ "$(id -u)" = 0 ] && extra+=(--allow-root)
cd "$config"
echo "Opening JupyterLab on your workspace $workspace (the URL with its token is printed below; Ctrl-C twice stops it)"
exec "$bin/jupyter" lab --ServerApp.root_dir="$workspace" --LabApp.custom_css=True ${extra[@]+"${extra[@]}"} "$@"
