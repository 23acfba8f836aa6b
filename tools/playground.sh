#!/usr/bin/env bash
# `make playground`: every widget of the course on one web page (Voila), on the library's reference code.
#
# usage: tools/playground.sh [more `voila` arguments, e.g. --port=8866 --no-browser]
#
# Serves playground/playground.ipynb with the playground's Voila template (playground/voila/templates/playground:
# nothing loaded from outside this machine; the page's address follows the widgets' state). Listens on
# 127.0.0.1 only. Of the JupyterLab extensions installed, only the widgets' are loaded (nbgrader's do not fit a page). The page's URL, with the widgets' state in its query, is what a learner shares.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${BACKPROP_BIN:-$repo/.venv/bin}"
# the playground's template folder first; the grading kernel (autograder/kernels) is never on this path
export JUPYTER_PATH="$repo/playground"
export PATH="$bin:$PATH"
echo "Opening the backpropagation playground (the URL is printed below; Ctrl-C stops it)"
exec "$bin/voila" "$repo/playground/playground.ipynb" --template=playground --Voila.ip=127.0.0.1 \
  --VoilaConfiguration.file_allowlist='[]' \
  --VoilaConfiguration.extension_allowlist='["@jupyter-widgets/jupyterlab-manager", "@voila-dashboards/widgets-manager8"]' \
  "$@"
