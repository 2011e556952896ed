#!/usr/bin/env python3
"""Crash safety of `landq serve` (issue 8): SIGKILL at many points of a landing, restart, check.

usage: crash.py --mockhub BIN --landq BIN [--world FILE] [--seed N] [--points N] [--jobs N] [--keep]
       (default: every request of the landing is a kill point; --points N samples N of them;
       --jobs N runs N kill points at a time, each with its own mockhub and landq: default 2,
       LANDQ_CRASH_JOBS)

Two approved pull requests (#5, #6 of tests/e2e/world.json) are labeled one after the other.
A reference run counts the REST requests landq makes until both landed and everything settled
(R). Then for each kill point K of a seeded schedule over 1..R (always including the merge
requests and the requests right after them), a fresh mockhub + landq: mockhub holds landq's
K-th request (a `delay` fault with `skip`), the test SIGKILLs landq while that request is in
flight (GitHub still acts on it 300 ms later: the answer is simply never read), restarts landq on
the same port and database once that happened (a real restart takes longer), and checks:
  - both pull requests merged, each by exactly one successful merge request,
  - main gained exactly two commits, #6 on top of #5 (the queue order kept),
  - exactly one landq comment per pull request, a success status on each head.
Webhooks sent while landq is down are lost (mockhub records the failed delivery); the start-up
reconciliation sweep and the resume of the queue must make up for them.
Exit status 0 = every kill point passed; 77 = skipped.
"""
import argparse, concurrent.futures, io, os, random, signal, socket, subprocess, sys, time, traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import e2e  # noqa: E402
from e2e import Fail, check, REPO  # noqa: E402
from ops import OpsEnv  # noqa: E402

FLAGS = ['--reconcile-interval', '3600']  # one sweep, at start-up: deterministic counts


def landq_requests(e, since=0):
    return [r for r in e.requests() if r.get('user') == 'landq-bot' and r.get('seq', 0) > since]


def control(e, method, path, body=None):
    st, j = e.call(method, path, None, body)
    check(st in (200, 201, 204), '%s %s: %s %s' % (method, path, st, j))
    return j


def pr_state(e, n):
    """Merged? via the control API (not counted as a request, not subject to faults)."""
    s = control(e, 'GET', '/_mockhub/state')
    for r in s.get('repos', []):
        if r.get('full_name') == REPO:
            for p in r.get('pulls', []):
                if p.get('number') == n:
                    return p
    return {}


def prepare(e):
    e.approve(5, 'bob')
    e.approve(6, 'bob')
    e.idle()
    e.wait('start-up sweep', lambda: [r for r in landq_requests(e)
                                      if r.get('route') == 'issues/list-for-repo'])
    return e.main_commit()['sha']


def label_both(e):
    e.label(5, 'alice')
    e.label(6, 'alice')


def verify(e, before):
    e.wait('#5 and #6 merged', lambda: e.merged(5) and e.merged(6), timeout=45)
    e.idle()
    p5, p6 = e.pr(5), e.pr(6)
    reqs = e.requests()
    for n in (5, 6):
        ok = [r for r in reqs if r.get('method') == 'PUT' and
              r.get('path', '').endswith('/pulls/%d/merge' % n) and r.get('status') == 200]
        check(len(ok) == 1, '#%d: %d successful merge requests' % (n, len(ok)))
    c6 = e.get('/repos/%s/commits/%s' % (REPO, p6['merge_commit_sha']))
    c5 = e.get('/repos/%s/commits/%s' % (REPO, p5['merge_commit_sha']))
    check(c6['parents'][0]['sha'] == p5['merge_commit_sha'], 'queue order: #6 not on top of #5')
    check(c5['parents'][0]['sha'] == before, 'main gained more than two commits')
    check(e.main_commit()['sha'] == p6['merge_commit_sha'], 'main is not #6')
    for n, p in ((5, p5), (6, p6)):
        e.wait('#%d success status' % n, lambda: e.landq_landed(p['head']['sha']))
        e.wait('#%d landed comment' % n, lambda: [c for c in e.landq_comments(n)
                                                  if 'landed' in c['body']])
        cs = e.landq_comments(n)
        check(len(cs) == 1, '#%d: %d landq comments (wanted 1)' % (n, len(cs)))


def reference(args):
    e = OpsEnv(args, 'crash-ref', extra=FLAGS)
    ok = False
    try:
        before = prepare(e)
        seq0 = max([r.get('seq', 0) for r in e.requests()] + [0])
        label_both(e)
        verify(e, before)
        time.sleep(1.0)
        e.idle()
        reqs = landq_requests(e, seq0)
        ok = True
        return reqs
    finally:
        e.stop(ok)


