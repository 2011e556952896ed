#!/usr/bin/env python3
"""pgtest: a throwaway PostgreSQL cluster for tests and benchmarks (initdb + pg_ctl in a
temporary directory, Unix socket only unless TCP is asked for), cleaned up afterwards, also when
the test fails or its process is killed.

Library (tests/e2e, bench, chaos):

    sys.path.insert(0, "tests/support"); import pgtest
    with pgtest.Cluster() as pg:             # raises pgtest.Unavailable without PostgreSQL
        url = pg.createdb("t1")              # libpq keyword/value string for database t1
        pg.sql("t1", "SELECT 1")             # psql -XAtq, returns stdout
        pg.stop("immediate"); pg.start()     # crash and restart it (same data, same socket)

    Cluster(tcp=True) also listens on 127.0.0.1:<free port> (pg.port), for proxies and
    HAProxy; settings={"synchronous_commit": "off"} adds/overrides server settings.

Command line (meson registers C test binaries through it):

    pgtest.py run [--valgrind] -- CMD ARGS...
        starts a cluster, runs CMD with LQ_TEST_PG="host=SOCKDIR port=PORT user=landq" in its
        environment (tests append " dbname=..." after creating their database in "postgres"),
        stops and deletes the cluster, exits with CMD's status. --valgrind runs CMD under
        tests/valgrind-wrap.sh. Exit 77 (meson: skipped) when PostgreSQL is not installed.

Root: initdb refuses to run as root, so as root the cluster runs as the "postgres" system user
(runuser) in a directory it owns; clients connect through the socket as role "landq" (trust
authentication: the socket directory is private to the test). Needs the Debian packages
postgresql and libpq-dev (scripts/deps.sh installs them).
"""
import atexit, glob, os, pwd, random, shutil, signal, socket, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SETTINGS = {
    "listen_addresses": "''",
    "fsync": "on",                       # durability tests kill the server: keep it real
    "synchronous_commit": "on",
    "max_wal_size": "4GB",               # the intake benchmark writes GBs: no checkpoint storms
    "shared_buffers": "64MB",
    "max_connections": "200",
    "client_connection_check_interval": "1000",
    "log_min_messages": "warning",
    "log_checkpoints": "off",
}


class Unavailable(Exception):
    """PostgreSQL is not installed (tests skip)."""


def bindir():
    """The newest installed server's bin directory (Debian: /usr/lib/postgresql/N/bin)."""
    cands = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if cands:
        return os.path.dirname(cands[-1])
    try:
        d = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True,
                           check=True).stdout.strip()
        if os.path.exists(os.path.join(d, "initdb")):
            return d
    except (OSError, subprocess.CalledProcessError):
        pass
    raise Unavailable("PostgreSQL server binaries not found (apt-get install postgresql)")


def free_port():
    """A free port below the kernel's ephemeral range: a port-0 bind elsewhere (another test's
    landq or mockhub listener) can never take it between this probe and the server's own bind (PostgreSQL, HAProxy)."""
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


