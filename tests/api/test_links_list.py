"""
test_links_list.py: GET /api/v1/links?campaign_id=&partner_id=&task_id= (docs/api.md "Links
across tasks"): the links a brand or a partner sees across tasks, its filters and their
combinations, tenancy (a filter id of another account gives an empty list), the cursor, the
link object (the same as GET /links/{id}), and the per-link clicks and conversions of the last
30 days that the UI's Links tables read from GET /reports?group_by=link, for brands and
partners.
"""

import datetime
import http.client
import time
import urllib.parse

from tl import A, assert_problem, expect

LP_URL = "https://www.acme.test/spring"
UA = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/120.0 Safari/537.36")


def links(t, key, query=""):
    return t.list_all(A + "/links" + query, key)


def ids(items):
    return [x["id"] for x in items]


def make(t, key, task_id, body):
    return expect(t.post(A + "/tasks/%d/links" % task_id, body, key=key), (200, 201))


def two_campaigns(t):
    """A brand with two partner_choice campaigns (one task each) and two partners in both;
    every partner makes one link per task and the brand one more for partner a in task 1."""
    w = t.world("partner_choice")
    bk = w.bk
    a = w.partner
    b = t.new_partner()
    t.join_program(bk, w.program["id"], b["id"])
    t.join_campaign(bk, w.campaign["id"], b["id"])
    t.assign_task(bk, w.task["id"], b["id"])
    c2 = t.new_campaign(bk, w.program["id"], tracking={"landing_page_mode": "partner_choice"})
    for p in (a, b):
        t.join_campaign(bk, c2["id"], p["id"])
    task2 = t.new_task(bk, c2["id"], partner_ids=[a["id"], b["id"]])
    made = {}
    for p, key in ((a, w.pk), (b, b["api_key"])):
        for task in (w.task, task2):
            made[(p["id"], task["id"])] = make(t, key, task["id"], {"landing_page_url": LP_URL})
    made["brand"] = make(t, bk, w.task["id"], {"partner_id": a["id"], "landing_page_url": LP_URL,
                                                "kind": "regular", "sub_id1": "brand-made"})
    return w, b, c2, task2, made


def test_brand_lists_its_links_across_tasks(t):
    w, b, c2, task2, made = two_campaigns(t)
    a = w.partner
    every = sorted(x["id"] for x in made.values())
    assert ids(links(t, w.bk)) == every
    # another brand's links never show, and its own list is its own
    other = t.world("partner_choice")
    mine = make(t, other.pk, other.task["id"], {"landing_page_url": LP_URL})
    assert ids(links(t, w.bk)) == every
    assert ids(links(t, other.bk)) == [mine["id"]]
    # filters, alone and together
    t1 = w.task["id"]
    assert ids(links(t, w.bk, "?task_id=%d" % t1)) == sorted(
        [made[(a["id"], t1)]["id"], made[(b["id"], t1)]["id"], made["brand"]["id"]])
    assert ids(links(t, w.bk, "?campaign_id=%d" % c2["id"])) == sorted(
        [made[(a["id"], task2["id"])]["id"], made[(b["id"], task2["id"])]["id"]])
    assert ids(links(t, w.bk, "?partner_id=%d" % b["id"])) == sorted(
        [made[(b["id"], t1)]["id"], made[(b["id"], task2["id"])]["id"]])
    assert ids(links(t, w.bk, "?partner_id=%d&campaign_id=%d" % (a["id"], w.campaign["id"]))) == \
        sorted([made[(a["id"], t1)]["id"], made["brand"]["id"]])
    assert ids(links(t, w.bk, "?task_id=%d&campaign_id=%d" % (t1, c2["id"]))) == []
    assert ids(links(t, w.bk, "?task_id=%d&partner_id=%d" % (task2["id"], a["id"]))) == \
        [made[(a["id"], task2["id"])]["id"]]
    # filter ids of another account give an empty list, not 404
    for q in ("?campaign_id=%d" % other.campaign["id"], "?task_id=%d" % other.task["id"],
              "?partner_id=%d" % other.partner["id"], "?campaign_id=999999999"):
        page = expect(t.get(A + "/links" + q, key=w.bk), 200)
        assert page == {"data": [], "next_cursor": None}, (q, page)
    for q in ("?campaign_id=%d" % w.campaign["id"], "?task_id=%d" % t1):
        assert expect(t.get(A + "/links" + q, key=other.bk), 200)["data"] == [], q


