"""
test_programs.py: API.md "Programs": create/get/list/patch, the landing-page
gate (permitted domains, normalisation, IDN, wildcards), postback-key
rotation, landing pages and program memberships.
"""

from tl import A, assert_problem, assert_time, expect, uniq


def bk(t):
    return t.new_brand()["api_key"]


def create(t, k, **over):
    return t.post(A + "/programs", t.program_body(**over), key=k)


# ---------------------------------------------------------------- create


def test_create_with_defaults(t):
    k = bk(t)
    body = t.program_body()
    p = expect(t.post(A + "/programs", body, key=k), 201)
    keys = {"id", "name", "default_landing_page", "permitted_domains", "click_id_param",
            "referral_window_days", "currency", "postback_key", "created_at", "updated_at"}
    assert set(p) >= keys, sorted(p)
    assert p["name"] == body["name"]
    assert p["default_landing_page"] == "https://shop.acme.test/landing"
    assert p["permitted_domains"] == ["acme.test", "*.acme.test"]
    assert p["click_id_param"] == "clickid"
    assert p["referral_window_days"] == 30
    assert p["currency"] == "USD"
    assert isinstance(p["postback_key"], str) and len(p["postback_key"]) >= 16
    assert_time(p["created_at"])
    assert_time(p["updated_at"])


def test_create_with_every_field(t):
    k = bk(t)
    p = expect(create(t, k, click_id_param="tl_click-ID9", referral_window_days=90, currency="EUR"), 201)
    assert p["click_id_param"] == "tl_click-ID9"
    assert p["referral_window_days"] == 90
    assert p["currency"] == "EUR"


def test_get_and_list(t):
    k = bk(t)
    p = t.new_program(k)
    got = expect(t.get(A + "/programs/%d" % p["id"], key=k), 200)
    assert got == p
    lst = expect(t.get(A + "/programs", key=k), 200)
    assert lst["data"] == [p]


def test_postback_keys_differ(t):
    k = bk(t)
    assert t.new_program(k)["postback_key"] != t.new_program(k)["postback_key"]


def test_required_fields(t):
    k = bk(t)
    for f in ("name", "default_landing_page", "permitted_domains"):
        body = t.program_body()
        del body[f]
        assert_problem(t.post(A + "/programs", body, key=k), 422, "missing_field", f)


def test_name_limits(t):
    k = bk(t)
    assert_problem(create(t, k, name=""), 422, "invalid_value", "name")
    assert_problem(create(t, k, name="n" * 201), 422, "invalid_value", "name")
    expect(create(t, k, name="n" * 200), 201)


def test_permitted_domains_rules(t):
    k = bk(t)
    for bad in ([], ["https://acme.test"], ["acme.test/path"], ["acme.test:8080"], [""],
                ["acme .test"], ["*"], ["*.*.acme.test"], ["user@acme.test"]):
        r = create(t, k, permitted_domains=bad, default_landing_page="https://acme.test/")
        assert_problem(r, 422, "invalid_value", "permitted_domains")
    many = ["d%d.acme.test" % i for i in range(101)]
    r = create(t, k, permitted_domains=many, default_landing_page="https://d1.acme.test/")
    assert_problem(r, 422, "invalid_value", "permitted_domains")
    ok = ["d%d.acme.test" % i for i in range(100)]
    expect(create(t, k, permitted_domains=ok, default_landing_page="https://d1.acme.test/"), 201)


def test_permitted_domains_types(t):
    k = bk(t)
    assert_problem(create(t, k, permitted_domains="acme.test"), 400, "invalid_type", "permitted_domains")
    assert_problem(create(t, k, permitted_domains=[5]), 400, "invalid_type", "permitted_domains")


def test_domains_normalised(t):
    k = bk(t)
    p = expect(create(t, k, permitted_domains=["ACME.Test", "*.Shop.ACME.test", "bücher.test"],
                      default_landing_page="https://acme.test/"), 201)
    assert p["permitted_domains"] == ["acme.test", "*.shop.acme.test", "xn--bcher-kva.test"], p


