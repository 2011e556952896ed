#!/usr/bin/env python3
"""mockhub serve's address options (suite 'mockhub'): URLs in answers (url, clone_url, and Link, html_url...) name
--public-url when given (trailing slash or not), and http://127.0.0.1:PORT when listening on the
wildcard 0.0.0.0 (a container's --listen 0.0.0.0:3000 published as -p 3000:3000); a --public-url
that is not an http(s) URL is refused with exit 2.

Usage: serve_options.py MOCKHUB
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

MOCKHUB = sys.argv[1]
WORLD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "world.json")
fails = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        fails.append(what)


def serve(*args):
    """Starts mockhub with args; returns (process, port)."""
    tmp = tempfile.mkdtemp(prefix="mockhub-opts-")
    pf = os.path.join(tmp, "port")
    p = subprocess.Popen([MOCKHUB, "serve", "--world", WORLD, "--port-file", pf, *args],
                         stderr=subprocess.DEVNULL)
    while not (os.path.exists(pf) and open(pf).read().strip()):
        if p.poll() is not None:
            raise RuntimeError(f"mockhub {args} exited {p.returncode}")
        time.sleep(0.01)
    with open(pf) as f:
        return p, int(f.read())


def get(port, path):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={
        "User-Agent": "serve-options", "Authorization": "token tok-alice"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def stop(p):
    p.terminate()
    return p.wait()


p, port = serve("--public-url", "http://mockhub.test:3000/")
repo = get(port, "/repos/acme/widgets")
check(repo["url"] == "http://mockhub.test:3000/repos/acme/widgets", f"--public-url: url {repo['url']}")
check(repo["clone_url"].startswith("http://mockhub.test:3000/acme/widgets"), f"--public-url: clone_url {repo['clone_url']}")
health = get(port, "/_mockhub/v1/health")
check(health["base_url"] == "http://mockhub.test:3000", f"--public-url: health base_url {health['base_url']}")
check(stop(p) == 0, "exit 0 on SIGTERM")

p, port = serve("--listen", "0.0.0.0:0")
repo = get(port, "/repos/acme/widgets")
check(repo["url"] == f"http://127.0.0.1:{port}/repos/acme/widgets", f"--listen 0.0.0.0: url {repo['url']}")
check(stop(p) == 0, "exit 0 on SIGTERM")

for bad in ("mockhub:3000", "ftp://x", "http://x/?q"):
    r = subprocess.run([MOCKHUB, "serve", "--world", WORLD, "--public-url", bad], capture_output=True, text=True)
    check(r.returncode == 2 and "--public-url" in r.stderr, f"--public-url {bad!r} refused: {r.returncode} {r.stderr.strip()}")

sys.exit(1 if fails else 0)