def test_items_are_the_link_object(t):
    w, b, c2, task2, made = two_campaigns(t)
    for item in links(t, w.bk):
        assert item == expect(t.get(A + "/links/%d" % item["id"], key=w.bk), 200), item
    for item in links(t, b["api_key"]):
        assert item == expect(t.get(A + "/links/%d" % item["id"], key=b["api_key"]), 200), item
    # a program_default link shows the program's default landing page, per program
    d = t.world()  # program_default: the assignment made the link
    other_default = "https://www.acme.test/other-default"
    p2 = t.new_program(d.bk, default_landing_page=other_default)
    t.join_program(d.bk, p2["id"], d.partner["id"])
    c = t.new_campaign(d.bk, p2["id"])
    t.join_campaign(d.bk, c["id"], d.partner["id"])
    t.new_task(d.bk, c["id"], partner_ids=[d.partner["id"]])
    got = links(t, d.bk)
    assert len(got) == 2, got
    by_program = {x["program_id"]: x["landing_page_url"] for x in got}
    assert by_program == {d.program["id"]: d.program["default_landing_page"],
                          p2["id"]: other_default}, got
    # sub ids of the brand's link are the brand's; a partner's link hides its sub ids from the brand
    brand_link = [x for x in links(t, w.bk) if x["id"] == made["brand"]["id"]][0]
    assert brand_link["sub_id1"] == "brand-made", brand_link


def test_partner_sees_only_their_own(t):
    w, b, c2, task2, made = two_campaigns(t)
    a = w.partner
    a_links = sorted(v["id"] for k, v in made.items() if k == "brand" or k[0] == a["id"])
    b_links = sorted(v["id"] for k, v in made.items() if k != "brand" and k[0] == b["id"])
    assert ids(links(t, w.pk)) == a_links
    assert ids(links(t, b["api_key"])) == b_links
    # the same partner in another brand's program: their links there come too
    other = t.world("partner_choice")
    t.join_program(other.bk, other.program["id"], a["id"])
    t.join_campaign(other.bk, other.campaign["id"], a["id"])
    t.assign_task(other.bk, other.task["id"], a["id"])
    there = make(t, w.pk, other.task["id"], {"landing_page_url": LP_URL})
    assert ids(links(t, w.pk)) == sorted(a_links + [there["id"]])
    assert ids(links(t, w.pk, "?campaign_id=%d" % other.campaign["id"])) == [there["id"]]
    assert ids(links(t, w.pk, "?partner_id=%d" % a["id"])) == sorted(a_links + [there["id"]])
    # asking for another partner's links gives nothing
    assert expect(t.get(A + "/links?partner_id=%d" % b["id"], key=w.pk), 200)["data"] == []
    assert expect(t.get(A + "/links?task_id=%d&partner_id=%d" % (w.task["id"], b["id"]),
                        key=w.pk), 200)["data"] == []
    # and the other brand sees only its own partner's and a's link in its program
    assert ids(links(t, other.bk)) == [there["id"]]
    assert t.list_all(A + "/links", t.new_partner()["api_key"]) == []


