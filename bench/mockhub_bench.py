#!/usr/bin/env python3
"""mockhub benchmark: (1) a world with 1,000 open pull requests (each with its own branch and
commit) is set up, timed from process start until the port file appears (target < 10 s);
(2) wrk drives GET /repos/{o}/{r}/pulls/{n} with 32 connections for 10 s (target >= 5,000 req/s).
Usage: mockhub_bench.py MOCKHUB_BINARY [--prs N] [--duration S] [--connections C]
Exits 1 when a target is missed."""
import argparse, json, os, re, shutil, signal, subprocess, sys, tempfile, time

ap = argparse.ArgumentParser()
ap.add_argument("mockhub")
ap.add_argument("--prs", type=int, default=1000)
ap.add_argument("--duration", type=int, default=10)
ap.add_argument("--connections", type=int, default=32)
a = ap.parse_args()
if not shutil.which("wrk"):
    print("wrk not installed")
    sys.exit(77)
tmp = tempfile.mkdtemp(prefix="mockhub-bench-")
world = {"users": [{"login": "alice", "token": "tok-alice"}, {"login": "bob", "token": "tok-bob"}],
         "orgs": [{"login": "acme", "members": ["alice", "bob"]}],
         "repos": [{"full_name": "acme/mono", "collaborators": {"alice": "write", "bob": "write"},
                    "files": {"README.md": "hi\n"},
                    "pulls": [{"user": "alice", "head": "pr-%d" % i, "labels": ["land"] if i % 3 == 0 else [],
                               "files": {"dir%d/f%d.txt" % (i % 50, i): "change %d\n" % i}}
                              for i in range(a.prs)]}],
         "rate_limit": {"core": 1000000000}}
wpath = os.path.join(tmp, "world.json")
json.dump(world, open(wpath, "w"))
port_file = os.path.join(tmp, "port")
t0 = time.time()
proc = subprocess.Popen([a.mockhub, "serve", "--world", wpath, "--port-file", port_file,
                         "--state-dir", os.path.join(tmp, "state")], stderr=open(os.path.join(tmp, "log"), "w"))
while not os.path.exists(port_file):
    if proc.poll() is not None or time.time() - t0 > 60:
        print("mockhub did not start")
        sys.exit(1)
    time.sleep(0.01)
setup = time.time() - t0
port = int(open(port_file).read())
ok = True
print("world with %d open pull requests ready in %.2f s (target < 10 s)" % (a.prs, setup))
ok &= setup < 10
url = "http://127.0.0.1:%d/repos/acme/mono/pulls/%d" % (port, a.prs // 2)
out = subprocess.run(["wrk", "-t2", "-c%d" % a.connections, "-d%ds" % a.duration, "-H", "Authorization: token tok-alice",
                      "-H", "User-Agent: mockhub-bench", url], capture_output=True, text=True).stdout
print(out)
rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
print("GET pulls/{n}: %.0f req/s with %d connections (target >= 5000)%s" %
      (rps, a.connections, ", %s non-2xx!" % non2xx.group(1) if non2xx else ""))
ok &= rps >= 5000 and not non2xx
proc.send_signal(signal.SIGTERM)
proc.wait(timeout=30)
shutil.rmtree(tmp, ignore_errors=True)
print("PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
