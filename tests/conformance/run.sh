#!/bin/sh
# Runs the conformance suite (run.mjs) against MOCKHUB_BINARY, installing the pinned npm packages
# (package-lock.json) into tests/conformance/node_modules first if they are missing.
set -eu
cd "$(dirname "$0")"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "node/npm not installed (scripts/deps.sh installs them)"
    exit 77
fi
if [ ! -f node_modules/.mockhub-installed ] || [ package-lock.json -nt node_modules/.mockhub-installed ]; then
    npm ci --no-audit --no-fund --loglevel=error
    touch node_modules/.mockhub-installed
fi
exec node run.mjs "$1"
