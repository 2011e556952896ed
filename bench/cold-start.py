#!/usr/bin/env python3
"""Cold start of `landq serve`: time from exec to the first 200 from GET /healthz on the
webhook listener, with a fresh database each time (or, --reuse-db, a restart on the same one),
against mockhub, and the process's peak RSS by then (docs/decisions.md, "Why one C process").
Prints each run and the medians.

    python3 bench/cold-start.py [--runs N] [--reuse-db] [--landq PATH] [--mockhub PATH]
"""
import argparse
import os
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def wait_file(path, proc, what):
    while not (os.path.exists(path) and os.path.getsize(path) > 0):
        if proc.poll() is not None:
            raise SystemExit("%s exited with %s" % (what, proc.returncode))
        time.sleep(0.0005)
    with open(path) as f:
        return int(f.read().strip())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--reuse-db", action="store_true",
                    help="restart on the same database (default: a new one each run)")
    ap.add_argument("--landq", default=os.path.join(ROOT, "build", "landq", "landq"))
    ap.add_argument("--mockhub", default=os.path.join(ROOT, "build", "mockhub", "mockhub"))
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="landq-coldstart.")
    mh = subprocess.Popen([a.mockhub, "serve", "--world", os.path.join(ROOT, "examples",
                           "demo-world.json"), "--listen", "127.0.0.1:0", "--port-file",
                           os.path.join(work, "mh.port"), "--state-dir",
                           os.path.join(work, "github")],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        api = "http://127.0.0.1:%d" % wait_file(os.path.join(work, "mh.port"), mh, "mockhub")
        listening, healthy, rss = [], [], []
        for i in range(a.runs):
            d = os.path.join(work, "run%d" % (0 if a.reuse_db else i))
            os.makedirs(d, exist_ok=True)
            for f in ("port",):
                if os.path.exists(os.path.join(d, f)):
                    os.unlink(os.path.join(d, f))
            env = dict(os.environ, LANDQ_GITHUB_TOKEN="demo-landq", LANDQ_WEBHOOK_SECRET="s" * 32)
            t0 = time.perf_counter()
            lq = subprocess.Popen([a.landq, "serve", "--github-api", api, "--repo", "acme/mono",
                                   "--listen", "127.0.0.1:0", "--port-file",
                                   os.path.join(d, "port"), "--ops-listen", "127.0.0.1:0",
                                   "--db", os.path.join(d, "landq.db")], env=env,
                                  stdout=subprocess.DEVNULL, stderr=open(os.path.join(d, "log"), "w"))
            port = wait_file(os.path.join(d, "port"), lq, "landq")
            t1 = time.perf_counter()
            while True:
                try:
                    with urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=5) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                time.sleep(0.0005)
            t2 = time.perf_counter()
            hwm = 0
            with open("/proc/%d/status" % lq.pid) as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        hwm = int(line.split()[1]) / 1024.0
            rss.append(hwm)
            lq.send_signal(signal.SIGTERM)
            rc = lq.wait()
            listening.append((t1 - t0) * 1000)
            healthy.append((t2 - t0) * 1000)
            print("run %2d: listening after %.1f ms, /healthz 200 after %.1f ms, peak RSS %.1f MiB "
                  "(exit %d)" % (i + 1, listening[-1], healthy[-1], hwm, rc), flush=True)
        print("median of %d: listening %.1f ms, /healthz 200 %.1f ms (min %.1f, max %.1f), "
              "peak RSS %.1f MiB" % (a.runs, statistics.median(listening),
                                     statistics.median(healthy), min(healthy), max(healthy),
                                     statistics.median(rss)))
    finally:
        mh.send_signal(signal.SIGTERM)
        mh.wait()
        if os.environ.get("KEEP"):
            print("kept", work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
