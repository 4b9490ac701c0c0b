"""
test_rejected.py: GET /api/v1/conversions/rejected (docs/api.md "Rejected conversions"): every
refused attempt of POST /conversions and GET /postback is kept with its code, what was sent and
the figures that decided it (facts); successes, replays and unauthenticated attempts are not;
another brand never sees them; the filters by program and code, the cursor; the retention (by
count per program and by age, with tiny values set through the environment); rejections still
queued at SIGTERM are written before the server exits; the counters in /metrics.

Rejections are written by a background thread after the refusal is answered, so the tests
poll the list (or /metrics) until what they expect is there.
"""

import datetime
import http.client
import re
import time
import urllib.parse

from tl import A, assert_problem, assert_time, expect, uniq

UA = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/120.0 Safari/537.36")
ITEM_FIELDS = {"id", "code", "status", "detail", "field", "source", "program_id", "click_id",
               "order_id", "event_type", "amount", "currency", "received_at", "facts"}
WAIT = 20.0


# --------------------------------------------------------------- helpers


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc)


def clicks_counted(srv, w):
    rows = expect(srv.get(A + "/reports?campaign_id=%d" % w.campaign["id"], key=w.bk), 200)["data"]
    return sum(r["clicks"] for r in rows)


def click(t, w, srv=None):
    """A browser click on the partner's default link; returns its click id once stored."""
    srv = srv or t.srv
    links = srv.list_all(A + "/tasks/%d/links" % w.task["id"], w.bk)
    before = clicks_counted(srv, w)
    conn = http.client.HTTPConnection(srv.host, srv.port, timeout=10)
    try:
        conn.request("GET", "/" + links[0]["code"], headers={"User-Agent": UA})
        r = conn.getresponse()
        r.read()
        assert r.status == 302, r.status
        cid = urllib.parse.parse_qs(urllib.parse.urlsplit(r.getheader("Location")).query)["clickid"][0]
    finally:
        conn.close()
    deadline = time.time() + WAIT
    while clicks_counted(srv, w) <= before:
        assert time.time() < deadline, "click not stored"
        time.sleep(0.02)
    return cid


def post(srv, w, **body):
    return srv.post(A + "/conversions", body, key=w.bk)


def postback(srv, **q):
    return srv.get("/postback?" + urllib.parse.urlencode(q))


def rejected(srv, key, query=""):
    return srv.list_all(A + "/conversions/rejected" + query, key)


def wait_for(srv, key, order_ids, query=""):
    """Polls until every order id is in the list; returns {order_id: item}."""
    deadline = time.time() + WAIT
    while True:
        items = rejected(srv, key, query)
        by_order = {x["order_id"]: x for x in items}
        if all(o in by_order for o in order_ids):
            return by_order
        assert time.time() < deadline, "rejections %r not listed; list: %r" % (
            [o for o in order_ids if o not in by_order], items)
        time.sleep(0.02)


def check_item(x, code, status, source, program_id):
    missing = ITEM_FIELDS - set(x)
    assert not missing, "rejection lacks %s: %r" % (sorted(missing), x)
    assert x["code"] == code and x["status"] == status, x
    assert x["source"] == source and x["program_id"] == program_id, x
    assert isinstance(x["id"], int) and isinstance(x["detail"], str) and x["detail"], x
    assert isinstance(x["facts"], dict), x
    assert_time(x["received_at"], "received_at")


def metric(srv, name):
    text = srv.get("/metrics").text
    m = re.search(r"^%s (\d+)$" % re.escape(name), text, re.M)
    return int(m.group(1)) if m else None


# ----------------------------------------------------------------- tests


