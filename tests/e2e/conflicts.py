#!/usr/bin/env python3
"""End-to-end tests of landq's merge-conflict feedback (issue 6) against mockhub.

usage: conflicts.py --mockhub BIN --landq BIN [--world FILE] [--keep] CASE...
       conflicts.py --list

Same harness as e2e.py (fresh mockhub + landq per case, everything through the REST API). Each
case opens its own pull requests (branch from main, contents API commits, POST /pulls), lands
one, and checks what landq told the author of the other: the sticky comment (which files, what
kind of conflict, which pull request on main caused it, the commands to fix it), the `landq`
status, the label removed; then, where the case says so, that a fix plus the label lands it.
landq reads the conflicts from its own git mirror, fetched from mockhub's git smart HTTP.
"""
import base64, os, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402  (the shared harness)
from e2e import REPO, check  # noqa: E402

def main_sha(e):
    return e.get('/repos/%s/git/ref/heads/main' % REPO)['object']['sha']

def commit_file(e, branch, path, content, user='alice'):
    """Writes (content) or deletes (None) one file on branch; returns the new commit SHA."""
    cur = e.call('GET', '/repos/%s/contents/%s?ref=%s' % (REPO, path, branch), user)
    if content is None:
        check(cur[0] == 200, 'deleting %s: it does not exist on %s' % (path, branch))
        st, j = e.call('DELETE', '/repos/%s/contents/%s' % (REPO, path), user,
                       {'message': 'Delete %s' % path, 'branch': branch, 'sha': cur[1]['sha']})
    else:
        body = {'message': 'Update %s' % path, 'branch': branch,
                'content': base64.b64encode(content.encode()).decode()}
        if cur[0] == 200:
            body['sha'] = cur[1]['sha']
        st, j = e.call('PUT', '/repos/%s/contents/%s' % (REPO, path), user, body)
    check(st in (200, 201), 'commit to %s (%s): %s %s' % (branch, path, st, j))
    return j['commit']['sha']

def open_pr(e, branch, changes, title):
    """A branch from main with one commit per change (path -> content, None deletes), and its
    pull request. Returns the number."""
    st, j = e.call('POST', '/repos/%s/git/refs' % REPO, 'alice',
                   {'ref': 'refs/heads/' + branch, 'sha': main_sha(e)})
    check(st == 201, 'creating %s: %s %s' % (branch, st, j))
    for path, content in changes:
        commit_file(e, branch, path, content)
    st, j = e.call('POST', '/repos/%s/pulls' % REPO, 'alice',
                   {'title': title, 'head': branch, 'base': 'main', 'body': 'Change.'})
    check(st == 201, 'opening the pull request for %s: %s %s' % (branch, st, j))
    return j['number']

def land(e, n):
    e.approve(n, 'bob')
    e.label(n, 'alice')
    e.wait('#%d merged' % n, lambda: e.merged(n))

def conflict_comment(e, n):
    """Waits until landq has removed the label of #n and written its conflict report."""
    e.wait('label removed from #%d' % n, lambda: 'land' not in e.labels(n))
    return e.wait('conflict comment on #%d' % n, lambda: [
        c['body'] for c in e.landq_comments(n) if '**landq: merge conflict**' in c['body']])[0]

def conflict_status(e, sha):
    return e.wait('failure status on %s' % sha[:12], lambda: e.landq_status(sha)[0] == 'failure'
                  and e.landq_status(sha))[1]

def has(body, *parts):
    for p in parts:
        check(p in body, 'comment lacks %r:\n%s' % (p, body))

# --------------------------------------------------------------------------- cases

def case_one_file(e):
    """One conflicting file: the report names it, the PR that landed it, and the fix."""
    a = open_pr(e, 'conf-a', [('app/a.txt', 'alpha from A\n')], 'Reword a.txt')
    b = open_pr(e, 'conf-b', [('app/a.txt', 'alpha from B\n')], 'Another a.txt')
    land(e, a)
    landed_sha = e.pr(a)['merge_commit_sha']
    head_b = e.pr(b)['head']['sha']
    e.approve(b, 'bob')
    e.label(b, 'alice')
    body = conflict_comment(e, b)
    has(body, 'with `main`', 'head commit `%s`' % head_b[:12], '1 file conflicts',
        'I removed the `land` label', '- `app/a.txt` — **content**: both sides changed the same',
        '`%s` `Reword a.txt` (#%d)' % (landed_sha[:12], a),
        'Pull requests on the base that touched these files: #%d.' % a,
        'git fetch origin && git checkout conf-b && git rebase origin/main',
        'git push --force-with-lease origin conf-b', 'git merge origin/main',
        'add the `land` label again')
    st = conflict_status(e, head_b)
    check(st == 'merge conflict with main: app/a.txt (content)', 'status: %r' % st)
    check(not e.merged(b), '#%d must not be merged' % b)
    check(len(e.landq_comments(b)) == 1, 'one sticky comment, edited in place')

