"""
test_links.py: API.md "Tracking links" and the decided edge cases about
them (link identity, sub ids, automatic default links): creating links by
a brand and by the assigned partner in every landing-page mode, the link
object, the error codes and their order, reading, disabling, isolation
between partners and brands, the QR code, and one link out of many
concurrent identical requests.
"""

import re
import threading
import urllib.parse

from tl import A, assert_problem, assert_time, expect

LINK_FIELDS = {"id", "code", "kind", "url", "short_url", "regular_url", "landing_page_url", "partner_id",
               "task_id", "campaign_id", "program_id", "created_by", "active", "created_at"}
CODE_RE = re.compile(r"^[0-9A-Za-z]{7}$")
# First path segments the server answers itself, or may (7-character ones only
# matter: a code is always 7 characters).
RESERVED_7 = {"healthz", "metrics", "session", "sitemap", "favicon", "openapi"}
DEFAULT_LP = "https://shop.acme.test/landing"  # the harness' program default
LP_URL = "https://www.acme.test/spring?ref=x"


# --------------------------------------------------------------- helpers


def links_path(task_id):
    return A + "/tasks/%d/links" % task_id


def post_link(t, key, task_id, body):
    return t.post(links_path(task_id), body, key=key)


def public_url(t):
    return "http://127.0.0.1:%d" % t.srv.port


def landing_body(w, mode=None):
    """The landing-page part of a request that suits the world's mode."""
    mode = mode or w.campaign["tracking"]["landing_page_mode"]
    if mode == "partner_choice":
        return {"landing_page_url": LP_URL}
    if mode == "brand_selected":
        return {"landing_page_id": w.landing_page["id"]}
    return {}


def expected_landing(w, mode=None):
    mode = mode or w.campaign["tracking"]["landing_page_mode"]
    if mode == "partner_choice":
        return LP_URL
    if mode == "brand_selected":
        return w.landing_page["url"]
    return w.program["default_landing_page"]


def check_link(t, link, w=None, kind="short", partner_id=None, created_by=None, landing=None,
               default=None):
    """Checks a link object against API.md: the fields, the URLs, the code."""
    missing = LINK_FIELDS - set(link)
    assert not missing, "link lacks %s: %r" % (sorted(missing), link)
    assert isinstance(link["id"], int) and link["id"] > 0, link
    code = link["code"]
    assert isinstance(code, str) and CODE_RE.match(code), "code %r is not 7 base62 characters" % code
    assert code.lower() not in RESERVED_7, "code %r is a reserved word" % code
    assert link["kind"] == kind, link
    pub = public_url(t)
    assert link["short_url"] == "%s/%s" % (pub, code), link
    if w is not None:
        assert link["task_id"] == w.task["id"], link
        assert link["campaign_id"] == w.campaign["id"], link
        assert link["program_id"] == w.program["id"], link
    if partner_id is not None:
        assert link["partner_id"] == partner_id, link
    if created_by is not None:
        assert link["created_by"] == created_by, link
    assert link["created_by"] in ("brand", "partner"), link
    if landing is not None:
        assert link["landing_page_url"] == landing, "landing %r, expected %r" % (link["landing_page_url"], landing)
    assert link["active"] in (True, False), link
    assert_time(link["created_at"], "created_at")
    base = "%s/c/%d/%d/%d" % (pub, link["partner_id"], link["task_id"], link["campaign_id"])
    if default is None and w is not None:
        default = w.program["default_landing_page"]
    if default is not None:
        if link["landing_page_url"] == default:
            assert link["regular_url"] == base, "regular_url %r, expected %r (default landing page)" % (
                link["regular_url"], base)
        else:
            check_u(link["regular_url"], base, link["landing_page_url"])
    else:
        assert link["regular_url"].startswith(base), link
    assert link["url"] == (link["short_url"] if kind == "short" else link["regular_url"]), link


def check_u(regular_url, base, landing):
    """regular_url must be base?u=<percent-encoded landing>."""
    assert regular_url.startswith(base + "?u="), "regular_url %r, expected %s?u=…" % (regular_url, base)
    raw = regular_url[len(base) + 3:]
    assert re.match(r"^[A-Za-z0-9%._~-]+$", raw), "u=%r is not percent-encoded" % raw
    assert urllib.parse.unquote(raw) == landing, "u=%r does not decode to %r" % (raw, landing)


def run_threads(n, fn):
    """Runs fn(i) in n threads released together; returns the exceptions."""
    barrier = threading.Barrier(n)
    errors = []
    lock = threading.Lock()

    def body(i):
        try:
            barrier.wait(30)
            fn(i)
        except BaseException as e:  # reported by the caller
            with lock:
                errors.append(e)

    threads = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    assert not any(th.is_alive() for th in threads), "some clients hung"
    return errors


def add_partner(t, w, task=True):
    """Another partner in the world's program and campaign (and task)."""
    x = t.new_partner()
    t.join_program(w.bk, w.program["id"], x["id"])
    t.join_campaign(w.bk, w.campaign["id"], x["id"])
    if task:
        t.assign_task(w.bk, w.task["id"], x["id"])
    return x


def task_links(t, key, task_id, query=""):
    return t.list_all(links_path(task_id) + query, key)


def me_task_links(t, pk, task_id):
    for item in t.list_all(A + "/me/tasks", pk):
        if item["id"] == task_id:
            assert isinstance(item.get("links"), list), item
            return item["links"]
    raise AssertionError("task %d not in /me/tasks" % task_id)


def patch_campaign(t, w, body):
    return expect(t.patch(A + "/campaigns/%d" % w.campaign["id"], body, key=w.bk), 200)


# ------------------------------------------------------- create: basics


def test_brand_creates_short_link_by_default(t):
    w = t.world("partner_choice")
    r = post_link(t, w.bk, w.task["id"], {"partner_id": w.partner["id"], "landing_page_url": LP_URL})
    link = expect(r, 201)
    check_link(t, link, w, kind="short", partner_id=w.partner["id"], created_by="brand", landing=LP_URL)
    assert link["active"] is True
    assert link["url"] == link["short_url"] == "%s/%s" % (public_url(t), link["code"])
    again = expect(post_link(t, w.bk, w.task["id"], {"partner_id": w.partner["id"], "landing_page_url": LP_URL}),
                   200)
    assert again == link
    got = expect(t.get(A + "/links/%d" % link["id"], key=w.bk), 200)
    assert got == link


