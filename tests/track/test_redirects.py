"""
test_redirects.py: API.md "Redirects" and its decided edge cases, end to
end: the Location of a 302 (landing page query and fragment, click id
parameter, forwarded and reserved visitor parameters), the click id, the
headers, HEAD, bots, unique clicks (also behind --trust-proxy), links and
campaigns that credit nobody, regular URLs and their u= gate (with the
usual URL tricks and header injection attempts), 404 pages, cache
invalidation by API changes, and click durability (sync mode survives
SIGKILL; async mode drains on SIGTERM).

Clicks are observed in the server's SQLite file (the click table, opened
read-only) and, for counts, through GET /api/v1/reports when that route
exists, else the stats_hourly rollup the reports read.
"""

import http.client
import re
import threading
import time
import types
import urllib.parse

from tl import A, expect

DEFAULT_LP = "https://shop.acme.test/landing"  # the harness' program default
LP_URL = "https://www.acme.test/spring?ref=x"
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
CLICK_ID_RE = re.compile(r"^[A-Za-z0-9_~.-]{20,}$")
WAIT = 3.0  # seconds to wait for the click writer
RESERVED = ("u", "subId1", "subId2", "subId3", "sharedid")
BOT_UAS = (
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Twitterbot/1.0",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "",
)


# --------------------------------------------------------------- helpers


class Hit:
    """One redirect answer: status, headers (an HTTPMessage), body, location."""

    def __init__(self, method, path, status, headers, body):
        self.method, self.path, self.status, self.headers, self.body = method, path, status, headers, body

    @property
    def location(self):
        return self.headers.get("Location")

    def __repr__(self):
        return "<%s %s -> %d Location=%r %r>" % (self.method, self.path, self.status, self.location,
                                                 self.body[:200])


def go(srv, path, method="GET", ua=UA, headers=None):
    """One request on a fresh connection; redirects are never followed.
    ua=None sends no User-Agent header at all."""
    c = http.client.HTTPConnection(srv.host, srv.port, timeout=30)
    try:
        hdrs = {}
        if ua is not None:
            hdrs["User-Agent"] = ua
        hdrs.update(headers or {})
        c.request(method, path, headers=hdrs)
        r = c.getresponse()
        body = r.read()
        return Hit(method, path, r.status, r.headers, body)
    finally:
        c.close()


def split_location(loc):
    """(scheme://host/path, [(key, value)...] decoded, fragment)."""
    s = urllib.parse.urlsplit(loc)
    return ("%s://%s%s" % (s.scheme, s.netloc, s.path),
            urllib.parse.parse_qsl(s.query, keep_blank_values=True), s.fragment)


def redirect(srv, path, param="clickid", **kw):
    """GET path, asserts a 302 with a click id; returns (hit, click_id, query pairs)."""
    h = go(srv, path, **kw)
    assert h.status == 302, "expected 302, got %r" % h
    loc = h.location
    assert loc and "\r" not in loc and "\n" not in loc, h
    _, q, _ = split_location(loc)
    ids = [v for k, v in q if k == param]
    assert len(ids) == 1, "expected one %s in Location, got %r" % (param, h)
    assert CLICK_ID_RE.match(ids[0]), "click id %r is not URL-safe of 20+ chars" % ids[0]
    return h, ids[0], q


def assert_no_click_id(h, param="clickid", landing=DEFAULT_LP):
    assert h.status == 302, "expected 302, got %r" % h
    base, q, _ = split_location(h.location)
    assert h.location.startswith(landing), "expected a redirect to %s, got %r" % (landing, h)
    assert param not in [k for k, _ in q], "a redirect that credits nobody carries a click id: %r" % h


