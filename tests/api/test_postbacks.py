"""
test_postbacks.py: API.md "Partner postbacks" and the decided edge cases
about them: a partner's configuration (PUT|GET /me/postback), the URL
rules (absolute http(s); loopback, private and link-local addresses
refused when set, and names resolving to them refused when sent, unless
--allow-private-postbacks), delivery of every event to a real receiver
with the macros expanded and percent-encoded and the X-Tracklink-Event
header, retries with backoff after failures, the delivery log, a 3xx
counted as a failure, and no delivery lost across a restart.
"""

import http.server
import os
import socket
import sys
import threading
import time
import urllib.parse

from tl import A, assert_problem, assert_time, expect
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_conversions import click, conv  # noqa: E402  (the click and conversion helpers)

ALL_EVENTS = ["conversion.created", "conversion.approved", "conversion.reversed"]
MACROS = ("cid={conversion_id}&click={click_id}&o={order_id}&et={event_type}&a={amount}"
          "&p={payout}&cur={currency}&st={status}&s1={sub_id1}&s2={sub_id2}&s3={sub_id3}"
          "&sh={shared_id}&prog={program_id}&camp={campaign_id}&task={task_id}")


class Receiver:
    """A partner's server on 127.0.0.1: records every request (path and
    headers); answers with policy(n) for the n-th request (0-based), a
    status code or (status, headers)."""

    def __init__(self, policy=lambda n: 200):
        self.policy = policy
        self.requests = []
        self.lock = threading.Lock()
        recv = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                with recv.lock:
                    n = len(recv.requests)
                    recv.requests.append((self.path, dict(self.headers.items())))
                ans = recv.policy(n)
                status, headers = ans if isinstance(ans, tuple) else (ans, {})
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path="/pb"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def got(self):
        with self.lock:
            return list(self.requests)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def wait_for(pred, timeout=15.0, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out waiting for %s" % what)


def deliveries(srv, pk, status=None):
    q = "?status=" + status if status else ""
    return srv.list_all(A + "/me/postbacks" + q, pk)


def header(h, name):
    for k, v in h.items():
        if k.lower() == name.lower():
            return v
    return None


# ----------------------------------------------------------------- tests


def test_config(t):
    w = t.world()
    p = A + "/me/postback"
    got = expect(t.get(p, key=w.pk), 200)
    assert got["url"] is None and got["events"] == [], got
    url = "https://partner.test/pb?o={order_id}&p={payout}&s={sub_id1}"
    got = expect(t.put(p, {"url": url}, key=w.pk), 200)
    assert got["url"] == url and got["events"] == ALL_EVENTS, got
    assert_time(got["updated_at"])
    got = expect(t.put(p, {"url": url, "events": ["conversion.reversed", "conversion.created"]},
                       key=w.pk), 200)
    assert got["events"] == ["conversion.created", "conversion.reversed"], got
    assert expect(t.get(p, key=w.pk), 200) == got
    expect(t.put(p, {"url": url, "events": []}, key=w.pk), 200)
    for bad in ["partner.test/pb", "ftp://partner.test/x", "https://", "not a url",
                "https://user:pw@partner.test/", "javascript:alert(1)", ""]:
        assert_problem(t.put(p, {"url": bad}, key=w.pk), 422, "invalid_value", "url")
    assert_problem(t.put(p, {"events": ALL_EVENTS}, key=w.pk), 422, "missing_field", "url")
    assert_problem(t.put(p, {"url": url, "events": ["conversion.paid"]}, key=w.pk), 422,
                   "invalid_value", "events")
    assert_problem(t.put(p, {"url": 5}, key=w.pk), 400, "invalid_type", "url")
    assert_problem(t.put(p, {"url": url, "events": "conversion.created"}, key=w.pk), 400,
                   "invalid_type", "events")
    assert_problem(t.put(p, {"url": url}, key=w.bk), 403, "forbidden")
    assert_problem(t.get(A + "/me/postbacks", key=w.bk), 403, "forbidden")
    assert_problem(t.put(p, {"url": url}), 401, "unauthorized")
    # another partner's configuration is their own
    other = t.new_partner()
    assert expect(t.get(p, key=other["api_key"]), 200)["url"] is None
    assert_problem(t.get(A + "/me/postbacks?status=nope", key=w.pk), 422, "invalid_value",
                   "status")


def test_private_addresses_refused_when_set(t):
    srv = t.start_server(env={"TRACKLINK_ALLOW_PRIVATE_POSTBACKS": None})
    partner = srv.new_partner()
    pk = partner["api_key"]
    p = A + "/me/postback"
    for url in ["http://127.0.0.1/pb", "http://127.8.9.10:8080/pb", "http://localhost/pb",
                "http://LOCALHOST:99/pb", "http://api.localhost/pb", "http://10.1.2.3/pb",
                "http://172.16.0.1/pb", "http://172.31.255.255/pb", "http://192.168.1.1/pb",
                "http://169.254.169.254/latest/meta-data", "http://0.0.0.0/pb", "http://[::1]/pb",
                "http://[fc00::1]/pb", "http://[fd12:3456::1]/pb", "http://[fe80::1]/pb",
                "http://[::ffff:127.0.0.1]/pb"]:
        r = srv.put(p, {"url": url}, key=pk)
        assert_problem(r, 422, "postback_url_not_allowed", "url")
    for url in ["https://partner.test/pb?o={order_id}", "http://172.32.0.1/pb",
                "http://8.8.8.8/pb", "http://[2001:db8::1]/pb"]:
        expect(srv.put(p, {"url": url}, key=pk), 200)
    # the module's server (--allow-private-postbacks via the environment) takes loopback
    w = t.world()
    expect(t.put(p, {"url": "http://127.0.0.1:9/pb"}, key=w.pk), 200)


def test_private_names_refused_when_sent(t):
    """A name that resolves to loopback passes the set-time check (it is no
    IP literal and not localhost) and is refused when the postback is sent."""
    name = None
    for cand in ("vm", "runsc", socket.gethostname()):
        try:
            if cand and cand != "localhost" and socket.gethostbyname(cand).startswith("127."):
                name = cand
                break
        except OSError:
            continue
    if name is None:
        return  # no such name on this machine
    rec = Receiver()
    try:
        srv = t.start_server(env={"TRACKLINK_ALLOW_PRIVATE_POSTBACKS": None})
        w = srv.world()
        url = "http://%s:%d/pb?o={order_id}" % (name, rec.port)
        expect(srv.put(A + "/me/postback", {"url": url}, key=w.pk), 200)
        cid = click(t, w, srv=srv)
        expect(conv(t, w, cid, srv=srv), 201)
        d = wait_for(lambda: [x for x in deliveries(srv, w.pk) if x["attempts"] >= 1],
                     what="a refused attempt")[0]
        assert d["status"] == "pending" and d["last_status"] is None, d
        assert "refused" in (d["attempt_log"][0]["error"] or ""), d
        assert rec.got() == [], rec.got()
    finally:
        rec.close()


def test_delivery_with_retries(t):
    rec = Receiver(policy=lambda n: 500 if n < 2 else 200)
    try:
        w = t.world()
        expect(t.put(A + "/me/postback", {"url": rec.url("/pb?" + MACROS)}, key=w.pk), 200)
        sub1 = "a b&c/é?"
        q = "?" + urllib.parse.urlencode({"subId1": sub1, "subId2": "two", "sharedid": "sh+1"})
        cid = click(t, w, query=q)
        started = time.time()
        c = expect(conv(t, w, cid, order_id="ord 1/ü", amount=12345), 201)
        # created: fails twice (500), then delivered on the third attempt
        wait_for(lambda: len(deliveries(t.srv, w.pk, "delivered")) == 1, timeout=20,
                 what="the created event delivered")
        elapsed = time.time() - started
        assert elapsed < 10, "three attempts took %.1fs" % elapsed
        got = rec.got()
        assert len(got) == 3, got
        assert all(p == got[0][0] for p, _ in got), got
        assert all(header(h, "X-Tracklink-Event") == "conversion.created" for _, h in got), got
        path, _ = got[0]
        raw = path.split("?", 1)[1]
        # percent-encoded: nothing outside unreserved and %XX in the values
        for part in raw.split("&"):
            k, v = part.split("=", 1)
            assert all(ch.isalnum() or ch in "-._~%" for ch in v), (k, v)
        q = dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))
        assert q == {"cid": str(c["id"]), "click": cid, "o": "ord 1/ü", "et": "sale", "a": "12345",
                     "p": "500", "cur": "USD", "st": "pending", "s1": sub1, "s2": "two", "s3": "",
                     "sh": "sh+1", "prog": str(w.program["id"]), "camp": str(w.campaign["id"]),
                     "task": str(w.task["id"])}, q
        d = deliveries(t.srv, w.pk)[0]
        assert d["event"] == "conversion.created" and d["status"] == "delivered", d
        assert d["attempts"] == 3 and d["last_status"] == 200, d
        assert d["conversion_id"] == c["id"]
        assert d["url"] == rec.url(path), d
        assert [a["http_status"] for a in d["attempt_log"]] == [500, 500, 200], d
        assert d["attempt_log"][0]["error"], d
        for a in d["attempt_log"]:
            assert_time(a["at"])
        assert_time(d["created_at"])
        assert_time(d["updated_at"])
        assert d["next_attempt_at"] is None
        # approved, then reversed: each delivered once, with its status
        expect(t.patch(A + "/conversions/%d" % c["id"], {"status": "approved"}, key=w.bk), 200)
        expect(t.patch(A + "/conversions/%d" % c["id"], {"status": "reversed"}, key=w.bk), 200)
        wait_for(lambda: len(deliveries(t.srv, w.pk, "delivered")) == 3, what="three deliveries")
        got = rec.got()
        events = [header(h, "X-Tracklink-Event") for _, h in got[3:]]
        assert sorted(events) == ["conversion.approved", "conversion.reversed"], events
        for p, h in got[3:]:
            q = dict(urllib.parse.parse_qsl(p.split("?", 1)[1], keep_blank_values=True))
            want = "approved" if header(h, "X-Tracklink-Event") == "conversion.approved" else "reversed"
            assert q["st"] == want and q["s1"] == sub1 and q["cid"] == str(c["id"]), q
        assert deliveries(t.srv, w.pk, "pending") == []
        assert deliveries(t.srv, w.pk, "failed") == []
        # another partner's log is theirs
        assert deliveries(t.srv, t.new_partner()["api_key"]) == []
    finally:
        rec.close()


