#!/usr/bin/env python3
"""Packaging check (suite 'lint'): `meson install` into a temporary DESTDIR installs landq and
mockhub with their man pages; the installed programs run (no build-tree paths needed), answer
--help for themselves and for every subcommand they list, and each man page names every
subcommand and the program's version.

Usage: install.py MESON BUILD_DIR
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL", msg)


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, **kw)


def find(root, rel_suffix):
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            if p.endswith(rel_suffix):
                return p
    return None


def subcommands(help_text):
    """The command names of a top-level --help: the indented lines under 'commands:'."""
    out, on = [], False
    for line in help_text.splitlines():
        if re.match(r"(?i)^commands:", line):
            on = True
        elif on and re.match(r"^  \S", line):
            out.append(line.split()[0])
        elif on and out:
            break
    return out


def main():
    meson, build = sys.argv[1], sys.argv[2]
    dest = tempfile.mkdtemp(prefix="landq-install-")
    try:
        r = run([meson, "install", "-C", build, "--no-rebuild", "--destdir", dest, "--quiet"])
        check(r.returncode == 0, f"meson install failed: {r.stdout}{r.stderr}")
        if r.returncode:
            return
        env = dict(os.environ, PATH="/usr/bin:/bin")  # the installed programs, not a build tree
        for prog in ("landq", "mockhub"):
            exe = find(dest, f"/bin/{prog}")
            man = find(dest, f"/man1/{prog}.1")
            check(exe and os.access(exe, os.X_OK), f"{prog}: not installed under {dest}/.../bin")
            check(man is not None, f"{prog}.1: man page not installed")
            if not exe:
                continue
            rpath = run(["readelf", "-d", exe]).stdout if shutil.which("readelf") else ""
            check(os.path.abspath(build) not in rpath, f"{prog}: installed binary keeps a build-tree RPATH")
            top = run([exe, "--help"], env=env)
            check(top.returncode == 0 and top.stdout, f"{prog} --help: exit {top.returncode} {top.stderr}")
            cmds = subcommands(top.stdout)
            check(len(cmds) >= 4, f"{prog} --help lists {cmds}: too few commands (format changed?)")
            for cmd in cmds:
                h = run([exe, cmd, "--help"], env=env)
                ok = h.returncode == 0 and re.search(r"(?i)usage:", h.stdout) and not h.stderr.strip()
                check(ok, f"{prog} {cmd} --help: exit {h.returncode}, stdout {h.stdout[:80]!r}, "
                          f"stderr {h.stderr[:200]!r}")
            if man:
                text = open(man).read()
                for cmd in cmds:
                    check(re.search(r"\b" + r"\\?-".join(map(re.escape, cmd.split("-"))) + r"\b", text),
                          f"{prog}.1 does not mention the command '{cmd}'")
                v = run([exe, "--version"], env=env)
                check(v.returncode == 0 and v.stdout.startswith(prog + " "), f"{prog} --version: {v.stdout!r}")
                version = (v.stdout.split() + ["?", "?"])[1]
                check(f'"{prog} {version}"' in text, f"{prog}.1: .TH does not say version {version}")
                if shutil.which("groff"):
                    g = run(["groff", "-man", "-Tutf8", "-ww", "-z", man])
                    check(g.returncode == 0 and not g.stderr.strip(), f"{prog}.1: groff warnings: {g.stderr}")
            print(f"ok {prog}: installed, --help for {len(cmds)} commands" + (", man page" if man else ""))
    finally:
        shutil.rmtree(dest, ignore_errors=True)


main()
sys.exit(1 if failures else 0)
