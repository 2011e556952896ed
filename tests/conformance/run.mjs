// mockhub conformance suite: a real client (@octokit/rest) drives mockhub through the landing flows,
// and every response body is validated against GitHub's official OpenAPI schema for its operation and
// status (@octokit/openapi, Ajv). A receiver built with @octokit/webhooks verifies every webhook
// signature, and every payload is validated against @octokit/openapi-webhooks.
// Usage: node run.mjs MOCKHUB_BINARY
import { spawn, execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Octokit } from "@octokit/rest";
import { Webhooks } from "@octokit/webhooks";
import Ajv from "ajv";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { coverage } from "./coverage.mjs";

const require = createRequire(import.meta.url);
const MOCKHUB = process.argv[2];
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), "mockhub-conf-"));
const SECRET = "s3cret";
const failures = [];
let checks = 0, validated = 0, validatedHooks = 0;

function check(cond, what, extra) {
  checks++;
  if (cond) console.log("ok   " + what);
  else { console.log("FAIL " + what + (extra ? "\n     " + extra : "")); failures.push(what); }
}

// ---------- OpenAPI (REST): schemas per operation + status, OpenAPI 3.0 nullable rewritten ----------
const spec = require("@octokit/openapi/generated/api.github.com.deref.json");
function fixNullable(node) {
  if (Array.isArray(node)) return node.map(fixNullable);
  if (!node || typeof node !== "object") return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) out[k] = (k === "example" || k === "examples") ? v : fixNullable(v);
  if (out.nullable === true) {
    delete out.nullable;
    if (out.enum && !out.enum.includes(null)) out.enum = [...out.enum, null];
    if (out.type) return { ...out, type: Array.isArray(out.type) ? [...out.type, "null"] : [out.type, "null"] };
    return { anyOf: [out, { type: "null" }] };
  }
  return out;
}
const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
addFormats(ajv);
ajv.addFormat("uri-template", true);
const validators = new Map();
function restValidator(method, url, status) {
  const key = `${method} ${url} ${status}`;
  if (validators.has(key)) return validators.get(key);
  const op = spec.paths[url]?.[method.toLowerCase()];
  let v = null;
  if (op) {
    const resp = op.responses[String(status)];
    const schema = resp?.content?.["application/json"]?.schema;
    v = schema ? ajv.compile(fixNullable(schema)) : (resp ? "no-body" : "undeclared");
  }
  validators.set(key, v);
  return v;
}
const templates = Object.keys(spec.paths).map((t) => [t, new RegExp("^" + t.replace(/\{[^}]+\}/g, "[^/]+") + "$")]);
const basicError = ajv.compile(fixNullable(spec.paths["/repos/{owner}/{repo}"].get.responses["404"].content["application/json"].schema));
const validationError = ajv.compile(fixNullable(spec.paths["/repos/{owner}/{repo}/pulls"].post.responses["422"].content["application/json"].schema));
// Places where the description disagrees with what api.github.com sends (docs/mockhub.md lists them):
// labels inside pull-request-simple declare `description: string`, but GitHub sends null for labels
// without a description (the `label` schema itself says nullable).
// Error bodies declared as oneOf(validation-error or basic-error, repository-rule-violation-error)
// (git/create-blob 422, repos/create-or-update-file-contents 409) match both alternatives, as
// GitHub's own bodies do (nothing in either schema tells them apart): "exactly one" cannot hold.
function knownSpecGap(e, data) {
  if (e.keyword === "oneOf" && e.instancePath === "" && e.params?.passingSchemas?.length === 2) return true;
  return /\/labels\/\d+\/description$/.test(e.instancePath) && e.keyword === "type";
}
const undeclared = new Set(); // "METHOD /template STATUS" GitHub sends but the operation does not declare
const errorsChecked = new Set(); // operations whose error bodies were schema-checked
function validateRest(method, url, status, data, headers = {}) {
  if (/^https?:/.test(url)) { // a Link URL followed by paginate: find its template
    const p = new URL(url).pathname;
    const hit = templates.filter(([t, re]) => re.test(p) && spec.paths[t][method.toLowerCase()]);
    hit.sort((a, b) => a[0].split("{").length - b[0].split("{").length); // most literal first
    if (!hit.length) { check(false, `${method} ${p}: no operation template matches`); return; }
    url = hit[0][0];
  }
  const ctype = headers["content-type"] || "application/json";
  if (!/json/.test(ctype)) return; // text media types (diff, patch, raw) have no JSON schema
  let v = restValidator(method, url, status);
  if (headers["x-mockhub-unimplemented"]) v = basicError; // mockhub's loud 404/501: GitHub's basic-error shape
  else if (v === "undeclared" && status >= 400) {
    // GitHub answers statuses some operations do not list (e.g. 422 from create-commit-status):
    // those bodies take GitHub's generic shapes.
    if (![401, 403, 429, 500, 502, 503].includes(status)) undeclared.add(`${method} ${url} ${status}`);
    v = status === 422 ? validationError : basicError;
  }
  if (v === null) { check(false, `${method} ${url}: operation not in the OpenAPI description`); return; }
  if (v === "undeclared") { check(false, `${method} ${url}: status ${status} not declared by the operation`); return; }
  if (v === "no-body") return;
  validated++;
  if (status >= 400) errorsChecked.add(`${method} ${url} ${status}`);
  if (!v(data)) {
    const errs = v.errors.filter((e) => !knownSpecGap(e, data));
    if (errs.length) check(false, `${method} ${url} ${status}: body matches schema`, JSON.stringify(errs.slice(0, 3)));
  }
}

