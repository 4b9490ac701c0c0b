"""
test_click_store_failure.py: a click batch that the store refuses is kept
and stored once the store works again, never dropped. The failure is real:
the server's file size limit (RLIMIT_FSIZE, set from outside with
prlimit) is lowered to one byte, so that every SQLite write fails with
EFBIG (the server ignores SIGXFSZ), and raised again later.

Checked from the outside only: redirects are answered throughout (async)
or wait and are answered 302 once their clicks are stored (sync); every
click made while the store failed is counted by GET /api/v1/reports once
it works; /metrics shows the retries and the failing state, and
tracklink_clicks_failed_total stays 0; the log says once that the store
fails and once that it works again. SIGTERM while the store still fails:
the server gives it TL_CLICKS_STOP_RETRY_MS (10 s), then logs how many
clicks could not be stored and exits 1 (held sync redirects get 503).
"""

import http.client
import re
import resource
import secrets
import signal
import threading
import time
import urllib.parse

from tl import A, expect, sanitizer_report

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
FAILED_LINE = "tracklink: storing clicks failed"
RECOVERED_LINE = "tracklink: storing clicks works again"
WAIT = 60.0


# --------------------------------------------------------------- helpers


def metric(srv, name):
    text = expect(srv.get("/metrics"), 200).text
    m = re.search(r"^%s (\d+)$" % re.escape(name), text, re.M)
    assert m, "no %s in /metrics" % name
    return int(m.group(1))


def wait_for(pred, what, timeout=WAIT):
    deadline = time.time() + timeout
    while True:
        v = pred()
        if v:
            return v
        assert time.time() < deadline, "timed out waiting for " + what
        time.sleep(0.05)


def setup(srv):
    w = srv.world()
    code = expect(srv.post(A + "/tasks/%d/links" % w.task["id"],
                           {"partner_id": w.partner["id"],
                            "sub_ids": {"sub_id1": secrets.token_hex(4)}}, key=w.bk), (200, 201))["code"]
    return w, code


def click(srv, code, timeout=WAIT):
    """One redirect on a new connection: (status, click id or None)."""
    c = http.client.HTTPConnection(srv.host, srv.port, timeout=timeout)
    try:
        c.request("GET", "/" + code, headers={"User-Agent": UA})
        r = c.getresponse()
        r.read()
        loc = r.getheader("Location") or ""
        return r.status, dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query)).get("clickid")
    finally:
        c.close()


def clicks_reported(srv, w):
    q = urllib.parse.urlencode({"campaign_id": w.campaign["id"]})
    rows = expect(srv.get(A + "/reports?" + q, key=w.bk), 200)["data"]
    return sum(r["clicks"] for r in rows)


def wait_clicks(srv, w, n):
    wait_for(lambda: clicks_reported(srv, w) == n, "the report to count %d clicks" % n)


def break_store(srv):
    """Every write past the first byte of any file fails (EFBIG)."""
    soft, hard = resource.prlimit(srv.proc.pid, resource.RLIMIT_FSIZE)
    resource.prlimit(srv.proc.pid, resource.RLIMIT_FSIZE, (1, hard))
    return soft


def mend_store(srv, soft):
    _, hard = resource.prlimit(srv.proc.pid, resource.RLIMIT_FSIZE)
    resource.prlimit(srv.proc.pid, resource.RLIMIT_FSIZE, (soft, hard))


def lines(srv, text):
    return [l for l in srv.log.splitlines() if text in l]


def wait_failing(srv, retries=3):
    """Until /metrics says the store fails and the batch was retried a few times."""
    wait_for(lambda: metric(srv, "tracklink_click_store_failing") == 1 and
             metric(srv, "tracklink_click_batch_retries_total") >= retries,
             "the click store to be failing with %d retries" % retries)


def check_recovered(srv):
    # The clicks can be counted before the writer has logged its recovery.
    wait_for(lambda: len(lines(srv, RECOVERED_LINE)) >= 1, "the recovery to be logged")
    assert metric(srv, "tracklink_click_store_failing") == 0
    assert metric(srv, "tracklink_clicks_failed_total") == 0
    assert len(lines(srv, FAILED_LINE)) == 1, "the failure is not logged once:\n" + srv.tail(40)
    assert len(lines(srv, RECOVERED_LINE)) == 1, "the recovery is not logged once:\n" + srv.tail(40)
    assert len(lines(srv, "tracklink: sqlite error")) <= 1, "the store's error is logged per retry:\n" + srv.tail(40)


