// The Node peer of the intake benchmark (bench/store_bench.py): what a typical Node receiver
// does to acknowledge a GitHub webhook durably. It verifies X-Hub-Signature-256 with
// @octokit/webhooks, appends the delivery to a file, fsyncs it, and only then answers 202.
//
//   LANDQ_WEBHOOK_SECRET=... node server.mjs PORT FILE
//
// SIGTERM prints one JSON line ({"stored":N,"refused":N}) and exits.
import http from "node:http";
import fs from "node:fs/promises";
import { Webhooks } from "@octokit/webhooks";

const [port, file] = process.argv.slice(2);
const webhooks = new Webhooks({ secret: process.env.LANDQ_WEBHOOK_SECRET });
const log = await fs.open(file, "a");
let stored = 0, refused = 0;

const server = http.createServer((req, res) => {
  if (req.method !== "POST" || req.url !== "/webhook") {
    res.writeHead(404).end();
    return;
  }
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", async () => {
    const body = Buffer.concat(chunks).toString("utf8");
    try {
      if (!(await webhooks.verify(body, req.headers["x-hub-signature-256"] || ""))) {
        refused++;
        res.writeHead(401).end();
        return;
      }
      const id = req.headers["x-github-delivery"] || "";
      const event = req.headers["x-github-event"] || "";
      await log.appendFile(JSON.stringify({ id, event, len: body.length }) + "\n" + body + "\n");
      await log.sync();
      stored++;
      res.writeHead(202, { "content-type": "application/json" });
      res.end('{"status":202,"message":"delivery stored"}\n');
    } catch (e) {
      res.writeHead(503).end();
    }
  });
});
server.listen(Number(port), "127.0.0.1");
process.on("SIGTERM", () => {
  server.close();
  process.stdout.write(JSON.stringify({ stored, refused }) + "\n");
  process.exit(0);
});
