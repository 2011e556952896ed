#!/usr/bin/env python3
"""The scenario runner's own behaviour (issue 17, "scenario authoring without traps"): each case plays
a small scenario with `mockhub run` and checks what the report says.

  - wait_pr {"merged": false} after the merge fails at once ("a merge cannot be undone"), not after
    its timeout (the timeout here is 10 minutes: only the fast path can pass);
  - expect.commit on a pull request that did not merge says "not merged" (never compares GitHub's
    test merge commit);
  - a step that fails (open_pr on a branch that exists) is the one root error: the expectations
    of the timeline that did not run are not reported one by one;
  - a scenario whose landq calls an endpoint mockhub does not implement fails (mockhub --strict);
  - mockhub run without --landq finds the landq of the build tree, and says clearly when landq is
    missing or is not a program (LANDQ) or exits before listening.

Usage: runner.py MOCKHUB LANDQ"""
import json, os, shutil, stat, subprocess, sys, tempfile

MOCKHUB, LANDQ = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
TMP = tempfile.mkdtemp(prefix="mockhub-runner-")
fails = []

WORLD = {
    "users": [{"login": "alice", "token": "tok-alice", "email": "alice@acme.test"},
              {"login": "bob", "token": "tok-bob", "email": "bob@acme.test"},
              {"login": "landq-bot", "token": "tok-landq", "type": "Bot"}],
    "orgs": [{"login": "acme", "members": ["alice", "bob"]}],
    "repos": [{"full_name": "acme/mono", "collaborators": {"alice": "write", "bob": "admin", "landq-bot": "maintain"},
               "labels": ["land"], "branches": {"dup": {"files": {"d.txt": "d\n"}}},
               "files": {".github/CODEOWNERS": "* @bob\n", "a.txt": "a\n"}}],
}
OPEN = {"do": "open_pr", "as": "alice", "title": "Change a", "head": "ch", "files": {"a.txt": "A\n"}}


def check(cond, what, extra=""):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        fails.append(what)
        if extra:
            print("     " + extra.replace("\n", "\n     "))


def run(name, scenario, env=None, args=None, exe=MOCKHUB, cwd=None):
    path = os.path.join(TMP, name + ".json")
    with open(path, "w") as f:
        json.dump(scenario, f, indent=1)
    cmd = [exe, "run"] + (args if args is not None else ["--landq", LANDQ]) + [path]
    e = dict(os.environ, **(env or {}))
    p = subprocess.run(cmd, capture_output=True, text=True, env=e, cwd=cwd or TMP, timeout=900)
    return p.returncode, p.stdout + p.stderr


def report_lines(out):
    """The report's own lines (FILE:LINE: ... / plain), without the log tails."""
    body = out.split("  ---- tail of", 1)[0]
    return [l for l in body.splitlines() if l.startswith("  ") and not l.startswith("  |")]


# 1. wait_pr merged:false after a merge fails at once
rc, out = run("merged-false", {
    "description": "waits for a merge not to happen, after it happened",
    "world": WORLD,
    "steps": [OPEN, {"do": "review", "as": "bob", "pr": 1, "event": "APPROVE"},
              {"do": "label", "as": "alice", "pr": 1}, {"do": "wait_pr", "pr": 1, "merged": True},
              {"do": "wait_pr", "pr": 1, "merged": False, "timeout_ms": 600000}]})
check(rc == 1 and "a merge cannot be undone" in out and "still not true after" not in out,
      "wait_pr merged:false after the merge fails at once", out)

# 2. expect.commit on an unmerged pull request
rc, out = run("not-merged", {
    "description": "expects a commit of a pull request nobody approved",
    "world": WORLD,
    "steps": [OPEN, {"do": "wait_idle"}],
    "expect": {"pulls": {"1": {"commit": {"title": "Change a"}}}}})
check(rc == 1 and "#1 is not merged, so it has no merge commit" in out and "title is" not in out,
      "expect.commit on an unmerged pull request says \"not merged\"", out)

