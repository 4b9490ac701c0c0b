"""
test_tasks.py: API.md "Tasks": create/get/list/patch, task memberships,
what a partner sees, and GET /me/tasks.
"""

from tl import A, assert_problem, assert_time, expect


def setup(t, members=0):
    """A brand with a program and an active campaign, and `members`
    partners who are in both. Returns (brand key, program, campaign, partners)."""
    k = t.new_brand()["api_key"]
    p = t.new_program(k)
    c = t.new_campaign(k, p["id"])
    partners = []
    for _ in range(members):
        x = t.new_partner()
        t.join_program(k, p["id"], x["id"])
        t.join_campaign(k, c["id"], x["id"])
        partners.append(x)
    return k, p, c, partners


def create(t, k, cid, body):
    return t.post(A + "/campaigns/%d/tasks" % cid, body, key=k)


# ---------------------------------------------------------------- create


def test_create_minimal(t):
    k, p, c, _ = setup(t)
    task = expect(create(t, k, c["id"], {"title": "Post a reel"}), 201)
    assert set(task) >= {"id", "campaign_id", "program_id", "title", "description", "due_at", "partner_ids",
                         "created_at", "updated_at"}, sorted(task)
    assert isinstance(task["id"], int) and task["id"] > 0
    assert task["campaign_id"] == c["id"] and task["program_id"] == p["id"]
    assert task["title"] == "Post a reel"
    assert task["description"] is None and task["due_at"] is None
    assert task["partner_ids"] == []
    assert_time(task["created_at"])
    assert_time(task["updated_at"])


def test_create_full(t):
    k, p, c, (a, b) = setup(t, 2)
    body = {"title": "Story", "description": "Two stories\nwith the code", "due_at": "2026-12-01T10:00:00Z",
            "partner_ids": [b["id"], a["id"]]}
    task = expect(create(t, k, c["id"], body), 201)
    assert task["description"] == body["description"]
    assert task["due_at"] == "2026-12-01T10:00:00Z"
    assert sorted(task["partner_ids"]) == sorted([a["id"], b["id"]])
    assert expect(t.get(A + "/tasks/%d" % task["id"], key=k), 200) == task


def test_due_at_with_offset_is_stored_in_utc(t):
    k, p, c, _ = setup(t)
    task = expect(create(t, k, c["id"], {"title": "x", "due_at": "2026-12-01T19:00:00+09:00"}), 201)
    assert task["due_at"] == "2026-12-01T10:00:00Z", task["due_at"]


def test_create_validation(t):
    k, p, c, _ = setup(t)
    cid = c["id"]
    assert_problem(create(t, k, cid, {}), 422, "missing_field", "title")
    assert_problem(create(t, k, cid, {"title": ""}), 422, "invalid_value", "title")
    assert_problem(create(t, k, cid, {"title": "t" * 201}), 422, "invalid_value", "title")
    assert_problem(create(t, k, cid, {"title": 5}), 400, "invalid_type", "title")
    assert_problem(create(t, k, cid, {"title": "x", "description": "d" * 10001}), 422, "invalid_value",
                   "description")
    assert_problem(create(t, k, cid, {"title": "x", "description": 1}), 400, "invalid_type", "description")
    for bad in ("tomorrow", "2026-13-01T00:00:00Z", "2026-12-01T25:00:00Z", "12/01/2026"):
        assert_problem(create(t, k, cid, {"title": "x", "due_at": bad}), 422, "invalid_value", "due_at")
    assert_problem(create(t, k, cid, {"title": "x", "due_at": 1700000000}), 400, "invalid_type", "due_at")
    assert_problem(create(t, k, cid, {"title": "x", "partner_ids": "1"}), 400, "invalid_type", "partner_ids")
    assert_problem(create(t, k, cid, {"title": "x", "partner_ids": ["1"]}), 400, "invalid_type", "partner_ids")
    t200 = expect(create(t, k, cid, {"title": "t" * 200, "description": "d" * 10000}), 201)
    assert len(t200["description"]) == 10000