def test_only_subscribed_events(t):
    rec = Receiver()
    try:
        w = t.world()
        expect(t.put(A + "/me/postback", {"url": rec.url("/only?e={status}"),
                                          "events": ["conversion.reversed"]}, key=w.pk), 200)
        c = expect(conv(t, w, click(t, w)), 201)
        expect(t.patch(A + "/conversions/%d" % c["id"], {"status": "approved"}, key=w.bk), 200)
        expect(t.patch(A + "/conversions/%d" % c["id"], {"status": "reversed"}, key=w.bk), 200)
        wait_for(lambda: rec.got(), what="the reversed event")
        time.sleep(0.7)
        got = rec.got()
        assert len(got) == 1 and got[0][0] == "/only?e=reversed", got
        assert header(got[0][1], "X-Tracklink-Event") == "conversion.reversed"
        # a replayed conversion queues nothing
        expect(t.put(A + "/me/postback", {"url": rec.url("/all")}, key=w.pk), 200)
        cid = click(t, w)
        expect(conv(t, w, cid, order_id="X"), 201)
        expect(conv(t, w, cid, order_id="X"), 200)
        wait_for(lambda: len(rec.got()) == 2, what="the created event")
        time.sleep(0.7)
        assert len(rec.got()) == 2, rec.got()
    finally:
        rec.close()