def test_partner_creates_own_link(t):
    w = t.world("partner_choice")
    link = expect(post_link(t, w.pk, w.task["id"], {"landing_page_url": LP_URL, "kind": "regular"}), 201)
    check_link(t, link, w, kind="regular", partner_id=w.partner["id"], created_by="partner", landing=LP_URL)
    assert link["url"] == link["regular_url"]
    base = "%s/c/%d/%d/%d" % (public_url(t), w.partner["id"], w.task["id"], w.campaign["id"])
    check_u(link["url"], base, LP_URL)
    assert expect(post_link(t, w.pk, w.task["id"], {"landing_page_url": LP_URL, "kind": "regular"}), 200) == link
    assert expect(t.get(A + "/links/%d" % link["id"], key=w.pk), 200) == link


def test_partner_cannot_make_a_link_for_another_partner(t):
    w = t.world("partner_choice")
    other = add_partner(t, w)
    r = post_link(t, w.pk, w.task["id"], {"partner_id": other["id"], "landing_page_url": LP_URL})
    if 200 <= r.status < 300:
        assert r.json["partner_id"] == w.partner["id"], "a partner made a link for another partner: %r" % r
    else:
        assert 400 <= r.status < 500, r
    assert task_links(t, w.bk, w.task["id"], "?partner_id=%d" % other["id"]) == []


def test_regular_url_has_no_u_for_the_program_default(t):
    w = t.world("partner_choice")
    base = "%s/c/%d/%d/%d" % (public_url(t), w.partner["id"], w.task["id"], w.campaign["id"])
    link = expect(post_link(t, w.pk, w.task["id"], {"landing_page_url": DEFAULT_LP, "kind": "regular"}), 201)
    assert link["landing_page_url"] == DEFAULT_LP
    assert link["regular_url"] == base == link["url"], link
    other = expect(post_link(t, w.pk, w.task["id"], {"landing_page_url": "https://acme.test/a?x=1&y=%C3%A9#top",
                                                     "kind": "regular"}), 201)
    check_link(t, other, w, kind="regular")
    assert "?u=" in other["regular_url"]


def test_codes_are_distinct_and_valid(t):
    w = t.world("partner_choice")
    codes = set()
    for i in range(25):
        link = expect(post_link(t, w.pk, w.task["id"], {"landing_page_url": LP_URL, "sub_id1": "s%d" % i}), 201)
        check_link(t, link, w, partner_id=w.partner["id"], created_by="partner")
        codes.add(link["code"])
    assert len(codes) == 25


# ------------------------------------------------------------- identity


def test_link_identity(t):
    w = t.world("partner_choice")
    tid, pid = w.task["id"], w.partner["id"]
    base = {"partner_id": pid, "landing_page_url": LP_URL}

    def make(extra, status):
        body = dict(base)
        body.update(extra)
        return expect(post_link(t, w.bk, tid, body), status)

    first = make({}, 201)
    assert make({"kind": "short"}, 200)["id"] == first["id"]  # kind defaults to short
    seen = {first["id"]}
    variants = [{"kind": "regular"}, {"sub_id1": "a"}, {"sub_id2": "a"}, {"sub_id3": "a"},
                {"sub_id1": "a", "sub_id2": "b"}, {"shared_id": "a"}, {"shared_id": "b"},
                {"landing_page_url": "https://www.acme.test/other"},
                {"kind": "regular", "shared_id": "a"}]
    for v in variants:
        link = make(v, 201)
        assert link["id"] not in seen, "%r gave an existing link %r" % (v, link)
        seen.add(link["id"])
        again = make(v, 200)
        assert again["id"] == link["id"], (v, link, again)
        if "sub_id1" in v:
            assert link["sub_id1"] == v["sub_id1"], link  # the brand made it: it sees its sub ids
        if "shared_id" in v:
            assert link["shared_id"] == v["shared_id"], link
    # Another partner on the same task gets their own link.
    other = add_partner(t, w)
    o = expect(post_link(t, w.bk, tid, {"partner_id": other["id"], "landing_page_url": LP_URL}), 201)
    assert o["id"] not in seen and o["partner_id"] == other["id"]
    # A second task with the same partner is another link too.
    task2 = t.new_task(w.bk, w.campaign["id"], partner_ids=[pid])
    l2 = expect(post_link(t, w.bk, task2["id"], base), 201)
    assert l2["id"] not in seen and l2["task_id"] == task2["id"]


def test_identity_uses_the_normalised_landing_page(t):
    w = t.world("partner_choice")
    link = expect(post_link(t, w.pk, w.task["id"], {"landing_page_url": "https://www.acme.test/Path?Q=1"}), 201)
    same = expect(post_link(t, w.pk, w.task["id"], {"landing_page_url": "HTTPS://WWW.ACME.Test/Path?Q=1"}), 200)
    assert same["id"] == link["id"]
    # Only the scheme and the host are lower-cased.
    other = expect(post_link(t, w.pk, w.task["id"], {"landing_page_url": "https://www.acme.test/path?q=1"}), 201)
    assert other["id"] != link["id"]


def test_same_request_by_brand_and_partner_is_one_link(t):
    w = t.world("partner_choice")
    mine = expect(post_link(t, w.pk, w.task["id"], {"landing_page_url": LP_URL, "shared_id": "s"}), 201)
    got = expect(post_link(t, w.bk, w.task["id"], {"partner_id": w.partner["id"], "landing_page_url": LP_URL,
                                                   "shared_id": "s"}), 200)
    assert got["id"] == mine["id"] and got["created_by"] == "partner"


