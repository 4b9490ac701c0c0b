"""
test_conversions.py: API.md "Conversions" and the decided edge cases about
them: recording a conversion against a stored click (POST /conversions
and GET /postback), the conversion object, attribution, idempotency on
(program, event_type, order_id) including 40 concurrent identical
requests, every error code, payouts (fixed and percent with banker's
rounding), the status moves and their history, who sees what, the hourly
rollups (reversal subtracting), and durability across kill -9.
"""

import datetime
import http.client
import os
import threading
import time
import urllib.parse

from tl import A, assert_problem, assert_time, expect, uniq, urlquote

BROWSER_UA = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/120.0 Safari/537.36")
CONV_FIELDS = {"id", "status", "click_id", "order_id", "event_type", "amount", "currency", "payout",
               "partner_id", "campaign_id", "task_id", "link_id", "program_id", "occurred_at",
               "created_at"}


# --------------------------------------------------------------- helpers


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc)


def make_link(t, w, srv=None):
    srv = srv or t.srv
    return expect(srv.post(A + "/tasks/%d/links" % w.task["id"], {"partner_id": w.partner["id"]},
                           key=w.bk), (200, 201))


def click(t, w, query="", ua=BROWSER_UA, srv=None, link=None):
    """Clicks the partner's link like a browser; returns the click id once stored."""
    srv = srv or t.srv
    link = link or make_link(t, w, srv)
    conn = http.client.HTTPConnection(srv.host, srv.port, timeout=10)
    try:
        conn.request("GET", "/" + link["code"] + query, headers={"User-Agent": ua})
        r = conn.getresponse()
        r.read()
        assert r.status == 302, "redirect answered %d" % r.status
        loc = r.getheader("Location")
    finally:
        conn.close()
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(loc).query)
    assert "clickid" in q, "no clickid in %r" % loc
    cid = q["clickid"][0]
    srv.wait_clicks_stored()
    return cid


def conv(t, w, cid, srv=None, **kw):
    body = {"click_id": cid, "order_id": kw.pop("order_id", uniq("order")), "amount": 12345}
    body.update(kw)
    return (srv or t.srv).post(A + "/conversions", body, key=w.bk)


def report(srv, w, query):
    """The rows of GET /api/v1/reports?<query>, as w's brand sees them."""
    return expect(srv.get(A + "/reports?" + query, key=w.bk), 200)["data"]


def stats(srv, w):
    """(conversions, revenue, payout, clicks) of w's campaign, from the reports."""
    rows = report(srv, w, "campaign_id=%d" % w.campaign["id"])
    return tuple(sum(r[k] for r in rows) for k in ("conversions", "revenue", "payout", "clicks"))


def check_conv(c, w=None):
    missing = CONV_FIELDS - set(c)
    assert not missing, "conversion lacks %s: %r" % (sorted(missing), c)
    assert isinstance(c["id"], int) and c["id"] > 0
    assert c["status"] in ("pending", "approved", "reversed")
    assert_time(c["occurred_at"], "occurred_at")
    assert_time(c["created_at"], "created_at")
    if w is not None:
        assert c["partner_id"] == w.partner["id"], c
        assert c["campaign_id"] == w.campaign["id"], c
        assert c["task_id"] == w.task["id"], c
        assert c["program_id"] == w.program["id"], c


# ----------------------------------------------------------------- tests


def test_create_and_read(t):
    w = t.world()
    link = make_link(t, w)
    cid = click(t, w, link=link)
    c = expect(conv(t, w, cid, order_id="A-1", amount=12345), 201)
    check_conv(c, w)
    assert c["status"] == "pending" and c["click_id"] == cid and c["order_id"] == "A-1", c
    assert c["event_type"] == "sale" and c["amount"] == 12345 and c["currency"] == "USD", c
    assert c["payout"] == 500, c  # the harness campaign: fixed 500
    assert c["link_id"] == link["id"], c
    got = expect(t.get(A + "/conversions/%d" % c["id"], key=w.bk), 200)
    assert got["id"] == c["id"] and got["status"] == "pending" and got["click_id"] == cid, got
    # the partner reads their own
    got = expect(t.get(A + "/conversions/%d" % c["id"], key=w.pk), 200)
    assert got["id"] == c["id"], got
    # occurred_at given is kept
    when = now_utc() - datetime.timedelta(minutes=5)
    c2 = expect(conv(t, w, cid, occurred_at=iso(when)), 201)
    assert c2["occurred_at"] == iso(when), c2


