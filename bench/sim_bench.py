#!/usr/bin/env python3
"""The simulator benchmark of issue 14: one seeded stream of pull requests, played against
landq in each mode, side by side.

The stream (same for every mode, from --seed): N pull requests offered at rate lambda per D
(Poisson arrivals), each opened by alice, approved by its owner and labeled at its arrival.
mockhub's CI simulator (world section `ci`, docs/world.md) runs `ci/test` on every push, taking
about D (a seeded range D*0.8..D*1.2), and decides from the tree:
  - with probability p a pull request carries the marker BREAKS_BUILD: it fails wherever it is;
  - with probability q a pull request carries SEM_B<k> and an earlier one of its area (among the 8 before it)
    SEM_A<k>: a rule fails a tree that holds both (a semantic conflict: each passes alone);
  - every run flakes with probability f.

Each mode is one generated scenario played by `mockhub run --keep` (a real `landq serve`); the
script then reads the kept directory:
  - red commits on main: every first-parent commit added to main judged by the deterministic rules
    (markers and pairs; flakes do not count), read with `git grep` in mockhub's bare repository
    (the script's own oracle, not mockhub's nor landq's code);
  - landed: landq's successful `PUT pulls/N/merge` (mockhub's request log);
  - time to land, in units of D: merge time - ready time, ready = the later of the label and the
    end of the CI run on the pull request's own head (both modes need it; the limit is then 1 D
    in predictive mode, one CI run on the candidate, and ~0 in direct mode);
  - CI runs per landed PR: runs on landq/try/* (candidates, re-runs included; the runs on the
    pull requests' own heads are the same in every mode and not counted);
  - API requests per landed PR: landq's REST requests (304s and git traffic excluded);
  - verified: each predictive landing (landq's log line "landing attempt ... result=1") checked
    again here: tree(landed commit) == tree(candidate) in mockhub's repository, plus landq's
    own landq_tree_mismatch / "cannot read the landed commit" log lines (must be none).
It prints a table and writes an SVG (--svg).

    python3 bench/sim_bench.py build/mockhub/mockhub build/landq/landq --prs 30
    python3 bench/sim_bench.py build/mockhub/mockhub build/landq/landq --prs 200 --rate 2 \\
        --p 0.10 --q 0.03 --f 0.02 --d-ms 1500 --svg bench/sim.svg
    python3 bench/sim_bench.py ... --prs 6 --check    # smoke: predictive modes 0 red commits
"""
import argparse
import collections
import datetime
import glob
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

LINE = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S*)')
MODES = {
    "direct": [],
    "k1": ["--mode", "predictive", "--speculation", "1", "--retry-failed", "1"],
    "k4": ["--mode", "predictive", "--speculation", "4", "--retry-failed", "1"],
    "batch4": ["--mode", "predictive", "--speculation", "1", "--batch", "4", "--retry-failed", "1"],
    "lanes": None,  # filled in when `landq serve` has lanes (see lanes_args)
}
LABELS = {"direct": "direct", "k1": "predictive k=1", "k4": "predictive k=4",
          "batch4": "batch b=4", "lanes": "2 lanes, k=1 each"}


def ts(s):
    try:
        return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
            tzinfo=datetime.timezone.utc).timestamp()
    except ValueError:
        return None


