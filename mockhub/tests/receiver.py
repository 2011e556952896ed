#!/usr/bin/env python3
"""Webhook receiver for mockhub's integration test: records every delivery as one JSON line
(headers, body, whether X-Hub-Signature-256 verified with the given secret) and answers 202.
Usage: receiver.py PORT_FILE OUT_JSONL SECRET [STATUS]"""
import hashlib, hmac, http.server, json, sys

port_file, out_path, secret = sys.argv[1], sys.argv[2], sys.argv[3].encode()
status = int(sys.argv[4]) if len(sys.argv) > 4 else 202


class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        want = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        rec = {"headers": {k.lower(): v for k, v in self.headers.items()},
               "sig_ok": hmac.compare_digest(want, self.headers.get("X-Hub-Signature-256", "")),
               "body": json.loads(body)}
        with open(out_path, "a") as f:
            f.write(json.dumps(rec) + "\n")
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(port_file + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(port_file + ".tmp", port_file)
srv.serve_forever()