def test_replay_and_duplicate_order(t):
    w = t.world()
    cid = click(t, w)
    c = expect(conv(t, w, cid, order_id="R-1", amount=1000), 201)
    again = expect(conv(t, w, cid, order_id="R-1", amount=1000), 200)
    assert again["id"] == c["id"] and again == c, (again, c)
    # occurred_at is ignored in the comparison
    again = expect(conv(t, w, cid, order_id="R-1", amount=1000,
                        occurred_at=iso(now_utc() - datetime.timedelta(minutes=1))), 200)
    assert again["id"] == c["id"]
    assert_problem(conv(t, w, cid, order_id="R-1", amount=1001), 409, "duplicate_order")
    cid2 = click(t, w)
    assert_problem(conv(t, w, cid2, order_id="R-1", amount=1000), 409, "duplicate_order")
    assert_problem(conv(t, w, cid, order_id="R-1", amount=1000, currency="EUR"), 422,
                   "currency_mismatch")
    # another event type is another conversion
    lead = expect(conv(t, w, cid, order_id="R-1", amount=1000, event_type="lead"), 201)
    assert lead["id"] != c["id"] and lead["event_type"] == "lead"
    # the same order id in another program is another conversion
    w2 = t.world()
    cid3 = click(t, w2)
    expect(conv(t, w2, cid3, order_id="R-1", amount=1000), 201)


def test_errors(t):
    w = t.world()
    cid = click(t, w)
    p = A + "/conversions"
    assert_problem(conv(t, w, "nosuchclick0000000000000"), 404, "click_not_found")
    assert_problem(conv(t, w, "x" * 300), 404, "click_not_found")
    assert_problem(t.post(p, {"order_id": "o", "amount": 1}, key=w.bk), 422, "missing_field",
                   "click_id")
    assert_problem(t.post(p, {"click_id": cid, "amount": 1}, key=w.bk), 422, "missing_field",
                   "order_id")
    assert_problem(t.post(p, {"click_id": cid, "order_id": "o"}, key=w.bk), 422, "missing_field",
                   "amount")
    assert_problem(conv(t, w, cid, order_id=""), 422, "invalid_value", "order_id")
    assert_problem(conv(t, w, cid, order_id="x" * 256), 422, "invalid_value", "order_id")
    expect(conv(t, w, cid, order_id="y" * 255), 201)
    # amount
    assert_problem(conv(t, w, cid, amount=12.5), 422, "invalid_amount", "amount")
    assert_problem(conv(t, w, cid, amount=-1), 422, "invalid_amount", "amount")
    assert_problem(conv(t, w, cid, amount=2 ** 53), 422, "invalid_amount", "amount")
    assert_problem(conv(t, w, cid, amount="100"), 400, "invalid_type", "amount")
    assert_problem(conv(t, w, cid, amount=True), 400, "invalid_type", "amount")
    big = expect(conv(t, w, cid, amount=2 ** 53 - 1), 201)
    assert big["amount"] == 2 ** 53 - 1
    zero = expect(conv(t, w, cid, amount=0), 201)
    assert zero["amount"] == 0 and zero["payout"] == 500
    # types
    assert_problem(conv(t, w, 123), 400, "invalid_type", "click_id")
    assert_problem(conv(t, w, cid, order_id=5), 400, "invalid_type", "order_id")
    assert_problem(t.post(p, raw_body="{nope", key=w.bk), 400, "invalid_json")
    # currency: any currency but the program's, even a malformed one
    assert_problem(conv(t, w, cid, currency="EUR"), 422, "currency_mismatch", "currency")
    assert_problem(conv(t, w, cid, currency="usd"), 422, "currency_mismatch", "currency")
    assert_problem(conv(t, w, cid, currency="ZZZ"), 422, "currency_mismatch", "currency")
    expect(conv(t, w, cid, currency="USD"), 201)
    # event type
    assert_problem(conv(t, w, cid, event_type="Big Sale"), 422, "invalid_value", "event_type")
    assert_problem(conv(t, w, cid, event_type="x" * 65), 422, "invalid_value", "event_type")
    expect(conv(t, w, cid, event_type="sign-up.v2_x"), 201)
    # occurred_at
    assert_problem(conv(t, w, cid, occurred_at="yesterday"), 422, "invalid_value", "occurred_at")
    # the partner may not record conversions; no key at all is 401
    assert_problem(t.post(p, {"click_id": cid, "order_id": "o", "amount": 1}, key=w.pk), 403,
                   "forbidden")
    assert_problem(t.post(p, {"click_id": cid, "order_id": "o", "amount": 1}), 401,
                   "unauthorized")
    # another brand's click is not found for this brand, before any other check
    other = t.world()
    assert_problem(conv(t, other, cid), 404, "click_not_found")
    assert_problem(conv(t, other, cid, amount=1.5), 404, "click_not_found")
    assert_problem(t.get(A + "/conversions/%d" % big["id"], key=other.bk), 404, "not_found")


