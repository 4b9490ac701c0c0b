"""
test_campaigns.py: API.md "Campaigns": create with defaults, tracking modes
and landing_page_ids, payout validation, GET/PATCH, the filtered list,
campaign memberships, and what a partner may read.
"""

from tl import A, assert_problem, assert_time, expect


def setup(t):
    b = t.new_brand()
    k = b["api_key"]
    p = t.new_program(k)
    return k, p


def create(t, k, program_id, body):
    return t.post(A + "/programs/%d/campaigns" % program_id, body, key=k)


FIXED = {"type": "fixed", "amount": 500}


# ---------------------------------------------------------------- create


def test_create_with_defaults(t):
    k, p = setup(t)
    c = expect(create(t, k, p["id"], {"name": "Winter sale", "payout": FIXED}), 201)
    assert set(c) >= {"id", "program_id", "name", "status", "tracking", "payout", "created_at",
                      "updated_at"}, sorted(c)
    assert isinstance(c["id"], int) and c["id"] > 0
    assert c["program_id"] == p["id"]
    assert c["name"] == "Winter sale"
    assert c["status"] == "draft"
    assert c["tracking"] == {"enabled": True, "landing_page_mode": "program_default",
                             "landing_page_ids": []}, c["tracking"]
    assert c["payout"] == FIXED
    assert_time(c["created_at"])
    assert_time(c["updated_at"])


def test_create_full(t):
    k, p = setup(t)
    body = {"name": "Sale", "status": "active",
            "tracking": {"enabled": False, "landing_page_mode": "partner_choice"},
            "payout": {"type": "percent", "rate_bp": 1000}}
    c = expect(create(t, k, p["id"], body), 201)
    assert c["status"] == "active"
    assert c["tracking"] == {"enabled": False, "landing_page_mode": "partner_choice", "landing_page_ids": []}
    assert c["payout"] == {"type": "percent", "rate_bp": 1000}


def test_every_status_accepted(t):
    k, p = setup(t)
    for s in ("draft", "active", "paused", "ended"):
        assert expect(create(t, k, p["id"], {"name": s, "status": s, "payout": FIXED}), 201)["status"] == s


def test_bad_status(t):
    k, p = setup(t)
    for s in ("Active", "running", ""):
        assert_problem(create(t, k, p["id"], {"name": "x", "status": s, "payout": FIXED}),
                       422, "invalid_value", "status")
    assert_problem(create(t, k, p["id"], {"name": "x", "status": 1, "payout": FIXED}),
                   400, "invalid_type", "status")


def test_name_required(t):
    k, p = setup(t)
    assert_problem(create(t, k, p["id"], {"payout": FIXED}), 422, "missing_field", "name")
    assert_problem(create(t, k, p["id"], {"name": "", "payout": FIXED}), 422, "invalid_value", "name")
    assert_problem(create(t, k, p["id"], {"name": "x" * 201, "payout": FIXED}), 422, "invalid_value", "name")


# ---------------------------------------------------------------- payout


def test_payout_required(t):
    k, p = setup(t)
    assert_problem(create(t, k, p["id"], {"name": "x"}), 422, "missing_field", "payout")
    assert_problem(create(t, k, p["id"], {"name": "x", "payout": 500}), 400, "invalid_type", "payout")


def test_payout_type(t):
    k, p = setup(t)
    assert_problem(create(t, k, p["id"], {"name": "x", "payout": {"type": "cpa", "amount": 1}}),
                   422, "invalid_value", "payout.type")
    assert_problem(create(t, k, p["id"], {"name": "x", "payout": {"amount": 1}}),
                   422, "missing_field", "payout.type")