# ------------------------------------------------------ landing-page gate


def test_landing_page_not_permitted(t):
    k = bk(t)
    for url in ("https://evil.test/", "https://evilacme.test/", "https://acme.test.evil.test/",
                "https://acme.tes/"):
        r = create(t, k, default_landing_page=url)
        assert_problem(r, 422, "landing_page_not_permitted", "default_landing_page")


def test_landing_page_invalid(t):
    k = bk(t)
    for url in ("javascript:alert(1)", "ftp://acme.test/x", "/relative/path", "acme.test/x",
                "https://user:pw@acme.test/", "https://user@acme.test/", "https://acme.test/a\x01b",
                "https://acme.test/a\nb", "https://acme.test/" + "a" * 2100, "data:text/html,hi",
                "https://"):
        r = create(t, k, default_landing_page=url)
        assert_problem(r, 422, "landing_page_invalid", "default_landing_page")


def test_landing_page_2048_is_fine(t):
    k = bk(t)
    url = "https://acme.test/"
    url += "a" * (2048 - len(url))
    p = expect(create(t, k, default_landing_page=url), 201)
    assert p["default_landing_page"] == url


def test_wildcard_does_not_match_apex(t):
    k = bk(t)
    r = create(t, k, permitted_domains=["*.acme.test"], default_landing_page="https://acme.test/")
    assert_problem(r, 422, "landing_page_not_permitted", "default_landing_page")
    expect(create(t, k, permitted_domains=["*.acme.test"], default_landing_page="https://www.acme.test/"), 201)


def test_exact_domain_does_not_match_subdomain(t):
    k = bk(t)
    r = create(t, k, permitted_domains=["acme.test"], default_landing_page="https://www.acme.test/")
    assert_problem(r, 422, "landing_page_not_permitted", "default_landing_page")


def test_uppercase_scheme_and_host_normalised(t):
    k = bk(t)
    p = expect(create(t, k, default_landing_page="HTTPS://SHOP.ACME.TEST/Path/Page?Q=Yes#Frag"), 201)
    assert p["default_landing_page"] == "https://shop.acme.test/Path/Page?Q=Yes#Frag", p["default_landing_page"]


def test_http_allowed(t):
    k = bk(t)
    p = expect(create(t, k, default_landing_page="http://acme.test/x"), 201)
    assert p["default_landing_page"] == "http://acme.test/x"


def test_idn_host_becomes_punycode(t):
    k = bk(t)
    p = expect(create(t, k, permitted_domains=["bücher.test"], default_landing_page="https://bücher.test/buch"),
               201)
    assert p["default_landing_page"] == "https://xn--bcher-kva.test/buch", p
    # The punycode spelling is the same domain.
    expect(create(t, k, permitted_domains=["xn--bcher-kva.test"], default_landing_page="https://bücher.test/"),
           201)


# ------------------------------------------------------- other fields


def test_click_id_param_rules(t):
    k = bk(t)
    for bad in ("", "has space", "a" * 65, "x&y", "ü"):
        assert_problem(create(t, k, click_id_param=bad), 422, "invalid_value", "click_id_param")
    expect(create(t, k, click_id_param="a" * 64), 201)


def test_referral_window_range(t):
    k = bk(t)
    for bad in (0, -1, 3651):
        assert_problem(create(t, k, referral_window_days=bad), 422, "invalid_value", "referral_window_days")
    assert_problem(create(t, k, referral_window_days=1.5), 422, "invalid_value", "referral_window_days")
    assert_problem(create(t, k, referral_window_days="7"), 400, "invalid_type", "referral_window_days")
    for ok in (1, 3650):
        assert expect(create(t, k, referral_window_days=ok), 201)["referral_window_days"] == ok


