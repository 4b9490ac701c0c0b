"""
test_conventions.py: API.md "Conventions" and the decided edge cases that
apply to every endpoint: authentication, the order of checks, problem+json,
400/413/422 on bodies, and lists with pagination.
"""

import re
import socket
import time

from tl import A, assert_problem, expect, uniq


def brand_key(t):
    return t.new_brand()["api_key"]


# ------------------------------------------------------------------- 401


def test_no_key_is_401(t):
    r = t.get(A + "/programs")
    assert_problem(r, 401, "unauthorized")


def test_bad_key_is_401(t):
    assert_problem(t.get(A + "/programs", key="tlk_" + "A" * 43), 401, "unauthorized")
    assert_problem(t.get(A + "/programs", key="nonsense"), 401, "unauthorized")


def test_malformed_authorization_is_401(t):
    k = brand_key(t)
    for h in ("Basic " + k, k, "Bearer", "Bearer ", "Token " + k, "Bearer " + k + "x"):
        r = t.get(A + "/programs", headers={"Authorization": h})
        assert_problem(r, 401, "unauthorized")


def test_good_key_works_and_answers_json(t):
    k = brand_key(t)
    r = t.get(A + "/programs", key=k)
    body = expect(r, 200)
    assert r.content_type.split(";")[0].strip() == "application/json", r.content_type
    assert body == {"data": [], "next_cursor": None}, body


def test_admin_endpoints_401_without_key(t):
    assert_problem(t.post(A + "/brands", {"name": "x"}), 401, "unauthorized")
    assert_problem(t.post(A + "/partners", {"name": "x", "email": "a@b.test"}), 401, "unauthorized")


# ------------------------------------------------------------------- 403


def test_partner_key_on_brand_endpoint_is_403(t):
    pk = t.new_partner()["api_key"]
    assert_problem(t.post(A + "/programs", t.program_body(), key=pk), 403, "forbidden")
    assert_problem(t.get(A + "/programs", key=pk), 403, "forbidden")


def test_brand_key_on_operator_endpoint_is_403(t):
    k = brand_key(t)
    assert_problem(t.post(A + "/brands", {"name": "x"}, key=k), 403, "forbidden")
    assert_problem(t.post(A + "/partners", {"name": "x", "email": "a@b.test"}, key=k), 403, "forbidden")


def test_admin_key_on_brand_endpoint_is_403(t):
    assert_problem(t.post(A + "/programs", t.program_body(), key=t.admin_key), 403, "forbidden")


# ----------------------------------------------------------- 404 and 405


def test_unknown_route_is_404_without_key(t):
    for p in (A + "/nope", A + "/programs/1/nope", A + "/v2", "/api/v2/programs", A):
        r = t.get(p)
        assert_problem(r, 404, "not_found")


def test_unknown_route_is_404_before_401(t):
    assert_problem(t.get(A + "/nope", key="tlk_bad"), 404, "not_found")
    assert_problem(t.post(A + "/nope", raw_body="{"), 404, "not_found")


def test_non_numeric_id_is_404(t):
    k = brand_key(t)
    for seg in ("abc", "0", "-1", "1.5", "99999999999999999999999"):
        r = t.get(A + "/programs/" + seg, key=k)
        assert_problem(r, 404, "not_found")


def test_missing_object_is_404(t):
    k = brand_key(t)
    assert_problem(t.get(A + "/programs/987654321", key=k), 404, "not_found")
    assert_problem(t.get(A + "/campaigns/987654321", key=k), 404, "not_found")
    assert_problem(t.get(A + "/tasks/987654321", key=k), 404, "not_found")


def test_405_carries_allow(t):
    r = t.request("DELETE", A + "/programs")
    assert_problem(r, 405, "method_not_allowed")
    allow = {m.strip().upper() for m in (r.headers.get("Allow") or "").split(",") if m.strip()}
    assert {"GET", "POST"} <= allow, "Allow: %r" % r.headers.get("Allow")
    assert "DELETE" not in allow
    r = t.request("PUT", A + "/programs/1", body={})
    assert_problem(r, 405, "method_not_allowed")
    allow = {m.strip().upper() for m in (r.headers.get("Allow") or "").split(",") if m.strip()}
    assert {"GET", "PATCH"} <= allow, "Allow: %r" % r.headers.get("Allow")