def test_identical_request_for_disabled_link_stays_disabled(t):
    w = t.world("partner_choice")
    body = {"partner_id": w.partner["id"], "landing_page_url": LP_URL}
    link = expect(post_link(t, w.bk, w.task["id"], body), 201)
    off = expect(t.patch(A + "/links/%d" % link["id"], {"active": False}, key=w.bk), 200)
    assert off["active"] is False and off["id"] == link["id"]
    again = expect(post_link(t, w.bk, w.task["id"], body), 200)
    assert again["id"] == link["id"] and again["active"] is False, again
    again = expect(post_link(t, w.pk, w.task["id"], {"landing_page_url": LP_URL}), 200)
    assert again["id"] == link["id"] and again["active"] is False, again


def test_concurrent_identical_requests_make_one_link(t):
    w = t.world("partner_choice")
    n = 30
    results = [None] * n
    body = {"landing_page_url": LP_URL, "sub_id1": "race", "shared_id": "r"}

    def client(i):
        results[i] = post_link(t, w.pk, w.task["id"], body)

    errors = run_threads(n, client)
    assert not errors, "client errors: %r" % errors[:3]
    statuses = sorted(r.status for r in results)
    assert statuses.count(201) == 1 and statuses.count(200) == n - 1, "statuses %r; first bad: %r" % (
        statuses, next((r for r in results if r.status not in (200, 201)), None))
    ids = {r.json["id"] for r in results}
    assert len(ids) == 1, ids
    lst = [x for x in task_links(t, w.bk, w.task["id"]) if x["shared_id"] == "r"]
    assert len(lst) == 1 and lst[0]["id"] in ids, lst


# ------------------------------------------------------- landing pages


def test_partner_choice_landing_pages(t):
    w = t.world("partner_choice")
    tid, pk = w.task["id"], w.pk

    def bad(body, code, field):
        assert_problem(post_link(t, pk, tid, body), 422, code, field)

    bad({}, "landing_page_required", "landing_page_url")
    bad({"kind": "regular"}, "landing_page_required", "landing_page_url")
    bad({"landing_page_url": "https://evil.test/x"}, "landing_page_not_permitted", "landing_page_url")
    bad({"landing_page_url": "https://notacme.test/x"}, "landing_page_not_permitted", "landing_page_url")
    bad({"landing_page_url": "https://acme.test.evil.test/x"}, "landing_page_not_permitted", "landing_page_url")
    for url in ("javascript:alert(1)", "www.acme.test/x", "/relative/path", "ftp://www.acme.test/x",
                "https://user:pw@www.acme.test/x", "https://user@www.acme.test/x",
                "https://www.acme.test/a\nb", "https://www.acme.test/a\tb", "https://www.acme.test/a\x01b",
                "https://www.acme.test/a\x1fb", "https://www.acme.test/" + "a" * 2030):
        bad({"landing_page_url": url}, "landing_page_invalid", "landing_page_url")
    assert len("https://www.acme.test/" + "a" * 2030) > 2048
    bad({"landing_page_id": 1}, "landing_page_not_allowed", "landing_page_id")
    lp = t.new_landing_page(w.bk, w.program["id"])
    bad({"landing_page_id": lp["id"]}, "landing_page_not_allowed", "landing_page_id")
    bad({"landing_page_url": LP_URL, "landing_page_id": lp["id"]}, "landing_page_not_allowed", "landing_page_id")
    assert_problem(post_link(t, pk, tid, {"landing_page_url": 5}), 400, "invalid_type", "landing_page_url")
    # Exactly 2048 characters is fine.
    url = "https://www.acme.test/"
    url += "b" * (2048 - len(url))
    link = expect(post_link(t, pk, tid, {"landing_page_url": url}), 201)
    assert link["landing_page_url"] == url
    # Normalisation: the scheme and host are lower-cased, the rest is kept.
    link = expect(post_link(t, pk, tid, {"landing_page_url": "HTTPS://Deals.ACME.test/Winter?Code=AB#Top"}), 201)
    assert link["landing_page_url"] == "https://deals.acme.test/Winter?Code=AB#Top", link
    # A sub-domain of a *.x pattern and the bare domain are both permitted here.
    expect(post_link(t, pk, tid, {"landing_page_url": "http://acme.test/"}), 201)
    # Nothing was made by the refusals.
    n = len(task_links(t, w.bk, w.task["id"]))
    assert n == 3, n


def test_partner_choice_only_exact_domain_pattern(t):
    w = t.world("partner_choice")
    expect(t.patch(A + "/programs/%d" % w.program["id"],
                   {"permitted_domains": ["*.acme.test"]}, key=w.bk), 200)
    assert_problem(post_link(t, w.pk, w.task["id"], {"landing_page_url": "https://acme.test/x"}), 422,
                   "landing_page_not_permitted", "landing_page_url")
    expect(post_link(t, w.pk, w.task["id"], {"landing_page_url": "https://www.acme.test/x"}), 201)


