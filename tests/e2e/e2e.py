#!/usr/bin/env python3
"""End-to-end tests of `landq serve` against mockhub, over loopback.

usage: e2e.py --mockhub BIN --landq BIN [--world FILE] [--keep] CASE...
       e2e.py --list

Each case starts a fresh mockhub (world file, port 0, port file) and a fresh landq (port 0, port
file, its own SQLite file) with --github-api pointing at mockhub, creates the repository webhook
through mockhub's REST API once both are up, drives GitHub like people would (reviews, labels,
pushes, statuses, each with that user's token) and checks what landq did through the REST API:
merges, the exact commit message, the `landq` commit status, the single comment. landq must exit 0
on SIGTERM at the end of every case. Exit status 0 = all cases passed; 77 = skipped.
Set LANDQ_E2E_WRAP (e.g. "valgrind --error-exitcode=3 -q") to run landq under a wrapper.
"""
import argparse, base64, json, os, shutil, signal, subprocess, sys, tempfile, time, traceback
import urllib.error, urllib.parse, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = 'acme/mono'
SECRET = 'e2e-webhook-secret'
TIMEOUT = float(os.environ.get('LANDQ_E2E_TIMEOUT', '30'))

class Fail(Exception):
    pass

def check(cond, msg):
    if not cond:
        raise Fail(msg)

