"""
test_accounts.py: API.md "Bootstrap and accounts": the operator key, brand
and partner creation, API keys, UI users.
"""

import glob
import os

from tl import A, assert_key, assert_problem, assert_time, expect, uniq, uniq_email


def test_create_brand(t):
    name = uniq("Acme")
    r = t.post(A + "/brands", {"name": name}, key=t.admin_key)
    b = expect(r, 201)
    assert set(b) >= {"id", "name", "api_key", "created_at"}, b
    assert isinstance(b["id"], int) and b["id"] > 0
    assert b["name"] == name
    assert_key(b["api_key"])
    assert_time(b["created_at"], "created_at")


def test_brand_key_works(t):
    b = t.new_brand()
    expect(t.get(A + "/programs", key=b["api_key"]), 200)


def test_brand_keys_are_distinct(t):
    keys = {t.new_brand()["api_key"] for _ in range(5)}
    assert len(keys) == 5


def test_create_partner(t):
    name, email = uniq("Pat"), uniq_email()
    p = expect(t.post(A + "/partners", {"name": name, "email": email}, key=t.admin_key), 201)
    assert set(p) >= {"id", "name", "email", "api_key", "created_at"}, p
    assert isinstance(p["id"], int) and p["id"] > 0
    assert p["name"] == name and p["email"] == email
    assert_key(p["api_key"])
    assert_time(p["created_at"], "created_at")


def test_partner_key_authenticates(t):
    p = t.new_partner()
    # A partner may read /campaigns (their own, here none) and /me/tasks.
    assert expect(t.get(A + "/campaigns", key=p["api_key"]), 200)["data"] == []
    assert expect(t.get(A + "/me/tasks", key=p["api_key"]), 200)["data"] == []


def test_brand_with_user(t):
    email = uniq_email("u")
    b = expect(t.post(A + "/brands", {"name": uniq("B"), "user": {"email": email, "password": "s3cret-pass"}},
                      key=t.admin_key), 201)
    assert_key(b["api_key"])
    assert "password" not in b and "password" not in str(b.get("user", ""))


def test_partner_with_user(t):
    body = {"name": uniq("P"), "email": uniq_email(), "user": {"email": uniq_email("u"), "password": "longenough"}}
    expect(t.post(A + "/partners", body, key=t.admin_key), 201)


def test_user_email_taken_is_409(t):
    email = uniq_email("dup")
    expect(t.post(A + "/brands", {"name": uniq("B"), "user": {"email": email, "password": "password1"}},
                  key=t.admin_key), 201)
    r = t.post(A + "/brands", {"name": uniq("B"), "user": {"email": email, "password": "password2"}},
               key=t.admin_key)
    assert_problem(r, 409, "conflict", "user.email")
    r = t.post(A + "/partners", {"name": uniq("P"), "email": uniq_email(),
                                 "user": {"email": email, "password": "password3"}}, key=t.admin_key)
    assert_problem(r, 409, "conflict", "user.email")


def test_user_fields_required(t):
    k = t.admin_key
    r = t.post(A + "/brands", {"name": "B", "user": {"password": "password1"}}, key=k)
    assert_problem(r, 422, "missing_field", "user.email")
    r = t.post(A + "/brands", {"name": "B", "user": {"email": uniq_email()}}, key=k)
    assert_problem(r, 422, "missing_field", "user.password")
    r = t.post(A + "/brands", {"name": "B", "user": {"email": uniq_email(), "password": "short"}}, key=k)
    assert_problem(r, 422, "invalid_value", "user.password")
    r = t.post(A + "/brands", {"name": "B", "user": "someone@x.test"}, key=k)
    assert_problem(r, 400, "invalid_type", "user")
    r = t.post(A + "/brands", {"name": "B", "user": {"email": 5, "password": "password1"}}, key=k)
    assert_problem(r, 400, "invalid_type", "user.email")