def stop_failing(srv, timeout=60):
    """SIGTERM while the store fails: the exit status and the output."""
    srv.close_connections()
    start = time.time()
    srv.send_signal(signal.SIGTERM)
    rc = srv.proc.wait(timeout)
    srv._finish()
    rep = sanitizer_report(srv.log)
    assert rep is None, "sanitizer report: %s\n%s" % (rep, srv.tail(60))
    return rc, time.time() - start


# ----------------------------------------------------------------- tests


def test_async_failed_batches_are_kept_and_stored(t):
    srv = t.start_server()
    w, code = setup(srv)
    for _ in range(3):
        assert click(srv, code)[0] == 302
    wait_clicks(srv, w, 3)
    soft = break_store(srv)
    try:
        for _ in range(20):  # answered at once: the queue has room
            assert click(srv, code)[0] == 302
        wait_failing(srv)
        assert len(lines(srv, FAILED_LINE)) == 1, srv.tail(40)
        assert clicks_reported(srv, w) == 3
        assert metric(srv, "tracklink_clicks_failed_total") == 0
    finally:
        mend_store(srv, soft)
    wait_clicks(srv, w, 23)
    check_recovered(srv)
    assert click(srv, code)[0] == 302
    wait_clicks(srv, w, 24)


def test_sync_redirects_wait_for_their_clicks(t):
    srv = t.start_server(args=["--click-durability", "sync"])
    w, code = setup(srv)
    for _ in range(3):
        assert click(srv, code)[0] == 302
    wait_clicks(srv, w, 3)
    answers = []
    lock = threading.Lock()

    def visitor():
        a = click(srv, code, timeout=120)
        with lock:
            answers.append(a)

    soft = break_store(srv)
    ths = []
    try:
        ths = [threading.Thread(target=visitor, daemon=True) for _ in range(5)]
        for th in ths:
            th.start()
        wait_failing(srv)
        time.sleep(0.3)
        with lock:
            assert not answers, "answered while their clicks were not stored: %r" % answers
        assert metric(srv, "tracklink_clicks_failed_total") == 0
    finally:
        mend_store(srv, soft)
    for th in ths:
        th.join(WAIT)
    assert len(answers) == 5 and all(s == 302 and cid for s, cid in answers), answers
    wait_clicks(srv, w, 8)
    check_recovered(srv)


def test_sigterm_while_failing_async(t):
    srv = t.start_server()
    w, code = setup(srv)
    assert click(srv, code)[0] == 302
    wait_clicks(srv, w, 1)
    break_store(srv)
    for _ in range(5):
        assert click(srv, code)[0] == 302
    wait_failing(srv, retries=1)
    rc, took = stop_failing(srv)
    assert rc == 1, "exit status %s, not 1, with 5 clicks not stored:\n%s" % (rc, srv.tail(20))
    assert lines(srv, "tracklink: 5 clicks could not be stored"), srv.tail(20)


def test_sigterm_while_failing_sync(t):
    srv = t.start_server(args=["--click-durability", "sync"])
    w, code = setup(srv)
    assert click(srv, code)[0] == 302
    wait_clicks(srv, w, 1)
    answers = []
    lock = threading.Lock()

    def visitor():
        try:
            a = click(srv, code, timeout=120)
        except (OSError, http.client.HTTPException) as e:
            a = (repr(e), None)
        with lock:
            answers.append(a)

    break_store(srv)
    queued = metric(srv, "tracklink_clicks_queued_total")
    ths = [threading.Thread(target=visitor, daemon=True) for _ in range(3)]
    for th in ths:
        th.start()
    wait_for(lambda: metric(srv, "tracklink_clicks_queued_total") >= queued + 3,
             "the three visitors' clicks to be queued")
    wait_failing(srv, retries=1)
    rc, took = stop_failing(srv)
    for th in ths:
        th.join(WAIT)
    assert rc == 1, "exit status %s, not 1, with 3 clicks not stored:\n%s" % (rc, srv.tail(20))
    assert lines(srv, "tracklink: 3 clicks could not be stored"), srv.tail(20)
    assert sorted(a[0] for a in answers) == [503, 503, 503], answers
