#!/usr/bin/env python3
"""Hostile traffic on the webhook port (issue 13): legitimate deliveries keep flowing and a pull
request lands while 260 connections with unfinished headers attack landq.

usage: slowloris.py --mockhub BIN --landq BIN [--world FILE] [--keep] CASE...

Cases (each a fresh mockhub + landq from the e2e harness, tests/e2e/e2e.py):
  outsider     the attacker (127.0.0.2) is outside GitHub's ranges (mockhub's GET /meta hooks
               = 127.0.0.1/32): refused at accept time, it never holds a slot;
  insider      the attacker's address is inside the ranges (127.0.0.0/30, as with
               webhook_allowlist = off): the per-source cap holds it to per_source_connections
               slots and the header deadline cuts its connections off;
  proxy        landq behind a trusted proxy (127.0.0.1): the proxy is exempt from the per-source
               cap, slow headers through the proxy's address are cut off by the deadline, direct
               outsiders are refused at accept time.
The attacker keeps reopening whatever landq closes, for the whole case. The pull request must
land from its webhooks alone (--reconcile-interval 0: no sweep would rescue a lost delivery).
Each case waits for progress (the landing, counters), never for a fixed time.
"""
import argparse, json, os, socket, sys, threading, time, traceback, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'e2e'))
import e2e  # noqa: E402  (the shared harness)
from e2e import REPO, SECRET, check  # noqa: E402

ATTACK = 260  # more than landq's 256 connection slots
FRAGMENT = b'POST /webhook HTTP/1.1\r\nHost: landq\r\nX-GitHub-Event: pull_request\r\n'


class Env(e2e.Env):
    """The e2e harness with a world whose GET /meta hooks are given, and extra landq flags."""

    def __init__(self, args, name, hooks, extra):
        self.hooks, self.extra = hooks, extra
        super().__init__(args, name)

    def start(self):
        import subprocess
        args = self.args
        world = json.load(open(args.world))
        world['meta'] = {'hooks': self.hooks}
        wpath = os.path.join(self.dir, 'world.json')
        json.dump(world, open(wpath, 'w'))
        mh_port = os.path.join(self.dir, 'mockhub.port')
        self.mh_log = open(os.path.join(self.dir, 'mockhub.log'), 'w')
        self.mh = subprocess.Popen([args.mockhub, 'serve', '--world', wpath, '--listen',
                                    '127.0.0.1:0', '--port-file', mh_port, '--state-dir',
                                    os.path.join(self.dir, 'state')],
                                   stdout=self.mh_log, stderr=subprocess.STDOUT)
        self.api = 'http://127.0.0.1:%d' % self.wait_port(mh_port, self.mh, 'mockhub')
        lq_port = os.path.join(self.dir, 'landq.port')
        self.ops_port_path = os.path.join(self.dir, 'ops.port')
        self.lq_log_path = os.path.join(self.dir, 'landq.log')
        self.lq_log = open(self.lq_log_path, 'w')
        env = dict(os.environ, LANDQ_GITHUB_TOKEN='tok-landq', LANDQ_WEBHOOK_SECRET=SECRET)
        wrap = os.environ.get('LANDQ_E2E_WRAP', '').split()
        new = args.new_flags
        self.lq = subprocess.Popen(
            wrap + [args.landq, 'serve', '--github-api', self.api, '--listen', '127.0.0.1:0',
                    '--port-file', lq_port, '--repo', REPO, '--db',
                    os.path.join(self.dir, 'landq.db'), '--reconcile-interval', '0', '--verbose']
            + (['--ops-listen', '127.0.0.1:0', '--ops-port-file', self.ops_port_path] if new
               else []) + self.extra,
            env=env, stdout=self.lq_log, stderr=subprocess.STDOUT)
        self.lq_port = self.wait_port(lq_port, self.lq, 'landq')
        st, hook = self.call('POST', '/repos/%s/hooks' % REPO, 'bob', {
            'name': 'web', 'active': True,
            'events': ['pull_request', 'pull_request_review', 'status', 'check_run', 'check_suite'],
            'config': {'url': 'http://127.0.0.1:%d/webhook' % self.lq_port,
                       'content_type': 'json', 'secret': SECRET}})
        check(st == 201, 'creating the webhook: %s %s' % (st, hook))
        self.hook_id = hook['id']

    def metrics(self):
        if not self.args.new_flags:
            return ''
        port = int(open(self.ops_port_path).read())
        with urllib.request.urlopen('http://127.0.0.1:%d/metrics' % port, timeout=10) as r:
            return r.read().decode()

    def metric(self, name):
        for line in self.metrics().splitlines():
            if line.startswith(name + ' '):
                return float(line.split()[-1])
        return None


class Attacker:
    """Holds `count` connections from `source`, each with unfinished headers, reopening every
    one landq closes until stopped; a byte every few hundred ms keeps each one active (which
    defeats a plain idle timeout)."""

    def __init__(self, port, source, count):
        self.port, self.source, self.count = port, source, count
        self.stop_ev = threading.Event()
        self.opened = self.closed_by_server = 0
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def connect(self):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b'\1\0\0\0\0\0\0\0')
        s.bind((self.source, 0))
        s.settimeout(2)
        try:
            s.connect(('127.0.0.1', self.port))
            s.sendall(FRAGMENT)
        except OSError:
            s.close()
            return None
        self.opened += 1
        s.setblocking(False)
        return s

    def run(self):
        socks = []
        while not self.stop_ev.is_set():
            while len(socks) < self.count and not self.stop_ev.is_set():
                s = self.connect()
                if s is None:
                    break
                socks.append(s)
            alive = []
            for s in socks:
                try:
                    if s.recv(1, socket.MSG_PEEK) == b'':
                        raise OSError('closed')
                except BlockingIOError:
                    try:
                        s.send(b'X')
                        alive.append(s)
                        continue
                    except OSError:
                        pass
                except OSError:
                    pass
                self.closed_by_server += 1
                s.close()
            socks = alive
            self.stop_ev.wait(0.3)
        for s in socks:
            s.close()

    def stop(self):
        self.stop_ev.set()
        self.thread.join()


