// What other GitHub bots need from mockhub beyond landq's flows (issue 17), driven with @octokit/rest:
// loud unimplemented endpoints (404, or 501 with --strict), issues as issues, search, list commits,
// the git database, requested reviewers, review comments validated against the diff, the text media
// types, author_association, orgs, the branch protection read API, error bodies of every kind
// checked against each operation's declared schema, and the control API (request recording with
// bodies, frozen clock, reset, webhooks/send). Every REST answer goes through run.mjs's schema
// validation (the client hook), every webhook through its signature and schema checks.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

export async function coverage(t) {
  const { check, client, control, drain, err, status, received, startMockhub, world, O, n, b64 } = t;
  const { alice, bob, carol } = t;
  const dave = client("tok-dave"), erin = client("tok-erin"), ozzy = client("tok-ozzy"), trina = client("tok-trina");
  const PUB = { owner: "acme", repo: "pub" };
  const hdr = (e) => e?.response?.headers || {};

  // ---- 1. unimplemented endpoints are loud, not charged, recorded ----
  const used0 = (await alice.rest.rateLimit.get()).data.resources.core.used;
  const loud = [
    ["repos.listReleases", () => alice.rest.repos.listReleases(O), "GET /repos/{owner}/{repo}/releases"],
    ["repos.listTags", () => alice.rest.repos.listTags(O), "GET /repos/{owner}/{repo}/tags"],
    ["repos.listCollaborators", () => alice.rest.repos.listCollaborators(O), "GET /repos/{owner}/{repo}/collaborators"],
    ["actions.listWorkflowRunsForRepo", () => alice.rest.actions.listWorkflowRunsForRepo(O), "GET /repos/{owner}/{repo}/actions/runs"],
    ["DELETE repo", () => bob.rest.repos.delete(O), "DELETE /repos/{owner}/{repo}"],
    ["graphql", () => alice.graphql("{ viewer { login } }"), "POST /graphql"],
  ];
  for (const [name, call, route] of loud) {
    const e = await err(call());
    check(e?.status === 404 && hdr(e)["x-mockhub-unimplemented"] === route &&
          /mockhub does not implement/.test(e.response?.data?.message || ""),
          `${name}: loud 404 with X-Mockhub-Unimplemented: ${route}`, `${e?.status} ${JSON.stringify(hdr(e))}`);
  }
  const used1 = (await alice.rest.rateLimit.get()).data.resources.core.used;
  check(used1 === used0, "unimplemented answers are not charged to the rate limit", `${used0} -> ${used1}`);
  const unimpl = await control("GET", "/requests?unimplemented=1");
  check(["repos/list-releases", "repos/list-tags", "repos/list-collaborators", "graphql", "repos/delete"]
          .every((r) => unimpl.some((x) => x.route === r && x.unimplemented === true)),
        "unimplemented calls are counted in /_mockhub/requests (unimplemented: true, route = operation id)");
  const strictHub = await startMockhub("strict", { users: [{ login: "u", token: "tok-u" }],
                                                   repos: [{ full_name: "u/r" }] }, ["--strict"]);
  const su = client("tok-u", strictHub.base);
  const se = await err(su.rest.repos.listReleases({ owner: "u", repo: "r" }));
  check(se?.status === 501 && hdr(se)["x-mockhub-unimplemented"] === "GET /repos/{owner}/{repo}/releases",
        "--strict: unimplemented endpoint answers 501");
  check((await su.rest.repos.get({ owner: "u", repo: "r" })).status === 200, "--strict: implemented endpoints unchanged");
  check(await strictHub.stop() === 0, "strict mockhub exits cleanly");

  // ---- 2. orgs and the branch protection read API ----
  const org = await alice.rest.orgs.get({ org: "acme" });
  check(org.data.login === "acme" && org.data.type === "Organization" && org.data.name === "ACME", "orgs.get");
  check(await status(alice.rest.orgs.get({ org: "alice" })) === 404, "orgs.get of a user -> 404");
  const orgRepos = await alice.paginate(alice.rest.repos.listForOrg, { org: "acme", per_page: 1 });
  check(orgRepos.map((r) => r.full_name).sort().join() === "acme/mono,acme/pub", "repos.listForOrg (paginated, visible repos)");
  check((await erin.rest.repos.listForOrg({ org: "acme" })).data.map((r) => r.name).join() === "pub",
        "repos.listForOrg: an outsider sees the public repositories only");
  const prot = await bob.rest.repos.getBranchProtection({ ...O, branch: "release" });
  check(prot.data.required_status_checks.contexts.join() === "ci" &&
        prot.data.required_pull_request_reviews.required_approving_review_count === 1 &&
        prot.data.required_pull_request_reviews.dismiss_stale_reviews === true, "repos.getBranchProtection");
  check((await bob.rest.repos.getAllStatusCheckContexts({ ...O, branch: "release" })).data.join() === "ci",
        "repos.getAllStatusCheckContexts");
  check((await bob.rest.repos.getStatusChecksProtection({ ...O, branch: "release" })).data.contexts.join() === "ci",
        "repos.getStatusChecksProtection");
  check((await bob.rest.repos.getPullRequestReviewProtection({ ...O, branch: "release" })).data.required_approving_review_count === 1,
        "repos.getPullRequestReviewProtection");
  check((await bob.rest.repos.getAdminBranchProtection({ ...O, branch: "release" })).data.enabled === false,
        "repos.getAdminBranchProtection");
  const np = await err(bob.rest.repos.getBranchProtection({ ...O, branch: "main" }));
  check(np?.status === 404 && np.response.data.message === "Branch not protected", "unprotected branch -> 404 Branch not protected");
  check(!hdr(np)["x-mockhub-unimplemented"], "branches/{branch}/protection is routed (not swallowed by {branch*})");

  // ---- 3. issues as issues ----
  const is1 = await trina.rest.issues.create({ ...O, title: "Flaky build", body: "it fails", labels: ["bug"] });
  check(is1.status === 201 && !is1.data.pull_request && is1.data.labels.map((l) => l.name).join() === "bug" &&
        /\/issues\/\d+$/.test(is1.data.html_url), "issues.create (triage keeps labels, no pull_request key)");
  const is2 = await carol.rest.issues.create({ ...O, title: "Question", labels: ["bug"] });
  check(is2.data.labels.length === 0, "issues.create by a read user: labels dropped, as GitHub");
  check(await status(alice.rest.pulls.get({ ...O, pull_number: is1.data.number })) === 404, "pulls.get of an issue -> 404");
  await carol.rest.issues.update({ ...O, issue_number: is2.data.number, title: "Question (edited)" });
  const closed = await carol.rest.issues.update({ ...O, issue_number: is2.data.number, state: "closed", state_reason: "not_planned" });
  check(closed.data.state === "closed" && closed.data.state_reason === "not_planned", "issues.update close as not_planned");
  const reo = await carol.rest.issues.update({ ...O, issue_number: is2.data.number, state: "open" });
  check(reo.data.state === "open" && reo.data.state_reason === "reopened", "issues.update reopen");
  await trina.rest.issues.addLabels({ ...O, issue_number: is2.data.number, labels: ["question"] });
  await trina.rest.issues.removeLabel({ ...O, issue_number: is2.data.number, name: "question" });
  check(await status(carol.rest.issues.addLabels({ ...O, issue_number: is2.data.number, labels: ["x"] })) === 403,
        "issues.addLabels by a read user -> 403");
  await dave.rest.issues.createComment({ ...O, issue_number: is1.data.number, body: "seen it too" });
  const byCarol = await alice.rest.issues.listForRepo({ ...O, creator: "carol", state: "all" });
  check(byCarol.data.length === 1 && byCarol.data[0].number === is2.data.number, "issues.listForRepo creator filter");
  check((await alice.rest.issues.listForRepo({ ...O, labels: "bug" })).data.map((i) => i.number).join() === String(is1.data.number),
        "issues.listForRepo labels filter (issues and pull requests together)");
  const iev = await alice.rest.issues.listEvents({ ...O, issue_number: is2.data.number });
  check(["renamed", "closed", "reopened", "labeled", "unlabeled"].every((k) => iev.data.some((e) => e.event === k)),
        "issues.listEvents on an issue: renamed, closed, reopened, labeled, unlabeled");

  // ---- 4. a pull request for reviews: requested reviewers, review comments, diff/patch ----
  const tip = (await alice.rest.git.getRef({ ...O, ref: "heads/main" })).data.object.sha;
  await alice.rest.git.createRef({ ...O, ref: "refs/heads/rc", sha: tip });
  const cur = await alice.rest.repos.getContent({ ...O, path: "docs/a.md", ref: "rc" });
  await alice.rest.repos.createOrUpdateFileContents({ ...O, path: "docs/a.md", message: "Rewrite a.md\n\nMore lines.",
    content: b64("line 1\nline 2\nline 3\n"), branch: "rc", sha: cur.data.sha });
  const pr = await alice.rest.pulls.create({ ...O, title: "Review me", head: "rc", base: "main" });
  const pn = pr.data.number;
  const head = pr.data.head.sha;
  const rq = await alice.rest.pulls.requestReviewers({ ...O, pull_number: pn, reviewers: ["bob", "carol"], team_reviewers: ["infra"] });
  check(rq.status === 201 && rq.data.requested_reviewers.map((u) => u.login).sort().join() === "bob,carol" &&
        rq.data.requested_teams.map((x) => x.slug).join() === "infra", "pulls.requestReviewers (users and a team)");
  const rr = await alice.rest.pulls.listRequestedReviewers({ ...O, pull_number: pn });
  check(rr.data.users.length === 2 && rr.data.teams.length === 1, "pulls.listRequestedReviewers");
  const self = await err(alice.rest.pulls.requestReviewers({ ...O, pull_number: pn, reviewers: ["alice"] }));
  check(self?.status === 422 && /pull request author/.test(JSON.stringify(self.response.data)), "requesting the author -> 422");
  const outsider = await err(alice.rest.pulls.requestReviewers({ ...O, pull_number: pn, reviewers: ["erin"] }));
  check(outsider?.status === 422 && /collaborators/.test(JSON.stringify(outsider.response.data)), "requesting a non-collaborator -> 422");
  await alice.rest.pulls.removeRequestedReviewers({ ...O, pull_number: pn, reviewers: ["carol"] });
  check((await alice.rest.pulls.get({ ...O, pull_number: pn })).data.requested_reviewers.map((u) => u.login).join() === "bob",
        "pulls.removeRequestedReviewers");

  const badLine = await err(bob.rest.pulls.createReview({ ...O, pull_number: pn, event: "COMMENT", body: "x",
    comments: [{ path: "docs/a.md", line: 99, body: "here?" }] }));
  check(badLine?.status === 422 && badLine.response.data.errors?.some((s) => /must be part of the diff/.test(s)),
        "inline comment on a line outside the diff -> 422 (validation-error-simple)");
  const badPath = await err(bob.rest.pulls.createReview({ ...O, pull_number: pn, event: "COMMENT", body: "x",
    comments: [{ path: "nope.txt", line: 1, body: "?" }] }));
  check(badPath?.status === 422 && badPath.response.data.errors?.includes("Path could not be resolved"),
        "inline comment on a file outside the diff -> 422");
  const badEvent = await err(bob.rest.pulls.createReview({ ...O, pull_number: pn, event: "APPROVED" }));
  check(badEvent?.status === 422 && badEvent.response.data.errors?.every((s) => typeof s === "string"),
        "bad review event -> 422 with string errors (validation-error-simple)");
  const rv = await bob.rest.pulls.createReview({ ...O, pull_number: pn, event: "COMMENT", body: "a few notes",
    comments: [{ path: "docs/a.md", line: 2, body: "why line 2?" }, { path: "docs/a.md", position: 1, body: "position 1" },
               { path: "docs/a.md", start_line: 1, line: 3, body: "the whole block" }] });
  const rc = await alice.rest.pulls.listReviewComments({ ...O, pull_number: pn });
  const c2 = rc.data.find((x) => x.body === "why line 2?");
  check(rc.data.length === 3 && c2 && c2.line === 2 && c2.side === "RIGHT" && c2.commit_id === head &&
        /^@@ .* @@/.test(c2.diff_hunk) && c2.pull_request_review_id === rv.data.id,
        "review with inline comments: stored with line, side, commit_id, diff_hunk");
  check(rc.data.find((x) => x.body === "the whole block")?.start_line === 1, "multi-line comment keeps start_line");
  check((await alice.rest.pulls.get({ ...O, pull_number: pn })).data.requested_reviewers.length === 0,
        "a submitted review removes its author from requested_reviewers");
  const single = await carol.rest.pulls.createReviewComment({ ...O, pull_number: pn, commit_id: head, path: "docs/a.md",
                                                                line: 1, side: "RIGHT", body: "single" });
  check(single.status === 201 && single.data.line === 1, "pulls.createReviewComment (single comment)");
  const badSingle = await err(carol.rest.pulls.createReviewComment({ ...O, pull_number: pn, commit_id: head,
                                                                     path: "docs/a.md", line: 42, body: "no" }));
  check(badSingle?.status === 422 && badSingle.response.data.errors?.[0]?.resource === "PullRequestReviewComment",
        "pulls.createReviewComment outside the diff -> 422 (validation-error)");
  const reply = await alice.rest.pulls.createReplyForReviewComment({ ...O, pull_number: pn, comment_id: c2.id, body: "because" });
  check(reply.data.in_reply_to_id === c2.id && reply.data.path === "docs/a.md", "pulls.createReplyForReviewComment");
  await bob.rest.pulls.updateReviewComment({ ...O, comment_id: c2.id, body: "why line 2, really?" });
  check((await alice.rest.pulls.getReviewComment({ ...O, comment_id: c2.id })).data.body === "why line 2, really?",
        "pulls.updateReviewComment / getReviewComment");
  check(await status(carol.rest.pulls.updateReviewComment({ ...O, comment_id: c2.id, body: "mine now" })) === 403,
        "editing someone else's review comment with read -> 403");
  check(await status(carol.rest.pulls.deleteReviewComment({ ...O, comment_id: single.data.id })) === 204,
        "pulls.deleteReviewComment (own)");
  check((await alice.rest.pulls.listCommentsForReview({ ...O, pull_number: pn, review_id: rv.data.id })).data.length === 3,
        "pulls.listCommentsForReview");
  check((await alice.rest.pulls.listReviewCommentsForRepo(O)).data.length === 4, "pulls.listReviewCommentsForRepo");
  check((await alice.rest.pulls.get({ ...O, pull_number: pn })).data.review_comments === 4, "pull request counts review_comments");

  const diff = await alice.rest.pulls.get({ ...O, pull_number: pn, mediaType: { format: "diff" } });
  check(typeof diff.data === "string" && diff.data.startsWith("diff --git a/docs/a.md b/docs/a.md") &&
        /^\+line 2$/m.test(diff.data) && /vnd\.github\.diff/.test(diff.headers["content-type"]),
        "pulls.get with Accept: application/vnd.github.diff -> the diff");
  const patch = await alice.rest.pulls.get({ ...O, pull_number: pn, mediaType: { format: "patch" } });
  check(typeof patch.data === "string" && new RegExp(`^From ${head} `).test(patch.data) &&
        /^Subject: \[PATCH\] Rewrite a\.md$/m.test(patch.data), "pulls.get with Accept: application/vnd.github.patch -> format-patch");
  const cdiff = await alice.rest.repos.getCommit({ ...O, ref: head, mediaType: { format: "diff" } });
  check(typeof cdiff.data === "string" && cdiff.data.startsWith("diff --git"), "repos.getCommit .diff");
  const cmpPatch = await alice.rest.repos.compareCommitsWithBasehead({ ...O, basehead: `main...rc`, mediaType: { format: "patch" } });
  check(typeof cmpPatch.data === "string" && cmpPatch.data.startsWith("From "), "repos.compareCommitsWithBasehead .patch");

  // ---- 5. search ----
  await alice.rest.issues.addLabels({ ...O, issue_number: pn, labels: ["land"] });
  const s1 = await alice.rest.search.issuesAndPullRequests({ q: "repo:acme/mono is:pr is:open label:land author:alice" });
  check(s1.data.total_count === 1 && s1.data.items[0].number === pn && s1.data.items[0].pull_request,
        "search: repo: is:pr is:open label: author:");
  const s2 = await alice.rest.search.issuesAndPullRequests({ q: "repo:acme/mono is:issue is:open" });
  check(s2.data.items.every((i) => !i.pull_request) && s2.data.items.some((i) => i.number === is1.data.number),
        "search: is:issue");
  const s3 = await alice.rest.search.issuesAndPullRequests({ q: "repo:acme/mono is:pr is:merged" });
  check(s3.data.items.length >= 2 && s3.data.items.every((i) => i.pull_request?.merged_at), "search: is:merged");
  const s4 = await erin.rest.search.issuesAndPullRequests({ q: "is:pr" });
  check(s4.data.total_count === 0, "search never shows what the caller cannot see");
  check(await status(alice.rest.search.issuesAndPullRequests({ q: "repo:acme/mono milestone:v1" })) === 422,
        "search: a qualifier mockhub does not know -> 422 (never a wider search)");

  // ---- 6. author_association ----
  const assoc = async (cl, owner, repo, num) =>
    (await cl.rest.issues.createComment({ owner, repo, issue_number: num, body: "hi" })).data.author_association;
  check(await assoc(alice, "acme", "mono", pn) === "MEMBER", "author_association: org member (also a collaborator) -> MEMBER");
  check(await assoc(carol, "acme", "mono", pn) === "COLLABORATOR", "author_association: outside collaborator -> COLLABORATOR");
  check(await assoc(dave, "acme", "mono", pn) === "MEMBER", "author_association: org member without a role -> MEMBER");
  const oi = await ozzy.rest.issues.create({ owner: "ozzy", repo: "tool", title: "mine" });
  check(oi.data.author_association === "OWNER", "author_association: repository owner -> OWNER");
  const ei = await erin.rest.issues.create({ ...PUB, title: "hello" });
  check(ei.data.author_association === "NONE", "author_association: stranger -> NONE");

  // ---- 7. git database and list commits (a commit authored by erin lands on acme/pub) ----
  const pubMain = (await bob.rest.git.getRef({ ...PUB, ref: "heads/main" })).data.object.sha;
  const blob = await bob.rest.git.createBlob({ ...PUB, content: b64("int a = 1;\n"), encoding: "base64" });
  check(blob.status === 201 && /^[0-9a-f]{40}$/.test(blob.data.sha), "git.createBlob");
  const baseTree = await bob.rest.git.getTree({ ...PUB, tree_sha: pubMain, recursive: "1" });
  check(baseTree.data.tree.some((e) => e.path === "src/a.c" && e.type === "blob") &&
        baseTree.data.tree.some((e) => e.path === "src" && e.type === "tree"), "git.getTree recursive");
  const tree = await bob.rest.git.createTree({ ...PUB, base_tree: baseTree.data.sha, tree: [
    { path: "src/a.c", mode: "100644", type: "blob", sha: blob.data.sha },
    { path: "src/deep/new.txt", mode: "100644", type: "blob", content: "new\n" },
    { path: "README.md", mode: "100644", type: "blob", sha: null }] });
  check(tree.status === 201 && !tree.data.tree.some((e) => e.path === "README.md") &&
        tree.data.tree.some((e) => e.path === "src" && e.type === "tree"), "git.createTree (base_tree, nested path, deletion)");
  const when = "2024-05-01T12:00:00Z";
  const commit = await bob.rest.git.createCommit({ ...PUB, message: "Erin's fix", tree: tree.data.sha, parents: [pubMain],
                                                   author: { name: "Erin", email: "erin@example.com", date: when } });
  check(commit.status === 201 && commit.data.author.date === when && commit.data.parents[0].sha === pubMain &&
        commit.data.tree.sha === tree.data.sha, "git.createCommit (author and date as given)");
  check((await bob.rest.git.getCommit({ ...PUB, commit_sha: commit.data.sha })).data.message === "Erin's fix", "git.getCommit");
  await bob.rest.git.updateRef({ ...PUB, ref: "heads/main", sha: commit.data.sha });
  const nf = await bob.rest.repos.getContent({ ...PUB, path: "src/deep/new.txt" });
  check(Buffer.from(nf.data.content, "base64").toString() === "new\n", "the created commit is the branch's content");
  const byPath = await bob.rest.repos.listCommits({ ...PUB, path: "src/deep/new.txt" });
  check(byPath.data.length === 1 && byPath.data[0].sha === commit.data.sha, "repos.listCommits path=");
  check((await bob.rest.repos.listCommits({ ...PUB, path: "src" })).data.length === 2, "repos.listCommits path= (a directory)");
  check((await bob.rest.repos.listCommits({ ...PUB, author: "erin" })).data.map((c) => c.sha).join() === commit.data.sha,
        "repos.listCommits author=");
  check((await bob.rest.repos.listCommits({ ...PUB, sha: pubMain })).data.length === 1, "repos.listCommits sha=");
  check((await bob.rest.repos.listCommits({ ...PUB, until: "2024-06-01T00:00:00Z" })).data.map((c) => c.sha).join() === commit.data.sha,
        "repos.listCommits until=");
  check((await bob.rest.repos.listCommits({ ...PUB, since: "2024-06-01T00:00:00Z" })).data.length === 1, "repos.listCommits since=");
  const ec = await erin.rest.issues.createComment({ ...PUB, issue_number: ei.data.number, body: "now a contributor" });
  check(ec.data.author_association === "CONTRIBUTOR", "author_association: commit author on the default branch -> CONTRIBUTOR");

  // ---- 8. request recording with bodies ----
  const seq0 = (await control("GET", "/state")).requests;
  await lander_comment();
  async function lander_comment() {
    await t.lander.rest.issues.createComment({ ...O, issue_number: pn, body: "Queued: position 1 of 1" });
    await t.lander.rest.issues.listComments({ ...O, issue_number: pn, per_page: 100 });
  }
  const posted = await control("GET", `/requests?since=${seq0}&route=issues/create-comment`);
  check(posted.length === 1 && posted[0].body?.body === "Queued: position 1 of 1" && posted[0].user === "lander" &&
        posted[0].headers?.authorization === "token [redacted]" && posted[0].method === "POST",
        "/_mockhub/requests records the body and redacts the token (route and since filters)");
  const listed = await control("GET", `/requests?since=${seq0}&route=issues/list-*`);
  check(listed.length === 1 && /(^|&)per_page=100(&|$)/.test(listed[0].query), "/_mockhub/requests records the query string");
  const everything = JSON.stringify(await control("GET", "/requests"));
  check(!/tok-(alice|bob|carol|lander|dave|erin|ozzy|trina)/.test(everything), "no token appears in the request log");
  const brief = await control("GET", `/requests?since=${seq0}&brief=1`);
  check(brief.length >= 2 && brief.every((r) => !("body" in r) && !("headers" in r)), "/_mockhub/requests?brief=1");

  // ---- 9. webhooks/send: an arbitrary payload, signed, through the configured hooks ----
  const example = require("@octokit/webhooks-examples").find((x) => x.name === "issues").examples.find((x) => x.action === "opened");
  const payload = { ...example, repository: { ...example.repository, full_name: "acme/mono" } };
  const sent = await control("POST", "/webhooks/send", { event: "issues", payload });
  await drain();
  const got = received.find((r) => r.id === sent.guid);
  check(sent.deliveries === 1 && got && got.ok && got.name === "issues" && got.payload.issue.id === example.issue.id,
        "POST /_mockhub/webhooks/send signs and delivers an arbitrary payload");
  check((await control("POST", "/webhooks/send", { event: "x", payload: {}, repo: "no/such" })).message?.includes("no repository"),
        "webhooks/send to an unknown repository -> 422");
  check((await control("GET", "/v1/version")).control_api === 1, "GET /_mockhub/v1/version (the control API is versioned)");

  // ---- 10. error answers of every kind, each checked against its operation's declared schema ----
  const raw = (cl, route, params) => cl.request(route, { ...O, ...params });
  const errCases = [
    ["pulls.create bad head", () => alice.rest.pulls.create({ ...O, title: "x", head: "nope", base: "main" }), 422],
    ["pulls.update bad state", () => alice.rest.pulls.update({ ...O, pull_number: pn, state: "merged" }), 422],
    ["pulls.merge already merged", () => t.lander.rest.pulls.merge({ ...O, pull_number: n }), 405],
    ["pulls.updateBranch closed", () => t.lander.rest.pulls.updateBranch({ ...O, pull_number: n }), 422],
    ["pulls.dismissReview without message", () => raw(bob, "PUT /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/dismissals",
                                                       { pull_number: pn, review_id: rv.data.id }), 422],
    ["pulls.createReview self approval", () => alice.rest.pulls.createReview({ ...O, pull_number: pn, event: "APPROVE" }), 422],
    ["pulls.getReview unknown", () => alice.rest.pulls.getReview({ ...O, pull_number: pn, review_id: 1 }), 404],
    ["pulls.requestReviewers nobody", () => raw(alice, "POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers", { pull_number: pn }), 422],
    ["issues.create without title", () => raw(alice, "POST /repos/{owner}/{repo}/issues", {}), 422],
    ["issues.update bad state", () => carol.rest.issues.update({ ...O, issue_number: is2.data.number, state: "gone" }), 422],
    ["issues.createLabel bad color", () => bob.rest.issues.createLabel({ ...O, name: "c", color: "zzzzzz" }), 422],
    ["issues.createLabel exists", () => bob.rest.issues.createLabel({ ...O, name: "land" }), 422],
    ["issues.addLabels none", () => alice.rest.issues.addLabels({ ...O, issue_number: pn, labels: [] }), 422],
    ["issues.removeLabel absent", () => alice.rest.issues.removeLabel({ ...O, issue_number: pn, name: "absent" }), 404],
    ["issues.createComment without body", () => raw(alice, "POST /repos/{owner}/{repo}/issues/{issue_number}/comments", { issue_number: pn }), 422],
    ["issues.get unknown", () => alice.rest.issues.get({ ...O, issue_number: 9999 }), 404],
    ["issues.listForRepo bad state", () => alice.rest.issues.listForRepo({ ...O, state: "x" }), 422],
    ["git.createRef exists", () => alice.rest.git.createRef({ ...O, ref: "refs/heads/rc", sha: tip }), 422],
    ["git.updateRef missing", () => alice.rest.git.updateRef({ ...O, ref: "heads/missing", sha: tip }), 422],
    ["git.getRef missing", () => alice.rest.git.getRef({ ...O, ref: "heads/missing" }), 404],
    ["git.createTree bad mode", () => bob.rest.git.createTree({ ...PUB, tree: [{ path: "x", mode: "040000", type: "blob", content: "x" }] }), 422],
    ["git.createBlob bad encoding", () => bob.rest.git.createBlob({ ...PUB, content: "x", encoding: "latin1" }), 422],
    ["git.createCommit bad tree", () => bob.rest.git.createCommit({ ...PUB, message: "m", tree: "0".repeat(40) }), 422],
    ["git.getCommit unknown", () => bob.rest.git.getCommit({ ...PUB, commit_sha: "0".repeat(40) }), 404],
    ["git.getTree unknown", () => bob.rest.git.getTree({ ...PUB, tree_sha: "0".repeat(40) }), 404],
    ["repos.createOrUpdateFileContents stale sha", () => alice.rest.repos.createOrUpdateFileContents({ ...O, path: "docs/a.md",
      message: "m", content: b64("z"), branch: "rc", sha: "0".repeat(40) }), 409],
    ["repos.deleteFile missing", () => alice.rest.repos.deleteFile({ ...O, path: "nope", message: "m", sha: "0".repeat(40), branch: "rc" }), 404],
    ["repos.getContent missing", () => alice.rest.repos.getContent({ ...O, path: "nope" }), 404],
    ["repos.getCommit unknown", () => alice.rest.repos.getCommit({ ...O, ref: "f".repeat(40) }), 422],
    ["repos.listCommits unknown sha", () => alice.rest.repos.listCommits({ ...O, sha: "f".repeat(40) }), 404],
    ["repos.createCommitStatus bad state", () => t.lander.rest.repos.createCommitStatus({ ...O, sha: head, state: "green" }), 422],
    ["checks.create bad status", () => t.lander.rest.checks.create({ ...O, name: "c", head_sha: head, status: "done" }), 422],
    ["repos.createWebhook no url", () => bob.rest.repos.createWebhook({ ...O, config: {} }), 422],
    ["repos.update bad type", () => bob.rest.repos.update({ ...O, allow_squash_merge: "yes" }), 422],
    ["repos.get unknown", () => alice.rest.repos.get({ owner: "acme", repo: "nope" }), 404],
    ["repos.getBranch unknown", () => alice.rest.repos.getBranch({ ...O, branch: "nope" }), 404],
    ["repos.getBranchProtection by a writer", () => alice.rest.repos.getBranchProtection({ ...O, branch: "release" }), 403],
    ["repos.listForOrg bad type", () => alice.rest.repos.listForOrg({ org: "acme", type: "weird" }), 422],
    ["search bad qualifier", () => alice.rest.search.issuesAndPullRequests({ q: "is:draft-ish" }), 422],
    ["users.getByUsername unknown", () => alice.rest.users.getByUsername({ username: "nobody" }), 404],
    ["apps.createInstallationAccessToken by a user", () => alice.rest.apps.createInstallationAccessToken({ installation_id: 7001 }), 401],
    ["teams.getMembershipForUserInOrg none", () => alice.rest.teams.getMembershipForUserInOrg({ org: "acme", team_slug: "infra", username: "carol" }), 404],
  ];
  for (const [name, call, want] of errCases) {
    const e = await err(call());
    check(e?.status === want, `error answer: ${name} -> ${want}`, `${e?.status} ${JSON.stringify(e?.response?.data)}`);
  }

  // ---- 11. frozen clock: the same world started twice gives the same SHAs and timestamps ----
  const frozenWorld = { clock: { freeze: "2024-01-01T00:00:00Z" },
    users: [{ login: "fa", token: "tok-fa", email: "fa@x.test", name: "Fa" }, { login: "fb", token: "tok-fb" }],
    repos: [{ full_name: "fa/r", collaborators: { fb: "write" }, files: { "a.txt": "a\n" },
              pulls: [{ user: "fb", head: "f", files: { "b.txt": "b\n" } }] }] };
  const fr = { owner: "fa", repo: "r" };
  const snapshot = async (base) => {
    const c = client("tok-fa", base);
    const b = await c.rest.repos.getBranch({ ...fr, branch: "main" });
    const p = await c.rest.pulls.get({ ...fr, pull_number: 1 });
    await control("POST", "/clock", { advance_seconds: 3600 }, base);
    const put = await c.rest.repos.createOrUpdateFileContents({ ...fr, path: "c.txt", message: "c", content: b64("c\n") });
    const ic = await c.rest.issues.createComment({ ...fr, issue_number: 1, body: "hi" });
    return { main: b.data.commit.sha, head: p.data.head.sha, created: p.data.created_at, date: b.data.commit.commit.author.date,
             put: put.data.commit.sha, putDate: put.data.commit.author.date, comment: ic.data.created_at };
  };
  const d1 = await startMockhub("frozen1", frozenWorld), d2 = await startMockhub("frozen2", frozenWorld);
  const a1 = await snapshot(d1.base), a2 = await snapshot(d2.base);
  check(JSON.stringify(a1) === JSON.stringify(a2), "frozen clock: two starts of one world give the same SHAs and timestamps",
        `${JSON.stringify(a1)} vs ${JSON.stringify(a2)}`);
  check(a1.created === "2024-01-01T00:00:00Z" && a1.date === "2024-01-01T00:00:00Z" && a1.putDate === "2024-01-01T01:00:00Z" &&
        a1.comment === "2024-01-01T01:00:00Z", "frozen clock: timestamps and commit dates follow the clock (advance_seconds)");
  const ck = await control("POST", "/clock", { freeze: "2030-06-01T00:00:00Z" }, d1.base);
  check(ck.frozen === true && ck.now === "2030-06-01T00:00:00Z", "POST /_mockhub/clock {freeze}");
  check((await fetch(d1.base + "/_mockhub/clock", { method: "POST", body: '{"freeze": "yesterday"}' })).status === 422,
        "POST /_mockhub/clock with a bad time -> 422");

  // ---- 12. reset: the world reloaded in the same process ----
  const fa = client("tok-fa", d1.base);
  await fa.rest.issues.create({ ...fr, title: "gone after reset" });
  const rs = await control("POST", "/reset", null, d1.base);
  check(rs.reset === true, "POST /_mockhub/reset");
  const after = await snapshot(d1.base);
  check(JSON.stringify(after) === JSON.stringify(a1), "after reset: same SHAs, clock and numbering as a fresh start");
  check((await control("GET", "/requests", null, d1.base)).length === 4, "after reset: the request log starts again");
  const other = await control("POST", "/reset", { world: { users: [{ login: "zz", token: "tok-zz" }], repos: [{ full_name: "zz/new" }] } }, d1.base);
  check(other.reset === true && (await client("tok-zz", d1.base).rest.repos.get({ owner: "zz", repo: "new" })).status === 200,
        "POST /_mockhub/reset {world}: another world in the same process");
  check(await status(fa.rest.repos.get(fr)) === 401, "after reset with another world the old tokens are gone");
  const bad = await fetch(d1.base + "/_mockhub/reset", { method: "POST", body: JSON.stringify({ world: { users: [{ login: "x", tokn: 1 }] } }) });
  check(bad.status === 422 && /unknown key "tokn"/.test((await bad.json()).message), "reset with an invalid world -> 422 with the reason");
  check(await d1.stop() === 0 && await d2.stop() === 0, "frozen-clock mockhubs exit cleanly");
  void world;
}