def test_referral_window(t):
    w = t.world()
    cid = click(t, w)
    now = now_utc()
    # the program window is 30 days by default
    expect(conv(t, w, cid, occurred_at=iso(now + datetime.timedelta(days=29, hours=23))), 201)
    assert_problem(conv(t, w, cid, occurred_at=iso(now + datetime.timedelta(days=30, minutes=2))),
                   422, "outside_referral_window")
    expect(conv(t, w, cid, occurred_at=iso(now - datetime.timedelta(minutes=50))), 201)
    assert_problem(conv(t, w, cid, occurred_at=iso(now - datetime.timedelta(minutes=70))), 422,
                   "outside_referral_window")
    # a one-day window
    w1 = t.world()
    expect(t.patch(A + "/programs/%d" % w1.program["id"], {"referral_window_days": 1}, key=w1.bk),
           200)
    cid1 = click(t, w1)
    now = now_utc()
    expect(conv(t, w1, cid1, occurred_at=iso(now + datetime.timedelta(hours=23))), 201)
    assert_problem(conv(t, w1, cid1, occurred_at=iso(now + datetime.timedelta(hours=25))), 422,
                   "outside_referral_window")


def test_campaign_states(t):
    w = t.world()
    cid = click(t, w)
    cp = A + "/campaigns/%d" % w.campaign["id"]
    # paused and ended campaigns still accept conversions within the window
    expect(t.patch(cp, {"status": "paused"}, key=w.bk), 200)
    expect(conv(t, w, cid), 201)
    expect(t.patch(cp, {"status": "ended"}, key=w.bk), 200)
    expect(conv(t, w, cid), 201)
    # tracking off
    expect(t.patch(cp, {"tracking": {"enabled": False}}, key=w.bk), 200)
    assert_problem(conv(t, w, cid), 422, "campaign_not_trackable")


def test_bot_click_converts(t):
    w = t.world()
    link = make_link(t, w)
    cid = click(t, w, link=link, ua="Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")
    c = expect(conv(t, w, cid), 201)
    assert c["click_id"] == cid


def test_payout_percent(t):
    w = t.world()
    for amount, rate, want in [(15, 1000, 2), (25, 1000, 2), (35, 1000, 4), (5, 1000, 0),
                               (12345, 1000, 1234), (2 ** 53 - 1, 10000, 2 ** 53 - 1),
                               (999, 0, 0), (12345, 1234, 1523)]:
        camp = t.new_campaign(w.bk, w.program["id"], payout={"type": "percent", "rate_bp": rate})
        t.join_campaign(w.bk, camp["id"], w.partner["id"])
        task = t.new_task(w.bk, camp["id"])
        t.assign_task(w.bk, task["id"], w.partner["id"])
        w2 = type(w)(**dict(vars(w), campaign=camp, task=task))
        cid = click(t, w2)
        c = expect(conv(t, w2, cid, amount=amount), 201)
        assert c["payout"] == want, "%d at %d bp: payout %r, expected %d" % (amount, rate, c["payout"], want)
        assert c["campaign_id"] == camp["id"]
    # fixed
    camp = t.new_campaign(w.bk, w.program["id"], payout={"type": "fixed", "amount": 777})
    t.join_campaign(w.bk, camp["id"], w.partner["id"])
    task = t.new_task(w.bk, camp["id"])
    t.assign_task(w.bk, task["id"], w.partner["id"])
    w2 = type(w)(**dict(vars(w), campaign=camp, task=task))
    c = expect(conv(t, w2, click(t, w2), amount=1), 201)
    assert c["payout"] == 777


