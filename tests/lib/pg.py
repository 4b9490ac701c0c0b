"""
pg.py: a throwaway PostgreSQL for tracklink's tests and benches.

    with pg.Postgres() as db:        # initdb + start on a free loopback port
        db.url                       # postgres://tracklink@127.0.0.1:PORT/tracklink
        db.psql("SELECT 1")          # runs psql, returns its stdout (unaligned, no header)
        db.createdb("other")         # another database, returns its URL
        db.halt(); db.resume()       # stop and start the server on the same data and port

The cluster lives in a fresh temporary directory (data, log and the unix
socket), is owned by the postgres user when run as root (initdb refuses
root, so every server command then goes through `runuser -u postgres`),
runs with fsync on (the tests measure durable writes), trusts loopback
connections (nothing but this machine can reach it), and is stopped and
removed by stop(), at the end of a with block, or at exit.

As a script it starts one, prints its URL on one line, and waits until it
is interrupted (SIGINT or SIGTERM), then stops and removes it:

    python3 tests/lib/pg.py [--dbname NAME]

Standard library only. The binaries are found in $TL_PG_BIN, else in the
newest /usr/lib/postgresql/*/bin (Debian's layout), else on PATH.
"""

import atexit
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

USER = "tracklink"
START_TIMEOUT = 60  # seconds; the machine may be busy
_live = set()
_live_lock = threading.Lock()


def bindir():
    """The directory holding initdb, pg_ctl and psql."""
    env = os.environ.get("TL_PG_BIN")
    if env:
        return env
    dirs = glob.glob("/usr/lib/postgresql/*/bin")
    dirs = [d for d in dirs if os.path.exists(os.path.join(d, "initdb"))]
    if dirs:
        dirs.sort(key=lambda d: int(d.split("/")[-2]) if d.split("/")[-2].isdigit() else 0)
        return dirs[-1]
    found = shutil.which("initdb")
    if found:
        return os.path.dirname(found)
    raise RuntimeError("PostgreSQL server binaries not found (scripts/deps.sh installs postgresql)")


def available():
    """True when a PostgreSQL server can be started here."""
    try:
        bindir()
    except RuntimeError:
        return False
    return os.geteuid() != 0 or _has_user("postgres")


def _has_user(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Postgres:
    """One throwaway cluster; see the module's docstring."""

    def __init__(self, dbname="tracklink", settings=None):
        self.dbname = dbname
        self.settings = dict(settings or {})
        self.bin = bindir()
        self.as_postgres = os.geteuid() == 0
        self.dir = None
        self.port = None
        self.running = False

    # -------------------------------------------------------------- paths

    @property
    def data(self):
        return os.path.join(self.dir, "data")

    @property
    def logfile(self):
        return os.path.join(self.dir, "server.log")

    @property
    def url(self):
        return self.url_for(self.dbname)

    def url_for(self, dbname):
        return "postgres://%s@127.0.0.1:%d/%s" % (USER, self.port, dbname)

    # ----------------------------------------------------------- commands

    def _cmd(self, prog, *args):
        cmd = [os.path.join(self.bin, prog)] + list(args)
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        return cmd

    def _run(self, prog, *args, timeout=START_TIMEOUT, check=True):
        p = subprocess.run(self._cmd(prog, *args), capture_output=True, text=True,
                           errors="replace", timeout=timeout, cwd=self.dir)
        if check and p.returncode != 0:
            raise RuntimeError("%s failed (exit %d): %s%s\n%s" % (
                prog, p.returncode, p.stdout[-2000:], p.stderr[-2000:], self.log_tail()))
        return p

    def log_tail(self, n=20):
        try:
            with open(self.logfile, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    # ---------------------------------------------------------- lifecycle

    def start(self):
        """Creates the cluster and starts it; returns self."""
        self.dir = tempfile.mkdtemp(prefix="tl-pg-")
        if self.as_postgres:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        with _live_lock:
            _live.add(self)
        try:
            self._run("initdb", "-D", self.data, "-U", USER, "--auth=trust", "-E", "UTF8",
                      "--locale=C", "--no-instructions")
            self._start_server(new_port=True)
            self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", USER,
                      self.dbname)
        except BaseException:
            self.stop()
            raise
        return self

    def _options(self):
        opts = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": self.dir,
            "fsync": "on",
            "synchronous_commit": "on",
            "max_connections": "200",
            "shared_buffers": "64MB",
        }
        opts.update(self.settings)
        return " ".join("-c %s=%s" % (k, v) for k, v in opts.items())

    def _start_server(self, new_port):
        # A free port may be taken by someone else before the server binds
        # it: try a few.
        last = None
        for _ in range(5):
            if new_port or self.port is None:
                self.port = free_port()
            p = self._run("pg_ctl", "-D", self.data, "-l", self.logfile, "-w",
                          "-t", str(START_TIMEOUT), "-o", self._options(), "start",
                          check=False, timeout=START_TIMEOUT + 10)
            if p.returncode == 0:
                self.running = True
                return
            last = p.stdout + p.stderr + self.log_tail()
            if not new_port:
                break
        raise RuntimeError("PostgreSQL did not start:\n%s" % last)

    def halt(self, mode="fast"):
        """Stops the server, keeping the data (mode: smart, fast, immediate)."""
        if self.running:
            self._run("pg_ctl", "-D", self.data, "-m", mode, "-w", "stop", check=False)
            self.running = False

    def resume(self):
        """Starts the halted server again on the same port."""
        self._start_server(new_port=False)

    def stop(self):
        """Stops the server and removes the cluster. Safe to call twice."""
        try:
            if self.dir and os.path.isdir(self.data):
                self.halt("fast" if self.running else "immediate")
        finally:
            if self.dir:
                shutil.rmtree(self.dir, ignore_errors=True)
                self.dir = None
            with _live_lock:
                _live.discard(self)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ------------------------------------------------------------ clients

    def psql(self, sql, dbname=None, check=True):
        """Runs sql with psql (stop on the first error); returns stdout."""
        p = subprocess.run(
            [os.path.join(self.bin, "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
             "-d", self.url_for(dbname or self.dbname), "-c", sql],
            capture_output=True, text=True, errors="replace", timeout=START_TIMEOUT)
        if check and p.returncode != 0:
            raise RuntimeError("psql failed (exit %d): %s" % (p.returncode, p.stderr.strip()))
        return p.stdout

    def createdb(self, name):
        """Creates another database in the cluster; returns its URL."""
        self.psql('CREATE DATABASE "%s"' % name.replace('"', '""'))
        return self.url_for(name)


@atexit.register
def _stop_all():
    with _live_lock:
        live = list(_live)
    for db in live:
        try:
            db.stop()
        except Exception:
            pass


def main(argv):
    import argparse

    ap = argparse.ArgumentParser(description="Starts a throwaway PostgreSQL and prints its URL.")
    ap.add_argument("--dbname", default="tracklink")
    args = ap.parse_args(argv)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with Postgres(args.dbname) as db:
        print(db.url, flush=True)
        while not stop.is_set():
            stop.wait(1.0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
