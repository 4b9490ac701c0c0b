"""
test_reports.py: API.md "Reports" and its decided edge cases, end to end:
known traffic is made over HTTP (redirects with chosen User-Agents for
unique and repeat visitors and a bot; conversions through
POST /api/v1/conversions with fixed and percent payouts; one reversal
through PATCH), and every group_by (day, hour, campaign, partner, task,
link, none) is checked against figures computed here from that traffic:
clicks, unique_clicks, conversions, revenue, payout, conversion_rate
(conversions / unique clicks) and epc (payout / clicks), 0 when dividing
by zero. Also: from/to (RFC 3339 and YYYY-MM-DD, from inclusive, to
exclusive), tz day boundaries (Asia/Tokyo; Asia/Kolkata refused for days),
CSV carrying the same figures as JSON, partners seeing only their rows,
another brand's ids giving empty rows, currencies never added, and 422s.

A conversion counts in the hour of its occurred_at, which the test
chooses; clicks count in the hour they are made, so the traffic is made
away from the end of an hour.
"""

import csv
import datetime
import io
import secrets
import time
import types
import urllib.parse

from tl import A, assert_problem, expect

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
BOT_UA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
HOUR = 3600
FIGURES = ("clicks", "unique_clicks", "conversions", "revenue", "payout")
KEYS = {"day": "day", "hour": "hour", "campaign": "campaign_id", "partner": "partner_id",
        "task": "task_id", "link": "link_id"}
TZ_OFFSETS = {"UTC": 0, "Asia/Tokyo": 9 * HOUR}  # Tokyo has no DST


# --------------------------------------------------------------- helpers


def avoid_hour_end(margin=120):
    """Sleeps past the end of the hour when less than margin seconds are left,
    so that the clicks made next all fall in one hour."""
    left = HOUR - time.time() % HOUR
    if left < margin:
        time.sleep(left + 1)


def iso(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def date(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%d")


def hour_of(ts):
    return int(ts) - int(ts) % HOUR


def click(t, code, ua):
    """GET /{code} with a User-Agent; returns the click id of the 302."""
    import http.client
    c = http.client.HTTPConnection(t.srv.host, t.srv.port, timeout=30)
    try:
        c.request("GET", "/" + code, headers={"User-Agent": ua})
        r = c.getresponse()
        r.read()
        assert r.status == 302, "GET /%s -> %d" % (code, r.status)
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(r.getheader("Location")).query))
        return q["clickid"]
    finally:
        c.close()


def report(t, key, **params):
    """GET /reports with params (None values dropped); returns the rows."""
    q = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
    body = expect(t.get(A + "/reports" + ("?" + q if q else ""), key=key), 200)
    assert isinstance(body, dict) and isinstance(body.get("data"), list), body
    return body["data"]


def wait_clicks(t, key, n, **params):
    """Waits for the click writer until the report counts n clicks."""
    deadline = time.time() + 5
    while True:
        rows = report(t, key, **params)
        got = sum(r["clicks"] for r in rows)
        if got == n:
            return
        assert time.time() < deadline, "waited for %d clicks, the report counts %d" % (n, got)
        time.sleep(0.05)


def convert(t, w, click_id, amount, occurred=None, **extra):
    body = {"click_id": click_id, "order_id": "o-" + secrets.token_hex(6), "amount": amount}
    if occurred is not None:
        body["occurred_at"] = iso(occurred)
    body.update(extra)
    return expect(t.post(A + "/conversions", body, key=w.bk), 201)