def test_partner_ids_must_be_in_campaign(t):
    k, p, c, (a,) = setup(t, 1)
    outsider = t.new_partner()
    assert_problem(create(t, k, c["id"], {"title": "x", "partner_ids": [a["id"], outsider["id"]]}),
                   422, "partner_not_in_campaign", "partner_ids")
    # In the program but not in the campaign is not enough.
    t.join_program(k, p["id"], outsider["id"])
    assert_problem(create(t, k, c["id"], {"title": "x", "partner_ids": [outsider["id"]]}),
                   422, "partner_not_in_campaign", "partner_ids")
    assert_problem(create(t, k, c["id"], {"title": "x", "partner_ids": [987654321]}),
                   422, "partner_not_in_campaign", "partner_ids")


def test_brand_only_writes(t):
    k, p, c, (a,) = setup(t, 1)
    task = t.new_task(k, c["id"], partner_ids=[a["id"]])
    pk = a["api_key"]
    assert_problem(create(t, pk, c["id"], {"title": "x"}), 403, "forbidden")
    assert_problem(t.patch(A + "/tasks/%d" % task["id"], {"title": "x"}, key=pk), 403, "forbidden")
    assert_problem(t.post(A + "/tasks/%d/partners" % task["id"], {"partner_id": a["id"]}, key=pk),
                   403, "forbidden")
    assert_problem(create(t, t.admin_key, c["id"], {"title": "x"}), 403, "forbidden")
    assert_problem(t.get(A + "/tasks/%d/partners" % task["id"], key=pk), 403, "forbidden")


def test_other_brand_gets_404(t):
    k, p, c, (a,) = setup(t, 1)
    task = t.new_task(k, c["id"])
    k2 = t.new_brand()["api_key"]
    i = task["id"]
    assert_problem(t.get(A + "/tasks/%d" % i, key=k2), 404, "not_found")
    assert_problem(t.patch(A + "/tasks/%d" % i, {"title": "x"}, key=k2), 404, "not_found")
    assert_problem(t.post(A + "/tasks/%d/partners" % i, {"partner_id": a["id"]}, key=k2), 404, "not_found")
    assert_problem(t.get(A + "/tasks/%d/partners" % i, key=k2), 404, "not_found")
    assert_problem(t.request("PATCH", A + "/tasks/%d" % i, key=k2, raw_body="nope"), 404, "not_found")
    assert_problem(create(t, k2, c["id"], {"title": "x"}), 404, "not_found")


# ------------------------------------------------------------ get / list


def test_list_campaign_tasks(t):
    k, p, c, _ = setup(t)
    made = [t.new_task(k, c["id"])["id"] for _ in range(4)]
    other = t.new_campaign(k, p["id"])
    t.new_task(k, other["id"])
    got = [x["id"] for x in t.list_all(A + "/campaigns/%d/tasks" % c["id"], k, limit=3)]
    assert got == made
    first = expect(t.get(A + "/campaigns/%d/tasks?limit=2" % c["id"], key=k), 200)
    assert len(first["data"]) == 2 and first["next_cursor"]


def test_partner_sees_only_assigned_tasks(t):
    k, p, c, (a, b) = setup(t, 2)
    ta = t.new_task(k, c["id"], partner_ids=[a["id"]])
    tb = t.new_task(k, c["id"], partner_ids=[b["id"]])
    tab = t.new_task(k, c["id"], partner_ids=[a["id"], b["id"]])
    pa = a["api_key"]
    got = expect(t.get(A + "/tasks/%d" % ta["id"], key=pa), 200)
    assert got["id"] == ta["id"] and got["title"] == ta["title"]
    assert_problem(t.get(A + "/tasks/%d" % tb["id"], key=pa), 404, "not_found")
    ids = [x["id"] for x in t.list_all(A + "/campaigns/%d/tasks" % c["id"], pa)]
    assert ids == [ta["id"], tab["id"]], ids
    stranger = t.new_partner()["api_key"]
    assert_problem(t.get(A + "/tasks/%d" % ta["id"], key=stranger), 404, "not_found")
    assert_problem(t.get(A + "/campaigns/%d/tasks" % c["id"], key=stranger), 404, "not_found")


