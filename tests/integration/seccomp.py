#!/usr/bin/env python3
"""Does landq run under its own systemd unit's system call filter?

deploy/landq.service confines landq with SystemCallFilter= lines. A system call outside the
allowed set kills the service (SIGSYS) in production, which no other test would notice: the
tests run landq without the filter. This test traces landq through real landings (strace -f,
every thread) and checks that every system call it made is allowed by the unit, expanding the
filter's groups with `systemd-analyze syscall-filter` and applying systemd's rules (the first
line sets the mode, later ones add (allow) or remove (~)).

usage: seccomp.py SOURCE_ROOT --mockhub M --landq L --world W
Exit 0 ok, 1 a system call the unit denies (or a failed landing), 77 tools missing (skip).
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def groups_of(analyze):
    """{'@group': [members...]} from `systemd-analyze syscall-filter`."""
    out = subprocess.run([analyze, 'syscall-filter', '--no-pager'], capture_output=True,
                         text=True, check=True).stdout
    groups, cur = {}, None
    for line in out.splitlines():
        if line.startswith('@'):
            cur = groups.setdefault(line.strip(), [])
        elif cur is not None and line.strip() and not line.strip().startswith('#'):
            cur.append(line.strip())
    return groups


def expand(name, groups, seen=None):
    seen = seen or set()
    if not name.startswith('@'):
        return {name}
    if name in seen:
        return set()
    seen.add(name)
    if name not in groups:
        raise SystemExit('seccomp: unknown system call group %s' % name)
    out = set()
    for m in groups[name]:
        out |= expand(m, groups, seen)
    return out


def allowed_by(unit, groups):
    """The allowed set, or None when the unit has no filter. Allow-list mode only: a unit whose
    first SystemCallFilter= line is a deny list is reported as such."""
    allowed, mode = None, None
    for line in open(unit):
        m = re.match(r'\s*SystemCallFilter\s*=\s*(.*)$', line)
        if not m:
            continue
        spec = m.group(1).strip()
        if not spec:  # an empty assignment resets the filter
            allowed, mode = None, None
            continue
        deny = spec.startswith('~')
        names = set()
        for tok in spec.lstrip('~').split():
            names |= expand(tok.split(':')[0], groups)  # "name:errno" sets the errno only
        if mode is None:
            if deny:
                raise SystemExit('seccomp: %s starts with a deny list; this check expects an '
                                 'allow list' % unit)
            mode, allowed = 'allow', set(names)
        elif deny:
            allowed -= names
        else:
            allowed |= names
    return allowed


def traced_calls(files):
    calls, where = set(), {}
    pat = re.compile(r'^(?:\d+\s+)?(?:<\.\.\. )?([a-z_][a-z0-9_]*)(?:\(| resumed>)')
    for f in files:
        for line in open(f, errors='replace'):
            m = pat.match(line)
            if m:
                calls.add(m.group(1))
                where.setdefault(m.group(1), os.path.basename(f))
    return calls, where


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('root')
    ap.add_argument('--mockhub', required=True)
    ap.add_argument('--landq', required=True)
    ap.add_argument('--world', required=True)
    a = ap.parse_args()
    strace, analyze = shutil.which('strace'), shutil.which('systemd-analyze')
    if not strace or not analyze:
        print('skip: needs strace and systemd-analyze (scripts/deps.sh installs them)')
        return 77
    probe = subprocess.run([strace, '-f', '-qq', '-o', os.devnull, 'true'], capture_output=True,
                           text=True)
    if probe.returncode != 0:  # e.g. a container that forbids ptrace
        print('skip: strace cannot trace here: %s' % probe.stderr.strip()[:300])
        return 77
    try:
        groups = groups_of(analyze)
    except (subprocess.CalledProcessError, OSError) as ex:
        print('skip: systemd-analyze syscall-filter failed: %s' % ex)
        return 77
    allowed = allowed_by(os.path.join(a.root, 'deploy', 'landq.service'), groups)
    if allowed is None:
        print('deploy/landq.service has no SystemCallFilter: nothing to check')
        return 0
    tmp = tempfile.mkdtemp(prefix='landq-seccomp-')
    try:
        env = dict(os.environ, LANDQ_E2E_WRAP='sh %s %s/trace' % (
                   os.path.join(HERE, 'strace-wrap.sh'), tmp), LANDQ_E2E_TIMEOUT='60')
        e2e = os.path.join(a.root, 'tests', 'e2e')
        common = ['--mockhub', a.mockhub, '--landq', a.landq, '--world', a.world]
        # landings, refusals, a conflict report (libgit2 over HTTP), GitHub App auth (JWT),
        # metrics and the start-up sweep: the paths a production landq takes
        runs = [[os.path.join(e2e, 'e2e.py')] + common + ['happy', 'missing-owner', 'two-prs'],
                [os.path.join(e2e, 'conflicts.py')] + common + ['one-file'],
                [os.path.join(e2e, 'ops.py')] + common + ['app-landing', 'metrics-and-logs']]
        for cmd in runs:
            r = subprocess.run([sys.executable] + cmd, env=env, capture_output=True, text=True)
            if r.returncode != 0:
                print('seccomp: the traced run failed: %s\n%s%s' % (' '.join(cmd[:2]),
                                                                     r.stdout[-3000:],
                                                                     r.stderr[-3000:]))
                return 1
        files = glob.glob(os.path.join(tmp, 'trace.*'))
        calls, where = traced_calls(files)
        if len(calls) < 20:
            print('seccomp: only %d system calls traced from %d files: is strace working?'
                  % (len(calls), len(files)))
            return 1
        if os.geteuid() == 0:
            # Under the unit landq runs as a DynamicUser. SQLite gives a new journal/WAL file
            # the database's owner only when running as root, so as root this test sees fchown
            # calls the service never makes.
            calls.discard('fchown')
        denied = sorted(calls - allowed)
        print('traced %d threads/processes, %d distinct system calls; the unit allows %d'
              % (len(files), len(calls), len(allowed)))
        if denied:
            for c in denied:
                print('DENIED by deploy/landq.service: %s (first seen in %s)' % (c, where[c]))
            print('landq would be killed with SIGSYS under systemd: allow these calls in '
                  'SystemCallFilter= or stop making them')
            return 1
        print('ok: every system call landq made is allowed by deploy/landq.service')
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
