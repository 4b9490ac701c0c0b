"""
test_session.py: API.md "Sessions, keys and refusals", the web UI's sign-in:
POST|GET|DELETE /api/v1/session, the tl_session cookie and its attributes,
CSRF on cookie writes (X-CSRF-Token, Origin), bearer keys winning over the
cookie, invalid_credentials with the same timing for unknown emails, and
429 too_many_attempts with Retry-After per email and per client address.

Tests that make failed sign-ins use a server of their own: the failure
counts are per client address, and every test talks from 127.0.0.1.
"""

import re
import time

from tl import A, assert_problem, expect, uniq, uniq_email

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
PASSWORD = "correct horse battery"


def brand_with_user(srv, password=PASSWORD):
    email = uniq_email("u")
    b = srv.new_brand(user={"email": email, "password": password})
    return b, email


def sign_in(srv, email, password=PASSWORD, headers=None):
    return srv.post(A + "/session", {"email": email, "password": password}, headers=headers)


def cookie_attrs(resp):
    """The Set-Cookie header as (name, value, {attribute lower: value})."""
    sc = resp.headers.get_all("Set-Cookie") or []
    assert len(sc) == 1, "%r: Set-Cookie headers %r" % (resp, sc)
    parts = [p.strip() for p in sc[0].split(";")]
    name, _, value = parts[0].partition("=")
    attrs = {}
    for p in parts[1:]:
        k, _, v = p.partition("=")
        attrs[k.lower()] = v
    return name, value, attrs


def session(srv, email, password=PASSWORD):
    """Signs in; returns (token, body)."""
    r = sign_in(srv, email, password)
    body = expect(r, 200)
    name, token, _ = cookie_attrs(r)
    assert name == "tl_session", r.headers.get("Set-Cookie")
    return token, body


def ck(token, csrf=None, **extra):
    h = {"Cookie": "tl_session=" + token}
    if csrf is not None:
        h["X-CSRF-Token"] = csrf
    h.update(extra)
    return h


def origin(srv):
    return "http://%s:%d" % (srv.host, srv.port)


def test_sign_in_answers_the_session_and_the_cookie(t):
    b, email = brand_with_user(t)
    r = sign_in(t, email)
    body = expect(r, 200)
    assert set(body) == {"account", "user", "csrf_token"}, body
    assert body["account"] == {"id": b["id"], "kind": "brand", "name": b["name"]}, body
    assert body["user"] == {"email": email}, body
    assert isinstance(body["csrf_token"], str) and len(body["csrf_token"]) >= 32, body
    name, token, attrs = cookie_attrs(r)
    assert name == "tl_session"
    assert TOKEN_RE.match(token), "the token is 32 random bytes in base64url: %r" % token
    assert attrs.get("path") == "/", attrs
    assert "httponly" in attrs, attrs
    assert attrs.get("samesite") == "Strict", attrs
    assert "secure" not in attrs, "no Secure on an http public URL: %r" % attrs
    assert "no-store" in (r.headers.get("Cache-Control") or ""), r.headers
    # the email is matched without regard to case
    expect(sign_in(t, email.upper()), 200)


def test_secure_cookie_with_an_https_public_url(t):
    s = t.start_server(args=["--public-url", "https://tl.example.test"])
    _, email = brand_with_user(s)
    r = sign_in(s, email)
    expect(r, 200)
    _, token, attrs = cookie_attrs(r)
    assert "secure" in attrs and "httponly" in attrs and attrs.get("samesite") == "Strict", attrs
    # a write from the public origin passes, from the plain-http one not
    h = ck(token, r.json["csrf_token"], Origin="https://tl.example.test")
    expect(s.post(A + "/programs", s.program_body(), headers=h), 201)
    h["Origin"] = "http://tl.example.test"
    assert_problem(s.post(A + "/programs", s.program_body(), headers=h), 403, "csrf_invalid")
    r = s.request("DELETE", A + "/session", headers=ck(token, r.json["csrf_token"]))
    expect(r, 204)
    assert "secure" in cookie_attrs(r)[2]


