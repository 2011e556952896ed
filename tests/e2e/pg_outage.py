#!/usr/bin/env python3
"""`landq serve` on PostgreSQL when the database goes away mid-burst (issue 15, "Database
failure"): while PostgreSQL cannot commit, the intake answers 503, never 202; once it is back,
the intake acknowledges again without a restart; redelivering what was refused (as GitHub's
redelivery or landq's start-up sweep would) fills the gap; and every delivery ever answered 202
is in the database, exactly once.

usage: pg_outage.py --landq BIN
A real PostgreSQL is started by tests/support/pgtest.py (exit 77 = skipped without it); it is
stopped with `pg_ctl -m immediate` (a crash: no shutdown checkpoint, clients cut off) while
four senders post signed deliveries, and started again. Two landq instances share the database
(every instance is an intake); the senders alternate between them.
"""
import argparse, hashlib, hmac, json, os, shutil, subprocess, sys, tempfile, threading, time
import urllib.error, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'support'))
import pgtest  # noqa: E402

SECRET = 'outage-secret'
BODY = json.dumps({'action': 'labeled', 'number': 1, 'repository': {'full_name': 'acme/mono'},
                   'pull_request': {'number': 1, 'head': {'sha': 'a' * 40}},
                   'label': {'name': 'other'}}).encode()
SIG = 'sha256=' + hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def post(port, delivery, timeout=15):
    req = urllib.request.Request('http://127.0.0.1:%d/webhook' % port, data=BODY, method='POST',
                                 headers={'Content-Type': 'application/json',
                                          'X-GitHub-Event': 'pull_request',
                                          'X-GitHub-Delivery': delivery,
                                          'X-Hub-Signature-256': SIG})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return 0  # connection refused or reset: not acknowledged


def healthz(port):
    try:
        with urllib.request.urlopen('http://127.0.0.1:%d/healthz' % port, timeout=15) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return 0


class Senders:
    """Four threads posting new deliveries round robin to the instances; every answer kept."""

    def __init__(self, ports):
        self.ports = ports
        self.lock = threading.Lock()
        self.answers = {}  # delivery id -> list of statuses, in order
        self.n = 0
        self.phase = 'before'
        self.by_phase = {}
        self.stop = False
        self.threads = [threading.Thread(target=self.run, args=(i,)) for i in range(4)]

    def run(self, i):
        k = 0
        while not self.stop:
            k += 1
            d = 'outage-%d-%d' % (i, k)
            phase = self.phase
            st = post(self.ports[(i + k) % len(self.ports)], d)
            with self.lock:
                self.answers.setdefault(d, []).append(st)
                self.by_phase.setdefault(phase, []).append(st)
            time.sleep(0.002)

    def count(self, phase, status):
        with self.lock:
            return sum(1 for s in self.by_phase.get(phase, []) if s == status)

    def wait(self, phase, status, n, timeout=60):
        t0 = time.monotonic()
        while self.count(phase, status) < n:
            check(time.monotonic() - t0 < timeout,
                  'phase %s: fewer than %d answers %d' % (phase, n, status))
            time.sleep(0.02)


def start_landq(landq, work, name, target):
    port_file = os.path.join(work, name + '.port')
    log = open(os.path.join(work, name + '.log'), 'w')
    env = dict(os.environ, LANDQ_GITHUB_TOKEN='tok', LANDQ_WEBHOOK_SECRET=SECRET)
    p = subprocess.Popen([landq, 'serve', '--db', target, '--listen', '127.0.0.1:0',
                          '--port-file', port_file, '--repo', 'acme/mono',
                          '--github-api', 'http://127.0.0.1:9', '--webhook-allowlist', 'off',
                          '--reconcile-interval', '0', '--ops-listen', '127.0.0.1:0'],
                         env=env, stdout=log, stderr=subprocess.STDOUT)
    t0 = time.monotonic()
    while not os.path.exists(port_file):
        check(p.poll() is None, '%s exited %s' % (name, p.returncode))
        check(time.monotonic() - t0 < 60, '%s did not listen' % name)
        time.sleep(0.05)
    return p, int(open(port_file).read())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--landq', required=True)
    args = ap.parse_args()
    try:
        cluster = pgtest.Cluster()
    except pgtest.Unavailable as e:
        print('skipped: %s' % e)
        return 77
    work = tempfile.mkdtemp(prefix='landq-pg-outage-')
    procs = []
    ok = False
    try:
        with cluster as pg:
            target = pg.createdb('landq')
            for name in ('a', 'b'):
                p, port = start_landq(args.landq, work, name, target)
                procs.append((p, port))
            ports = [port for _, port in procs]
            s = Senders(ports)
            for t in s.threads:
                t.start()
            try:
                s.wait('before', 202, 50)
                s.phase = 'down'
                pg.stop('immediate')
                s.wait('down', 503, 20)
                check(all(healthz(port) == 503 for port in ports),
                      '/healthz says ok while the database is down')
                s.phase = 'back'
                pg.start()
                s.wait('back', 202, 50)
            finally:
                s.stop = True
                for t in s.threads:
                    t.join()
            check(all(healthz(port) == 200 for port in ports), '/healthz not ok after recovery')
            # redeliver what was not acknowledged, as GitHub would be asked to
            # (200 = it had been committed after all, just before the crash cut the answer)
            refused = [d for d, st in s.answers.items() if st[-1] not in (200, 202)]
            late = 0
            for d in refused:
                st = post(ports[hash(d) % len(ports)], d)
                check(st in (200, 202), 'redelivery of %s answered %s' % (d, st))
                late += st == 200
                s.answers[d].append(st)
            acked = [d for d, st in s.answers.items() if 202 in st or 200 in st]
            rows = pg.sql('landq', 'SELECT delivery_id FROM inbox_deliveries').split()
            missing = set(acked) - set(rows)
            check(not missing, '%d acknowledged deliveries lost, e.g. %s' %
                  (len(missing), sorted(missing)[:3]))
            check(len(rows) == len(set(rows)), 'a delivery stored twice')
            twice = [d for d, st in s.answers.items() if st.count(202) > 1]
            check(not twice, 'acknowledged (202) twice: %s' % twice[:3])
            down = s.by_phase.get('down', [])
            print('before: %d x 202; while down: %d x 503, %d x 202 (committed as the server '
                  'stopped), %d other; after: %d x 202; redelivered %d (%d already stored); '
                  'rows %d = acknowledged %d' %
                  (s.count('before', 202), down.count(503), down.count(202),
                   len(down) - down.count(503) - down.count(202), s.count('back', 202),
                   len(refused), late, len(rows), len(acked)))
            check(len(rows) == len(acked), 'rows %d, acknowledged %d' % (len(rows), len(acked)))
            for p, _ in procs:
                p.terminate()
                check(p.wait(timeout=60) == 0, 'landq did not exit 0 on SIGTERM')
            ok = True
    except Fail as e:
        print('FAIL: %s' % e)
    finally:
        for p, _ in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        if not ok:
            for name in ('a', 'b'):
                path = os.path.join(work, name + '.log')
                if os.path.exists(path):
                    print('--- landq %s log (tail) ---' % name)
                    print(''.join(open(path).readlines()[-25:]))
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
