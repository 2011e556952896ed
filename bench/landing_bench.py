#!/usr/bin/env python3
"""Requests per landed pull request and label -> merged latency, from mockhub's request log.

Plays scenarios with `mockhub run --keep` (a real `landq serve` against mockhub), then reads the
kept mockhub.log (one `msg=request` line per REST call) and prints, for landq's own user:

- the REST requests per landed pull request by endpoint (304s excluded, shown apart: GitHub does
  not charge them), and the total;
- label -> merged latency (the `issues/add-labels` request of a person -> landq's successful
  `PUT pulls/N/merge`), p50/p95/max;
- the wall time from the first label to the last merge.

Scenarios: files given on the command line, or generated ones:
  --burst N        N pull requests, each changing a file under app/ (owner bob) and infra/ (owner
                   the infra team: ivan), both owners approve, then all N are labeled at once
                   (the issue's "standard burst" is N=100)
  --sequential N   the same N pull requests, labeled one at a time, each after the previous one
                   merged (label -> merged without a queue in front)
LANDING_BENCH_KEEP=1 in the environment keeps each run's files (mockhub.log, landq's log) and
prints where.
Options: --rate-limit L sets the world's core rate limit for generated scenarios (default: the
world's, 5,000/h); --mergeable-delay-ms M sets the world's mergeable_delay_ms.

    python3 bench/landing_bench.py build/mockhub/mockhub build/landq/landq --burst 100
    python3 bench/landing_bench.py build/mockhub/mockhub build/landq/landq --sequential 20
    python3 bench/landing_bench.py build/mockhub/mockhub build/landq/landq scenarios/basic/happy-path.json
"""
import argparse
import collections
import datetime
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

LINE = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S*)')


def parse_log(path):
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            if "msg=request" not in line:
                continue
            kv = {k: v.strip('"') for k, v in LINE.findall(line)}
            ts = kv.get("ts", "")
            try:
                t = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
            except ValueError:
                continue
            out.append((t, kv.get("method", ""), kv.get("path", ""), int(kv.get("status", "0") or 0),
                        kv.get("user", ""), kv.get("route", "")))
    return out