def test_currency_rules(t):
    k = bk(t)
    for bad in ("usd", "US", "USDD", "ZZZ", "", "U$D"):
        assert_problem(create(t, k, currency=bad), 422, "invalid_value", "currency")
    assert_problem(create(t, k, currency=840), 400, "invalid_type", "currency")
    for ok in ("JPY", "GBP", "EUR"):
        assert expect(create(t, k, currency=ok), 201)["currency"] == ok


# ------------------------------------------------------------- tenancy


def test_other_brand_gets_404(t):
    k1, k2 = bk(t), bk(t)
    p = t.new_program(k1)
    i = p["id"]
    assert_problem(t.get(A + "/programs/%d" % i, key=k2), 404, "not_found")
    assert_problem(t.patch(A + "/programs/%d" % i, {"name": "x"}, key=k2), 404, "not_found")
    assert_problem(t.post(A + "/programs/%d/postback-key" % i, key=k2), 404, "not_found")
    assert_problem(t.get(A + "/programs/%d/landing-pages" % i, key=k2), 404, "not_found")
    assert_problem(t.post(A + "/programs/%d/landing-pages" % i, {"name": "x", "url": "https://acme.test/"},
                          key=k2), 404, "not_found")
    assert_problem(t.get(A + "/programs/%d/partners" % i, key=k2), 404, "not_found")
    assert_problem(t.post(A + "/programs/%d/partners" % i, {"partner_id": 1}, key=k2), 404, "not_found")
    assert_problem(t.post(A + "/programs/%d/campaigns" % i, t.campaign_body(), key=k2), 404, "not_found")
    assert expect(t.get(A + "/programs", key=k2), 200)["data"] == []
    # and the program is untouched
    assert expect(t.get(A + "/programs/%d" % i, key=k1), 200) == p


def test_partner_key_is_403_on_programs(t):
    k = bk(t)
    p = t.new_program(k)
    pk = t.new_partner()["api_key"]
    i = p["id"]
    assert_problem(t.get(A + "/programs", key=pk), 403, "forbidden")
    assert_problem(t.get(A + "/programs/%d" % i, key=pk), 403, "forbidden")
    assert_problem(t.post(A + "/programs", t.program_body(), key=pk), 403, "forbidden")
    assert_problem(t.post(A + "/programs/%d/landing-pages" % i, {"name": "x", "url": "https://acme.test/"},
                          key=pk), 403, "forbidden")
    assert_problem(t.post(A + "/programs/%d/partners" % i, {"partner_id": 1}, key=pk), 403, "forbidden")


# ----------------------------------------------------------------- PATCH


def test_patch_name_keeps_the_rest(t):
    k = bk(t)
    p = t.new_program(k)
    q = expect(t.patch(A + "/programs/%d" % p["id"], {"name": "Renamed"}, key=k), 200)
    assert q["name"] == "Renamed"
    for f in ("default_landing_page", "permitted_domains", "click_id_param", "referral_window_days",
              "currency", "postback_key", "created_at", "id"):
        assert q[f] == p[f], f
    assert q["updated_at"] >= p["updated_at"]
    assert expect(t.get(A + "/programs/%d" % p["id"], key=k), 200) == q


def test_patch_every_field(t):
    k = bk(t)
    p = t.new_program(k)
    body = {"default_landing_page": "https://new.test/x", "permitted_domains": ["new.test"],
            "click_id_param": "cid", "referral_window_days": 7, "currency": "GBP"}
    q = expect(t.patch(A + "/programs/%d" % p["id"], body, key=k), 200)
    for f, v in body.items():
        assert q[f] == v, (f, q[f])


