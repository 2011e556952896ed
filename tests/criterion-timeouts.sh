#!/bin/sh
# Fails when one Criterion test file gives its tests different .timeout values.
# BoxFort (bundled in Criterion 2.4) keeps pending test timeouts in a list sorted by deadline, and
# inserting a shorter deadline ahead of a longer one drops the rest of that list
# (bxfi_push_timeout sets *nptr = req without linking req->next). The runner then leaks those
# 48-byte requests, which LeakSanitizer reports at exit and, with abort_on_error=1, turns into a
# SIGABRT of the whole test binary (CI, ASan stage). Equal timeouts always append, so one value
# per file is safe. Usage: criterion-timeouts.sh FILE...
# One awk over every file (a grep pipeline per file took 6-14 s of --quick on a busy machine).
awk '
    FNR == 1 { if (prev != "") check(prev); prev = FILENAME; n = 0; delete seen; list = "" }
    {
        line = $0
        while (match(line, /\.timeout *= *[0-9.]*/)) {
            v = substr(line, RSTART, RLENGTH); gsub(/ /, "", v)
            if (!(v in seen)) { seen[v] = 1; n++; list = list v " " }
            line = substr(line, RSTART + RLENGTH)
        }
    }
    function check(f) {
        if (n > 1) {
            printf "%s: tests use different .timeout values (%s); use one value per file (see this script)\n", f, list > "/dev/stderr"
            bad = 1
        }
    }
    END { if (prev != "") check(prev); exit bad }
' "$@"
