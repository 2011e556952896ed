#!/usr/bin/env python3
"""Failover of the landing driver (issue 15): three `landq serve` on one PostgreSQL, behind a
real HAProxy (round robin, health checks), a burst of pull requests, the lease holder SIGKILLed
while one of its merge requests is in flight.

usage: failover.py --mockhub BIN --landq BIN [--prs N] [--kills K] [--restart] [--anywhere]
                   [--seed S] [--stop] [--keep]
       (--stop: the holder is frozen with SIGSTOP instead, and woken with SIGCONT once another
       instance has taken over and merged: its next write must be refused by the database, and
       it must not merge or comment under its stale token)
       (exit 77 when PostgreSQL is missing; without HAProxy the webhook goes to instance a and
       the HAProxy part is reported as skipped: deliveries sent while a is down then fail, and
       the reconciliation sweep finds their pull requests)

  mockhub --webhook--> HAProxy (roundrobin, GET /healthz checks) --> landq a, b, c --> PostgreSQL
                                                                     (lease TTL 3s, renew 1s)

N approved pull requests (default 40) are labeled at once. For each of K kills (default 2),
mockhub holds the next merge request for 500 ms; while it is in flight the test SIGKILLs the
instance whose id is in the lease row of acme/mono:main (GitHub still carries the merge out; the
answer is never read). Another instance must take the lease over (a higher token, never before
the old lease expired), find the merge done, record it, and land the rest. Checked at the end:
  - every pull request merged, each by exactly one successful merge request (mockhub's log), and
    no merge request refused because the pull request was already merged;
  - every delivery mockhub saw answered 2xx is in the database and processed (once: unique id);
  - exactly one `landed` audit row per pull request; the landed rows' lease tokens never go
    down in the order they were written (nothing was recorded under a stale token after a newer
    one was granted), and the rows after the kill carry the new token;
  - the new holder counts the failover (landq_lease_failovers_total) and says so on /healthz
    (X-Landq-Leases-Held: 1); the killed instance's pid is no longer in the lease row;
  - the survivors exit 0 on SIGTERM.
The test waits for progress (a merge, a lease change), never for a wall-clock deadline; the
takeover time (kill -> new lease) is measured and printed.
"""
import argparse, json, os, random, re, shutil, signal, socket, subprocess, sys, tempfile, time
import traceback, urllib.error, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, '..', '..')
sys.path.insert(0, os.path.join(HERE, '..', 'support'))
import pgtest  # noqa: E402

REPO = 'acme/mono'
SECRET = 'failover-secret'
TTL, RENEW = 3, 1          # seconds (production defaults: 30s / 5s; same ratio)
STALL = float(os.environ.get('LANDQ_FAILOVER_STALL', '180'))  # no progress for this long = fail


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def wait_port_file(path, proc, what):
    while True:  # progress: the process is alive and starting; it writes the file once bound
        check(proc.poll() is None, '%s exited %s before listening' % (what, proc.returncode))
        try:
            s = open(path).read().strip()
            if s:
                return int(s)
        except (OSError, ValueError):
            pass
        time.sleep(0.05)


class Progress:
    """Waits for a condition while something moves; fails after STALL seconds without change."""

    def __init__(self, what, fn, watch):
        self.what, self.fn, self.watch = what, fn, watch

    def run(self):
        last, since = None, time.monotonic()
        while True:
            v = self.fn()
            if v:
                return v
            w = self.watch()
            if w != last:
                last, since = w, time.monotonic()
            check(time.monotonic() - since < STALL,
                  'no progress for %ds waiting for %s (last: %r)' % (STALL, self.what, w))
            time.sleep(0.1)