def test_fixed_amount(t):
    k, p = setup(t)
    pid = p["id"]
    assert_problem(create(t, k, pid, {"name": "x", "payout": {"type": "fixed"}}),
                   422, "missing_field", "payout.amount")
    for bad in (-1, 2 ** 53):
        assert_problem(create(t, k, pid, {"name": "x", "payout": {"type": "fixed", "amount": bad}}),
                       422, "invalid_value", "payout.amount")
    assert_problem(create(t, k, pid, {"name": "x", "payout": {"type": "fixed", "amount": "5"}}),
                   400, "invalid_type", "payout.amount")
    for ok in (0, 2 ** 53 - 1):
        c = expect(create(t, k, pid, {"name": "x", "payout": {"type": "fixed", "amount": ok}}), 201)
        assert c["payout"] == {"type": "fixed", "amount": ok}


def test_percent_rate_bp(t):
    k, p = setup(t)
    pid = p["id"]
    assert_problem(create(t, k, pid, {"name": "x", "payout": {"type": "percent"}}),
                   422, "missing_field", "payout.rate_bp")
    for bad in (-1, 10001, 1000000):
        assert_problem(create(t, k, pid, {"name": "x", "payout": {"type": "percent", "rate_bp": bad}}),
                       422, "invalid_value", "payout.rate_bp")
    for ok in (0, 1, 10000):
        c = expect(create(t, k, pid, {"name": "x", "payout": {"type": "percent", "rate_bp": ok}}), 201)
        assert c["payout"] == {"type": "percent", "rate_bp": ok}


# -------------------------------------------------------------- tracking


def test_tracking_mode_rules(t):
    k, p = setup(t)
    pid = p["id"]

    def tr(tracking):
        return create(t, k, pid, {"name": "x", "payout": FIXED, "tracking": tracking})

    assert_problem(tr({"landing_page_mode": "any"}), 422, "invalid_value", "tracking.landing_page_mode")
    assert_problem(tr({"landing_page_mode": "brand_selected"}), 422, "missing_field", "tracking.landing_page_ids")
    r = tr({"landing_page_mode": "brand_selected", "landing_page_ids": []})
    assert r.status == 422 and r.json.get("field") == "tracking.landing_page_ids", r
    assert r.json["code"] in ("missing_field", "invalid_value"), r
    lp = t.new_landing_page(k, pid)
    assert_problem(tr({"landing_page_mode": "partner_choice", "landing_page_ids": [lp["id"]]}),
                   422, "invalid_value", "tracking.landing_page_ids")
    assert_problem(tr({"landing_page_mode": "program_default", "landing_page_ids": [lp["id"]]}),
                   422, "invalid_value", "tracking.landing_page_ids")
    assert_problem(tr({"landing_page_ids": [lp["id"]]}), 422, "invalid_value", "tracking.landing_page_ids")
    expect(tr({"landing_page_mode": "partner_choice", "landing_page_ids": []}), 201)
    assert_problem(tr({"enabled": "yes"}), 400, "invalid_type", "tracking.enabled")
    assert_problem(tr("on"), 400, "invalid_type", "tracking")


def test_brand_selected_pages_must_belong_to_program(t):
    k, p = setup(t)
    other = t.new_program(k)
    mine = t.new_landing_page(k, p["id"])
    theirs = t.new_landing_page(k, other["id"])
    body = {"name": "x", "payout": FIXED,
            "tracking": {"landing_page_mode": "brand_selected", "landing_page_ids": [mine["id"], theirs["id"]]}}
    assert_problem(create(t, k, p["id"], body), 422, "invalid_value", "tracking.landing_page_ids")
    body["tracking"]["landing_page_ids"] = [987654321]
    assert_problem(create(t, k, p["id"], body), 422, "invalid_value", "tracking.landing_page_ids")
    second = t.new_landing_page(k, p["id"])
    body["tracking"]["landing_page_ids"] = [second["id"], mine["id"]]
    c = expect(create(t, k, p["id"], body), 201)
    assert c["tracking"]["landing_page_mode"] == "brand_selected"
    assert sorted(c["tracking"]["landing_page_ids"]) == sorted([mine["id"], second["id"]])


