#!/usr/bin/env python3
"""landq behind a real HAProxy configured as docs/deploy.md says (deploy/haproxy.cfg, TLS
replaced by plain HTTP on a free loopback port): mockhub's webhooks go through HAProxy, landq
trusts 127.0.0.1 as its proxy, GET /meta's hooks are 127.0.0.1/32.
- a pull request lands through the proxy;
- a client that sends its own X-Forwarded-For (a GitHub address) through the proxy is refused:
  HAProxy adds a second X-Forwarded-For line and landq reads every line (issue 13, defect 1);
- slow headers through the proxy are cut off by HAProxy's `timeout http-request`, never reaching
  landq, while the landing above goes on;
- paths other than /webhook and /healthz are refused by the proxy.
usage: haproxy.py --mockhub BIN --landq BIN [--world FILE]   (exit 77 when HAProxy is missing)"""
import argparse, hashlib, hmac, http.client, os, re, shutil, socket, subprocess, sys, time
import random, traceback, uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'e2e'))
import e2e  # noqa: E402
import slowloris  # noqa: E402
from e2e import REPO, SECRET, check  # noqa: E402


def free_port():
    """A free port below the kernel's ephemeral range: a port-0 bind elsewhere (another test's
    landq or mockhub listener) can never take it between this probe and HAProxy's own bind."""
    try:
        lo = int(open('/proc/sys/net/ipv4/ip_local_port_range').read().split()[0])
    except (OSError, ValueError, IndexError):
        lo = 32768
    rnd = random.Random(os.getpid() ^ int(time.time() * 1000))
    for _ in range(500):
        p = rnd.randrange(max(1024, lo - 12000), lo)
        s = socket.socket()
        try:
            s.bind(('127.0.0.1', p))
            return p
        except OSError:
            continue
        finally:
            s.close()
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Env(slowloris.Env):
    def start(self):
        super().start()  # mockhub + landq; the webhook points at landq: repoint it below
        cfg = open(os.path.join(HERE, '..', '..', 'deploy', 'haproxy.cfg')).read()
        self.hp_port = free_port()
        cfg = cfg.replace('bind :443 ssl crt /etc/haproxy/certs/landq.pem alpn http/1.1',
                          'bind 127.0.0.1:%d' % self.hp_port)
        cfg = cfg.replace('server landq 127.0.0.1:8080', 'server landq 127.0.0.1:%d' % self.lq_port)
        cfg = re.sub(r'^\s*(user|group|daemon|log /dev/log).*$', '', cfg, flags=re.M)
        cfg = cfg.replace('timeout http-request 10s', 'timeout http-request 2s')
        check('bind 127.0.0.1' in cfg and 'server landq 127.0.0.1:%d' % self.lq_port in cfg,
              'deploy/haproxy.cfg changed shape: update this test')
        path = os.path.join(self.dir, 'haproxy.cfg')
        open(path, 'w').write(cfg)
        self.hp_log = open(os.path.join(self.dir, 'haproxy.log'), 'w')
        self.hp = subprocess.Popen([self.args.haproxy, '-db', '-f', path], stdout=self.hp_log,
                                   stderr=subprocess.STDOUT)
        end = time.time() + 30
        while True:
            try:
                socket.create_connection(('127.0.0.1', self.hp_port), timeout=1).close()
                break
            except OSError:
                check(self.hp.poll() is None and time.time() < end, 'HAProxy did not start')
                time.sleep(0.05)
        st, j = self.call('DELETE', '/repos/%s/hooks/%d' % (REPO, self.hook_id), 'bob')
        check(st == 204, 'deleting the direct webhook: %s %s' % (st, j))
        st, hook = self.call('POST', '/repos/%s/hooks' % REPO, 'bob', {
            'name': 'web', 'active': True,
            'events': ['pull_request', 'pull_request_review', 'status', 'check_run', 'check_suite'],
            'config': {'url': 'http://127.0.0.1:%d/webhook' % self.hp_port,
                       'content_type': 'json', 'secret': SECRET}})
        check(st == 201, 'the webhook through HAProxy: %s %s' % (st, hook))
        self.hook_id = hook['id']

    def stop(self, ok):
        if getattr(self, 'hp', None) and self.hp.poll() is None:
            self.hp.terminate()
            self.hp.wait(timeout=10)
        return super().stop(ok)