# -------------------------------------------------------- order of checks


def test_401_before_403(t):
    # A bad key on an operator endpoint: authentication comes first.
    assert_problem(t.post(A + "/brands", {"name": "x"}, key="tlk_" + "B" * 43), 401, "unauthorized")
    assert_problem(t.post(A + "/programs", raw_body="{nope"), 401, "unauthorized")


def test_403_before_404(t):
    # A partner on a brand-only endpoint of an object that is not theirs (or
    # does not exist) is told 403 by kind, before any lookup.
    k = brand_key(t)
    prog = t.new_program(k)
    pk = t.new_partner()["api_key"]
    assert_problem(t.patch(A + "/programs/%d" % prog["id"], {"name": "x"}, key=pk), 403, "forbidden")
    assert_problem(t.patch(A + "/programs/987654321", {"name": "x"}, key=pk), 403, "forbidden")
    assert_problem(t.post(A + "/programs/%d/postback-key" % prog["id"], key=pk), 403, "forbidden")


def test_404_before_400(t):
    k1, k2 = brand_key(t), brand_key(t)
    prog = t.new_program(k1)
    r = t.request("PATCH", A + "/programs/%d" % prog["id"], key=k2, raw_body="{broken")
    assert_problem(r, 404, "not_found")
    r = t.request("POST", A + "/programs/%d/campaigns" % prog["id"], key=k2, raw_body="[1,")
    assert_problem(r, 404, "not_found")


def test_400_before_422(t):
    k = brand_key(t)
    # A wrong type and a missing required field: the wrong type wins.
    r = t.post(A + "/programs", {"name": 5}, key=k)
    assert_problem(r, 400, "invalid_type", "name")
    r = t.post(A + "/programs", {"permitted_domains": "acme.test"}, key=k)
    assert_problem(r, 400, "invalid_type", "permitted_domains")


# ---------------------------------------------------------------- bodies


def test_invalid_json_is_400(t):
    k = brand_key(t)
    for raw in ("{", "{\"name\":}", "nul", "{\"a\":1}}", "\x00", "{'name':'x'}"):
        r = t.request("POST", A + "/programs", key=k, raw_body=raw)
        assert_problem(r, 400, "invalid_json")


def test_body_not_an_object_is_400_invalid_type(t):
    k = brand_key(t)
    for raw in ("[]", "1", "\"x\"", "true", "null"):
        r = t.request("POST", A + "/programs", key=k, raw_body=raw)
        assert_problem(r, 400, "invalid_type")


def test_wrong_field_type_is_400_with_field(t):
    k = brand_key(t)
    r = t.post(A + "/programs", t.program_body(referral_window_days="30"), key=k)
    assert_problem(r, 400, "invalid_type", "referral_window_days")
    r = t.post(A + "/programs", t.program_body(default_landing_page=["x"]), key=k)
    assert_problem(r, 400, "invalid_type", "default_landing_page")
    r = t.post(A + "/brands", {"name": {"a": 1}}, key=t.admin_key)
    assert_problem(r, 400, "invalid_type", "name")


def test_empty_body_counts_as_empty_object(t):
    k = brand_key(t)
    r = t.request("POST", A + "/programs", key=k)
    assert_problem(r, 422, "missing_field")
    r = t.request("POST", A + "/programs", key=k, raw_body=b"")
    assert_problem(r, 422, "missing_field")
    r = t.request("POST", A + "/brands", key=t.admin_key)
    assert_problem(r, 422, "missing_field", "name")
    prog = t.new_program(k)
    r = t.request("PATCH", A + "/programs/%d" % prog["id"], key=k)
    assert expect(r, 200)["name"] == prog["name"]
    r = t.request("POST", A + "/programs/%d/postback-key" % prog["id"], key=k)
    expect(r, 200)


def test_missing_field_and_invalid_value_name_the_field(t):
    k = brand_key(t)
    body = t.program_body()
    del body["default_landing_page"]
    assert_problem(t.post(A + "/programs", body, key=k), 422, "missing_field", "default_landing_page")
    r = t.post(A + "/programs", t.program_body(referral_window_days=0), key=k)
    assert_problem(r, 422, "invalid_value", "referral_window_days")


