#!/usr/bin/env python3
"""mockhub integration test: starts `mockhub serve` on port 0 with a webhook receiver, then drives
the REST API, the control API and git smart HTTP through the main flows, checking status codes,
headers, bodies, webhooks (with HMAC verification) and the git objects behind them.
Usage: integration.py MOCKHUB_BINARY [--keep] [--valgrind]
With --valgrind, mockhub runs under Valgrind memcheck and any error or leak fails the test."""
import base64, hashlib, hmac, http.server, json, os, shutil, signal, subprocess, sys, tempfile
import threading, time, urllib.error, urllib.request

MOCKHUB = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="mockhub-it-")
SECRET = b"s3cret"
FAILS = []
deliveries = []
dlock = threading.Lock()


def check(cond, what):
    if cond:
        print("ok   " + what)
    else:
        print("FAIL " + what)
        FAILS.append(what)


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        want = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
        if self.headers.get("Content-Type") == "application/x-www-form-urlencoded":
            import urllib.parse
            payload = json.loads(urllib.parse.parse_qs(body.decode())["payload"][0])
        else:
            payload = json.loads(body)
        with dlock:
            deliveries.append({"h": {k.lower(): v for k, v in self.headers.items()},
                               "sig_ok": hmac.compare_digest(want, self.headers.get("X-Hub-Signature-256", "")),
                               "body": payload})
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


recv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
threading.Thread(target=recv.serve_forever, daemon=True).start()
HOOK = "http://127.0.0.1:%d/webhook" % recv.server_address[1]

# A GitHub App: RSA key made with the openssl CLI; JWTs are signed with it below.
KEY = os.path.join(TMP, "app.pem")
subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", KEY],
               check=True, capture_output=True)
PUB = subprocess.run(["openssl", "pkey", "-in", KEY, "-pubout"], check=True, capture_output=True, text=True).stdout


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt(iss, iat, exp):
    signing = b64u(json.dumps({"alg": "RS256", "typ": "JWT"}).encode()) + "." + \
        b64u(json.dumps({"iat": iat, "exp": exp, "iss": iss}).encode())
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", KEY], input=signing.encode(),
                         check=True, capture_output=True).stdout
    return signing + "." + b64u(sig)


# Over 1 MB: the contents API answers it with content "" and encoding "none" (git blobs API has it).
BIG = b"".join(b"/gen/d%d/ @acme/infra\n" % i for i in range(60000))
world = {
    "apps": [{"id": 77, "slug": "lander", "client_id": "Iv1.lander", "public_key": PUB,
              "webhook": {"url": HOOK.replace("/webhook", "/app-hook"), "secret": "s3cret", "events": ["pull_request"]},
              "installations": [{"id": 7001, "account": "acme", "repositories": ["mono"]}]}],
    "users": [{"login": "alice", "token": "tok-alice", "email": "alice@example.com", "name": "Alice"},
              {"login": "bob", "token": "tok-bob"}, {"login": "carol", "token": "tok-carol"},
              {"login": "dave", "token": "tok-dave"}, {"login": "trina", "token": "tok-trina"},
              {"login": "bot", "token": "tok-bot", "type": "Bot"}],
    "orgs": [{"login": "acme", "members": ["alice", "bob"],
              "teams": [{"slug": "infra", "members": ["bob"], "pending": ["carol"]},
                        {"slug": "sre", "members": ["trina"], "parent": "infra"}]}],
    "repos": [{"full_name": "acme/mono", "default_branch": "main",
               "collaborators": {"alice": "write", "bob": "admin", "carol": "read", "trina": "triage",
                                 "bot": "write"},
               "files": {".github/CODEOWNERS": "/infra/ @acme/infra\n", "infra/main.tf": "x\n",
                         "docs/a.md": "a\n", "old/name.txt": "same content here\nline 2\nline 3\n"},
               "labels": ["land", {"name": "bug", "color": "d73a4a", "description": "Broken"}],
               "hooks": [{"url": HOOK, "secret": "s3cret", "events": ["*"]}],
               "pulls": [{"user": "alice", "head": "seeded", "files": {"seed.txt": "s\n"}}]},
              {"full_name": "acme/prot", "collaborators": {"alice": "write", "bob": "write", "carol": "read"},
               "branch_protection": {"main": {"required_approving_review_count": 1, "required_status_checks": ["ci"],
                                              "dismiss_stale_reviews": True}},
               "hooks": [{"url": HOOK, "secret": "s3cret", "events": ["pull_request_review"]}],
               "pulls": [{"user": "alice", "head": "f1", "files": {"f1.txt": "1\n"}}]},
              {"full_name": "acme/big", "collaborators": {"alice": "write"}, "teams": {"infra": "write"},
               "files": {"big.txt": BIG.decode()},
               "pulls": [{"user": "alice", "head": "huge",
                          "files": {"f/%04d.txt" % i: "%d\n" % i for i in range(3001 if "--valgrind" not in sys.argv else 10)}}]}],
    "rate_limit": {"core": 5000, "window_seconds": 3600},
    "seed": 7,
    # the CI simulator, on branches ci/* only (the flows above stay as they are)
    "ci": {"contexts": [{"name": "sim/test", "duration_ms": [10, 40], "branches": ["ci/*"]},
                        {"name": "sim/lint", "kind": "status", "duration_ms": 20, "branches": ["ci/*"]},
                        {"name": "sim/slow", "duration_ms": 600000, "branches": ["ci/slow"]}],
           "rules": [{"contains": "BREAKS", "summary": "a breaking change"}, {"all": ["RENAMED", "CALLER"]}]},
}
wpath = os.path.join(TMP, "world.json")
with open(wpath, "w") as f:
    json.dump(world, f, indent=1)
port_file = os.path.join(TMP, "port")
log = open(os.path.join(TMP, "mockhub.log"), "w")
VG = "--valgrind" in sys.argv
vg_log = os.path.join(TMP, "valgrind.log")
wrapper = ["valgrind", "--leak-check=full", "--show-leak-kinds=definite,indirect,possible",
           "--errors-for-leak-kinds=definite,indirect,possible", "--error-exitcode=3",
           "--log-file=" + vg_log] if VG else []
proc = subprocess.Popen(wrapper + [MOCKHUB, "serve", "--world", wpath, "--port-file", port_file,
                         "--state-dir", os.path.join(TMP, "state")], stderr=log)
# No deadline of our own (a loaded machine starts an ASan or Valgrind mockhub slowly; meson's
# timeout bounds the test): until the port file is written, or mockhub exited.
def port_written():
    try:
        return open(port_file).read().strip()
    except OSError:
        return ""
while not port_written() and proc.poll() is None:
    time.sleep(0.05)
if not port_written():
    log.close()
    sys.exit("mockhub exited with %s before listening:\n%s"
             % (proc.returncode, open(os.path.join(TMP, "mockhub.log")).read()[-3000:]))