def test_brand_selected_landing_pages(t):
    w = t.world("brand_selected")
    tid, pk = w.task["id"], w.pk
    assert_problem(post_link(t, pk, tid, {}), 422, "landing_page_required", "landing_page_id")
    assert_problem(post_link(t, pk, tid, {"landing_page_url": w.landing_page["url"]}), 422,
                   "landing_page_not_allowed", "landing_page_url")
    assert_problem(post_link(t, pk, tid, {"landing_page_url": w.landing_page["url"],
                                          "landing_page_id": w.landing_page["id"]}),
                   422, "landing_page_not_allowed", "landing_page_url")
    # A page of the program that the campaign did not select.
    other_lp = t.new_landing_page(w.bk, w.program["id"], url="https://www.acme.test/other")
    assert_problem(post_link(t, pk, tid, {"landing_page_id": other_lp["id"]}), 422,
                   "landing_page_not_selected", "landing_page_id")
    # Another brand's page.
    k2 = t.new_brand()["api_key"]
    p2 = t.new_program(k2)
    foreign = t.new_landing_page(k2, p2["id"])
    assert_problem(post_link(t, pk, tid, {"landing_page_id": foreign["id"]}), 422,
                   "landing_page_not_selected", "landing_page_id")
    assert_problem(post_link(t, pk, tid, {"landing_page_id": 987654321}), 422,
                   "landing_page_not_selected", "landing_page_id")
    assert_problem(post_link(t, pk, tid, {"landing_page_id": "1"}), 400, "invalid_type", "landing_page_id")
    link = expect(post_link(t, pk, tid, {"landing_page_id": w.landing_page["id"]}), 201)
    check_link(t, link, w, partner_id=w.partner["id"], created_by="partner", landing=w.landing_page["url"])
    b = expect(post_link(t, w.bk, tid, {"partner_id": w.partner["id"], "landing_page_id": w.landing_page["id"],
                                        "kind": "regular"}), 201)
    check_link(t, b, w, kind="regular", created_by="brand", landing=w.landing_page["url"])
    base = "%s/c/%d/%d/%d" % (public_url(t), w.partner["id"], tid, w.campaign["id"])
    check_u(b["url"], base, w.landing_page["url"])
    # Selecting the other page makes it usable.
    patch_campaign(t, w, {"tracking": {"landing_page_ids": [w.landing_page["id"], other_lp["id"]]}})
    o = expect(post_link(t, pk, tid, {"landing_page_id": other_lp["id"]}), 201)
    assert o["landing_page_url"] == other_lp["url"]


def test_program_default_landing_pages(t):
    w = t.world("program_default")
    tid, pk = w.task["id"], w.pk
    lp = t.new_landing_page(w.bk, w.program["id"])
    for actor_key, extra in ((pk, {}), (w.bk, {"partner_id": w.partner["id"]})):
        for body, field in (({"landing_page_url": LP_URL}, "landing_page_url"),
                            ({"landing_page_url": DEFAULT_LP}, "landing_page_url"),
                            ({"landing_page_id": lp["id"]}, "landing_page_id")):
            b = dict(body)
            b.update(extra)
            assert_problem(post_link(t, actor_key, tid, b), 422, "landing_page_not_allowed", field)
        assert_problem(post_link(t, actor_key, tid, dict(extra, landing_page_url=LP_URL, landing_page_id=lp["id"])),
                       422, "landing_page_not_allowed")
    link = expect(post_link(t, pk, tid, {"kind": "regular"}), 201)
    check_link(t, link, w, kind="regular", partner_id=w.partner["id"], created_by="partner", landing=DEFAULT_LP)
    base = "%s/c/%d/%d/%d" % (public_url(t), w.partner["id"], tid, w.campaign["id"])
    assert link["url"] == link["regular_url"] == base, link


def test_program_default_link_follows_the_program_default(t):
    w = t.world("program_default")
    tid = w.task["id"]
    auto = task_links(t, w.bk, tid)
    assert len(auto) == 1, auto
    reg = expect(post_link(t, w.pk, tid, {"kind": "regular", "sub_id1": "x"}), 201)
    new_default = "https://deals.acme.test/new-default?x=1"
    expect(t.patch(A + "/programs/%d" % w.program["id"], {"default_landing_page": new_default}, key=w.bk), 200)
    base = "%s/c/%d/%d/%d" % (public_url(t), w.partner["id"], tid, w.campaign["id"])
    for lid, key in ((auto[0]["id"], w.bk), (auto[0]["id"], w.pk), (reg["id"], w.pk), (reg["id"], w.bk)):
        got = expect(t.get(A + "/links/%d" % lid, key=key), 200)
        assert got["landing_page_url"] == new_default, got
        assert got["regular_url"] == base, got
    for x in task_links(t, w.bk, tid):
        assert x["landing_page_url"] == new_default, x
    for x in me_task_links(t, w.pk, tid):
        assert x["landing_page_url"] == new_default, x
    # Still one link per identity: asking again answers the same links.
    assert expect(post_link(t, w.pk, tid, {}), 200)["id"] == auto[0]["id"]
    assert expect(post_link(t, w.pk, tid, {"kind": "regular", "sub_id1": "x"}), 200)["id"] == reg["id"]


# ------------------------------------------------------ errors and order


def test_error_order(t):
    k = t.new_brand()["api_key"]
    prog = t.new_program(k)
    a, b = t.new_partner(), t.new_partner()
    c = t.new_campaign(k, prog["id"], status="draft",
                       tracking={"enabled": False, "landing_page_mode": "partner_choice"})
    for x in (a, b):
        t.join_program(k, prog["id"], x["id"])
        t.join_campaign(k, c["id"], x["id"])
    task = t.new_task(k, c["id"], partner_ids=[a["id"]])
    tid = task["id"]
    cpath = A + "/campaigns/%d" % c["id"]
    bad_lp = {"landing_page_url": "javascript:alert(1)"}
    # Everything wrong at once: tracking off wins.
    assert_problem(post_link(t, k, tid, dict(bad_lp, partner_id=b["id"])), 422, "tracking_disabled")
    assert_problem(post_link(t, a["api_key"], tid, bad_lp), 422, "tracking_disabled")
    for status in ("active", "paused", "ended"):
        expect(t.patch(cpath, {"status": status}, key=k), 200)
        assert_problem(post_link(t, k, tid, dict(bad_lp, partner_id=b["id"])), 422, "tracking_disabled")
    # Tracking on, campaign not active.
    expect(t.patch(cpath, {"tracking": {"enabled": True}}, key=k), 200)
    for status in ("draft", "paused", "ended"):
        expect(t.patch(cpath, {"status": status}, key=k), 200)
        assert_problem(post_link(t, k, tid, dict(bad_lp, partner_id=b["id"])), 422, "campaign_not_active")
        assert_problem(post_link(t, a["api_key"], tid, bad_lp), 422, "campaign_not_active")
        assert_problem(post_link(t, a["api_key"], tid, {"landing_page_url": LP_URL}), 422, "campaign_not_active")
    # Active: the partner must be on the task before the landing page is looked at.
    expect(t.patch(cpath, {"status": "active"}, key=k), 200)
    assert_problem(post_link(t, k, tid, dict(bad_lp, partner_id=b["id"])), 422, "partner_not_assigned",
                   "partner_id")
    assert_problem(post_link(t, k, tid, {"partner_id": b["id"]}), 422, "partner_not_assigned", "partner_id")
    assert_problem(post_link(t, k, tid, {"partner_id": 987654321, "landing_page_url": LP_URL}), 422,
                   "partner_not_assigned", "partner_id")
    stranger = t.new_partner()
    assert_problem(post_link(t, k, tid, {"partner_id": stranger["id"], "landing_page_url": LP_URL}), 422,
                   "partner_not_assigned", "partner_id")
    # Then the landing page.
    assert_problem(post_link(t, k, tid, dict(bad_lp, partner_id=a["id"])), 422, "landing_page_invalid",
                   "landing_page_url")
    assert_problem(post_link(t, k, tid, {"partner_id": a["id"]}), 422, "landing_page_required", "landing_page_url")
    assert_problem(post_link(t, a["api_key"], tid, {}), 422, "landing_page_required", "landing_page_url")
    assert task_links(t, k, tid) == []
    expect(post_link(t, k, tid, {"partner_id": a["id"], "landing_page_url": LP_URL}), 201)
    # Turning tracking off again stops new links, even identical ones.
    expect(t.patch(cpath, {"tracking": {"enabled": False}}, key=k), 200)
    assert_problem(post_link(t, k, tid, {"partner_id": a["id"], "landing_page_url": LP_URL}), 422,
                   "tracking_disabled")


