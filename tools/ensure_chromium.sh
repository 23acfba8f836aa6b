#!/usr/bin/env bash
# Make sure Debian's chromium is installed at /usr/bin/chromium, for the browser tests.
#
# Exit 0 when /usr/bin/chromium exists (already, or after installing it).
# As root, installs it with apt-get (Debian's own package: never a browser
# download of Playwright's). Otherwise prints what to install and exits 1.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
HINT="sudo apt-get update && sudo apt-get install -y chromium"

if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "chromium is missing at $CHROMIUM; install Debian's package: $HINT" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium is missing at $CHROMIUM and apt-get is not available: install chromium with your package manager" >&2
  exit 1
fi
echo "installing Debian's chromium (apt-get install chromium) for the browser tests..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
if [ ! -x "$CHROMIUM" ]; then
  echo "apt-get finished but $CHROMIUM is still missing: $HINT" >&2
  exit 1
fi
echo "chromium installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