class Env:
    def __init__(self, args, name):
        self.args = args
        self.name = name
        self.dir = tempfile.mkdtemp(prefix='landq-e2e-%s-' % name)
        self.mh = self.lq = None
        try:
            self.start()
        except BaseException:
            for p in (self.lq, self.mh):  # never leave a server behind
                if p is not None and p.poll() is None:
                    p.kill()
                    p.wait()
            raise

    def start(self):
        args = self.args
        mh_port = os.path.join(self.dir, 'mockhub.port')
        self.mh_log = open(os.path.join(self.dir, 'mockhub.log'), 'w')
        self.mh = subprocess.Popen([args.mockhub, 'serve', '--world', args.world, '--listen',
                                    '127.0.0.1:0', '--port-file', mh_port, '--state-dir',
                                    os.path.join(self.dir, 'state')],
                                   stdout=self.mh_log, stderr=subprocess.STDOUT)
        self.api = 'http://127.0.0.1:%d' % self.wait_port(mh_port, self.mh, 'mockhub')
        lq_port = os.path.join(self.dir, 'landq.port')
        self.lq_log_path = os.path.join(self.dir, 'landq.log')
        self.lq_log = open(self.lq_log_path, 'w')
        env = dict(os.environ, LANDQ_GITHUB_TOKEN='tok-landq', LANDQ_WEBHOOK_SECRET=SECRET)
        wrap = os.environ.get('LANDQ_E2E_WRAP', '').split()
        self.lq = subprocess.Popen(wrap + [args.landq, 'serve', '--github-api', self.api,
                                   '--listen', '127.0.0.1:0', '--port-file', lq_port,
                                   '--ops-listen', '127.0.0.1:0',
                                   '--repo', REPO, '--db', os.path.join(self.dir, 'landq.db')],
                                   env=env, stdout=self.lq_log, stderr=subprocess.STDOUT)
        self.lq_port = self.wait_port(lq_port, self.lq, 'landq')
        st, hook = self.call('POST', '/repos/%s/hooks' % REPO, 'bob', {
            'name': 'web', 'active': True,
            'events': ['pull_request', 'pull_request_review', 'status', 'check_run', 'check_suite'],
            'config': {'url': 'http://127.0.0.1:%d/webhook' % self.lq_port,
                       'content_type': 'json', 'secret': SECRET}})
        check(st == 201, 'creating the webhook: %s %s' % (st, hook))

    def wait_port(self, path, proc, what):
        # until it listens or exits: a loaded machine starts a sanitized or Valgrind build slowly
        # (meson's timeout bounds the test), so no deadline of ours; 10 min in a manual run
        end = time.time() + 600
        while time.time() < end:
            if proc.poll() is not None:
                raise Fail('%s exited with %s before listening' % (what, proc.returncode))
            try:
                with open(path) as f:
                    s = f.read().strip()
                if s:
                    return int(s)
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
        raise Fail('%s did not write its port file' % what)

    def call(self, method, path, user=None, body=None, raw=False):
        url = path if path.startswith('http') else self.api + path
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header('Accept', 'application/vnd.github+json')
        req.add_header('User-Agent', 'landq-e2e')
        if user:
            req.add_header('Authorization', 'token tok-%s' % ('landq' if user == 'landq-bot' else
                                                              'ci' if user == 'ci-bot' else user))
        if data is not None:
            req.add_header('Content-Type', 'application/json')
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                text = r.read()
                return r.status, (json.loads(text) if text else None)
        except urllib.error.HTTPError as e:
            text = e.read()
            try:
                return e.code, json.loads(text)
            except ValueError:
                return e.code, text

    def get(self, path, user='bob'):
        st, j = self.call('GET', path, user)
        check(st == 200, 'GET %s: %s %s' % (path, st, j))
        return j

    # ---- GitHub actions, as people do them ----
    def pr(self, n):
        return self.get('/repos/%s/pulls/%d' % (REPO, n))

    def approve(self, n, user, sha=None):
        body = {'event': 'APPROVE', 'body': 'LGTM'}
        if sha:
            body['commit_id'] = sha
        st, j = self.call('POST', '/repos/%s/pulls/%d/reviews' % (REPO, n), user, body)
        check(st == 200, '%s approving #%d: %s %s' % (user, n, st, j))

    def label(self, n, user):
        st, j = self.call('POST', '/repos/%s/issues/%d/labels' % (REPO, n), user,
                          {'labels': ['land']})
        check(st == 200, '%s labeling #%d: %s %s' % (user, n, st, j))

    def status(self, sha, context, state, user='ci-bot', description=''):
        st, j = self.call('POST', '/repos/%s/statuses/%s' % (REPO, sha), user,
                          {'state': state, 'context': context, 'description': description})
        check(st == 201, 'status %s=%s: %s %s' % (context, state, st, j))

    def push(self, branch, path, content, user='alice'):
        cur = self.call('GET', '/repos/%s/contents/%s?ref=%s' % (REPO, path, branch), user)
        body = {'message': 'Update %s' % path, 'branch': branch,
                'content': base64.b64encode(content.encode()).decode()}
        if cur[0] == 200:
            body['sha'] = cur[1]['sha']
        st, j = self.call('PUT', '/repos/%s/contents/%s' % (REPO, path), user, body)
        check(st in (200, 201), 'push to %s: %s %s' % (branch, st, j))
        return j['commit']['sha']

    # ---- what landq did ----
    def landq_statuses(self, sha):
        j = self.get('/repos/%s/commits/%s/status' % (REPO, sha))
        return [s for s in j.get('statuses', []) if s.get('context') == 'landq']

    def landq_status(self, sha):
        s = self.landq_statuses(sha)
        return (s[0]['state'], s[0]['description']) if s else (None, None)

    def landq_landed(self, sha):
        """landq's status on sha says landed (its success "landing on BASE now", set right
        before the merge request, is not that yet)."""
        st = self.landq_status(sha)
        return st if st[0] == 'success' and (st[1] or '').startswith('landed as ') else None

    def landq_comments(self, n):
        cs = self.get('/repos/%s/issues/%d/comments?per_page=100' % (REPO, n))
        return [c for c in cs if '<!-- landq:status -->' in (c.get('body') or '')]

    def labels(self, n):
        return [l['name'] for l in self.get('/repos/%s/issues/%d/labels' % (REPO, n))]

    def idle(self):
        self.call('GET', '/_mockhub/webhooks/wait?timeout_ms=10000')

    def wait(self, what, fn, timeout=TIMEOUT):
        end = time.time() + timeout
        last = None
        while time.time() < end:
            if self.lq.poll() is not None:
                raise Fail('landq exited (%s) while waiting for %s' % (self.lq.returncode, what))
            try:
                last = fn()
                if last:
                    return last
            except Fail as e:
                last = str(e)
            time.sleep(0.2)
        raise Fail('timed out after %ss waiting for %s (last: %r)' % (timeout, what, last))

    def settle(self, seconds=2.0):
        """Let webhooks drain and landq work; used before asserting that nothing happened."""
        self.idle()
        time.sleep(seconds)
        check(self.lq.poll() is None, 'landq exited (%s)' % self.lq.returncode)

    def merged(self, n):
        return self.pr(n).get('merged') is True

    def main_commit(self):
        return self.get('/repos/%s/commits/main' % REPO)

    def stop(self, ok):
        rc = None
        if self.lq.poll() is None:
            self.lq.send_signal(signal.SIGTERM)
            try:
                rc = self.lq.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.lq.kill()
                rc = 'hung'
        else:
            rc = self.lq.returncode
        self.mh.terminate()
        try:
            self.mh.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.mh.kill()
        self.lq_log.close()
        self.mh_log.close()
        if ok and rc != 0:
            ok = False
            print('  landq exited with %s after SIGTERM (expected 0)' % rc)
        if not ok:
            for name in ('landq.log', 'mockhub.log'):
                p = os.path.join(self.dir, name)
                if os.path.exists(p):
                    print('  ---- tail of %s' % name)
                    with open(p, errors='replace') as f:
                        for line in f.readlines()[-60:]:
                            print('  | ' + line.rstrip())
        if ok and not self.args.keep:
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            print('  files kept in %s' % self.dir)
        return ok