def test_body_validation(t):
    w = t.world("partner_choice")
    tid, bk, pid = w.task["id"], w.bk, w.partner["id"]
    ok = {"partner_id": pid, "landing_page_url": LP_URL}
    assert_problem(post_link(t, bk, tid, {"landing_page_url": LP_URL}), 422, "missing_field", "partner_id")
    assert_problem(post_link(t, bk, tid, None), 422, "missing_field", "partner_id")  # empty body is {}
    assert_problem(post_link(t, bk, tid, dict(ok, partner_id="1")), 400, "invalid_type", "partner_id")
    assert_problem(post_link(t, bk, tid, dict(ok, kind="long")), 422, "invalid_value", "kind")
    assert_problem(post_link(t, bk, tid, dict(ok, kind="")), 422, "invalid_value", "kind")
    assert_problem(post_link(t, bk, tid, dict(ok, kind="SHORT")), 422, "invalid_value", "kind")
    assert_problem(post_link(t, bk, tid, dict(ok, kind=5)), 400, "invalid_type", "kind")
    assert_problem(post_link(t, w.pk, tid, {"landing_page_url": LP_URL, "kind": 5}), 400, "invalid_type", "kind")
    assert_problem(post_link(t, w.pk, tid, {"landing_page_url": LP_URL, "kind": "long"}), 422, "invalid_value",
                   "kind")
    for f in ("sub_id1", "sub_id2", "sub_id3"):
        assert_problem(post_link(t, bk, tid, dict(ok, **{f: "s" * 256})), 422, "invalid_value", f)
        assert_problem(post_link(t, w.pk, tid, {"landing_page_url": LP_URL, f: "s" * 256}), 422,
                       "invalid_value", f)
        assert_problem(post_link(t, bk, tid, dict(ok, **{f: 7})), 400, "invalid_type", f)
        link = expect(post_link(t, bk, tid, dict(ok, **{f: "s" * 255})), 201)
        assert link[f] == "s" * 255, link
    assert_problem(post_link(t, bk, tid, dict(ok, shared_id=7)), 400, "invalid_type", "shared_id")
    assert_problem(t.request("POST", links_path(tid), key=bk, raw_body="{nope"), 400, "invalid_json")
    r = t.request("POST", links_path(tid), key=bk, raw_body="[]")
    assert r.status == 400 and r.json.get("code") in ("invalid_json", "invalid_type"), r
    # Nothing but the three 255-character links was made.
    assert len(task_links(t, bk, tid)) == 3


def test_auth_and_unknown_task(t):
    w = t.world("partner_choice")
    tid = w.task["id"]
    assert_problem(post_link(t, None, tid, {"landing_page_url": LP_URL}), 401, "unauthorized")
    assert_problem(post_link(t, "tlk_" + "A" * 43, tid, {"landing_page_url": LP_URL}), 401, "unauthorized")
    assert_problem(post_link(t, t.admin_key, tid, {"partner_id": w.partner["id"], "landing_page_url": LP_URL}),
                   403, "forbidden")
    assert_problem(post_link(t, w.bk, 987654321, {"partner_id": w.partner["id"], "landing_page_url": LP_URL}),
                   404, "not_found")
    assert_problem(t.get(links_path(tid)), 401, "unauthorized")
    assert_problem(t.get(A + "/links/1"), 401, "unauthorized")
    assert_problem(t.get(A + "/links/987654321", key=w.bk), 404, "not_found")
    assert_problem(t.get(A + "/links/abc", key=w.bk), 404, "not_found")
    assert_problem(t.get(links_path(987654321), key=w.bk), 404, "not_found")


# ------------------------------------------------ the mode × kind × actor table


MODES = ("partner_choice", "brand_selected", "program_default")
KINDS = ("short", "regular")
ACTORS = ("brand", "assigned partner", "other partner", "other brand")


def test_partner_outside_the_campaign_gets_404(t):
    w = t.world("partner_choice")
    stranger = t.new_partner()
    t.join_program(w.bk, w.program["id"], stranger["id"])  # in the program, not the campaign
    r = post_link(t, stranger["api_key"], w.task["id"], landing_body(w))
    assert_problem(r, 404, "not_found")
    r = post_link(t, t.new_partner()["api_key"], w.task["id"], landing_body(w))
    assert_problem(r, 404, "not_found")


