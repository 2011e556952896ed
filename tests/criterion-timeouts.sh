#!/bin/sh
# Fails when one Criterion test file gives its tests different .timeout values.
# BoxFort (bundled in Criterion 2.4) keeps pending test timeouts in a list sorted by deadline, and
# inserting a shorter deadline ahead of a longer one drops the rest of that list
# (bxfi_push_timeout sets *nptr = req without linking req->next). The runner then leaks those
# 48-byte requests, which LeakSanitizer reports at exit and, with abort_on_error=1, turns into a
# SIGABRT of the whole test binary (CI, ASan stage). Equal timeouts always append, so one value
# per file is safe. Usage: criterion-timeouts.sh FILE...
status=0
for f in "$@"; do
    n=$(grep -o '\.timeout *= *[0-9.]*' "$f" | tr -d ' ' | sort -u | wc -l)
    if [ "$n" -gt 1 ]; then
        echo "$f: tests use different .timeout values ($(grep -o '\.timeout *= *[0-9.]*' "$f" |
            tr -d ' ' | sort -u | tr '\n' ' ')); use one value per file (see this script)" >&2
        status=1
    fi
done
exit $status
