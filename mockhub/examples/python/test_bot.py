"""The bot's test suite, run against mockhub (unittest and urllib only):
    MOCKHUB=path/to/mockhub python3 -m unittest -v test_bot

One mockhub and one bot for the whole suite. Before each test the world is reset (POST
/_mockhub/v1/reset with the world plus a hook to this run's bot port, which also empties the
request log); the assertions read what the bot sent from /_mockhub/v1/requests and what it answered
from /_mockhub/v1/deliveries."""
import copy
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bot import Bot  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
WORLD = os.path.join(HERE, "..", "world.json")
SECRET = "hook-secret"


def call(base, method, path, body=None, token=None):
    """(status, JSON or None) of a request to mockhub; HTTP errors are answers, not exceptions."""
    headers = {"User-Agent": "bot-tests", "Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"token {token}"
    req = urllib.request.Request(base + path, method=method, headers=headers,
                                 data=None if body is None else json.dumps(body).encode())
    try:
        with urllib.request.urlopen(req) as res:
            text = res.read()
            return res.status, (json.loads(text) if text else None)
    except urllib.error.HTTPError as e:
        text = e.read()
        return e.code, (json.loads(text) if text else None)


def read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except FileNotFoundError:
        return ""


class MockhubTestCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        port_file = os.path.join(cls.tmp.name, "port")
        cls.log = open(os.path.join(cls.tmp.name, "mockhub.log"), "w+")
        cls.hub = subprocess.Popen([os.environ.get("MOCKHUB", "mockhub"), "serve", "--world", WORLD,
                                    "--port-file", port_file], stderr=cls.log)
        # mockhub writes the port once it listens: wait for that (or for it to exit).
        while not read(port_file):
            if cls.hub.poll() is not None:
                cls.log.seek(0)
                raise RuntimeError("mockhub exited: " + cls.log.read())
            time.sleep(0.01)
        cls.base = "http://127.0.0.1:" + read(port_file)
        cls.bot = Bot(cls.base, "tok-bot", SECRET)
        cls.httpd = cls.bot.server()
        threading.Thread(target=cls.httpd.serve_forever, daemon=True).start()
        cls.hook_url = "http://127.0.0.1:%d/webhook" % cls.httpd.server_address[1]
        with open(WORLD) as f:
            cls.world = json.load(f)

    @classmethod
    def tearDownClass(cls):
        cls.hub.terminate()
        status = cls.hub.wait()
        cls.httpd.shutdown()
        cls.httpd.server_close()
        cls.log.close()
        cls.tmp.cleanup()
        assert status == 0, f"mockhub exited with {status}"

    def control(self, method, path, body=None, want=(200, 201, 202, 204)):
        status, answer = call(self.base, method, "/_mockhub/v1" + path, body)
        self.assertIn(status, want, f"{method} /_mockhub/v1{path}: {answer}")
        return answer

    def setUp(self):
        world = copy.deepcopy(self.world)
        repo = world["repos"][0]
        repo["hooks"] = [{"url": self.hook_url, "secret": SECRET, "events": ["pull_request"]}]
        repo["pulls"] = [{"user": "alice", "head": "typo", "title": "Fix a typo",
                          "files": {"README.md": "# Widgets\n"}}]  # no webhook: world set-up
        self.control("POST", "/reset", {"world": world})  # also empties the request log

    def as_alice(self, method, path, body=None):
        status, answer = call(self.base, method, path, body, token="tok-alice")
        self.assertLess(status, 300, f"{method} {path}: {status} {answer}")
        return answer

    def wait_deliveries(self):
        """Until every webhook was delivered and answered (the bot acts before it answers)."""
        self.control("GET", "/webhooks/wait?timeout_ms=20000")


class TestThanksBot(MockhubTestCase):
    def test_thanks_the_author_of_a_new_pull_request(self):
        main = self.as_alice("GET", "/repos/acme/widgets/git/ref/heads/main")
        self.as_alice("POST", "/repos/acme/widgets/git/refs", {"ref": "refs/heads/gadget", "sha": main["object"]["sha"]})
        self.as_alice("PUT", "/repos/acme/widgets/contents/src/gadget.c",
                      {"message": "Add a gadget", "branch": "gadget", "content": "aW50IGdhZGdldDsK"})
        pr = self.as_alice("POST", "/repos/acme/widgets/pulls", {"title": "Gadget", "head": "gadget", "base": "main"})
        self.assertEqual(pr["number"], 2)  # 1 is the world's
        self.wait_deliveries()

        posted = self.control("GET", "/requests?route=issues/create-comment&user=triage-bot")
        self.assertEqual([(r["path"], r["body"]) for r in posted],
                         [("/repos/acme/widgets/issues/2/comments",
                           {"body": "Thanks for the pull request, @alice!"})])
        self.assertEqual(posted[0]["headers"]["authorization"], "Bearer [redacted]")
        listed = self.control("GET", "/requests?route=issues/list-comments")
        self.assertEqual([r["query"] for r in listed], ["per_page=100"])
        answered = [(d["event"], d["action"], d["status_code"]) for d in self.control("GET", "/deliveries")]
        self.assertEqual(answered, [("pull_request", "opened", 200)])

    def test_a_sent_webhook_reaches_the_bot_signed(self):
        # POST /_mockhub/v1/webhooks/send: any payload, signed with each hook's secret and
        # delivered like GitHub's own (here: the world's pull request #1, which sent none).
        sent = self.control("POST", "/webhooks/send", {"event": "pull_request", "repo": "acme/widgets", "payload": {
            "action": "reopened", "number": 1, "pull_request": {"number": 1, "user": {"login": "alice"}},
            "repository": {"full_name": "acme/widgets"}}})
        self.assertEqual(sent["deliveries"], 1)
        self.wait_deliveries()
        posted = self.control("GET", "/requests?route=issues/create-comment")
        self.assertEqual([r["path"] for r in posted], ["/repos/acme/widgets/issues/1/comments"])
        # The same again: the bot sees its own comment and stays quiet.
        self.control("POST", "/webhooks/send", {"event": "pull_request", "repo": "acme/widgets", "payload": {
            "action": "opened", "number": 1, "pull_request": {"number": 1, "user": {"login": "alice"}},
            "repository": {"full_name": "acme/widgets"}}})
        self.wait_deliveries()
        self.assertEqual(len(self.control("GET", "/requests?route=issues/create-comment")), 1)

    def test_a_forged_delivery_is_refused(self):
        req = urllib.request.Request(self.hook_url, method="POST", data=b'{"action": "opened"}', headers={
            "X-GitHub-Event": "pull_request", "X-Hub-Signature-256": "sha256=" + "0" * 64})
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req)
        self.assertEqual(e.exception.code, 401)
        self.assertEqual(self.control("GET", "/requests"), [], "the bot made no API call")

    def test_reset_between_tests(self):
        # Whatever the other tests did, each starts from the world: one pull request, no comments.
        pulls = self.as_alice("GET", "/repos/acme/widgets/pulls?state=all")
        self.assertEqual([p["number"] for p in pulls], [1])
        self.assertEqual(self.as_alice("GET", "/repos/acme/widgets/issues/1/comments"), [])


if __name__ == "__main__":
    unittest.main()