def land_under_attack(e, attacker):
    """#1 (approved by its owner, labeled) lands from its webhooks while the attack goes on."""
    check(e.wait('the attack to be under way', lambda: attacker.opened >= ATTACK or
                 attacker.closed_by_server > 0), 'attack did not start')
    head = e.pr(1)['head']['sha']
    e.approve(1, 'bob')
    e.label(1, 'alice')
    e.wait('#1 merged during the attack', lambda: e.merged(1))
    e.wait('success status', lambda: e.landq_status(head)[0] == 'success')
    deliveries = e.get('/repos/%s/hooks/%d/deliveries?per_page=100' % (REPO, e.hook_id))
    failed = [d for d in deliveries if d.get('status_code') not in (200, 202)]
    check(not failed, 'deliveries failed during the attack: %s' %
          [(d.get('event'), d.get('status_code'), d.get('status')) for d in failed])
    print('  %d deliveries during the attack, all acknowledged; attacker opened %d connections, '
          'the server closed %d' % (len(deliveries), attacker.opened, attacker.closed_by_server))


def case_outsider(e):
    """260 slow connections from outside GitHub's ranges never hold a slot; #1 lands."""
    a = Attacker(e.lq_port, '127.0.0.2', ATTACK)
    try:
        land_under_attack(e, a)
        if e.args.new_flags:
            refused = e.wait('refusals counted', lambda: (lambda v: v if v and v >= ATTACK else None)(
                e.metric('landq_webhook_connections_refused_total{reason="source_not_allowed"}')))
            print('  refused at accept time: %d' % refused)
    finally:
        a.stop()


def case_insider(e):
    """260 slow connections from one address inside the ranges: capped, cut off; #1 lands."""
    a = Attacker(e.lq_port, '127.0.0.2', ATTACK)
    try:
        land_under_attack(e, a)
        capped = e.wait('per-source refusals', lambda: e.metric(
            'landq_webhook_connections_refused_total{reason="per_source_limit"}'))
        cut = e.wait('header deadline', lambda: e.metric(
            'landq_webhook_connections_refused_total{reason="header_timeout"}'))
        print('  refused over the per-source cap: %d; cut off at the header deadline: %d'
              % (capped, cut))
    finally:
        a.stop()


def case_proxy(e):
    """Behind a trusted proxy: slow headers via the proxy's address are cut off, the proxy is not
    capped, outsiders are refused at accept time; #1 lands."""
    via_proxy = Attacker(e.lq_port, '127.0.0.1', 100)   # more than the per-source cap
    direct = Attacker(e.lq_port, '127.0.0.2', ATTACK)
    try:
        land_under_attack(e, direct)
        cut = e.wait('header deadline', lambda: e.metric(
            'landq_webhook_connections_refused_total{reason="header_timeout"}'))
        check(e.metric('landq_webhook_connections_refused_total{reason="per_source_limit"}') == 0,
              'the trusted proxy must not be capped')
        refused = e.wait('outsiders refused', lambda: e.metric(
            'landq_webhook_connections_refused_total{reason="source_not_allowed"}'))
        print('  via the proxy: %d opened, %d cut off at the deadline; outsiders refused: %d'
              % (via_proxy.opened, cut, refused))
    finally:
        via_proxy.stop()
        direct.stop()


CASES = {
    'outsider': (case_outsider, ['127.0.0.1/32'], []),
    'insider': (case_insider, ['127.0.0.0/30'], ['--header-timeout', '2']),
    'proxy': (case_proxy, ['127.0.0.1/32'], ['--trusted-proxy', '127.0.0.1/32',
                                             '--header-timeout', '2']),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--mockhub')
    ap.add_argument('--landq')
    ap.add_argument('--world', default=os.path.join(HERE, '..', 'e2e', 'world.json'))
    ap.add_argument('--keep', action='store_true')
    ap.add_argument('cases', nargs='*')
    args = ap.parse_args()
    if not args.mockhub or not os.access(args.mockhub, os.X_OK) or not args.landq:
        print('mockhub or landq missing: skipped')
        return 77
    try:
        socket.create_connection  # 127.0.0.2 is loopback on Linux; elsewhere skip
        s = socket.socket()
        s.bind(('127.0.0.2', 0))
        s.close()
    except OSError:
        print('cannot bind 127.0.0.2: skipped')
        return 77
    import subprocess
    helptext = subprocess.run([args.landq, 'serve', '--help'], capture_output=True,
                              text=True).stdout
    args.new_flags = '--ops-listen' in helptext  # lets this test run against an old landq
    names = args.cases or list(CASES)
    failed = 0
    for name in names:
        fn, hooks, extra = CASES[name]
        if not args.new_flags:
            extra = []
        t0 = time.time()
        print('== %s: %s' % (name, fn.__doc__))
        ok, e = True, None
        try:
            e = Env(args, name, hooks, extra)
            fn(e)
        except Exception as ex:  # noqa: BLE001
            ok = False
            print('  FAIL: %s' % ex)
            if not isinstance(ex, e2e.Fail):
                traceback.print_exc()
        if e is not None:
            ok = e.stop(ok)
        print('  %s (%.1fs)' % ('ok' if ok else 'FAILED', time.time() - t0))
        failed += not ok
    print('%d passed, %d failed' % (len(names) - failed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
