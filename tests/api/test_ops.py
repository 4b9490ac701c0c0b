"""
test_ops.py: API.md "Operations" and "Running": /healthz, /metrics,
persistence across restarts, migrations applied once, `tracklink migrate`,
`tracklink version`, environment variables, and a clean
exit 0 on SIGTERM/SIGINT.
"""

import json
import os
import re
import signal
import socket
import time

from tl import A, assert_problem, expect


def test_healthz(t):
    r = t.get("/healthz")
    assert expect(r, 200) == {"status": "ok"}
    assert r.content_type.startswith("application/json"), r.content_type


def test_healthz_ignores_keys(t):
    assert expect(t.get("/healthz", key="tlk_whatever"), 200) == {"status": "ok"}


METRIC_RE = re.compile(r'^tracklink_http_requests_total\{([^}]*)\} (\d+(?:\.\d+)?(?:e\+?\d+)?)$', re.M)


def metric_lines(text):
    out = []
    for m in METRIC_RE.finditer(text):
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
        out.append((labels, float(m.group(2))))
    return out


def test_metrics(t):
    k = t.new_brand()["api_key"]
    expect(t.get(A + "/programs", key=k), 200)
    t.get(A + "/programs")  # a 401
    r = t.get("/metrics")
    assert r.status == 200, r
    assert r.content_type.startswith("text/plain"), r.content_type
    assert "version=0.0.4" in r.content_type, r.content_type
    lines = metric_lines(r.text)
    assert lines, "no tracklink_http_requests_total{route=...,status=...} N lines in:\n" + r.text[:2000]
    for labels, _ in lines:
        assert "route" in labels and "status" in labels, labels
        assert re.match(r"^\d{3}$", labels["status"]), labels
    statuses = {lab["status"] for lab, _ in lines}
    assert "200" in statuses, statuses


def test_metrics_count_up(t):
    def total(text):
        return sum(v for _, v in metric_lines(text))

    k = t.new_brand()["api_key"]
    before = total(t.get("/metrics").text)
    for _ in range(5):
        expect(t.get(A + "/programs", key=k), 200)
    after = total(t.get("/metrics").text)
    assert after >= before + 5, (before, after)


def snapshot(s, bk, pk, program_id, campaign_id, task_id):
    """Everything readable, with the server's own address (part of link
    URLs, and a restart picks a new port) taken out."""
    return json.loads(json.dumps(_snapshot(s, bk, pk, program_id, campaign_id, task_id))
                      .replace("127.0.0.1:%d" % s.port, "HOST"))


def _snapshot(s, bk, pk, program_id, campaign_id, task_id):
    return {
        "program": expect(s.get(A + "/programs/%d" % program_id, key=bk), 200),
        "programs": s.list_all(A + "/programs", bk),
        "lps": s.list_all(A + "/programs/%d/landing-pages" % program_id, bk),
        "members": s.list_all(A + "/programs/%d/partners" % program_id, bk),
        "campaign": expect(s.get(A + "/campaigns/%d" % campaign_id, key=bk), 200),
        "campaign_members": s.list_all(A + "/campaigns/%d/partners" % campaign_id, bk),
        "tasks": s.list_all(A + "/campaigns/%d/tasks" % campaign_id, bk),
        "task": expect(s.get(A + "/tasks/%d" % task_id, key=bk), 200),
        "task_members": s.list_all(A + "/tasks/%d/partners" % task_id, bk),
        "partner_campaigns": s.list_all(A + "/campaigns", pk),
        "me_tasks": s.list_all(A + "/me/tasks", pk),
    }


def test_restart_keeps_everything(t):
    s = t.start_server()
    first = s.migrations_applied()
    assert first > 0, "the first start applied %d migrations" % first
    w = s.world()
    bk, pk = w.bk, w.pk
    s.new_landing_page(bk, w.program["id"])
    s.new_task(bk, w.campaign["id"], description="kept", due_at="2027-03-04T05:06:07Z")
    expect(s.post(A + "/programs/%d/postback-key" % w.program["id"], key=bk), 200)
    before = snapshot(s, bk, pk, w.program["id"], w.campaign["id"], w.task["id"])
    s.stop()
    s.start()
    assert s.migrations_applied() == 0, "second start:\n" + s.log
    after = snapshot(s, bk, pk, w.program["id"], w.campaign["id"], w.task["id"])
    assert after == before
    # Keys still work, new objects get new ids.
    p2 = s.new_program(bk)
    assert p2["id"] > w.program["id"]
    b2 = s.new_brand()
    assert b2["id"] > w.brand["id"]