def test_mode_kind_actor_table(t):
    failures = []
    other_brand_key = t.new_brand()["api_key"]
    for mode in MODES:
        w = t.world(mode)
        # In the program and the campaign, not on the task.
        other_partner = add_partner(t, w, task=False)
        for kind in KINDS:
            for actor in ACTORS:
                body = dict(landing_body(w), kind=kind, shared_id="%s/%s/%s" % (mode, kind, actor))
                if actor == "brand":
                    key, body["partner_id"] = w.bk, w.partner["id"]
                elif actor == "assigned partner":
                    key = w.pk
                elif actor == "other partner":
                    key = other_partner["api_key"]
                else:
                    key, body["partner_id"] = other_brand_key, w.partner["id"]
                cell = "%s × %s × %s" % (mode, kind, actor)
                try:
                    r1 = post_link(t, key, w.task["id"], body)
                    # A partner of the campaign who is not on the task is told
                    # so (API.md's partner_not_assigned); another brand's key
                    # cannot see the task at all.
                    if actor == "other partner":
                        assert_problem(r1, 422, "partner_not_assigned", "partner_id")
                        continue
                    if actor == "other brand":
                        assert_problem(r1, 404, "not_found")
                        continue
                    link = expect(r1, 201)
                    check_link(t, link, w, kind=kind, partner_id=w.partner["id"],
                               created_by="brand" if actor == "brand" else "partner",
                               landing=expected_landing(w, mode))
                    assert link["shared_id"] == body["shared_id"], link
                    r2 = expect(post_link(t, key, w.task["id"], body), 200)
                    assert r2["id"] == link["id"], (link, r2)
                except AssertionError as e:
                    failures.append("%s: %s" % (cell, str(e)[:400]))
        # Neither outsider made anything.
        made = task_links(t, w.bk, w.task["id"])
        expected = 4 + (1 if mode == "program_default" else 0)  # + the automatic link
        if len(made) != expected:
            failures.append("%s: %d links on the task, expected %d: %r" % (mode, len(made), expected, made))
    assert not failures, "%d cells failed:\n%s" % (len(failures), "\n".join(failures))


# ------------------------------------------------- automatic default links


def test_auto_link_on_assignment(t):
    w = t.world("program_default")
    links = task_links(t, w.bk, w.task["id"])
    assert len(links) == 1, links
    auto = links[0]
    check_link(t, auto, w, kind="short", partner_id=w.partner["id"], created_by="brand", landing=DEFAULT_LP)
    assert auto["active"] is True
    assert [x["id"] for x in task_links(t, w.pk, w.task["id"])] == [auto["id"]]
    assert [x["id"] for x in me_task_links(t, w.pk, w.task["id"])] == [auto["id"]]
    # The same request by anyone answers the existing link.
    assert expect(post_link(t, w.pk, w.task["id"], {}), 200)["id"] == auto["id"]
    assert expect(post_link(t, w.bk, w.task["id"], {"partner_id": w.partner["id"]}), 200)["id"] == auto["id"]
    # Assigning again makes no second link.
    expect(t.post(A + "/tasks/%d/partners" % w.task["id"], {"partner_id": w.partner["id"]}, key=w.bk), 200)
    assert len(task_links(t, w.bk, w.task["id"])) == 1


def test_auto_link_when_task_created_with_partners(t):
    w = t.world("program_default")
    b = add_partner(t, w, task=False)
    task = t.new_task(w.bk, w.campaign["id"], partner_ids=[w.partner["id"], b["id"]])
    links = task_links(t, w.bk, task["id"])
    assert sorted(x["partner_id"] for x in links) == sorted([w.partner["id"], b["id"]]), links
    for x in links:
        assert x["kind"] == "short" and x["created_by"] == "brand" and x["task_id"] == task["id"], x
        assert x["landing_page_url"] == DEFAULT_LP, x
    for p in (w.partner, b):
        mine = me_task_links(t, p["api_key"], task["id"])
        assert len(mine) == 1 and mine[0]["partner_id"] == p["id"], mine


def test_no_auto_links_in_other_modes(t):
    for mode in ("partner_choice", "brand_selected"):
        w = t.world(mode)
        assert task_links(t, w.bk, w.task["id"]) == []
        assert me_task_links(t, w.pk, w.task["id"]) == []


def test_auto_links_wait_for_an_active_campaign(t):
    for status in ("draft", "paused", "ended"):
        w = t.world("program_default", status=status)
        tid = w.task["id"]
        t2 = t.new_task(w.bk, w.campaign["id"], partner_ids=[w.partner["id"]])
        assert task_links(t, w.bk, tid) == [], status
        assert task_links(t, w.bk, t2["id"]) == [], status
        assert me_task_links(t, w.pk, tid) == [], status
        if status == "ended":
            continue
        patch_campaign(t, w, {"status": "active"})
        for task_id in (tid, t2["id"]):
            links = task_links(t, w.bk, task_id)
            assert len(links) == 1, (status, links)
            check_link(t, links[0], kind="short", partner_id=w.partner["id"], created_by="brand",
                       landing=DEFAULT_LP, default=DEFAULT_LP)
        assert len(me_task_links(t, w.pk, tid)) == 1
        # No duplicates when it is set active again.
        patch_campaign(t, w, {"status": "paused"})
        patch_campaign(t, w, {"status": "active"})
        assert len(task_links(t, w.bk, tid)) == 1


def test_paused_campaign_assignment_then_resume(t):
    w = t.world("program_default")
    patch_campaign(t, w, {"status": "paused"})
    b = add_partner(t, w, task=True)
    assert [x["partner_id"] for x in task_links(t, w.bk, w.task["id"])] == [w.partner["id"]]
    patch_campaign(t, w, {"status": "active"})
    got = sorted(x["partner_id"] for x in task_links(t, w.bk, w.task["id"]))
    assert got == sorted([w.partner["id"], b["id"]]), got


