#!/usr/bin/env bash
# Make sure Debian's chromium is installed at /usr/bin/chromium, for the browser tests
# (never a browser download of Playwright's).
exec "$(dirname "$0")/ensure_debian_package.sh" chromium /usr/bin/chromium
