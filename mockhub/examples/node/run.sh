#!/bin/sh
# Runs the example suite (bot.test.mjs) against MOCKHUB_BINARY, installing the pinned npm
# packages (package-lock.json) into node_modules first when they are missing. 77 without node.
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
MOCKHUB=$1 exec node --test bot.test.mjs