class Env:
    def __init__(self, args):
        self.args = args
        self.dir = tempfile.mkdtemp(prefix='landq-failover-')
        self.lq = {}      # name -> [proc, port, ops_port]
        self.mh = self.hp = None

    # ---- mockhub ----
    def call(self, method, path, user=None, body=None, want=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.api + path, data=data, method=method)
        req.add_header('Accept', 'application/vnd.github+json')
        if user:
            req.add_header('Authorization', 'token tok-%s' % user)
        if data is not None:
            req.add_header('Content-Type', 'application/json')
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                text = r.read()
                st, j = r.status, (json.loads(text) if text else None)
        except urllib.error.HTTPError as e:
            text = e.read()
            try:
                st, j = e.code, json.loads(text)
            except ValueError:
                st, j = e.code, text
        check(want is None or st in want, '%s %s: %s %s' % (method, path, st, j))
        return st, j

    def start_mockhub(self, n):
        world = {'include': os.path.abspath(os.path.join(ROOT, 'scenarios', 'worlds',
                                                         'acme-mono.json')),
                 'repos': [{'full_name': REPO, 'pulls': [{
                     'user': 'alice', 'head': 'burst-%d' % i, 'base': 'main',
                     'title': 'Burst %d' % i, 'body': 'Burst change %d.' % i,
                     'files': {'app/burst/f%d.txt' % i: '%d\n' % i}} for i in range(1, n + 1)]}]}
        path = os.path.join(self.dir, 'world.json')
        json.dump(world, open(path, 'w'))
        pf = os.path.join(self.dir, 'mockhub.port')
        self.mh_log = open(os.path.join(self.dir, 'mockhub.log'), 'w')
        self.mh = subprocess.Popen([self.args.mockhub, 'serve', '--world', path, '--listen',
                                    '127.0.0.1:0', '--port-file', pf, '--state-dir',
                                    os.path.join(self.dir, 'state')],
                                   stdout=self.mh_log, stderr=subprocess.STDOUT)
        self.api = 'http://127.0.0.1:%d' % wait_port_file(pf, self.mh, 'mockhub')

    # ---- landq ----
    def start_landq(self, name, target, again=False):
        """again: a restart of a killed instance on the same ports (HAProxy knows them)."""
        pf, of = (os.path.join(self.dir, name + s) for s in ('.port', '.ops'))
        port, ops = (self.lq[name][1], self.lq[name][2]) if again else (0, 0)
        for f in (pf, of):
            if os.path.exists(f):
                os.unlink(f)
        log = open(os.path.join(self.dir, name + '.log'), 'a')
        env = dict(os.environ, LANDQ_GITHUB_TOKEN='tok-landq', LANDQ_WEBHOOK_SECRET=SECRET)
        p = subprocess.Popen([self.args.landq, 'serve', '--github-api', self.api, '--db', target,
                              '--listen', '127.0.0.1:%d' % port, '--port-file', pf,
                              '--ops-listen', '127.0.0.1:%d' % ops, '--ops-port-file', of,
                              '--repo', REPO, '--webhook-allowlist', 'off',
                              '--lease-ttl', '%ds' % TTL, '--lease-renew', '%ds' % RENEW,
                              '--reconcile-interval', '10',
                              '--mirror-dir', os.path.join(self.dir, name + '-mirrors')],
                             env=env, stdout=log, stderr=subprocess.STDOUT)
        self.lq[name] = [p, wait_port_file(pf, p, 'landq ' + name), wait_port_file(of, p, name)]

    def start_haproxy(self, haproxy):
        self.hp_port = pgtest.free_port()
        servers = '\n'.join('    server %s 127.0.0.1:%d check' % (n, v[1])
                            for n, v in sorted(self.lq.items()))
        cfg = """global
    maxconn 512
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    retries 2
    option redispatch
frontend webhooks
    bind 127.0.0.1:%d
    default_backend landq
backend landq
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
    default-server inter 300ms fall 2 rise 2
%s
""" % (self.hp_port, servers)
        path = os.path.join(self.dir, 'haproxy.cfg')
        open(path, 'w').write(cfg)
        self.hp_log = open(os.path.join(self.dir, 'haproxy.log'), 'w')
        self.hp = subprocess.Popen([haproxy, '-db', '-f', path], stdout=self.hp_log,
                                   stderr=subprocess.STDOUT)
        while True:
            try:
                socket.create_connection(('127.0.0.1', self.hp_port), timeout=1).close()
                return
            except OSError:
                check(self.hp.poll() is None, 'HAProxy exited %s' % self.hp.returncode)
                time.sleep(0.05)

    def ops(self, name, path):
        port = self.lq[name][2]
        with urllib.request.urlopen('http://127.0.0.1:%d%s' % (port, path), timeout=30) as r:
            return r.read().decode()

    def bare_healthz(self, name):
        with urllib.request.urlopen('http://127.0.0.1:%d/healthz' % self.lq[name][1],
                                    timeout=30) as r:
            return r.status, r.headers.get('X-Landq-Leases-Held'), r.headers.get('X-Landq-Database')

    def stop(self, ok):
        for name, (p, _, _) in self.lq.items():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    rc = p.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
                    rc = 'hung'
                if ok and rc != 0:
                    print('  landq %s exited %s after SIGTERM (expected 0)' % (name, rc))
                    ok = False
        for p in (self.hp, self.mh):
            if p is not None and p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
        if not ok:
            for f in sorted(os.listdir(self.dir)):
                if f.endswith('.log'):
                    print('---- tail of %s' % f)
                    print(''.join(open(os.path.join(self.dir, f),
                                       errors='replace').readlines()[-30:]))
        if ok and not self.args.keep:
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            print('files kept in %s' % self.dir)
        return ok