def test_get_session(t):
    _, email = brand_with_user(t)
    token, body = session(t, email)
    r = t.get(A + "/session", headers=ck(token))
    assert expect(r, 200) == body, "GET answers the sign-in's body, csrf_token included"
    assert "no-store" in (r.headers.get("Cache-Control") or "")
    assert_problem(t.get(A + "/session"), 401, "unauthorized")
    assert_problem(t.get(A + "/session", headers=ck("x" * 43)), 401, "unauthorized")
    assert_problem(t.get(A + "/session", headers=ck("short")), 401, "unauthorized")
    # among other cookies, in any place
    expect(t.get(A + "/session", headers={"Cookie": "a=1; tl_session=%s; b=2" % token}), 200)


def test_partner_session(t):
    email = uniq_email("pu")
    p = t.new_partner(user={"email": email, "password": PASSWORD})
    token, body = session(t, email)
    assert body["account"] == {"id": p["id"], "kind": "partner", "name": p["name"]}
    assert expect(t.get(A + "/me/tasks", headers=ck(token)), 200)["data"] == []
    # the kind rules hold for a cookie as for a key
    assert_problem(t.post(A + "/programs", t.program_body(), headers=ck(token, body["csrf_token"])),
                   403, "forbidden")


def test_cookie_works_for_gets(t):
    """Every GET works with the cookie alone: lists, the CSV report, a QR code."""
    b, email = brand_with_user(t)
    bk = b["api_key"]
    p = t.new_partner()
    program = t.new_program(bk)
    campaign = t.new_campaign(bk, program["id"])
    t.join_program(bk, program["id"], p["id"])
    t.join_campaign(bk, campaign["id"], p["id"])
    task = t.new_task(bk, campaign["id"])
    t.assign_task(bk, task["id"], p["id"])
    links = expect(t.get(A + "/tasks/%d/links" % task["id"], key=bk), 200)["data"]
    assert links, "program_default makes the partner's link on assignment"
    token, _ = session(t, email)
    h = ck(token)
    got = expect(t.get(A + "/programs", headers=h), 200)["data"]
    assert [x["id"] for x in got] == [program["id"]]
    r = t.get(A + "/links/%d/qr.svg" % links[0]["id"], headers=h)
    assert r.status == 200 and "svg" in r.content_type, r
    r = t.get(A + "/reports?format=csv&program_id=%d" % program["id"], headers=h)
    assert r.status == 200 and "csv" in r.content_type, r


def test_cookie_writes_need_the_csrf_token(t):
    _, email = brand_with_user(t)
    token, body = session(t, email)
    csrf = body["csrf_token"]
    path = A + "/programs"
    r = t.post(path, t.program_body(), headers=ck(token))
    assert_problem(r, 403, "csrf_invalid")
    r = t.post(path, t.program_body(), headers=ck(token, csrf[:-1] + ("A" if csrf[-1] != "A" else "B")))
    assert_problem(r, 403, "csrf_invalid")
    r = t.post(path, t.program_body(), headers=ck(token, csrf + "x"))
    assert_problem(r, 403, "csrf_invalid")
    r = t.post(path, t.program_body(), headers=ck(token, ""))
    assert_problem(r, 403, "csrf_invalid")
    r = t.post(path, t.program_body(), headers=ck(token, csrf, Origin="http://evil.test"))
    assert_problem(r, 403, "csrf_invalid")
    r = t.post(path, t.program_body(), headers=ck(token, csrf, Origin="null"))
    assert_problem(r, 403, "csrf_invalid")
    # nothing was made by the refused writes
    assert expect(t.get(path, headers=ck(token)), 200)["data"] == []
    # the right token, with the public URL's Origin or none
    prog = expect(t.post(path, t.program_body(), headers=ck(token, csrf, Origin=origin(t))), 201)
    expect(t.post(path, t.program_body(), headers=ck(token, csrf)), 201)
    # PATCH and PUT-like writes too
    pp = A + "/programs/%d" % prog["id"]
    assert_problem(t.patch(pp, {"name": "x"}, headers=ck(token)), 403, "csrf_invalid")
    assert expect(t.patch(pp, {"name": "Renamed"}, headers=ck(token, csrf)), 200)["name"] == "Renamed"
    # another session's token is not this one's
    token2, body2 = session(t, email)
    assert body2["csrf_token"] != csrf
    assert_problem(t.post(path, t.program_body(), headers=ck(token, body2["csrf_token"])), 403,
                   "csrf_invalid")