PORT = int(port_written())
BASE = "http://127.0.0.1:%d" % PORT


def call(method, path, body=None, tok="tok-alice", headers=None, raw=None, ua="mockhub-it"):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(path if path.startswith("http") else BASE + path, data=data, method=method)
    req.add_header("User-Agent", ua or "")  # "" = none: urllib would add its own
    if tok:
        req.add_header("Authorization", "token " + tok)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            txt = r.read()
            return r.status, dict((k.lower(), v) for k, v in r.headers.items()), (json.loads(txt) if txt and r.headers.get("Content-Type", "").startswith("application/json") else txt)
    except urllib.error.HTTPError as e:
        txt = e.read()
        try:
            j = json.loads(txt)
        except Exception:
            j = txt
        return e.code, dict((k.lower(), v) for k, v in e.headers.items()), j


R = "/repos/acme/mono"


def wait_hooks():
    s, _, b = call("GET", "/_mockhub/webhooks/wait?timeout_ms=15000", tok=None)
    return s == 200


def events(since=0):
    with dlock:
        return [(d["h"]["x-github-event"], d["body"].get("action")) for d in deliveries[since:]]


try:
    # --- auth, headers, meta
    s, h, b = call("GET", "/user")
    check(s == 200 and b["login"] == "alice", "GET /user as alice")
    check(all(k in h for k in ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-used",
                               "x-ratelimit-reset", "x-ratelimit-resource"]), "rate-limit headers present")
    s, h, b = call("GET", "/user", tok="nope")
    check(s == 401 and b["message"] == "Bad credentials", "401 Bad credentials")
    s, h, b = call("GET", "/user", ua=None)
    check(s == 403, "missing User-Agent -> 403")
    s, h, b = call("GET", R, tok="tok-dave")
    check(s == 404, "repo invisible to non-collaborator -> 404")
    s, h, b = call("GET", R)
    check(s == 200 and b["permissions"]["push"] and not b["permissions"]["admin"], "GET repo with permissions")
    s, h, b = call("GET", "/meta")
    check(s == 200 and "127.0.0.0/8" in b["hooks"], "GET /meta hooks")
    s, h, b = call("GET", "/nope/nope")
    check(s == 404 and b["message"] == "Not Found" and "documentation_url" in b, "unknown route -> 404 JSON")
    s, h, b = call("GET", R, headers={"X-GitHub-Api-Version": "1999-01-01"})
    check(s == 400, "unsupported API version -> 400")

    s, h, b = call("GET", R + "/pulls/1", headers={"X-GitHub-Api-Version": "2026-03-10"})
    check(s == 200 and "merge_commit_sha" not in b and "assignee" not in b, "API version 2026-03-10 drops merge_commit_sha")
    s, h, b = call("GET", "/rate_limit", headers={"X-GitHub-Api-Version": "2026-03-10"})
    check(s == 200 and "rate" not in b and "core" in b["resources"], "API version 2026-03-10 drops rate")
    s, h, b = call("HEAD", R)
    check(s == 200 and h.get("etag") and not b, "HEAD like GET without a body")

    # --- ETag / 304 not counted
    s, h, b = call("GET", R)
    rem = int(h["x-ratelimit-remaining"])
    s2, h2, _ = call("GET", R, headers={"If-None-Match": h["etag"]})
    check(s2 == 304 and int(h2["x-ratelimit-remaining"]) == rem, "If-None-Match -> 304, not charged")
    s, h, b = call("GET", "/rate_limit")
    s2, h2, b2 = call("GET", "/rate_limit")
    check(b["resources"]["core"]["remaining"] == b2["resources"]["core"]["remaining"], "/rate_limit not charged")

    # --- contents, refs
    s, h, b = call("GET", R + "/contents/infra%2Fmain.tf")
    check(s == 200 and base64.b64decode(b["content"]) == b"x\n" and b["content"].endswith("\n"), "contents GET (encoded path)")
    s, h, b = call("GET", R + "/contents/nope.txt")
    check(s == 404, "contents GET missing -> 404")
    s, h, b = call("GET", R + "/contents/infra/main.tf", headers={"Accept": "application/vnd.github.raw+json"})
    check(s == 200 and b == b"x\n", "contents raw media type")
    # --- files over 1 MB: contents JSON without content, raw media type and git blobs API with it
    s, h, b = call("GET", "/repos/acme/big/contents/big.txt")
    check(len(BIG) > 1 << 20 and s == 200 and b["content"] == "" and b["encoding"] == "none"
          and b["size"] == len(BIG) and b["sha"] == hashlib.sha1(b"blob %d\0" % len(BIG) + BIG).hexdigest(),
          "contents GET over 1 MB -> content \"\", encoding none, size and sha kept")
    big_sha = b["sha"]
    s, h, b = call("GET", "/repos/acme/big/contents/big.txt", headers={"Accept": "application/vnd.github.raw+json"})
    check(s == 200 and b == BIG, "contents raw media type over 1 MB -> the bytes")
    s, h, b = call("GET", "/repos/acme/big/git/blobs/" + big_sha)
    lines = b["content"].split("\n") if s == 200 else []
    check(s == 200 and b["encoding"] == "base64" and b["size"] == len(BIG) and b["sha"] == big_sha
          and base64.b64decode(b["content"]) == BIG and b["content"].endswith("\n")
          and all(len(x) == 60 for x in lines[:-2]) and b["url"].endswith("/repos/acme/big/git/blobs/" + big_sha),
          "git blobs GET -> base64 (60-column lines, final newline)")
    s, h, b = call("GET", "/repos/acme/big/git/blobs/" + big_sha, headers={"Accept": "application/vnd.github.raw+json"})
    check(s == 200 and b == BIG, "git blobs raw media type")
    s, h, b = call("GET", "/repos/acme/big/git/blobs/" + "0" * 40)
    check(s == 404 and b["message"] == "Not Found", "git blobs unknown sha -> 404")
    s, h, b = call("GET", "/repos/acme/big/git/blobs/nothex")
    check(s == 404, "git blobs malformed sha -> 404")
    s, h, b = call("GET", R + "/git/ref/heads/main")
    main_sha = b["object"]["sha"]
    check(s == 200 and b["ref"] == "refs/heads/main", "GET git ref")
    s, h, b = call("POST", R + "/git/refs", {"ref": "refs/heads/feature", "sha": main_sha})
    check(s == 201 and h.get("location"), "create ref 201 + Location")
    s, h, b = call("POST", R + "/git/refs", {"ref": "refs/heads/feature", "sha": main_sha})
    check(s == 422, "create existing ref -> 422")
    s, h, b = call("POST", R + "/git/refs", {"ref": "refs/heads/x"}, tok="tok-carol")
    check(s == 403, "read role cannot create refs -> 403")
    s, h, b = call("GET", R + "/contents/infra/main.tf?ref=feature")
    blob = b["sha"]
    n0 = len(deliveries)
    s, h, b = call("PUT", R + "/contents/infra/main.tf", {"message": "tf change\n\nbody", "branch": "feature",
                                                            "content": base64.b64encode(b"y\n").decode(), "sha": blob})
    check(s == 200 and b["commit"]["message"].startswith("tf change"), "contents PUT update -> 200 + commit")
    s, h, b = call("PUT", R + "/contents/infra/new.tf", {"message": "new", "branch": "feature",
                                                           "content": base64.b64encode(b"n\n").decode()})
    check(s == 201, "contents PUT create -> 201")
    s, h, b = call("PUT", R + "/contents/infra/main.tf/under.txt", {"message": "x", "branch": "feature",
                                                                    "content": base64.b64encode(b"u\n").decode()})
    check(s == 422, "file under an existing file -> 422")
    s, h, b = call("PUT", R + "/contents/infra/main.tf", {"message": "x", "branch": "feature",
                                                            "content": base64.b64encode(b"z\n").decode()})
    check(s == 422, "contents PUT existing without sha -> 422")
    # rename: delete old/name.txt + add new/name.txt
    s, h, b = call("GET", R + "/contents/old/name.txt?ref=feature")
    call("DELETE", R + "/contents/old/name.txt", {"message": "mv", "branch": "feature", "sha": b["sha"]})
    call("PUT", R + "/contents/new/name.txt", {"message": "mv2", "branch": "feature",
                                               "content": base64.b64encode(b"same content here\nline 2\nline 3\n").decode()})
    s, h, b = call("GET", R + "/branches/feature")
    check(s == 200 and b["name"] == "feature" and len(b["commit"]["sha"]) == 40, "GET branch")

    # --- pulls
    s, h, b = call("POST", R + "/pulls", {"title": "Change infra", "head": "feature", "base": "main", "body": "please"})
    check(s == 201 and b["number"] == 2 and b["mergeable"] is None, "create PR 201, mergeable null")
    num = b["number"]
    head = b["head"]["sha"]
    s, h, b = call("POST", R + "/pulls", {"title": "dup", "head": "feature", "base": "main"})
    check(s == 422 and b["message"] == "Validation Failed", "duplicate PR -> 422")
    s, h, b = call("POST", R + "/pulls", {"head": "feature", "base": "main"})
    check(s == 422 and b["errors"][0]["code"] == "missing_field", "PR without title -> 422 missing_field")
    s, h, b = call("GET", R + "/pulls/%d" % num)
    check(s == 200 and b["mergeable"] is None and b["mergeable_state"] == "unknown", "first read: mergeable null")
    s, h, b = call("GET", R + "/pulls/%d" % num)
    check(b["mergeable"] is True and b["mergeable_state"] == "clean", "second read: mergeable true/clean")
    check(b["changed_files"] == 3 and b["commits"] == 4, "changed_files/commits computed (%s/%s)" % (b["changed_files"], b["commits"]))
    s, h, b = call("GET", R + "/pulls/%d/files" % num)
    st = {f["filename"]: f for f in b}
    check(st.get("infra/main.tf", {}).get("status") == "modified" and st.get("infra/new.tf", {}).get("status") == "added"
          and st.get("new/name.txt", {}).get("status") == "renamed"
          and st["new/name.txt"].get("previous_filename") == "old/name.txt", "PR files statuses incl. rename")
    s, h, b = call("GET", R + "/pulls/%d/files?per_page=1" % num)
    check(s == 200 and len(b) == 1 and 'rel="next"' in h.get("link", "") and 'rel="last"' in h.get("link", ""), "files pagination Link")
    nxt = [p.split(";")[0].strip("<> ") for p in h["link"].split(",") if 'rel="next"' in p][0]
    s, h, b = call("GET", nxt)
    check(s == 200 and len(b) == 1 and 'rel="prev"' in h.get("link", ""), "follow Link next")
    s, h, b = call("GET", R + "/compare/main...feature")
    check(s == 200 and b["status"] == "ahead" and b["ahead_by"] == 4 and len(b["files"]) == 3, "compare main...feature")
    s, h, b = call("GET", R + "/compare/feature...main")
    check(s == 200 and b["status"] == "behind" and b["behind_by"] == 4, "compare feature...main (behind)")
    s, h, b = call("GET", R + "/pulls/%d/commits" % num)
    check(s == 200 and len(b) == 4, "PR commits")
    s, h, b = call("GET", R + "/pulls?state=open&head=acme:feature")
    check(s == 200 and len(b) == 1 and b[0]["number"] == num, "list pulls with head filter")
    s, h, b = call("PATCH", R + "/pulls/%d" % num, {"title": "Change infra!"})
    check(s == 200 and b["title"] == "Change infra!", "update PR title")

    # --- labels / triage
    s, h, b = call("POST", R + "/issues/%d/labels" % num, {"labels": ["land", "New One"]}, tok="tok-trina")
    check(s == 200 and {l["name"] for l in b} == {"land", "New One"}, "triage adds labels (creates missing)")
    s, h, b = call("POST", R + "/issues/%d/labels" % num, {"labels": ["x"]}, tok="tok-carol")
    check(s == 403, "read role cannot label -> 403")
    s, h, b = call("DELETE", R + "/issues/%d/labels/New%%20One" % num)
    check(s == 200 and [l["name"] for l in b] == ["land"], "remove label")
    s, h, b = call("DELETE", R + "/issues/%d/labels/absent" % num)
    check(s == 404, "remove absent label -> 404")
    s, h, b = call("GET", R + "/issues/%d/events" % num)
    evs = [(e["event"], e["actor"]["login"], e.get("label", {}).get("name")) for e in b]
    check(("labeled", "trina", "land") in evs and ("unlabeled", "alice", "New One") in evs, "issue events labeled/unlabeled with actor")
    s, h, b = call("GET", R + "/issues?labels=land")
    check(s == 200 and [i["number"] for i in b] == [num], "issues list filtered by label")

    # --- reviews
    s, h, b = call("POST", R + "/pulls/%d/reviews" % num, {"event": "APPROVE"})
    check(s == 422, "author cannot approve own PR -> 422")
    s, h, b = call("POST", R + "/pulls/%d/reviews" % num, {"event": "APPROVE", "body": "lgtm"}, tok="tok-bob")
    check(s == 200 and b["state"] == "APPROVED" and b["commit_id"] == head, "bob approves (commit_id = head)")
    rid = b["id"]
    s, h, b = call("POST", R + "/pulls/%d/reviews" % num, {"event": "REQUEST_CHANGES", "body": "no"}, tok="tok-carol")
    check(s == 200 and b["state"] == "CHANGES_REQUESTED", "carol requests changes")
    s, h, b = call("PUT", R + "/pulls/%d/reviews/%d/dismissals" % (num, b["id"]), {"message": "stale"}, tok="tok-bob")
    check(s == 200 and b["state"] == "DISMISSED", "dismiss review")
    s, h, b = call("GET", R + "/pulls/%d/reviews" % num)
    check([r["state"] for r in b] == ["APPROVED", "DISMISSED"], "reviews list chronological")

    # --- comments
    s, h, b = call("POST", R + "/issues/%d/comments" % num, {"body": "queued"}, tok="tok-bot")
    check(s == 201 and h.get("location"), "create comment 201")
    cid = b["id"]
    s, h, b = call("PATCH", R + "/issues/comments/%d" % cid, {"body": "landing"}, tok="tok-bot")
    check(s == 200 and b["body"] == "landing", "update comment")
    s, h, b = call("GET", R + "/issues/%d/comments" % num)
    check(s == 200 and len(b) == 1, "list comments")
    s, h, b = call("DELETE", R + "/issues/comments/%d" % cid, tok="tok-bot")
    check(s == 204, "delete comment")

    # --- statuses and checks
    s, h, b = call("POST", R + "/statuses/" + head, {"state": "pending", "context": "ci/build"}, tok="tok-bot")
    check(s == 201, "create status")
    s, h, b = call("GET", R + "/pulls/%d" % num)
    check(b["mergeable_state"] == "unstable", "pending status -> mergeable_state unstable")
    call("POST", R + "/statuses/" + head, {"state": "success", "context": "ci/build"}, tok="tok-bot")
    s, h, b = call("GET", R + "/commits/%s/status" % head)
    check(s == 200 and b["state"] == "success" and b["total_count"] == 1, "combined status success (latest per context)")
    s, h, b = call("GET", R + "/commits/feature/statuses")
    check(s == 200 and len(b) == 2 and b[0]["state"] == "success", "list statuses newest first (ref = branch)")
    s, h, b = call("POST", R + "/check-runs", {"name": "build", "head_sha": head, "status": "in_progress"}, tok="tok-bot")
    check(s == 201 and b["status"] == "in_progress", "create check run")
    crid = b["id"]
    s, h, b = call("PATCH", R + "/check-runs/%d" % crid, {"conclusion": "success"}, tok="tok-bot")
    check(s == 200 and b["status"] == "completed" and b["conclusion"] == "success", "complete check run")
    s, h, b = call("GET", R + "/commits/%s/check-runs" % head)
    check(s == 200 and b["total_count"] == 1 and b["check_runs"][0]["conclusion"] == "success", "list check runs for ref")
    s, h, b = call("POST", R + "/statuses/" + head, {"state": "bogus"}, tok="tok-bot")
    check(s == 422, "invalid status state -> 422")

    # --- teams / permissions
    s, h, b = call("GET", "/orgs/acme/teams/infra/members")
    check(s == 200 and {u["login"] for u in b} == {"bob", "trina"}, "team members include child team")
    s, h, b = call("GET", "/orgs/acme/teams/infra/memberships/carol")
    check(s == 200 and b["state"] == "pending", "pending membership")
    s, h, b = call("GET", "/orgs/acme/teams/infra/memberships/alice")
    check(s == 404, "non-member -> 404")
    s, h, b = call("GET", "/orgs/acme/teams/infra/repos/acme/mono", headers={"Accept": "application/vnd.github.v3.repository+json"})
    check(s == 404, "team without a grant on the repo -> 404")
    s, h, b = call("GET", R + "/teams")
    check(s == 200 and b == [], "no teams on the repo")
    s, h, b = call("GET", "/orgs/acme/teams/infra/repos/acme/big", headers={"Accept": "application/vnd.github.v3.repository+json"})
    check(s == 200 and b["permissions"]["push"] and b["role_name"] == "write", "team grant on the repo (repository+json)")
    s, h, b = call("GET", "/orgs/acme/teams/sre/repos/acme/big")
    check(s == 204, "child team inherits the grant (204 without the media type)")
    s, h, b = call("GET", "/repos/acme/big/teams")
    check(s == 200 and {t["slug"]: t["permission"] for t in b} == {"infra": "push", "sre": "push"}, "repo teams list")
    s, h, b = call("GET", R + "/collaborators/trina/permission")
    check(s == 200 and b["permission"] == "read" and b["role_name"] == "triage", "collaborator permission (triage->read)")

    # --- merge: permission, 409, success
    s, h, b = call("PUT", R + "/pulls/%d/merge" % num, {"merge_method": "squash", "sha": head}, tok="tok-trina")
    check(s == 403, "triage cannot merge -> 403")
    s, h, b = call("PUT", R + "/pulls/%d/merge" % num, {"merge_method": "squash", "sha": "0" * 40})
    check(s == 409 and b["message"] == "Head branch was modified. Review and try the merge again.", "merge sha mismatch -> 409")
    s, h, b = call("PUT", R + "/pulls/%d/merge" % num, {"merge_method": "fast"})
    check(s == 422, "bad merge_method -> 422")
    wait_hooks()
    n1 = len(deliveries)
    s, h, b = call("PUT", R + "/pulls/%d/merge" % num, {"merge_method": "squash", "sha": head, "commit_title": "Land it (#2)"})
    check(s == 200 and b["merged"] is True and len(b["sha"]) == 40, "squash merge 200")
    msha = b["sha"]
    s, h, b = call("GET", R + "/pulls/%d" % num)
    check(b["state"] == "closed" and b["merged"] and b["merge_commit_sha"] == msha and b["merged_by"]["login"] == "alice", "PR merged+closed")
    s, h, b = call("GET", R + "/git/ref/heads/main")
    check(b["object"]["sha"] == msha, "base branch moved to squash commit")
    s, h, b = call("GET", R + "/commits/" + msha)
    check(s == 200 and len(b["parents"]) == 1 and b["commit"]["message"].startswith("Land it (#2)"), "squash commit: one parent, title")
    s, h, b = call("PUT", R + "/pulls/%d/merge" % num, {"merge_method": "squash"})
    check(s == 405, "merging a merged PR -> 405")
    s, h, b = call("GET", R + "/pulls/%d/merge" % num)
    check(s == 204, "check-if-merged 204")
    wait_hooks()
    ev = events(n1)
    check(("push", None) in ev and ("pull_request", "closed") in ev, "merge sends push + pull_request closed")

    # --- conflict -> 405 (two branches change the same line)
    main_sha = call("GET", R + "/git/ref/heads/main")[2]["object"]["sha"]
    for br in ("c1", "c2"):
        call("POST", R + "/git/refs", {"ref": "refs/heads/" + br, "sha": main_sha})
        bs = call("GET", R + "/contents/docs/a.md?ref=" + br)[2]["sha"]
        call("PUT", R + "/contents/docs/a.md", {"message": br, "branch": br, "sha": bs,
                                                "content": base64.b64encode(br.encode() + b"\n").decode()})
    p1 = call("POST", R + "/pulls", {"title": "c1", "head": "c1", "base": "main"})[2]["number"]
    p2 = call("POST", R + "/pulls", {"title": "c2", "head": "c2", "base": "main"})[2]["number"]
    s, h, b = call("PUT", R + "/pulls/%d/merge" % p1, {"merge_method": "merge"})
    check(s == 200, "merge-commit method")
    check(len(call("GET", R + "/commits/" + b["sha"])[2]["parents"]) == 2, "merge commit has two parents")
    call("GET", R + "/pulls/%d" % p2)
    s, h, b = call("GET", R + "/pulls/%d" % p2)
    check(b["mergeable"] is False and b["mergeable_state"] == "dirty", "conflicting PR: mergeable false/dirty")
    s, h, b = call("PUT", R + "/pulls/%d/merge" % p2, {"merge_method": "squash"})
    check(s == 405 and b["message"] == "Pull Request is not mergeable", "conflict -> 405")
    s, h, b = call("PUT", R + "/pulls/%d/update-branch" % p2, {})
    check(s == 422 and "conflict" in b["message"], "update-branch with a conflict -> 422")
    s, h, b = call("PATCH", R + "/pulls/%d" % p2, {"state": "closed"})
    check(s == 200 and b["state"] == "closed", "close PR")

    # --- update-branch: base merged into head, synchronize
    s, h, b = call("GET", R + "/pulls/1")
    old = b["head"]["sha"]
    s, h, b = call("PUT", R + "/pulls/1/update-branch", {"expected_head_sha": "0" * 40})
    check(s == 422, "update-branch with a stale expected_head_sha -> 422")
    s, h, b = call("PUT", R + "/pulls/1/update-branch", {"expected_head_sha": old})
    check(s == 202, "update-branch 202")
    s, h, b = call("GET", R + "/commits/seeded")
    check(len(b["parents"]) == 2 and b["parents"][0]["sha"] == old, "head branch got a merge commit from the base")

    # --- rebase merge of the world-seeded PR
    s, h, b = call("PUT", R + "/pulls/1/merge", {"merge_method": "rebase"})
    check(s == 200, "rebase merge of seeded PR")

    # --- deleting a PR's head branch closes the PR
    tip = call("GET", R + "/git/ref/heads/main")[2]["object"]["sha"]
    call("POST", R + "/git/refs", {"ref": "refs/heads/gone", "sha": tip})
    call("PUT", R + "/contents/gone.txt", {"message": "g", "branch": "gone", "content": base64.b64encode(b"g\n").decode()})
    gp = call("POST", R + "/pulls", {"title": "gone", "head": "gone", "base": "main"})[2]["number"]
    s, h, b = call("DELETE", R + "/git/refs/heads/gone")
    s2, h2, b2 = call("GET", R + "/pulls/%d" % gp)
    check(s == 204 and b2["state"] == "closed" and not b2["merged"], "deleting the head branch closes the PR")

    # --- hooks API
    n2 = len(deliveries)
    s, h, b = call("POST", R + "/hooks", {"config": {"url": HOOK, "content_type": "json", "secret": "s3cret"},
                                          "events": ["pull_request"]}, tok="tok-bob")
    check(s == 201 and b["config"]["url"] == HOOK, "create hook (admin)")
    hid = b["id"]
    s, h, b = call("POST", R + "/hooks", {"config": {"url": HOOK}}, tok="tok-alice")
    check(s == 403, "create hook needs admin")
    wait_hooks()
    check(("ping", None) in events(n2), "ping on hook creation")
    s, h, b = call("GET", R + "/hooks/%d/deliveries" % hid, tok="tok-bob")
    check(s == 200 and len(b) == 1 and b[0]["event"] == "ping" and b[0]["status_code"] == 202, "delivery log")
    n3 = len(deliveries)
    s, h, b = call("POST", R + "/hooks/%d/deliveries/%d/attempts" % (hid, b[0]["id"]), tok="tok-bob")
    check(s == 202, "redeliver 202")
    wait_hooks()
    red = deliveries[n3:]
    check(len(red) == 1 and red[0]["h"]["x-github-event"] == "ping", "redelivered ping")

    # form-encoded hook: payload=<urlencoded JSON>, signature over the form body
    s, h, b = call("POST", R + "/hooks", {"config": {"url": HOOK, "content_type": "form", "secret": "s3cret"},
                                          "events": ["issue_comment"]}, tok="tok-bob")
    wait_hooks()
    n6 = len(deliveries)
    call("POST", R + "/issues/%d/comments" % num, {"body": "form?"})
    wait_hooks()
    with dlock:
        forms = [d for d in deliveries[n6:] if d["h"].get("content-type") == "application/x-www-form-urlencoded"]
    check(len(forms) == 1 and forms[0]["sig_ok"] and forms[0]["body"]["comment"]["body"] == "form?", "form-encoded hook delivery, signed")
    call("DELETE", R + "/hooks/%d" % b["id"], tok="tok-bob")

    # --- git smart HTTP: clone, push -> synchronize
    env = dict(os.environ, GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1", GIT_TERMINAL_PROMPT="0")
    wd = os.path.join(TMP, "clone")
    url = "http://x:tok-alice@127.0.0.1:%d/acme/mono.git" % PORT
    r = subprocess.run(["git", "clone", "-q", url, wd], env=env, capture_output=True, text=True)
    check(r.returncode == 0, "git clone over smart HTTP")
    call("POST", R + "/git/refs", {"ref": "refs/heads/pushme", "sha": call("GET", R + "/git/ref/heads/main")[2]["object"]["sha"]})
    call("PUT", R + "/contents/p.txt", {"message": "p", "branch": "pushme", "content": base64.b64encode(b"p\n").decode()})
    pn = call("POST", R + "/pulls", {"title": "push me", "head": "pushme", "base": "main"})[2]["number"]
    wait_hooks()
    n4 = len(deliveries)
    g = ["git", "-C", wd, "-c", "user.name=Alice", "-c", "user.email=alice@example.com"]
    subprocess.run(g + ["fetch", "-q", "origin", "pushme"], env=env, check=True)
    subprocess.run(g + ["checkout", "-q", "-b", "pushme", "FETCH_HEAD"], env=env, check=True)
    with open(os.path.join(wd, "p.txt"), "w") as f:
        f.write("pushed\n")
    subprocess.run(g + ["commit", "-qam", "push"], env=env, check=True)
    r = subprocess.run(g + ["push", "-q", "origin", "pushme"], env=env, capture_output=True, text=True)
    check(r.returncode == 0, "git push over smart HTTP")
    wait_hooks()
    ev = events(n4)
    check(("push", None) in ev and ("pull_request", "synchronize") in ev, "push sends push + synchronize")
    newhead = subprocess.run(g + ["rev-parse", "HEAD"], env=env, capture_output=True, text=True).stdout.strip()
    s, h, b = call("GET", R + "/pulls/%d" % pn)
    check(b["head"]["sha"] == newhead, "PR head follows the push")
    r = subprocess.run(g + ["push", "-q", "origin", "HEAD:refs/pull/1/head"], env=env, capture_output=True, text=True)
    check(r.returncode != 0, "pushing to refs/pull/N/head is refused")
    r = subprocess.run(g + ["ls-remote", "origin", "refs/pull/*"], env=env, capture_output=True, text=True)
    check("refs/pull/1/head" in r.stdout, "refs/pull/N/head are fetchable")
    n7 = len(deliveries)
    subprocess.run(g + ["tag", "v1.0"], env=env, check=True)
    r = subprocess.run(g + ["push", "-q", "origin", "v1.0"], env=env, capture_output=True, text=True)
    wait_hooks()
    with dlock:
        tagp = [d["body"] for d in deliveries[n7:] if d["h"]["x-github-event"] == "push"]
    check(r.returncode == 0 and len(tagp) == 1 and tagp[0]["ref"] == "refs/tags/v1.0" and tagp[0]["created"], "tag push -> push webhook")
    r = subprocess.run(["git", "-C", wd, "push", "-q", "http://x:tok-carol@127.0.0.1:%d/acme/mono.git" % PORT, "pushme:ro"],
                       env=env, capture_output=True, text=True)
    check(r.returncode != 0, "read role cannot push")
    r = subprocess.run(["git", "ls-remote", "http://127.0.0.1:%d/acme/mono.git" % PORT], env=env, capture_output=True, text=True)
    check(r.returncode != 0, "anonymous clone of private repo refused")

    # --- webhooks: every delivery signed and with the GitHub headers
    wait_hooks()
    with dlock:
        allsig = all(d["sig_ok"] for d in deliveries)
        hdr = all(d["h"].get("user-agent", "").startswith("GitHub-Hookshot/") and d["h"].get("x-github-hook-id")
                  and len(d["h"].get("x-github-delivery", "")) == 36 for d in deliveries)
        kinds = {(d["h"]["x-github-event"], d["body"].get("action")) for d in deliveries}
    check(allsig, "every delivery has a valid X-Hub-Signature-256 (%d deliveries)" % len(deliveries))
    check(hdr, "every delivery has GitHub headers")
    for k in [("pull_request", "opened"), ("pull_request", "edited"), ("pull_request", "labeled"),
              ("pull_request", "unlabeled"), ("pull_request", "closed"), ("pull_request_review", "submitted"),
              ("pull_request_review", "dismissed"), ("issue_comment", "created"), ("issue_comment", "edited"),
              ("issue_comment", "deleted"), ("status", None), ("check_run", "created"), ("check_run", "completed"), ("check_suite", "completed"),
              ("push", None), ("ping", None), ("pull_request", "synchronize")]:
        check(k in kinds, "webhook %s.%s sent" % k)

    # --- faults and rate limits via the control API
    s, h, b = call("POST", "/_mockhub/faults", {"kind": "status", "method": "GET", "path": R, "status": 502, "times": 1}, tok=None)
    check(s == 201, "add fault")
    s1 = call("GET", R)[0]
    s2 = call("GET", R)[0]
    check(s1 == 502 and s2 == 200, "502 once, then 200")
    call("POST", "/_mockhub/faults", {"kind": "secondary_rate_limit", "path": R + "/pulls", "retry_after": 7, "times": 1}, tok=None)
    s, h, b = call("GET", R + "/pulls")
    check(s == 403 and "secondary rate limit" in b["message"] and h.get("retry-after") == "7", "secondary rate limit 403 + Retry-After")
    call("POST", "/_mockhub/faults", {"kind": "mergeable_null", "path": R + "/pulls/%d" % pn, "times": 3}, tok=None)
    vals = [call("GET", R + "/pulls/%d" % pn)[2]["mergeable"] for _ in range(5)]
    check(vals[:3] == [None, None, None] and vals[4] is True, "mergeable_null fault (%s)" % vals)
    call("POST", "/_mockhub/mergeable", {"delay_reads": 0, "delay_ms": 400}, tok=None)
    call("PUT", R + "/contents/p.txt", {"message": "again", "branch": "pushme", "sha": call("GET", R + "/contents/p.txt?ref=pushme")[2]["sha"],
                                        "content": base64.b64encode(b"again\n").decode()})
    v1 = call("GET", R + "/pulls/%d" % pn)[2]["mergeable"]
    time.sleep(0.5)
    v2 = call("GET", R + "/pulls/%d" % pn)[2]["mergeable"]
    check(v1 is None and v2 is True, "mergeable_delay_ms: null until the delay has passed (%s, %s)" % (v1, v2))
    call("POST", "/_mockhub/mergeable", {"delay_reads": 1, "delay_ms": 0}, tok=None)
    n5 = len(deliveries)
    call("POST", "/_mockhub/faults", [{"kind": "drop", "event": "issue_comment.created", "times": 1},
                                      {"kind": "duplicate", "event": "issue_comment.edited", "times": 1}], tok=None)
    c = call("POST", R + "/issues/%d/comments" % pn, {"body": "a"})[2]
    call("PATCH", R + "/issues/comments/%d" % c["id"], {"body": "b"})
    wait_hooks()
    with dlock:
        got = [(d["h"]["x-github-event"], d["body"].get("action"), d["h"]["x-github-delivery"]) for d in deliveries[n5:]]
    check(len(got) == 2 and all(g[1] == "edited" for g in got) and got[0][2] == got[1][2], "drop + duplicate (same GUID)")
    call("DELETE", "/_mockhub/faults", tok=None)
    call("POST", "/_mockhub/rate_limit", {"login": "carol", "exhaust": True, "reset_in": 120}, tok=None)
    s, h, b = call("GET", R, tok="tok-carol")
    check(s == 403 and h["x-ratelimit-remaining"] == "0" and "rate limit exceeded" in b["message"], "exhausted rate limit -> 403 remaining 0")
    call("POST", "/_mockhub/rate_limit", {"login": "carol", "remaining": 10, "status": 429}, tok=None)
    check(call("GET", R, tok="tok-carol")[0] == 200, "rate limit restored")

    # --- bad input
    s, h, b = call("POST", R + "/pulls", raw=b"{not json")
    check(s == 400 and b["message"] == "Problems parsing JSON", "malformed JSON -> 400")
    s, h, b = call("POST", R + "/pulls", raw=b"[1,2]")
    check(s == 400, "non-object body -> 400")
    s, h, b = call("POST", R + "/pulls", {"title": 5, "head": "x", "base": "main"})
    check(s == 422, "wrong type -> 422")
    s, h, b = call("POST", R + "/issues/%d/comments" % pn, raw=b"{" + b'"a":"' + b"x" * (26 * 1024 * 1024) + b'"}')
    check(s == 413, "oversized body -> 413")
    s, h, b = call("GET", R + "/pulls/%zz")
    check(s == 404, "bad escape -> 404")
    s, h, b = call("GET", R + "/pulls/99999999999999999999")
    check(s == 404, "huge number -> 404")

    # --- branch protection: required review + status check, stale approvals dismissed
    P = "/repos/acme/prot"
    s, h, b = call("GET", P + "/branches/main")
    check(s == 200 and b["protected"] and b["protection"]["required_status_checks"]["contexts"] == ["ci"], "protected branch")
    call("GET", P + "/pulls/1")
    s, h, b = call("GET", P + "/pulls/1")
    check(b["mergeable"] is True and b["mergeable_state"] == "blocked", "protected PR: mergeable but blocked")
    s, h, b = call("PUT", P + "/pulls/1/merge", {"merge_method": "squash"})
    check(s == 405 and b["message"] == "At least 1 approving review is required by reviewers with write access.", "405 without approval")
    call("POST", P + "/pulls/1/reviews", {"event": "APPROVE"}, tok="tok-carol")  # read role: does not count
    s, h, b = call("PUT", P + "/pulls/1/merge", {"merge_method": "squash"})
    check(s == 405, "approval by a read-only user does not count")
    call("POST", P + "/pulls/1/reviews", {"event": "APPROVE"}, tok="tok-bob")
    s, h, b = call("PUT", P + "/pulls/1/merge", {"merge_method": "squash"})
    check(s == 405 and b["message"] == 'Required status check "ci" is expected.', "405 without the required check")
    wait_hooks()
    n8 = len(deliveries)
    cur = call("GET", P + "/contents/f1.txt?ref=f1")[2]["sha"]
    call("PUT", P + "/contents/f1.txt", {"message": "more", "branch": "f1", "sha": cur, "content": base64.b64encode(b"2\n").decode()})
    wait_hooks()
    with dlock:
        dism = [d for d in deliveries[n8:] if d["h"]["x-github-event"] == "pull_request_review" and d["body"]["action"] == "dismissed"]
    check(len(dism) >= 1 and dism[0]["body"]["review"]["state"] == "dismissed", "push dismisses stale approvals (webhook)")
    head2 = call("GET", P + "/pulls/1")[2]["head"]["sha"]
    call("POST", P + "/statuses/" + head2, {"state": "success", "context": "ci"})
    s, h, b = call("PUT", P + "/pulls/1/merge", {"merge_method": "squash"})
    check(s == 405 and "approving review" in b["message"], "dismissed approval no longer counts")
    call("POST", P + "/pulls/1/reviews", {"event": "APPROVE"}, tok="tok-bob")
    call("GET", P + "/pulls/1")
    s, h, b = call("GET", P + "/pulls/1")
    check(b["mergeable_state"] == "clean", "protection satisfied: clean")
    s, h, b = call("PUT", P + "/pulls/1/merge", {"merge_method": "squash", "sha": head2})
    check(s == 200, "merge once protection is satisfied")

    # --- GitHub App: JWT -> installation token -> API as lander[bot]
    now = int(time.time())
    jwt = make_jwt(77, now - 60, now + 540)
    s, h, b = call("GET", "/app", tok=None, headers={"Authorization": "Bearer " + jwt})
    check(s == 200 and b["slug"] == "lander", "GET /app with a JWT")
    s, h, b = call("GET", R + "/installation", tok=None, headers={"Authorization": "Bearer " + jwt})
    check(s == 200 and b["id"] == 7001, "GET repo installation")
    s, h, b = call("POST", "/app/installations/7001/access_tokens", tok=None, headers={"Authorization": "Bearer " + jwt})
    check(s == 201 and b["token"].startswith("ghs_") and b["expires_at"].endswith("Z"), "installation token 201")
    itok = b["token"]
    s, h, b = call("GET", R, tok=itok)
    check(s == 200 and b["permissions"]["push"], "installation token reads the repo (write)")
    s, h, b = call("POST", R + "/issues/%d/comments" % pn, {"body": "from the app"}, tok=itok)
    check(s == 201 and b["user"]["login"] == "lander[bot]" and b["user"]["type"] == "Bot", "app comments as lander[bot]")
    with dlock:
        app_d = [d for d in deliveries if d["h"].get("x-github-hook-installation-target-type") == "integration"]
    check(app_d and all(d["body"]["installation"]["id"] == 7001 and d["h"]["x-github-event"] == "pull_request"
                        and d["h"]["x-github-hook-installation-target-id"] == "77" for d in app_d),
          "App webhook deliveries carry installation.id (%d)" % len(app_d))
    s, h, b = call("GET", "/installation/repositories", tok=itok)
    check(s == 200 and b["total_count"] == 1, "installation repositories")
    bad = make_jwt(77, now - 60, now + 3600)
    s, h, b = call("GET", "/app", tok=None, headers={"Authorization": "Bearer " + bad})
    check(s == 401, "JWT valid for over 10 minutes -> 401")
    s, h, b = call("GET", "/app", tok=None, headers={"Authorization": "Bearer " + make_jwt(78, now - 60, now + 500)})
    check(s == 401, "JWT of an unknown app -> 401")
    s, h, b = call("POST", "/app/installations/9/access_tokens", tok=None, headers={"Authorization": "Bearer " + jwt})
    check(s == 404, "unknown installation -> 404")
    s, h, b = call("GET", "/app")
    check(s == 401, "GET /app with a PAT -> 401")
    call("POST", "/_mockhub/installation_tokens/expire", tok=None)
    s, h, b = call("GET", R, tok=itok)
    check(s == 401, "expired installation token -> 401")

    # --- GitHub's 3,000-file cap on pulls/{n}/files (changed_files still counts them all)
    if not VG:
        s, h, b = call("GET", "/repos/acme/big/pulls/1")
        total = b["changed_files"]
        got = 0
        url = "/repos/acme/big/pulls/1/files?per_page=100"
        while url:
            s, h, b = call("GET", url)
            got += len(b)
            nxt = [p.split(";")[0].strip("<> ") for p in h.get("link", "").split(",") if 'rel="next"' in p]
            url = nxt[0] if nxt else None
        check(total == 3001 and got == 3000, "3,000-file cap: changed_files=%d, listed=%d" % (total, got))

    # --- the CI simulator: runs on branch pushes, decided from the tree; control API
    s, h, b = call("GET", R + "/git/ref/heads/main")
    ci_base = b["object"]["sha"]
    call("POST", R + "/git/refs", {"ref": "refs/heads/ci/one", "sha": ci_base})
    s, h, b = call("PUT", R + "/contents/ci-a.txt", {"message": "m", "branch": "ci/one",
                                                     "content": base64.b64encode(b"RENAMED\n").decode()})
    s, h, b = call("PUT", R + "/contents/ci-b.txt", {"message": "m", "branch": "ci/one",
                                                     "content": base64.b64encode(b"CALLER\n").decode()})
    ci_red = b["commit"]["sha"]
    for _ in range(6000):  # up to 2 min on a loaded machine
        if call("GET", "/_mockhub/ci?summary=1&branch=ci/one", tok=None)[2]["active"] == 0:
            break
        time.sleep(0.02)
    s, h, b = call("GET", "/_mockhub/ci?branch=ci/one", tok=None)
    check(s == 200 and b["runs_total"] == 6 and b["completed"] == 6 and b["failed"] == 2, "ci: 2 contexts x 3 pushes, the last red (%s)" % {k: b.get(k) for k in ("runs_total", "completed", "failed")})
    s, h, b = call("GET", R + "/commits/%s/check-runs" % ci_red)
    check(s == 200 and b["check_runs"][0]["conclusion"] == "failure" and "semantic conflict" in b["check_runs"][0]["output"]["summary"], "ci: check run failed with the reason")
    s, h, b = call("GET", R + "/commits/%s/status" % ci_red)
    check(s == 200 and b["state"] == "failure" and b["statuses"][0]["context"] == "sim/lint", "ci: commit status failure")
    s, h, b = call("GET", "/_mockhub/ci/verdict?repo=acme/mono&ref=" + ci_red, tok=None)
    check(s == 200 and b["pass"] is False, "ci: verdict")
    s, h, b = call("GET", "/_mockhub/ci/history?repo=acme/mono&branch=ci/one&since=" + ci_base, tok=None)
    check(s == 200 and b["red"] == 1 and len(b["commits"]) == 2, "ci: history of a branch")
    s, h, b = call("GET", "/_mockhub/ci/verdict?repo=acme/mono", tok=None)
    check(s == 422, "ci: verdict needs a ref")
    s, h, b = call("POST", "/_mockhub/ci", {"contexts": [{"name": "x"}], "rules": [{"flake": 7}]}, tok=None)
    check(s == 422 and "/rules/0/flake" in b["message"], "ci: bad rules refused with the pointer")
    s, h, b = call("POST", "/_mockhub/ci", {"contexts": [{"name": "sim/test", "duration_ms": 10, "branches": ["ci/*"]},
                                                         {"name": "sim/slow", "duration_ms": 600000, "branches": ["ci/slow"]}],
                                            "rules": [{"times": 1}]}, tok=None)
    check(s == 200 and len(b["rules"]) == 1, "ci: rules replaced")
    call("POST", R + "/git/refs", {"ref": "refs/heads/ci/slow", "sha": ci_base})  # left running at shutdown
    slow = [r for r in call("GET", "/_mockhub/ci?branch=ci/slow", tok=None)[2]["runs"] if r["context"] == "sim/slow"]
    s, h, b = call("GET", "/_mockhub/ci/runs/%d" % slow[0]["id"], tok=None)
    check(s == 200 and b["state"] in ("queued", "in_progress") and "conclusion" not in b, "ci: one run, still running")

    # --- junk: random methods, paths and bodies must never crash mockhub or give a 5xx
    import random
    rnd = random.Random(1234)
    segs = ["repos", "acme", "mono", "pulls", "1", "2", "issues", "labels", "comments", "git", "refs", "ref",
            "heads", "main", "contents", "%2F", "%00", "..", "merge", "reviews", "check-runs", "statuses",
            "hooks", "deliveries", "attempts", "orgs", "teams", "infra", "members", "x" * 300, "-1",
            "99999999999999999999999", "%ff%fe", "a%2Fb", "", "commits", "status", "collaborators", "users"]
    bodies = [None, b"", b"{", b"null", b"[]", b'"x"', b"1e999", b'{"a":' * 200 + b"1" + b"}" * 200,
              b'{"title":[],"head":{},"base":1,"labels":[null],"body":{"x":1},"state":5,"sha":true,'
              b'"merge_method":[],"event":1,"ref":null,"content":"!!!","message":[],"name":""}',
              b'{"labels":"land"}', b'{"state":"closed"}', b'{"ref":"refs/heads/%s","sha":"%s"}' % (b"j" * 10, b"0" * 40),
              bytes(rnd.randrange(256) for _ in range(300))]
    bad5xx = []
    for i in range(600):
        path = "/" + "/".join(rnd.choice(segs) for _ in range(rnd.randrange(1, 8)))
        if rnd.random() < 0.5:
            path = "/repos/acme/mono/" + "/".join(rnd.choice(segs) for _ in range(rnd.randrange(1, 5)))
        if rnd.random() < 0.2:
            path += "?" + rnd.choice(["per_page=-5", "page=999999999999", "per_page=abc&page=%zz", "ref=%00",
                                      "state=weird", "labels=,,,", "since=x"])
        m = rnd.choice(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
        st, _, _ = call(m, path, raw=rnd.choice(bodies), tok=rnd.choice(["tok-alice", "tok-bob", "tok-carol", None, "bad"]))
        if st >= 500:
            bad5xx.append((m, path, st))
    check(not bad5xx, "600 junk requests: no 5xx (%s)" % bad5xx[:3])
    check(call("GET", "/user")[0] == 200, "still serving after junk")

    # --- control state and request log
    s, h, b = call("GET", "/_mockhub/state", tok=None)
    repo = b["repos"][0]
    check(s == 200 and any(p["merged"] for p in repo["pulls"]) and "main" in repo["branches"], "control state")
    s, h, b = call("GET", "/_mockhub/requests", tok=None)
    check(s == 200 and any(r["route"] == "pulls/merge" and r["status"] == 409 for r in b), "request log")

    # --- a world reset drops the CI simulator's runs (a slow one is in flight) and starts it afresh
    s, h, b = call("POST", "/_mockhub/reset", tok=None)
    check(s == 200, "reset with CI runs in flight")
    s, h, b = call("GET", "/_mockhub/ci", tok=None)
    check(s == 200 and b["runs_total"] == 0 and b["configured"], "ci: no run after the reset")
    s, h, b = call("GET", R + "/git/ref/heads/main")
    call("POST", R + "/git/refs", {"ref": "refs/heads/ci/after-reset", "sha": b["object"]["sha"]})
    for _ in range(6000):  # 10-40 ms runs; up to 2 min on a loaded machine
        b = call("GET", "/_mockhub/ci?summary=1", tok=None)[2]
        if b["runs_total"] == 2 and b["active"] == 0:
            break
        time.sleep(0.02)
    check(b["runs_total"] == 2 and b["completed"] == 2, "ci: runs again after the reset (%s)" % b.get("runs_total"))
finally:
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(timeout=120 if VG else 20)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = -1
    log.close()
    check(rc == 0, "clean exit on SIGTERM (rc=%s)" % rc)
    recv.shutdown()

if VG:
    print("".join(open(vg_log).readlines()[-30:]))
if FAILS:
    print("\n%d FAILED; mockhub log tail:" % len(FAILS))
    print("".join(open(os.path.join(TMP, "mockhub.log")).readlines()[-40:]))
    sys.exit(1)
if "--keep" not in sys.argv:
    shutil.rmtree(TMP, ignore_errors=True)
print("all passed")