# --------------------------------------------------------------------------- cases
# PRs of tests/e2e/world.json: 1 README (owner @bob), 2 infra/main.tf (@acme/infra = ivan),
# 3 changes CODEOWNERS to "* @alice" plus infra/main.tf, 4 docs (docs-lead@acme.test = dora),
# 5 app/a.txt (@bob) and 6 app/b.txt (@rita @bob; rita has triage only), 7 README (@bob; CI-gated cases), 8 150 files under app/
# (@bob) plus infra/zz.tf (@acme/infra), so the owned file is on the second page of the files API.

def case_happy(e):
    """Approved by the owner, labeled by a writer: lands with the exact squash message."""
    head = e.pr(1)['head']['sha']
    e.approve(1, 'bob')
    e.label(1, 'alice')
    e.wait('#1 merged', lambda: e.merged(1))
    c = e.main_commit()
    want = ('Improve the README\n\nExplains what the monorepo is.\n\nCloses #7.\n\n'
            'Approved-by: bob')
    check(c['commit']['message'] == want, 'commit message on main:\n%r\nwanted:\n%r' %
          (c['commit']['message'], want))
    check(len(c['parents']) == 1, 'squash commit must have one parent')
    st = e.wait('success status', lambda: e.landq_landed(head))
    check(st[1].startswith('landed as ') and st[1].endswith(' on main'), 'status: %r' % (st,))
    check(c['sha'][:12] in st[1], 'status names the landed commit: %r vs %s' % (st, c['sha']))
    cs = e.wait('landed comment', lambda: [x for x in e.landq_comments(1) if 'landed' in x['body']])
    check(len(e.landq_comments(1)) == 1, 'exactly one landq comment')
    check('Approved-by: bob' in cs[0]['body'], 'comment shows the message')

def case_missing_owner(e):
    """An approval from a non-owner does not count; the status names path and team; then lands."""
    head = e.pr(2)['head']['sha']
    e.approve(2, 'bob')      # owns '*', but /infra/ is owned by @acme/infra (last match wins)
    e.label(2, 'alice')
    want = 'waiting for owner approval: infra/main.tf needs one of @acme/infra'
    e.wait('pending status', lambda: e.landq_status(head) == ('pending', want))
    e.wait('comment naming path and owners', lambda: [c for c in e.landq_comments(2) if
           '`infra/main.tf` needs an approval from one of @acme/infra' in c['body']])
    check(len(e.landq_comments(2)) == 1, 'one comment')
    e.settle()
    check(not e.merged(2), 'must not land without the infra approval')
    e.approve(2, 'ivan')     # member of acme/infra
    e.wait('#2 merged', lambda: e.merged(2))
    check(e.main_commit()['commit']['message'] ==
          'Tune infra\n\nInfra change.\n\nApproved-by: bob\nApproved-by: ivan',
          'message: %r' % e.main_commit()['commit']['message'])
    e.wait('success status', lambda: e.landq_landed(head))
    check(len(e.landq_comments(2)) == 1, 'the comment is edited in place, not duplicated')

def case_stale_approval(e):
    """A push after the approval makes it stale; the new head needs a new approval."""
    old = e.pr(1)['head']['sha']
    e.approve(1, 'bob', old)
    new = e.push('readme', 'README.md', '# mono\n\nThe monorepo, v2.\n')
    e.wait('head moved', lambda: e.pr(1)['head']['sha'] == new)
    check(new != old, 'push created a new head')
    e.label(1, 'alice')
    want = 'waiting for owner approval: README.md needs one of @bob'
    e.wait('pending status on new head', lambda: e.landq_status(new) == ('pending', want))
    e.settle()
    check(not e.merged(1), 'a stale approval must not land the pull request')
    e.approve(1, 'bob', new)
    e.wait('#1 merged', lambda: e.merged(1))
    p = e.pr(1)
    c = e.get('/repos/%s/commits/%s' % (REPO, p['merge_commit_sha']))
    check(c['commit']['message'].endswith('Approved-by: bob'), c['commit']['message'])
    st = e.wait('success on the new head', lambda: e.landq_landed(new))
    check(e.landq_status(old)[0] != 'success', 'the old head is not reported as landed')