def test_unknown_fields_are_ignored(t):
    k = brand_key(t)
    prog = expect(t.post(A + "/programs", t.program_body(shoe_size=44, extra={"a": [1]}), key=k), 201)
    assert "shoe_size" not in prog


def test_413_decided_from_content_length_before_body(t):
    k = brand_key(t)
    req = ("POST /api/v1/programs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
           "Content-Length: %d\r\n\r\n{\"name\":" % (k, 50 * 1024 * 1024)).encode()
    start = time.time()
    out = t.raw(req, timeout=5, read_all=False)
    took = time.time() - start
    assert out, "no answer within 5s: the server waits for the body instead of deciding from Content-Length"
    status_line = out.split(b"\r\n", 1)[0].decode("latin-1")
    assert re.match(r"HTTP/1\.[01] 413 ", status_line), "got %r" % out[:300]
    assert took < 4, "413 took %.1fs" % took
    head, _, body = out.partition(b"\r\n\r\n")
    assert b"application/problem+json" in head.lower(), head
    # The body may arrive in a later chunk; when it is here, check its code.
    if body.strip():
        assert b"payload_too_large" in body, body


def test_413_without_key_still_decided_early(t):
    req = (b"POST /api/v1/brands HTTP/1.1\r\nHost: x\r\nContent-Length: 104857600\r\n\r\n")
    out = t.raw(req, timeout=5, read_all=False)
    assert out, "no answer within 5s to a 100 MB Content-Length"
    line = out.split(b"\r\n", 1)[0]
    # The limits are checked first; a 401 is acceptable only if the server
    # orders authentication before limits, but it must answer at once.
    assert re.match(rb"HTTP/1\.[01] (413|401) ", line), out[:300]


def test_413_body_is_problem_json(t):
    k = brand_key(t)
    s = socket.create_connection((t.srv.host, t.srv.port), timeout=5)
    try:
        s.sendall(("POST /api/v1/programs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                   "Content-Type: application/json\r\nContent-Length: 2000000\r\n"
                   "Connection: close\r\n\r\n" % k).encode())
        data = b""
        deadline = time.time() + 5
        while time.time() < deadline:
            try:
                c = s.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not c:
                break
            data += c
            head, sep, body = data.partition(b"\r\n\r\n")
            m = re.search(rb"(?i)content-length:\s*(\d+)", head)
            if sep and m and len(body) >= int(m.group(1)):
                break
    finally:
        s.close()
    assert data.startswith(b"HTTP/1.1 413") or data.startswith(b"HTTP/1.0 413"), data[:300]
    assert b"payload_too_large" in data, data[:600]


def test_moderate_body_is_accepted(t):
    k = brand_key(t)
    body = t.program_body(padding="x" * 200000)
    expect(t.post(A + "/programs", body, key=k), 201)


# ----------------------------------------------------------------- lists


def make_programs(t, k, n):
    return [t.new_program(k)["id"] for _ in range(n)]


def test_list_shape_and_ascending_order(t):
    k = brand_key(t)
    ids = make_programs(t, k, 4)
    page = expect(t.get(A + "/programs", key=k), 200)
    assert set(page) >= {"data", "next_cursor"}, page
    assert [p["id"] for p in page["data"]] == sorted(ids)
    assert page["next_cursor"] is None


def test_pages_walk_every_item_exactly_once(t):
    k = brand_key(t)
    ids = make_programs(t, k, 7)
    first = expect(t.get(A + "/programs?limit=3", key=k), 200)
    assert len(first["data"]) == 3
    assert isinstance(first["next_cursor"], str) and first["next_cursor"]
    got = [p["id"] for p in t.list_all(A + "/programs", k, limit=3)]
    assert got == sorted(ids), (got, ids)
    got = [p["id"] for p in t.list_all(A + "/programs", k, limit=1)]
    assert got == sorted(ids), (got, ids)
    got = [p["id"] for p in t.list_all(A + "/programs", k, limit=7)]
    assert got == sorted(ids), (got, ids)