def lease(pg):
    row = pg.sql('landq', "SELECT holder, token, expires_ms, acquired_ms FROM lq_lease "
                 "WHERE repo = 'acme/mono' AND base = 'main'").strip()
    if not row:
        return None
    h, t, e, a = row.split('|')
    return {'holder': h, 'token': int(t), 'expires_ms': int(e), 'acquired_ms': int(a)}


def merged_count(e):
    _, s = e.call('GET', '/_mockhub/v1/state', want=(200,))
    for r in s.get('repos', []):
        if r.get('full_name') == REPO:
            return sum(1 for p in r.get('pulls', []) if p.get('merged'))
    return 0


def merge_puts(e):
    _, reqs = e.call('GET', '/_mockhub/v1/requests?method=PUT&path=/repos/acme/mono/pulls/*/merge'
                     '&brief=1', want=(200,))
    return reqs


def run(args, pg, e):
    target = pg.createdb('landq')
    n = args.prs
    e.start_mockhub(n)
    for name in ('a', 'b', 'c'):
        e.start_landq(name, target)
    haproxy = shutil.which('haproxy') or ('/usr/sbin/haproxy'
                                          if os.access('/usr/sbin/haproxy', os.X_OK) else None)
    if haproxy:
        e.start_haproxy(haproxy)
        url = 'http://127.0.0.1:%d/webhook' % e.hp_port
    else:
        print('HAProxy not installed: that part skipped; webhooks go to instance a directly')
        url = 'http://127.0.0.1:%d/webhook' % e.lq['a'][1]
    e.call('POST', '/repos/%s/hooks' % REPO, 'bob', {
        'name': 'web', 'active': True,
        'events': ['pull_request', 'pull_request_review', 'status', 'check_run', 'check_suite'],
        'config': {'url': url, 'content_type': 'json', 'secret': SECRET}}, want=(201,))
    for i in range(1, n + 1):
        e.call('POST', '/repos/%s/pulls/%d/reviews' % (REPO, i), 'bob',
               {'event': 'APPROVE', 'body': 'LGTM'}, want=(200,))
    for i in range(1, n + 1):
        e.call('POST', '/repos/%s/issues/%d/labels' % (REPO, i), 'alice', {'labels': ['land']},
               want=(200,))
    print('%d pull requests approved and labeled; 3 instances; lease TTL %ds, renew %ds' %
          (n, TTL, RENEW))

    kills = []
    rng = random.Random(args.seed)
    for k in range(args.kills):
        done = len([r for r in merge_puts(e) if r['status'] == 200])
        alive = [name for name, v in e.lq.items() if v[0].poll() is None]
        check(len(alive) >= 2, 'not enough instances left for another kill')
        if done >= n - 2:
            print('kill %d: too few landings left; stopped killing' % (k + 1))
            break
        # hold a request for 500 ms (the next merge, or with --anywhere one of the next 40
        # REST requests, chosen by the seed); GitHub carries it out, the answer is lost
        fault = {'kind': 'delay', 'method': 'PUT', 'path': '/repos/acme/mono/pulls/*/merge',
                 'delay_ms': 500, 'skip': 1, 'times': 1}
        if args.anywhere:
            fault.update(method='*', path='/repos/*', skip=rng.randrange(40))
        e.call('POST', '/_mockhub/faults', None, fault, want=(200, 201))

        def fired():
            _, fs = e.call('GET', '/_mockhub/faults', want=(200,))
            fs = fs.get('faults', fs) if isinstance(fs, dict) else fs
            return any(f.get('fired', 0) >= 1 for f in fs)
        Progress('a merge request to hold', fired, lambda: merged_count(e)).run()
        done = len([r for r in merge_puts(e) if r['status'] == 200])
        before = lease(pg)
        victim = [name for name, v in e.lq.items()
                  if v[0].poll() is None and ':%d:' % v[0].pid in before['holder']]
        check(len(victim) == 1, 'lease holder %s is none of the live instances' % before['holder'])
        victim = victim[0]
        t_kill = time.time()
        if args.stop:  # frozen, not dead: it wakes up later believing it still holds the lease
            e.lq[victim][0].send_signal(signal.SIGSTOP)
        else:
            e.lq[victim][0].send_signal(signal.SIGKILL)
            e.lq[victim][0].wait()
        e.call('DELETE', '/_mockhub/faults', want=(200, 204))
        print('kill %d: %s %s (pid %d, token %d) with a %s in flight; %d merged so far' %
              (k + 1, 'SIGSTOP' if args.stop else 'SIGKILL', victim, e.lq[victim][0].pid, before['token'],
               'request' if args.anywhere else 'merge', done))
        time.sleep(0.7)  # the held request completes (measurement only: not counted below)
        seq_held = max([r['seq'] for r in merge_puts(e)] + [0])
        after = Progress('another instance to take the lease over',
                         lambda: (lambda l: l if l and l['token'] > before['token'] and
                                  l['holder'] != before['holder'] else None)(lease(pg)),
                         lambda: merged_count(e)).run()
        took = after['acquired_ms'] / 1000.0 - t_kill
        check(after['acquired_ms'] >= before['expires_ms'] - 5,
              'lease taken at %d, before the old one expired at %d' %
              (after['acquired_ms'], before['expires_ms']))
        new = [name for name, v in e.lq.items()
               if v[0].poll() is None and ':%d:' % v[0].pid in after['holder']]
        check(len(new) == 1, 'new holder %s is none of the live instances' % after['holder'])
        kill = {'victim': victim, 'new': new[0], 'new_pid': e.lq[new[0]][0].pid, 'took': took,
                't_kill': t_kill, 'old_token': before['token'], 'new_token': after['token']}
        kills.append(kill)
        # the next merge request after the takeover (the held one excluded)
        Progress('a merge request after the takeover',
                 lambda: [r for r in merge_puts(e) if r['seq'] > seq_held]
                 or merged_count(e) == n, lambda: merged_count(e)).run()
        kill['next_merge'] = time.time() - t_kill
        print('  %s took the lease over with token %d %.2fs after the kill (expected: at most '
              'TTL %ds + renew %ds); next merge request after %.2fs' %
              (new[0], after['token'], took, TTL, RENEW, kill['next_merge']))
        if args.restart and not args.stop:  # back in the pool under a new instance id
            e.start_landq(victim, target, again=True)
        if args.stop:  # the stale holder wakes up: the database refuses its token
            log = os.path.join(e.dir, victim + '.log')
            seen = open(log, errors='replace').read().count('msg="lease lost"')
            e.lq[victim][0].send_signal(signal.SIGCONT)
            Progress('%s noticing it lost the lease' % victim,
                     lambda: open(log, errors='replace').read().count('msg="lease lost"') > seen,
                     lambda: merged_count(e)).run()
            print('  %s woke up after %.1fs frozen and was fenced out' %
                  (victim, time.time() - t_kill))

    Progress('all %d pull requests merged' % n, lambda: merged_count(e) == n,
             lambda: merged_count(e)).run()
    e.call('GET', '/_mockhub/webhooks/wait?timeout_ms=10000')
    # every acknowledged delivery applied: wait until nothing is pending in the shared inbox
    Progress('the inbox drained', lambda: pg.sql(
        'landq', 'SELECT count(*) FROM inbox_deliveries WHERE processed = 0').strip() == '0',
        lambda: pg.sql('landq', 'SELECT count(*) FROM inbox_deliveries WHERE processed = 0')).run()
    Progress('a landed row for every pull request', lambda: int(pg.sql(
        'landq', "SELECT count(DISTINCT number) FROM lq_audit WHERE action = 'landed'")) == n,
        lambda: pg.sql('landq', "SELECT count(*) FROM lq_audit")).run()

    # ---- invariants ----
    puts = merge_puts(e)
    ok200 = {}
    for r in puts:
        m = re.search(r'/pulls/(\d+)/merge$', r['path'])
        if r['status'] == 200:
            ok200[int(m.group(1))] = ok200.get(int(m.group(1)), 0) + 1
    check(sorted(ok200) == list(range(1, n + 1)), 'merged by landq: %s' % sorted(ok200))
    twice = {k: v for k, v in ok200.items() if v != 1}
    check(not twice, 'merged more than once: %s' % twice)
    refused = [(r['path'], r['status']) for r in puts if r['status'] != 200]
    check(not [x for x in refused if x[1] == 405],
          'a merge request for an already merged pull request: %s' % refused)
    _, dels = e.call('GET', '/_mockhub/v1/deliveries', want=(200,))
    acked = {d['guid'] for d in dels if 200 <= d.get('status_code', 0) < 300
             and d.get('event') != 'ping'}
    rows = pg.sql('landq', 'SELECT delivery_id, processed FROM inbox_deliveries').split()
    stored = dict(r.split('|') for r in rows)
    missing = acked - set(stored)
    check(not missing, '%d acknowledged deliveries not in the database, e.g. %s' %
          (len(missing), sorted(missing)[:3]))
    unprocessed = [g for g in acked if stored.get(g) != '1']
    check(not unprocessed, 'acknowledged but never processed: %s' % unprocessed[:3])
    failed = [d for d in dels if not 200 <= d.get('status_code', 0) < 300]
    landed = [tuple(map(int, r.split('|'))) for r in pg.sql(
        'landq', "SELECT id, number, lease_token FROM lq_audit WHERE action = 'landed' "
        "ORDER BY id").split()]
    per_pr = {}
    for _, num, _ in landed:
        per_pr[num] = per_pr.get(num, 0) + 1
    check(all(v == 1 for v in per_pr.values()) and len(per_pr) == n,
          'landed rows per pull request: %s' % {k: v for k, v in per_pr.items() if v != 1})
    tokens = [t for _, _, t in landed]
    check(all(t > 0 for t in tokens), 'a landed row without a lease token')
    check(tokens == sorted(tokens), 'a landing recorded under an older token after a newer '
          'one: %s' % tokens)
    for kill in kills:
        check(max(tokens) >= kill['new_token'], 'no landing under the new token')
    for name, (p, _, _) in e.lq.items():  # each takeover counted by the process that made it
        if p.poll() is None and not args.stop:  # (a woken holder may take a branch back)
            want = sum(1 for kill in kills if kill['new_pid'] == p.pid)
            got = sum(float(v) for v in re.findall(r'^landq_lease_failovers_total\{[^}]*\} (\S+)$',
                                                   e.ops(name, '/metrics'), re.M))
            check(got == want, '%s counts %s failovers, took %d over' % (name, got, want))
    holder = lease(pg)['holder']
    for name, (p, _, _) in e.lq.items():
        if p.poll() is not None:
            continue
        st, held, db = e.bare_healthz(name)
        js = json.loads(e.ops(name, '/healthz'))
        want = 1 if ':%d:' % p.pid in holder else 0
        check(st == 200 and db == 'reachable', '%s: /healthz %s, database %s' % (name, st, db))
        check(held == str(want) and js['leases']['held'] == want,
              '%s: leases held %s / %s, want %d' % (name, held, js['leases'], want))
    print('%d merged, each by one merge request (%d merge requests in all, %d refused: %s); '
          '%d deliveries acknowledged, all stored and processed (%d not acknowledged: '
          'connection refused or reset by the kill); landed tokens %s' %
          (n, len(puts), len(refused), refused[:3], len(acked), len(failed),
           sorted(set(tokens))))
    if kills:
        def stats(xs):
            xs = sorted(xs)
            return 'p50 %.2f s, max %.2f s' % (xs[(len(xs) - 1) // 2], xs[-1])
        print('%d kills: kill -> new lease %s; kill -> next merge request %s' %
              (len(kills), stats([k['took'] for k in kills]),
               stats([k['next_merge'] for k in kills])))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--mockhub', required=True)
    ap.add_argument('--landq', required=True)
    ap.add_argument('--prs', type=int, default=int(os.environ.get('LANDQ_FAILOVER_PRS', '40')))
    ap.add_argument('--kills', type=int, default=int(os.environ.get('LANDQ_FAILOVER_KILLS', '2')))
    ap.add_argument('--restart', action='store_true',
                    help='restart each killed instance (for many kills: bench/README.md)')
    ap.add_argument('--anywhere', action='store_true',
                    help='kill while any REST request is held, not only a merge')
    ap.add_argument('--seed', type=int, default=1, help='--anywhere: which request')
    ap.add_argument('--stop', action='store_true',
                    help='SIGSTOP the holder instead of killing it, SIGCONT after the takeover')
    ap.add_argument('--keep', action='store_true')
    args = ap.parse_args()
    try:
        cluster = pgtest.Cluster()
    except pgtest.Unavailable as ex:
        print('skipped: %s' % ex)
        return 77
    ok = False
    failure = None
    e = Env(args)
    t0 = time.time()
    try:
        with cluster as pg:
            try:
                run(args, pg, e)
                ok = True
            except Exception as ex:  # noqa: BLE001
                print('FAIL: %s' % ex)
                if not isinstance(ex, Fail):
                    traceback.print_exc()
                failure = ex
            ok = e.stop(ok)
            if not ok and failure is not None:
                print('FAIL (again, after the logs): %s' % failure)
    finally:
        for name, (p, _, _) in e.lq.items():
            if p.poll() is None:
                p.kill()
                p.wait()
    print('%s (%.1fs)' % ('ok' if ok else 'FAILED', time.time() - t0))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
