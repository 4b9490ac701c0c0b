"""
tl.py: the harness of tracklink's black-box integration tests.

Integration tests start the real binary (`tracklink serve`) on a free
loopback port with a fresh data directory and talk HTTP to it, the way a
brand's developer would. Standard library only.

A test module is a file tests/<area>/test_*.py holding functions
`test_*(t)`. tests/run.py starts ONE server per module and hands every test
a Context `t`:

    t.srv            the module's Server (shared by the module's tests;
                     tests must not depend on each other: create your own
                     brands, partners, programs)
    t.request(...)   and every other Server helper, through t (t.new_brand ...)
    t.binary         path of the tracklink executable
    t.build          the build directory
    t.start_server(**kw)  an extra Server (own data dir unless given), stopped
                     (SIGTERM, exit 0 checked) when the test ends
    t.run_cli(*args) runs `tracklink <args>` and returns CompletedProcess
    t.tmpdir()       a fresh temporary directory, removed afterwards

A module may define SERVER = {"args": [...], "env": {...}} to start its
server with extra flags or environment.

Helpers raise AssertionError with the request and the answer in the
message, so a failing test says what the server said.
"""

import atexit
import http.client
import itertools
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import types
import weakref

A = "/api/v1"

KEY_RE = re.compile(r"^tlk_[A-Za-z0-9_-]{43}$")
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
LISTEN_RE = re.compile(r"tracklink: listening on (\S+):(\d+)")
MIGRATIONS_RE = re.compile(r"tracklink: migrations applied: (\d+)")

SANITIZER_MARKERS = (
    "ERROR: AddressSanitizer",
    "ERROR: LeakSanitizer",
    "SUMMARY: AddressSanitizer",
    "SUMMARY: UndefinedBehaviorSanitizer",
    "runtime error:",
    "WARNING: ThreadSanitizer",
)

START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0

_seq = itertools.count(1)
_live = set()  # servers still running, killed at exit
_live_lock = threading.Lock()


def uniq(prefix="x"):
    """A name unique within this test run: "Brand 12-a3f0c1"."""
    return "%s %d-%s" % (prefix, next(_seq), secrets.token_hex(3))


def uniq_email(prefix="p"):
    return "%s%d-%s@example.test" % (prefix, next(_seq), secrets.token_hex(3))


def is_asan(binary):
    """True when binary lives in a sanitizer build dir (its name holds "asan")."""
    d = os.path.basename(os.path.dirname(os.path.abspath(binary)))
    return "asan" in d.lower()


def sanitizer_env(binary):
    """Environment for processes of the ASan+UBSan build ({} otherwise)."""
    if not is_asan(binary):
        return {}
    return {
        "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=1",
        "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
    }


def sanitizer_report(text):
    """The first line of a sanitizer report in text, or None."""
    for line in text.splitlines():
        for m in SANITIZER_MARKERS:
            if m in line:
                return line.strip()
    return None


# ---------------------------------------------------------------- responses


class Response:
    """An HTTP answer: .status, .reason, .headers (case-insensitive .get),
    .body (bytes), .text, .json (parsed on first use; AssertionError when
    the body is not JSON), .content_type."""

    def __init__(self, method, path, status, reason, headers, body):
        self.method = method
        self.path = path
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self._json = None
        self._parsed = False

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    @property
    def json(self):
        if not self._parsed:
            try:
                self._json = json.loads(self.text)
            except ValueError:
                raise AssertionError("%s: body is not JSON: %r" % (self.describe(), self.text[:500]))
            self._parsed = True
        return self._json

    @property
    def content_type(self):
        return self.headers.get("Content-Type", "") or ""

    def describe(self):
        return "%s %s -> %d" % (self.method, self.path, self.status)

    def __repr__(self):
        return "<%s %s>" % (self.describe(), self.text[:800])


