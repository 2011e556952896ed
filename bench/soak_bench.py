#!/usr/bin/env python3
"""Retention soak (issue 13, defect 4): N deliveries (default 1,000,000) through landq's intake
on SQLite with inbox_retention and audit_retention set short, in wrk rounds of R seconds (32
connections, the real 26 KB payload, signed, unique delivery ids). After every round it records
the intake rate and latency of that round and the database's size on disk (file + WAL) and its
logical size (pages in use or free), so the report shows the size curve and whether throughput
degrades over the run.

bench/intake_server runs with --soak: a consumer marks every stored delivery processed every
100 ms (and writes one audit row per batch), as a worker that keeps up would, so retention has
work at any intake rate; and with landq's retention thread (io/retention.c), as `landq serve`.

usage: soak_bench.py SERVER PAYLOAD [--deliveries 1000000] [--retention 10s] [--round 10]
Exit 0 when the size stays bounded (the largest logical size in the second half of the run is
at most 1.5x the largest in the first half) and the last quarter's rate is at least 80% of the
first quarter's.
"""
import argparse, hashlib, hmac, json, os, re, secrets, shutil, signal, sqlite3, subprocess, sys
import tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from intake_bench import LUA, free_port, post  # noqa: E402


def sizes(db):
    st = lambda p: os.stat(p).st_size if os.path.exists(p) else 0  # noqa: E731
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
    page = c.execute("PRAGMA page_size").fetchone()[0]
    pages = c.execute("PRAGMA page_count").fetchone()[0]
    free = c.execute("PRAGMA freelist_count").fetchone()[0]
    rows = c.execute("SELECT count(*) FROM inbox_deliveries").fetchone()[0]
    audit = c.execute("SELECT count(*) FROM lq_audit").fetchone()[0]
    c.close()
    return {"file": st(db), "wal": st(db + "-wal"), "logical": page * pages, "free": page * free,
            "rows": rows, "audit": audit}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("server")
    ap.add_argument("payload")
    ap.add_argument("--deliveries", type=int, default=1000000)
    ap.add_argument("--retention", default="10s")
    ap.add_argument("--round", type=int, default=10)
    ap.add_argument("--connections", type=int, default=32)
    args = ap.parse_args()
    body = open(args.payload, "rb").read()
    secret = secrets.token_hex(20)
    sig = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    work = tempfile.mkdtemp(prefix="lq-soak-")
    db = os.path.join(work, "landq.db")
    port = free_port()
    env = dict(os.environ, LANDQ_WEBHOOK_SECRET=secret)
    log = open(os.path.join(work, "server.log"), "w")
    proc = subprocess.Popen([args.server, "--listen", "127.0.0.1:%d" % port, "--db", db, "--soak",
                             "--inbox-retention", args.retention, "--audit-retention",
                             args.retention], env=env, stdout=subprocess.PIPE, stderr=log)
    t0 = time.monotonic()
    while True:
        try:
            if post(port, body, sig, "soak-probe") == 202:
                break
        except OSError:
            pass
        if time.monotonic() - t0 > 30 or proc.poll() is not None:
            sys.exit("soak: server did not start")
        time.sleep(0.05)
    total, rnd, rows_out = 0, 0, []
    start = time.monotonic()
    print("round  elapsed  delivered  rate/s  p50 ms  p99 ms  | file MB  wal MB  logical MB  "
          "free MB  rows  audit", flush=True)
    try:
        while total < args.deliveries:
            rnd += 1
            script = os.path.join(work, "r.lua")
            with open(script, "w") as f:
                f.write(LUA % {"body": body.decode(), "sig": sig, "run": "soak%d" % rnd})
            w = subprocess.run(["wrk", "-t2", "-c%d" % args.connections, "-d%ds" % args.round,
                                "--timeout", "10s", "-s", script,
                                "http://127.0.0.1:%d/webhook" % port],
                               capture_output=True, text=True)
            m = re.search(r"^BENCH (.*)$", w.stdout, re.M)
            if w.returncode or not m:
                sys.exit("soak: wrk failed:\n" + w.stdout + w.stderr)
            r = json.loads(m.group(1))
            errs = sum(r["errors"].values())
            total += r["requests"]
            s = sizes(db)
            row = {"round": rnd, "elapsed": time.monotonic() - start, "total": total,
                   "rate": r["requests"] / (r["duration_us"] / 1e6), "p50": r["p50_us"] / 1e3,
                   "p99": r["p99_us"] / 1e3, "errors": errs, **s}
            rows_out.append(row)
            mb = 1 << 20
            print("%5d  %6.0fs  %9d  %6.0f  %6.2f  %6.2f  | %7.1f  %6.1f  %10.1f  %7.1f  %6d  %5d%s"
                  % (rnd, row["elapsed"], total, row["rate"], row["p50"], row["p99"],
                     s["file"] / mb, s["wal"] / mb, s["logical"] / mb, s["free"] / mb, s["rows"],
                     s["audit"], "  errors %d" % errs if errs else ""), flush=True)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=300)
        log.close()
        retention_lines = [l for l in open(os.path.join(work, "server.log"))
                           if "msg=retention" in l]
        shutil.rmtree(work, ignore_errors=True)
    srv = json.loads(out.decode().strip().splitlines()[-1])
    half = len(rows_out) // 2
    q = max(1, len(rows_out) // 4)
    first_max = max(r["logical"] for r in rows_out[:half]) if half else rows_out[0]["logical"]
    second_max = max(r["logical"] for r in rows_out[half:])
    rate_first = sum(r["rate"] for r in rows_out[:q]) / q
    rate_last = sum(r["rate"] for r in rows_out[-q:]) / q
    bounded = second_max <= 1.5 * first_max
    steady = rate_last >= 0.8 * rate_first
    print("delivered %d in %.0f s; server stored %d, failed %d; retention passes that deleted: %d"
          % (total, time.monotonic() - start, srv["stored"], srv["failed"],
             len(retention_lines)))
    print("logical size: max %.1f MB in the first half, %.1f MB in the second -> %s"
          % (first_max / (1 << 20), second_max / (1 << 20), "bounded" if bounded else "GROWING"))
    print("rate: first quarter %.0f/s, last quarter %.0f/s -> %s"
          % (rate_first, rate_last, "no degradation" if steady else "DEGRADED"))
    print("load average: %s" % " ".join(open("/proc/loadavg").read().split()[:3]))
    ok = bounded and steady and srv["failed"] == 0
    print("RESULT: %s" % ("ok" if ok else "failed"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
