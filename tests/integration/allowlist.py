#!/usr/bin/env python3
"""The webhook source allowlist end to end (landq serve + mockhub's GET /meta):
- a delivery from inside meta.hooks is accepted, from outside refused with 403;
- a refreshed list (mockhub's meta changed at runtime) takes effect without a restart;
- a restart without GitHub still enforces the last good list (persisted in SQLite);
- with no list ever loaded every delivery is refused and /healthz says why (fail closed);
- X-Forwarded-For is believed only from a trusted proxy (right-most untrusted address).
usage: allowlist.py LANDQ MOCKHUB"""
import hashlib, hmac, http.client, json, os, shutil, subprocess, sys, tempfile, time, uuid

landq, mockhub = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
tmp = tempfile.mkdtemp(prefix="lq-allow-")
SECRET = "s3cret"
procs, failures = [], []


def wait_port(path, proc, log):
    for _ in range(300):
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
                          "--github-api", api, "--repo", "acme/mono", "--db", db,
                          "--meta-refresh", "1", *extra], env=env, stdout=open(log, "w"),
                         stderr=subprocess.STDOUT)
    procs.append(p)
    p.log = log
    return p, wait_port(f"{d}/port", p, log)


def stop(p):
    p.terminate()
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()


def deliver(port, source="127.0.0.1", xff=None):
    body = json.dumps({"action": "labeled", "number": 1, "zen": str(uuid.uuid4())}).encode()
    sig = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    h = {"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": str(uuid.uuid4()),
         "X-Hub-Signature-256": sig, "Content-Type": "application/json",
         "User-Agent": "GitHub-Hookshot/test"}
    if xff:
        h["X-Forwarded-For"] = xff
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    c.request("POST", "/webhook", body=body, headers=h)
    r = c.getresponse()
    r.read()
    c.close()
    return r.status


def healthz(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
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
    expect("outside meta.hooks (127.0.0.2)", deliver(lport, "127.0.0.2"), 403)
    st, body = healthz(lport)
    expect("healthz with a list", (st, body["webhook_allowlist"]["loaded"]), (200, True))

    set_meta(mport, ["127.0.0.2/32"])
    deadline, got = time.time() + 10, None
    while time.time() < deadline:
        got = deliver(lport, "127.0.0.2")
        if got == 202:
            break
        time.sleep(0.3)
    expect("refreshed list admits 127.0.0.2 without a restart", got, 202)
    expect("refreshed list refuses 127.0.0.1", deliver(lport, "127.0.0.1"), 403)
    stop(lq)

    # GitHub unreachable: the persisted list is still enforced.
    stop(mh)
    lq, lport = start_landq(api, db)
    expect("restart without GitHub: 127.0.0.2 still admitted", deliver(lport, "127.0.0.2"), 202)
    expect("restart without GitHub: 127.0.0.1 still refused", deliver(lport, "127.0.0.1"), 403)
    st, body = healthz(lport)
    al = body["webhook_allowlist"]
    expect("healthz after restart", (st, al["source"], al["github_reachable"]), (200, "store", False))
    stop(lq)

    # Never loaded: fail closed, and /healthz says why.
    lq, lport = start_landq(api, f"{tmp}/fresh.db")
    expect("no list ever: refused", deliver(lport, "127.0.0.1"), 403)
    st, body = healthz(lport)
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
    expect("untrusted peer's header is ignored", deliver(lport, "127.0.0.2", "192.30.252.5"), 403)
    expect("malformed header from the proxy", deliver(lport, "127.0.0.1", "192.30.252.5, junk"), 403)
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