# ----------------------------------------------------------------- PATCH


def test_patch(t):
    k, p, c, _ = setup(t)
    task = t.new_task(k, c["id"], description="old")
    path = A + "/tasks/%d" % task["id"]
    d = expect(t.patch(path, {"title": "New title"}, key=k), 200)
    assert d["title"] == "New title" and d["description"] == "old" and d["due_at"] is None
    d = expect(t.patch(path, {"description": "new", "due_at": "2027-01-02T03:04:05Z"}, key=k), 200)
    assert d["title"] == "New title" and d["description"] == "new" and d["due_at"] == "2027-01-02T03:04:05Z"
    assert d["created_at"] == task["created_at"] and d["updated_at"] >= task["updated_at"]
    assert expect(t.get(path, key=k), 200) == d


def test_patch_validates(t):
    k, p, c, _ = setup(t)
    task = t.new_task(k, c["id"])
    path = A + "/tasks/%d" % task["id"]
    assert_problem(t.patch(path, {"title": ""}, key=k), 422, "invalid_value", "title")
    assert_problem(t.patch(path, {"title": "x" * 201}, key=k), 422, "invalid_value", "title")
    assert_problem(t.patch(path, {"due_at": "soon"}, key=k), 422, "invalid_value", "due_at")
    assert_problem(t.patch(path, {"description": "d" * 10001}, key=k), 422, "invalid_value", "description")
    assert_problem(t.patch(path, {"title": []}, key=k), 400, "invalid_type", "title")
    assert expect(t.get(path, key=k), 200) == task


# ----------------------------------------------------------- memberships


def test_task_membership(t):
    k, p, c, (a,) = setup(t, 1)
    task = t.new_task(k, c["id"])
    path = A + "/tasks/%d/partners" % task["id"]
    m = expect(t.post(path, {"partner_id": a["id"]}, key=k), 201)
    assert set(m) >= {"task_id", "partner_id", "name", "email", "joined_at"}, m
    assert m["task_id"] == task["id"] and m["partner_id"] == a["id"]
    assert m["name"] == a["name"] and m["email"] == a["email"]
    assert_time(m["joined_at"])
    expect(t.post(path, {"partner_id": a["id"]}, key=k), 200)
    lst = expect(t.get(path, key=k), 200)
    assert [x["partner_id"] for x in lst["data"]] == [a["id"]]
    assert expect(t.get(A + "/tasks/%d" % task["id"], key=k), 200)["partner_ids"] == [a["id"]]


def test_task_membership_needs_campaign(t):
    k, p, c, _ = setup(t)
    task = t.new_task(k, c["id"])
    x = t.new_partner()
    path = A + "/tasks/%d/partners" % task["id"]
    assert_problem(t.post(path, {"partner_id": x["id"]}, key=k), 422, "partner_not_in_campaign", "partner_id")
    t.join_program(k, p["id"], x["id"])
    assert_problem(t.post(path, {"partner_id": x["id"]}, key=k), 422, "partner_not_in_campaign", "partner_id")
    t.join_campaign(k, c["id"], x["id"])
    expect(t.post(path, {"partner_id": x["id"]}, key=k), 201)
    assert_problem(t.post(path, {}, key=k), 422, "missing_field", "partner_id")
    assert_problem(t.post(path, {"partner_id": True}, key=k), 400, "invalid_type", "partner_id")


def test_assigned_at_create_then_repeat_is_200(t):
    k, p, c, (a,) = setup(t, 1)
    task = t.new_task(k, c["id"], partner_ids=[a["id"]])
    expect(t.post(A + "/tasks/%d/partners" % task["id"], {"partner_id": a["id"]}, key=k), 200)


# -------------------------------------------------------------- /me/tasks