def wait_for(pred, what, timeout=WAIT):
    deadline = time.time() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.time() > deadline:
            raise AssertionError("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(0.05)


def click(srv, click_id, timeout=WAIT):
    """The click row of click_id, waiting for the writer."""
    got = wait_for(lambda: srv.clicks(click_id=click_id),
                   "click %s in the store" % click_id, timeout)
    return got[0]


def clicks_of(srv, campaign_id):
    return srv.clicks(campaign_id=campaign_id)


_sentinels = {}


def flush(t, srv=None):
    """Waits until every click answered so far on srv was written: one
    writer stores clicks in arrival order, so once a click made now is in
    the table, every earlier one is too (or was never queued)."""
    srv = srv or t.srv
    key = (id(srv), srv.data_dir)
    if key not in _sentinels:
        w = world(t, "program_default", srv=srv)
        _sentinels[key] = "/" + short_link(t, w, srv=srv)["code"]
    _, cid, _ = redirect(srv, _sentinels[key])
    click(srv, cid)


def world(t, mode="partner_choice", srv=None, program=None, campaign=None):
    """A brand, a partner in its program, campaign and task (as t.world),
    with program/campaign overrides. Returns t.world's namespace."""
    srv = srv or t.srv
    brand = srv.new_brand()
    partner = srv.new_partner()
    bk, pk = brand["api_key"], partner["api_key"]
    prog = srv.new_program(bk, **(program or {}))
    tracking = {"landing_page_mode": mode}
    lp = None
    if mode == "brand_selected":
        lp = srv.new_landing_page(bk, prog["id"], url="https://www.acme.test/selected")
        tracking["landing_page_ids"] = [lp["id"]]
    cbody = {"tracking": tracking}
    cbody.update(campaign or {})
    camp = srv.new_campaign(bk, prog["id"], **cbody)
    srv.join_program(bk, prog["id"], partner["id"])
    srv.join_campaign(bk, camp["id"], partner["id"])
    task = srv.new_task(bk, camp["id"])
    srv.assign_task(bk, task["id"], partner["id"])
    return types.SimpleNamespace(brand=brand, partner=partner, program=prog, campaign=camp, task=task,
                                 landing_page=lp, bk=bk, pk=pk, srv=srv)


def short_link(t, w, landing=None, srv=None, partner=None, **extra):
    """The partner's short link: created (partner_choice: landing_page_url,
    brand_selected: the world's page) or, for program_default, the one
    generated on assignment."""
    srv = srv or w.srv
    pid = (partner or w.partner)["id"]
    mode = w.campaign["tracking"]["landing_page_mode"]
    if mode == "program_default" and not extra:
        links = srv.list_all(A + "/tasks/%d/links?partner_id=%d" % (w.task["id"], pid), w.bk)
        assert links, "no automatic link for partner %d on task %d" % (pid, w.task["id"])
        return links[0]
    body = {"partner_id": pid}
    if mode == "partner_choice":
        body["landing_page_url"] = landing or LP_URL
    elif mode == "brand_selected":
        body["landing_page_id"] = w.landing_page["id"]
    body.update(extra)
    return expect(srv.post(A + "/tasks/%d/links" % w.task["id"], body, key=w.bk), (200, 201))


def regular_path(w, partner=None, task=None, campaign=None, u=None, extra=""):
    p = "/c/%d/%d/%d" % ((partner or w.partner)["id"], (task or w.task)["id"], (campaign or w.campaign)["id"])
    q = []
    if u is not None:
        q.append("u=" + urllib.parse.quote(u, safe=""))
    if extra:
        q.append(extra)
    return p + ("?" + "&".join(q) if q else "")


def counts(t, w, srv=None):
    """{link_id (0 for none): (clicks, unique_clicks)} of the world's
    campaign, from GET /api/v1/reports?group_by=link."""
    srv = srv or w.srv
    r = srv.get(A + "/reports?campaign_id=%d&group_by=link" % w.campaign["id"], key=w.bk)
    assert r.status == 200, "reports answered %r" % r
    out = {}
    for row in r.json["data"]:
        lid = row.get("link_id") or 0
        c, u = out.get(lid, (0, 0))
        out[lid] = (c + row["clicks"], u + row["unique_clicks"])
    return out


def bot_clicks(srv, campaign_id):
    return srv.rollups(campaign_id)["bot_clicks"]


def patch_campaign(w, body):
    return expect(w.srv.patch(A + "/campaigns/%d" % w.campaign["id"], body, key=w.bk), 200)


def patch_program(w, body):
    return expect(w.srv.patch(A + "/programs/%d" % w.program["id"], body, key=w.bk), 200)


def patch_link(w, link, body):
    return expect(w.srv.patch(A + "/links/%d" % link["id"], body, key=w.bk), 200)


def raw_get(srv, path, ua=UA):
    """A GET written by hand; returns (status line, [header lines]) of the answer."""
    req = ("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: %s\r\nConnection: close\r\n\r\n"
           % (path, srv.host, srv.port, ua)).encode("ascii")
    out = srv.raw(req, timeout=10, read_all=False)
    head = out.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    lines = head.split("\r\n")
    return lines[0], lines[1:]


# ------------------------------------------------------------ Location


def test_location_merges_landing_query_and_fragment(t):
    w = world(t, "partner_choice", program={"click_id_param": "irclickid"})
    landing = "https://www.acme.test/p/deal?ref=x&irclickid=stale&b=2#sec-2"
    link = short_link(t, w, landing)
    assert link["landing_page_url"] == landing, link
    q = ("utm_source=news&utm_medium=mail&utm_campaign=w1&gclid=G-1&ref=visitor&irclickid=mine"
         "&subId1=s1&subId2=s2&subId3=s3&sharedid=sh&u=" + urllib.parse.quote("https://www.acme.test/x", safe=""))
    h, cid, pairs = redirect(t.srv, "/%s?%s" % (link["code"], q), param="irclickid")
    base, _, frag = split_location(h.location)
    assert base == "https://www.acme.test/p/deal", h
    assert frag == "sec-2" and h.location.endswith("#sec-2"), "the fragment must come last: %r" % h
    assert h.location.count("#") == 1, h
    keys = [k for k, _ in pairs]
    assert keys.count("irclickid") == 1 and cid not in ("stale", "mine"), h
    # The landing page's own parameters come first and win.
    assert pairs[0] == ("ref", "x") and ("b", "2") in pairs, h
    assert keys.count("ref") == 1, "the landing page's ref must win over the visitor's: %r" % h
    for k, v in (("utm_source", "news"), ("utm_medium", "mail"), ("utm_campaign", "w1"), ("gclid", "G-1")):
        assert (k, v) in pairs, "visitor param %s not forwarded: %r" % (k, h)
    for k in RESERVED:
        assert k not in keys, "reserved param %s forwarded: %r" % (k, h)
    row = click(t.srv, cid)
    assert (row["sub_id1"], row["sub_id2"], row["sub_id3"], row["shared_id"]) == ("s1", "s2", "s3", "sh"), row
    assert row["link_id"] == link["id"] and row["landing_fallback"] == 0, row


def test_default_click_param_replaced_and_visitor_click_id_dropped(t):
    w = world(t, "partner_choice")
    link = short_link(t, w, "https://www.acme.test/a?clickid=old")
    h, cid, pairs = redirect(t.srv, "/%s?clickid=visitor&x=1" % link["code"])
    assert [k for k, _ in pairs].count("clickid") == 1 and cid not in ("old", "visitor"), h
    assert ("x", "1") in pairs, h
    # A landing page without a click id parameter of its own, and a visitor sending one.
    link2 = short_link(t, w, "https://www.acme.test/b")
    h, cid2, pairs = redirect(t.srv, "/%s?clickid=visitor" % link2["code"])
    assert pairs == [("clickid", cid2)], h
    assert h.location == "https://www.acme.test/b?clickid=" + cid2, h


def test_visitor_params_forwarded_encoded_and_recorded(t):
    w = world(t, "program_default")
    link = short_link(t, w)
    q = urllib.parse.urlencode([("utm_source", "a b&c=d"), ("gclid", "Cj0KCQ"), ("utm_term", "ü€"),
                                ("subId1", "part ner"), ("sharedid", "shared-1")])
    h, cid, pairs = redirect(t.srv, "/%s?%s" % (link["code"], q))
    assert split_location(h.location)[0] == DEFAULT_LP, h
    assert ("utm_source", "a b&c=d") in pairs and ("gclid", "Cj0KCQ") in pairs, h
    assert ("utm_term", "ü€") in pairs, h
    assert " " not in h.location, h
    keys = [k for k, _ in pairs]
    assert "subId1" not in keys and "sharedid" not in keys, h
    row = click(t.srv, cid)
    assert row["sub_id1"] == "part ner" and row["shared_id"] == "shared-1", row
    assert row["sub_id2"] in (None, "") and row["sub_id3"] in (None, ""), row
    assert row["partner_id"] == w.partner["id"] and row["task_id"] == w.task["id"], row
    assert row["campaign_id"] == w.campaign["id"] and row["program_id"] == w.program["id"], row


def test_click_id_shape_distinct_and_sortable(t):
    w = world(t, "program_default")
    code = short_link(t, w)["code"]
    ids = []
    for i in range(12):
        ids.append(redirect(t.srv, "/" + code)[1])
        time.sleep(0.02)
    assert len(set(ids)) == len(ids), "click ids repeat: %r" % ids
    for cid in ids:
        assert CLICK_ID_RE.match(cid) and len(cid) >= 20, cid
        assert urllib.parse.quote(cid, safe="") == cid, "click id %r needs escaping" % cid
    # Roughly sortable by time: ids 20 ms apart come in order.
    assert ids == sorted(ids), "click ids made in sequence do not sort by time: %r" % ids
    for cid in ids:
        click(t.srv, cid)


def test_redirect_headers(t):
    w = world(t, "program_default")
    code = short_link(t, w)["code"]
    h = go(t.srv, "/" + code)
    assert h.status == 302, h
    assert h.headers.get("Cache-Control") == "no-store", h.headers
    assert h.headers.get("Referrer-Policy") == "no-referrer-when-downgrade", h.headers
    h = go(t.srv, regular_path(w))
    assert h.status == 302, h
    assert h.headers.get("Cache-Control") == "no-store", h.headers
    assert h.headers.get("Referrer-Policy") == "no-referrer-when-downgrade", h.headers


def test_head_answers_like_get_and_records_no_click(t):
    w = world(t, "program_default")
    code = short_link(t, w)["code"]
    for path in ("/" + code, regular_path(w)):
        h = go(t.srv, path, method="HEAD")
        assert h.status == 302, h
        assert h.location and h.location.startswith(DEFAULT_LP + "?clickid="), h
        assert h.headers.get("Cache-Control") == "no-store", h.headers
        assert h.headers.get("Referrer-Policy") == "no-referrer-when-downgrade", h.headers
        assert h.body == b"", h
    flush(t)
    assert clicks_of(t.srv, w.campaign["id"]) == [], "HEAD recorded a click"
    assert all(v == (0, 0) for v in counts(t, w).values()), counts(t, w)


# ----------------------------------------------------------------- bots


def test_bots_get_a_click_id_are_flagged_and_not_counted(t):
    w = world(t, "program_default")
    code = short_link(t, w)["code"]
    bot_ids = []
    for ua in BOT_UAS:
        h, cid, _ = redirect(t.srv, "/" + code, ua=ua)
        bot_ids.append((ua, cid))
    h = go(t.srv, "/" + code, ua=None)  # no User-Agent header at all
    assert h.status == 302, h
    _, q, _ = split_location(h.location)
    bot_ids.append((None, dict(q)["clickid"]))
    for ua, cid in bot_ids:
        assert click(t.srv, cid)["bot"] == 1, "UA %r not stored as a bot" % ua
    assert counts(t, w).get(short_link(t, w)["id"], (0, 0)) == (0, 0), counts(t, w)
    assert bot_clicks(t.srv, w.campaign["id"]) == len(bot_ids)
    # A person is counted, and still unique after the bots.
    _, cid, _ = redirect(t.srv, "/" + code)
    row = click(t.srv, cid)
    assert row["bot"] == 0 and row["uniq"] == 1, row
    lid = short_link(t, w)["id"]
    wait_for(lambda: counts(t, w).get(lid) == (1, 1), "counts (1, 1), got %r" % (counts(t, w),))
    assert bot_clicks(t.srv, w.campaign["id"]) == len(bot_ids)


# --------------------------------------------------------- unique clicks


def test_unique_clicks_per_visitor(t):
    w = world(t, "program_default")
    link = short_link(t, w)
    path = "/" + link["code"]
    first = click(t.srv, redirect(t.srv, path)[1])
    second = click(t.srv, redirect(t.srv, path)[1])
    other = click(t.srv, redirect(t.srv, path, ua=UA + " Other/1")[1])
    assert (first["uniq"], second["uniq"], other["uniq"]) == (1, 0, 1), (first, second, other)
    assert first["visitor_hash"] == second["visitor_hash"] != other["visitor_hash"]
    wait_for(lambda: counts(t, w).get(link["id"]) == (3, 2), "counts (3, 2), got %r" % (counts(t, w),))
    # Another link is another count: the same visitor is unique there.
    w2 = world(t, "program_default")
    row = click(t.srv, redirect(t.srv, "/" + short_link(t, w2)["code"])[1])
    assert row["uniq"] == 1, row


def test_raw_ip_is_never_stored(t):
    w = world(t, "program_default")
    ids = [redirect(t.srv, "/" + short_link(t, w)["code"])[1] for _ in range(3)]
    ids.append(redirect(t.srv, regular_path(w))[1])
    for cid in ids:
        click(t.srv, cid)
    for row in clicks_of(t.srv, w.campaign["id"]):
        cols = list(row)
        assert not any("ip" == c or c.endswith("_ip") or c.startswith("ip_") for c in cols), cols
        for k, v in row.items():
            if isinstance(v, bytes):
                assert b"127.0.0.1" not in v and bytes([127, 0, 0, 1]) not in v, (k, row)
            elif isinstance(v, str):
                assert "127.0.0.1" not in v, (k, row)


def test_trust_proxy_visitors_and_no_ip_in_db(t):
    srv = t.start_server(args=["--trust-proxy"])
    w = world(t, "program_default", srv=srv)
    link = short_link(t, w)
    path = "/" + link["code"]

    def hit(xff):
        return click(srv, redirect(srv, path, headers={"X-Forwarded-For": xff})[1])

    a1 = hit("198.51.100.77, 203.0.113.41")
    a2 = hit("192.0.2.99, 203.0.113.41")       # same last hop: the same visitor
    b1 = hit("198.51.100.77, 203.0.113.42")    # another last hop: another visitor
    b2 = hit("203.0.113.42")
    assert (a1["uniq"], a2["uniq"], b1["uniq"], b2["uniq"]) == (1, 0, 1, 0), (a1, a2, b1, b2)
    wait_for(lambda: counts(t, w, srv).get(link["id"]) == (4, 2), "counts (4, 2)")
    # Nothing the store holds of these clicks carries an address, in any form.
    for row in clicks_of(srv, w.campaign["id"]):
        for k, v in row.items():
            for ip in ("203.0.113.41", "203.0.113.42", "198.51.100.77", "192.0.2.99"):
                packed = bytes(int(x) for x in ip.split("."))
                if isinstance(v, bytes):
                    assert ip.encode() not in v and packed not in v, (k, row)
                elif isinstance(v, str):
                    assert ip not in v, (k, row)
    srv.stop()


def test_xff_ignored_without_trust_proxy(t):
    w = world(t, "program_default")
    path = "/" + short_link(t, w)["code"]
    a = click(t.srv, redirect(t.srv, path, headers={"X-Forwarded-For": "203.0.113.1"})[1])
    b = click(t.srv, redirect(t.srv, path, headers={"X-Forwarded-For": "203.0.113.2"})[1])
    assert (a["uniq"], b["uniq"]) == (1, 0), "X-Forwarded-For was trusted without --trust-proxy"


# ------------------------------------------------- redirects crediting nobody


def _no_credit_cycle(t, w, path, off, on, param="clickid"):
    """A click (fills the cache), then off → default without click id and no
    click; then on → clicks again."""
    _, before, _ = redirect(t.srv, path, param=param)
    click(t.srv, before)
    n = len(clicks_of(t.srv, w.campaign["id"]))
    off()
    for _ in range(2):
        h = go(t.srv, path + ("&" if "?" in path else "?") + "utm_source=x")
        assert_no_click_id(h, param, w.program["default_landing_page"])
        assert split_location(h.location)[0] == w.program["default_landing_page"], h
    h = go(t.srv, path, method="HEAD")
    assert_no_click_id(h, param, w.program["default_landing_page"])
    flush(t)
    assert len(clicks_of(t.srv, w.campaign["id"])) == n, "a redirect that credits nobody recorded a click"
    on()
    _, after, _ = redirect(t.srv, path, param=param)
    click(t.srv, after)


def test_disabled_link(t):
    w = world(t, "partner_choice", program={"click_id_param": "irclickid"})
    link = short_link(t, w)
    _no_credit_cycle(t, w, "/" + link["code"], lambda: patch_link(w, link, {"active": False}),
                     lambda: patch_link(w, link, {"active": True}), param="irclickid")
    h, _, _ = redirect(t.srv, "/" + link["code"], param="irclickid")
    assert h.location.startswith("https://www.acme.test/spring?ref=x&irclickid="), h


def test_disabled_regular_link(t):
    # The regular URL of a disabled link credits nobody either, even though
    # a regular path works without any generated link.
    w = world(t, "partner_choice")
    link = short_link(t, w, LP_URL, kind="regular")
    url = urllib.parse.urlsplit(link["regular_url"])
    path = url.path + "?" + url.query
    _no_credit_cycle(t, w, path, lambda: patch_link(w, link, {"active": False}),
                     lambda: patch_link(w, link, {"active": True}))
    h, cid, _ = redirect(t.srv, path)
    assert click(t.srv, cid)["link_id"] == link["id"]


def test_link_sub_ids_recorded_with_its_clicks(t):
    # A short link's own sub ids and shared id go with its clicks (and so
    # to conversions and partner postbacks); a visitor's subId1 wins.
    w = world(t, "partner_choice")
    link = short_link(t, w, LP_URL, sub_id1="s-one", sub_id3="s-three", shared_id="shared")
    _, cid, _ = redirect(t.srv, "/" + link["code"])
    row = click(t.srv, cid)
    assert (row["sub_id1"], row["sub_id2"], row["sub_id3"], row["shared_id"]) == \
        ("s-one", None, "s-three", "shared"), row
    _, cid, _ = redirect(t.srv, "/" + link["code"] + "?subId1=visitor")
    row = click(t.srv, cid)
    assert (row["sub_id1"], row["sub_id3"]) == ("visitor", "s-three"), row


def test_paused_campaign(t):
    w = world(t, "partner_choice")
    link = short_link(t, w)
    for path in ("/" + link["code"], regular_path(w, u=LP_URL)):
        _no_credit_cycle(t, w, path, lambda: patch_campaign(w, {"status": "paused"}),
                         lambda: patch_campaign(w, {"status": "active"}))


def test_ended_campaign(t):
    w = world(t, "program_default")
    path = "/" + short_link(t, w)["code"]
    redirect(t.srv, path)
    patch_campaign(w, {"status": "ended"})
    assert_no_click_id(go(t.srv, path))


def test_tracking_off(t):
    w = world(t, "program_default")
    link = short_link(t, w)
    for path in ("/" + link["code"], regular_path(w)):
        _no_credit_cycle(t, w, path, lambda: patch_campaign(w, {"tracking": {"enabled": False}}),
                         lambda: patch_campaign(w, {"tracking": {"enabled": True}}))


# ---------------------------------------------------------- regular URLs


def test_regular_url_without_generated_link(t):
    w = world(t, "partner_choice")
    other = t.new_partner()
    t.join_program(w.bk, w.program["id"], other["id"])
    t.join_campaign(w.bk, w.campaign["id"], other["id"])
    t.assign_task(w.bk, w.task["id"], other["id"])
    for p in (w.partner, other):
        h, cid, pairs = redirect(t.srv, regular_path(w, partner=p, extra="utm_source=nl&subId2=z"))
        assert split_location(h.location)[0] == DEFAULT_LP, h
        assert ("utm_source", "nl") in pairs and "subId2" not in [k for k, _ in pairs], h
        row = click(t.srv, cid)
        assert row["link_id"] is None, "no generated link, link_id must be null: %r" % row
        assert (row["partner_id"], row["task_id"], row["campaign_id"]) == (
            p["id"], w.task["id"], w.campaign["id"]), row
        assert row["sub_id2"] == "z" and row["landing_fallback"] == 0, row
    wait_for(lambda: counts(t, w).get(0) == (2, 2), "two unique clicks without a link, got %r" % (counts(t, w),))


def test_regular_url_credits_the_generated_link(t):
    w = world(t, "partner_choice")
    lp_link = short_link(t, w, LP_URL)
    def_link = short_link(t, w, DEFAULT_LP, kind="regular")
    h, cid, _ = redirect(t.srv, regular_path(w, u=LP_URL))
    assert h.location.startswith(LP_URL + "&clickid="), h
    row = click(t.srv, cid)
    assert row["link_id"] == lp_link["id"] and row["landing_fallback"] == 0, row
    h, cid, _ = redirect(t.srv, regular_path(w))
    assert split_location(h.location)[0] == DEFAULT_LP, h
    assert click(t.srv, cid)["link_id"] == def_link["id"]
    # The regular_url the API gave out works as it is.
    for lk in (lp_link, def_link):
        path = urllib.parse.urlsplit(lk["regular_url"])
        h, cid, _ = redirect(t.srv, path.path + ("?" + path.query if path.query else ""))
        assert click(t.srv, cid)["link_id"] == lk["id"]
    # Another permitted page with no link of its own: followed, link_id null.
    h, cid, _ = redirect(t.srv, regular_path(w, u="https://acme.test/other"))
    assert h.location.startswith("https://acme.test/other?clickid="), h
    assert click(t.srv, cid)["link_id"] is None


def test_regular_url_program_default_auto_link(t):
    w = world(t, "program_default")
    link = short_link(t, w)
    h, cid, _ = redirect(t.srv, regular_path(w))
    assert split_location(h.location)[0] == DEFAULT_LP, h
    assert click(t.srv, cid)["link_id"] == link["id"]


BAD_U = (
    "javascript:alert(1)",
    "//evil.test/x",
    "https://evil.test/",
    "https://acme.test@evil.test/",
    "https://evil.test\\@acme.test/",
    "https:\\\\evil.test/",
    "https:/\\evil.test/",
    "https://user:pw@www.acme.test/x",
    "https://www.acme.test/x\r\nSet-Cookie: evil=1",
    "https://acme.test.evil.test/",
    "https://evilacme.test/",
    "data:text/html,<script>alert(1)</script>",
    "ftp://www.acme.test/x",
    "www.acme.test/x",
    "",
)


def _assert_fallback(t, w, u):
    h, cid, pairs = redirect(t.srv, regular_path(w, u=u))
    assert split_location(h.location)[0] == w.program["default_landing_page"], "u=%r was followed: %r" % (u, h)
    assert "evil" not in h.location.lower() and "\\" not in h.location, "u=%r leaked: %r" % (u, h)
    assert "u" not in [k for k, _ in pairs], h
    row = click(t.srv, cid)
    assert row["landing_fallback"] == 1, "u=%r: landing_fallback not set: %r" % (u, row)
    return row


def test_regular_u_partner_choice(t):
    w = world(t, "partner_choice")
    for u in ("https://www.acme.test/deal?x=1#f", "https://acme.test/", "HTTPS://Shop.ACME.test/Case"):
        h, cid, _ = redirect(t.srv, regular_path(w, u=u))
        s = urllib.parse.urlsplit(h.location)
        assert s.hostname in ("www.acme.test", "acme.test", "shop.acme.test"), (u, h)
        assert click(t.srv, cid)["landing_fallback"] == 0, u
    h, _, pairs = redirect(t.srv, regular_path(w, u="https://www.acme.test/deal?x=1#f"))
    assert h.location.startswith("https://www.acme.test/deal?x=1&clickid=") and h.location.endswith("#f"), h
    h, _, _ = redirect(t.srv, regular_path(w, u="HTTPS://Shop.ACME.test/Case"))
    assert h.location.startswith("https://shop.acme.test/Case?clickid="), h
    for u in BAD_U:
        _assert_fallback(t, w, u)


def test_regular_u_brand_selected(t):
    w = world(t, "brand_selected")
    sel = w.landing_page["url"]
    h, cid, _ = redirect(t.srv, regular_path(w, u=sel))
    assert split_location(h.location)[0] == sel, h
    assert click(t.srv, cid)["landing_fallback"] == 0
    # Permitted domain, but not one of the campaign's pages.
    other = t.new_landing_page(w.bk, w.program["id"], url="https://www.acme.test/not-selected")
    for u in (other["url"], "https://www.acme.test/anything") + BAD_U[:6]:
        _assert_fallback(t, w, u)
    # The default itself is fine.
    h, cid, _ = redirect(t.srv, regular_path(w, u=DEFAULT_LP))
    assert split_location(h.location)[0] == DEFAULT_LP
    assert click(t.srv, cid)["landing_fallback"] == 0


def test_regular_u_program_default(t):
    w = world(t, "program_default")
    h, cid, _ = redirect(t.srv, regular_path(w, u=DEFAULT_LP))
    assert split_location(h.location)[0] == DEFAULT_LP, h
    assert click(t.srv, cid)["landing_fallback"] == 0
    for u in ("https://www.acme.test/spring", "https://shop.acme.test/landing2") + BAD_U[:6]:
        _assert_fallback(t, w, u)


def test_crlf_never_reaches_the_headers(t):
    w = world(t, "partner_choice")
    code = short_link(t, w)["code"]
    evil = "%0d%0aX-Injected:%20yes%0d%0aSet-Cookie:%20tl_evil=1"
    paths = [
        regular_path(w) + "?u=https://www.acme.test/x" + evil,
        regular_path(w) + "?utm_source=a" + evil,
        regular_path(w) + "?utm" + evil + "=v",
        "/%s?utm_source=a%s&subId1=b%s" % (code, evil, evil),
        "/%s?%s=1" % (code, evil),
        "/%s?gclid=%%0a%%0dX-Injected:%%20yes" % code,
    ]
    for p in paths:
        status, headers = raw_get(t.srv, p)
        assert " 302 " in status + " ", "%s: %s %r" % (p, status, headers)
        names = [h.split(":", 1)[0].strip().lower() for h in headers]
        assert "x-injected" not in names and "set-cookie" not in names, "%s: injected header: %r" % (p, headers)
        locs = [h for h in headers if h.lower().startswith("location:")]
        assert len(locs) == 1, headers
        loc = locs[0].split(":", 1)[1].strip()
        assert "\r" not in loc and "\n" not in loc and " " not in loc, loc
        assert "clickid=" in loc, loc
    # u= with CR/LF is refused, and recorded as a fallback.
    _assert_fallback(t, w, "https://www.acme.test/x\r\nX-Injected: yes")


def test_u_on_short_link_is_dropped(t):
    w = world(t, "partner_choice")
    link = short_link(t, w)
    for u in ("https://acme.test/elsewhere", "https://evil.test/"):
        h, cid, pairs = redirect(t.srv, "/%s?u=%s" % (link["code"], urllib.parse.quote(u, safe="")))
        assert split_location(h.location)[0] == "https://www.acme.test/spring", h
        assert "u" not in [k for k, _ in pairs] and "evil" not in h.location, h
        row = click(t.srv, cid)
        assert row["landing_fallback"] == 0 and row["link_id"] == link["id"], row


def _assert_404_html(h):
    assert h.status == 404, "expected 404, got %r" % h
    assert h.headers.get("Content-Type", "").lower().startswith("text/html"), h.headers
    assert h.location is None, h
    assert b"<" in h.body, h


def test_regular_url_unknown_combinations_are_404(t):
    w = world(t, "partner_choice")
    stranger = t.new_partner()  # in the program and campaign, not on the task
    t.join_program(w.bk, w.program["id"], stranger["id"])
    t.join_campaign(w.bk, w.campaign["id"], stranger["id"])
    _assert_404_html(go(t.srv, regular_path(w, partner=stranger)))
    _assert_404_html(go(t.srv, regular_path(w, partner=t.new_partner())))
    # The partner's task with another campaign of the same program.
    c2 = t.new_campaign(w.bk, w.program["id"], tracking={"landing_page_mode": "partner_choice"})
    t.join_campaign(w.bk, c2["id"], w.partner["id"])
    t2 = t.new_task(w.bk, c2["id"])
    t.assign_task(w.bk, t2["id"], w.partner["id"])
    _assert_404_html(go(t.srv, regular_path(w, campaign=c2)))
    _assert_404_html(go(t.srv, regular_path(w, task=t2)))
    redirect(t.srv, regular_path(w, task=t2, campaign=c2))
    # Another world's task and campaign.
    w2 = world(t, "partner_choice")
    _assert_404_html(go(t.srv, regular_path(w, task=w2.task, campaign=w2.campaign)))
    _assert_404_html(go(t.srv, regular_path(w2, partner=w.partner)))
    _assert_404_html(go(t.srv, "/c/999999999/999999999/999999999"))
    # Assigning the stranger later works at once (no stale negative entry).
    t.assign_task(w.bk, w.task["id"], stranger["id"])
    _, cid, _ = redirect(t.srv, regular_path(w, partner=stranger))
    assert click(t.srv, cid)["partner_id"] == stranger["id"]
    flush(t)
    assert len(clicks_of(t.srv, c2["id"])) == 1


def test_unknown_code_is_404_html(t):
    for path in ("/zzzzzzz", "/ZZZZZZ9", "/nope", "/0000000?u=https://acme.test/"):
        _assert_404_html(go(t.srv, path))
    h = go(t.srv, "/zzzzzzz", method="HEAD")
    assert h.status == 404 and h.location is None, h
    # A code created after a miss works at once.
    w = world(t, "partner_choice")
    link = short_link(t, w)
    redirect(t.srv, "/" + link["code"])


# ------------------------------------------------------ cache invalidation


def test_program_default_change_is_followed_at_once(t):
    w = world(t, "program_default")
    link = short_link(t, w)
    h, _, _ = redirect(t.srv, "/" + link["code"])
    assert split_location(h.location)[0] == DEFAULT_LP
    redirect(t.srv, regular_path(w))
    new = "https://www.acme.test/new-default?v=2"
    patch_program(w, {"default_landing_page": new})
    h, cid, _ = redirect(t.srv, "/" + link["code"])
    assert h.location.startswith(new + "&clickid="), "short link did not follow the new default: %r" % h
    assert click(t.srv, cid)["landing_fallback"] == 0
    h, cid, _ = redirect(t.srv, regular_path(w))
    assert h.location.startswith(new + "&clickid="), "regular URL did not follow the new default: %r" % h
    # A link that credits nobody goes to the new default too.
    patch_link(w, link, {"active": False})
    assert_no_click_id(go(t.srv, "/" + link["code"]), landing=new)


def test_permitted_domains_narrowed_falls_back(t):
    w = world(t, "partner_choice")
    link = short_link(t, w, "https://www.acme.test/spring")
    h, cid, _ = redirect(t.srv, "/" + link["code"])
    assert h.location.startswith("https://www.acme.test/spring?clickid="), h
    redirect(t.srv, regular_path(w, u="https://www.acme.test/spring"))
    patch_program(w, {"permitted_domains": ["shop.acme.test"]})
    h, cid, _ = redirect(t.srv, "/" + link["code"])
    assert split_location(h.location)[0] == DEFAULT_LP, "a no longer permitted landing page was followed: %r" % h
    row = click(t.srv, cid)
    assert row["landing_fallback"] == 1 and row["link_id"] == link["id"], row
    _assert_fallback(t, w, "https://www.acme.test/spring")
    # Widened again: followed again.
    patch_program(w, {"permitted_domains": ["acme.test", "*.acme.test"]})
    h, cid, _ = redirect(t.srv, "/" + link["code"])
    assert h.location.startswith("https://www.acme.test/spring?clickid="), h
    assert click(t.srv, cid)["landing_fallback"] == 0


# ------------------------------------------------------------ durability


def _load(srv, paths, n, threads, answered, lock, stop_at=None, on_stop=None):
    """n GETs over threads connections; click ids of every 302 go to answered.
    When stop_at answers arrived, on_stop() runs once (from a client thread)."""
    counter = {"sent": 0, "fired": False}

    def worker(k):
        conn = None
        while True:
            with lock:
                if counter["sent"] >= n:
                    break
                counter["sent"] += 1
                i = counter["sent"]
            path = paths[i % len(paths)]
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(srv.host, srv.port, timeout=20)
                conn.request("GET", path, headers={"User-Agent": UA + " load/%d" % k})
                r = conn.getresponse()
                r.read()
                if r.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                if conn is not None:
                    conn.close()
                    conn = None
                if on_stop is not None and counter["fired"]:
                    break
                continue
            if r.status == 302:
                loc = r.getheader("Location")
                cid = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query)).get("clickid")
                with lock:
                    answered.append(cid)
                    fire = stop_at is not None and len(answered) >= stop_at and not counter["fired"]
                    if fire:
                        counter["fired"] = True
                if fire:
                    on_stop()
        if conn is not None:
            conn.close()

    ths = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(threads)]
    for th in ths:
        th.start()
    for th in ths:
        th.join(120)
    assert not any(th.is_alive() for th in ths), "load clients hung"