// ---------- webhooks schema (OpenAPI 3.1 / JSON Schema 2020-12) ----------
const whSpec = require("@octokit/openapi-webhooks/generated/api.github.com.json");
const ajv20 = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
addFormats(ajv20);
ajv20.addFormat("uri-template", true);
ajv20.addSchema({ $id: "wh", components: whSpec.components });
const whValidators = new Map();
function webhookValidator(event, action) {
  const name = "webhook-" + event.replace(/_/g, "-") + (action ? "-" + action.replace(/_/g, "-") : "");
  if (!whValidators.has(name)) {
    whValidators.set(name, whSpec.components.schemas[name] ? ajv20.getSchema("wh#/components/schemas/" + name) : null);
  }
  return [name, whValidators.get(name)];
}

// ---------- webhook receiver (signature verification by @octokit/webhooks) ----------
const webhooks = new Webhooks({ secret: SECRET });
const received = [];
const receiver = createServer((req, res) => {
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", async () => {
    const name = req.headers["x-github-event"], id = req.headers["x-github-delivery"];
    let ok = true;
    try {
      await webhooks.verifyAndReceive({ id, name, signature: req.headers["x-hub-signature-256"], payload: body });
    } catch (e) { ok = false; }
    received.push({ name, id, ok, headers: req.headers, payload: JSON.parse(body) });
    res.writeHead(ok ? 202 : 401).end();
  });
});
await new Promise((r) => receiver.listen(0, "127.0.0.1", r));
const HOOK = `http://127.0.0.1:${receiver.address().port}/hook`;

// ---------- start mockhub ----------
const { publicKey, privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
const APP_PUB = publicKey.export({ type: "spki", format: "pem" });
function appJwt(iss, ttl = 540) {
  const now = Math.floor(Date.now() / 1000);
  const enc = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const signing = enc({ alg: "RS256", typ: "JWT" }) + "." + enc({ iat: now - 60, exp: now + ttl, iss });
  return signing + "." + crypto.sign("RSA-SHA256", Buffer.from(signing), privateKey).toString("base64url");
}
// A file over 1 MB: the contents API answers it without content (encoding "none"), git.getBlob with it.
const BIG = Array.from({ length: 60000 }, (_, i) => `/gen/d${i}/ @acme/infra\n`).join("");
const world = {
  apps: [{ id: 77, slug: "lander-app", client_id: "Iv1.lander", public_key: APP_PUB,
           installations: [{ id: 7001, account: "acme", repositories: ["mono"] }] }],
  users: [{ login: "alice", token: "tok-alice", email: "alice@example.com", name: "Alice" },
          { login: "bob", token: "tok-bob" }, { login: "carol", token: "tok-carol" },
          { login: "lander", token: "tok-lander", type: "Bot" },
          { login: "dave", token: "tok-dave" }, { login: "erin", token: "tok-erin", email: "erin@example.com", name: "Erin" },
          { login: "ozzy", token: "tok-ozzy" }, { login: "trina", token: "tok-trina" }],
  orgs: [{ login: "acme", name: "ACME", members: ["alice", "bob", "dave", "trina"], teams: [{ slug: "infra", members: ["bob"] }] }],
  repos: [{ full_name: "acme/mono", default_branch: "main",
            collaborators: { alice: "write", bob: "admin", carol: "read", lander: "write", trina: "triage" }, teams: { infra: "write" },
            files: { ".github/CODEOWNERS": "/infra/ @acme/infra\n", "infra/main.tf": "x\n", "docs/a.md": "a\n",
                     "data/big.txt": BIG },
            branches: { release: { files: { "VERSION": "1.0\n" } } },
            branch_protection: { release: { required_approving_review_count: 1, required_status_checks: ["ci"],
                                            dismiss_stale_reviews: true } },
            labels: ["land"], hooks: [{ url: HOOK, secret: SECRET, events: ["*"] }] },
          { full_name: "acme/pub", private: false, collaborators: { bob: "admin" },
            files: { "README.md": "# pub\n", "src/a.c": "int a;\n" } },
          { full_name: "ozzy/tool", collaborators: { alice: "write" } }],
  rate_limit: { core: 5000, window_seconds: 3600 }, seed: 11,
  // the CI simulator, limited to branches ci/* so that it leaves the flows above alone
  ci: { contexts: [{ name: "sim/test", duration_ms: [20, 60], branches: ["ci/*"] },
                   { name: "sim/lint", kind: "status", duration_ms: 30, branches: ["ci/*"] }],
        rules: [{ context: "sim/test", contains: "BREAKS" }] },
};
// Starts a mockhub on a free port with `w` (extra serve arguments in args); resolves to its base URL.
async function startMockhub(name, w, args = []) {
  const dir = path.join(TMP, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "world.json"), JSON.stringify(w));
  const portFile = path.join(dir, "port");
  const log = fs.openSync(path.join(dir, "mockhub.log"), "w");
  const proc = spawn(MOCKHUB, ["serve", "--world", path.join(dir, "world.json"), "--port-file", portFile,
                               "--state-dir", path.join(dir, "state"), ...args], { stdio: ["ignore", "ignore", log] });
  for (let i = 0; i < 400 && !fs.existsSync(portFile); i++) await new Promise((r) => setTimeout(r, 50));
  const port = Number(fs.readFileSync(portFile, "utf8"));
  const stop = async () => { proc.kill("SIGTERM"); return new Promise((r) => proc.on("exit", (c) => r(c))); };
  return { proc, port, base: `http://127.0.0.1:${port}`, stop, log: path.join(dir, "mockhub.log") };
}
const main = await startMockhub("main", world);
const mh = main.proc;
const PORT = main.port;
const BASE = main.base;

