// Starts a mockhub for a test suite and wraps its control API (docs/mockhub.md, "Control API").
// Copy this file into your bot's tests: it needs only Node's standard library.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export async function startMockhub({ world, bin = process.env.MOCKHUB || "mockhub", args = [] }) {
  const dir = mkdtempSync(join(tmpdir(), "mockhub-example-"));
  const portFile = join(dir, "port");
  const child = spawn(bin, ["serve", "--world", world, "--port-file", portFile, ...args],
                      { stdio: ["ignore", "ignore", "pipe"] });
  let log = ""; // mockhub logs one logfmt line per request on stderr: keep the tail for failures
  child.stderr.on("data", (d) => { log = (log + d).slice(-20000); });
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve(code ?? signal)));
  // mockhub writes the port once it listens (port 0 = a free one): wait for it or for its exit.
  while (!(existsSync(portFile) && readFileSync(portFile, "utf8").trim())) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`mockhub exited:\n${log}`);
    await sleep(10);
  }
  const base = `http://127.0.0.1:${readFileSync(portFile, "utf8").trim()}`;

  // The control API, version 1: stable paths under /_mockhub/v1/.
  async function control(method, path, body) {
    const res = await fetch(`${base}/_mockhub/v1${path}`, {
      method, headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} /_mockhub/v1${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  return {
    base,
    control,
    log: () => log,
    // The REST calls mockhub received (with query, headers (auth redacted) and body), filtered:
    // requests({ route: "issues/create-comment", user: "triage-bot" }).
    requests: (filter = {}) => control("GET", `/requests?${new URLSearchParams(filter)}`),
    // The world as at start-up, in this process (fresh repositories, pull requests, clock, an
    // empty request log): per-test isolation in milliseconds. `world` replaces the world file's.
    reset: (world) => control("POST", "/reset", world ? { world } : undefined),
    stop: async () => {
      child.kill("SIGTERM");
      const status = await exited;
      rmSync(dir, { recursive: true, force: true });
      return status;
    },
  };
}
