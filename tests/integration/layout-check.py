#!/usr/bin/env python3
"""landq's source layout (suite 'lint'; issue 12): small files, core free of I/O, no include
circles.

- No .c/.h file in landq/io is longer than MAX_LINES (700) lines: a file that grows past it
  holds more than one concept; split it (one concept per file, an internal *_int.h header below
  the pieces). The size rule is for landq/io only (issue 12's acceptance): landq/core has pure
  modules that are one concept each and longer (codeowners.c, train.c, queue_view.c); core is
  held to the two rules below.
- landq/core is pure (docs/architecture: no sockets, files, clocks, threads): none of its files
  includes a landq/io header, nor a header of an I/O library (libcurl, SQLite, libpq,
  libmicrohttpd, libgit2, lz4) or of the operating system's I/O (sockets, files, threads).
- The quoted includes among landq/ headers (core, io, commands.h) form no cycle.

Usage: layout-check.py SOURCE_ROOT
"""
import os
import re
import sys

MAX_LINES = 700
# System headers that mean I/O in a "pure" file. stdio.h stays allowed (snprintf); its file
# functions are caught by CORE_IO_CALLS below. arpa/inet.h is allowed: inet_pton/inet_ntop only
# convert text (core/cidr.c).
IO_HEADERS = re.compile(
    r"^(curl/|sqlite3\.h$|libpq-fe\.h$|postgresql/|microhttpd\.h$|git2(\.h$|/)|lz4|"
    r"sys/socket\.h$|netinet/|netdb\.h$|unistd\.h$|fcntl\.h$|pthread\.h$|dirent\.h$|"
    r"sys/stat\.h$|sys/mman\.h$|poll\.h$|sys/epoll\.h$|threads\.h$)")
CORE_IO_CALLS = re.compile(r"\b(fopen|fread|fwrite|fclose|fgets|popen|getenv|clock_gettime|"
                           r"time\(NULL\))\s*\(?")
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)

# absolute and normalised: the include graph compares paths (with a relative root, "./landq/x.h"
# and "landq/x.h" would differ and hide a cycle)
root = os.path.abspath(sys.argv[1])
landq = os.path.join(root, "landq")
fail = []


def files(sub, exts=(".c", ".h")):
    d = os.path.join(landq, sub)
    return sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(exts))


def rel(p):
    return os.path.relpath(p, root)


def text(p):
    with open(p, encoding="utf-8") as f:
        return f.read()


def strip_comments(s):
    s = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), s, flags=re.S)
    return re.sub(r"//[^\n]*", "", s)


core, io = files("core"), files("io")

# 1. length (landq/io only: see the docstring)
for p in io:
    n = text(p).count("\n")
    if n > MAX_LINES:
        fail.append(f"{rel(p)}: {n} lines (more than {MAX_LINES}): split it by concept")

# 2. core is pure
io_headers = {os.path.basename(p) for p in io if p.endswith(".h")}
core_headers = {os.path.basename(p) for p in core if p.endswith(".h")}
for p in core:
    src = strip_comments(text(p))
    for kind, name in INCLUDE.findall(src):
        base = os.path.basename(name)
        if kind == '"' and base in io_headers and base not in core_headers:
            fail.append(f"{rel(p)}: includes the I/O header \"{name}\" (landq/io): core must not")
        elif kind == "<" and IO_HEADERS.match(name):
            fail.append(f"{rel(p)}: includes <{name}>, which means I/O: core must stay pure")
    for m in CORE_IO_CALLS.finditer(src):
        line = src.count("\n", 0, m.start()) + 1
        fail.append(f"{rel(p)}:{line}: calls {m.group(1)}: core must stay pure")

# 3. no include cycle among landq's headers (a quoted include resolves in the including file's
# directory first, then in core/ and io/, as meson's include directories do)
headers = files("core", (".h",)) + files("io", (".h",)) + [
    os.path.join(landq, f) for f in os.listdir(landq) if f.endswith(".h")]
graph = {}
for h in headers:
    deps = []
    for kind, name in INCLUDE.findall(strip_comments(text(h))):
        if kind != '"':
            continue
        for d in (os.path.dirname(h), os.path.join(landq, "core"), os.path.join(landq, "io"),
                  os.path.join(landq, "assets")):
            cand = os.path.normpath(os.path.join(d, name))
            if os.path.exists(cand):
                deps.append(cand)
                break
    graph[h] = deps

WHITE, GREY, BLACK = 0, 1, 2
colour = {h: WHITE for h in graph}
cycles = []


def visit(h, stack):
    colour[h] = GREY
    stack.append(h)
    for d in graph.get(h, []):
        if colour.get(d, BLACK) == GREY:
            cycles.append(stack[stack.index(d):] + [d])
        elif colour.get(d) == WHITE:
            visit(d, stack)
    stack.pop()
    colour[h] = BLACK


for h in sorted(graph):
    if colour[h] == WHITE:
        visit(h, [])
for c in cycles:
    fail.append("include cycle: " + " -> ".join(rel(h) for h in c))

for f in fail:
    print(f"layout-check: {f}")
if fail:
    sys.exit(1)
print(f"layout-check: {len(io)} io files, none over {MAX_LINES} lines, {len(core)} core files "
      f"free of I/O, {len(graph)} headers without an include cycle")
