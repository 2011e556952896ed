#!/usr/bin/env python3
"""Offline stand-in for the part of `terraform validate` that needs no provider schema: every
`var.X`, `local.X`, `module.X` and `TYPE.NAME` reference in a Terraform root resolves to a
declaration in that root, and every variable and local is used. (The real validate needs the
providers from the registry, which the test machine cannot reach.)  Usage: tf-refs.py DIR"""
import pathlib, re, sys

root = pathlib.Path(sys.argv[1])
text = "\n".join(p.read_text() for p in sorted(root.glob("*.tf")))
# Drop comments and string-free noise that could look like references.
code = re.sub(r"(?m)#.*$", "", text)
decl_res = set(re.findall(r'(?m)^(?:resource|data)\s+"([a-z0-9_]+)"\s+"([a-z0-9_]+)"', code))
decl_var = set(re.findall(r'(?m)^variable\s+"([a-z0-9_]+)"', code))
decl_mod = set(re.findall(r'(?m)^module\s+"([a-z0-9_]+)"', code))
decl_loc = set()
for body in re.findall(r"(?ms)^locals\s*\{(.*?)^\}", code):
    decl_loc |= set(re.findall(r"(?m)^  ([a-z0-9_]+)\s*=", body))
errors = []
for v in sorted(set(re.findall(r"\bvar\.([a-z0-9_]+)", code))):
    if v not in decl_var:
        errors.append(f"var.{v} is not declared")
for v in sorted(decl_var - set(re.findall(r"\bvar\.([a-z0-9_]+)", code))):
    errors.append(f"variable {v} is declared but never used")
for l in sorted(set(re.findall(r"\blocal\.([a-z0-9_]+)", code))):
    if l not in decl_loc:
        errors.append(f"local.{l} is not declared")
for m in sorted(set(re.findall(r"\bmodule\.([a-z0-9_]+)", code))):
    if m not in decl_mod:
        errors.append(f"module.{m} is not declared")
types = {t for t, _ in decl_res} | {"google_project_service"}
for t, n in sorted(set(re.findall(r"\b((?:google|random)_[a-z0-9_]+)\.([a-z0-9_]+)\b", code))):
    if (t, n) not in decl_res:
        errors.append(f"{t}.{n} is not declared")
for e in errors:
    print(f"{root}: {e}")
sys.exit(1 if errors else 0)
