#!/usr/bin/env python3
"""The webhook source allowlist end to end (landq serve + mockhub's GET /meta):
- a delivery from inside meta.hooks is accepted; a connection from outside is closed at accept
  time, before anything is read ("closed");
- a refreshed list (mockhub's meta changed at runtime) takes effect without a restart;
- a restart without GitHub still enforces the last good list (persisted in SQLite);
- with no list ever loaded every delivery is refused and /healthz says why (fail closed);
- X-Forwarded-For is believed only from a trusted proxy (right-most untrusted address of all
  its lines: a second line cannot hide behind a first one);
- /healthz and /metrics with the details are on the ops listener; the webhook port's /healthz
  says only ok / not ok and it serves no /metrics.
usage: allowlist.py LANDQ MOCKHUB"""
import hashlib, hmac, http.client, json, os, shutil, subprocess, sys, tempfile, time, uuid

landq, mockhub = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
tmp = tempfile.mkdtemp(prefix="lq-allow-")
SECRET = "s3cret"
procs, failures = [], []


def wait_port(path, proc, log):
    while True:  # until it listens or exits: no deadline of ours (meson's timeout bounds it)
        if os.path.exists(path) and open(path).read().strip():
            return int(open(path).read())
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    raise SystemExit(f"did not start; log:\n{open(log).read()[-3000:]}")


def start_mockhub(hooks):
    world = {"users": [{"login": "bot", "token": "tok-bot"}],
             "orgs": [{"login": "acme", "members": ["bot"]}],
             "repos": [{"full_name": "acme/mono", "collaborators": {"bot": "write"},
                        "files": {"README": "x\n"}}],
             "meta": {"hooks": hooks}}
    d = tempfile.mkdtemp(dir=tmp)
    json.dump(world, open(f"{d}/world.json", "w"))
    log = f"{d}/mockhub.log"
    p = subprocess.Popen([mockhub, "serve", "--world", f"{d}/world.json", "--listen", "127.0.0.1:0",
                          "--port-file", f"{d}/port", "--state-dir", f"{d}/state"],
                         stderr=open(log, "w"))
    procs.append(p)
    return p, wait_port(f"{d}/port", p, log)


def start_landq(api, db, *extra):
    d = tempfile.mkdtemp(dir=tmp)
    log = f"{d}/landq.log"
    env = dict(os.environ, LANDQ_GITHUB_TOKEN="tok-bot", LANDQ_WEBHOOK_SECRET=SECRET)
    p = subprocess.Popen([landq, "serve", "--listen", "127.0.0.1:0", "--port-file", f"{d}/port",
                          "--ops-listen", "127.0.0.1:0", "--ops-port-file", f"{d}/ops.port",
                          "--github-api", api, "--repo", "acme/mono", "--db", db,
                          "--meta-refresh", "1", *extra], env=env, stdout=open(log, "w"),
                         stderr=subprocess.STDOUT)
    procs.append(p)
    p.log = log
    port = wait_port(f"{d}/port", p, log)
    p.ops_port = int(open(f"{d}/ops.port").read())
    return p, port


def stop(p):
    p.terminate()
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()


def deliver(port, source="127.0.0.1", xff=None):
    """Status of a signed delivery, or "closed" when landq closed the connection unanswered.
    xff: one X-Forwarded-For value, or a list of values sent as separate header lines."""
    body = json.dumps({"action": "labeled", "number": 1, "zen": str(uuid.uuid4())}).encode()
    sig = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    h = [("X-GitHub-Event", "pull_request"), ("X-GitHub-Delivery", str(uuid.uuid4())),
         ("X-Hub-Signature-256", sig), ("Content-Type", "application/json"),
         ("User-Agent", "GitHub-Hookshot/test"), ("Content-Length", str(len(body)))]
    for v in ([xff] if isinstance(xff, str) else xff or []):
        h.append(("X-Forwarded-For", v))
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    try:
        c.putrequest("POST", "/webhook")
        for k, v in h:
            c.putheader(k, v)
        c.endheaders(body)
        r = c.getresponse()
        r.read()
        return r.status
    except (ConnectionError, http.client.RemoteDisconnected):
        return "closed"
    finally:
        c.close()


def healthz(p):
    """The ops listener's /healthz (the details)."""
    c = http.client.HTTPConnection("127.0.0.1", p.ops_port, timeout=10)
    c.request("GET", "/healthz")
    r = c.getresponse()
    body = json.loads(r.read())
    c.close()
    return r.status, body


def expect(what, got, want):
    print(f"{'ok' if got == want else 'FAIL'} {what}: {got}" + ("" if got == want else f" (want {want})"))
    if got != want:
        failures.append(what)