def test_bearer_key_wins_over_the_cookie(t):
    b1, email = brand_with_user(t)
    b2 = t.new_brand()
    token, _ = session(t, email)
    # no CSRF token needed with a key, and the key's account is the caller
    h = ck(token)
    prog = expect(t.post(A + "/programs", t.program_body(), key=b2["api_key"], headers=h), 201)
    assert [p["id"] for p in expect(t.get(A + "/programs", key=b2["api_key"]), 200)["data"]] == [prog["id"]]
    assert expect(t.get(A + "/programs", headers=h), 200)["data"] == []
    # a bad key is refused even with a good cookie
    assert_problem(t.get(A + "/programs", key="tlk_" + "x" * 43, headers=h), 401, "unauthorized")
    r = t.get(A + "/programs", headers=dict(h, Authorization="Basic Zm9vOmJhcg=="))
    assert_problem(r, 401, "unauthorized")


def test_sign_out_ends_the_session(t):
    _, email = brand_with_user(t)
    token, body = session(t, email)
    # a sign-out is a write: it needs the token too
    assert_problem(t.request("DELETE", A + "/session", headers=ck(token)), 403, "csrf_invalid")
    expect(t.get(A + "/session", headers=ck(token)), 200)
    r = t.request("DELETE", A + "/session", headers=ck(token, body["csrf_token"]))
    assert r.status == 204 and not r.body, r
    name, value, attrs = cookie_attrs(r)
    assert name == "tl_session" and value == "" and attrs.get("max-age") == "0", r.headers
    assert attrs.get("path") == "/" and "httponly" in attrs and attrs.get("samesite") == "Strict"
    assert_problem(t.get(A + "/session", headers=ck(token)), 401, "unauthorized")
    assert_problem(t.get(A + "/programs", headers=ck(token)), 401, "unauthorized")
    assert_problem(t.post(A + "/programs", t.program_body(), headers=ck(token, body["csrf_token"])),
                   401, "unauthorized")
    assert_problem(t.request("DELETE", A + "/session", headers=ck(token, body["csrf_token"])), 401,
                   "unauthorized")
    # signing in again gives a new cookie, which works
    token2, body2 = session(t, email)
    assert token2 != token and body2["csrf_token"] != body["csrf_token"]
    expect(t.get(A + "/session", headers=ck(token2)), 200)


def test_each_sign_in_gets_a_new_session(t):
    _, email = brand_with_user(t)
    t1, b1 = session(t, email)
    t2, b2 = session(t, email)
    assert t1 != t2 and b1["csrf_token"] != b2["csrf_token"]
    # two browsers: both sessions live
    expect(t.get(A + "/session", headers=ck(t1)), 200)
    expect(t.get(A + "/session", headers=ck(t2)), 200)
    # a sign-in from a browser that holds a session ends that one
    r = sign_in(t, email, headers=ck(t1))
    expect(r, 200)
    t3 = cookie_attrs(r)[1]
    assert t3 not in (t1, t2)
    assert_problem(t.get(A + "/session", headers=ck(t1)), 401, "unauthorized")
    expect(t.get(A + "/session", headers=ck(t2)), 200)
    expect(t.get(A + "/session", headers=ck(t3)), 200)


def test_session_on_the_fronts_route(t):
    """POST /api/v1/conversions, which the front answers for cached keys,
    takes the cookie (and its CSRF rule) too."""
    _, email = brand_with_user(t)
    token, body = session(t, email)
    conv = {"click_id": "nosuchclick0000000000000", "order_id": uniq("o"), "amount": 100}
    assert_problem(t.post(A + "/conversions", conv, headers=ck(token)), 403, "csrf_invalid")
    assert_problem(t.post(A + "/conversions", conv, headers=ck(token, body["csrf_token"])), 404,
                   "click_not_found")
    assert_problem(t.post(A + "/conversions", conv), 401, "unauthorized")