def test_password_of_eight_bytes_is_enough(t):
    expect(t.post(A + "/brands", {"name": uniq("B"), "user": {"email": uniq_email(), "password": "12345678"}},
                  key=t.admin_key), 201)


def test_brand_name_rules(t):
    k = t.admin_key
    assert_problem(t.post(A + "/brands", {}, key=k), 422, "missing_field", "name")
    assert_problem(t.post(A + "/brands", {"name": None}, key=k), 422, "missing_field", "name")
    assert_problem(t.post(A + "/brands", {"name": ""}, key=k), 422, "invalid_value", "name")
    assert_problem(t.post(A + "/brands", {"name": "x" * 201}, key=k), 422, "invalid_value", "name")
    assert_problem(t.post(A + "/brands", {"name": 12}, key=k), 400, "invalid_type", "name")
    b = expect(t.post(A + "/brands", {"name": "x" * 200}, key=k), 201)
    assert b["name"] == "x" * 200


def test_unicode_name_round_trips(t):
    name = "Café Ünïcødé 日本 " + uniq("")
    b = t.new_brand(name=name)
    assert b["name"] == name


def test_partner_email_rules(t):
    k = t.admin_key
    assert_problem(t.post(A + "/partners", {"name": "P"}, key=k), 422, "missing_field", "email")
    for bad in ("no-at-sign", "two@@example.test", "a@b@c.test", "x" * 250 + "@e.test"):
        r = t.post(A + "/partners", {"name": "P", "email": bad}, key=k)
        assert_problem(r, 422, "invalid_value", "email")
    assert_problem(t.post(A + "/partners", {"name": "P", "email": 7}, key=k), 400, "invalid_type", "email")
    assert_problem(t.post(A + "/partners", {"email": uniq_email()}, key=k), 422, "missing_field", "name")


def test_only_admin_creates_accounts(t):
    b = t.new_brand()
    p = t.new_partner()
    for key in (b["api_key"], p["api_key"]):
        assert_problem(t.post(A + "/brands", {"name": "x"}, key=key), 403, "forbidden")
        assert_problem(t.post(A + "/partners", {"name": "x", "email": "a@b.test"}, key=key), 403, "forbidden")
    assert_problem(t.post(A + "/brands", {"name": "x"}), 401, "unauthorized")
    assert_problem(t.post(A + "/brands", {"name": "x"}, key=t.admin_key + "x"), 401, "unauthorized")


def test_admin_key_is_not_a_brand(t):
    assert_problem(t.get(A + "/programs", key=t.admin_key), 403, "forbidden")
    assert_problem(t.get(A + "/me/tasks", key=t.admin_key), 403, "forbidden")


def test_no_admin_key_configured_means_401(t):
    s = t.start_server(admin_key=False)
    for key in (None, "", "anything", "tlk_" + "C" * 43):
        r = s.post(A + "/brands", {"name": "x"}, key=key)
        assert_problem(r, 401, "unauthorized")
        r = s.post(A + "/partners", {"name": "x", "email": "a@b.test"}, key=key)
        assert_problem(r, 401, "unauthorized")


def test_api_key_is_stored_only_as_hash(t):
    s = t.start_server()
    b = s.new_brand()
    p = s.new_partner()
    s.stop()
    blob = b""
    for f in glob.glob(os.path.join(s.data_dir, "*")):
        if os.path.isfile(f):
            with open(f, "rb") as fh:
                blob += fh.read()
    assert blob, "no database files in %s" % s.data_dir
    for key in (b["api_key"], p["api_key"]):
        assert key.encode() not in blob, "an API key is stored in clear"
        assert key[4:].encode() not in blob, "an API key body is stored in clear"
    assert s.admin_key.encode() not in blob


def test_unknown_fields_ignored_on_accounts(t):
    b = expect(t.post(A + "/brands", {"name": uniq("B"), "api_key": "tlk_mine", "id": 5}, key=t.admin_key), 201)
    assert b["api_key"] != "tlk_mine"
    assert_key(b["api_key"])