def test_transitions_and_history(t):
    w = t.world()
    cid = click(t, w)
    c = expect(conv(t, w, cid), 201)
    cp = A + "/conversions/%d" % c["id"]
    assert_problem(t.patch(cp, {"status": "pending"}, key=w.bk), 409, "invalid_transition")
    a = expect(t.patch(cp, {"status": "approved", "reason": "paid"}, key=w.bk), 200)
    assert a["status"] == "approved" and a["id"] == c["id"]
    assert_problem(t.patch(cp, {"status": "approved"}, key=w.bk), 409, "invalid_transition")
    assert_problem(t.patch(cp, {"status": "pending"}, key=w.bk), 409, "invalid_transition")
    r = expect(t.patch(cp, {"status": "reversed", "reason": "refund"}, key=w.bk), 200)
    assert r["status"] == "reversed"
    assert_problem(t.patch(cp, {"status": "approved"}, key=w.bk), 409, "invalid_transition")
    assert_problem(t.patch(cp, {"status": "reversed"}, key=w.bk), 409, "invalid_transition")
    assert_problem(t.patch(cp, {"status": "bogus"}, key=w.bk), 422, "invalid_value", "status")
    assert_problem(t.patch(cp, {}, key=w.bk), 422, "missing_field", "status")
    assert_problem(t.patch(cp, {"status": 1}, key=w.bk), 400, "invalid_type", "status")
    assert_problem(t.patch(cp, {"status": "approved"}, key=w.pk), 403, "forbidden")
    other = t.world()
    assert_problem(t.patch(cp, {"status": "approved"}, key=other.bk), 404, "not_found")
    assert expect(t.get(cp, key=w.bk), 200)["status"] == "reversed"
    h = expect(t.get(cp + "/history", key=w.bk), 200)
    assert h["next_cursor"] is None
    ev = h["data"]
    assert [(e["from_status"], e["to_status"]) for e in ev] == [
        (None, "pending"), ("pending", "approved"), ("approved", "reversed")], ev
    assert [e["reason"] for e in ev] == [None, "paid", "refund"], ev
    for e in ev:
        assert_time(e["at"], "at")
        assert e["actor_account_id"] == w.brand["id"], e
    # the partner reads the history of their own conversion; others do not
    expect(t.get(cp + "/history", key=w.pk), 200)
    assert_problem(t.get(cp + "/history", key=other.bk), 404, "not_found")
    assert_problem(t.get(cp + "/history", key=other.pk), 404, "not_found")
    # pending -> reversed directly
    c2 = expect(conv(t, w, cid), 201)
    r2 = expect(t.patch(A + "/conversions/%d" % c2["id"], {"status": "reversed"}, key=w.bk), 200)
    assert r2["status"] == "reversed"
    assert_problem(t.patch(A + "/conversions/999999999", {"status": "approved"}, key=w.bk), 404,
                   "not_found")


def test_visibility_and_lists(t):
    w = t.world()
    # a second partner in the same campaign and task
    p2 = t.new_partner()
    t.join_program(w.bk, w.program["id"], p2["id"])
    t.join_campaign(w.bk, w.campaign["id"], p2["id"])
    t.assign_task(w.bk, w.task["id"], p2["id"])
    w2 = type(w)(**dict(vars(w), partner=p2, pk=p2["api_key"]))
    mine = [expect(conv(t, w, click(t, w)), 201) for _ in range(3)]
    theirs = expect(conv(t, w2, click(t, w2)), 201)
    assert theirs["partner_id"] == p2["id"]
    # the partner sees only their own
    assert_problem(t.get(A + "/conversions/%d" % theirs["id"], key=w.pk), 404, "not_found")
    got = t.list_all(A + "/conversions", w.pk)
    assert [c["id"] for c in got] == [c["id"] for c in mine], got
    got = t.list_all(A + "/conversions?partner_id=%d" % p2["id"], w.pk)
    assert got == [], got
    # the brand sees all, paginated, in id order
    got = t.list_all(A + "/conversions", w.bk, limit=1)
    assert [c["id"] for c in got] == sorted(c["id"] for c in mine + [theirs]), got
    page = expect(t.get(A + "/conversions?limit=2", key=w.bk), 200)
    assert len(page["data"]) == 2 and isinstance(page["next_cursor"], str)
    got = t.list_all(A + "/conversions?partner_id=%d" % p2["id"], w.bk)
    assert [c["id"] for c in got] == [theirs["id"]]
    got = t.list_all(A + "/conversions?campaign_id=%d" % w.campaign["id"], w.bk)
    assert len(got) == 4
    expect(t.patch(A + "/conversions/%d" % mine[0]["id"], {"status": "approved"}, key=w.bk), 200)
    got = t.list_all(A + "/conversions?status=approved", w.bk)
    assert [c["id"] for c in got] == [mine[0]["id"]], got
    got = t.list_all(A + "/conversions?status=pending", w.pk)
    assert [c["id"] for c in got] == [c["id"] for c in mine[1:]], got
    assert_problem(t.get(A + "/conversions?status=nope", key=w.bk), 422, "invalid_value", "status")
    # newest first: the same lists reversed, page after page, with the filters
    every = sorted(c["id"] for c in mine + [theirs])
    got = t.list_all(A + "/conversions?order=desc", w.bk, limit=1)
    assert [c["id"] for c in got] == every[::-1], got
    assert [c["id"] for c in t.list_all(A + "/conversions?order=asc", w.bk, limit=2)] == every
    page = expect(t.get(A + "/conversions?order=desc&limit=2", key=w.bk), 200)
    assert [c["id"] for c in page["data"]] == every[:-3:-1], page
    got = t.list_all(A + "/conversions?order=desc&status=pending", w.pk, limit=1)
    assert [c["id"] for c in got] == [c["id"] for c in mine[1:]][::-1], got
    got = t.list_all(A + "/conversions?order=desc&partner_id=%d" % p2["id"], w.bk)
    assert [c["id"] for c in got] == [theirs["id"]]
    assert_problem(t.get(A + "/conversions?order=newest", key=w.bk), 422, "invalid_value", "order")
    # another brand sees none of them
    other = t.world()
    assert t.list_all(A + "/conversions", other.bk) == []
    assert t.list_all(A + "/conversions?campaign_id=%d" % w.campaign["id"], other.bk) == []