def case_codeowners_in_pr(e):
    """CODEOWNERS comes from the base branch: rewriting it inside the PR changes nothing."""
    head = e.pr(3)['head']['sha']
    e.approve(3, 'bob')
    e.label(3, 'alice')      # the PR's CODEOWNERS says "* @alice"; the author never counts anyway
    want = 'waiting for owner approval: infra/main.tf needs one of @acme/infra'
    e.wait('pending status', lambda: e.landq_status(head) == ('pending', want))
    e.settle()
    check(not e.merged(3), 'must not land with the PR\'s own CODEOWNERS')
    e.approve(3, 'ivan')
    e.wait('#3 merged', lambda: e.merged(3))

def case_readonly_label(e):
    """A label from a user without write permission is removed and the author is told why."""
    head = e.pr(1)['head']['sha']
    e.approve(1, 'bob')
    e.label(1, 'rita')       # triage: may label, may not merge
    e.wait('label removed', lambda: 'land' not in e.labels(1))
    st = e.wait('failure status', lambda: e.landq_status(head)[0] == 'failure' and e.landq_status(head))
    check('@rita' in st[1], 'status names the labeler: %r' % (st,))
    cs = e.wait('comment naming @rita', lambda: [c for c in e.landq_comments(1) if
                                                 '@rita' in c['body'] and 'write' in c['body']])
    check(len(e.landq_comments(1)) == 1, 'exactly one landq comment')
    e.settle()
    check(not e.merged(1), 'must not land')

def case_pending_check(e):
    """A pending check waits; when it succeeds the pull request lands."""
    head = e.pr(7)['head']['sha']
    e.status(head, 'ci/test', 'pending', description='running')
    e.approve(7, 'bob')
    e.label(7, 'alice')
    e.wait('waiting for check', lambda: e.landq_status(head) == ('pending', 'waiting for check ci/test'))
    e.settle()
    check(not e.merged(7), 'must not land while a check is pending')
    e.status(head, 'ci/test', 'success', description='all green')
    e.wait('#7 merged', lambda: e.merged(7))

def case_failing_check(e):
    """A failing check takes the pull request out of the queue and names the check."""
    head = e.pr(7)['head']['sha']
    e.approve(7, 'bob')
    e.status(head, 'ci/test', 'pending')
    e.label(7, 'alice')
    e.wait('waiting for check', lambda: e.landq_status(head)[0] == 'pending')
    e.status(head, 'ci/test', 'failure', description='3 tests failed')
    e.wait('label removed', lambda: 'land' not in e.labels(7))
    st = e.wait('failure status', lambda: e.landq_status(head)[0] == 'failure' and e.landq_status(head))
    check(st[1] == 'check ci/test failed', 'status: %r' % (st,))
    e.wait('comment naming the check', lambda: [c for c in e.landq_comments(7) if
                                                '`ci/test` failed' in c['body'] and
                                                '3 tests failed' in c['body']])
    e.settle()
    check(not e.merged(7), 'must not land')

def case_two_prs(e):
    """Two ready pull requests to one branch land one after the other, in label order."""
    e.approve(5, 'bob')
    e.approve(6, 'bob')
    e.label(5, 'alice')
    e.label(6, 'alice')
    e.wait('#5 and #6 merged', lambda: e.merged(5) and e.merged(6))
    p5, p6 = e.pr(5), e.pr(6)
    c6 = e.get('/repos/%s/commits/%s' % (REPO, p6['merge_commit_sha']))
    check(c6['parents'][0]['sha'] == p5['merge_commit_sha'],
          '#6 must land on top of #5 (parent %s, #5 is %s)' % (c6['parents'][0]['sha'],
                                                               p5['merge_commit_sha']))
    check(e.main_commit()['sha'] == p6['merge_commit_sha'], 'main is #6')

def case_armed_does_not_block(e):
    """A pull request labeled before its approvals stays armed, does not block the next, and
    lands when its approval arrives."""
    e.label(5, 'alice')      # no approval yet
    head5 = e.pr(5)['head']['sha']
    e.wait('#5 waiting', lambda: (e.landq_status(head5)[1] or '').startswith('waiting for owner'))
    e.approve(6, 'bob')
    e.label(6, 'alice')
    e.wait('#6 merged', lambda: e.merged(6))
    check(not e.merged(5), '#5 has no approval yet')
    e.approve(5, 'bob')
    e.wait('#5 merged', lambda: e.merged(5))

