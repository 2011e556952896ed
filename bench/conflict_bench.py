#!/usr/bin/env python3
"""Conflict benchmark over mockhub's git smart HTTP (what landq does against GitHub).
Starts mockhub with a repository acme/bench, generates the 20,000-file / 5,000-commit history
with conflict_bench --generate-only, pushes main and feature to mockhub, opens pull request #1
(mockhub creates refs/pull/1/head), then runs conflict_bench against
http://127.0.0.1:PORT/acme/bench.git with the bot's token (Basic auth, token as password).
Usage: conflict_bench.py MOCKHUB CONFLICT_BENCH [--files N] [--commits N] [--rounds N] [--dir DIR]"""
import argparse, json, os, signal, subprocess, sys, tempfile, time, urllib.request

ap = argparse.ArgumentParser()
ap.add_argument("mockhub")
ap.add_argument("bench")
ap.add_argument("--files", default="20000")
ap.add_argument("--commits", default="5000")
ap.add_argument("--rounds", default="5")
ap.add_argument("--dir")
a = ap.parse_args()
work = a.dir or tempfile.mkdtemp(prefix="lq-conflict-bench-http-")
os.makedirs(work, exist_ok=True)
sizes = ["--files", a.files, "--commits", a.commits]
subprocess.run([a.bench, "--dir", work, "--generate-only"] + sizes, check=True)
world = {"users": [{"login": "alice", "token": "tok-alice"},
                   {"login": "landq-bot", "token": "tok-bot", "type": "Bot"}],
         "orgs": [{"login": "acme", "members": ["alice"]}],
         "repos": [{"full_name": "acme/bench", "default_branch": "main",
                    "collaborators": {"alice": "write", "landq-bot": "write"},
                    "files": {"README": "placeholder\n"}, "labels": ["land"]}],
         "rate_limit": {"core": 1000000000}}
wpath = os.path.join(work, "world.json")
json.dump(world, open(wpath, "w"))
port_file = os.path.join(work, "port")
if os.path.exists(port_file):
    os.unlink(port_file)
log = open(os.path.join(work, "mockhub.log"), "w")
proc = subprocess.Popen([a.mockhub, "serve", "--world", wpath, "--port-file", port_file,
                         "--state-dir", os.path.join(work, "state-%d" % os.getpid())], stderr=log)
try:
    t0 = time.time()
    while not os.path.exists(port_file):
        if proc.poll() is not None or time.time() - t0 > 60:
            sys.exit("mockhub did not start (log: %s)" % log.name)
        time.sleep(0.02)
    port = int(open(port_file).read())
    base = "http://127.0.0.1:%d" % port
    push = "http://alice:tok-alice@127.0.0.1:%d/acme/bench.git" % port
    src = os.path.join(work, "src.git")
    t = time.time()
    subprocess.run(["git", "-C", src, "push", "-q", "--force", push, "main", "feature"], check=True)
    print("pushed the generated history to mockhub in %.1f s (not part of the figures)" %
          (time.time() - t))
    req = urllib.request.Request(base + "/repos/acme/bench/pulls", method="POST",
                                 data=json.dumps({"title": "bench", "head": "feature",
                                                  "base": "main"}).encode(),
                                 headers={"Authorization": "token tok-alice",
                                          "User-Agent": "conflict-bench",
                                          "Content-Type": "application/json"})
    number = json.load(urllib.request.urlopen(req))["number"]
    rc = subprocess.run([a.bench, "--dir", work, "--rounds", a.rounds, "--url",
                         base + "/acme/bench.git", "--token", "tok-bot", "--push-url", push,
                         "--pull", str(number)] + sizes).returncode
finally:
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
sys.exit(rc)
