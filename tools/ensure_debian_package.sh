#!/usr/bin/env bash
# Make sure a Debian package's command is installed: tools/ensure_debian_package.sh PACKAGE COMMAND_PATH
#
# Exit 0 when COMMAND_PATH exists (already, or after installing PACKAGE).
# As root, installs it with apt-get; otherwise prints what to install and exits 1.
set -euo pipefail

PACKAGE=$1
COMMAND=$2
HINT="sudo apt-get update && sudo apt-get install -y $PACKAGE"

if [ -x "$COMMAND" ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "$COMMAND is missing; install Debian's package: $HINT" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "$COMMAND is missing and apt-get is not available: install $PACKAGE with your package manager" >&2
  exit 1
fi
echo "installing Debian's $PACKAGE (apt-get install $PACKAGE)..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "$PACKAGE" >/dev/null
if [ ! -x "$COMMAND" ]; then
  echo "apt-get finished but $COMMAND is still missing: $HINT" >&2
  exit 1
fi
echo "$PACKAGE installed: $COMMAND"