def case_email_owner(e):
    """An email owner is satisfied by the approver whose account email matches."""
    e.approve(4, 'dora')     # docs-lead@acme.test
    e.label(4, 'alice')
    e.wait('#4 merged', lambda: e.merged(4))

def case_conflict_ejects(e):
    """405 (a conflict after another landing) takes the pull request out of the queue."""
    head7 = e.pr(7)['head']['sha']
    e.approve(1, 'bob')
    e.approve(7, 'bob')      # #1 and #7 both rewrite the first line of README.md
    e.label(1, 'alice')
    e.wait('#1 merged', lambda: e.merged(1))
    e.label(7, 'alice')
    e.wait('label removed from #7', lambda: 'land' not in e.labels(7))
    st = e.wait('failure status', lambda: e.landq_status(head7)[0] == 'failure' and e.landq_status(head7))
    # The conflict report (tests/e2e/conflicts.py checks its content) replaces the generic text.
    check(st[1] == 'merge conflict with main: README.md (content)', 'status: %r' % (st,))
    e.wait('comment telling to update', lambda: [c for c in e.landq_comments(7) if
                                                 '**landq: merge conflict**' in c['body'] and
                                                 'git rebase origin/main' in c['body']])
    check(not e.merged(7), '#7 must not be merged')

def merge_requests(e, n):
    log = e.get('/_mockhub/requests')
    entries = log.get('requests', log) if isinstance(log, dict) else log
    return [r for r in entries if 'PUT' in json.dumps(r) and '/pulls/%d/merge' % n in json.dumps(r)]

def case_merge_502_retried(e):
    """A 502 on the merge: landq re-reads the pull request (not merged) and merges once."""
    st, j = e.call('POST', '/_mockhub/faults', None, {'kind': 'status', 'method': 'PUT',
                   'path': '/repos/acme/mono/pulls/*/merge', 'status': 502, 'times': 1})
    check(st == 201, 'adding the fault: %s %s' % (st, j))
    before = e.main_commit()['sha']
    e.approve(1, 'bob')
    e.label(1, 'alice')
    e.wait('#1 merged', lambda: e.merged(1))
    puts = merge_requests(e, 1)
    check(len(puts) == 2, 'expected 2 merge requests (502, then 200), got %d: %s' % (len(puts), puts))
    c = e.main_commit()
    check(c['sha'] == e.pr(1)['merge_commit_sha'] and c['parents'][0]['sha'] == before,
          'main must have exactly one new commit: %s' % c['parents'])

def case_merge_after_late_predecessor(e):
    """The merge repeated while an earlier attempt (a dead lease holder's) lands late: GitHub
    refuses the repeat (405, already merged); landq re-reads, finds it merged, records it landed."""
    for f in ({'kind': 'status', 'method': 'PUT', 'path': '/repos/acme/mono/pulls/*/merge',
               'status': 502, 'times': 1},
              {'kind': 'delay', 'method': 'PUT', 'path': '/repos/acme/mono/pulls/*/merge',
               'delay_ms': 1500, 'times': 1}):  # the second: the 502 is served first
        st, j = e.call('POST', '/_mockhub/faults', None, f)
        check(st == 201, 'adding the fault: %s %s' % (st, j))
    e.approve(1, 'bob')
    e.label(1, 'alice')

    def held():
        fs = e.get('/_mockhub/faults')
        fs = fs.get('faults', fs) if isinstance(fs, dict) else fs
        return [f for f in fs if f.get('kind') == 'delay' and f.get('fired', 0) >= 1]
    e.wait('the second merge request held', held)
    # the earlier attempt arrives while landq's repeat is held (same account, same head)
    st, j = e.call('PUT', '/repos/%s/pulls/1/merge' % REPO, 'landq-bot',
                   {'sha': e.pr(1)['head']['sha'], 'merge_method': 'squash'})
    check(st == 200, 'the late merge: %s %s' % (st, j))
    sha = e.pr(1)['head']['sha']
    e.wait('landq reporting #1 landed', lambda: e.landq_landed(sha))
    puts = merge_requests(e, 1)
    check([r['status'] for r in puts] == [502, 200, 405],
          'merge requests: %s' % [r['status'] for r in puts])
    cs = e.landq_comments(1)
    check(len(cs) == 1 and 'landed' in cs[0]['body'] and 'refused' not in cs[0]['body'],
          'landq comment: %s' % [c['body'][:120] for c in cs])