def post_via_proxy(port, source, xff=None, path='/webhook'):
    body = b'{"action":"labeled","number":1,"zen":"%s"}' % uuid.uuid4().hex.encode()
    sig = 'sha256=' + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    c = http.client.HTTPConnection('127.0.0.1', port, timeout=10, source_address=(source, 0))
    c.putrequest('POST', path)
    for k, v in [('X-GitHub-Event', 'pull_request'), ('X-GitHub-Delivery', str(uuid.uuid4())),
                 ('X-Hub-Signature-256', sig), ('Content-Type', 'application/json'),
                 ('Content-Length', str(len(body)))] + ([('X-Forwarded-For', xff)] if xff else []):
        c.putheader(k, v)
    c.endheaders(body)
    r = c.getresponse()
    r.read()
    c.close()
    return r.status


def case_behind_haproxy(e):
    """Through HAProxy: lands; a spoofed X-Forwarded-For is refused; slow headers stay at the proxy."""
    # A spoofed GitHub address from an outsider (127.0.0.2): HAProxy appends the real one.
    st = post_via_proxy(e.hp_port, '127.0.0.2', '127.0.0.1')
    check(st == 403, 'a spoofed X-Forwarded-For through HAProxy was believed (%s)' % st)
    check(post_via_proxy(e.hp_port, '127.0.0.1', path='/metrics') == 404,
          'HAProxy must not forward /metrics')
    slow = slowloris.Attacker(e.hp_port, '127.0.0.2', 20)  # under HAProxy's per-source cap
    try:
        slowloris.land_under_attack(e, slow)
        e.wait('HAProxy cutting slow headers off', lambda: slow.closed_by_server > 0)
        check(not e.args.new_flags or e.metric(
            'landq_webhook_connections_refused_total{reason="header_timeout"}') == 0,
            'slow headers reached landq through HAProxy')
        print('  HAProxy closed %d slow connections; landq saw none of them' %
              slow.closed_by_server)
    finally:
        slow.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--mockhub')
    ap.add_argument('--landq')
    ap.add_argument('--world', default=os.path.join(HERE, '..', 'e2e', 'world.json'))
    ap.add_argument('--keep', action='store_true')
    args = ap.parse_args()
    args.haproxy = shutil.which('haproxy') or ('/usr/sbin/haproxy'
                                               if os.access('/usr/sbin/haproxy', os.X_OK) else None)
    if not args.haproxy or not args.mockhub or not args.landq:
        print('haproxy, mockhub or landq missing: skipped')
        return 77
    helptext = subprocess.run([args.landq, 'serve', '--help'], capture_output=True,
                              text=True).stdout
    args.new_flags = '--ops-listen' in helptext  # lets this test run against an old landq
    ok, e = True, None
    t0 = time.time()
    print('== behind-haproxy: %s' % case_behind_haproxy.__doc__)
    try:
        e = Env(args, 'haproxy', ['127.0.0.1/32'], ['--trusted-proxy', '127.0.0.1/32'])
        case_behind_haproxy(e)
    except Exception as ex:  # noqa: BLE001
        ok = False
        print('  FAIL: %s' % ex)
        if not isinstance(ex, e2e.Fail):
            traceback.print_exc()
    if e is not None:
        ok = e.stop(ok)
    print('  %s (%.1fs)' % ('ok' if ok else 'FAILED', time.time() - t0))
    print('%d passed, %d failed' % (int(ok), int(not ok)))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
