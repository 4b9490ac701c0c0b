"""
test_pg_engine.py: the PostgreSQL engine (src/store/postgres.c), driven by
build/pg_probe against a throwaway PostgreSQL (tests/lib/pg.py):

- URLs: postgres:// and postgresql:// URLs that libpq accepts pass, others
  are refused with a reason;
- migrations: four nodes starting at once against one empty database
  apply each migration exactly once between them (the advisory lock), and
  a later start applies none; the schema has the tables and columns of
  the SQLite migrations;
- group commit: writes queued while the writer is busy share one commit,
  each in its own savepoint (a conflicting write fails alone), and an
  asynchronous write is told after its commit;
- outages: when PostgreSQL stops, ping and writes answer unavailable and
  the health is down; when it is back the engine reconnects on its own;
  each change is logged once;
- accounts (postgres_accounts.c) on the engine, through pg_probe;
- until every resource has a PostgreSQL file, tracklink refuses postgres://
  URLs with a clear error.
"""

import glob
import json
import os
import select
import sqlite3
import subprocess
import time

import pg

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WAIT = 60.0


def probe(t):
    return os.path.join(t.build, "pg_probe")


def test_url_check(t):
    for url in ("postgres://u@127.0.0.1:5432/db", "postgresql://u:pw@[::1]/db?sslmode=disable",
                "postgres:///db?host=/tmp"):
        p = subprocess.run([probe(t), "url", url], capture_output=True, text=True, timeout=30)
        assert p.returncode == 0 and p.stdout.strip() == "ok", (url, p.stdout, p.stderr)
    for url in ("sqlite:x.db", "postgres://u@h/db?nosuchoption=1", "http://h/db"):
        p = subprocess.run([probe(t), "url", url], capture_output=True, text=True, timeout=30)
        assert p.returncode == 1, (url, p.stdout)
        assert "URL" in p.stdout, p.stdout


def sqlite_schema():
    db = sqlite3.connect(":memory:")
    for f in sorted(glob.glob(os.path.join(ROOT, "src/store/migrations/sqlite/*.sql"))):
        db.executescript(open(f).read())
    out = {}
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        out[name] = sorted(r[1] for r in db.execute("PRAGMA table_info(%s)" % name))
    out["schema_migrations"] = ["applied_at", "name", "version"]  # the engines' own
    return out


# Tables that only PostgreSQL has, with the reason.
PG_ONLY = {
    # several nodes share one PostgreSQL: the change log tells each node's
    # caches what the others changed (migrations/postgres/007); an SQLite
    # store is one node, whose own writes store/ops.c announces
    "change_log": ["campaign_id", "created_at", "id", "key_hash", "kind", "object_id", "xid"],
    "change_log_horizon": ["one", "pruned_to"],
}


def pg_schema(db, dbname):
    out = {}
    rows = db.psql("SELECT table_name, column_name FROM information_schema.columns "
                   "WHERE table_schema = 'public'", dbname=dbname)
    for line in rows.splitlines():
        table, col = line.split("|")
        out.setdefault(table, []).append(col)
    return {k: sorted(v) for k, v in out.items()}