def test_deliveries_newest_first(t):
    rec = Receiver()
    try:
        w = t.world()
        expect(t.put(A + "/me/postback", {"url": rec.url("/n?o={order_id}"),
                                          "events": ["conversion.created"]}, key=w.pk), 200)
        for i in range(4):
            expect(conv(t, w, click(t, w), order_id="N%d" % i), 201)
        wait_for(lambda: len(deliveries(t.srv, w.pk, "delivered")) == 4, what="four deliveries")
        every = [d["id"] for d in deliveries(t.srv, w.pk)]
        assert every == sorted(every) and len(every) == 4, every
        got = t.list_all(A + "/me/postbacks?order=desc", w.pk, limit=1)
        assert [d["id"] for d in got] == every[::-1], got
        assert "/n?o=N3" in got[0]["url"], got[0]
        page = expect(t.get(A + "/me/postbacks?order=desc&limit=3", key=w.pk), 200)
        assert [d["id"] for d in page["data"]] == every[:-4:-1], page
        assert isinstance(page["next_cursor"], str)
        got = t.list_all(A + "/me/postbacks?order=desc&status=delivered", w.pk, limit=3)
        assert [d["id"] for d in got] == every[::-1], got
        assert t.list_all(A + "/me/postbacks?order=desc&status=failed", w.pk) == []
        assert [d["id"] for d in t.list_all(A + "/me/postbacks?order=asc", w.pk, limit=3)] == every
        assert_problem(t.get(A + "/me/postbacks?order=newest", key=w.pk), 422, "invalid_value",
                       "order")
    finally:
        rec.close()