def test_every_refusal_of_post_is_kept_with_its_facts(t):
    w = t.world()
    pid = w.program["id"]
    cid = click(t, w)
    ok = expect(post(t, w, click_id=cid, order_id="ok-1", amount=100), 201)
    expect(post(t, w, click_id=cid, order_id="ok-1", amount=100), 200)  # a replay
    later = now_utc() + datetime.timedelta(days=31)
    assert_problem(post(t, w, click_id="nosuchclick00000000000000", order_id="nf", amount=1), 404,
                   "click_not_found")
    assert_problem(post(t, w, click_id=cid, order_id="win", amount=5, occurred_at=iso(later)), 422,
                   "outside_referral_window")
    assert_problem(post(t, w, click_id=cid, order_id="cur", amount=5, currency="EUR"), 422,
                   "currency_mismatch")
    assert_problem(post(t, w, click_id=cid, order_id="cur-bad", amount=5, currency="ZZZ"), 422,
                   "currency_mismatch")
    assert_problem(post(t, w, click_id=cid, order_id="frac", amount=12.5), 422, "invalid_amount")
    assert_problem(post(t, w, click_id=cid, order_id="neg", amount=-1), 422, "invalid_amount")
    assert_problem(post(t, w, click_id=cid, order_id="ok-1", amount=200), 409, "duplicate_order")
    assert_problem(post(t, w, click_id=cid, order_id="type", amount="100"), 400, "invalid_type")
    assert_problem(post(t, w, click_id=cid, order_id="evt", amount=1, event_type="Big Sale"), 422,
                   "invalid_value")
    assert_problem(post(t, w, order_id="noclick", amount=1), 422, "missing_field", "click_id")
    assert_problem(post(t, w, click_id=cid, order_id="noamount"), 422, "missing_field", "amount")
    got = wait_for(t.srv, w.bk, ["nf", "win", "cur", "cur-bad", "frac", "neg", "ok-1", "type",
                                 "evt", "noclick", "noamount"])
    assert len(rejected(t.srv, w.bk)) == 11, rejected(t.srv, w.bk)  # no success, no replay

    x = got["nf"]
    check_item(x, "click_not_found", 404, "api", None)
    assert x["click_id"] == "nosuchclick00000000000000" and x["amount"] == 1, x
    assert x["facts"] == {} and x["field"] == "click_id", x
    assert x["event_type"] is None and x["currency"] is None, x  # as sent: absent

    x = got["win"]
    check_item(x, "outside_referral_window", 422, "api", pid)
    f = x["facts"]
    assert f["referral_window_days"] == 30 and f["occurred_at"] == iso(later), f
    assert_time(f["click_at"], "click_at")
    click_at = datetime.datetime.strptime(f["click_at"], "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc)
    age = (later.replace(microsecond=0) - click_at).total_seconds()
    assert f["click_age_seconds"] == age, (f, age)  # the difference of the times shown
    assert f["click_age_days"] == round(age / 86400, 2) or \
        f["click_age_days"] == round(age / 86400 + 0.005, 2), (f, age)
    assert x["click_id"] == cid and x["amount"] == 5 and x["field"] == "occurred_at", x
    # just outside the window never reads as inside it; before the click is negative
    just = iso(click_at + datetime.timedelta(days=30, seconds=120))
    before = iso(click_at - datetime.timedelta(hours=2))
    assert_problem(post(t, w, click_id=cid, order_id="win2", amount=5, occurred_at=just), 422,
                   "outside_referral_window")
    assert_problem(post(t, w, click_id=cid, order_id="win3", amount=5, occurred_at=before), 422,
                   "outside_referral_window")
    more = wait_for(t.srv, w.bk, ["win2", "win3"])
    assert more["win2"]["facts"]["click_age_seconds"] == 30 * 86400 + 120, more["win2"]
    assert more["win2"]["facts"]["click_age_days"] == 30.01, more["win2"]
    assert more["win3"]["facts"]["click_age_seconds"] == -7200, more["win3"]
    assert more["win3"]["facts"]["click_age_days"] == -0.09, more["win3"]

    x = got["cur"]
    check_item(x, "currency_mismatch", 422, "api", pid)
    assert x["facts"] == {"currency_sent": "EUR", "program_currency": "USD",
                          "currency_known": True}, x
    assert x["currency"] == "EUR", x
    assert got["cur-bad"]["facts"] == {"currency_sent": "ZZZ", "program_currency": "USD",
                                       "currency_known": False}, got["cur-bad"]

    x = got["frac"]
    check_item(x, "invalid_amount", 422, "api", pid)
    assert x["amount"] is None and x["facts"] == {"amount_sent": "12.5"}, x
    x = got["neg"]
    assert x["amount"] == -1 and x["facts"] == {"amount_sent": "-1"}, x

    x = got["ok-1"]
    check_item(x, "duplicate_order", 409, "api", pid)
    f = x["facts"]
    assert f["conversion_id"] == ok["id"] and f["conversion_amount"] == 100, f
    assert f["conversion_currency"] == "USD" and f["conversion_click_id"] == cid, f
    assert f["conversion_created_at"] == ok["created_at"] and f["differs"] == ["amount"], f
    assert x["amount"] == 200, x

    x = got["type"]
    check_item(x, "invalid_type", 400, "api", None)  # refused before the click was read
    assert x["field"] == "amount" and x["amount"] is None and x["click_id"] == cid, x

    check_item(got["evt"], "invalid_value", 422, "api", pid)
    assert got["evt"]["event_type"] == "Big Sale" and got["evt"]["field"] == "event_type"
    check_item(got["noclick"], "missing_field", 422, "api", None)
    assert got["noclick"]["click_id"] is None, got["noclick"]
    check_item(got["noamount"], "missing_field", 422, "api", pid)
    assert got["noamount"]["field"] == "amount" and got["noamount"]["amount"] is None

    # ascending id, oldest first
    listed = rejected(t.srv, w.bk)
    assert [x["id"] for x in listed] == sorted(x["id"] for x in listed)


def test_campaign_not_trackable_is_kept(t):
    w = t.world()
    cid = click(t, w)
    expect(t.patch(A + "/campaigns/%d" % w.campaign["id"], {"tracking": {"enabled": False}},
                   key=w.bk), 200)
    assert_problem(post(t, w, click_id=cid, order_id="nt", amount=1), 422, "campaign_not_trackable")
    x = wait_for(t.srv, w.bk, ["nt"])["nt"]
    check_item(x, "campaign_not_trackable", 422, "api", w.program["id"])
    assert x["facts"] == {"campaign_id": w.campaign["id"]}, x


def test_every_refusal_of_get_postback_is_kept(t):
    w = t.world()
    pid = w.program["id"]
    key = w.program["postback_key"]
    cid = click(t, w)
    expect(postback(t, key=key, click_id=cid, order_id="pb-ok", amount="100"), 201)
    expect(postback(t, key=key, click_id=cid, order_id="pb-ok", amount="100"), 200)
    later = iso(now_utc() + datetime.timedelta(days=40))
    assert_problem(postback(t, key=key, click_id="nope", order_id="pb-nf", amount="1"), 404,
                   "click_not_found")
    assert_problem(postback(t, key=key, click_id=cid, order_id="pb-frac", amount="12.50"), 422,
                   "invalid_amount")
    assert_problem(postback(t, key=key, click_id=cid, order_id="pb-type", amount="{amount}"), 400,
                   "invalid_type")
    assert_problem(postback(t, key=key, click_id=cid, order_id="pb-cur", amount="1",
                            currency="JPY"), 422, "currency_mismatch")
    assert_problem(postback(t, key=key, click_id=cid, order_id="pb-win", amount="1",
                            occurred_at=later), 422, "outside_referral_window")
    assert_problem(postback(t, key=key, click_id=cid, order_id="pb-ok", amount="101"), 409,
                   "duplicate_order")
    assert_problem(postback(t, key=key, click_id="", order_id="pb-empty", amount="1"), 404,
                   "click_not_found")
    # a click of another program, with this program's key
    other = t.world()
    ocid = click(t, other)
    assert_problem(postback(t, key=key, click_id=ocid, order_id="pb-other", amount="1"), 404,
                   "click_not_found")
    got = wait_for(t.srv, w.bk, ["pb-nf", "pb-frac", "pb-type", "pb-cur", "pb-win", "pb-ok",
                                 "pb-empty", "pb-other"])
    assert len(rejected(t.srv, w.bk)) == 8
    for x in got.values():
        assert x["source"] == "postback" and x["program_id"] == pid, x  # the key's program
    check_item(got["pb-nf"], "click_not_found", 404, "postback", pid)
    assert got["pb-nf"]["facts"] == {} and got["pb-nf"]["amount"] == 1
    x = got["pb-frac"]
    assert x["code"] == "invalid_amount" and x["facts"] == {"amount_sent": "12.50"}, x
    assert x["amount"] is None, x
    x = got["pb-type"]
    assert x["code"] == "invalid_type" and x["status"] == 400 and x["field"] == "amount", x
    assert x["amount"] is None, x
    x = got["pb-cur"]
    assert x["facts"] == {"currency_sent": "JPY", "program_currency": "USD",
                          "currency_known": True}, x
    x = got["pb-win"]
    assert x["code"] == "outside_referral_window" and x["facts"]["referral_window_days"] == 30, x
    assert x["facts"]["occurred_at"] == later and x["facts"]["click_age_days"] > 39, x
    x = got["pb-ok"]
    assert x["code"] == "duplicate_order" and x["facts"]["differs"] == ["amount"], x
    assert x["facts"]["conversion_amount"] == 100 and x["amount"] == 101, x
    assert got["pb-empty"]["click_id"] == "", got["pb-empty"]
    assert got["pb-other"]["click_id"] == ocid, got["pb-other"]
    # the other brand sees none of this program's, nor its own click's refusal
    assert rejected(t.srv, other.bk) == []


def test_not_kept_without_a_brand_or_a_readable_request(t):
    w = t.world()
    cid = click(t, w)
    key = w.program["postback_key"]
    assert_problem(postback(t, key="wrong", click_id=cid, order_id="nk-1", amount="1"), 401,
                   "unauthorized")
    assert_problem(postback(t, click_id=cid, order_id="nk-2", amount="1"), 401, "unauthorized")
    assert_problem(t.post(A + "/conversions", {"click_id": cid, "order_id": "nk-3", "amount": 1}),
                   401, "unauthorized")
    assert_problem(t.post(A + "/conversions", {"click_id": cid, "order_id": "nk-4", "amount": 1},
                          key=w.pk), 403, "forbidden")
    assert_problem(t.post(A + "/conversions", raw_body='{"order_id":"nk-5",', key=w.bk), 400,
                   "invalid_json")
    # a marker refused after them: once it is listed, anything queued before it would be too
    assert_problem(post(t, w, click_id=cid, order_id="marker", amount=1, currency="EUR"), 422,
                   "currency_mismatch")
    wait_for(t.srv, w.bk, ["marker"])
    assert [x["order_id"] for x in rejected(t.srv, w.bk)] == ["marker"]


def test_tenancy_filters_and_cursor(t):
    w = t.world()
    cid = click(t, w)
    p2 = t.new_program(w.bk, currency="JPY")
    t.join_program(w.bk, p2["id"], w.partner["id"])
    c2 = t.new_campaign(w.bk, p2["id"])
    t.join_campaign(w.bk, c2["id"], w.partner["id"])
    task2 = t.new_task(w.bk, c2["id"], partner_ids=[w.partner["id"]])
    w2 = type(w)(**dict(vars(w), program=p2, campaign=c2, task=task2))
    cid2 = click(t, w2)
    for i in range(3):
        assert_problem(post(t, w, click_id=cid, order_id="a%d" % i, amount=1, currency="EUR"),
                       422, "currency_mismatch")
    assert_problem(post(t, w, click_id=cid, order_id="a-frac", amount=0.5), 422, "invalid_amount")
    assert_problem(post(t, w, click_id=cid2, order_id="b0", amount=1, currency="USD"), 422,
                   "currency_mismatch")
    assert_problem(post(t, w, click_id="unknownclick0000000000000", order_id="n0", amount=1), 404,
                   "click_not_found")
    got = wait_for(t.srv, w.bk, ["a0", "a1", "a2", "a-frac", "b0", "n0"])
    by = lambda items: sorted(x["order_id"] for x in items)
    p1 = w.program["id"]
    assert by(rejected(t.srv, w.bk, "?program_id=%d" % p1)) == ["a-frac", "a0", "a1", "a2"]
    assert by(rejected(t.srv, w.bk, "?program_id=%d" % p2["id"])) == ["b0"]
    assert by(rejected(t.srv, w.bk, "?code=currency_mismatch")) == ["a0", "a1", "a2", "b0"]
    assert by(rejected(t.srv, w.bk, "?code=currency_mismatch&program_id=%d" % p1)) == \
        ["a0", "a1", "a2"]
    assert by(rejected(t.srv, w.bk, "?code=click_not_found")) == ["n0"]
    assert rejected(t.srv, w.bk, "?code=no_such_code") == []
    assert got["b0"]["facts"]["program_currency"] == "JPY", got["b0"]
    # the cursor
    every = [x["id"] for x in rejected(t.srv, w.bk)]
    assert len(every) == 6 and every == sorted(every)
    assert [x["id"] for x in t.list_all(A + "/conversions/rejected", w.bk, limit=2)] == every
    page = expect(t.get(A + "/conversions/rejected?limit=4", key=w.bk), 200)
    assert len(page["data"]) == 4 and isinstance(page["next_cursor"], str), page
    assert_problem(t.get(A + "/conversions/rejected?cursor=zzz", key=w.bk), 422, "invalid_value",
                   "cursor")
    # newest first: the same items reversed, page after page, with the filters
    assert [x["id"] for x in t.list_all(A + "/conversions/rejected?order=desc", w.bk,
                                        limit=2)] == every[::-1]
    assert [x["id"] for x in rejected(t.srv, w.bk, "?order=asc")] == every
    assert [x["order_id"] for x in t.list_all(
        A + "/conversions/rejected?order=desc&code=currency_mismatch&program_id=%d" % p1, w.bk,
        limit=1)] == ["a2", "a1", "a0"]
    page = expect(t.get(A + "/conversions/rejected?order=desc&limit=4", key=w.bk), 200)
    assert [x["id"] for x in page["data"]] == every[:-5:-1], page
    assert_problem(t.get(A + "/conversions/rejected?order=newest", key=w.bk), 422,
                   "invalid_value", "order")
    assert_problem(t.get(A + "/conversions/rejected?program_id=abc", key=w.bk), 422,
                   "invalid_value", "program_id")
    assert_problem(t.get(A + "/conversions/rejected?code=" + "x" * 65, key=w.bk), 422,
                   "invalid_value", "code")
    # another brand: nothing, even when it names this brand's program
    other = t.world()
    assert rejected(t.srv, other.bk) == []
    assert expect(t.get(A + "/conversions/rejected?program_id=%d" % p1, key=other.bk), 200) == \
        {"data": [], "next_cursor": None}
    # a partner may not list them; no key is 401
    assert_problem(t.get(A + "/conversions/rejected", key=w.pk), 403, "forbidden")
    assert_problem(t.get(A + "/conversions/rejected"), 401, "unauthorized")
    assert_problem(t.get(A + "/conversions/rejected", key=t.admin_key), 403, "forbidden")


def test_text_that_is_not_utf8_is_kept_readable(t):
    w = t.world()
    key = w.program["postback_key"]
    path = "/postback?key=%s&click_id=nope&order_id=bad%%FF%%FEorder&amount=1" % key
    assert_problem(t.get(path), 404, "click_not_found")
    assert_problem(postback(t, key=key, click_id="nope", order_id="日本語の注文", amount="1"), 404,
                   "click_not_found")
    got = wait_for(t.srv, w.bk, ["bad??order", "日本語の注文"])
    assert got["bad??order"]["code"] == "click_not_found"
    # an order id over 255 bytes (refused as invalid_value) is kept cut, on a character boundary
    cid = click(t, w)
    long_id = "é" * 200  # 400 bytes
    assert_problem(postback(t, key=key, click_id=cid, order_id=long_id, amount="1"), 422,
                   "invalid_value")
    deadline = time.time() + WAIT
    while True:
        items = [x for x in rejected(t.srv, w.bk) if x["code"] == "invalid_value"]
        if items:
            break
        assert time.time() < deadline
        time.sleep(0.02)
    assert items[0]["order_id"] == "é" * 127, items[0]  # 254 bytes: the 128th would pass 255


def test_metrics_count_what_is_stored(t):
    w = t.world()
    before = metric(t.srv, "tracklink_rejections_stored_total") or 0
    for i in range(3):
        assert_problem(post(t, w, click_id="nosuch%020d" % i, order_id="m%d" % i, amount=1), 404,
                       "click_not_found")
    wait_for(t.srv, w.bk, ["m0", "m1", "m2"])
    # The rows are readable once committed; the counter follows the commit.
    deadline = time.time() + WAIT
    while metric(t.srv, "tracklink_rejections_stored_total") < before + 3:
        assert time.time() < deadline, "tracklink_rejections_stored_total did not reach %d" % (before + 3)
        time.sleep(0.02)
    assert metric(t.srv, "tracklink_rejections_dropped_total") == 0
    assert metric(t.srv, "tracklink_rejections_queued") is not None


def test_queued_rejections_survive_sigterm(t):
    s = t.start_server()
    brand = s.new_brand()
    for i in range(20):
        r = s.post(A + "/conversions", {"click_id": "gone%021d" % i, "order_id": "q%d" % i,
                                        "amount": 1}, key=brand["api_key"])
        assert_problem(r, 404, "click_not_found")
    s.stop()
    s.start()
    got = rejected(s, brand["api_key"])
    assert sorted(x["order_id"] for x in got) == sorted("q%d" % i for i in range(20)), got


def test_retention_keeps_the_newest_per_program(t):
    s = t.start_server(env={"TRACKLINK_REJECTED_MAX_ROWS": "3",
                            "TRACKLINK_REJECTED_PRUNE_EVERY": "1"})
    w = s.world()
    cid = click(t, w, srv=s)
    for i in range(6):
        assert_problem(post(s, w, click_id=cid, order_id="r%d" % i, amount=1, currency="EUR"),
                       422, "currency_mismatch")
    for i in range(5):
        assert_problem(post(s, w, click_id="nosuch%019d" % i, order_id="u%d" % i, amount=1), 404,
                       "click_not_found")
    deadline = time.time() + WAIT
    while True:
        got = sorted(x["order_id"] for x in rejected(s, w.bk))
        pruned = metric(s, "tracklink_rejections_pruned_total")
        if got == ["r3", "r4", "r5", "u2", "u3", "u4"] and pruned == 5:
            break
        assert time.time() < deadline, (got, pruned)
        time.sleep(0.05)
    # another brand's rows count on their own
    other = s.world()
    assert_problem(post(s, other, click_id="nosuch0000000000000000000", order_id="o0", amount=1),
                   404, "click_not_found")
    wait_for(s, other.bk, ["o0"])
    assert sorted(x["order_id"] for x in rejected(s, w.bk)) == ["r3", "r4", "r5", "u2", "u3", "u4"]


def test_retention_by_age(t):
    s = t.start_server(env={"TRACKLINK_REJECTED_MAX_AGE": "1",
                            "TRACKLINK_REJECTED_PRUNE_EVERY": "1"})
    w = s.world()
    assert_problem(post(s, w, click_id="nosuch0000000000000000000", order_id="old", amount=1), 404,
                   "click_not_found")
    deadline = time.time() + WAIT
    while (metric(s, "tracklink_rejections_stored_total") or 0) < 1 or \
            (metric(s, "tracklink_rejections_pruned_total") or 0) < 1:
        assert time.time() < deadline, s.get("/metrics").text
        time.sleep(0.05)
    assert rejected(s, w.bk) == []


def test_bad_retention_settings_are_refused(t):
    for env in ({"TRACKLINK_REJECTED_MAX_ROWS": "many"}, {"TRACKLINK_REJECTED_MAX_AGE": "-1"},
                {"TRACKLINK_REJECTED_PRUNE_EVERY": "0"}):
        p = t.run_cli("serve", "--listen", "127.0.0.1:0", "--db", "sqlite:" + t.tmpdir() + "/x.db",
                      env=env, timeout=30)
        assert p.returncode == 2, (env, p.returncode, p.stderr)
        assert "TRACKLINK_REJECTED" in p.stderr, p.stderr


def test_an_order_id_that_is_not_utf8_is_refused_and_kept(t):
    """A query string may carry any byte: such an order id is refused (it could not be shown
    as JSON, and the conversion list would break on it) and the refusal is kept, readable."""
    w = t.world()
    cid = click(t, w)
    key = w.program["postback_key"]
    path = "/postback?key=%s&click_id=%s&order_id=bad%%FFid&amount=1" % (key, cid)
    assert_problem(t.get(path), 422, "invalid_value", "order_id")
    x = wait_for(t.srv, w.bk, ["bad?id"])["bad?id"]
    assert x["code"] == "invalid_value" and x["program_id"] == w.program["id"], x
    assert expect(t.get(A + "/conversions", key=w.bk), 200)["data"] == []
    expect(postback(t, key=key, click_id=cid, order_id="注文-1", amount="1"), 201)
