#!/bin/sh
# Runs the queue page's browser tests (browser.mjs) in Debian's Chromium, installing the pinned
# puppeteer-core (package-lock.json) into tests/browser/node_modules first when it is missing or
# older than the lock file. Arguments go to browser.mjs. Exit 77 (skip) without node or Chromium.
set -eu
cd "$(dirname "$0")"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "SKIP: node/npm not installed (scripts/deps.sh installs them)"
    exit 77
fi
if ! command -v chromium >/dev/null 2>&1; then
    echo "SKIP: Chromium not installed (Debian package chromium; scripts/deps.sh installs it)"
    exit 77
fi
if [ ! -f node_modules/.landq-installed ] || [ package-lock.json -nt node_modules/.landq-installed ]; then
    # puppeteer-core never downloads a browser; Debian's chromium is used
    PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
    touch node_modules/.landq-installed
fi
exec node browser.mjs "$@"