def expect(resp, status):
    """Asserts resp.status == status (an int or a tuple of ints); returns resp.json
    when the body is JSON, else resp."""
    ok = resp.status in status if isinstance(status, tuple) else resp.status == status
    assert ok, "expected %s, got %r" % (status, resp)
    if resp.body and "json" in resp.content_type:
        return resp.json
    return resp


def assert_problem(resp, status, code, field=None):
    """Checks an error answer: the status, Content-Type application/problem+json,
    and the body {"type":"about:blank","title","status","code","detail"[,"field"]}.
    field=None does not check the field; pass field=False to require that none
    is present. Returns the body."""
    assert resp.status == status, "expected %d %s, got %r" % (status, code, resp)
    ct = resp.content_type.split(";")[0].strip().lower()
    assert ct == "application/problem+json", "%s: Content-Type %r, not application/problem+json" % (
        resp.describe(), resp.content_type)
    b = resp.json
    assert isinstance(b, dict), "%r: problem body is not an object" % resp
    assert b.get("type") == "about:blank", "%r: type" % resp
    assert isinstance(b.get("title"), str) and b["title"], "%r: title" % resp
    assert b.get("status") == status, "%r: status in body" % resp
    assert b.get("code") == code, "expected code %r, got %r" % (code, resp)
    assert isinstance(b.get("detail"), str), "%r: detail" % resp
    if field is False:
        assert "field" not in b or b["field"] is None, "%r: unexpected field" % resp
    elif field is not None:
        assert b.get("field") == field, "expected field %r, got %r" % (field, resp)
    return b


def assert_time(s, what="time"):
    """Asserts s is RFC 3339 UTC without fraction: 2026-11-28T21:00:00Z."""
    assert isinstance(s, str) and TIME_RE.match(s), "%s %r is not RFC 3339 UTC" % (what, s)


def assert_key(k):
    assert isinstance(k, str) and KEY_RE.match(k), "api key %r does not look like tlk_<43 base64url>" % (k,)


def run_cli(binary, args, env=None, timeout=60, input=None):
    """Runs `binary args...` with the sanitizer environment and returns the
    CompletedProcess (text). A sanitizer report fails the caller."""
    e = dict(os.environ)
    for k in list(e):
        if k.startswith("TRACKLINK_"):
            del e[k]
    e.update(sanitizer_env(binary))
    for k, v in (env or {}).items():
        if v is None:
            e.pop(k, None)
        else:
            e[k] = v
    p = subprocess.run([binary] + list(args), env=e, capture_output=True, text=True,
                       timeout=timeout, input=input)
    rep = sanitizer_report(p.stderr)
    assert rep is None, "tracklink %s: sanitizer report: %s\n%s" % (" ".join(args), rep, p.stderr[-3000:])
    return p


# ------------------------------------------------------------------ server


def db_url_for(data_dir):
    """The database URL of a new server: TL_TEST_DB ("%d": a number per
    server), else an SQLite file in data_dir."""
    env = os.environ.get("TL_TEST_DB", "")
    if not env:
        return "sqlite:" + os.path.join(data_dir, "t.db")
    if "%d" not in env:
        return env
    url = env.replace("%d", "%d_%d" % (os.getpid(), next(_seq)))
    if url.startswith("postgres"):
        pg_createdb(url)
    return url