def test_landing_page_of_another_brand_refused(t):
    k, p = setup(t)
    k2, p2 = setup(t)
    theirs = t.new_landing_page(k2, p2["id"])
    body = {"name": "x", "payout": FIXED,
            "tracking": {"landing_page_mode": "brand_selected", "landing_page_ids": [theirs["id"]]}}
    assert_problem(create(t, k, p["id"], body), 422, "invalid_value", "tracking.landing_page_ids")


# ------------------------------------------------------------- get/tenancy


def test_get(t):
    k, p = setup(t)
    c = t.new_campaign(k, p["id"])
    assert expect(t.get(A + "/campaigns/%d" % c["id"], key=k), 200) == c


def test_other_brand_gets_404(t):
    k, p = setup(t)
    k2, _ = setup(t)
    c = t.new_campaign(k, p["id"])
    i = c["id"]
    assert_problem(t.get(A + "/campaigns/%d" % i, key=k2), 404, "not_found")
    assert_problem(t.patch(A + "/campaigns/%d" % i, {"name": "x"}, key=k2), 404, "not_found")
    assert_problem(t.post(A + "/campaigns/%d/partners" % i, {"partner_id": 1}, key=k2), 404, "not_found")
    assert_problem(t.get(A + "/campaigns/%d/partners" % i, key=k2), 404, "not_found")
    assert_problem(t.post(A + "/campaigns/%d/tasks" % i, {"title": "x"}, key=k2), 404, "not_found")
    assert_problem(t.get(A + "/campaigns/%d/tasks" % i, key=k2), 404, "not_found")
    assert_problem(t.post(A + "/programs/%d/campaigns" % p["id"], {"name": "x", "payout": FIXED}, key=k2),
                   404, "not_found")
    assert_problem(t.request("PATCH", A + "/campaigns/%d" % i, key=k2, raw_body="{{{"), 404, "not_found")
    assert expect(t.get(A + "/campaigns", key=k2), 200)["data"] == []


def test_partner_cannot_write(t):
    k, p = setup(t)
    c = t.new_campaign(k, p["id"])
    partner = t.new_partner()
    t.join_program(k, p["id"], partner["id"])
    t.join_campaign(k, c["id"], partner["id"])
    pk = partner["api_key"]
    assert_problem(t.post(A + "/programs/%d/campaigns" % p["id"], {"name": "x", "payout": FIXED}, key=pk),
                   403, "forbidden")
    assert_problem(t.patch(A + "/campaigns/%d" % c["id"], {"name": "x"}, key=pk), 403, "forbidden")
    assert_problem(t.post(A + "/campaigns/%d/partners" % c["id"], {"partner_id": partner["id"]}, key=pk),
                   403, "forbidden")
    assert_problem(t.patch(A + "/campaigns/%d" % c["id"], {"name": "x"}, key=t.admin_key), 403, "forbidden")
    assert_problem(t.get(A + "/campaigns/%d/partners" % c["id"], key=pk), 403, "forbidden")


def test_partner_reads_only_their_campaigns(t):
    k, p = setup(t)
    mine = t.new_campaign(k, p["id"])
    other = t.new_campaign(k, p["id"])
    partner = t.new_partner()
    pk = partner["api_key"]
    t.join_program(k, p["id"], partner["id"])
    # In the program but not yet in the campaign: not visible.
    assert_problem(t.get(A + "/campaigns/%d" % mine["id"], key=pk), 404, "not_found")
    t.join_campaign(k, mine["id"], partner["id"])
    got = expect(t.get(A + "/campaigns/%d" % mine["id"], key=pk), 200)
    assert got["id"] == mine["id"] and got["name"] == mine["name"]
    assert_problem(t.get(A + "/campaigns/%d" % other["id"], key=pk), 404, "not_found")
    lst = expect(t.get(A + "/campaigns", key=pk), 200)
    assert [c["id"] for c in lst["data"]] == [mine["id"]], lst
    stranger = t.new_partner()["api_key"]
    assert_problem(t.get(A + "/campaigns/%d" % mine["id"], key=stranger), 404, "not_found")
    assert expect(t.get(A + "/campaigns", key=stranger), 200)["data"] == []


# ----------------------------------------------------------------- PATCH


