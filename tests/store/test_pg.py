"""
test_pg.py: the throwaway PostgreSQL of tests/lib/pg.py works: it starts on
a loopback port with fsync on, psql connects to its URL, it can be halted
and resumed on the same data, and stop() removes it; run as a script it
prints a URL, serves it, and cleans up on SIGTERM.
"""

import os
import select
import signal
import subprocess
import sys
import time

import pg

LIB = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib")


def test_start_connect_stop(t):
    db = pg.Postgres()
    db.start()
    try:
        assert db.url.startswith("postgres://tracklink@127.0.0.1:"), db.url
        assert db.psql("SHOW fsync").strip() == "on"
        assert db.psql("SHOW listen_addresses").strip() == "127.0.0.1"
        assert db.psql("SELECT current_database()").strip() == "tracklink"
        db.psql("CREATE TABLE t (x int); INSERT INTO t VALUES (41), (1)")
        db.halt()
        try:
            db.psql("SELECT 1")
            raise AssertionError("psql connected to a halted server")
        except RuntimeError:
            pass
        db.resume()
        assert db.psql("SELECT sum(x) FROM t").strip() == "42"
        other = db.createdb("second")
        assert other.endswith("/second"), other
        assert db.psql("SELECT 1", dbname="second").strip() == "1"
        where = db.dir
    finally:
        db.stop()
    assert not os.path.exists(where), where
    db.stop()  # twice is fine


def test_script_prints_url_and_cleans_up(t):
    p = subprocess.Popen([sys.executable, os.path.join(LIB, "pg.py")], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        ready, _, _ = select.select([p.stdout], [], [], pg.START_TIMEOUT + 30)
        assert ready, "pg.py printed no URL"
        url = p.stdout.readline().strip()
        assert url.startswith("postgres://tracklink@127.0.0.1:"), url
        out = subprocess.run([os.path.join(pg.bindir(), "psql"), "-X", "-A", "-t", "-d", url,
                              "-c", "SELECT 6 * 7"], capture_output=True, text=True, timeout=60)
        assert out.stdout.strip() == "42", out.stdout + out.stderr
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=60) == 0, p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    # The server is gone: nothing answers on its port any more.
    out = subprocess.run([os.path.join(pg.bindir(), "pg_isready"), "-h", "127.0.0.1", "-p",
                          str(port)], capture_output=True, text=True, timeout=60)
    assert out.returncode != 0, out.stdout