def case_rate_limited(e):
    """Primary rate limit exhausted: landq waits for the reset, then lands."""
    st, j = e.call('POST', '/_mockhub/rate_limit', None, {'login': 'landq-bot', 'remaining': 0,
                                                          'reset_in': 3})
    check(st == 200, 'exhausting the limit: %s %s' % (st, j))
    t0 = time.time()
    e.approve(1, 'bob')
    e.label(1, 'alice')
    e.wait('#1 merged', lambda: e.merged(1))
    check(time.time() - t0 >= 1.5, 'landed before the reset (%.1fs)' % (time.time() - t0))
    with open(e.lq_log_path) as f:
        check(any('status=403' in l or 'status=429' in l for l in f), 'no rate-limited request logged')

def case_secondary_limit(e):
    """Secondary rate limit with Retry-After: landq waits that long and retries."""
    st, j = e.call('POST', '/_mockhub/faults', None, {'kind': 'secondary_rate_limit', 'method': 'GET',
                   'path': '/repos/acme/mono/pulls/1/files', 'retry_after': 2, 'times': 1})
    check(st == 201, 'adding the fault: %s %s' % (st, j))
    t0 = time.time()
    e.approve(1, 'bob')
    e.label(1, 'alice')
    e.wait('#1 merged', lambda: e.merged(1))
    check(time.time() - t0 >= 2, 'landed before Retry-After passed (%.1fs)' % (time.time() - t0))
    f = e.get('/_mockhub/faults')
    check('"fired": 1' in json.dumps(f) or "'fired': 1" in str(f), 'fault did not fire: %s' % f)

def case_many_files(e):
    """All pages of the files API are read: an owned file on page 2 still needs its owner."""
    head = e.pr(8)['head']['sha']
    check(e.pr(8)['changed_files'] == 151, 'world: #8 changes 151 files')
    e.approve(8, 'bob')
    e.label(8, 'alice')
    want = 'waiting for owner approval: infra/zz.tf needs one of @acme/infra'
    e.wait('pending status', lambda: e.landq_status(head) == ('pending', want))
    e.settle(1)
    check(not e.merged(8), 'must not land without the infra approval')
    e.approve(8, 'ivan')
    e.wait('#8 merged', lambda: e.merged(8))

def blob_requests(e):
    log = e.get('/_mockhub/requests')
    entries = log.get('requests', log) if isinstance(log, dict) else log
    return [r for r in entries if '/git/blobs/' in json.dumps(r)]

def case_big_codeowners(e):
    """A CODEOWNERS over 1 MB on the base branch (the contents API leaves its content out; landq
    reads the blob): its owners are the ones required, and the pull request lands with them."""
    # ~1.5 MB: generated rules first, the real ones last (last match wins). /infra/ is @dora's
    # here, @acme/infra's (ivan) in the world's small CODEOWNERS.
    text = ('# Owners of acme/mono (generated)\n' +
            ''.join('/gen/area%05d/ @bob\n' % i for i in range(75000)) +
            '*        @bob\n/infra/  @dora\n')
    check(1 << 20 < len(text) < 3 << 20, 'CODEOWNERS of %d bytes, between 1 MiB and 3 MiB' % len(text))
    e.push('main', '.github/CODEOWNERS', text, user='bob')
    st, j = e.call('GET', '/repos/%s/contents/.github/CODEOWNERS?ref=main' % REPO, 'bob')
    check(st == 200 and j['encoding'] == 'none' and j['content'] == '' and j['size'] == len(text),
          'the contents API must leave the content out: %s %s' % (st, {k: j.get(k) for k in
                                                                      ('encoding', 'size')}))
    head = e.pr(2)['head']['sha']
    e.approve(2, 'bob')
    e.approve(2, 'ivan')     # owner of /infra/ only in the small CODEOWNERS
    e.label(2, 'alice')
    want = 'waiting for owner approval: infra/main.tf needs one of @dora'
    e.wait('pending status naming @dora', lambda: e.landq_status(head) == ('pending', want))
    e.wait('comment naming path and owner', lambda: [c for c in e.landq_comments(2) if
           '`infra/main.tf` needs an approval from one of @dora' in c['body']])
    e.settle(1)
    check(not e.merged(2), 'must not land without the approval of the owner in the big CODEOWNERS')
    e.approve(2, 'dora')
    e.wait('#2 merged', lambda: e.merged(2))
    check(blob_requests(e), 'landq read the CODEOWNERS through the git blobs API')
    msg = e.main_commit()['commit']['message']
    check(msg.startswith('Tune infra\n') and 'Approved-by: dora' in msg, 'message: %r' % msg)
    e.wait('success status', lambda: e.landq_landed(head))

