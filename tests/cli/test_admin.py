"""
test_admin.py: the `tracklink admin` commands of src/cli/ that show what the
store holds (`admin clicks`, `admin report`), run against the module's
running server's database, and their flag errors.
"""

import http.client
import urllib.parse

from tl import A, expect

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
BOT_UA = "Twitterbot/1.0"


def short_link(t, w):
    return expect(t.post(A + "/tasks/%d/links" % w.task["id"], {"partner_id": w.partner["id"]},
                         key=w.bk), (200, 201))


def hit(t, path, ua=UA):
    """A redirect like a browser's; the click id of its answer (None without)."""
    c = http.client.HTTPConnection(t.srv.host, t.srv.port, timeout=10)
    try:
        c.request("GET", path, headers={"User-Agent": ua})
        r = c.getresponse()
        r.read()
        assert r.status == 302, r.status
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(r.getheader("Location")).query)
    finally:
        c.close()
    return q.get("clickid", [None])[0]


def test_clicks_lists_what_was_stored(t):
    w = t.world()
    code = short_link(t, w)["code"]
    first = hit(t, "/%s?subId1=alpha" % code)
    second = hit(t, "/%s" % code)
    t.srv.wait_clicks_stored()
    rows = t.srv.clicks(campaign_id=w.campaign["id"])
    # Listed by time, then click id: two clicks of one millisecond come in
    # either order.
    assert sorted(r["click_id"] for r in rows) == sorted([first, second]), rows
    rows.sort(key=lambda r: r["click_id"] != first)
    a = rows[0]
    assert a["sub_id1"] == "alpha" and a["sub_id2"] is None, a
    assert a["partner_id"] == w.partner["id"] and a["task_id"] == w.task["id"], a
    assert a["program_id"] == w.program["id"] and a["link_id"] is not None, a
    assert a["user_agent"] == UA and a["bot"] == 0 and a["uniq"] == 1, a
    assert len(a["visitor_hash"]) == 16, a
    assert rows[1]["uniq"] == 0, rows[1]  # the same visitor again
    assert t.srv.clicks(click_id=second) == [rows[1]]
    assert t.srv.clicks(click_id="no-such-click") == []


def test_report_counts_bots_apart(t):
    w = t.world()
    code = short_link(t, w)["code"]
    hit(t, "/" + code)
    hit(t, "/" + code, ua=BOT_UA)
    t.srv.wait_clicks_stored()
    got = t.srv.rollups(w.campaign["id"])
    assert (got["clicks"], got["unique_clicks"], got["bot_clicks"]) == (1, 1, 1), got
    assert got["conversions"] == 0, got
    assert t.srv.rollups(w.campaign["id"] + 100000)["clicks"] == 0


def test_bad_flags_are_usage_errors(t):
    for args in (["clicks", "--campaign", "x"], ["clicks", "--campaign", "0"],
                 ["report", "--click-id", "a"], ["clicks", "--nope", "1"]):
        p = t.run_cli("admin", *args, "--db", t.srv.db_url)
        assert p.returncode == 2, (args, p.returncode, p.stderr)