def test_patch_revalidates_landing_page(t):
    k = bk(t)
    p = t.new_program(k)
    path = A + "/programs/%d" % p["id"]
    # Dropping the domain of the current default landing page.
    assert_problem(t.patch(path, {"permitted_domains": ["other.test"]}, key=k),
                   422, "landing_page_not_permitted", "default_landing_page")
    assert_problem(t.patch(path, {"default_landing_page": "https://other.test/"}, key=k),
                   422, "landing_page_not_permitted", "default_landing_page")
    assert_problem(t.patch(path, {"default_landing_page": "javascript:alert(1)"}, key=k),
                   422, "landing_page_invalid", "default_landing_page")
    assert_problem(t.patch(path, {"referral_window_days": 0}, key=k), 422, "invalid_value",
                   "referral_window_days")
    assert_problem(t.patch(path, {"permitted_domains": []}, key=k), 422, "invalid_value", "permitted_domains")
    assert_problem(t.patch(path, {"currency": "usd"}, key=k), 422, "invalid_value", "currency")
    assert_problem(t.patch(path, {"name": 3}, key=k), 400, "invalid_type", "name")
    # Nothing changed.
    assert expect(t.get(path, key=k), 200) == p


def test_patch_wildcard_apex(t):
    k = bk(t)
    p = t.new_program(k, default_landing_page="https://acme.test/")
    r = t.patch(A + "/programs/%d" % p["id"], {"permitted_domains": ["*.acme.test"]}, key=k)
    assert_problem(r, 422, "landing_page_not_permitted", "default_landing_page")


# --------------------------------------------------- postback-key rotation


def test_rotate_postback_key(t):
    k = bk(t)
    p = t.new_program(k)
    q = expect(t.post(A + "/programs/%d/postback-key" % p["id"], key=k), 200)
    assert q["id"] == p["id"]
    assert isinstance(q["postback_key"], str) and q["postback_key"] != p["postback_key"]
    assert expect(t.get(A + "/programs/%d" % p["id"], key=k), 200)["postback_key"] == q["postback_key"]
    r = expect(t.post(A + "/programs/%d/postback-key" % p["id"], key=k), 200)
    assert r["postback_key"] not in (p["postback_key"], q["postback_key"])


def test_rotate_postback_key_brand_only(t):
    k = bk(t)
    p = t.new_program(k)
    pk = t.new_partner()["api_key"]
    assert_problem(t.post(A + "/programs/%d/postback-key" % p["id"], key=pk), 403, "forbidden")
    assert_problem(t.post(A + "/programs/%d/postback-key" % p["id"], key=t.admin_key), 403, "forbidden")
    assert_problem(t.post(A + "/programs/%d/postback-key" % p["id"]), 401, "unauthorized")
    assert expect(t.get(A + "/programs/%d" % p["id"], key=k), 200)["postback_key"] == p["postback_key"]


# --------------------------------------------------------- landing pages


def test_landing_page_create_and_list(t):
    k = bk(t)
    p = t.new_program(k)
    path = A + "/programs/%d/landing-pages" % p["id"]
    a = expect(t.post(path, {"name": "Home", "url": "https://www.acme.test/home"}, key=k), 201)
    assert set(a) >= {"id", "program_id", "name", "url", "created_at"}, a
    assert a["program_id"] == p["id"] and a["name"] == "Home" and a["url"] == "https://www.acme.test/home"
    assert_time(a["created_at"])
    b = expect(t.post(path, {"name": "Shop", "url": "HTTPS://Shop.ACME.test/Cart"}, key=k), 201)
    assert b["url"] == "https://shop.acme.test/Cart"
    lst = expect(t.get(path, key=k), 200)
    assert [x["id"] for x in lst["data"]] == [a["id"], b["id"]] and a["id"] < b["id"]
    assert lst["next_cursor"] is None


def test_landing_page_gate(t):
    k = bk(t)
    p = t.new_program(k, permitted_domains=["*.acme.test", "bücher.test"],
                      default_landing_page="https://www.acme.test/")
    path = A + "/programs/%d/landing-pages" % p["id"]
    assert_problem(t.post(path, {"name": "x", "url": "https://evil.test/"}, key=k),
                   422, "landing_page_not_permitted", "url")
    assert_problem(t.post(path, {"name": "x", "url": "https://acme.test/"}, key=k),
                   422, "landing_page_not_permitted", "url")
    for bad in ("javascript:alert(1)", "https://u:p@www.acme.test/", "notaurl", "https://www.acme.test/\x7f"):
        assert_problem(t.post(path, {"name": "x", "url": bad}, key=k), 422, "landing_page_invalid", "url")
    lp = expect(t.post(path, {"name": "x", "url": "https://bücher.test/a"}, key=k), 201)
    assert lp["url"] == "https://xn--bcher-kva.test/a"