def set_meta(port, hooks):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("POST", "/_mockhub/meta", body=json.dumps({"hooks": hooks}),
              headers={"Content-Type": "application/json"})
    assert c.getresponse().status == 200
    c.close()


try:
    mh, mport = start_mockhub(["127.0.0.1/32"])
    api = f"http://127.0.0.1:{mport}"
    db = f"{tmp}/landq.db"
    lq, lport = start_landq(api, db)
    expect("inside meta.hooks (127.0.0.1)", deliver(lport, "127.0.0.1"), 202)
    log = open(lq.log).read()
    expect("the events landq acts on, logged once at start-up",
           log.count('msg="acting on webhook events" events="pull_request pull_request_review '
                     'status check_run check_suite"'), 1)
    expect("outside meta.hooks (127.0.0.2)", deliver(lport, "127.0.0.2"), "closed")
    c = http.client.HTTPConnection("127.0.0.1", lport, timeout=10)
    c.request("GET", "/healthz")
    r = c.getresponse()
    expect("webhook port /healthz says only ok", (r.status, r.read()), (200, b"ok\n"))
    c.request("GET", "/metrics")
    r = c.getresponse()
    r.read()
    expect("no /metrics on the webhook port", r.status, 404)
    c.close()
    st, body = healthz(lq)
    expect("healthz with a list", (st, body["webhook_allowlist"]["loaded"]), (200, True))

    set_meta(mport, ["127.0.0.2/32"])
    deadline, got = time.time() + 10, None
    while time.time() < deadline:
        got = deliver(lport, "127.0.0.2")
        if got == 202:
            break
        time.sleep(0.3)
    expect("refreshed list admits 127.0.0.2 without a restart", got, 202)
    expect("refreshed list refuses 127.0.0.1", deliver(lport, "127.0.0.1"), "closed")
    stop(lq)

    # GitHub unreachable: the persisted list is still enforced.
    stop(mh)
    lq, lport = start_landq(api, db)
    expect("restart without GitHub: 127.0.0.2 still admitted", deliver(lport, "127.0.0.2"), 202)
    expect("restart without GitHub: 127.0.0.1 still refused", deliver(lport, "127.0.0.1"), "closed")
    st, body = healthz(lq)
    al = body["webhook_allowlist"]
    expect("healthz after restart", (st, al["source"], al["github_reachable"]), (200, "store", False))
    stop(lq)

    # Never loaded: fail closed, and /healthz says why.
    lq, lport = start_landq(api, f"{tmp}/fresh.db")
    expect("no list ever: refused", deliver(lport, "127.0.0.1"), "closed")
    st, body = healthz(lq)
    expect("healthz without a list", (st, body["status"], "why" in body["webhook_allowlist"]),
           (503, "unavailable", True))
    stop(lq)

    # Behind a proxy: X-Forwarded-For only from trusted proxies.
    mh, mport = start_mockhub(["192.30.252.0/22"])
    lq, lport = start_landq(f"http://127.0.0.1:{mport}", f"{tmp}/proxy.db",
                            "--trusted-proxy", "127.0.0.1/32")
    expect("proxy forwards a GitHub address", deliver(lport, "127.0.0.1", "192.30.252.5"), 202)
    expect("proxy forwards a spoofed chain", deliver(lport, "127.0.0.1", "192.30.252.5, 8.8.8.8"), 403)
    expect("proxy forwards another address", deliver(lport, "127.0.0.1", "8.8.8.8"), 403)
    expect("proxy without the header", deliver(lport, "127.0.0.1"), 403)
    expect("untrusted peer's header is ignored", deliver(lport, "127.0.0.2", "192.30.252.5"), "closed")
    expect("malformed header from the proxy", deliver(lport, "127.0.0.1", "192.30.252.5, junk"), 403)
    # Issue 13, defect 1: two header lines are one list; the second line decides.
    expect("two X-Forwarded-For lines, outsider last",
           deliver(lport, "127.0.0.1", ["192.30.252.5", "8.8.8.8"]), 403)
    expect("two X-Forwarded-For lines, GitHub last",
           deliver(lport, "127.0.0.1", ["8.8.8.8", "192.30.252.5"]), 202)
finally:
    for p in procs:
        if p.poll() is None:
            stop(p)
if failures:
    for p in procs:
        if hasattr(p, "log"):
            print(f"--- {p.log}\n" + "".join(open(p.log).readlines()[-15:]))
    sys.exit(1)
shutil.rmtree(tmp, ignore_errors=True)