def test_auto_links_wait_for_tracking(t):
    k = t.new_brand()["api_key"]
    prog = t.new_program(k)
    c = t.new_campaign(k, prog["id"], tracking={"enabled": False, "landing_page_mode": "program_default"})
    a = t.new_partner()
    t.join_program(k, prog["id"], a["id"])
    t.join_campaign(k, c["id"], a["id"])
    task = t.new_task(k, c["id"], partner_ids=[a["id"]])
    task2 = t.new_task(k, c["id"])
    t.assign_task(k, task2["id"], a["id"])
    assert task_links(t, k, task["id"]) == [] and task_links(t, k, task2["id"]) == []
    expect(t.patch(A + "/campaigns/%d" % c["id"], {"tracking": {"enabled": True}}, key=k), 200)
    for tk in (task, task2):
        links = task_links(t, k, tk["id"])
        assert len(links) == 1 and links[0]["partner_id"] == a["id"] and links[0]["created_by"] == "brand", links
        assert links[0]["kind"] == "short" and links[0]["landing_page_url"] == DEFAULT_LP, links
    assert len(me_task_links(t, a["api_key"], task["id"])) == 1


def test_auto_links_when_switched_to_program_default(t):
    for mode in ("partner_choice", "brand_selected"):
        w = t.world(mode)
        b = add_partner(t, w, task=True)
        assert task_links(t, w.bk, w.task["id"]) == []
        tracking = {"landing_page_mode": "program_default"}
        if mode == "brand_selected":
            tracking["landing_page_ids"] = []
        c = patch_campaign(t, w, {"tracking": tracking})
        assert c["tracking"]["landing_page_mode"] == "program_default", c
        links = task_links(t, w.bk, w.task["id"])
        assert sorted(x["partner_id"] for x in links) == sorted([w.partner["id"], b["id"]]), (mode, links)
        for x in links:
            assert x["created_by"] == "brand" and x["kind"] == "short" and x["landing_page_url"] == DEFAULT_LP, x


def test_auto_links_follow_the_default(t):
    w = t.world("program_default")
    new_default = "https://www.acme.test/changed"
    expect(t.patch(A + "/programs/%d" % w.program["id"], {"default_landing_page": new_default}, key=w.bk), 200)
    b = add_partner(t, w, task=True)
    for x in task_links(t, w.bk, w.task["id"]):
        assert x["landing_page_url"] == new_default, x
    mine = me_task_links(t, b["api_key"], w.task["id"])
    assert len(mine) == 1 and mine[0]["landing_page_url"] == new_default, mine


# --------------------------------------------------------------- reading


def test_list_links(t):
    w = t.world("partner_choice")
    tid = w.task["id"]
    b = add_partner(t, w)
    a_links = [expect(post_link(t, w.pk, tid, {"landing_page_url": LP_URL, "sub_id1": str(i)}), 201)["id"]
               for i in range(3)]
    b_links = [expect(post_link(t, b["api_key"], tid, {"landing_page_url": LP_URL, "sub_id1": str(i)}), 201)["id"]
               for i in range(2)]
    brand_made = expect(post_link(t, w.bk, tid, {"partner_id": b["id"], "landing_page_url": LP_URL,
                                                 "kind": "regular"}), 201)["id"]
    every = sorted(a_links + b_links + [brand_made])
    assert [x["id"] for x in task_links(t, w.bk, tid)] == every
    page = expect(t.get(links_path(tid) + "?limit=2", key=w.bk), 200)
    assert len(page["data"]) == 2 and page["next_cursor"], page
    assert [x["id"] for x in t.list_all(links_path(tid), w.bk, limit=2)] == every
    assert [x["id"] for x in task_links(t, w.bk, tid, "?partner_id=%d" % w.partner["id"])] == a_links
    assert [x["id"] for x in task_links(t, w.bk, tid, "?partner_id=%d" % b["id"])] == sorted(b_links + [brand_made])
    # A partner sees only their own, whatever they ask for.
    for q in ("", "?partner_id=%d" % w.partner["id"], "?partner_id=%d" % b["id"]):
        got = task_links(t, w.pk, tid, q)
        assert all(x["partner_id"] == w.partner["id"] for x in got), (q, got)
        assert not set(x["id"] for x in got) & set(b_links + [brand_made]), (q, got)
    assert [x["id"] for x in task_links(t, w.pk, tid)] == a_links
    assert [x["id"] for x in task_links(t, b["api_key"], tid)] == sorted(b_links + [brand_made])
    # Outsiders see nothing.
    k2 = t.new_brand()["api_key"]
    assert_problem(t.get(links_path(tid), key=k2), 404, "not_found")
    outsider = add_partner(t, w, task=False)
    assert_problem(t.get(links_path(tid), key=outsider["api_key"]), 404, "not_found")


def test_get_link_access(t):
    w = t.world("partner_choice")
    b = add_partner(t, w)
    link = expect(post_link(t, w.pk, w.task["id"], {"landing_page_url": LP_URL}), 201)
    path = A + "/links/%d" % link["id"]
    assert expect(t.get(path, key=w.pk), 200) == link
    assert expect(t.get(path, key=w.bk), 200)["id"] == link["id"]
    assert_problem(t.get(path, key=b["api_key"]), 404, "not_found")
    assert_problem(t.get(path, key=t.new_partner()["api_key"]), 404, "not_found")
    k2 = t.new_brand()["api_key"]
    assert_problem(t.get(path, key=k2), 404, "not_found")
    assert_problem(t.patch(path, {"active": False}, key=k2), 404, "not_found")
    assert_problem(t.get(path + "/qr.svg", key=k2), 404, "not_found")
    assert_problem(t.get(path + "/qr.svg", key=b["api_key"]), 404, "not_found")
    assert expect(t.get(path, key=w.pk), 200)["active"] is True


def test_patch_link(t):
    w = t.world("partner_choice")
    link = expect(post_link(t, w.pk, w.task["id"], {"landing_page_url": LP_URL}), 201)
    path = A + "/links/%d" % link["id"]
    assert_problem(t.patch(path, {"active": False}, key=w.pk), 403, "forbidden")
    assert expect(t.get(path, key=w.pk), 200)["active"] is True
    assert_problem(t.patch(path, {"active": "no"}, key=w.bk), 400, "invalid_type", "active")
    off = expect(t.patch(path, {"active": False}, key=w.bk), 200)
    assert off["active"] is False and off["id"] == link["id"] and off["code"] == link["code"], off
    assert off["url"] == link["url"] and off["landing_page_url"] == link["landing_page_url"], off
    assert expect(t.get(path, key=w.bk), 200)["active"] is False
    assert expect(t.get(path, key=w.pk), 200)["active"] is False
    assert [x["active"] for x in task_links(t, w.bk, w.task["id"])] == [False]
    assert expect(t.patch(path, {"active": False}, key=w.bk), 200)["active"] is False
    on = expect(t.patch(path, {"active": True}, key=w.bk), 200)
    assert on["active"] is True
    assert_problem(t.patch(A + "/links/987654321", {"active": False}, key=w.bk), 404, "not_found")


