#!/usr/bin/env python3
"""Checks .github/workflows/ci.yml (suite 'lint'): it parses as YAML, has the keys GitHub
requires and only keys GitHub knows (a typo would make GitHub reject or ignore the workflow), and
does what the project needs: the README's test command in debian:12 on every push and pull
request, and the nightly chaos campaign and libFuzzer campaign of every fuzz target with their
artifacts. (actionlint is not packaged in Debian 12, so this is the check.)
Usage: ci-workflow-check.py SOURCE_ROOT"""
import os
import re
import sys

import yaml

TOP_KEYS = {"name", "run-name", "on", "permissions", "env", "defaults", "concurrency", "jobs"}
JOB_KEYS = {"name", "needs", "permissions", "runs-on", "environment", "concurrency", "outputs",
            "env", "defaults", "if", "steps", "timeout-minutes", "strategy", "continue-on-error",
            "container", "services", "uses", "with", "secrets"}
STEP_KEYS = {"id", "if", "name", "uses", "run", "working-directory", "shell", "with", "env",
             "continue-on-error", "timeout-minutes"}
EVENTS = {"push", "pull_request", "pull_request_target", "schedule", "workflow_dispatch",
          "workflow_call", "release", "merge_group"}

errors = []


def err(msg):
    errors.append(msg)


def main():
    root = sys.argv[1]
    path = os.path.join(root, ".github", "workflows", "ci.yml")
    text = open(path, encoding="utf-8").read()
    try:
        wf = yaml.safe_load(text)
    except yaml.YAMLError as e:
        print("%s: not valid YAML: %s" % (path, e))
        return 1
    if not isinstance(wf, dict):
        print("%s: not a mapping" % path)
        return 1
    # YAML 1.1 reads the key `on` as the boolean true; GitHub reads it as "on".
    if True in wf:
        wf["on"] = wf.pop(True)
    for k in wf:
        if k not in TOP_KEYS:
            err("unknown top-level key %r" % k)
    on = wf.get("on")
    if not on:
        err("no 'on' (the events that run the workflow)")
        on = {}
    if isinstance(on, str):
        on = {on: None}
    elif isinstance(on, list):
        on = {e: None for e in on}
    for e in on:
        if e not in EVENTS:
            err("unexpected event %r" % e)
    for e in ("push", "pull_request", "schedule"):
        if e not in on:
            err("the workflow must run on %s" % e)
    for s in (on.get("schedule") or []):
        cron = (s or {}).get("cron", "")
        if len(cron.split()) != 5:
            err("schedule cron %r must have 5 fields" % cron)

    jobs = wf.get("jobs")
    if not isinstance(jobs, dict) or not jobs:
        err("no jobs")
        jobs = {}
    for name, job in jobs.items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", str(name)):
            err("job id %r is not valid" % name)
        if not isinstance(job, dict):
            err("job %s is not a mapping" % name)
            continue
        for k in job:
            if k not in JOB_KEYS:
                err("job %s: unknown key %r" % (name, k))
        if "runs-on" not in job:
            err("job %s: no runs-on" % name)
        steps = job.get("steps")
        if not isinstance(steps, list) or not steps:
            err("job %s: no steps" % name)
            continue
        for i, st in enumerate(steps):
            where = "job %s step %d" % (name, i + 1)
            if not isinstance(st, dict):
                err("%s: not a mapping" % where)
                continue
            for k in st:
                if k not in STEP_KEYS:
                    err("%s: unknown key %r" % (where, k))
            if ("uses" in st) == ("run" in st):
                err("%s: needs exactly one of 'uses' and 'run'" % where)
            if "uses" in st and not re.fullmatch(r"[\w.-]+/[\w./-]+@[\w.-]+", st["uses"]):
                err("%s: 'uses: %s' is not OWNER/REPO@REF" % (where, st["uses"]))
    # ${{ ... }} expressions are closed
    if text.count("${{") != text.count("}}"):
        err("unbalanced ${{ }} expressions")

    # What the project needs from it.
    def runs(job):
        return "\n".join(str(s.get("run", "")) for s in job.get("steps", []) if isinstance(s, dict))

    def uses(job):
        return [str(s.get("uses", "")) for s in job.get("steps", []) if isinstance(s, dict)]

    def image(job):
        c = job.get("container")
        return c.get("image") if isinstance(c, dict) else c

    readme = open(os.path.join(root, "README.md"), encoding="utf-8").read()
    m = re.search(r"^(\./scripts/test)\b", readme, re.M)
    test_cmd = m.group(1) if m else "./scripts/test"
    gate = [n for n, j in jobs.items() if isinstance(j, dict) and image(j) == "debian:12"
            and re.search(r"^\s*%s\s*$" % re.escape(test_cmd), runs(j), re.M)]
    if not gate:
        err("no job runs the README's test command (%s) in a debian:12 container" % test_cmd)
    for n in gate:
        if not any(u.startswith("actions/cache@") for u in uses(jobs[n])):
            err("job %s: the build dependencies are not cached (actions/cache)" % n)
    alljobs = [j for j in jobs.values() if isinstance(j, dict)]
    chaos = [j for j in alljobs if re.search(r"mockhub chaos .*--count 2000.*--jobs 8", runs(j).replace("\\\n", " "))]
    if not chaos:
        err("no job runs `mockhub chaos ... --count 2000 --jobs 8`")
    fuzz_meson = open(os.path.join(root, "fuzz", "meson.build"), encoding="utf-8").read()
    block = re.search(r"fuzz_targets = \{(.*?)\}", fuzz_meson, re.S)
    targets = set(re.findall(r"'(\w+)':", block.group(1))) if block else set()
    fuzz = [j for j in alljobs if "-max_total_time=600" in runs(j)]
    if not fuzz:
        err("no job runs the libFuzzer targets for 10 minutes (-max_total_time=600)")
    else:
        matrix = set((fuzz[0].get("strategy") or {}).get("matrix", {}).get("target", []))
        if matrix != targets:
            err("the fuzz job's targets %s differ from fuzz/meson.build's %s"
                % (sorted(matrix), sorted(targets)))
    for what, js in (("chaos", chaos), ("fuzz", fuzz)):
        for j in js:
            if not any(u.startswith("actions/upload-artifact@") for u in uses(j)):
                err("the %s job uploads no artifacts" % what)
            if "schedule" not in str(j.get("if", "")):
                err("the %s job must run on the nightly schedule (if: ... schedule ...)" % what)

    for e in errors:
        print("%s: %s" % (os.path.relpath(path, root), e))
    if not errors:
        print("ok %s: %d jobs (%s)" % (os.path.relpath(path, root), len(jobs), ", ".join(jobs)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