def test_sync_durability_survives_sigkill(t):
    srv = t.start_server(args=["--click-durability", "sync"])
    w = world(t, "partner_choice", srv=srv)
    paths = ["/" + short_link(t, w, "https://www.acme.test/d%d" % i)["code"] for i in range(3)]
    paths.append(regular_path(w, u="https://www.acme.test/r"))
    answered, lock = [], threading.Lock()
    _load(srv, paths, 300, 6, answered, lock, stop_at=120, on_stop=srv.kill)
    assert len(answered) >= 120, "only %d redirects answered before the kill" % len(answered)
    assert all(answered), answered
    srv.start()  # the same data dir
    expect(srv.get("/healthz"), 200)
    stored = {r["click_id"] for r in clicks_of(srv, w.campaign["id"])}
    lost = [c for c in answered if c not in stored]
    assert not lost, "%d of %d answered clicks lost after SIGKILL in sync mode: %r" % (
        len(lost), len(answered), lost[:5])


def test_async_drains_on_sigterm(t):
    srv = t.start_server()
    w = world(t, "partner_choice", srv=srv)
    paths = ["/" + short_link(t, w, "https://www.acme.test/a%d" % i)["code"] for i in range(3)]
    paths.append(regular_path(w))
    answered, lock = [], threading.Lock()
    _load(srv, paths, 400, 4, answered, lock)
    assert len(answered) == 400, len(answered)
    srv.stop()  # at once: the writer may still hold clicks
    stored = {r["click_id"] for r in clicks_of(srv, w.campaign["id"])}
    lost = [c for c in answered if c not in stored]
    assert not lost, "%d of %d clicks lost at SIGTERM: %r" % (len(lost), len(answered), lost[:5])
    n = srv.rollups(w.campaign["id"])["clicks"]
    assert n == 400, "stats_hourly counts %d clicks, 400 stored" % n