def test_me_tasks(t):
    k, p, c, (a, b) = setup(t, 2)
    ta = t.new_task(k, c["id"], partner_ids=[a["id"]])
    t.new_task(k, c["id"], partner_ids=[b["id"]])
    t.new_task(k, c["id"])
    lst = expect(t.get(A + "/me/tasks", key=a["api_key"]), 200)
    assert lst["next_cursor"] is None
    assert [x["id"] for x in lst["data"]] == [ta["id"]], lst
    item = lst["data"][0]
    assert item["title"] == ta["title"] and item["campaign_id"] == c["id"] and item["program_id"] == p["id"]
    camp = item["campaign"]
    assert set(camp) >= {"id", "name", "status", "tracking", "payout"}, camp
    assert camp["id"] == c["id"] and camp["name"] == c["name"] and camp["status"] == c["status"]
    assert camp["tracking"]["landing_page_mode"] == c["tracking"]["landing_page_mode"]
    assert camp["payout"] == c["payout"]
    assert item["program"]["id"] == p["id"] and item["program"]["name"] == p["name"]
    assert isinstance(item["links"], list)


def test_me_tasks_across_brands_and_pages(t):
    partner = t.new_partner()
    mine = []
    for _ in range(2):
        k = t.new_brand()["api_key"]
        p = t.new_program(k)
        c = t.new_campaign(k, p["id"])
        t.join_program(k, p["id"], partner["id"])
        t.join_campaign(k, c["id"], partner["id"])
        for _ in range(2):
            mine.append(t.new_task(k, c["id"], partner_ids=[partner["id"]])["id"])
    got = [x["id"] for x in t.list_all(A + "/me/tasks", partner["api_key"], limit=3)]
    assert got == sorted(mine), (got, mine)


def test_me_tasks_carry_what_a_partner_needs_to_make_a_link(t):
    """The program's default landing page and permitted domains (never its postback key), and in
    brand_selected mode the campaign's own pages (not the program's other pages): a partner may
    list neither the program nor its landing pages."""
    k, p, c, (a,) = setup(t, 1)
    winter = t.new_landing_page(k, p["id"], url="https://www.acme.test/winter", name="Winter")
    t.new_landing_page(k, p["id"], url="https://www.acme.test/other", name="Other")
    spring = t.new_landing_page(k, p["id"], url="https://www.acme.test/spring", name="Spring")
    sel = t.new_campaign(k, p["id"], tracking={"landing_page_mode": "brand_selected",
                                                "landing_page_ids": [spring["id"], winter["id"]]})
    t.join_campaign(k, sel["id"], a["id"])
    t1 = t.new_task(k, c["id"], partner_ids=[a["id"]])
    t2 = t.new_task(k, sel["id"], partner_ids=[a["id"]])
    items = {x["id"]: x for x in t.list_all(A + "/me/tasks", a["api_key"])}
    for task in (t1, t2):
        prog = items[task["id"]]["program"]
        assert prog == {"id": p["id"], "name": p["name"], "default_landing_page": p["default_landing_page"],
                        "permitted_domains": p["permitted_domains"]}, prog
    assert items[t1["id"]]["campaign"]["landing_pages"] == []
    pages = items[t2["id"]]["campaign"]["landing_pages"]
    assert sorted(pages, key=lambda x: x["id"]) == [
        {"id": winter["id"], "name": "Winter", "url": "https://www.acme.test/winter"},
        {"id": spring["id"], "name": "Spring", "url": "https://www.acme.test/spring"}], pages
    assert_problem(t.get(A + "/programs/%d/landing-pages" % p["id"], key=a["api_key"]), 403, "forbidden")


def test_me_tasks_partner_only(t):
    k = t.new_brand()["api_key"]
    assert_problem(t.get(A + "/me/tasks", key=k), 403, "forbidden")
    assert_problem(t.get(A + "/me/tasks", key=t.admin_key), 403, "forbidden")
    assert_problem(t.get(A + "/me/tasks"), 401, "unauthorized")


def test_me_tasks_sees_campaign_changes(t):
    k, p, c, (a,) = setup(t, 1)
    t.new_task(k, c["id"], partner_ids=[a["id"]])
    expect(t.patch(A + "/campaigns/%d" % c["id"], {"status": "paused", "name": "Paused now"}, key=k), 200)
    item = expect(t.get(A + "/me/tasks", key=a["api_key"]), 200)["data"][0]
    assert item["campaign"]["status"] == "paused" and item["campaign"]["name"] == "Paused now"