def test_landing_page_required_fields(t):
    k = bk(t)
    p = t.new_program(k)
    path = A + "/programs/%d/landing-pages" % p["id"]
    assert_problem(t.post(path, {"name": "x"}, key=k), 422, "missing_field", "url")
    assert_problem(t.post(path, {"url": "https://acme.test/"}, key=k), 422, "missing_field", "name")
    assert_problem(t.post(path, {"name": "x", "url": 1}, key=k), 400, "invalid_type", "url")


def test_landing_pages_of_unknown_program(t):
    k = bk(t)
    assert_problem(t.get(A + "/programs/987654321/landing-pages", key=k), 404, "not_found")


# ---------------------------------------------------------- memberships


def test_program_membership_201_then_200(t):
    k = bk(t)
    p = t.new_program(k)
    partner = t.new_partner()
    path = A + "/programs/%d/partners" % p["id"]
    m = expect(t.post(path, {"partner_id": partner["id"]}, key=k), 201)
    assert set(m) >= {"program_id", "partner_id", "name", "email", "joined_at"}, m
    assert m["program_id"] == p["id"] and m["partner_id"] == partner["id"]
    assert m["name"] == partner["name"] and m["email"] == partner["email"]
    assert_time(m["joined_at"])
    again = expect(t.post(path, {"partner_id": partner["id"]}, key=k), 200)
    assert again["joined_at"] == m["joined_at"] and again["partner_id"] == partner["id"]
    lst = expect(t.get(path, key=k), 200)
    assert lst["data"] == [m] or [x["partner_id"] for x in lst["data"]] == [partner["id"]], lst
    assert lst["next_cursor"] is None


def test_program_members_listed_in_order(t):
    k = bk(t)
    p = t.new_program(k)
    ps = [t.new_partner() for _ in range(3)]
    for x in reversed(ps):
        t.join_program(k, p["id"], x["id"])
    got = [m["partner_id"] for m in t.list_all(A + "/programs/%d/partners" % p["id"], k, limit=2)]
    assert sorted(got) == sorted(x["id"] for x in ps) and len(got) == 3, got


def test_program_membership_errors(t):
    k = bk(t)
    p = t.new_program(k)
    path = A + "/programs/%d/partners" % p["id"]
    assert_problem(t.post(path, {}, key=k), 422, "missing_field", "partner_id")
    assert_problem(t.post(path, {"partner_id": "12"}, key=k), 400, "invalid_type", "partner_id")
    assert_problem(t.post(path, {"partner_id": 0}, key=k), 422, "invalid_value", "partner_id")
    assert_problem(t.post(path, {"partner_id": 987654321}, key=k), 404, "not_found", "partner_id")
    other_brand = t.new_brand()
    r = t.post(path, {"partner_id": other_brand["id"]}, key=k)
    # A brand's id is not a partner (unless ids collide across kinds, which
    # an accounts table with one id sequence rules out).
    assert r.status in (404,), r
    assert_problem(r, 404, "not_found", "partner_id")


def test_membership_list_isolated_per_program(t):
    k = bk(t)
    p1, p2 = t.new_program(k), t.new_program(k)
    a = t.new_partner()
    t.join_program(k, p1["id"], a["id"])
    assert expect(t.get(A + "/programs/%d/partners" % p2["id"], key=k), 200)["data"] == []


def test_program_name_unicode(t):
    k = bk(t)
    name = "Programme d'été ☀ " + uniq("")
    assert t.new_program(k, name=name)["name"] == name
