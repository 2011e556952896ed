"""The bot under test: a GitHub webhook receiver that thanks the author of every pull request
opened (once per pull request), written with the standard library only. It checks each
delivery's X-Hub-Signature-256 and calls the REST API with its token."""
import hashlib
import hmac
import http.server
import json
import urllib.request


class Bot:
    def __init__(self, api_url, token, secret):
        self.api_url, self.token, self.secret = api_url.rstrip("/"), token, secret.encode()

    def rest(self, method, path, body=None):
        req = urllib.request.Request(
            self.api_url + path, method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.token}", "Accept": "application/vnd.github+json",
                     "User-Agent": "thanks-bot", "X-GitHub-Api-Version": "2022-11-28"})
        with urllib.request.urlopen(req) as res:
            text = res.read()
            return json.loads(text) if text else None

    def verify(self, body, signature):
        want = "sha256=" + hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(want, signature or "")

    def handle(self, event, payload):
        """Returns the HTTP status to answer the delivery with."""
        if event != "pull_request" or payload.get("action") not in ("opened", "reopened"):
            return 204
        repo = payload["repository"]["full_name"]
        number = payload["pull_request"]["number"]
        me = self.rest("GET", "/user")["login"]
        comments = self.rest("GET", f"/repos/{repo}/issues/{number}/comments?per_page=100")
        if not any(c["user"]["login"] == me for c in comments):
            author = payload["pull_request"]["user"]["login"]
            self.rest("POST", f"/repos/{repo}/issues/{number}/comments",
                      {"body": f"Thanks for the pull request, @{author}!"})
        return 200

    def server(self, address=("127.0.0.1", 0)):
        """An HTTP server for POST /webhook (serve_forever() it in a thread)."""
        bot = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path != "/webhook":
                    status = 404
                elif not bot.verify(body, self.headers.get("X-Hub-Signature-256")):
                    status = 401
                else:
                    status = bot.handle(self.headers.get("X-GitHub-Event"), json.loads(body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        return http.server.ThreadingHTTPServer(address, Handler)
