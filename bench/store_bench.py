#!/usr/bin/env python3
"""Durable webhook intake by store backend, side by side in one run (bench/README.md):

  sqlite  bench/intake_server on a SQLite file (landq's default)
  pg1     one intake_server on PostgreSQL (--db: a throwaway cluster, tests/support/pgtest.py)
  pg3     three intake_servers on the same PostgreSQL database (every instance is an intake)
  node    a Node receiver (bench/node_peer: @octokit/webhooks verify, append + fsync, 202)

Each is driven by wrk with the same real 26 KB pull_request payload, signed for real, every
request with a unique X-GitHub-Delivery, C connections in all for D seconds (with several
instances, the connections are split over one wrk per instance, as a load balancer would; the
latency percentiles are merged from each wrk's percentile table, weighted by its requests).
Checks after each: every 202 is in the database (or the Node peer's log).

usage: store_bench.py SERVER PAYLOAD [--duration 15] [--connections 32] [--only sqlite,pg1,pg3,node]
"""
import argparse, hashlib, hmac, json, os, re, secrets, shutil, signal, socket, subprocess, sys
import tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "support"))
sys.path.insert(0, HERE)
import pgtest  # noqa: E402
from intake_bench import free_port, post  # noqa: E402

PCTS = [p / 10.0 for p in range(10, 1000, 10)] + [99.5, 99.9]
LUA = r"""
local body = [==[%(body)s]==]
local counter = 0
local tid = 0
local next_tid = 0
function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
end
function init(args)
  tid = wrk.thread:get("tid")
  wrk.method = "POST"
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["User-Agent"] = "GitHub-Hookshot/bench"
  wrk.headers["X-GitHub-Event"] = "pull_request"
  wrk.headers["X-GitHub-Hook-ID"] = "1"
  wrk.headers["X-Hub-Signature-256"] = "%(sig)s"
end
function request()
  counter = counter + 1
  wrk.headers["X-GitHub-Delivery"] = string.format("%(run)s-%%d-%%d", tid, counter)
  return wrk.format()
end
function done(summary, latency, requests)
  local p = {}
  for _, q in ipairs({%(pcts)s}) do p[#p + 1] = string.format("%%d", latency:percentile(q)) end
  io.write(string.format('BENCH {"requests":%%d,"duration_us":%%d,"max_us":%%d,' ..
    '"errors":%%d,"status":%%d,"pcts":[%%s]}\n', summary.requests, summary.duration,
    latency.max, summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout, summary.errors.status, table.concat(p, ",")))
end
"""


def wait_ready(port, body, sig, run, proc, what):
    t0 = time.monotonic()
    while time.monotonic() - t0 < 30:
        if proc.poll() is not None:
            sys.exit("store_bench: %s exited: %s" % (what, proc.stderr.read().decode()[-2000:]))
        try:
            if post(port, body, sig, "%s-probe-%d" % (run, port)) == 202:
                return
        except OSError:
            pass
        time.sleep(0.05)
    sys.exit("store_bench: %s never acknowledged a delivery" % what)


