// The bot's test suite, run against mockhub: `MOCKHUB=path/to/mockhub node --test bot.test.mjs`.
// One mockhub for the whole file, reset before each test; assertions read what the bot sent from
// mockhub's request log instead of mocking octokit.
import { after, before, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Octokit } from "@octokit/rest";
import { startMockhub } from "./mockhub.mjs";
import { latestRelease, triage } from "./bot.mjs";

const world = fileURLToPath(new URL("../world.json", import.meta.url));
const O = { owner: "acme", repo: "widgets" };
let hub, bot, alice;

before(async () => {
  hub = await startMockhub({ world });
  bot = new Octokit({ auth: "tok-bot", baseUrl: hub.base, userAgent: "triage-bot-tests" });
  alice = new Octokit({ auth: "tok-alice", baseUrl: hub.base, userAgent: "triage-bot-tests" });
});
after(async () => assert.equal(await hub.stop(), 0, "mockhub exits 0 on SIGTERM"));
beforeEach(() => hub.reset());

// alice opens a pull request adding `files` on branch `head` (real commits in a real repository).
async function openPr(files, head = "feature") {
  const { data: main } = await alice.rest.git.getRef({ ...O, ref: "heads/main" });
  await alice.rest.git.createRef({ ...O, ref: `refs/heads/${head}`, sha: main.object.sha });
  for (const [path, text] of Object.entries(files))
    await alice.rest.repos.createOrUpdateFileContents({ ...O, path, branch: head, message: `Add ${path}`,
                                                         content: Buffer.from(text).toString("base64") });
  return (await alice.rest.pulls.create({ ...O, head, base: "main", title: `Add ${Object.keys(files)}` })).data;
}

test("labels a docs pull request and thanks its author once", async () => {
  const pr = await openPr({ "docs/faq.md": "Q: What is a widget?\n" });
  assert.deepEqual(await triage(bot, { ...O, pull_number: pr.number }), { labels: ["docs"], commented: true });
  assert.deepEqual(await triage(bot, { ...O, pull_number: pr.number }), { labels: ["docs"], commented: false });

  const posted = await hub.requests({ route: "issues/create-comment", user: "triage-bot" });
  assert.equal(posted.length, 1, "one comment, however often the bot runs");
  assert.equal(posted[0].body.body, "Thanks @alice! 1 file(s) changed; labelled docs.");
  assert.ok(!JSON.stringify(posted[0].headers).includes("tok-bot"), "the token is redacted in the log");
  const listed = await hub.requests({ route: "pulls/list-files" });
  assert.ok(listed.length === 2 && listed.every((r) => /(^|&)per_page=100(&|$)/.test(r.query)),
            "the bot lists files 100 at a time");
  const { data: labels } = await alice.rest.issues.listLabelsOnIssue({ ...O, issue_number: pr.number });
  assert.deepEqual(labels.map((l) => l.name), ["docs"]);
});

test("leaves code-only pull requests unlabelled (and the world was reset)", async () => {
  const pr = await openPr({ "src/gadget.c": "int gadget(void) { return 2; }\n" });
  assert.equal(pr.number, 1, "reset: the pull request of the previous test is gone");
  assert.deepEqual(await triage(bot, { ...O, pull_number: pr.number }), { labels: [], commented: true });
  assert.equal((await hub.requests({ route: "issues/add-labels" })).length, 0);
  const [comment] = await hub.requests({ route: "issues/create-comment" });
  assert.equal(comment.body.body, "Thanks @alice! 1 file(s) changed.");
});

test("frozen clock: the same timestamps and commit SHAs in every run", async () => {
  const first = await openPr({ "docs/faq.md": "Q?\n" });
  assert.equal(first.created_at, "2024-05-01T12:00:00Z", "the world's clock.freeze");
  await hub.reset();
  const again = await openPr({ "docs/faq.md": "Q?\n" });
  assert.equal(again.head.sha, first.head.sha, "same world, same calls: same commits");
  await hub.control("POST", "/clock", { advance_seconds: 90 });
  await triage(bot, { ...O, pull_number: again.number });
  const { data: [comment] } = await alice.rest.issues.listComments({ ...O, issue_number: again.number });
  assert.equal(comment.created_at, "2024-05-01T12:01:30Z");
});

test("an endpoint mockhub lacks says so instead of a silent 404", async () => {
  // The bot takes its "no release yet" branch on a 404. mockhub has no releases API: its 404
  // carries X-Mockhub-Unimplemented (with --strict it is a 501), and the request log marks it, so
  // a suite can refuse to pass on answers GitHub would not have given.
  await assert.rejects(bot.rest.repos.getLatestRelease(O), (e) =>
    e.status === 404 && e.response.headers["x-mockhub-unimplemented"] === "GET /repos/{owner}/{repo}/releases/latest");
  assert.equal(await latestRelease(bot, O), null);
  const lacking = await hub.requests({ unimplemented: 1 });
  assert.deepEqual(lacking.map((r) => r.route), ["repos/get-latest-release", "repos/get-latest-release"]);
});