def test_sign_in_input(t):
    assert_problem(t.post(A + "/session", {"password": "x"}), 422, "missing_field", "email")
    assert_problem(t.post(A + "/session", {"email": "a@b.test"}), 422, "missing_field", "password")
    assert_problem(t.post(A + "/session", {"email": 5, "password": "x"}), 400, "invalid_type", "email")
    assert_problem(t.post(A + "/session", raw_body="{"), 400, "invalid_json")
    _, email = brand_with_user(t)
    r = sign_in(t, email, headers={"Origin": "http://evil.test"})
    assert_problem(r, 403, "csrf_invalid")
    assert not r.headers.get("Set-Cookie")
    expect(sign_in(t, email, headers={"Origin": origin(t)}), 200)


def test_wrong_credentials_take_the_same_time(t):
    s = t.start_server()
    _, email = brand_with_user(s)
    expect(sign_in(s, email), 200)  # warm: the first check also makes the dummy hash
    wrong, unknown = [], []
    for i in range(3):
        t0 = time.monotonic()
        assert_problem(sign_in(s, email, "wrong password %d" % i), 401, "invalid_credentials")
        wrong.append(time.monotonic() - t0)
        t0 = time.monotonic()
        r = sign_in(s, uniq_email("nobody"), "wrong password %d" % i)
        unknown.append(time.monotonic() - t0)
        b = assert_problem(r, 401, "invalid_credentials", field=False)
        assert not r.headers.get("Set-Cookie")
    w, u = sorted(wrong)[1], sorted(unknown)[1]
    assert min(w, u) > max(w, u) / 3, "wrong password %.3fs, unknown email %.3fs (medians)" % (w, u)


def test_too_many_failures_for_one_email(t):
    s = t.start_server()
    _, email = brand_with_user(s)
    _, other = brand_with_user(s)
    for i in range(5):
        assert_problem(sign_in(s, email, "nope-%d" % i), 401, "invalid_credentials")
    r = sign_in(s, email, "nope-again")
    assert_problem(r, 429, "too_many_attempts")
    ra = r.headers.get("Retry-After")
    assert ra is not None and ra.isdigit() and 0 < int(ra) <= 15 * 60, "Retry-After %r" % ra
    # the right password waits too, and the email's case does not matter
    assert_problem(sign_in(s, email), 429, "too_many_attempts")
    assert_problem(sign_in(s, email.upper()), 429, "too_many_attempts")
    # another email from the same address is not held
    expect(sign_in(s, other), 200)
    # an unknown email is counted the same way
    nobody = uniq_email("nobody")
    for i in range(5):
        assert_problem(sign_in(s, nobody, "x%d" % i), 401, "invalid_credentials")
    assert_problem(sign_in(s, nobody, "x"), 429, "too_many_attempts")


def test_success_clears_the_count(t):
    s = t.start_server()
    _, email = brand_with_user(s)
    for _ in range(2):
        for i in range(4):
            assert_problem(sign_in(s, email, "nope-%d" % i), 401, "invalid_credentials")
        expect(sign_in(s, email), 200)
    assert_problem(sign_in(s, email, "nope"), 401, "invalid_credentials")


def test_too_many_failures_from_one_address(t):
    s = t.start_server()
    _, email = brand_with_user(s)
    for i in range(20):
        assert_problem(sign_in(s, uniq_email("guess"), "pw-%d" % i), 401, "invalid_credentials")
    r = sign_in(s, email)
    assert_problem(r, 429, "too_many_attempts")
    ra = r.headers.get("Retry-After")
    assert ra is not None and ra.isdigit() and 0 < int(ra) <= 15 * 60, "Retry-After %r" % ra
    # keys are not held by sign-in failures
    expect(s.get(A + "/programs", key=s.new_brand()["api_key"]), 200)


def test_behind_a_proxy_the_forwarded_address_counts(t):
    s = t.start_server(args=["--trust-proxy"])
    _, email = brand_with_user(s)
    for i in range(20):
        r = sign_in(s, uniq_email("guess"), "pw", headers={"X-Forwarded-For": "198.51.100.7"})
        assert_problem(r, 401, "invalid_credentials")
    assert_problem(sign_in(s, email, headers={"X-Forwarded-For": "198.51.100.7"}), 429,
                   "too_many_attempts")
    expect(sign_in(s, email, headers={"X-Forwarded-For": "198.51.100.8"}), 200)