def test_patch_name_and_status(t):
    k, p = setup(t)
    c = t.new_campaign(k, p["id"], status="draft")
    path = A + "/campaigns/%d" % c["id"]
    d = expect(t.patch(path, {"name": "Renamed", "status": "active"}, key=k), 200)
    assert d["name"] == "Renamed" and d["status"] == "active"
    assert d["payout"] == c["payout"] and d["tracking"] == c["tracking"]
    assert d["created_at"] == c["created_at"] and d["updated_at"] >= c["updated_at"]
    assert expect(t.get(path, key=k), 200) == d
    for s in ("paused", "ended", "active", "draft"):
        assert expect(t.patch(path, {"status": s}, key=k), 200)["status"] == s


def test_patch_tracking_is_merged(t):
    k, p = setup(t)
    c = t.new_campaign(k, p["id"], tracking={"landing_page_mode": "partner_choice"})
    path = A + "/campaigns/%d" % c["id"]
    d = expect(t.patch(path, {"tracking": {"enabled": False}}, key=k), 200)
    assert d["tracking"] == {"enabled": False, "landing_page_mode": "partner_choice", "landing_page_ids": []}
    lp = t.new_landing_page(k, p["id"])
    d = expect(t.patch(path, {"tracking": {"landing_page_mode": "brand_selected",
                                           "landing_page_ids": [lp["id"]]}}, key=k), 200)
    assert d["tracking"] == {"enabled": False, "landing_page_mode": "brand_selected",
                             "landing_page_ids": [lp["id"]]}


def test_patch_payout_replaced_whole(t):
    k, p = setup(t)
    c = t.new_campaign(k, p["id"])
    path = A + "/campaigns/%d" % c["id"]
    d = expect(t.patch(path, {"payout": {"type": "percent", "rate_bp": 250}}, key=k), 200)
    assert d["payout"] == {"type": "percent", "rate_bp": 250}
    # The old amount does not survive a replacement.
    assert_problem(t.patch(path, {"payout": {"type": "fixed"}}, key=k), 422, "missing_field", "payout.amount")
    assert_problem(t.patch(path, {"payout": {"type": "percent", "rate_bp": 10001}}, key=k),
                   422, "invalid_value", "payout.rate_bp")


def test_patch_revalidates(t):
    k, p = setup(t)
    c = t.new_campaign(k, p["id"])
    path = A + "/campaigns/%d" % c["id"]
    assert_problem(t.patch(path, {"tracking": {"landing_page_mode": "brand_selected"}}, key=k),
                   422, "missing_field", "tracking.landing_page_ids")
    assert_problem(t.patch(path, {"status": "live"}, key=k), 422, "invalid_value", "status")
    assert_problem(t.patch(path, {"name": ""}, key=k), 422, "invalid_value", "name")
    assert_problem(t.patch(path, {"tracking": {"landing_page_mode": "nope"}}, key=k),
                   422, "invalid_value", "tracking.landing_page_mode")
    assert_problem(t.patch(path, {"payout": 3}, key=k), 400, "invalid_type", "payout")
    assert expect(t.get(path, key=k), 200) == c


def test_patch_brand_selected_then_switch_mode_requires_dropping_ids(t):
    k, p = setup(t)
    lp = t.new_landing_page(k, p["id"])
    c = t.new_campaign(k, p["id"], tracking={"landing_page_mode": "brand_selected",
                                             "landing_page_ids": [lp["id"]]})
    path = A + "/campaigns/%d" % c["id"]
    # Switching to partner_choice while sending the ids again is refused.
    assert_problem(t.patch(path, {"tracking": {"landing_page_mode": "partner_choice",
                                               "landing_page_ids": [lp["id"]]}}, key=k),
                   422, "invalid_value", "tracking.landing_page_ids")
    d = expect(t.patch(path, {"tracking": {"landing_page_mode": "partner_choice", "landing_page_ids": []}},
                       key=k), 200)
    assert d["tracking"]["landing_page_mode"] == "partner_choice"
    assert d["tracking"]["landing_page_ids"] == []