def case_several_files(e):
    """Several files, including one both sides added: each listed with its kind."""
    a = open_pr(e, 'multi-a', [('app/a.txt', 'a by A\n'), ('app/b.txt', 'b by A\n'),
                               ('app/new.txt', 'new by A\n')], 'Rework app (A)')
    b = open_pr(e, 'multi-b', [('app/a.txt', 'a by B\n'), ('app/b.txt', 'b by B\n'),
                               ('app/new.txt', 'new by B\n')], 'Rework app (B)')
    land(e, a)
    e.approve(b, 'bob')
    e.label(b, 'alice')
    body = conflict_comment(e, b)
    has(body, '3 files conflict', '- `app/a.txt` — **content**', '- `app/b.txt` — **content**',
        '- `app/new.txt` — **add/add**: both sides added this file', '#%d' % a)
    check(body.index('app/a.txt') < body.index('app/b.txt') < body.index('app/new.txt'),
          'files sorted by path')
    st = conflict_status(e, e.pr(b)['head']['sha'])
    check(st == 'merge conflict with main: app/a.txt (content) and 2 more files', 'status: %r' % st)

def case_modify_delete(e):
    """Deleted on main, modified by the pull request: modify/delete, with who deleted it."""
    a = open_pr(e, 'del-a', [('app/b.txt', None)], 'Drop b.txt')
    b = open_pr(e, 'mod-b', [('app/b.txt', 'b, improved\n')], 'Improve b.txt')
    land(e, a)
    e.approve(b, 'bob')
    e.label(b, 'alice')
    body = conflict_comment(e, b)
    has(body, '- `app/b.txt` — **modify/delete**: deleted on the base branch, modified by this '
        'pull request', '`Drop b.txt` (#%d)' % a)
    st = conflict_status(e, e.pr(b)['head']['sha'])
    check(st == 'merge conflict with main: app/b.txt (modify/delete)', 'status: %r' % st)

def case_early_warning(e):
    """A queued pull request that the landing of another makes conflict is told at once."""
    a = open_pr(e, 'early-a', [('app/a.txt', 'first\n')], 'Lands first')
    b = open_pr(e, 'early-b', [('app/a.txt', 'second\n')], 'Waits for review')
    e.label(b, 'alice')  # queued, but not approved yet: it waits
    e.wait('#%d waiting' % b, lambda: e.landq_status(e.pr(b)['head']['sha'])[0] == 'pending')
    t0 = time.time()
    land(e, a)
    body = conflict_comment(e, b)
    has(body, 'caused by #%d which just landed' % a, '- `app/a.txt` — **content**')
    check(time.time() - t0 < e2e.TIMEOUT, 'warned while #%d was still waiting' % b)
    check(not e.merged(b), '#%d must not be merged' % b)
    check(conflict_status(e, e.pr(b)['head']['sha']).startswith('merge conflict with main'),
          'status says why')

def case_fix_and_relabel(e):
    """After the report, the author resolves, pushes and relabels: back in the queue, lands."""
    a = open_pr(e, 'fix-a', [('app/a.txt', 'from A\n')], 'Change a (A)')
    b = open_pr(e, 'fix-b', [('app/a.txt', 'from B\n')], 'Change a (B)')
    land(e, a)
    e.approve(b, 'bob')
    e.label(b, 'alice')
    conflict_comment(e, b)
    # The resolution: keep main's a.txt, put B's change in a new file.
    commit_file(e, 'fix-b', 'app/a.txt', 'from A\n')
    head = commit_file(e, 'fix-b', 'app/c.txt', 'from B\n')
    e.wait('new head seen', lambda: e.pr(b)['head']['sha'] == head)
    e.approve(b, 'bob', head)
    e.label(b, 'alice')
    e.wait('#%d merged after the fix' % b, lambda: e.merged(b))
    e.wait('landed comment', lambda: [c for c in e.landq_comments(b)
                                      if '**landq: landed**' in c['body']])
    check(e.landq_status(head)[0] == 'success', 'success status on the fixed head')

CASES = {n[5:].replace('_', '-'): f for n, f in sorted(globals().items()) if n.startswith('case_')}

if __name__ == '__main__':
    e2e.CASES = CASES  # e2e.main() runs these cases with the shared harness
    sys.exit(e2e.main())