class Cluster:
    def __init__(self, tcp=False, settings=None, keep=False):
        self.bin = bindir()
        self.tcp = tcp
        self.settings = dict(DEFAULT_SETTINGS)
        if tcp:
            self.settings["listen_addresses"] = "'127.0.0.1'"
        self.settings.update(settings or {})
        self.keep = keep
        self.port = free_port() if tcp else 5432
        self.dir = None
        self.running = False
        self.as_user = None
        if os.geteuid() == 0:
            try:
                self.as_user = pwd.getpwnam("postgres")
            except KeyError:
                raise Unavailable("running as root and there is no 'postgres' user to run "
                                  "the test cluster as")
        self._watchdog = None

    # -- lifecycle ------------------------------------------------------------------------
    def __enter__(self):
        self.create()
        self.start()
        return self

    def __exit__(self, *exc):
        self.destroy()

    def _run(self, args, **kw):
        if self.as_user:
            args = ["runuser", "-u", self.as_user.pw_name, "--"] + args
        return subprocess.run(args, **kw)

    def create(self):
        self.dir = tempfile.mkdtemp(prefix="lq-pg-")
        os.chmod(self.dir, 0o755)
        if self.as_user:
            os.chown(self.dir, self.as_user.pw_uid, self.as_user.pw_gid)
        atexit.register(self.destroy)
        self._start_watchdog()
        r = self._run([os.path.join(self.bin, "initdb"), "-D", self.data, "-A", "trust",
                       "-U", "landq", "--no-sync", "-E", "UTF8", "--locale=C"],
                      capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("initdb failed:\n" + r.stdout + r.stderr)

    @property
    def data(self):
        return os.path.join(self.dir, "data")

    @property
    def socket_dir(self):
        return self.dir

    @property
    def log(self):
        return os.path.join(self.dir, "server.log")

    def start(self):
        opts = " ".join("-c %s=%s" % (k, v) for k, v in self.settings.items())
        opts += " -k %s -p %d" % (self.socket_dir, self.port)
        r = self._run([os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-w", "-t", "60",
                       "-l", self.log, "-o", opts, "start"], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("pg_ctl start failed:\n%s%s\n%s" % (r.stdout, r.stderr,
                                                                   self.log_tail()))
        self.running = True

    def stop(self, mode="fast"):
        """mode: smart | fast | immediate (immediate = crash: no checkpoint, clients cut)."""
        if not self.running:
            return
        self._run([os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-w", "-t", "60",
                   "-m", mode, "stop"], capture_output=True, text=True)
        self.running = False

    def destroy(self):
        if not self.dir:
            return
        self.stop("immediate")
        if self._watchdog and self._watchdog.poll() is None:
            self._watchdog.kill()
            self._watchdog.wait()
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None

    def _start_watchdog(self):
        """A detached shell that stops the cluster and deletes it if this process dies without
        cleaning up (SIGKILL by a test runner's timeout)."""
        pg_ctl = os.path.join(self.bin, "pg_ctl")
        stop = "%s -D %s -m immediate stop" % (pg_ctl, self.data)
        if self.as_user:
            stop = "runuser -u %s -- %s" % (self.as_user.pw_name, stop)
        script = ("while kill -0 %d 2>/dev/null; do sleep 1; done; "
                  "[ -d %s ] && { %s >/dev/null 2>&1; %s; }" %
                  (os.getpid(), self.dir, stop,
                   ":" if self.keep else "rm -rf %s" % self.dir))
        self._watchdog = subprocess.Popen(["sh", "-c", script], start_new_session=True,
                                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL)

    # -- clients --------------------------------------------------------------------------
    def conninfo(self, dbname=None):
        """libpq keyword/value string over the Unix socket."""
        s = "host=%s port=%d user=landq" % (self.socket_dir, self.port)
        return s + (" dbname=%s" % dbname if dbname else "")

    def url(self, dbname, host="127.0.0.1", port=None):
        """postgresql:// URI over TCP (needs tcp=True), for proxies and failover tests."""
        return "postgresql://landq@%s:%d/%s" % (host, port or self.port, dbname)

    def sql(self, dbname, query, check=True):
        r = subprocess.run([os.path.join(self.bin, "psql"), "-XAtq", "-v", "ON_ERROR_STOP=1",
                            "-d", self.conninfo(dbname), "-c", query],
                           capture_output=True, text=True)
        if check and r.returncode != 0:
            raise RuntimeError("psql: %s: %s" % (query, r.stderr.strip()))
        return r.stdout

    def createdb(self, name):
        self.sql("postgres", 'CREATE DATABASE "%s"' % name)
        return self.conninfo(name)

    def dropdb(self, name):
        self.sql("postgres", 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name, check=False)

    def log_tail(self, n=30):
        try:
            with open(self.log) as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(prog="pgtest.py")
    sub = ap.add_subparsers(dest="cmd", required=True)
    run = sub.add_parser("run", help="run a command against a fresh cluster")
    run.add_argument("--valgrind", action="store_true")
    run.add_argument("--tcp", action="store_true")
    run.add_argument("argv", nargs=argparse.REMAINDER)
    args = ap.parse_args(argv)
    cmd = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    if not cmd:
        ap.error("run: no command")
    try:
        cluster = Cluster(tcp=args.tcp)
    except Unavailable as e:
        print("pgtest: skipped: %s" % e, file=sys.stderr)
        return 77
    if args.valgrind:
        cmd = [os.path.join(HERE, "..", "valgrind-wrap.sh")] + cmd
    child = None

    def on_signal(signum, frame):
        if child and child.poll() is None:
            child.send_signal(signum)
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with cluster:
        env = dict(os.environ, LQ_TEST_PG=cluster.conninfo())
        if args.tcp:
            env["LQ_TEST_PG_PORT"] = str(cluster.port)
        child = subprocess.Popen(cmd, env=env)
        rc = child.wait()
        if rc != 0:
            sys.stderr.write("pgtest: server log tail:\n" + cluster.log_tail())
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
