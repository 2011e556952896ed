#!/bin/sh
# strace-wrap.sh PREFIX PROGRAM ARGS...: runs PROGRAM under `strace -f -ff` (one trace file per
# thread, PREFIX.TID) and passes SIGTERM/SIGINT on to it: strace started with -o blocks those
# signals itself, so the test harness could not stop the traced landq. Used by seccomp.py.
prefix=$1
shift
strace -f -ff -qq -o "$prefix" "$@" &
s=$!
trap 'pkill -TERM -P "$s"' TERM INT
wait "$s"
rc=$?
# wait returns early (status > 128) when the trap ran; wait again for strace's real exit status
while kill -0 "$s" 2>/dev/null; do
    wait "$s"
    rc=$?
done
exit "$rc"