def test_cursor_and_validation(t):
    w, b, c2, task2, made = two_campaigns(t)
    every = sorted(x["id"] for x in made.values())
    page = expect(t.get(A + "/links?limit=2", key=w.bk), 200)
    assert ids(page["data"]) == every[:2] and isinstance(page["next_cursor"], str), page
    page2 = expect(t.get(A + "/links?limit=2&cursor=" + urllib.parse.quote(page["next_cursor"]),
                         key=w.bk), 200)
    assert ids(page2["data"]) == every[2:4], page2
    assert ids(t.list_all(A + "/links", w.bk, limit=1)) == every
    assert ids(t.list_all(A + "/links?partner_id=%d" % b["id"], w.bk, limit=1)) == sorted(
        [made[(b["id"], w.task["id"])]["id"], made[(b["id"], task2["id"])]["id"]])
    last = expect(t.get(A + "/links?limit=500", key=w.bk), 200)
    assert ids(last["data"]) == every and last["next_cursor"] is None, last
    assert len(expect(t.get(A + "/links?limit=900", key=w.bk), 200)["data"]) == len(every)
    assert_problem(t.get(A + "/links?cursor=nonsense", key=w.bk), 422, "invalid_value", "cursor")
    assert_problem(t.get(A + "/links?limit=0", key=w.bk), 422, "invalid_value", "limit")
    for name in ("campaign_id", "partner_id", "task_id"):
        for bad in ("abc", "0", "-1", "1.5"):
            assert_problem(t.get(A + "/links?%s=%s" % (name, bad), key=w.bk), 422,
                           "invalid_value", name)
    assert_problem(t.get(A + "/links"), 401, "unauthorized")
    assert_problem(t.get(A + "/links", key=t.admin_key), 403, "forbidden")
    assert_problem(t.post(A + "/links", {}, key=w.bk), 405, "method_not_allowed")


def click(t, code):
    conn = http.client.HTTPConnection(t.srv.host, t.srv.port, timeout=10)
    try:
        conn.request("GET", "/" + code, headers={"User-Agent": UA})
        r = conn.getresponse()
        r.read()
        assert r.status == 302, r.status
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(r.getheader("Location")).query)
        return q["clickid"][0]
    finally:
        conn.close()


def link_rows(t, key, query):
    rows = expect(t.get(A + "/reports?group_by=link" + query, key=key), 200)["data"]
    return {r["link_id"]: (r["clicks"], r["conversions"]) for r in rows}


def test_reports_by_link_give_each_links_last_30_days(t):
    """The UI's Links tables: clicks and conversions per link over the last 30 days come
    from GET /reports?group_by=link with from/to, for the brand and for each partner."""
    w, b, c2, task2, made = two_campaigns(t)
    a = w.partner
    la, lb = made[(a["id"], w.task["id"])], made[(b["id"], w.task["id"])]
    ca = [click(t, la["code"]) for _ in range(3)]
    click(t, lb["code"])
    today = datetime.datetime.now(datetime.timezone.utc).date()
    q = "&from=%s&to=%s" % (today - datetime.timedelta(days=29), today + datetime.timedelta(days=1))
    # clicks are written in batches: wait for them to count
    deadline = time.time() + 15
    while time.time() < deadline:
        got = link_rows(t, w.bk, q + "&campaign_id=%d" % w.campaign["id"])
        if got.get(la["id"], (0, 0))[0] == 3 and got.get(lb["id"], (0, 0))[0] == 1:
            break
        time.sleep(0.05)
    expect(t.post(A + "/conversions", {"click_id": ca[0], "order_id": "L-1", "amount": 100},
                  key=w.bk), 201)
    got = link_rows(t, w.bk, q + "&campaign_id=%d" % w.campaign["id"])
    assert got == {la["id"]: (3, 1), lb["id"]: (1, 0)}, got
    # each partner gets only their own links' rows
    assert link_rows(t, w.pk, q) == {la["id"]: (3, 1)}
    assert link_rows(t, b["api_key"], q) == {lb["id"]: (1, 0)}
    assert link_rows(t, w.pk, q + "&task_id=%d" % w.task["id"]) == {la["id"]: (3, 1)}
    # another brand sees none of it
    other = t.world()
    assert link_rows(t, other.bk, q + "&campaign_id=%d" % w.campaign["id"]) == {}