def pg_createdb(url):
    """Creates the database of a PostgreSQL URL (a fresh one per server)."""
    import pg  # tests/lib/pg.py
    base, _, name = url.rpartition("/")
    name, _, query = name.partition("?")
    maint = base + "/postgres" + ("?" + query if query else "")
    p = subprocess.run([os.path.join(pg.bindir(), "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
                        "-d", maint, "-c", 'CREATE DATABASE "%s"' % name],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, "CREATE DATABASE %s: %s" % (name, p.stderr)


class Server:
    """A running `tracklink serve`.

    Server(binary, data_dir=None, env=None, args=[], admin_key=True, via_env=False)
    starts `binary serve --listen 127.0.0.1:0 --db URL <args>`
    with TRACKLINK_ADMIN_KEY set to a random key (admin_key=False: unset;
    a string: that key) and TRACKLINK_ALLOW_PRIVATE_POSTBACKS=1, and waits for
    `tracklink: listening on 127.0.0.1:PORT`. via_env=True passes listen and
    db through TRACKLINK_LISTEN / TRACKLINK_DB instead of flags. The URL is
    db when given (any --db URL), else the environment's TL_TEST_DB (a "%d"
    in it is replaced by a number of its own per server, for backends that
    need a fresh database each time), else sqlite:<data_dir>/t.db. db_path
    is the SQLite file of a sqlite: URL (None for other backends): tests
    observe through the API, /metrics or an admin command, never the file.
    env values of None remove a variable.
    """

    def __init__(self, binary, data_dir=None, env=None, args=(), admin_key=True, via_env=False,
                 start=True, db=None):
        self.binary = os.path.abspath(binary)
        self.owns_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="tl-test-")
        if db is None:
            db = db_url_for(self.data_dir)
        self.db_url = db
        self.db_path = db[len("sqlite:"):] if db.startswith("sqlite:") else None
        if admin_key is True:
            admin_key = "adm_" + secrets.token_urlsafe(24)
        self.admin_key = admin_key or None
        self.extra_env = dict(env or {})
        self.args = list(args)
        self.via_env = via_env
        self.timeout = 30.0
        self.proc = None
        self.port = None
        self.host = "127.0.0.1"
        self.runs = []  # lines of output of each start, oldest first
        self._lock = threading.Lock()
        self._gen = 0
        self._local = threading.local()
        self._conns = weakref.WeakSet()  # live keep-alive connections of all threads
        self._listening = None
        self._eof = None
        self._reader = None
        if start:
            self.start()

    # -- process

    def env(self):
        e = dict(os.environ)
        for k in list(e):
            if k.startswith("TRACKLINK_"):
                del e[k]
        if self.admin_key:
            e["TRACKLINK_ADMIN_KEY"] = self.admin_key
        e["TRACKLINK_ALLOW_PRIVATE_POSTBACKS"] = "1"
        e.update(sanitizer_env(self.binary))
        if self.via_env:
            e["TRACKLINK_LISTEN"] = "127.0.0.1:0"
            e["TRACKLINK_DB"] = self.db_url
        for k, v in self.extra_env.items():
            if v is None:
                e.pop(k, None)
            else:
                e[k] = v
        return e

    def argv(self):
        a = [self.binary, "serve"]
        if not self.via_env:
            a += ["--listen", "127.0.0.1:0", "--db", self.db_url]
        return a + self.args

    def start(self):
        assert self.proc is None or self.proc.poll() is not None, "server already running"
        if not os.path.exists(self.binary):
            raise AssertionError("no server binary at %s (build it first)" % self.binary)
        lines = []
        self.runs.append(lines)
        self._listening = threading.Event()
        self._eof = threading.Event()
        self.port = None
        self.proc = subprocess.Popen(self.argv(), env=self.env(), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        with _live_lock:
            _live.add(self)
        proc, listening, eof = self.proc, self._listening, self._eof

        def drain():
            for raw in iter(proc.stdout.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip("\n")
                with self._lock:
                    lines.append(line)
                m = LISTEN_RE.search(line)
                if m and not listening.is_set():
                    self.host, self.port = m.group(1), int(m.group(2))
                    listening.set()
            eof.set()

        self._reader = threading.Thread(target=drain, daemon=True)
        self._reader.start()
        deadline = time.time() + START_TIMEOUT
        while time.time() < deadline:
            if listening.wait(0.05):
                break
            if eof.is_set():
                proc.wait()
                raise AssertionError("server exited with %s before listening; output:\n%s"
                                     % (proc.returncode, self.log))
        if not listening.is_set():
            self.kill()
            raise AssertionError("server did not log 'tracklink: listening on' within %ds; output:\n%s"
                                 % (START_TIMEOUT, self.log))
        if self.host in ("0.0.0.0", "localhost", "*"):
            self.host = "127.0.0.1"
        self._gen += 1
        return self

    @property
    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    @property
    def log(self):
        """Everything the current (or last) run wrote to stderr/stdout."""
        with self._lock:
            return "\n".join(self.runs[-1]) if self.runs else ""

    @property
    def all_logs(self):
        with self._lock:
            return "\n".join("\n".join(r) for r in self.runs)

    def tail(self, n=30):
        with self._lock:
            lines = self.runs[-1] if self.runs else []
            return "\n".join(lines[-n:])

    def close_connections(self):
        with self._lock:
            conns = list(self._conns)
            self._conns = weakref.WeakSet()
        for c in conns:
            try:
                c.close()
            except Exception:
                pass
        self._gen += 1

    def _finish(self):
        with _live_lock:
            _live.discard(self)
        if self._eof is not None:
            self._eof.wait(5)  # all output read

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=STOP_TIMEOUT, sig=signal.SIGTERM, close_conns=True):
        """Sends SIGTERM and asserts exit code 0 within timeout seconds, and
        no sanitizer report in the output. Returns the run's output."""
        if self.proc is None or self.proc.poll() is not None:
            rc = None if self.proc is None else self.proc.returncode
            self._finish()
            raise AssertionError("server was not running at stop (exit status %s); output tail:\n%s"
                                 % (rc, self.tail()))
        if close_conns:
            self.close_connections()
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("server did not exit within %ss of %s; output tail:\n%s"
                                 % (timeout, signal.Signals(sig).name, self.tail()))
        self._finish()
        rep = sanitizer_report(self.log)
        assert rep is None, "sanitizer report in server output: %s\n%s" % (rep, self.tail(60))
        assert rc == 0, "server exited with %s after %s (expected 0); output tail:\n%s" % (
            rc, signal.Signals(sig).name, self.tail())
        return self.log

    def kill(self):
        """SIGKILL, no checks."""
        self.close_connections()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._finish()

    def restart(self, stop=True):
        """Stops (SIGTERM, checked; stop=False: the process must already be
        gone, e.g. after kill()) and starts again on the same data dir. The
        port changes."""
        if stop and self.alive:
            self.stop()
        return self.start()

    def cleanup(self):
        """Kills if still running and removes the data dir when it is ours."""
        if self.alive:
            self.kill()
        if self.owns_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def migrations_applied(self, run=-1):
        """N from `tracklink: migrations applied: N` in the given run's output."""
        with self._lock:
            text = "\n".join(self.runs[run])
        m = MIGRATIONS_RE.search(text)
        assert m, "no 'tracklink: migrations applied: N' line in:\n%s" % text
        return int(m.group(1))

    # -- observing

    def metrics(self):
        """/metrics as {name: value} (labelled series keep their labels in the name)."""
        r = self.get("/metrics")
        assert r.status == 200, r.describe()
        out = {}
        for line in r.text.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                out[name] = float(value)
        return out

    def admin(self, *args):
        """`tracklink admin <args> --db <this server's URL>`: its JSON lines,
        parsed (the server may be running: the command reads through the store)."""
        p = run_cli(self.binary, ["admin"] + list(args) + ["--db", self.db_url])
        assert p.returncode == 0, "tracklink admin %s: exit %d\n%s" % (
            " ".join(args), p.returncode, p.stderr[-3000:])
        return [json.loads(line) for line in p.stdout.splitlines() if line.strip()]

    def clicks(self, campaign_id=None, click_id=None):
        """The stored clicks (`tracklink admin clicks`), oldest first, as dicts
        in the click table's terms; visitor_hash as bytes."""
        args = ["clicks"]
        if campaign_id is not None:
            args += ["--campaign", str(campaign_id)]
        if click_id is not None:
            args += ["--click-id", click_id]
        out = self.admin(*args)
        for row in out:
            row["visitor_hash"] = bytes.fromhex(row["visitor_hash"])
        return out

    def rollups(self, campaign_id=None):
        """The hourly rollups' totals summed over currencies (`tracklink admin
        report`): clicks, unique_clicks, bot_clicks, conversions, revenue, payout."""
        args = ["report"] + (["--campaign", str(campaign_id)] if campaign_id is not None else [])
        keys = ("clicks", "unique_clicks", "bot_clicks", "conversions", "revenue", "payout")
        rows = self.admin(*args)
        return {k: sum(r[k] for r in rows) for k in keys}

    def wait_clicks_stored(self, timeout=10.0):
        """Waits until every click queued so far is stored (clicks are
        written in batches, after the redirect is answered)."""
        deadline = time.time() + timeout
        while True:
            m = self.metrics()
            queued = m.get("tracklink_clicks_queued_total", 0)
            if m.get("tracklink_clicks_stored_total", 0) >= queued:
                return
            if time.time() > deadline:
                raise AssertionError("clicks not stored within %ss: %r" % (timeout, m))
            time.sleep(0.02)

    # -- HTTP

    def _conn(self):
        loc = self._local
        c = getattr(loc, "conn", None)
        if c is not None and getattr(loc, "gen", None) == self._gen:
            return c, True
        c = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        loc.conn, loc.gen = c, self._gen
        with self._lock:
            self._conns.add(c)
        return c, False

    def _drop_conn(self):
        c = getattr(self._local, "conn", None)
        if c is not None:
            c.close()
            with self._lock:
                self._conns.discard(c)
        self._local.conn = None

    def request(self, method, path, body=None, key=None, headers=None, raw_body=None):
        """One request on this thread's keep-alive connection.
        body: a JSON value sent as application/json; raw_body: str/bytes sent
        as is (Content-Type application/json unless headers say otherwise);
        key: sent as Authorization: Bearer <key>; headers: extra headers (a
        value of None removes one). Returns a Response."""
        hdrs = {}
        data = None
        if raw_body is not None:
            data = raw_body.encode("utf-8") if isinstance(raw_body, str) else raw_body
            hdrs["Content-Type"] = "application/json"
        elif body is not None:
            data = json.dumps(body).encode("utf-8")
            hdrs["Content-Type"] = "application/json"
        if key is not None:
            hdrs["Authorization"] = "Bearer " + key
        for k, v in (headers or {}).items():
            for old in [h for h in hdrs if h.lower() == k.lower()]:
                del hdrs[old]
            if v is not None:
                hdrs[k] = v
        assert self.port, "server is not listening"
        for attempt in (0, 1):
            conn, reused = self._conn()
            try:
                conn.request(method, path, body=data, headers=hdrs)
                r = conn.getresponse()
                payload = r.read()
            except (http.client.RemoteDisconnected, http.client.CannotSendRequest,
                    http.client.ResponseNotReady, BrokenPipeError, ConnectionResetError) as e:
                self._drop_conn()
                # A keep-alive connection the server closed while idle: retry once.
                if reused and attempt == 0:
                    continue
                raise AssertionError("%s %s: connection failed: %r; server alive=%s; output tail:\n%s"
                                     % (method, path, e, self.alive, self.tail()))
            except (socket.timeout, ConnectionRefusedError) as e:
                self._drop_conn()
                raise AssertionError("%s %s: %r; server alive=%s; output tail:\n%s"
                                     % (method, path, e, self.alive, self.tail()))
            if r.will_close:
                self._drop_conn()
            return Response(method, path, r.status, r.reason, r.headers, payload)

    def get(self, path, key=None, **kw):
        return self.request("GET", path, key=key, **kw)

    def post(self, path, body=None, key=None, **kw):
        return self.request("POST", path, body=body, key=key, **kw)

    def patch(self, path, body=None, key=None, **kw):
        return self.request("PATCH", path, body=body, key=key, **kw)

    def put(self, path, body=None, key=None, **kw):
        return self.request("PUT", path, body=body, key=key, **kw)

    def raw(self, data, timeout=5.0, read_all=True):
        """Sends raw bytes on a new socket and returns what came back (bytes)
        until the server closes, timeout passes, or (read_all=False) the
        first chunk holding a full header block arrived."""
        s = socket.create_connection((self.host, self.port), timeout=timeout)
        out = b""
        try:
            s.sendall(data)
            deadline = time.time() + timeout
            while time.time() < deadline:
                s.settimeout(max(0.01, deadline - time.time()))
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    break
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                out += chunk
                if not read_all and b"\r\n\r\n" in out:
                    break
        finally:
            s.close()
        return out

    # -- domain helpers (each asserts success and returns the JSON object)

    def new_brand(self, name=None, **extra):
        """POST /brands with the admin key → the brand incl. api_key."""
        body = {"name": name or uniq("Brand")}
        body.update(extra)
        return expect(self.post(A + "/brands", body, key=self.admin_key), 201)

    def new_partner(self, name=None, email=None, **extra):
        """POST /partners with the admin key → the partner incl. api_key."""
        body = {"name": name or uniq("Partner"), "email": email or uniq_email()}
        body.update(extra)
        return expect(self.post(A + "/partners", body, key=self.admin_key), 201)

    @staticmethod
    def program_body(**overrides):
        body = {
            "name": uniq("Program"),
            "default_landing_page": "https://shop.acme.test/landing",
            "permitted_domains": ["acme.test", "*.acme.test"],
        }
        body.update(overrides)
        return body

    def new_program(self, brand_key, **overrides):
        """POST /programs: default landing page https://shop.acme.test/landing,
        permitted acme.test and *.acme.test, unless overridden."""
        return expect(self.post(A + "/programs", self.program_body(**overrides), key=brand_key), 201)

    def new_landing_page(self, brand_key, program_id, url="https://www.acme.test/lp", name=None):
        body = {"name": name or uniq("LP"), "url": url}
        return expect(self.post(A + "/programs/%d/landing-pages" % program_id, body, key=brand_key), 201)

    @staticmethod
    def campaign_body(**overrides):
        body = {"name": uniq("Campaign"), "status": "active",
                "payout": {"type": "fixed", "amount": 500}}
        body.update(overrides)
        return body

    def new_campaign(self, brand_key, program_id, **overrides):
        """POST /programs/{id}/campaigns. NOTE: status "active" and a fixed
        payout of 500 unless overridden (the API's own default is draft)."""
        return expect(self.post(A + "/programs/%d/campaigns" % program_id,
                                self.campaign_body(**overrides), key=brand_key), 201)

    def new_task(self, brand_key, campaign_id, **overrides):
        body = {"title": uniq("Task")}
        body.update(overrides)
        return expect(self.post(A + "/campaigns/%d/tasks" % campaign_id, body, key=brand_key), 201)

    def join_program(self, brand_key, program_id, partner_id):
        return expect(self.post(A + "/programs/%d/partners" % program_id,
                                {"partner_id": partner_id}, key=brand_key), (200, 201))

    def join_campaign(self, brand_key, campaign_id, partner_id):
        return expect(self.post(A + "/campaigns/%d/partners" % campaign_id,
                                {"partner_id": partner_id}, key=brand_key), (200, 201))

    def assign_task(self, brand_key, task_id, partner_id):
        return expect(self.post(A + "/tasks/%d/partners" % task_id,
                                {"partner_id": partner_id}, key=brand_key), (200, 201))

    def list_all(self, path, key, limit=None, max_pages=1000):
        """Walks a list through next_cursor and returns every item."""
        items = []
        cursor = None
        sep = "&" if "?" in path else "?"
        for _ in range(max_pages):
            q = []
            if limit is not None:
                q.append("limit=%d" % limit)
            if cursor is not None:
                q.append("cursor=" + urlquote(cursor))
            p = path + (sep + "&".join(q) if q else "")
            page = expect(self.get(p, key=key), 200)
            assert isinstance(page.get("data"), list), "%s: no data list: %r" % (p, page)
            assert "next_cursor" in page, "%s: no next_cursor: %r" % (p, page)
            items += page["data"]
            cursor = page["next_cursor"]
            if cursor is None:
                return items
            assert isinstance(cursor, str) and cursor, "%s: next_cursor %r" % (p, cursor)
        raise AssertionError("%s: more than %d pages" % (path, max_pages))

    def world(self, mode="program_default", status="active"):
        """A brand with a program, a campaign, a task and a partner who is in
        all three. Returns a namespace: brand, partner, program, campaign,
        task, bk (brand key), pk (partner key)."""
        brand = self.new_brand()
        partner = self.new_partner()
        bk, pk = brand["api_key"], partner["api_key"]
        program = self.new_program(bk)
        tracking = {"landing_page_mode": mode}
        lp = None
        if mode == "brand_selected":
            lp = self.new_landing_page(bk, program["id"])
            tracking["landing_page_ids"] = [lp["id"]]
        campaign = self.new_campaign(bk, program["id"], status=status, tracking=tracking)
        self.join_program(bk, program["id"], partner["id"])
        self.join_campaign(bk, campaign["id"], partner["id"])
        task = self.new_task(bk, campaign["id"])
        self.assign_task(bk, task["id"], partner["id"])
        return types.SimpleNamespace(brand=brand, partner=partner, program=program, campaign=campaign,
                                     task=task, landing_page=lp, bk=bk, pk=pk)


def urlquote(s):
    import urllib.parse
    return urllib.parse.quote(s, safe="")


# ----------------------------------------------------------------- context


class Context:
    """What a test function gets as `t` (see the top of this file). Unknown
    attributes are looked up on the module's server, so t.request,
    t.new_brand, t.admin_key ... work."""

    def __init__(self, srv, binary, build):
        self.srv = srv
        self.binary = binary
        self.build = build
        self.servers = []
        self._tmp = []

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.__dict__["srv"], name)

    assert_problem = staticmethod(assert_problem)
    expect = staticmethod(expect)

    def tmpdir(self):
        d = tempfile.mkdtemp(prefix="tl-test-")
        self._tmp.append(d)
        return d

    def start_server(self, **kw):
        """An extra server for this test (Server's keywords); stopped when
        the test ends if the test left it running."""
        s = Server(self.binary, start=False, **kw)
        self.servers.append(s)
        s.start()
        return s

    def run_cli(self, *args, env=None, timeout=60, input=None):
        return run_cli(self.binary, args, env=env, timeout=timeout, input=input)

    def tails(self, n=30):
        """The last n output lines of every server of this test."""
        out = []
        for label, s in [("module server", self.srv)] + [("extra server %d" % i, s)
                                                          for i, s in enumerate(self.servers)]:
            if s is not None and s.runs:
                out.append("--- %s (%s), last %d lines:\n%s" % (label, s.data_dir, n, s.tail(n)))
        return "\n".join(out)

    def close(self):
        """Stops the extra servers (raising on a bad exit) and removes temp dirs."""
        errors = []
        for s in self.servers:
            try:
                if s.alive:
                    s.stop()
            except AssertionError as e:
                errors.append(str(e))
            finally:
                s.cleanup()
        for d in self._tmp:
            shutil.rmtree(d, ignore_errors=True)
        if errors:
            raise AssertionError("extra server shutdown: " + "\n".join(errors))


@atexit.register
def _kill_all():
    with _live_lock:
        servers = list(_live)
    for s in servers:
        try:
            if s.proc is not None and s.proc.poll() is None:
                s.proc.kill()
        except Exception:
            pass
