#!/usr/bin/env python3
"""Webhook intake benchmark: starts bench/intake_server (lq_intake + durable lq_inbox + a worker
doing next/done), measures exec -> first acknowledged delivery, then drives it with wrk: 32
connections for 15 s posting a real 26 KB pull_request `labeled` payload, correctly signed
(HMAC-SHA256 computed here, independently of landq), each request with a unique
X-GitHub-Delivery. Prints throughput, p50/p99 latency, peak RSS, first-ack time, and checks that
every 202 is on disk. Exit status 0 when the targets hold, 1 otherwise.

usage: intake_bench.py SERVER PAYLOAD [--duration 15] [--connections 32] [--threads 2]
"""
import argparse, hashlib, hmac, json, os, re, secrets, shutil, signal, socket, subprocess, sys
import tempfile, time

TARGETS = {"throughput": 8000.0, "p99_ms": 10.0, "rss_mib": 32.0, "first_ack_ms": 20.0}

# No response() callback: it would make wrk parse every reply. The server counts its answers by
# status instead, and the driver requires every answer to be a 202.
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
  io.write(string.format('BENCH {"requests":%%d,"duration_us":%%d,"p50_us":%%d,"p90_us":%%d,' ..
    '"p99_us":%%d,"max_us":%%d,"errors":{"connect":%%d,"read":%%d,"write":%%d,"status":%%d,' ..
    '"timeout":%%d}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout))
end
"""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def post(port, body, sig, delivery, timeout=1.0):
    req = (b"POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
           b"X-GitHub-Event: pull_request\r\nX-GitHub-Delivery: " + delivery.encode() +
           b"\r\nX-Hub-Signature-256: " + sig.encode() + b"\r\nContent-Length: " +
           str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(req)
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    m = re.match(rb"HTTP/1\.[01] (\d+)", data)
    return int(m.group(1)) if m else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("server")
    ap.add_argument("payload")
    ap.add_argument("--duration", type=int, default=15)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-worker", action="store_true")
    ap.add_argument("--server-threads", type=int, default=0,
                    help="0: a thread per connection; N: the intake's event loop, N threads")
    ap.add_argument("--store-own-connection", action="store_true",
                    help="the worker's store writes use the store's own SQLite connection "
                         "instead of the inbox's group commit (how landq did it before)")
    args = ap.parse_args()
    wrk = shutil.which("wrk")
    if not wrk:
        sys.exit("intake_bench: wrk not found (apt-get install wrk)")
    body = open(args.payload, "rb").read()
    secret = secrets.token_hex(20)
    sig = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    run = "bench-" + secrets.token_hex(4)
    work = tempfile.mkdtemp(prefix="lq-intake-bench-")
    db = os.path.join(work, "landq.db")
    port = free_port()
    env = dict(os.environ, LANDQ_WEBHOOK_SECRET=secret)
    cmd = [args.server, "--listen", "127.0.0.1:%d" % port, "--db", db]
    if args.no_worker:
        cmd.append("--no-worker")
    if args.server_threads:
        cmd += ["--threads", str(args.server_threads)]
    if args.store_own_connection:
        cmd.append("--store-own-connection")

    # exec -> first acknowledged (202, durable) delivery: on a new database, then on restart
    def start_and_ack(delivery):
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        while time.monotonic() - t0 < 5:
            try:
                if post(port, body, sig, delivery) == 202:
                    return proc, (time.monotonic() - t0) * 1e3
            except OSError:
                pass
            time.sleep(0.0002)
        proc.kill()
        out, err = proc.communicate()
        sys.exit("intake_bench: server never acknowledged a delivery\n" + err.decode())

    proc, first_ack_new_ms = start_and_ack(run + "-first-new")
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    proc, first_ack_ms = start_and_ack(run + "-first-restart")

    assert "]==]" not in body.decode()
    script = os.path.join(work, "bench.lua")
    with open(script, "w") as f:
        f.write(LUA % {"body": body.decode(), "sig": sig, "run": run})
    wrk_cmd = [wrk, "-t%d" % args.threads, "-c%d" % args.connections, "-d%ds" % args.duration,
               "--timeout", "10s", "-s", script, "http://127.0.0.1:%d/webhook" % port]
    w = subprocess.run(wrk_cmd, capture_output=True, text=True)
    time.sleep(0.5)  # requests wrk abandoned at the end still finish on the server
    # peak RSS while still running (VmHWM), then stop the server and read its report
    hwm = None
    try:
        for line in open("/proc/%d/status" % proc.pid):
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    except OSError:
        pass
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    shutil.rmtree(work, ignore_errors=True)
    m = re.search(r"^BENCH (.*)$", w.stdout, re.M)
    if w.returncode != 0 or not m:
        sys.exit("intake_bench: wrk failed:\n" + w.stdout + w.stderr)
    res = json.loads(m.group(1))
    srv = json.loads(out.decode().strip().splitlines()[-1])

    secs = res["duration_us"] / 1e6
    # the server answered 202 to both probes and to this run's stored deliveries, nothing else
    n202 = res["requests"]
    other = srv["answered_other"]
    errors = sum(res["errors"].values())
    rss_mib = (hwm or srv["peak_rss_kib"]) / 1024.0
    fig = {
        "throughput": n202 / secs,
        "p50_ms": res["p50_us"] / 1e3,
        "p99_ms": res["p99_us"] / 1e3,
        "max_ms": res["max_us"] / 1e3,
        "rss_mib": rss_mib,
        "first_ack_ms": max(first_ack_ms, first_ack_new_ms),
    }
    # every 202 must be on disk: rows = both probes + what this run stored; wrk may have cut a
    # few requests that were stored but whose answer it no longer counted.
    durable = (srv["failed"] == 0 and srv["rows_on_disk"] == srv["stored"] + 1 and
               srv["answered_202"] == srv["stored"] and
               n202 + 1 <= srv["stored"] <= n202 + 1 + args.connections)
    print("landq webhook intake benchmark: %d connections, %d wrk threads, %.1f s, "
          "payload %s (%d bytes), durability on (SQLite WAL, synchronous=FULL, group commit), "
          "server: %s"
          % (args.connections, args.threads, secs, os.path.basename(args.payload), len(body),
             "event loop, %d threads" % args.server_threads if args.server_threads
             else "a thread per connection"))
    print("  deliveries acknowledged (202): %d  -> %.0f deliveries/s" % (n202, fig["throughput"]))
    print("  latency: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms (server side, headers "
          "in -> answer queued: p50 <= %g ms, p99 <= %g ms)"
          % (fig["p50_ms"], res["p90_us"] / 1e3, fig["p99_ms"], fig["max_ms"],
             srv["server_ack_ms_le"]["p50"], srv["server_ack_ms_le"]["p99"]))
    print("  server peak RSS: %.1f MiB; server CPU %.1f us per stored delivery"
          % (rss_mib, srv["cpu_s"] * 1e6 / max(1, srv["stored"])))
    print("  exec -> first acknowledged delivery: %.1f ms on a new database, %.1f ms on restart"
          % (first_ack_new_ms, first_ack_ms))
    print("  answers other than 202: %d; socket errors: %s" % (other, res["errors"]))
    print("  durable: stored %d, rows on disk %d (+1 from the first start), failed %d, %d commits (%.1f deliveries/fsync, "
          "max batch %d; commit incl. fsync avg %.2f ms, max %.2f ms) -> %s"
          % (srv["stored"], srv["rows_on_disk"], srv["failed"], srv["commits"],
             srv["stored"] / max(1, srv["commits"]), srv["max_batch"], srv["commit_ms_avg"],
             srv["commit_ms_max"], "OK" if durable else "MISMATCH"))
    if not args.no_worker:
        print("  worker during the storm: %d processed; next() p50 %.2f / p99 %.2f / max %.2f ms;"
              " done() p50 %.2f / p99 %.2f / max %.2f ms"
              % (srv["worker_processed"], srv["worker_next_ms"]["p50"],
                 srv["worker_next_ms"]["p99"], srv["worker_next_ms"]["max"],
                 srv["worker_done_ms"]["p50"], srv["worker_done_ms"]["p99"],
                 srv["worker_done_ms"]["max"]))
        print("  landing delay: the worker's store writes for one step (state row + audit row, %s): "
              "p50 %.2f / p99 %.2f / max %.2f ms"
              % ("own connection, busy_timeout 10 s" if args.store_own_connection else
                 "through the inbox's group commit, as in landq serve",
                 srv["store_write_ms"]["p50"], srv["store_write_ms"]["p99"],
                 srv["store_write_ms"]["max"]))
    ok = durable and not other and errors == 0
    for k, limit in TARGETS.items():
        good = fig[k] >= limit if k == "throughput" else fig[k] < limit
        ok = ok and good
        print("  target %-12s %s %g: %s" % (k, ">=" if k == "throughput" else "<", limit,
                                            "met" if good else "MISSED (%.2f)" % fig[k]))
    print("RESULT: %s" % ("all targets met" if ok else "targets missed"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