class Traffic:
    """The known traffic: clicks (hour, ids, unique) and conversions (hour,
    ids, amount, payout, reversed); computes the rows a report must give."""

    def __init__(self):
        self.clicks = []  # dicts: hour, campaign_id, task_id, partner_id, link_id, uniq, currency
        self.convs = []   # dicts: hour, ids..., amount, payout, reversed, currency

    def expected(self, group=None, tz="UTC", lo=None, hi=None, **filters):
        """{(key, currency): figures} for group_by=group, from lo (incl.) to hi
        (excl.) as UTC seconds, with id filters (campaign_id=...)."""
        off = TZ_OFFSETS[tz]
        out = {}

        def key_of(ev):
            h = ev["hour"]
            if group is None:
                return None
            if group == "day":
                return date(h + off)
            if group == "hour":
                s = iso(h + off)
                return s if off == 0 else s[:-1] + "+%02d:00" % (off // HOUR)
            return ev[KEYS[group]]

        def keep(ev):
            return ((lo is None or ev["hour"] >= lo) and (hi is None or ev["hour"] < hi) and
                    all(ev[k] == v for k, v in filters.items()))

        def row(ev):
            return out.setdefault((key_of(ev), ev["currency"]), dict.fromkeys(FIGURES, 0))

        for c in filter(keep, self.clicks):
            r = row(c)
            r["clicks"] += 1
            r["unique_clicks"] += c["uniq"]
        for v in filter(keep, self.convs):
            r = row(v)
            if not v["reversed"]:
                r["conversions"] += 1
                r["revenue"] += v["amount"]
                r["payout"] += v["payout"]
        for r in out.values():
            r["conversion_rate"] = r["conversions"] / r["unique_clicks"] if r["unique_clicks"] else 0
            r["epc"] = r["payout"] / r["clicks"] if r["clicks"] else 0
        return out


def as_map(rows, group):
    """Report rows as {(key, currency): figures}; checks each row's shape."""
    out = {}
    for r in rows:
        for f in FIGURES:
            assert isinstance(r.get(f), int), "row %r: %s is not an integer" % (r, f)
        for f in ("conversion_rate", "epc"):
            assert isinstance(r.get(f), (int, float)), "row %r: %s is not a number" % (r, f)
        assert isinstance(r.get("currency"), str), "row %r has no currency" % (r,)
        k = None if group is None else r[KEYS[group]]
        assert (k, r["currency"]) not in out, "two rows for %r: %r" % ((k, r["currency"]), rows)
        out[(k, r["currency"])] = {f: r[f] for f in FIGURES + ("conversion_rate", "epc")}
    return out


def same(got, want, what):
    """Compares report maps: integers exactly, rates to 1e-9."""
    assert set(got) == set(want), "%s: rows %r, expected %r" % (what, sorted(got, key=str),
                                                              sorted(want, key=str))
    for k, w in want.items():
        g = got[k]
        for f in FIGURES:
            assert g[f] == w[f], "%s: row %r %s = %r, expected %r (row %r)" % (what, k, f, g[f], w[f], g)
        for f in ("conversion_rate", "epc"):
            assert abs(g[f] - w[f]) < 1e-9, "%s: row %r %s = %r, expected %r" % (what, k, f, g[f], w[f])


def check(t, key, tr, group=None, tz="UTC", lo=None, hi=None, params=None, **filters):
    """Asks the report and compares it with the traffic's figures. A report with
    no group_by is one row even when empty: its zero row is expected then."""
    p = dict(params or {})
    p.update(filters)
    if group is not None:
        p["group_by"] = group
    if tz != "UTC":
        p["tz"] = tz
    rows = report(t, key, **p)
    want = tr.expected(group, tz, lo, hi, **filters)
    if group is None and not want:
        # Nothing happened: one row of zeros (its currency may be null).
        assert len(rows) == 1 and all(rows[0][f] == 0 for f in FIGURES), rows
        return rows
    same(as_map(rows, group), want, "group_by=%s tz=%s %r" % (group, tz, p))
    return rows


# ---------------------------------------------------------------- scenario

_scenario = {}


def scenario(t):
    """A brand with two campaigns (fixed 500 and percent 10%) and two partners,
    X in both, Y in the first; clicks by two visitors and a bot, conversions
    now, 40 minutes ago and at the next 15:30Z, one of them reversed. Made once
    per module server and shared (read-only) by the tests."""
    k = id(t.srv)
    if k in _scenario:
        return _scenario[k]
    brand = t.new_brand()
    bk = brand["api_key"]
    px, py = t.new_partner(), t.new_partner()
    prog = t.new_program(bk)
    c1 = t.new_campaign(bk, prog["id"], payout={"type": "fixed", "amount": 500},
                        tracking={"enabled": True, "landing_page_mode": "program_default"})
    c2 = t.new_campaign(bk, prog["id"], payout={"type": "percent", "rate_bp": 1000},
                        tracking={"enabled": True, "landing_page_mode": "program_default"})
    for p in (px, py):
        t.join_program(bk, prog["id"], p["id"])
        t.join_campaign(bk, c1["id"], p["id"])
    t.join_campaign(bk, c2["id"], px["id"])
    t1 = t.new_task(bk, c1["id"], partner_ids=[px["id"], py["id"]])
    t2 = t.new_task(bk, c2["id"], partner_ids=[px["id"]])

    def link(task, partner):
        links = t.list_all(A + "/tasks/%d/links?partner_id=%d" % (task["id"], partner["id"]), bk)
        assert len(links) == 1, links
        return links[0]

    l1x, l1y, l2x = link(t1, px), link(t1, py), link(t2, px)
    w = types.SimpleNamespace(brand=brand, bk=bk, px=px, py=py, program=prog, c1=c1, c2=c2,
                              t1=t1, t2=t2, l1x=l1x, l1y=l1y, l2x=l2x, traffic=Traffic())
    tr = w.traffic
    va, vb, vc = (UA + " visitor-%s-%s" % (n, secrets.token_hex(3)) for n in "abc")

    avoid_hour_end()
    before = time.time()
    made = {}
    for name, lk, ua, uniq in (("a1", l1x, va, 1), ("a2", l1x, va, 0), ("b1", l1x, vb, 1),
                               ("y1", l1y, va, 1), ("c1", l2x, vc, 1), ("c2", l2x, vc, 0),
                               ("bot", l2x, BOT_UA, 0)):
        made[name] = (click(t, lk["code"], ua), lk, uniq, ua == BOT_UA)
    after = time.time()
    assert hour_of(before) == hour_of(after), "the clicks straddle an hour"
    now_hour = hour_of(before)
    for name, (cid, lk, uniq, bot) in made.items():
        if not bot:
            tr.clicks.append({"hour": now_hour, "program_id": lk["program_id"],
                              "campaign_id": lk["campaign_id"], "task_id": lk["task_id"],
                              "partner_id": lk["partner_id"], "link_id": lk["id"], "uniq": uniq,
                              "currency": "USD"})
    wait_clicks(t, bk, 6, program_id=prog["id"])

    earlier = time.time() - 40 * 60
    nxt = hour_of(time.time()) + 30 * 60  # the next hh:30, then the next 15:30Z
    while datetime.datetime.fromtimestamp(nxt, datetime.timezone.utc).hour != 15 or nxt <= time.time():
        nxt += HOUR
    w.tokyo_ts = nxt
    convs = {}
    for name, click_name, amount, occurred, payout in (
            ("a1", "a1", 10000, None, 500),      # fixed
            ("b1", "b1", 2000, None, 500),       # reversed below
            ("y1", "y1", 3000, earlier, 500),    # 40 minutes ago: maybe the hour before
            ("c1", "c1", 12345, None, 1234),     # 10% of 12345 = 1234.5, halves to even
            ("c2", "c2", 500, nxt, 50)):         # at 15:30Z: the next day in Tokyo
        cid, lk, _, _ = made[click_name]
        v = convert(t, w, cid, amount, occurred)
        assert v["payout"] == payout, "payout %r, expected %d: %r" % (v["payout"], payout, v)
        convs[name] = v
        tr.convs.append({"hour": hour_of(occurred if occurred is not None else time.time()),
                         "program_id": lk["program_id"], "campaign_id": lk["campaign_id"], "task_id": lk["task_id"],
                         "partner_id": lk["partner_id"], "link_id": lk["id"], "amount": amount,
                         "payout": payout, "reversed": False, "currency": "USD"})
    expect(t.patch(A + "/conversions/%d" % convs["b1"]["id"], {"status": "reversed", "reason": "refund"},
                   key=bk), 200)
    tr.convs[1]["reversed"] = True
    # Approval changes no figure.
    expect(t.patch(A + "/conversions/%d" % convs["a1"]["id"], {"status": "approved"}, key=bk), 200)
    w.now_hour = now_hour
    _scenario[k] = w
    return w


# ------------------------------------------------------------------ tests


def test_totals_without_group_by(t):
    w = scenario(t)
    rows = check(t, w.bk, w.traffic, program_id=w.program["id"])
    r = rows[0]
    # By hand: 6 human clicks (the bot is left out), 4 unique; 5 conversions
    # made, one reversed: 4, revenue 10000 + 3000 + 12345 + 500, payout 500 +
    # 500 + 1234 + 50.
    assert (r["clicks"], r["unique_clicks"], r["conversions"]) == (6, 4, 4), r
    assert (r["revenue"], r["payout"], r["currency"]) == (25845, 2284, "USD"), r
    assert abs(r["conversion_rate"] - 4 / 4) < 1e-9 and abs(r["epc"] - 2284 / 6) < 1e-9, r
    assert set(r) >= {"currency", "clicks", "unique_clicks", "conversions", "revenue", "payout",
                      "conversion_rate", "epc"}, r


def test_every_group_by(t):
    w = scenario(t)
    for g in ("day", "hour", "campaign", "partner", "task", "link"):
        rows = check(t, w.bk, w.traffic, group=g, program_id=w.program["id"])
        keys = [r[KEYS[g]] for r in rows]
        assert keys == sorted(keys), "group_by=%s: rows not in key order: %r" % (g, keys)
    # One campaign, one task, one partner: the filters narrow the rows.
    check(t, w.bk, w.traffic, group="link", campaign_id=w.c1["id"])
    check(t, w.bk, w.traffic, group="day", task_id=w.t2["id"])
    check(t, w.bk, w.traffic, group="campaign", partner_id=w.px["id"])
    check(t, w.bk, w.traffic, group="hour", partner_id=w.py["id"], campaign_id=w.c1["id"])


def test_hour_rows_and_division_by_zero(t):
    w = scenario(t)
    rows = report(t, w.bk, program_id=w.program["id"], group_by="hour")
    future = [r for r in rows if r["hour"] == iso(hour_of(w.tokyo_ts))]
    assert len(future) == 1, rows
    r = future[0]
    # A conversion in an hour with no click: rates are 0, not an error.
    assert (r["clicks"], r["unique_clicks"], r["conversions"], r["payout"]) == (0, 0, 1, 50), r
    assert r["conversion_rate"] == 0 and r["epc"] == 0, r


def test_from_inclusive_to_exclusive(t):
    w = scenario(t)
    h = w.now_hour
    pid = w.program["id"]
    for lo, hi in ((h, h + HOUR), (h, None), (None, h), (h + HOUR, None), (h - HOUR, h + HOUR)):
        params = {"from": iso(lo) if lo is not None else None, "to": iso(hi) if hi is not None else None}
        check(t, w.bk, w.traffic, group="hour", lo=lo, hi=hi, params=params, program_id=pid)
        check(t, w.bk, w.traffic, lo=lo, hi=hi, params=params, program_id=pid)
    # Dates: midnight UTC; to=today excludes today.
    day0 = h - h % 86400
    check(t, w.bk, w.traffic, group="day", lo=day0, hi=day0 + 86400,
          params={"from": date(day0), "to": date(day0 + 86400)}, program_id=pid)
    check(t, w.bk, w.traffic, lo=None, hi=day0, params={"to": date(day0)}, program_id=pid)
    check(t, w.bk, w.traffic, group="campaign", lo=day0, hi=None, params={"from": date(day0)},
          program_id=pid)


def test_tokyo_days(t):
    w = scenario(t)
    pid = w.program["id"]
    utc = report(t, w.bk, program_id=pid, group_by="day")
    tokyo = check(t, w.bk, w.traffic, group="day", tz="Asia/Tokyo", program_id=pid)
    # The conversion at 15:30Z is on that UTC date, and on the next day in Tokyo.
    d_utc, d_tokyo = date(w.tokyo_ts), date(w.tokyo_ts + 9 * HOUR)
    assert d_tokyo != d_utc
    assert any(r["day"] == d_utc and r["payout"] >= 50 for r in utc), utc
    assert any(r["day"] == d_tokyo and r["payout"] >= 50 for r in tokyo), tokyo
    check(t, w.bk, w.traffic, group="hour", tz="Asia/Tokyo", program_id=pid)
    # A Tokyo date as from: local midnight, 15:00Z the day before.
    lo = int(datetime.datetime.strptime(d_tokyo, "%Y-%m-%d").replace(
        tzinfo=datetime.timezone.utc).timestamp()) - 9 * HOUR
    check(t, w.bk, w.traffic, group="day", tz="Asia/Tokyo", lo=lo, params={"from": d_tokyo},
          program_id=pid)


def test_half_hour_zone_refused_for_days(t):
    w = scenario(t)
    r = t.get(A + "/reports?group_by=day&tz=Asia/Kolkata&program_id=%d" % w.program["id"], key=w.bk)
    assert_problem(r, 422, "invalid_value", "tz")


def test_csv_carries_the_json_figures(t):
    w = scenario(t)
    for g in (None, "day", "hour", "campaign", "partner", "task", "link"):
        params = {"program_id": w.program["id"]}
        if g is not None:
            params["group_by"] = g
        js = report(t, w.bk, **params)
        r = t.get(A + "/reports?" + urllib.parse.urlencode(dict(params, format="csv")), key=w.bk)
        assert r.status == 200, r
        assert r.content_type.split(";")[0].strip() == "text/csv", r.content_type
        table = list(csv.reader(io.StringIO(r.text)))
        header, body = table[0], [x for x in table[1:] if x]
        cols = ([KEYS[g]] if g else []) + ["currency"] + list(FIGURES) + ["conversion_rate", "epc"]
        assert set(cols) <= set(header), "CSV header %r lacks some of %r" % (header, cols)
        assert len(body) == len(js), "group_by=%s: %d CSV rows, %d JSON rows" % (g, len(body), len(js))
        for line, row in zip(body, js):
            c = dict(zip(header, line))
            if g:
                want = row[KEYS[g]]
                assert c[KEYS[g]] == ("" if want is None else str(want)), (c, row)
            assert c["currency"] == row["currency"], (c, row)
            for f in FIGURES:
                assert int(c[f]) == row[f], "group_by=%s %s: CSV %r, JSON %r" % (g, f, c[f], row[f])
            for f in ("conversion_rate", "epc"):
                assert abs(float(c[f]) - row[f]) < 1e-9, (f, c, row)


def test_partner_sees_only_own_rows(t):
    w = scenario(t)
    for p in (w.px, w.py):
        key = p["api_key"]
        for g in ("campaign", "partner", "link", "day"):
            check(t, key, w.traffic, group=g, partner_id=p["id"])
            rows = report(t, key, group_by=g)
            same(as_map(rows, g), w.traffic.expected(g, partner_id=p["id"]),
                 "partner %d group_by=%s with no filter" % (p["id"], g))
        other = w.py if p is w.px else w.px
        assert report(t, key, group_by="partner", partner_id=other["id"]) == []


def test_other_brands_ids_give_empty_rows(t):
    w = scenario(t)
    other = t.new_brand()["api_key"]
    for f in ({"program_id": w.program["id"]}, {"campaign_id": w.c1["id"]}, {"task_id": w.t1["id"]},
              {"partner_id": w.px["id"]}):
        assert report(t, other, group_by="campaign", **f) == [], f
        rows = report(t, other, **f)
        assert all(r[x] == 0 for r in rows for x in FIGURES), rows
    assert report(t, other, group_by="link") == []


def test_currencies_are_never_added(t):
    avoid_hour_end()
    brand = t.new_brand()
    bk = brand["api_key"]
    p = t.new_partner()
    prog = t.new_program(bk)
    camp = t.new_campaign(bk, prog["id"], payout={"type": "percent", "rate_bp": 2000},
                          tracking={"enabled": True, "landing_page_mode": "program_default"})
    t.join_program(bk, prog["id"], p["id"])
    t.join_campaign(bk, camp["id"], p["id"])
    task = t.new_task(bk, camp["id"], partner_ids=[p["id"]])
    code = t.list_all(A + "/tasks/%d/links" % task["id"], bk)[0]["code"]
    w = types.SimpleNamespace(bk=bk)
    k1 = click(t, code, UA + " usd-1")
    k2 = click(t, code, UA + " usd-2")
    wait_clicks(t, bk, 2, program_id=prog["id"])
    v1 = convert(t, w, k1, 1000)
    assert v1["currency"] == "USD", v1
    expect(t.patch(A + "/programs/%d" % prog["id"], {"currency": "EUR"}, key=bk), 200)
    v2 = convert(t, w, k2, 3000)
    assert v2["currency"] == "EUR", v2
    click(t, code, UA + " eur-1")
    wait_clicks(t, bk, 3, program_id=prog["id"])
    for g in (None, "day", "campaign", "partner", "link"):
        params = {"program_id": prog["id"]}
        if g:
            params["group_by"] = g
        rows = report(t, bk, **params)
        by = {r["currency"]: r for r in rows}
        assert len(rows) == 2 and set(by) == {"USD", "EUR"}, "group_by=%s: %r" % (g, rows)
        assert (by["USD"]["clicks"], by["USD"]["conversions"], by["USD"]["revenue"], by["USD"]["payout"]) \
            == (2, 1, 1000, 200), rows
        assert (by["EUR"]["clicks"], by["EUR"]["conversions"], by["EUR"]["revenue"], by["EUR"]["payout"]) \
            == (1, 1, 3000, 600), rows


def test_bad_parameters(t):
    w = scenario(t)
    for q, field in (("group_by=week", "group_by"), ("group_by=", None), ("format=xml", "format"),
                     ("tz=Mars/Olympus", "tz"), ("tz=../../etc/passwd", "tz"), ("from=yesterday", "from"),
                     ("to=2026-13-01", "to"), ("from=2026-11-28T25:00:00Z", "from")):
        r = t.get(A + "/reports?" + q, key=w.bk)
        if field is None:
            assert r.status == 200, r  # an empty group_by is no group_by
            continue
        assert_problem(r, 422, "invalid_value", field)
    assert_problem(t.get(A + "/reports"), 401, "unauthorized")