def pct(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    k = max(0, min(len(xs) - 1, int(round(p / 100.0 * len(xs) + 0.5)) - 1))
    return xs[k]


def report(name, reqs, landq_user, elapsed):
    mine = [r for r in reqs if r[4] == landq_user and r[5] != "git-smart-http"]
    merges = {}
    for t, m, p, s, u, route in mine:
        if route == "pulls/merge" and s == 200:
            n = int(p.rstrip("/").split("/")[-2])
            merges.setdefault(n, t)
    labels = {}
    for t, m, p, s, u, route in reqs:
        if u != landq_user and route == "issues/add-labels" and 200 <= s < 300:
            n = int(p.split("/issues/")[1].split("/")[0])
            labels.setdefault(n, t)
    landed = len(merges)
    by = collections.Counter()
    c304 = 0
    for t, m, p, s, u, route in mine:
        if s == 304:
            c304 += 1
        else:
            by["%s %s" % (m, route)] += 1
    total = sum(by.values())
    git = sum(1 for r in reqs if r[4] == landq_user and r[5] == "git-smart-http")
    print("== %s" % name)
    print("landed %d; landq's REST requests %d (+ %d answered 304, + %d git fetches); "
          "per landed PR %.2f" % (landed, total, c304, git, total / landed if landed else float("nan")))
    for k, v in sorted(by.items(), key=lambda kv: (-kv[1], kv[0])):
        print("  %-55s %6d  %6.2f" % (k, v, v / landed if landed else float("nan")))
    lat = [1000.0 * (merges[n] - labels[n]) for n in merges if n in labels]
    if lat:
        print("label -> merged: n=%d p50 %.0f ms, p95 %.0f ms, max %.0f ms" %
              (len(lat), pct(lat, 50), pct(lat, 95), max(lat)))
    if labels and merges:
        print("first label -> last merge: %.1f s (runner: %.1f s)" %
              (max(merges.values()) - min(labels.values()), elapsed))
    sys.stdout.flush()


def generated(n, sequential, rate_limit, delay_ms):
    world = {
        "include": "worlds/acme-mono.json",
        "repos": [{
            "full_name": "acme/mono",
            "pulls": [{
                "repeat": n, "user": "alice", "head": "bench-{i}", "base": "main",
                "title": "Bench {i}", "body": "Bench change {i}.",
                "files": {"app/bench/f{i}.txt": "{i}\n", "infra/bench/f{i}.tf": "# {i}\n"},
            }],
        }],
    }
    if rate_limit:
        world["rate_limit"] = {"core": rate_limit}
    if delay_ms is not None:
        world["mergeable_delay_ms"] = delay_ms
    steps = [{"do": "review", "repeat": n, "as": "bob", "pr": "{i}", "event": "APPROVE"},
             {"do": "review", "repeat": n, "as": "ivan", "pr": "{i}", "event": "APPROVE"}]
    if sequential:
        steps.append({"do": "wait_idle"})
        for i in range(1, n + 1):
            steps.append({"do": "label", "as": "alice", "pr": i})
            steps.append({"do": "wait_pr", "pr": i, "merged": True})
    else:
        steps.append({"do": "label", "repeat": n, "as": "alice", "pr": "{i}"})
        steps.append({"do": "wait_pr", "pr": n, "merged": True, "timeout_ms": 60000})
    return {
        "description": "bench: %d pull requests approved by two owners, labeled %s" %
                       (n, "one at a time" if sequential else "at once"),
        "world": world,
        "steps": steps,
        "expect": {"base": {"new_commits": n}, "requests": {"merges": n}},
    }


def run_one(mockhub, landq, path, name):
    # a TMPDIR of its own: other scenario runs on the machine keep their files in /tmp too
    tmp = tempfile.mkdtemp(prefix="landing-bench-run-")
    env = dict(os.environ, TMPDIR=tmp)
    t0 = time.time()
    p = subprocess.run([mockhub, "run", "--keep", "--landq", landq, path],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    elapsed = time.time() - t0
    new = sorted(glob.glob(os.path.join(tmp, "mockhub-scenario-*")), key=os.path.getmtime)
    if p.returncode != 0:
        print(p.stdout[-4000:])
        print("== %s: the scenario FAILED (files in %s)" % (name, new[-1] if new else "?"))
        return 1
    if not new:
        print("== %s: cannot find the kept directory" % name)
        return 1
    d = new[-1]
    world = json.load(open(os.path.join(d, "world.json")))
    user = "landq-bot"
    report(name, parse_log(os.path.join(d, "mockhub.log")), user, elapsed)
    if os.environ.get("LANDING_BENCH_KEEP"):
        print("   files kept in %s (LANDING_BENCH_KEEP)" % d)
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mockhub")
    ap.add_argument("landq")
    ap.add_argument("scenarios", nargs="*")
    ap.add_argument("--burst", type=int)
    ap.add_argument("--sequential", type=int)
    ap.add_argument("--rate-limit", type=int)
    ap.add_argument("--mergeable-delay-ms", type=int)
    a = ap.parse_intermixed_args()
    rc = 0
    here = os.path.dirname(os.path.abspath(__file__))
    gen_dir = tempfile.mkdtemp(prefix="landing-bench-", dir=os.path.join(here, "..", "scenarios"))
    try:
        for n, seq in ((a.burst, False), (a.sequential, True)):
            if not n:
                continue
            path = os.path.join(gen_dir, "%s-%d.json" % ("sequential" if seq else "burst", n))
            with open(path, "w") as f:
                json.dump(generated(n, seq, a.rate_limit, a.mergeable_delay_ms), f, indent=1)
            rc |= run_one(a.mockhub, a.landq, path, "%s %d" % ("sequential" if seq else "burst", n))
        for s in a.scenarios:
            rc |= run_one(a.mockhub, a.landq, s, s)
    finally:
        shutil.rmtree(gen_dir, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