def test_restart_after_kill_keeps_committed_data(t):
    s = t.start_server()
    b = s.new_brand()
    p = s.new_program(b["api_key"])
    s.kill()
    s.restart(stop=False)
    assert expect(s.get(A + "/programs/%d" % p["id"], key=b["api_key"]), 200) == p


def test_migrate_command(t):
    d = t.tmpdir()
    db = "sqlite:" + os.path.join(d, "m.db")
    r = t.run_cli("migrate", "--db", db)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert isinstance(out.get("applied"), int) and out["applied"] > 0, r.stdout
    r = t.run_cli("migrate", "--db", db)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.strip().splitlines()[-1]) == {"applied": 0}, r.stdout


def test_migrate_on_served_db_applies_nothing(t):
    s = t.start_server()
    s.new_brand()
    s.stop()
    r = t.run_cli("migrate", "--db", s.db_url)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.strip().splitlines()[-1]) == {"applied": 0}, r.stdout
    # The env var works as well as the flag.
    r = t.run_cli("migrate", env={"TRACKLINK_DB": s.db_url})
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.strip().splitlines()[-1]) == {"applied": 0}, r.stdout


def test_version(t):
    r = t.run_cli("version")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip(), "empty version"
    assert re.search(r"\d+\.\d+", r.stdout), r.stdout


def test_sigterm_exits_0(t):
    s = t.start_server()
    s.new_brand()
    s.stop(sig=signal.SIGTERM)


def test_sigint_exits_0(t):
    s = t.start_server()
    s.get("/healthz")
    s.stop(sig=signal.SIGINT)


def test_sigterm_with_idle_keepalive_connection(t):
    s = t.start_server()
    conn = socket.create_connection((s.host, s.port), timeout=5)
    try:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        data = conn.recv(4096)
        assert data.startswith(b"HTTP/1.1 200"), data
        # The connection stays open and idle while the server shuts down.
        s.stop(close_conns=False)
    finally:
        conn.close()


def test_sigterm_with_half_sent_request(t):
    s = t.start_server()
    conn = socket.create_connection((s.host, s.port), timeout=5)
    try:
        conn.sendall(b"POST /api/v1/brands HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"na")
        time.sleep(0.2)
        # A stalled upload must not keep the server up for long (it may wait
        # for a short drain period, but must then exit 0).
        s.stop(close_conns=False, timeout=15)
    finally:
        conn.close()


def test_listen_and_db_from_env(t):
    # an SQLite file whatever TL_TEST_DB says: its existence shows the URL was read
    s = t.start_server(via_env=True, db="sqlite:" + os.path.join(t.tmpdir(), "env.db"))
    b = s.new_brand()
    assert os.path.exists(s.db_path), "TRACKLINK_DB was not used: no %s" % s.db_path
    expect(s.get(A + "/programs", key=b["api_key"]), 200)


def test_database_created_in_fresh_dir(t):
    d = os.path.join(t.tmpdir(), "sub")
    os.mkdir(d)
    s = t.start_server(data_dir=d, db="sqlite:" + os.path.join(d, "t.db"))
    assert os.path.exists(s.db_path)
    assert s.migrations_applied() > 0


def test_log_has_no_keys(t):
    s = t.start_server()
    b = s.new_brand()
    s.get(A + "/programs", key=b["api_key"])
    s.get(A + "/programs", key="tlk_" + "Z" * 43)
    s.stop()
    assert b["api_key"] not in s.log, "a key was logged"
    assert s.admin_key not in s.log, "the admin key was logged"


def test_unauthenticated_ops_do_not_need_admin_key(t):
    s = t.start_server(admin_key=False)
    assert expect(s.get("/healthz"), 200) == {"status": "ok"}
    assert s.get("/metrics").status == 200
    assert_problem(s.post(A + "/brands", {"name": "x"}), 401, "unauthorized")