def test_redirect_is_a_failure(t):
    rec = Receiver(policy=lambda n: (302, {"Location": "/elsewhere"}))
    try:
        w = t.world()
        expect(t.put(A + "/me/postback", {"url": rec.url("/moved")}, key=w.pk), 200)
        expect(conv(t, w, click(t, w)), 201)
        d = wait_for(lambda: [x for x in deliveries(t.srv, w.pk) if x["attempts"] >= 2],
                     what="two attempts")[0]
        assert d["status"] == "pending" and d["last_status"] == 302, d
        assert [a["http_status"] for a in d["attempt_log"]][:2] == [302, 302], d
        assert_time(d["next_attempt_at"])
        assert all(p == "/moved" for p, _ in rec.got()), rec.got()  # never followed
    finally:
        rec.close()


def test_restart_loses_nothing(t):
    state = {"ok": False}
    rec = Receiver(policy=lambda n: 200 if state["ok"] else 503)
    try:
        srv = t.start_server()
        w = srv.world()
        expect(srv.put(A + "/me/postback", {"url": rec.url("/r?o={order_id}")}, key=w.pk), 200)
        cid = click(t, w, srv=srv)
        c = expect(conv(t, w, cid, srv=srv, order_id="restart-1"), 201)
        wait_for(lambda: len(rec.got()) >= 1, what="a first (failing) attempt")
        srv.stop()
        # queued while the partner was failing; sent after the restart
        state["ok"] = True
        n_before = len(rec.got())
        srv.restart()
        wait_for(lambda: len(deliveries(srv, w.pk, "delivered")) == 1, timeout=20,
                 what="delivery after the restart")
        got = rec.got()
        assert len(got) > n_before and got[-1][0] == "/r?o=restart-1", got
        d = deliveries(srv, w.pk)[0]
        assert d["conversion_id"] == c["id"] and d["attempts"] == len(got), (d, got)
        # a conversion made and killed before its delivery is sent after the restart too
        state["ok"] = False
        c2 = expect(conv(t, w, cid, srv=srv, order_id="restart-2"), 201)
        srv.kill()
        state["ok"] = True
        srv.restart(stop=False)
        wait_for(lambda: len(deliveries(srv, w.pk, "delivered")) == 2, timeout=20,
                 what="the second delivery after kill -9")
        assert any(p == "/r?o=restart-2" for p, _ in rec.got())
        assert c2["id"] != c["id"]
    finally:
        rec.close()
