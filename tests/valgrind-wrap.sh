#!/usr/bin/env bash
# meson's valgrind test setup runs every test through this wrapper. Criterion runs each test in a
# worker process and ignores a worker's valgrind exit code, so valgrind writes one log per process
# and the wrapper fails the test when any log reports an error or a leak.
set -u
logdir=$(mktemp -d "${TMPDIR:-/tmp}/lq-valgrind.XXXXXX")
supp="$(dirname "$0")/valgrind.supp"
valgrind --trace-children=yes --leak-check=full \
    --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible \
    --error-exitcode=3 --suppressions="$supp" --log-file="$logdir/vg.%p" "$@"
rc=$?
bad=0
for f in "$logdir"/vg.*; do
    [ -e "$f" ] || continue
    if grep -qE 'ERROR SUMMARY: [1-9]' "$f"; then
        bad=1
        echo "valgrind reported errors ($f):" >&2
        cat "$f" >&2
    fi
done
rm -rf "$logdir"
[ $bad -eq 0 ] || exit 3
exit $rc