def test_get_postback(t):
    w = t.world()
    cid = click(t, w)
    key = w.program["postback_key"]

    def pb(**q):
        return t.get("/postback?" + urllib.parse.urlencode(q))

    c = expect(pb(key=key, click_id=cid, order_id="G-1", amount="2500"), 201)
    check_conv(c, w)
    assert c["amount"] == 2500 and c["event_type"] == "sale" and c["currency"] == "USD"
    again = expect(pb(key=key, click_id=cid, order_id="G-1", amount="2500", currency="USD",
                      event_type="sale"), 200)
    assert again["id"] == c["id"]
    assert_problem(pb(key=key, click_id=cid, order_id="G-1", amount="2501"), 409, "duplicate_order")
    assert_problem(pb(key="wrong", click_id=cid, order_id="G-2", amount="1"), 401, "unauthorized")
    assert_problem(pb(click_id=cid, order_id="G-2", amount="1"), 401, "unauthorized")
    assert_problem(pb(key=key, click_id=cid, order_id="G-2", amount="abc"), 400, "invalid_type")
    assert_problem(pb(key=key, click_id=cid, order_id="G-2", amount="12.5"), 422, "invalid_amount")
    assert_problem(pb(key=key, click_id=cid, order_id="G-2", amount="-3"), 422, "invalid_amount")
    assert_problem(pb(key=key, click_id=cid, order_id="G-2"), 422, "missing_field", "amount")
    assert_problem(pb(key=key, click_id=cid, amount="1"), 422, "missing_field", "order_id")
    assert_problem(pb(key=key, click_id="nope", order_id="G-2", amount="1"), 404, "click_not_found")
    assert_problem(pb(key=key, click_id=cid, order_id="G-2", amount="1", currency="EUR"), 422,
                   "currency_mismatch")
    lead = expect(pb(key=key, click_id=cid, order_id="G-1", amount="0", event_type="lead"), 201)
    assert lead["event_type"] == "lead"
    # a click of another program is not found with this key
    other = t.world()
    cid2 = click(t, other)
    assert_problem(pb(key=key, click_id=cid2, order_id="G-3", amount="1"), 404, "click_not_found")
    # the brand sees it
    expect(t.get(A + "/conversions/%d" % c["id"], key=w.bk), 200)
    # a rotated key: the old one is refused
    prog = expect(t.post(A + "/programs/%d/postback-key" % w.program["id"], key=w.bk), 200)
    assert prog["postback_key"] != key
    assert_problem(pb(key=key, click_id=cid, order_id="G-4", amount="1"), 401, "unauthorized")
    expect(pb(key=prog["postback_key"], click_id=cid, order_id="G-4", amount="1"), 201)