function client(token, baseUrl = BASE) {
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const o = new Octokit({ auth: token, baseUrl, userAgent: "mockhub-conformance", log: quiet });
  o.hook.wrap("request", async (request, options) => {
    try {
      const res = await request(options);
      validateRest(options.method, options.url, res.status, res.data, res.headers);
      return res;
    } catch (e) {
      if (e.status && e.status !== 304) validateRest(options.method, options.url, e.status, e.response?.data, e.response?.headers);
      throw e;
    }
  });
  return o;
}
const alice = client("tok-alice"), bob = client("tok-bob"), carol = client("tok-carol"), lander = client("tok-lander");
const O = { owner: "acme", repo: "mono" };
async function status(p) { try { const r = await p; return r.status; } catch (e) { return e.status ?? String(e); } }
async function err(p) { try { await p; return null; } catch (e) { return e; } }
async function control(method, p, body, base = BASE) {
  const r = await fetch(base + "/_mockhub" + p, { method, body: body ? JSON.stringify(body) : undefined });
  return r.status === 204 ? null : r.json();
}
const drain = () => control("GET", "/webhooks/wait?timeout_ms=15000");
const b64 = (s) => Buffer.from(s).toString("base64");

try {
  // identity and metadata
  check((await alice.rest.users.getAuthenticated()).data.login === "alice", "users.getAuthenticated");
  check((await alice.rest.meta.get()).status === 200, "meta.get");
  const rl = await alice.rest.rateLimit.get();
  check(rl.data.resources.core.limit === 5000, "rateLimit.get");
  const repo = await alice.rest.repos.get(O);
  check(repo.data.default_branch === "main" && repo.data.permissions.push === true, "repos.get");
  check(await status(client("nope").rest.repos.get(O)) === 401, "bad token -> 401");
  check(await status(client("tok-none").rest.users.getAuthenticated()) === 401, "unknown token -> 401");

  // branch, commit via contents API
  const main = (await alice.rest.git.getRef({ ...O, ref: "heads/main" })).data.object.sha;
  await alice.rest.git.createRef({ ...O, ref: "refs/heads/feature/tf", sha: main });
  const f = await alice.rest.repos.getContent({ ...O, path: "infra/main.tf", ref: "feature/tf" });
  check(Buffer.from(f.data.content, "base64").toString() === "x\n", "repos.getContent (base64)");
  await alice.rest.repos.createOrUpdateFileContents({ ...O, path: "infra/main.tf", message: "tf", content: b64("y\n"),
                                                     branch: "feature/tf", sha: f.data.sha });
  await alice.rest.repos.createOrUpdateFileContents({ ...O, path: "infra/extra.tf", message: "extra",
                                                     content: b64("e\n"), branch: "feature/tf" });
  for (let i = 0; i < 3; i++)
    await alice.rest.repos.createOrUpdateFileContents({ ...O, path: `docs/page${i}.md`, message: `page ${i}`,
                                                       content: b64(`p${i}\n`), branch: "feature/tf" });
  // files over 1 MB (repos/get-content: content "", encoding "none") and git/get-blob
  const bigc = await alice.rest.repos.getContent({ ...O, path: "data/big.txt" });
  check(BIG.length > 1048576 && bigc.data.encoding === "none" && bigc.data.content === "" &&
        bigc.data.size === BIG.length && bigc.data.type === "file", "repos.getContent over 1 MB: content \"\", encoding none");
  const blob = await alice.rest.git.getBlob({ ...O, file_sha: bigc.data.sha });
  check(blob.data.encoding === "base64" && blob.data.sha === bigc.data.sha && blob.data.size === BIG.length &&
        blob.data.content.split("\n").length > 1000 && Buffer.from(blob.data.content, "base64").toString() === BIG,
        "git.getBlob over 1 MB (base64 with newlines)");
  const sblob = await alice.rest.git.getBlob({ ...O, file_sha: f.data.sha });
  check(Buffer.from(sblob.data.content, "base64").toString() === "x\n" && sblob.data.size === 2, "git.getBlob small file");
  check(await status(alice.rest.git.getBlob({ ...O, file_sha: "0".repeat(40) })) === 404, "git.getBlob unknown sha -> 404");
  check(await status(alice.rest.git.getBlob({ ...O, file_sha: main })) === 404, "git.getBlob of a commit sha -> 404");
  const br = await alice.rest.repos.getBranch({ ...O, branch: "feature/tf" });
  check(br.data.name === "feature/tf", "repos.getBranch (slash in name)");
  check((await alice.rest.repos.getCommit({ ...O, ref: br.data.commit.sha })).data.sha === br.data.commit.sha, "repos.getCommit");
  check((await alice.rest.git.listMatchingRefs({ ...O, ref: "heads/feature" })).data.length === 1, "git.listMatchingRefs");

  const cmp = await alice.rest.repos.compareCommitsWithBasehead({ ...O, basehead: "main...feature/tf" });
  check(cmp.data.status === "ahead" && cmp.data.ahead_by === 5 && cmp.data.files.length === 5, "repos.compareCommitsWithBasehead");

  // pull request
  const pr = await alice.rest.pulls.create({ ...O, title: "Change infra", head: "feature/tf", base: "main", body: "please" });
  const n = pr.data.number, head = pr.data.head.sha;
  check(pr.status === 201, "pulls.create 201");
  let g = await alice.rest.pulls.get({ ...O, pull_number: n });
  check(g.data.mergeable === null, "pulls.get: mergeable null at first");
  g = await alice.rest.pulls.get({ ...O, pull_number: n });
  check(g.data.mergeable === true && g.data.mergeable_state === "clean", "pulls.get: then true/clean");
  const e304 = await err(alice.request("GET /repos/{owner}/{repo}/pulls/{pull_number}",
                                       { ...O, pull_number: n, headers: { "if-none-match": g.headers.etag } }));
  check(e304 && e304.status === 304, "If-None-Match -> 304");
  const files = await alice.paginate(alice.rest.pulls.listFiles, { ...O, pull_number: n, per_page: 2 });
  check(files.length === 5 && files.some((x) => x.filename === "infra/extra.tf" && x.status === "added"), "pulls.listFiles paginated (5 files, per_page 2)");
  check((await alice.rest.pulls.listCommits({ ...O, pull_number: n })).data.length === 5, "pulls.listCommits");
  check((await alice.rest.pulls.list({ ...O, state: "open" })).data.length === 1, "pulls.list");
  await alice.rest.pulls.update({ ...O, pull_number: n, body: "please, now" });

  // labels
  const lab = await lander.rest.issues.addLabels({ ...O, issue_number: n, labels: ["land", "tf"] });
  check(lab.data.length === 2, "issues.addLabels");
  await lander.rest.issues.removeLabel({ ...O, issue_number: n, name: "tf" });
  check((await lander.rest.issues.listLabelsOnIssue({ ...O, issue_number: n })).data.length === 1, "issues.listLabelsOnIssue");
  await lander.rest.issues.setLabels({ ...O, issue_number: n, labels: ["land"] });
  check((await alice.rest.issues.listLabelsForRepo(O)).data.length >= 2, "issues.listLabelsForRepo");
  check((await bob.rest.issues.createLabel({ ...O, name: "blocked", color: "ff0000" })).status === 201, "issues.createLabel");
  const evs = await alice.rest.issues.listEvents({ ...O, issue_number: n });
  check(evs.data.some((e) => e.event === "labeled" && e.actor.login === "lander"), "issues.listEvents: labeled by lander");
  check((await alice.rest.issues.listForRepo({ ...O, labels: "land" })).data.length === 1, "issues.listForRepo labels filter");

  // reviews
  const self = await err(alice.rest.pulls.createReview({ ...O, pull_number: n, event: "APPROVE" }));
  check(self && self.status === 422, "author approving own PR -> 422");
  const rv = await bob.rest.pulls.createReview({ ...O, pull_number: n, event: "APPROVE", body: "lgtm" });
  check(rv.data.state === "APPROVED" && rv.data.commit_id === head, "pulls.createReview APPROVE (commit_id = head)");
  const rc = await carol.rest.pulls.createReview({ ...O, pull_number: n, event: "REQUEST_CHANGES", body: "hmm" });
  await bob.rest.pulls.dismissReview({ ...O, pull_number: n, review_id: rc.data.id, message: "stale" });
  const reviews = await alice.rest.pulls.listReviews({ ...O, pull_number: n });
  check(reviews.data.map((r) => r.state).join() === "APPROVED,DISMISSED", "pulls.listReviews after dismissal");
  check((await alice.rest.pulls.getReview({ ...O, pull_number: n, review_id: rv.data.id })).data.id === rv.data.id, "pulls.getReview");

  // comments
  const c = await lander.rest.issues.createComment({ ...O, issue_number: n, body: "queued" });
  await lander.rest.issues.updateComment({ ...O, comment_id: c.data.id, body: "landing" });
  check((await alice.rest.issues.listComments({ ...O, issue_number: n })).data[0].body === "landing", "issues comments create/update/list");
  check((await alice.rest.issues.getComment({ ...O, comment_id: c.data.id })).data.id === c.data.id, "issues.getComment");
  const tl = (await alice.rest.issues.listEventsForTimeline({ ...O, issue_number: n, per_page: 100 })).data;
  check(tl.some((e) => e.event === "labeled" && e.actor.login === "lander") &&
        tl.some((e) => e.event === "commented" && e.id === c.data.id && e.body === "landing" && e.actor.login === "lander") &&
        tl.some((e) => e.event === "reviewed" && e.id === rv.data.id && e.state === "approved" && e.commit_id === head),
        "issues.listEventsForTimeline: labeled, commented, reviewed (lower-case state)");
  const when = (e) => e.created_at || e.submitted_at;
  check(tl.every((e, i) => i === 0 || when(tl[i - 1]) <= when(e)), "issues.listEventsForTimeline: chronological");
  check(await status(lander.rest.issues.deleteComment({ ...O, comment_id: c.data.id })) === 204, "issues.deleteComment");

  // statuses and checks
  check((await lander.rest.repos.createCommitStatus({ ...O, sha: head, state: "pending", context: "ci" })).status === 201, "repos.createCommitStatus");
  await lander.rest.repos.createCommitStatus({ ...O, sha: head, state: "success", context: "ci", target_url: "http://ci.example/1" });
  const comb = await alice.rest.repos.getCombinedStatusForRef({ ...O, ref: head });
  check(comb.data.state === "success" && comb.data.total_count === 1, "repos.getCombinedStatusForRef");
  check((await alice.rest.repos.listCommitStatusesForRef({ ...O, ref: head })).data.length === 2, "repos.listCommitStatusesForRef");
  const cr = await lander.rest.checks.create({ ...O, name: "build", head_sha: head, status: "in_progress" });
  await lander.rest.checks.update({ ...O, check_run_id: cr.data.id, conclusion: "success", output: { title: "ok", summary: "all good" } });
  const runs = await alice.rest.checks.listForRef({ ...O, ref: head });
  check(runs.data.total_count === 1 && runs.data.check_runs[0].conclusion === "success", "checks.listForRef");
  check((await alice.rest.checks.get({ ...O, check_run_id: cr.data.id })).data.status === "completed", "checks.get");

  // teams and permissions
  check((await alice.rest.teams.listMembersInOrg({ org: "acme", team_slug: "infra" })).data[0].login === "bob", "teams.listMembersInOrg");
  check((await alice.rest.teams.getMembershipForUserInOrg({ org: "acme", team_slug: "infra", username: "bob" })).data.state === "active", "teams.getMembershipForUserInOrg");
  const tr = await alice.rest.teams.checkPermissionsForRepoInOrg({ org: "acme", team_slug: "infra", ...O,
    headers: { accept: "application/vnd.github.v3.repository+json" } });
  check(tr.data.permissions.push === true, "teams.checkPermissionsForRepoInOrg (repository media type)");
  check((await alice.rest.repos.listTeams(O)).data[0].permission === "push", "repos.listTeams");
  check((await alice.rest.repos.getCollaboratorPermissionLevel({ ...O, username: "bob" })).data.permission === "admin", "repos.getCollaboratorPermissionLevel");

  // merge: 409, 403, 200
  const e409 = await err(lander.rest.pulls.merge({ ...O, pull_number: n, merge_method: "squash", sha: "0".repeat(40) }));
  check(e409?.status === 409 && e409.response.data.message === "Head branch was modified. Review and try the merge again.", "pulls.merge sha mismatch -> 409");
  check(await status(carol.rest.pulls.merge({ ...O, pull_number: n, merge_method: "squash", sha: head })) === 403, "read role merge -> 403");
  const m = await lander.rest.pulls.merge({ ...O, pull_number: n, merge_method: "squash", sha: head });
  check(m.data.merged === true, "pulls.merge squash 200");
  check(await status(alice.rest.pulls.checkIfMerged({ ...O, pull_number: n })) === 204, "pulls.checkIfMerged 204");
  const after = await alice.rest.pulls.get({ ...O, pull_number: n });
  check(after.data.merged && after.data.state === "closed" && after.data.merge_commit_sha === m.data.sha, "merged PR state");

  // conflict -> 405
  const tip = (await alice.rest.git.getRef({ ...O, ref: "heads/main" })).data.object.sha;
  for (const b of ["x1", "x2"]) {
    await alice.rest.git.createRef({ ...O, ref: "refs/heads/" + b, sha: tip });
    const cur = await alice.rest.repos.getContent({ ...O, path: "docs/a.md", ref: b });
    await alice.rest.repos.createOrUpdateFileContents({ ...O, path: "docs/a.md", message: b, content: b64(b + "\n"), branch: b, sha: cur.data.sha });
  }
  const p1 = await alice.rest.pulls.create({ ...O, title: "x1", head: "x1", base: "main" });
  const p2 = await alice.rest.pulls.create({ ...O, title: "x2", head: "x2", base: "main" });
  await lander.rest.pulls.merge({ ...O, pull_number: p1.data.number, merge_method: "merge" });
  const e405 = await err(lander.rest.pulls.merge({ ...O, pull_number: p2.data.number, merge_method: "squash" }));
  check(e405?.status === 405 && e405.response.data.message === "Pull Request is not mergeable", "conflict -> 405");
  await alice.rest.pulls.update({ ...O, pull_number: p2.data.number, state: "closed" });
  await alice.rest.pulls.update({ ...O, pull_number: p2.data.number, state: "open" });

  // more operations landq or tests use
  check((await alice.rest.users.getByUsername({ username: "bob" })).data.login === "bob", "users.getByUsername");
  check((await bob.rest.repos.update({ ...O, delete_branch_on_merge: false })).data.allow_squash_merge === true, "repos.update");
  check((await alice.rest.issues.getLabel({ ...O, name: "land" })).data.name === "land", "issues.getLabel");
  const t2 = (await alice.rest.git.getRef({ ...O, ref: "heads/main" })).data.object.sha;
  await alice.rest.git.createRef({ ...O, ref: "refs/heads/tmp", sha: t2 });
  const del = await alice.rest.repos.getContent({ ...O, path: "docs/a.md", ref: "tmp" });
  const dd = await alice.rest.repos.deleteFile({ ...O, path: "docs/a.md", message: "rm", sha: del.data.sha, branch: "tmp" });
  check(dd.data.content === null, "repos.deleteFile");
  const nff = await err(alice.rest.git.updateRef({ ...O, ref: "heads/tmp", sha: t2 }));
  check(nff?.status === 422, "git.updateRef non-fast-forward -> 422");
  check((await alice.rest.git.updateRef({ ...O, ref: "heads/tmp", sha: t2, force: true })).data.object.sha === t2, "git.updateRef force");
  check(await status(alice.rest.git.deleteRef({ ...O, ref: "heads/tmp" })) === 204, "git.deleteRef");
  await alice.rest.issues.update({ ...O, issue_number: p2.data.number, title: "x2 (renamed)" });
  check((await alice.rest.issues.get({ ...O, issue_number: p2.data.number })).data.title === "x2 (renamed)", "issues.update/get");
  check(await status(lander.rest.issues.removeAllLabels({ ...O, issue_number: p2.data.number })) === 204, "issues.removeAllLabels");
  check((await alice.rest.repos.listBranches(O)).data.length >= 3, "repos.listBranches");

  // pagination over pulls with Link headers
  const all = await alice.paginate(alice.rest.pulls.list, { ...O, state: "all", per_page: 1 });
  check(all.length === 3, "paginate pulls (per_page 1, Link next)");

  // hooks API: create -> ping, deliveries, redeliver
  const hk = await bob.rest.repos.createWebhook({ ...O, config: { url: HOOK, content_type: "json", secret: SECRET }, events: ["pull_request"] });
  check(hk.status === 201, "repos.createWebhook");
  await drain();
  const dl = await bob.rest.repos.listWebhookDeliveries({ ...O, hook_id: hk.data.id });
  check(dl.data.length === 1 && dl.data[0].event === "ping", "repos.listWebhookDeliveries");
  check((await bob.rest.repos.getWebhookDelivery({ ...O, hook_id: hk.data.id, delivery_id: dl.data[0].id })).data.guid === dl.data[0].guid, "repos.getWebhookDelivery");
  check(await status(bob.rest.repos.redeliverWebhookDelivery({ ...O, hook_id: hk.data.id, delivery_id: dl.data[0].id })) === 202, "repos.redeliverWebhookDelivery");
  check((await bob.rest.repos.listWebhooks(O)).data.length === 2, "repos.listWebhooks");

  // rate limit: exhausted -> 403 with remaining 0, then secondary limit
  await control("POST", "/rate_limit", { login: "carol", exhaust: true });
  const erl = await err(carol.rest.repos.get(O));
  check(erl?.status === 403 && erl.response.headers["x-ratelimit-remaining"] === "0", "exhausted primary rate limit -> 403, remaining 0");
  await control("POST", "/rate_limit", { login: "carol", remaining: 100 });
  await control("POST", "/faults", { kind: "secondary_rate_limit", status: 429, path: "/repos/acme/mono", times: 1, retry_after: 3 });
  const esr = await err(carol.rest.repos.get(O));
  check(esr?.status === 429 && /secondary rate/i.test(esr.response.data.message) && esr.response.headers["retry-after"] === "3", "secondary rate limit -> 429 + retry-after");

  // GitHub App: JWT -> installation token
  const app = client(appJwt("Iv1.lander"));
  check((await app.rest.apps.getAuthenticated()).data.slug === "lander-app", "apps.getAuthenticated (JWT, iss = client id)");
  check((await app.rest.apps.listInstallations()).data[0].id === 7001, "apps.listInstallations");
  check((await app.rest.apps.getRepoInstallation(O)).data.id === 7001, "apps.getRepoInstallation");
  const it = await app.rest.apps.createInstallationAccessToken({ installation_id: 7001 });
  check(it.status === 201 && it.data.token.startsWith("ghs_"), "apps.createInstallationAccessToken");
  const inst = client(it.data.token);
  check((await inst.rest.apps.listReposAccessibleToInstallation()).data.total_count === 1, "apps.listReposAccessibleToInstallation");
  const ic = await inst.rest.issues.createComment({ ...O, issue_number: n, body: "from the app" });
  check(ic.data.user.login === "lander-app[bot]", "installation token acts as lander-app[bot]");
  check(await status(client(appJwt(77, 3600)).rest.apps.getAuthenticated()) === 401, "JWT valid > 10 minutes -> 401");

  // coverage bots need beyond landq (coverage.mjs)
  await coverage({ check, client, control, drain, err, status, received, startMockhub, world, BASE, PORT, HOOK, SECRET, TMP,
                   alice, bob, carol, lander, O, n, b64 });

  // git smart HTTP: clone and push (push -> push + synchronize webhooks)
  const env = { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1", GIT_TERMINAL_PROMPT: "0" };
  const wd = path.join(TMP, "clone");
  execFileSync("git", ["clone", "-q", `http://x-access-token:tok-alice@127.0.0.1:${PORT}/acme/mono.git`, wd], { env });
  check(fs.readFileSync(path.join(wd, "infra/main.tf"), "utf8") === "y\n", "git clone sees the merged change");
  const gitc = (...a) => execFileSync("git", ["-C", wd, "-c", "user.name=Alice", "-c", "user.email=alice@example.com", ...a], { env }).toString().trim();
  gitc("checkout", "-q", "-b", "x2", "origin/x2");
  fs.writeFileSync(path.join(wd, "docs/a.md"), "resolved\n");
  gitc("commit", "-qam", "resolve");
  gitc("push", "-q", "origin", "x2");
  await drain();
  const p2now = await alice.rest.pulls.get({ ...O, pull_number: p2.data.number });
  check(p2now.data.head.sha === gitc("rev-parse", "HEAD"), "git push updates the PR head");

  // the CI simulator: a pushed branch gets check runs and statuses, decided from its tree
  const ciBase = (await alice.rest.git.getRef({ ...O, ref: "heads/main" })).data.object.sha;
  await alice.rest.git.createRef({ ...O, ref: "refs/heads/ci/green", sha: ciBase });
  await alice.rest.repos.createOrUpdateFileContents({ ...O, path: "ci.txt", message: "red", content: b64("BREAKS\n"),
                                                       branch: "ci/green" });
  for (let i = 0; i < 200 && (await control("GET", "/ci?summary=1")).active > 0; i++)
    await new Promise((r) => setTimeout(r, 25));
  const ciRuns = await control("GET", "/ci");
  check(ciRuns.runs_total === 4 && ciRuns.active === 0, "ci: two contexts ran on each of the two pushes", JSON.stringify(ciRuns).slice(0, 300));
  const ciRed = (await alice.rest.git.getRef({ ...O, ref: "heads/ci/green" })).data.object.sha;
  const ciCr = await alice.rest.checks.listForRef({ ...O, ref: ciRed });
  check(ciCr.data.total_count === 1 && ciCr.data.check_runs[0].conclusion === "failure" &&
        /ci.txt contains "BREAKS"/.test(ciCr.data.check_runs[0].output.summary), "ci: the red tree fails sim/test with the reason");
  const cg = await alice.rest.checks.listForRef({ ...O, ref: ciBase });
  check(cg.data.check_runs.some((r) => r.name === "sim/test" && r.conclusion === "success"), "ci: the base tree passes");
  const cs = await alice.rest.repos.getCombinedStatusForRef({ ...O, ref: ciRed });
  check(cs.data.statuses.some((s) => s.context === "sim/lint" && s.state === "success"), "ci: sim/lint reported as a commit status");
  check((await control("GET", `/ci/verdict?repo=acme/mono&ref=${ciRed}`)).pass === false, "ci: the oracle says the red tree fails");

  // webhooks: signatures, headers, schemas
  await drain();
  check(received.length > 20 && received.every((r) => r.ok), `every webhook signature verified by @octokit/webhooks (${received.length})`);
  check(received.every((r) => /^GitHub-Hookshot\//.test(r.headers["user-agent"]) && r.headers["x-github-hook-id"]), "webhook headers");
  const seen = new Set();
  for (const r of received) {
    const action = r.payload.action;
    const [name, v] = webhookValidator(r.name, action);
    seen.add(name);
    if (!v) { check(false, `webhook schema ${name} exists`); continue; }
    validatedHooks++;
    if (!v(r.payload)) check(false, `webhook ${name} matches schema`, JSON.stringify(v.errors.slice(0, 3)));
  }
  for (const want of ["webhook-pull-request-opened", "webhook-pull-request-edited", "webhook-pull-request-labeled",
                      "webhook-pull-request-unlabeled", "webhook-pull-request-closed", "webhook-pull-request-reopened",
                      "webhook-pull-request-synchronize", "webhook-pull-request-review-submitted",
                      "webhook-pull-request-review-dismissed", "webhook-issue-comment-created",
                      "webhook-issue-comment-edited", "webhook-issue-comment-deleted", "webhook-status",
                      "webhook-check-run-created", "webhook-check-run-completed", "webhook-check-suite-completed",
                      "webhook-push", "webhook-ping", "webhook-issues-opened", "webhook-issues-labeled",
                      "webhook-issues-edited", "webhook-issues-closed", "webhook-issues-reopened",
                      "webhook-issues-unlabeled", "webhook-pull-request-review-requested",
                      "webhook-pull-request-review-request-removed", "webhook-pull-request-review-comment-created",
                      "webhook-pull-request-review-comment-edited", "webhook-pull-request-review-comment-deleted"])
    check(seen.has(want), `received ${want}`);
} catch (e) {
  check(false, "no unexpected exception", e.stack);
} finally {
  const code = await main.stop();
  check(code === 0, "mockhub exits cleanly on SIGTERM");
  receiver.close();
}
console.log(`\n${checks} checks, ${validated} REST bodies (${errorsChecked.size} kinds of error answers) and ${validatedHooks} webhook payloads schema-validated`);
if (undeclared.size) console.log(`statuses GitHub sends that their operations do not declare (checked against the generic error shapes): ${[...undeclared].join(", ")}`);
if (failures.length) {
  console.log(`${failures.length} FAILED. mockhub log: ${main.log}`);
  console.log(fs.readFileSync(main.log, "utf8").split("\n").slice(-25).join("\n"));
  process.exit(1);
}
fs.rmSync(TMP, { recursive: true, force: true });