def test_sub_ids_belong_to_the_partner(t):
    w = t.world("partner_choice")
    subs = {"sub_id1": "one", "sub_id2": "two", "sub_id3": "three", "shared_id": "shared"}
    link = expect(post_link(t, w.pk, w.task["id"], dict(subs, landing_page_url=LP_URL)), 201)
    for f, v in subs.items():
        assert link[f] == v, link
    mine = expect(t.get(A + "/links/%d" % link["id"], key=w.pk), 200)
    for f, v in subs.items():
        assert mine[f] == v, mine
    assert [x["sub_id1"] for x in task_links(t, w.pk, w.task["id"])] == ["one"]
    assert [x["sub_id1"] for x in me_task_links(t, w.pk, w.task["id"])] == ["one"]
    theirs = expect(t.get(A + "/links/%d" % link["id"], key=w.bk), 200)
    listed = task_links(t, w.bk, w.task["id"])
    patched = expect(t.patch(A + "/links/%d" % link["id"], {"active": True}, key=w.bk), 200)
    for seen in (theirs, listed[0], patched):
        assert seen["sub_id1"] is None and seen["sub_id2"] is None and seen["sub_id3"] is None, seen
        assert seen["shared_id"] == "shared", seen
    # The brand's identical request answers the link, still without the sub ids.
    again = expect(post_link(t, w.bk, w.task["id"], dict(subs, partner_id=w.partner["id"],
                                                         landing_page_url=LP_URL)), 200)
    assert again["id"] == link["id"] and again["sub_id1"] is None and again["shared_id"] == "shared", again
    # A brand's own link shows its sub ids to the brand.
    own = expect(post_link(t, w.bk, w.task["id"], {"partner_id": w.partner["id"], "landing_page_url": LP_URL,
                                                   "sub_id1": "b1", "shared_id": "bs"}), 201)
    assert own["sub_id1"] == "b1" and own["shared_id"] == "bs", own
    assert expect(t.get(A + "/links/%d" % own["id"], key=w.bk), 200)["sub_id1"] == "b1"
    assert expect(t.get(A + "/links/%d" % own["id"], key=w.pk), 200)["shared_id"] == "bs"


def test_partners_never_see_each_others_links(t):
    w = t.world("program_default")
    tid = w.task["id"]
    b = add_partner(t, w, task=True)
    a_links = [x["id"] for x in task_links(t, w.pk, tid)]
    b_links = [x["id"] for x in task_links(t, b["api_key"], tid)]
    assert len(a_links) == 1 and len(b_links) == 1 and a_links != b_links  # the automatic ones
    a_links.append(expect(post_link(t, w.pk, tid, {"kind": "regular", "shared_id": "a"}), 201)["id"])
    b_links.append(expect(post_link(t, b["api_key"], tid, {"kind": "regular", "shared_id": "b"}), 201)["id"])
    b_links.append(expect(post_link(t, w.bk, tid, {"partner_id": b["id"], "sub_id1": "x"}), 201)["id"])
    for me, my_links, their_links in ((w.partner, a_links, b_links), (b, b_links, a_links)):
        pk = me["api_key"]
        assert sorted(x["id"] for x in task_links(t, pk, tid)) == sorted(my_links)
        other_id = b["id"] if me is w.partner else w.partner["id"]
        leaked = [x for x in task_links(t, pk, tid, "?partner_id=%d" % other_id) if x["id"] in their_links]
        assert not leaked, leaked
        assert sorted(x["id"] for x in me_task_links(t, pk, tid)) == sorted(my_links)
        for lid in their_links:
            assert_problem(t.get(A + "/links/%d" % lid, key=pk), 404, "not_found")
            assert_problem(t.get(A + "/links/%d/qr.svg" % lid, key=pk), 404, "not_found")
    # The brand sees all of them.
    assert sorted(x["id"] for x in task_links(t, w.bk, tid)) == sorted(a_links + b_links)


# -------------------------------------------------------------------- QR


def test_qr_svg(t):
    w = t.world("partner_choice")
    link = expect(post_link(t, w.bk, w.task["id"], {"partner_id": w.partner["id"], "landing_page_url": LP_URL}),
                  201)
    path = A + "/links/%d/qr.svg" % link["id"]
    for key in (w.bk, w.pk):
        r = t.get(path, key=key)
        assert r.status == 200, r
        assert r.content_type.split(";")[0].strip().lower() == "image/svg+xml", r.content_type
        assert r.body.startswith(b"<?xml"), r.body[:100]
        assert b"<svg" in r.body, r.body[:200]
    r = t.get(path + "?size=512", key=w.bk)
    assert r.status == 200, r
    assert re.search(rb'<svg[^>]*\swidth="512"', r.body), r.body[:300]
    default = t.get(path, key=w.bk).body
    assert default != r.body
    for bad in ("abc", "10", "-5", "512px"):
        assert_problem(t.get(path + "?size=" + bad, key=w.bk), 422, "invalid_value", "size")
    assert_problem(t.get(path), 401, "unauthorized")
    assert_problem(t.get(A + "/links/987654321/qr.svg", key=w.bk), 404, "not_found")
    # A regular link's QR differs from the short one's (it encodes url).
    reg = expect(post_link(t, w.bk, w.task["id"], {"partner_id": w.partner["id"], "landing_page_url": LP_URL,
                                                   "kind": "regular"}), 201)
    r2 = t.get(A + "/links/%d/qr.svg" % reg["id"], key=w.bk)
    assert r2.status == 200 and r2.body != default
