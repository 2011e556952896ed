#!/usr/bin/env python3
"""The mockhub and scenario docs against the code (suite 'lint'): every control API endpoint that
mockhub/control.c serves is in docs/mockhub.md's table, every world key mh_world.c accepts at the
top level is in docs/world.md, every scenario step kind and top-level key is in docs/scenarios.md,
so are landq's status texts (matched against the code's format strings) and comment headings,
every README/docs link to a file of the repository resolves, and no doc points outside the
repository (a path under /work/ or /home/).

Usage: docs-check.py SOURCE_ROOT
"""
import os
import re
import sys

root = sys.argv[1]
fail = []


def read(rel):
    with open(os.path.join(root, rel), encoding="utf-8") as f:
        return f.read()


mockhub_md, world_md, scen_md = read("docs/mockhub.md"), read("docs/world.md"), read("docs/scenarios.md")

# Control API: the paths control.c compares against (after /_mockhub and /v1).
control = read("mockhub/control.c")
paths = set(re.findall(r'!strcmp\(p, "(/[a-z_/]+)"\)', control))
paths |= {"/" + x for x in re.findall(r'!strncmp\(p, "/(ci)"', control)}
for p in sorted(paths):
    if f"/_mockhub/v1{p}" not in mockhub_md and not re.search(rf"`(GET|POST|DELETE)[^`|]*/_mockhub/v1{re.escape(p)}\b", mockhub_md):
        fail.append(f"docs/mockhub.md: control endpoint /_mockhub/v1{p} (mockhub/control.c) is not documented")
if "versioned and stable" not in mockhub_md:
    fail.append('docs/mockhub.md: the control API is not described as "versioned and stable"')
if "Unimplemented endpoints" in read("mockhub/server.c") and "## Unimplemented endpoints" not in mockhub_md:
    fail.append('docs/mockhub.md: no section "Unimplemented endpoints" (mockhub/server.c points there)')

# World: top-level keys of the validator.
world_c = read("mockhub/core/mh_world.c")
m = re.search(r'static const char \*const keys\[\] = \{"users", "orgs"(.*?)NULL\};', world_c, re.S)
world_keys = ["users", "orgs"] + re.findall(r'"([a-z_]+)"', m.group(1)) if m else []
if not world_keys:
    fail.append("docs-check.py: cannot find the top-level world keys in mh_world.c")
for k in world_keys + ["include"]:
    if f"| `{k}` |" not in world_md:
        fail.append(f"docs/world.md: top-level key `{k}` is not in the table")

# Scenarios: step kinds and top-level keys.
sc = read("mockhub/scenario/sc_scenario.c")
m = re.search(r"sc_step_kinds\[\] = \{(.*?)NULL\};", sc, re.S)
for kind in re.findall(r'"([a-z_]+)"', m.group(1)) if m else []:
    if not re.search(rf"^\| `{kind}`( / `[a-z_]+`)? \||^\| `[a-z_]+` / `{kind}` \|", scen_md, re.M):
        fail.append(f"docs/scenarios.md: step `{kind}` has no row in the steps table")
m = re.search(r"f_top\[\] = \{(.*?)\{NULL", sc, re.S)
for key in re.findall(r'\{"([a-z_]+)"', m.group(1)) if m else []:
    if f"`{key}`" not in scen_md:
        fail.append(f"docs/scenarios.md: top-level key `{key}` is not described")
if "](world.md)" not in scen_md:
    fail.append("docs/scenarios.md does not link docs/world.md")

# landq's status descriptions in docs/scenarios.md ("What landq writes") against the format strings
# of the code: UPPER-CASE placeholders and numbers stand for printf conversions. Two texts are
# assembled piecewise (a conditional " at PATH", the conflict summary): their fixed part is checked.
conv = re.compile(r"%[-+ #0-9.*]*(?:zu|lld|ld|d|s|c)")
literals = []
for rel in ("landq/core/policy.c", "landq/core/freeze.c", "landq/io/evaluate.c", "landq/io/landing.c",
            "landq/core/conflict_report.c"):
    for m in re.finditer(r'"(?:[^"\\\n]|\\.)*"(?:\s*"(?:[^"\\\n]|\\.)*")*', read(rel)):
        parts = re.findall(r'"((?:[^"\\\n]|\\.)*)"', m.group(0))
        literals.append(conv.sub("\0", "".join(parts).replace('\\"', '"')))
placeholder = re.compile(r"\b(?:[A-Z]|SHA12|[A-Z]{2,}(?:_[A-Z]+)*(?<!CODEOWNERS)|\d+)\b")
assembled = {"merge conflict with BASE: PATH (KIND)": "merge conflict with ",
             "CODEOWNERS at PATH on the base branch BASE could not be loaded: ERROR": " on the base branch "}
i = scen_md.find("**Status**")
rows = re.findall(r"^\| [^|]+ \| (?:pending|failure|error|success) \| `([^`]+)`", scen_md[i:], re.M) if i >= 0 else []
if len(rows) < 10:
    fail.append(f"docs/scenarios.md: the status table of \"What landq writes\" has {len(rows)} rows")
for text in rows:
    if text in assembled:
        ok = any(assembled[text] in lit for lit in literals)
    else:
        pat = re.escape(placeholder.sub("\0", text)).replace("\\\0", "\0").replace("\0", "(?:\0)+")
        ok = any(re.search(pat, lit) for lit in literals)
    if not ok:
        fail.append(f"docs/scenarios.md: status text `{text}` matches no format string of landq's code")

# The comment headings: every "**landq: STATE**" of the code is in the doc, and the other way round.
code_heads = set(re.findall(r"\*\*landq: [a-z ]+\*\*", read("landq/core/feedback_text.c")))
doc_heads = set(re.findall(r"\*\*landq: [a-z ]+\*\*", scen_md))
for h in sorted(code_heads ^ doc_heads):
    fail.append(f"docs/scenarios.md: comment heading {h} is " +
                ("not documented" if h in code_heads else "not in landq/core/feedback_text.c"))

# Links and paths in README.md and docs/*.md.
docs = ["README.md", "mockhub/examples/README.md"] + ["docs/" + f for f in sorted(os.listdir(os.path.join(root, "docs"))) if f.endswith(".md")]
for rel in docs:
    text = read(rel)
    for bad in re.findall(r"(?<![\w.:/])/(?:work|home)/[\w./-]+", text):
        fail.append(f"{rel}: points outside the repository: {bad}")
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if re.match(r"[a-z]+:", target):
            continue  # http:, https:, mailto:
        path = os.path.normpath(os.path.join(root, os.path.dirname(rel), target))
        if not os.path.exists(path):
            fail.append(f"{rel}: link to a missing file: {target}")

for f in fail:
    print("FAIL", f)
print(f"{len(paths)} control endpoints, {len(world_keys)} world keys, {len(docs)} documents checked; "
      f"{len(fail)} problems")
sys.exit(1 if fail else 0)