def test_list_only_own_items(t):
    k1, k2 = brand_key(t), brand_key(t)
    mine = make_programs(t, k1, 2)
    make_programs(t, k2, 2)
    assert [p["id"] for p in t.list_all(A + "/programs", k1)] == sorted(mine)


def test_limit_default_50_and_cap_500(t):
    k = brand_key(t)
    prog = t.new_program(k)
    path = A + "/programs/%d/landing-pages" % prog["id"]
    for i in range(501):
        expect(t.post(path, {"name": "lp%d" % i, "url": "https://acme.test/p%d" % i}, key=k), 201)
    page = expect(t.get(path, key=k), 200)
    assert len(page["data"]) == 50 and page["next_cursor"], (len(page["data"]), page["next_cursor"])
    page = expect(t.get(path + "?limit=1000", key=k), 200)
    assert len(page["data"]) == 500, len(page["data"])
    assert page["next_cursor"]
    rest = expect(t.get(path + "?limit=500&cursor=" + _q(page["next_cursor"]), key=k), 200)
    assert len(rest["data"]) == 1 and rest["next_cursor"] is None, rest
    ids = [p["id"] for p in page["data"]] + [p["id"] for p in rest["data"]]
    assert ids == sorted(set(ids)) and len(ids) == 501


def _q(s):
    import urllib.parse
    return urllib.parse.quote(s, safe="")


def test_bad_limit_is_422(t):
    k = brand_key(t)
    for v in ("0", "-1", "abc", "1.5", ""):
        r = t.get(A + "/programs?limit=" + v, key=k)
        if v == "":
            # An empty value is either ignored or refused, never a 5xx.
            assert r.status in (200, 422), r
            continue
        assert_problem(r, 422, "invalid_value", "limit")


def test_bad_cursor_is_422(t):
    k = brand_key(t)
    make_programs(t, k, 2)
    for c in ("garbage", "AAAA", "eyJpZCI6MX0", "%FF"):
        r = t.get(A + "/programs?cursor=" + c, key=k)
        assert_problem(r, 422, "invalid_value", "cursor")


def test_problem_json_on_every_error(t):
    k = brand_key(t)
    for r in (t.get(A + "/programs"), t.get(A + "/nope"), t.request("DELETE", A + "/programs"),
              t.post(A + "/programs", {}, key=k), t.get(A + "/programs/55555555", key=k)):
        assert r.status >= 400
        assert r.content_type.startswith("application/problem+json"), r
        b = r.json
        assert set(b) >= {"type", "title", "status", "code", "detail"}, b
        assert b["status"] == r.status and b["type"] == "about:blank"


def test_ids_are_integers_and_times_rfc3339(t):
    b = t.new_brand(name=uniq("B"))
    assert isinstance(b["id"], int) and b["id"] > 0
    p = t.new_program(b["api_key"])
    assert isinstance(p["id"], int) and p["id"] > 0
    for f in ("created_at", "updated_at"):
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", p[f]), p[f]


def test_hostile_json_is_4xx_not_5xx(t):
    k = brand_key(t)
    deep = "{\"a\":" * 5000 + "1" + "}" * 5000
    assert_problem(t.request("POST", A + "/programs", key=k, raw_body=deep), 400, "invalid_json")
    deep = "[" * 100000
    assert_problem(t.request("POST", A + "/programs", key=k, raw_body=deep), 400, "invalid_json")
    r = t.request("POST", A + "/programs", key=k, raw_body=b"{\"name\":\"\xff\xfe\"}")
    assert_problem(r, 400, "invalid_json")
    r = t.post(A + "/brands", {"name": "a\u0000b"}, key=t.admin_key)
    assert r.status in (400, 422), r
    prog = t.new_program(k)
    r = t.request("POST", A + "/programs/%d/partners" % prog["id"], key=k,
                  raw_body="{\"partner_id\": 99999999999999999999999}")
    assert r.status in (400, 422), r
    assert r.content_type.startswith("application/problem+json"), r
    # The server is still fine.
    expect(t.get("/healthz"), 200)


def test_limit_500_exactly_is_fine(t):
    k = brand_key(t)
    make_programs(t, k, 2)
    page = expect(t.get(A + "/programs?limit=500", key=k), 200)
    assert len(page["data"]) == 2 and page["next_cursor"] is None
