// The bot under test: triages a pull request. It labels pull requests that touch docs/ with
// "docs" and thanks the author once (it never comments twice on the same pull request).
export async function triage(octokit, { owner, repo, pull_number }) {
  const files = await octokit.paginate(octokit.rest.pulls.listFiles,
                                       { owner, repo, pull_number, per_page: 100 });
  const labels = files.some((f) => f.filename.startsWith("docs/")) ? ["docs"] : [];
  if (labels.length)
    await octokit.rest.issues.addLabels({ owner, repo, issue_number: pull_number, labels });
  const { data: me } = await octokit.rest.users.getAuthenticated();
  const comments = await octokit.paginate(octokit.rest.issues.listComments,
                                          { owner, repo, issue_number: pull_number, per_page: 100 });
  if (comments.some((c) => c.user.login === me.login))
    return { labels, commented: false };
  const { data: pr } = await octokit.rest.pulls.get({ owner, repo, pull_number });
  await octokit.rest.issues.createComment({
    owner, repo, issue_number: pull_number,
    body: `Thanks @${pr.user.login}! ${files.length} file(s) changed` +
          (labels.length ? `; labelled ${labels.join(", ")}.` : "."),
  });
  return { labels, commented: true };
}

// The latest release's tag, or null when the repository has none (GitHub: 404).
export async function latestRelease(octokit, { owner, repo }) {
  try {
    return (await octokit.rest.repos.getLatestRelease({ owner, repo })).data.tag_name;
  } catch (e) {
    if (e.status === 404) return null;
    throw e;
  }
}