# 3. one root error: a failed open_pr does not cascade into its expectations
rc, out = run("root-error", {
    "description": "opens a pull request on a branch that already exists",
    "world": WORLD,
    "steps": [{**OPEN, "head": "dup"}, {"do": "review", "as": "bob", "pr": 1, "event": "APPROVE"},
              {"do": "label", "as": "alice", "pr": 1}, {"do": "wait_pr", "pr": 1, "merged": True}],
    "expect": {"pulls": {"1": {"merged": True, "commit": {"title": "Change a"}, "labels": ["land"]}},
               "base": {"new_commits": 1}}})
lines = report_lines(out)
errors = [l for l in lines if "root-error.json:" in l]
check(rc == 1 and len(errors) == 1 and "open_pr: creating the branch: HTTP 422" in errors[0] and
      any("\"expect\" not checked" in l for l in lines), "a failed step is one root error (no cascade)", out)

# 4. an endpoint mockhub does not implement fails the scenario: a stand-in landq that calls one
fake = os.path.join(TMP, "fake-landq")
with open(fake, "w") as f:
    f.write("""#!/usr/bin/env python3
import os, signal, sys, time, urllib.request, urllib.error
a = sys.argv
api, port_file = a[a.index("--github-api") + 1], a[a.index("--port-file") + 1]
req = urllib.request.Request(api + "/repos/acme/mono/releases", headers={
    "Authorization": "token " + os.environ["LANDQ_GITHUB_TOKEN"], "User-Agent": "fake-landq"})
try:
    urllib.request.urlopen(req)
except urllib.error.HTTPError as e:
    print("releases:", e.code, e.headers.get("X-Mockhub-Unimplemented"), flush=True)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
open(port_file + ".tmp", "w").write("1\\n")
os.rename(port_file + ".tmp", port_file)
while True:
    time.sleep(1)
""")
os.chmod(fake, 0o755)
rc, out = run("unimplemented", {"description": "landq calls an endpoint mockhub lacks", "world": WORLD,
                                "steps": [], "expect": {"invariants": False}}, args=["--landq", fake])
check(rc == 1 and "called GET /repos/acme/mono/releases (repos/list-releases), a GitHub endpoint mockhub does not "
      "implement" in out, "a scenario that hit an unimplemented endpoint fails", out)
check("releases: 501 GET /repos/{owner}/{repo}/releases" in out, "mockhub run serves with --strict (501)", out)

# 5. finding landq
ok_scn = {"description": "nothing happens", "world": WORLD, "steps": [{"do": "wait_idle"}]}
rc, out = run("discover", ok_scn, args=[])
check(rc == 0 and out.startswith("ok "), "mockhub run without --landq finds BUILD/landq/landq next to BUILD/mockhub/mockhub", out)
rc, out = run("landq-env", ok_scn, env={"LANDQ": LANDQ}, args=[])
check(rc == 0, "LANDQ names the landq binary", out)
rc, out = run("landq-dir", ok_scn, env={"LANDQ": TMP}, args=[])
check(rc == 2 and "is not an executable file" in out and "$LANDQ" in out, "LANDQ naming a directory is refused clearly", out)
lone = os.path.join(TMP, "bin")
os.mkdir(lone)
shutil.copy(MOCKHUB, os.path.join(lone, "mockhub"))
env = {"PATH": "/usr/bin:/bin", "LANDQ": ""}
rc, out = run("no-landq", ok_scn, env=env, args=[], exe=os.path.join(lone, "mockhub"), cwd=lone)
check(rc == 2 and "cannot find landq" in out and "--landq PATH" in out, "no landq anywhere: a clear message, no 30 s wait", out)
rc, out = run("landq-false", ok_scn, args=["--landq", "/bin/false"])
check(rc == 1 and "exited before listening (status 1)" in out, "a landq that exits at once is reported as such", out)
rc, out = run("help", ok_scn, args=["--help"])
check(rc == 0 and "LANDQ" in out and "./build/landq/landq" in out, "mockhub run --help documents LANDQ and the search", out)
p = subprocess.run([MOCKHUB, "check-world", "--help"], capture_output=True, text=True)
check(p.returncode == 0 and "usage: mockhub check-world FILE" in p.stdout, "mockhub check-world --help")

if not fails:
    shutil.rmtree(TMP, ignore_errors=True)
print("%d failed" % len(fails) if fails else "all passed")
sys.exit(1 if fails else 0)