def drive(ports, conns, duration, body, sig, run, work):
    """One wrk per port (connections split); returns merged figures."""
    procs = []
    per = [conns // len(ports) + (1 if i < conns % len(ports) else 0) for i in range(len(ports))]
    for i, port in enumerate(ports):
        script = os.path.join(work, "w%d.lua" % i)
        with open(script, "w") as f:
            f.write(LUA % {"body": body.decode(), "sig": sig, "run": "%s-w%d" % (run, i),
                           "pcts": ",".join(str(p) for p in PCTS)})
        threads = 2 if len(ports) == 1 else 1
        procs.append(subprocess.Popen(
            ["wrk", "-t%d" % threads, "-c%d" % per[i], "-d%ds" % duration, "--timeout", "10s",
             "-s", script, "http://127.0.0.1:%d/webhook" % port],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    res = []
    for p in procs:
        out, err = p.communicate()
        m = re.search(r"^BENCH (.*)$", out, re.M)
        if p.returncode or not m:
            sys.exit("store_bench: wrk failed:\n" + out + err)
        res.append(json.loads(m.group(1)))
    total = sum(r["requests"] for r in res)
    secs = max(r["duration_us"] for r in res) / 1e6
    samples = []  # (latency_us, weight)
    for r in res:
        w = r["requests"] / len(PCTS)
        samples += [(v, w) for v in r["pcts"]]
    samples.sort()

    def q(frac):
        acc, goal = 0.0, frac * sum(w for _, w in samples)
        for v, w in samples:
            acc += w
            if acc >= goal:
                return v / 1e3
        return samples[-1][0] / 1e3

    return {"requests": total, "rate": total / secs, "p50_ms": q(0.50), "p99_ms": q(0.99),
            "max_ms": max(r["max_us"] for r in res) / 1e3,
            "errors": sum(r["errors"] for r in res), "non202": sum(r["status"] for r in res)}


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    line = out.decode().strip().splitlines()[-1] if out.strip() else "{}"
    return json.loads(line), err.decode()


def run_landq(name, server, targets, args, body, sig, secret, work, count_rows):
    run = name + "-" + secrets.token_hex(3)
    env = dict(os.environ, LANDQ_WEBHOOK_SECRET=secret)
    procs, ports = [], []
    for t in targets:
        port = free_port()
        procs.append(subprocess.Popen([server, "--listen", "127.0.0.1:%d" % port, "--db", t],
                                      env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE))
        ports.append(port)
    for p, port in zip(procs, ports):
        wait_ready(port, body, sig, run, p, name)
    fig = drive(ports, args.connections, args.duration, body, sig, run, work)
    time.sleep(0.5)
    stats = [stop(p)[0] for p in procs]
    stored = sum(s["stored"] for s in stats)
    rows = count_rows()
    fig["durable"] = (rows == stored and sum(s["failed"] for s in stats) == 0 and
                      fig["requests"] + len(ports) <= stored <=
                      fig["requests"] + len(ports) + args.connections)
    fig["detail"] = "stored %d, rows %d, %.1f deliveries/commit" % (
        stored, rows, stored / max(1, sum(s["commits"] for s in stats)))
    return fig


def run_node(args, body, sig, secret, work):
    peer = os.path.join(HERE, "node_peer")
    if not os.path.isdir(os.path.join(peer, "node_modules", "@octokit", "webhooks")):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=peer, check=True)
    port = free_port()
    log = os.path.join(work, "node-peer.log")
    env = dict(os.environ, LANDQ_WEBHOOK_SECRET=secret)
    p = subprocess.Popen(["node", os.path.join(peer, "server.mjs"), str(port), log], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    run = "node-" + secrets.token_hex(3)
    wait_ready(port, body, sig, run, p, "node peer")
    fig = drive([port], args.connections, args.duration, body, sig, run, work)
    time.sleep(0.5)
    st, _ = stop(p)
    with open(log, "rb") as f:
        records = sum(1 for line in f if line.startswith(b'{"id":"node-'))
    fig["durable"] = records == st["stored"] and fig["requests"] + 1 <= st["stored"]
    fig["detail"] = "stored %d, records %d, one fsync each" % (st["stored"], records)
    return fig


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("server")
    ap.add_argument("payload")
    ap.add_argument("--duration", type=int, default=15)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--only", default="node,sqlite,pg1,pg3")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("store_bench: wrk not found (apt-get install wrk)")
    body = open(args.payload, "rb").read()
    secret = secrets.token_hex(20)
    sig = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    work = tempfile.mkdtemp(prefix="lq-store-bench-")
    results = {}
    try:
        with pgtest.Cluster(settings={"shared_buffers": "128MB"}) as pg:
            for name in args.only.split(","):
                if name == "node":
                    results[name] = run_node(args, body, sig, secret, work)
                elif name == "sqlite":
                    db = os.path.join(work, "landq.db")

                    def rows():
                        import sqlite3
                        c = sqlite3.connect(db)
                        n = c.execute("SELECT count(*) FROM inbox_deliveries").fetchone()[0]
                        c.close()
                        return n
                    results[name] = run_landq(name, args.server, [db], args, body, sig, secret,
                                              work, rows)
                else:
                    n = int(name[2:])
                    dbname = "bench_" + name
                    url = pg.createdb(dbname)

                    def rows(dbname=dbname):
                        return int(pg.sql(dbname, "SELECT count(*) FROM inbox_deliveries"))
                    results[name] = run_landq(name, args.server, [url] * n, args, body, sig,
                                              secret, work, rows)
                r = results[name]
                print("%-7s %8.0f deliveries/s  p50 %6.2f ms  p99 %6.2f ms  max %7.1f ms  "
                      "errors %d, non-202 %d  durable %s (%s)" %
                      (name, r["rate"], r["p50_ms"], r["p99_ms"], r["max_ms"], r["errors"],
                       r["non202"], "OK" if r["durable"] else "MISMATCH", r["detail"]),
                      flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load = open("/proc/loadavg").read().split()[:3]
    print("load average after the run: %s" % " ".join(load))
    ok = all(r["durable"] and not r["errors"] and not r["non202"] for r in results.values())
    if "pg3" in results and "node" in results:
        ratio = results["pg3"]["rate"] / results["node"]["rate"]
        t1 = ratio >= 2.0
        t2 = results["pg3"]["p99_ms"] <= 20.0
        print("target pg3 >= 2x node: %.2fx %s; target pg3 p99 <= 20 ms: %.2f ms %s" %
              (ratio, "met" if t1 else "MISSED", results["pg3"]["p99_ms"],
               "met" if t2 else "MISSED"))
        ok = ok and t1 and t2
    print("RESULT: %s" % ("all targets met" if ok else "targets missed"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