def case_big_codeowners_blob_404(e):
    """A 404 from the git blobs API (replication lag) is retried: the pull request lands later
    and is not dropped as gone."""
    text = ''.join('/gen/area%05d/ @bob\n' % i for i in range(75000)) + '*  @bob\n/infra/  @dora\n'
    e.push('main', '.github/CODEOWNERS', text, user='bob')
    st, j = e.call('POST', '/_mockhub/faults', None, {'kind': 'status', 'method': 'GET',
                   'path': '/repos/acme/mono/git/blobs/*', 'status': 404, 'times': 1})
    check(st == 201, 'adding the fault: %s %s' % (st, j))
    e.approve(2, 'dora')
    e.label(2, 'alice')
    e.wait('#2 merged', lambda: e.merged(2))
    f = e.get('/_mockhub/faults')
    check('"fired": 1' in json.dumps(f), 'the 404 was served: %s' % f)
    with open(e.lq_log_path) as lf:
        check(any('not found (yet)' in l for l in lf), 'landq logs the retried blob read')

def case_huge_codeowners(e):
    """A CODEOWNERS of 3 MiB or more is refused like GitHub ignores it (no blob read): the pull
    request is blocked and the comment says why."""
    text = ''.join('/gen/area%06d/ @bob\n' % i for i in range(160000)) + '*  @bob\n'
    check(len(text) >= 3 << 20, 'CODEOWNERS of %d bytes, 3 MiB or more' % len(text))
    e.push('main', '.github/CODEOWNERS', text, user='bob')
    head = e.pr(1)['head']['sha']
    e.approve(1, 'bob')
    e.label(1, 'alice')
    e.wait('comment naming the limit', lambda: [c for c in e.landq_comments(1) if
           'GitHub does not load a CODEOWNERS file of 3 MiB or more' in c['body']])
    e.settle(1)
    check(not e.merged(1), 'must not land without a loadable CODEOWNERS')
    check(e.landq_status(head)[0] in ('pending', 'failure', 'error'), 'status: %r' % (e.landq_status(head),))
    check(not blob_requests(e), 'no git blobs request for a CODEOWNERS over the limit')

def case_unlabeled(e):
    """Removing the label takes a waiting pull request out of the queue, and landq says so."""
    head = e.pr(2)['head']['sha']
    e.label(2, 'alice')
    e.wait('waiting', lambda: e.landq_status(head)[0] == 'pending')
    st, j = e.call('DELETE', '/repos/%s/issues/2/labels/land' % REPO, 'alice')
    check(st == 200, 'removing the label: %s %s' % (st, j))
    e.wait('error status', lambda: e.landq_status(head) ==
           ('error', 'not queued: the land label was removed'))
    e.wait('comment saying not queued', lambda: [c for c in e.landq_comments(2) if
                                                 'not queued' in c['body']])
    check(len(e.landq_comments(2)) == 1, 'exactly one landq comment')
    e.approve(2, 'ivan')
    e.settle(1)
    check(not e.merged(2), 'an unlabeled pull request must not land')

def case_readonly_approval(e):
    """An owner without write permission cannot approve: @rita (triage) is listed but not counted."""
    head = e.pr(6)['head']['sha']
    e.approve(6, 'rita')     # CODEOWNERS: /app/b.txt @rita @bob
    e.label(6, 'alice')
    want = 'waiting for owner approval: app/b.txt needs one of @rita, @bob'
    e.wait('pending status', lambda: e.landq_status(head) == ('pending', want))
    e.wait('comment about @rita', lambda: [c for c in e.landq_comments(6) if
                                           '@rita approved, but has no write permission' in c['body']])
    e.settle(1)
    check(not e.merged(6), 'must not land on a read-only approval')
    e.approve(6, 'bob')
    e.wait('#6 merged', lambda: e.merged(6))
    msg = e.main_commit()['commit']['message']
    check(msg == 'App B\n\nB.\n\nApproved-by: bob', 'only writers in the trailers: %r' % msg)

def case_mergeable_null(e):
    """While GitHub still computes mergeability (mergeable: null) landq does not merge; it lands
    once the answer is known, with a single merge request."""
    st, j = e.call('POST', '/_mockhub/faults', None, {'kind': 'mergeable_null', 'method': 'GET',
                   'path': '/repos/acme/mono/pulls/1', 'times': 6})
    check(st == 201, 'adding the fault: %s %s' % (st, j))
    e.approve(1, 'bob')
    e.label(1, 'alice')
    e.wait('#1 merged', lambda: e.merged(1))
    check(len(merge_requests(e, 1)) == 1, 'exactly one merge request')
    f = e.get('/_mockhub/faults')
    check('"fired": 6' in json.dumps(f), 'all null answers were served: %s' % f)