def pct(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    k = max(0, min(len(xs) - 1, int(round(p / 100.0 * len(xs) + 0.5)) - 1))
    return xs[k]


def stream(a):
    """The seeded stream: a list of {i, at (s from start), files}."""
    rnd = random.Random(a.seed)
    prs, t, pair = [], 0.0, 0
    d = a.d_ms / 1000.0
    for i in range(1, a.prs + 1):
        t += rnd.expovariate(a.rate / d)
        area = "app" if i % 2 else "lib"
        body = "change %d\n" % i
        if rnd.random() < a.p:
            body += "BREAKS_BUILD\n"
        pr = {"i": i, "at": t, "area": area, "files": {}, "fails": "BREAKS_BUILD" in body}
        if i > 1 and rnd.random() < a.q:
            # a conflict within an area (the areas are independent: what lanes assume)
            j = rnd.choice([k for k in range(max(1, i - 8), i) if prs[k - 1]["area"] == area] or [i - 1])
            pair += 1
            prs[j - 1]["files"]["%s/sem%d_a.txt" % (prs[j - 1]["area"], pair)] = "SEM_A%d\n" % pair
            pr["files"]["%s/sem%d_b.txt" % (area, pair)] = "SEM_B%d\n" % pair
        pr["files"]["%s/f%d.txt" % (area, i)] = body
        prs.append(pr)
    return prs, pair


def ci_section(a, pairs):
    d = a.d_ms
    rules = [{"context": "ci/test", "contains": "BREAKS_BUILD", "summary": "the build is broken"}]
    for k in range(1, pairs + 1):
        rules.append({"all": ["SEM_A%d" % k, "SEM_B%d" % k],
                      "summary": "semantic conflict %d: each passes alone" % k})
    if a.f > 0:
        rules.append({"context": "ci/test", "flake": a.f, "summary": "flaky test"})
    return {"seed": a.seed, "contexts": [{"name": "ci/test",
                                          "duration_ms": [int(d * 0.8), int(d * 1.2)]}],
            "rules": rules}


def lanes_args():
    return ["--mode", "predictive", "--speculation", "1", "--retry-failed", "1",
            "--lanes", "paths", "--lane", "app: app/", "--lane", "lib: lib/"]


def scenario(a, mode, prs, pairs, repo):
    steps, now = [], 0.0
    for pr in prs:
        gap = pr["at"] - now
        if gap > 0.001:
            steps.append({"do": "sleep", "ms": int(gap * 1000)})
            now = pr["at"]
        steps.append({"do": "open_pr", "as": "alice", "title": "Change %d" % pr["i"],
                      "head": "s%d" % pr["i"], "files": pr["files"], "number": pr["i"]})
        steps.append({"do": "review", "as": "bob", "pr": pr["i"], "event": "APPROVE"})
        steps.append({"do": "label", "as": "alice", "pr": pr["i"]})
    steps.append({"do": "wait_idle", "timeout_ms": min(a.timeout, 600) * 1000, "quiet_ms": 3000})
    args = MODES[mode] if mode != "lanes" else lanes_args()
    return {
        "description": "sim bench: %d pull requests, mode %s" % (len(prs), mode),
        "landq": {"required_checks": ["ci/test"], "args": args},
        "timeout_ms": 60000,
        "world": {
            "users": [{"login": "alice", "token": "tok-alice", "email": "alice@acme.test"},
                      {"login": "bob", "token": "tok-bob", "email": "bob@acme.test"},
                      {"login": "landq-bot", "token": "tok-landq", "type": "Bot"}],
            "repos": [{"full_name": repo,
                       "collaborators": {"alice": "write", "bob": "admin", "landq-bot": "maintain"},
                       "labels": ["land"],
                       "files": {".github/CODEOWNERS": "* @bob\n", "app/README": "app\n",
                                 "lib/README": "lib\n"}}],
            "ci": ci_section(a, pairs),
        },
        "steps": steps,
    }


def git(gitdir, *args):
    return subprocess.run(["git", "--git-dir", gitdir] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True).stdout


def analyse(a, mode, d, repo):
    dsec = a.d_ms / 1000.0
    labels, merges, ready_ci, reqs, c304 = {}, {}, {}, 0, 0
    runs_all = runs_try = 0
    head_sha = {}
    for line in open(os.path.join(d, "mockhub.log"), errors="replace"):
        if "msg=request" in line:
            kv = {k: v.strip('"') for k, v in LINE.findall(line)}
            t, user, route, st = ts(kv.get("ts", "")), kv.get("user"), kv.get("route"), kv.get("status")
            if user == "landq-bot" and route != "git-smart-http":
                if st == "304":
                    c304 += 1
                else:
                    reqs += 1
                if route == "pulls/merge" and st == "200":
                    merges.setdefault(int(kv["path"].rstrip("/").split("/")[-2]), t)
            elif user == "alice" and route == "issues/add-labels" and st and st.startswith("2"):
                labels.setdefault(int(kv["path"].split("/issues/")[1].split("/")[0]), t)
        elif "msg=ci-run" in line:
            kv = dict(LINE.findall(line))
            runs_all += 1
            b = kv.get("branch", "")
            if b.startswith("landq/try/"):
                runs_try += 1
            elif re.fullmatch(r"s\d+", b):
                head_sha[int(b[1:])] = kv.get("sha")  # the last push is the head
        elif "msg=ci-done" in line:
            kv = dict(LINE.findall(line))
            b = kv.get("branch", "")
            if re.fullmatch(r"s\d+", b) and kv.get("sha") == head_sha.get(int(b[1:])):
                ready_ci[int(b[1:])] = ts(kv["ts"])
    gitdir = os.path.join(d, "state", "repos", repo + ".git")
    base = git(gitdir, "rev-list", "--first-parent", "--reverse", "main").split()
    new = base[1:]  # the world's initial commit is the first
    red = 0
    for c in new:
        found = set(git(gitdir, "grep", "-h", "-o", "-E", r"BREAKS_BUILD|SEM_[AB][0-9]+", c).split())
        bad = "BREAKS_BUILD" in found or any(
            m.startswith("SEM_A") and "SEM_B" + m[5:] in found for m in found)
        red += bad
    # landings verified here, independently of landq: tree(landed) == tree(candidate)
    verified = mismatched = verified_merge = 0
    lanes = mode == "lanes"
    landq_log = os.path.join(d, "landq.log")
    unverifiable = 0
    for line in open(landq_log, errors="replace"):
        if 'msg="landing attempt"' in line:
            kv = dict(LINE.findall(line))
            if kv.get("result") != "1":
                continue
            t1 = git(gitdir, "rev-parse", "--verify", "-q", kv["candidate"] + "^{tree}").strip()
            t2 = git(gitdir, "rev-parse", "--verify", "-q", kv["commit"] + "^{tree}").strip()
            if t1 and t1 == t2:
                verified += 1
            elif t1 and t2 and lanes and merged_tree(gitdir, kv["commit"], kv["candidate"]) == t2:
                # lanes: another lane landed on the base after the candidate was built; what
                # landed must be git's own three-way merge of the candidate onto the commit it
                # landed on (git merge-tree, not landq's lq_candidate_expected_tree)
                verified += 1
                verified_merge += 1
            else:
                mismatched += 1
        elif "cannot read the landed commit" in line or "tree mismatch" in line.lower():
            unverifiable += 1
    ttl = [(merges[n] - max(labels.get(n, 0), ready_ci.get(n, 0))) / dsec
           for n in merges if n in labels]
    ttl_label = [(merges[n] - labels[n]) / dsec for n in merges if n in labels]
    span = (max(merges.values()) - min(labels.values())) / dsec if merges and labels else float("nan")
    landed = len(merges)
    per = (lambda x: x / landed) if landed else (lambda x: float("nan"))
    return {"mode": mode, "landed": landed, "red": red, "main_commits": len(new),
            "p50": pct(ttl, 50), "p95": pct(ttl, 95), "p50_label": pct(ttl_label, 50),
            "p95_label": pct(ttl_label, 95), "span_d": span,
            "per_d": landed / span if span == span and span > 0 else float("nan"),
            "try_runs": per(runs_try), "all_runs": per(runs_all), "reqs": per(reqs),
            "c304": c304, "verified": verified, "mismatched": mismatched,
            "verified_merge": verified_merge,
            "unverifiable": unverifiable}


def merged_tree(gitdir, landed, candidate):
    """The tree git itself makes of merging candidate onto landed's parent ("" if it conflicts)."""
    p = subprocess.run(["git", "--git-dir", gitdir, "merge-tree", "--write-tree",
                        landed + "^", candidate], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True)
    return p.stdout.split("\n")[0].strip() if p.returncode == 0 else ""


def run_mode(a, mode, prs, pairs):
    repo = "bob/simbench-%s-%d" % (mode, os.getpid())
    sc = scenario(a, mode, prs, pairs, repo)
    here = os.path.dirname(os.path.abspath(__file__))
    gen = tempfile.mkdtemp(prefix="sim-bench-", dir=os.path.join(here, "..", "scenarios"))
    path = os.path.join(gen, "sim-%s.json" % mode)
    with open(path, "w") as f:
        json.dump(sc, f, indent=1)
    # a TMPDIR of its own: mockhub run keeps its directory under $TMPDIR, and other scenario
    # runs on the machine would otherwise share it (the newest directory may not be ours)
    tmp = tempfile.mkdtemp(prefix="sim-bench-run-")
    env = dict(os.environ, TMPDIR=tmp)
    t0 = time.time()
    p = subprocess.run([a.mockhub, "run", "--keep", "--landq", a.landq, path], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wall = time.time() - t0
    shutil.rmtree(gen, ignore_errors=True)
    mine = None
    for d in glob.glob(os.path.join(tmp, "mockhub-scenario-*")):
        try:
            if repo in open(os.path.join(d, "world.json")).read():
                mine = d
        except OSError:
            pass
    if not mine:
        print(p.stdout[-3000:])
        sys.exit("%s: cannot find the kept directory" % mode)
    r = analyse(a, mode, mine, repo)
    r["wall"] = wall
    r["scenario_ok"] = p.returncode == 0
    if p.returncode != 0:
        r["scenario_out"] = "\n".join(p.stdout.splitlines()[:12])[:2000]
    if a.keep:
        r["dir"] = mine
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return r


def fmt(x, f="%.2f"):
    return "-" if x != x else f % x


def table(rows, a):
    out = ["| mode | red commits on main | landed | PRs per D | time to land p50 / p95 (D) | "
           "from label p50 / p95 (D) | candidate CI runs / landed | all CI runs / landed | "
           "API requests / landed | landings verified tree == tested | wall |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r.get("na"):
            out.append("| %s | not available: %s |  |  |  |  |  |  |  |  |  |" % (LABELS[r["mode"]], r["na"]))
            continue
        if r["mode"] == "direct":
            ver = "n/a (no candidate)"
        else:
            ver = "%d of %d%s%s" % (r["verified"], r["landed"],
                                    " (%d as git's merge onto another lane's landing)" %
                                    r["verified_merge"] if r.get("verified_merge") else "",
                                  "" if not (r["mismatched"] or r["unverifiable"]) else
                                  " (%d mismatched, %d unverifiable)" % (r["mismatched"], r["unverifiable"]))
        out.append("| %s | %d of %d | %d of %d | %s | %s / %s | %s / %s | %s | %s | %s | %s | %.0f s%s |" % (
            LABELS[r["mode"]], r["red"], r["main_commits"], r["landed"], a.prs, fmt(r["per_d"]),
            fmt(r["p50"]), fmt(r["p95"]), fmt(r["p50_label"]), fmt(r["p95_label"]),
            fmt(r["try_runs"]), fmt(r["all_runs"]), fmt(r["reqs"], "%.1f"), ver, r["wall"],
            "" if r["scenario_ok"] else " (runner: FAIL)"))
    return "\n".join(out)


def svg(rows, a, path):
    rows = [r for r in rows if not r.get("na")]
    W, H, top, left, bw = 760, 360, 50, 60, 36
    ymax = max([r["p95"] for r in rows if r["p95"] == r["p95"]] + [3.0])
    ymax = float(int(ymax) + 1)
    ph = 220
    s = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" '
         'font-size="12">' % (W, H), '<rect width="100%" height="100%" fill="white"/>',
         '<text x="%d" y="20" font-size="14">sim bench: %d PRs, &#955;=%g per D, D=%d ms, p=%g, '
         'q=%g, f=%g, seed %d</text>' % (left, a.prs, a.rate, a.d_ms, a.p, a.q, a.f, a.seed),
         '<text x="%d" y="38">time to land (units of D, from ready): p50 (dark) and p95 (light)</text>' % left]
    for k in range(0, int(ymax) + 1):
        y = top + ph - ph * k / ymax
        s.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>' % (left, left + 110 * len(rows), y, y))
        s.append('<text x="%d" y="%.1f" text-anchor="end">%d D</text>' % (left - 4, y + 4, k))
    for i, r in enumerate(rows):
        x = left + 20 + 110 * i
        for j, (v, col) in enumerate(((r["p50"], "#2b6cb0"), (r["p95"], "#90cdf4"))):
            if v != v:
                continue
            h = ph * min(v, ymax) / ymax
            s.append('<rect x="%d" y="%.1f" width="%d" height="%.1f" fill="%s"/>' %
                     (x + j * bw, top + ph - h, bw - 4, h, col))
            s.append('<text x="%d" y="%.1f" text-anchor="middle" font-size="10">%.2f</text>' %
                     (x + j * bw + bw / 2 - 2, top + ph - h - 3, v))
        s.append('<text x="%d" y="%d" text-anchor="middle">%s</text>' % (x + bw, top + ph + 16, LABELS[r["mode"]]))
        red = r["red"]
        col = "#c53030" if red else "#2f855a"
        s.append('<rect x="%d" y="%d" width="%d" height="22" rx="4" fill="%s"/>' % (x - 12, top + ph + 26, 2 * bw + 24, col))
        s.append('<text x="%d" y="%d" text-anchor="middle" fill="white">%s</text>' %
                 (x + bw, top + ph + 41, "%d red on main" % red if red else "main green"))
        s.append('<text x="%d" y="%d" text-anchor="middle" font-size="11">landed %d</text>' %
                 (x + bw, top + ph + 64, r["landed"]))
        s.append('<text x="%d" y="%d" text-anchor="middle" font-size="11">%s runs/PR</text>' %
                 (x + bw, top + ph + 78, fmt(r["try_runs"])))
    s.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(s) + "\n")


def lanes_available(landq):
    h = subprocess.run([landq, "serve", "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True).stdout
    return "--lanes" in h


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mockhub")
    ap.add_argument("landq")
    ap.add_argument("--prs", type=int, default=30)
    ap.add_argument("--rate", type=float, default=2.0, help="pull requests offered per D (lambda)")
    ap.add_argument("--d-ms", type=int, default=1500, help="CI duration D in ms (runs take 0.8-1.2 D)")
    ap.add_argument("--p", type=float, default=0.10, help="failure rate")
    ap.add_argument("--q", type=float, default=0.03, help="semantic-conflict rate (per PR)")
    ap.add_argument("--f", type=float, default=0.02, help="flake rate (per CI run)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--modes", default="direct,k1,k4,batch4,lanes")
    ap.add_argument("--timeout", type=int, default=600, help="seconds (at most 600) for the queue to drain after the last arrival")
    ap.add_argument("--svg")
    ap.add_argument("--json", help="write the rows as JSON")
    ap.add_argument("--keep", action="store_true", help="keep mockhub run's directories")
    ap.add_argument("--check", action="store_true",
                    help="exit 1 unless every predictive mode left 0 red commits and every landing verified")
    a = ap.parse_args()
    prs, pairs = stream(a)
    print("stream: %d PRs over %.1f D, %d with BREAKS_BUILD, %d semantic-conflict pairs, flake %g, seed %d"
          % (len(prs), prs[-1]["at"] / (a.d_ms / 1000.0), sum(p["fails"] for p in prs), pairs, a.f, a.seed))
    try:
        print("load average before: %s" % open("/proc/loadavg").read().split()[:3])
    except OSError:
        pass
    rows = []
    for mode in a.modes.split(","):
        if mode == "lanes" and not lanes_available(a.landq):
            rows.append({"mode": mode, "na": "`landq serve` has no --lanes yet"})
            print("%s: not available (landq serve has no --lanes)" % mode)
            continue
        r = run_mode(a, mode, prs, pairs)
        rows.append(r)
        print("%s: %s" % (mode, json.dumps(r)))
        if r.get("scenario_out"):
            print(r["scenario_out"])
        try:
            print("load average: %s" % open("/proc/loadavg").read().split()[:3])
        except OSError:
            pass
        sys.stdout.flush()
    print()
    print(table(rows, a))
    if a.svg:
        svg(rows, a, a.svg)
        print("wrote %s" % a.svg)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)
    if a.check:
        bad = [r["mode"] for r in rows if not r.get("na") and r["mode"] != "direct" and
               (r["red"] or r["mismatched"] or r["unverifiable"] or r["verified"] != r["landed"])]
        if bad:
            print("check FAILED: %s" % ", ".join(bad))
            return 1
        print("check ok: predictive modes left main green, every landing verified")
    return 0


if __name__ == "__main__":
    sys.exit(main())