def test_migrations_once_when_nodes_start_together(t):
    with pg.Postgres() as db:
        url = db.createdb("race")
        procs = [subprocess.Popen([probe(t), "migrate", url], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(4)]
        applied = []
        for p in procs:
            out, err = p.communicate(timeout=WAIT)
            assert p.returncode == 0, err
            applied.append(json.loads(out)["applied"])
        n = len(glob.glob(os.path.join(ROOT, "src/store/migrations/postgres/*.sql")))
        assert sum(applied) == n, applied
        assert sorted(applied) == [0, 0, 0, n], applied
        versions = db.psql("SELECT version FROM schema_migrations ORDER BY version",
                           dbname="race").split()
        files = sorted(glob.glob(os.path.join(ROOT, "src/store/migrations/postgres/*.sql")))
        want_versions = sorted(int(os.path.basename(f).split("_")[0]) for f in files)
        assert versions == [str(v) for v in want_versions], versions
        # A later start has nothing to do.
        p = subprocess.run([probe(t), "migrate", url], capture_output=True, text=True,
                           timeout=WAIT)
        assert p.returncode == 0 and json.loads(p.stdout)["applied"] == 0, p.stdout + p.stderr
        # The same tables and columns as SQLite's (and schema_migrations),
        # and the PostgreSQL-only tables.
        want = sqlite_schema()
        want.update(PG_ONLY)
        got = pg_schema(db, "race")
        diff = {k: (want.get(k), got.get(k)) for k in set(want) | set(got)
                if want.get(k) != got.get(k)}
        assert not diff, diff


def test_group_commit(t):
    with pg.Postgres() as db:
        p = subprocess.run([probe(t), "write", db.url, "16"], capture_output=True, text=True,
                           timeout=WAIT)
        assert p.returncode == 0, p.stderr
        got = json.loads(p.stdout)
        # 16 rows, the duplicates of rows 1 and 2 and a job that fails on
        # its own each refused alone, then the async row.
        assert got["ok"] == 17 and got["conflict"] == 2 and got["notfound"] == 1, got
        # The gate job alone, the 18 queued behind it together, the async one.
        assert got["jobs"] == 20 and got["commits"] == 3, got
        rows = db.psql("SELECT count(*), min(id), max(id) FROM probe_w").strip()
        assert rows == "17|0|16", rows


def readline(p, timeout=WAIT):
    ready, _, _ = select.select([p.stdout], [], [], timeout)
    assert ready, "pg_probe said nothing"
    return p.stdout.readline().strip()


def ask(p, what):
    p.stdin.write(what + "\n")
    p.stdin.flush()
    return readline(p)


def wait_for(p, what, want):
    deadline = time.time() + WAIT
    got = None
    while time.time() < deadline:
        got = ask(p, what)
        if got == want:
            return
        time.sleep(0.1)
    raise AssertionError("%s: %s, wanted %s" % (what, got, want))


def test_outage_and_reconnect(t):
    with pg.Postgres() as db:
        errfile = os.path.join(t.tmpdir(), "stderr")
        with open(errfile, "w") as ef:
            p = subprocess.Popen([probe(t), "serve", db.url], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=ef, text=True)
        try:
            assert readline(p) == "ready"
            assert ask(p, "ping") == "ok"
            assert ask(p, "health") == "up"
            db.halt()
            # A ping finds its connection dead; then the keeper cannot
            # connect, and pings are refused at once.
            wait_for(p, "ping", "unavailable")
            wait_for(p, "health", "down")
            assert ask(p, "ping") == "unavailable"
            assert ask(p, "write") == "unavailable"
            time.sleep(1.0)  # a few reconnect attempts fail meanwhile
            db.resume()
            wait_for(p, "ping", "ok")
            assert ask(p, "health") == "up"
            # Both connections of the pool work again, and so do writes.
            assert ask(p, "write") == "ok"
            assert ask(p, "ping") == "ok"
            assert ask(p, "ping") == "ok"
            p.stdin.close()
            assert p.wait(timeout=WAIT) == 0
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        log = open(errfile).read()
        assert log.count("tracklink: PostgreSQL unreachable, reconnecting:") == 1, log
        assert log.count("tracklink: PostgreSQL reachable again") == 1, log


def test_server_refuses_postgres_until_the_backend_is_complete(t):
    # The engine exists, the resources do not yet: tracklink must say so
    # plainly rather than start half a store.
    for cmd in (["migrate"], ["serve", "--listen", "127.0.0.1:0"]):
        p = t.run_cli(*cmd, "--db", "postgres://tracklink@127.0.0.1:1/tracklink")
        assert p.returncode == 1, (cmd, p.returncode, p.stdout, p.stderr)
        assert "PostgreSQL backend incomplete" in p.stderr, p.stderr


def test_accounts(t):
    # postgres_accounts.c, the first resource on the engine: create (with
    # its key, and its login when given), look up by key hash, get; a key
    # hash or a login e-mail (in any case) taken already is a conflict that
    # keeps nothing of the account.
    with pg.Postgres() as db:
        p = subprocess.run([probe(t), "accounts", db.url], capture_output=True, text=True,
                           timeout=WAIT)
        assert p.returncode == 0 and p.stdout.strip() == "ok", p.stdout + p.stderr
        assert db.psql("SELECT count(*) FROM account").strip() == "2"
        assert db.psql("SELECT count(*) FROM api_key").strip() == "2"
        assert db.psql("SELECT email FROM app_user").strip() == "pat@example.test"