def case_check_run(e):
    """Check runs count like statuses: in progress waits, success lands (check_run webhooks)."""
    head = e.pr(7)['head']['sha']
    st, run = e.call('POST', '/repos/%s/check-runs' % REPO, 'ci-bot',
                     {'name': 'build', 'head_sha': head, 'status': 'in_progress'})
    check(st == 201, 'creating the check run: %s %s' % (st, run))
    e.approve(7, 'bob')
    e.label(7, 'alice')
    e.wait('waiting for the check run', lambda: e.landq_status(head) == ('pending', 'waiting for check build'))
    e.settle(1)
    check(not e.merged(7), 'must not land while the check run is in progress')
    st, j = e.call('PATCH', '/repos/%s/check-runs/%d' % (REPO, run['id']), 'ci-bot',
                   {'status': 'completed', 'conclusion': 'success'})
    check(st == 200, 'completing the check run: %s %s' % (st, j))
    e.wait('#7 merged', lambda: e.merged(7))

def case_log_injection(e):
    """A file name holding a newline cannot forge a landq log line (issue 12, defect 7)."""
    base = e.get('/repos/%s/git/ref/heads/main' % REPO)['object']['sha']
    st, j = e.call('POST', '/repos/%s/git/refs' % REPO, 'alice',
                   {'ref': 'refs/heads/evil', 'sha': base})
    check(st == 201, 'branch: %s %s' % (st, j))
    forged = ('ts=2026-01-01T00:00:00.000Z level=info mod=worker msg="landed" repo=acme/mono '
              'pr=66 summary="landed as 000000000000 on main"')
    path = 'infra/x\n' + forged
    head = e.push('evil', urllib.parse.quote(path, safe='/'), 'x\n')
    st, j = e.call('POST', '/repos/%s/pulls' % REPO, 'alice',
                   {'title': 'Evil', 'head': 'evil', 'base': 'main', 'body': 'x'})
    check(st == 201, 'pull request: %s %s' % (st, j))
    files = e.get('/repos/%s/pulls/%d/files' % (REPO, j['number']))
    check([f['filename'] for f in files] == [path], 'the path as GitHub lists it: %r' % files)
    e.label(j['number'], 'alice')
    e.wait('pending status', lambda: e.landq_status(head)[0] == 'pending')
    e.settle(1)
    with open(e.lq_log_path, encoding='utf-8', errors='replace') as f:
        lines = f.read().splitlines()
    check(not [l for l in lines if l.startswith('ts=2026-01-01')],
          'a forged line:\n' + '\n'.join(l for l in lines if 'pr=66' in l))
    # the path was logged, escaped inside its value (so the test did reach the logger)
    check([l for l in lines if 'infra/x\\nts=2026-01-01' in l],
          'the path is not in the log:\n' + '\n'.join(lines[-20:]))
    check(not [l for l in lines if l.startswith('ts=') and ' level=' not in l],
          'a line of the log without its level')


CASES = {n[5:].replace('_', '-'): f for n, f in sorted(globals().items()) if n.startswith('case_')}

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--mockhub')
    ap.add_argument('--landq')
    ap.add_argument('--world', default=os.path.join(HERE, 'world.json'))
    ap.add_argument('--keep', action='store_true')
    ap.add_argument('--list', action='store_true')
    ap.add_argument('cases', nargs='*')
    args = ap.parse_args()
    if args.list:
        print('\n'.join(CASES))
        return 0
    if not args.mockhub or not os.access(args.mockhub, os.X_OK) or not args.landq:
        print('mockhub or landq missing: skipped')
        return 77
    names = args.cases or list(CASES)
    failed = 0
    for name in names:
        if name not in CASES:
            print('unknown case %s (try --list)' % name)
            return 2
        t0 = time.time()
        print('== %s: %s' % (name, CASES[name].__doc__.split('\n')[0]))
        ok = True
        e = None
        try:
            e = Env(args, name)
            CASES[name](e)
        except Exception as ex:  # noqa: BLE001 - report anything
            ok = False
            print('  FAIL: %s' % ex)
            if not isinstance(ex, Fail):
                traceback.print_exc()
        if e is not None:
            ok = e.stop(ok)
        print('  %s (%.1fs)' % ('ok' if ok else 'FAILED', time.time() - t0))
        failed += not ok
    print('%d passed, %d failed' % (len(names) - failed, failed))
    return 1 if failed else 0

if __name__ == '__main__':
    sys.exit(main())