def run_point(args, k, out):
    e = OpsEnv(args, 'crash-%d' % k, extra=FLAGS)
    ok = False
    try:
        before = prepare(e)
        # Hold the k-th of landq's own requests: the rule counts only landq-bot's, so the test's
        # label requests (which landq's first reads may overtake) do not shift it.
        control(e, 'POST', '/_mockhub/faults', {'kind': 'delay', 'method': '*',
                                                'path': '/repos/*', 'delay_ms': 300,
                                                'user': 'landq-bot', 'skip': k - 1, 'times': 1})
        seq0 = max([r.get('seq', 0) for r in e.requests()] + [0])
        label_both(e)
        # Wait for the held request; a landing can take a request or two fewer than the
        # reference run (a 304 answered from a read another evaluation made), so a late kill point
        # may never come: that run must then simply have landed both, and says so.
        fired, last, quiet_since, reached = False, -1, time.time(), True
        while not fired:
            fs = control(e, 'GET', '/_mockhub/faults')
            fs = fs.get('faults', fs) if isinstance(fs, dict) else fs
            fired = any(f.get('fired', 0) >= 1 for f in fs)
            if fired:
                break
            made = len(landq_requests(e, seq0))
            if made != last:
                last, quiet_since = made, time.time()
            quiet = time.time() - quiet_since
            if quiet > 3.0 and made < k and e.merged(5) and e.merged(6):
                reached = False
                break
            check(quiet < 30.0, 'landq made no request for 30 s after its %d-th, neither '
                  'reaching request %d nor landing both' % (made, k))
            time.sleep(0.01)
        if not reached:
            out.write('  this run made %d requests (the reference %d): request %d never came; '
                      'both landed, checked as such\n' % (last, args.total, k))
            verify(e, before)
            ok = True
        else:
            e.lq.send_signal(signal.SIGKILL)
            e.lq.wait()
            # Keep landq's webhook port until the restart: with kill points running side by side
            # (--jobs), another run's connection could otherwise take it as its local port.
            hold = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            hold.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                hold.bind(('127.0.0.1', e.lq_port))
            except OSError:
                hold.close()
                hold = None
            # The held request is still carried out by GitHub (after 300 ms); a real restart takes
            # longer than that, so let it finish (it shows up in the request log) before landq
            # comes back.
            seen = max([r.get('seq', 0) for r in e.requests()] + [0])
            end = time.time() + 30  # 300 ms normally; generous for a loaded machine
            while time.time() < end and not landq_requests(e, seen):
                time.sleep(0.05)
            check(landq_requests(e, seen), 'the held request %d never completed' % k)
            control(e, 'DELETE', '/_mockhub/faults')
            e.listen = '127.0.0.1:%d' % e.lq_port
            os.unlink(e.lq_port_path)
            e.lq_log.write('---- SIGKILL at request %d; restart\n' % k)
            e.lq_log.flush()
            if hold:
                hold.close()
            for attempt in range(5):  # the port may still be taken for a moment
                e.lq = e.spawn_landq()
                try:
                    e.wait_port(e.lq_port_path, e.lq, 'landq (restarted)')
                    break
                except Fail:
                    if attempt == 4 or e.lq.poll() is None:
                        raise
                    e.lq_log.write('---- restart failed (port %d taken?); again\n' % e.lq_port)
                    e.lq_log.flush()
                    time.sleep(0.5)
            verify(e, before)
            ok = True
    finally:
        ok = e.stop(ok)
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--mockhub')
    ap.add_argument('--landq')
    ap.add_argument('--world', default=os.path.join(HERE, 'world.json'))
    ap.add_argument('--keep', action='store_true')
    ap.add_argument('--seed', type=int, default=int(os.environ.get('LANDQ_CRASH_SEED', '8')))
    ap.add_argument('--points', type=int,
                    default=int(os.environ.get('LANDQ_CRASH_POINTS', '0')),
                    help='number of kill points (0 = every request of the landing)')
    ap.add_argument('--jobs', type=int, default=int(os.environ.get('LANDQ_CRASH_JOBS', '2')),
                    help='kill points run at a time (each with its own mockhub and landq)')
    args = ap.parse_args()
    if not args.mockhub or not os.access(args.mockhub, os.X_OK) or not args.landq:
        print('mockhub or landq missing: skipped')
        return 77
    t0 = time.time()
    try:
        ref = reference(args)
    except Exception as ex:  # noqa: BLE001
        print('reference run failed: %s' % ex)
        traceback.print_exc()
        return 1
    total = len(ref)
    args.total = total
    merges = [i + 1 for i, r in enumerate(ref) if r.get('method') == 'PUT']
    writes = [i + 1 for i, r in enumerate(ref) if r.get('method') != 'GET']
    must = sorted({k for m in merges for k in (m, m + 1) if k <= total})
    rng = random.Random(args.seed)
    rest = [k for k in range(1, total + 1) if k not in must]
    want = total if args.points <= 0 else args.points
    pick = sorted(set(must) | set(rng.sample(rest, max(0, min(len(rest), want - len(must))))))
    print('reference landing: %d landq requests (%d writes; merges at %s); seed %d; kill points %s'
          % (total, len(writes), merges, args.seed, pick))
    def one(k):
        # each kill point its own mockhub and landq (own ports, directories); its lines are
        # printed together when it ends
        t = time.time()
        r = ref[k - 1]
        out = io.StringIO()
        out.write('== kill at request %d (%s %s)\n' % (k, r.get('method'), r.get('path')))
        try:
            ok = run_point(args, k, out)
        except Exception as ex:  # noqa: BLE001
            ok = False
            out.write('  FAIL: %s\n' % ex)
            if not isinstance(ex, Fail):
                out.write(traceback.format_exc())
        out.write('  %s (%.1fs)\n' % ('ok' if ok else 'FAILED', time.time() - t))
        return k, ok, out.getvalue()

    failed = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for k, ok, text in pool.map(one, pick):
            sys.stdout.write(text)
            sys.stdout.flush()
            if not ok:
                failed.append(k)
    print('%d kill points, %d failed %s, %.1fs in all' % (len(pick), len(failed), failed or '',
                                                       time.time() - t0))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