def test_concurrent_identical(t):
    w = t.world()
    cid = click(t, w)
    n = 40
    barrier = threading.Barrier(n)
    results = [None] * n
    errors = []

    def run(i):
        try:
            barrier.wait(30)
            r = conv(t, w, cid, order_id="C-1", amount=999)
            results[i] = (r.status, r.json.get("id"))
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert not errors, errors
    statuses = sorted(s for s, _ in results)
    assert statuses.count(201) == 1 and statuses.count(200) == n - 1, statuses
    assert len({i for _, i in results}) == 1, results
    got = t.list_all(A + "/conversions", w.bk)
    assert len(got) == 1, got
    conversions, revenue, payout, _ = stats(t.srv, w)
    assert (conversions, revenue, payout) == (1, 999, 500), (conversions, revenue, payout)


def test_rollups(t):
    w = t.world()
    cid = click(t, w)
    c1 = expect(conv(t, w, cid, amount=1000), 201)
    c2 = expect(conv(t, w, cid, amount=3000), 201)
    conversions, revenue, payout, clicks = stats(t.srv, w)
    assert (conversions, revenue, payout) == (2, 4000, 1000), (conversions, revenue, payout)
    assert clicks == 1, clicks
    # approval changes nothing; a reversal subtracts
    expect(t.patch(A + "/conversions/%d" % c1["id"], {"status": "approved"}, key=w.bk), 200)
    assert stats(t.srv, w)[:3] == (2, 4000, 1000)
    expect(t.patch(A + "/conversions/%d" % c1["id"], {"status": "reversed"}, key=w.bk), 200)
    assert stats(t.srv, w)[:3] == (1, 3000, 500)
    expect(t.patch(A + "/conversions/%d" % c2["id"], {"status": "reversed"}, key=w.bk), 200)
    assert stats(t.srv, w)[:3] == (0, 0, 0)
    # the hour of occurred_at, not of the request: a reversal subtracts there
    when = now_utc() + datetime.timedelta(days=2)
    c3 = expect(conv(t, w, cid, amount=700, occurred_at=iso(when)), 201)
    hour = "from=%s&to=%s" % (urlquote(iso(when.replace(minute=0, second=0, microsecond=0))),
                              urlquote(iso(when.replace(minute=0, second=0, microsecond=0) +
                                           datetime.timedelta(hours=1))))
    rows = report(t.srv, w, "campaign_id=%d&group_by=link&%s" % (w.campaign["id"], hour))
    assert len(rows) == 1, rows
    row = rows[0]
    assert (row["conversions"], row["revenue"], row["payout"]) == (1, 700, 500), row
    assert row["currency"] == "USD" and row["link_id"] == c3["link_id"], row
    expect(t.patch(A + "/conversions/%d" % c3["id"], {"status": "reversed"}, key=w.bk), 200)
    rows = report(t.srv, w, "campaign_id=%d&%s" % (w.campaign["id"], hour))
    assert [(r["conversions"], r["revenue"], r["payout"]) for r in rows] == [(0, 0, 0)], rows
    # the reports API, when it is there, agrees
    r = t.get(A + "/reports?campaign_id=%d" % w.campaign["id"], key=w.bk)
    if r.status == 200:
        rows = r.json.get("data", r.json.get("rows"))
        if isinstance(rows, list) and rows:
            assert sum(x.get("conversions", 0) for x in rows) == 0, rows
            assert sum(x.get("payout", 0) for x in rows) == 0, rows


def test_kill9_keeps_answered_conversions(t):
    srv = t.start_server()
    w = srv.world()
    cids = [click(t, w, srv=srv) for _ in range(4)]
    answered = []
    lock = threading.Lock()
    stop = threading.Event()

    def load(k):
        i = 0
        while not stop.is_set():
            i += 1
            try:
                r = conv(t, w, cids[k % len(cids)], srv=srv, order_id="K-%d-%d" % (k, i), amount=i)
            except (AssertionError, OSError):
                return  # the server is gone
            if r.status in (200, 201):
                with lock:
                    answered.append(r.json["id"])

    threads = [threading.Thread(target=load, args=(k,)) for k in range(6)]
    for th in threads:
        th.start()
    time.sleep(1.5)
    srv.kill()
    stop.set()
    for th in threads:
        th.join(30)
    assert len(answered) > 10, "only %d conversions answered before the kill" % len(answered)
    srv.restart(stop=False)
    for cid in answered:
        expect(srv.get(A + "/conversions/%d" % cid, key=w.bk), 200)
    got = srv.list_all(A + "/conversions", w.bk, limit=500)
    assert len(got) >= len(answered)
    conversions = stats(srv, w)[0]
    assert conversions == len(got), (conversions, len(got))