# ------------------------------------------------------------------ list


def test_list_filters(t):
    k, p1 = setup(t)
    p2 = t.new_program(k)
    a1 = t.new_campaign(k, p1["id"], status="active")
    d1 = t.new_campaign(k, p1["id"], status="draft")
    a2 = t.new_campaign(k, p2["id"], status="active")
    e2 = t.new_campaign(k, p2["id"], status="ended")

    def ids(q):
        return [c["id"] for c in t.list_all(A + "/campaigns" + q, k)]

    assert ids("") == [a1["id"], d1["id"], a2["id"], e2["id"]]
    assert ids("?status=active") == [a1["id"], a2["id"]]
    assert ids("?status=active&program_id=%d" % p1["id"]) == [a1["id"]]
    assert ids("?program_id=%d" % p2["id"]) == [a2["id"], e2["id"]]
    assert ids("?status=paused") == []
    assert ids("?status=ended&program_id=%d" % p1["id"]) == []


def test_list_filter_errors(t):
    k, p = setup(t)
    assert_problem(t.get(A + "/campaigns?status=live", key=k), 422, "invalid_value", "status")
    for bad in ("abc", "0", "-3", "1.5"):
        assert_problem(t.get(A + "/campaigns?program_id=" + bad, key=k), 422, "invalid_value", "program_id")


def test_list_other_brands_program_is_empty(t):
    k, p = setup(t)
    t.new_campaign(k, p["id"])
    k2, _ = setup(t)
    assert expect(t.get(A + "/campaigns?program_id=%d" % p["id"], key=k2), 200) == {"data": [],
                                                                                   "next_cursor": None}


def test_list_pagination(t):
    k, p = setup(t)
    made = [t.new_campaign(k, p["id"], status="active")["id"] for _ in range(5)]
    got = [c["id"] for c in t.list_all(A + "/campaigns?status=active&program_id=%d" % p["id"], k, limit=2)]
    assert got == made


# ----------------------------------------------------------- memberships


def test_campaign_membership(t):
    k, p = setup(t)
    c = t.new_campaign(k, p["id"])
    partner = t.new_partner()
    path = A + "/campaigns/%d/partners" % c["id"]
    assert_problem(t.post(path, {"partner_id": partner["id"]}, key=k), 422, "partner_not_in_program", "partner_id")
    t.join_program(k, p["id"], partner["id"])
    m = expect(t.post(path, {"partner_id": partner["id"]}, key=k), 201)
    assert set(m) >= {"campaign_id", "partner_id", "name", "email", "joined_at"}, m
    assert m["campaign_id"] == c["id"] and m["partner_id"] == partner["id"]
    assert m["name"] == partner["name"] and m["email"] == partner["email"]
    assert_time(m["joined_at"])
    expect(t.post(path, {"partner_id": partner["id"]}, key=k), 200)
    lst = expect(t.get(path, key=k), 200)
    assert [x["partner_id"] for x in lst["data"]] == [partner["id"]]
    assert lst["next_cursor"] is None


def test_campaign_membership_errors(t):
    k, p = setup(t)
    c = t.new_campaign(k, p["id"])
    path = A + "/campaigns/%d/partners" % c["id"]
    assert_problem(t.post(path, {}, key=k), 422, "missing_field", "partner_id")
    assert_problem(t.post(path, {"partner_id": "x"}, key=k), 400, "invalid_type", "partner_id")
    assert_problem(t.post(path, {"partner_id": -5}, key=k), 422, "invalid_value", "partner_id")


def test_membership_in_other_program_does_not_count(t):
    k, p = setup(t)
    other = t.new_program(k)
    c = t.new_campaign(k, p["id"])
    partner = t.new_partner()
    t.join_program(k, other["id"], partner["id"])
    assert_problem(t.post(A + "/campaigns/%d/partners" % c["id"], {"partner_id": partner["id"]}, key=k),
                   422, "partner_not_in_program", "partner_id")
