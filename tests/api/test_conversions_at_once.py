"""
test_conversions_at_once.py: a conversion posted straight after its click
is attributed, whatever the click queue holds. The click id of a 302 is
sent back at once (POST /api/v1/conversions, and GET /postback), idle and
under a wrk redirect load on the same server, in async and in sync click
durability: no conversion is refused, and GET /api/v1/reports counts them
all. A click id that was never issued (well formed, of the current time)
still gets 404 click_not_found, idle and under load.
"""

import http.client
import os
import re
import secrets
import shutil
import subprocess
import time
import urllib.parse

from tl import A, assert_problem, expect

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
LOAD_LUA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib", "load.lua")
PAIRS = 40  # click + conversion pairs per phase, half POST, half GET /postback
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


# --------------------------------------------------------------- helpers


class Client:
    """Keep-alive connections, as a visitor's browser and the brand's
    servers would have: one for the redirects, one for POST /conversions
    (answered on the HTTP front, asynchronously) and one for GET /postback
    (which libmicrohttpd serves, blocking; a connection it served stays
    there)."""

    def __init__(self, srv):
        self.srv = srv
        self.browser = http.client.HTTPConnection(srv.host, srv.port, timeout=60)
        self.brand = {via: http.client.HTTPConnection(srv.host, srv.port, timeout=60)
                      for via in ("post", "get")}

    def close(self):
        self.browser.close()
        for c in self.brand.values():
            c.close()

    def click(self, code):
        self.browser.request("GET", "/" + code, headers={"User-Agent": UA})
        r = self.browser.getresponse()
        r.read()
        assert r.status == 302, "GET /%s -> %d" % (code, r.status)
        loc = r.getheader("Location")
        return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query))["clickid"]

    def convert(self, w, cid, via):
        """POST /conversions (via "post") or GET /postback (via "get"):
        (status, body)."""
        order = "o-" + secrets.token_hex(6)
        if via == "post":
            body = ('{"click_id":"%s","order_id":"%s","amount":1000}' % (cid, order)).encode()
            self.brand[via].request("POST", A + "/conversions", body=body,
                               headers={"Authorization": "Bearer " + w.bk,
                                        "Content-Type": "application/json"})
        else:
            q = urllib.parse.urlencode({"key": w.program["postback_key"], "click_id": cid,
                                        "order_id": order, "amount": "1000"})
            self.brand[via].request("GET", "/postback?" + q)
        r = self.brand[via].getresponse()
        return r.status, r.read().decode("utf-8", "replace")


def pairs(srv, w, code, n=PAIRS):
    """n clicks, each converted straight after its 302; the refusals."""
    c = Client(srv)
    refused = []
    try:
        for i in range(n):
            cid = c.click(code)
            via = "post" if i % 2 == 0 else "get"
            status, body = c.convert(w, cid, via)
            if status != 201:
                refused.append((via, cid, status, body[:200]))
    finally:
        c.close()
    return refused


def never_issued_id():
    """A well-formed click id of the current time that no redirect gave."""
    ms = int(time.time() * 1000)
    head = ""
    for _ in range(8):
        head = BASE62[ms % 62] + head
        ms //= 62
    return head + "".join(secrets.choice(BASE62) for _ in range(17))


def check_never_issued(t, srv, w):
    c = Client(srv)
    try:
        for via in ("post", "get"):
            status, body = c.convert(w, never_issued_id(), via)
            assert status == 404 and '"click_not_found"' in body, (
                "a never-issued click id (%s) answered %d %s" % (via, status, body[:300]))
    finally:
        c.close()


def metric(srv, name):
    text = expect(srv.get("/metrics"), 200).text
    m = re.search(r"^%s (\d+)$" % re.escape(name), text, re.M)
    return int(m.group(1)) if m else 0


def link(srv, w):
    return expect(srv.post(A + "/tasks/%d/links" % w.task["id"],
                           {"partner_id": w.partner["id"], "sub_ids": {"sub_id1": secrets.token_hex(4)}},
                           key=w.bk), (200, 201))["code"]


class Load:
    """wrk hammering GET /{code} on srv until stopped."""

    def __init__(self, srv, code):
        wrk = shutil.which("wrk")
        assert wrk, "wrk is not installed (scripts/deps.sh installs it)"
        before = metric(srv, "tracklink_clicks_stored_total")
        self.proc = subprocess.Popen([wrk, "-t1", "-c16", "-d600s", "-s", LOAD_LUA,
                                      "http://%s:%d/%s" % (srv.host, srv.port, code)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        # Under way once the click writer has stored a good many of its clicks.
        deadline = time.time() + 60
        while metric(srv, "tracklink_clicks_stored_total") < before + 2000:
            assert self.proc.poll() is None, "wrk exited with %s" % self.proc.returncode
            assert time.time() < deadline, "the wrk load did not get going"
            time.sleep(0.05)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(30)


def conversions_reported(srv, w):
    q = urllib.parse.urlencode({"campaign_id": w.campaign["id"]})
    rows = expect(srv.get(A + "/reports?" + q, key=w.bk), 200)["data"]
    return sum(r["conversions"] for r in rows)


def run(t, srv):
    w = srv.world()
    code = link(srv, w)
    srv.get("/" + code)  # the link is cached from now on
    refused = pairs(srv, w, code)
    assert not refused, "idle: %d of %d conversions sent straight after their click refused: %r" % (
        len(refused), PAIRS, refused[:4])
    check_never_issued(t, srv, w)
    load = Load(srv, link(srv, w))
    try:
        refused = pairs(srv, w, code)
        check_never_issued(t, srv, w)
    finally:
        load.stop()
    assert not refused, "under load: %d of %d conversions sent straight after their click refused: %r" % (
        len(refused), PAIRS, refused[:4])
    assert conversions_reported(srv, w) == 2 * PAIRS


# ----------------------------------------------------------------- tests


def test_async_conversion_right_after_click(t):
    run(t, t.srv)


def test_sync_conversion_right_after_click(t):
    run(t, t.start_server(args=["--click-durability", "sync"]))
