"""
test_keys.py: API.md "Sessions, keys and refusals", API keys:
GET|POST /api/v1/api-keys and DELETE /api/v1/api-keys/{id}: named keys, the
secret shown once, revocation that holds at once on every path (the API
workers and the front's key cache for POST /api/v1/conversions), the last
key of an account without a UI login, tenancy, the operator's view, and
last_used_at.
"""

import json
import os
import time

from tl import A, KEY_RE, assert_key, assert_problem, assert_time, expect, uniq, uniq_email

ITEM_KEYS = {"id", "account_id", "name", "prefix", "created_at", "last_used_at"}


def keys_of(srv, key, query=""):
    return srv.list_all(A + "/api-keys" + query, key)


def new_key(srv, key, name=None, **extra):
    body = {"name": name or uniq("key")}
    body.update(extra)
    return expect(srv.post(A + "/api-keys", body, key=key), 201)


def revoke(srv, key, key_id, **kw):
    return srv.request("DELETE", A + "/api-keys/%d" % key_id, key=key, **kw)


def wait_for(what, fn, timeout=10.0):
    deadline = time.time() + timeout
    while True:
        v = fn()
        if v:
            return v
        assert time.time() < deadline, "timed out waiting for " + what
        time.sleep(0.05)


def test_the_first_key_is_named_default(t):
    b = t.new_brand()
    items = keys_of(t, b["api_key"])
    assert len(items) == 1, items
    k = items[0]
    assert set(k) == ITEM_KEYS, k
    assert k["name"] == "default" and k["account_id"] == b["id"], k
    assert k["prefix"] == b["api_key"][:12] and k["prefix"].startswith("tlk_"), k
    assert_time(k["created_at"], "created_at")
    assert b["api_key"] not in json.dumps(items)


def test_create_shows_the_secret_once(t):
    b = t.new_brand()
    k = new_key(t, b["api_key"], name="CI deploys")
    assert set(k) == ITEM_KEYS | {"api_key"}, k
    assert_key(k["api_key"])
    assert k["name"] == "CI deploys" and k["account_id"] == b["id"]
    assert k["prefix"] == k["api_key"][:12]
    assert k["last_used_at"] is None
    assert_time(k["created_at"], "created_at")
    assert k["api_key"] != b["api_key"]
    # the new key works, for the same account
    assert expect(t.get(A + "/programs", key=k["api_key"]), 200)["data"] == []
    prog = t.new_program(k["api_key"])
    assert [p["id"] for p in expect(t.get(A + "/programs", key=b["api_key"]), 200)["data"]] == [prog["id"]]
    # the list shows both, in id order, and never a secret
    items = keys_of(t, k["api_key"])
    assert [x["name"] for x in items] == ["default", "CI deploys"], items
    assert all(set(x) == ITEM_KEYS for x in items), items
    text = json.dumps(items)
    assert k["api_key"] not in text and b["api_key"] not in text


def test_create_input(t):
    b = t.new_brand()
    k = b["api_key"]
    assert_problem(t.post(A + "/api-keys", {}, key=k), 422, "missing_field", "name")
    assert_problem(t.post(A + "/api-keys", {"name": ""}, key=k), 422, "invalid_value", "name")
    assert_problem(t.post(A + "/api-keys", {"name": "x" * 201}, key=k), 422, "invalid_value", "name")
    assert_problem(t.post(A + "/api-keys", {"name": 7}, key=k), 400, "invalid_type", "name")
    assert_problem(t.post(A + "/api-keys", raw_body="{", key=k), 400, "invalid_json")
    assert_problem(t.post(A + "/api-keys", {"name": "x"}), 401, "unauthorized")
    other = t.new_brand()
    r = t.post(A + "/api-keys", {"name": "x", "account_id": other["id"]}, key=k)
    assert_problem(r, 404, "not_found", "account_id")
    # naming one's own account is fine
    expect(t.post(A + "/api-keys", {"name": "x", "account_id": b["id"]}, key=k), 201)
    assert len(keys_of(t, other["api_key"])) == 1


def test_revoked_key_fails_at_once(t):
    b = t.new_brand()
    k2 = new_key(t, b["api_key"])
    for _ in range(3):  # known to the key cache now
        expect(t.get(A + "/programs", key=k2["api_key"]), 200)
    r = revoke(t, b["api_key"], k2["id"])
    assert r.status == 204 and not r.body, r
    assert_problem(t.get(A + "/programs", key=k2["api_key"]), 401, "unauthorized")
    assert_problem(t.post(A + "/programs", t.program_body(), key=k2["api_key"]), 401, "unauthorized")
    assert k2["id"] not in [x["id"] for x in keys_of(t, b["api_key"])]
    assert_problem(revoke(t, b["api_key"], k2["id"]), 404, "not_found")
    # the other key is untouched
    expect(t.get(A + "/programs", key=b["api_key"]), 200)


def front_answers(srv):
    text = srv.get("/metrics").text
    srv.close_connections()
    for line in text.splitlines():
        if line.startswith("tracklink_front_answers_total"):
            return int(float(line.split()[-1]))
    raise AssertionError("no tracklink_front_answers_total in /metrics")


def fresh_post(srv, path, body, key):
    """A request on a new connection: the front reads it first (a connection
    it hands to libmicrohttpd stays there)."""
    srv.close_connections()
    r = srv.post(path, body, key=key)
    srv.close_connections()
    return r


def test_revoked_key_fails_at_once_on_conversions(t):
    """POST /api/v1/conversions is answered by the front from its key cache."""
    b = t.new_brand()
    for round_ in range(3):
        k2 = new_key(t, b["api_key"])
        conv = {"click_id": "nosuchclick%013d" % round_, "order_id": uniq("o"), "amount": 100}
        # the first use reads the store (on libmicrohttpd) and fills the cache
        assert_problem(fresh_post(t, A + "/conversions", conv, k2["api_key"]), 404, "click_not_found")
        before = front_answers(t)
        for _ in range(3):
            assert_problem(fresh_post(t, A + "/conversions", conv, k2["api_key"]), 404,
                           "click_not_found")
        assert front_answers(t) >= before + 3, "the front answered from its key cache"
        expect(revoke(t, b["api_key"], k2["id"]), 204)
        for _ in range(3):
            assert_problem(fresh_post(t, A + "/conversions", conv, k2["api_key"]), 401,
                           "unauthorized")
            assert_problem(t.post(A + "/conversions", conv, key=k2["api_key"]), 401, "unauthorized")


def test_a_key_may_revoke_itself(t):
    b = t.new_brand()
    k2 = new_key(t, b["api_key"])
    expect(t.get(A + "/programs", key=k2["api_key"]), 200)
    expect(revoke(t, k2["api_key"], k2["id"]), 204)
    assert_problem(t.get(A + "/api-keys", key=k2["api_key"]), 401, "unauthorized")


def test_last_key_of_an_account_without_login(t):
    b = t.new_brand()
    first = keys_of(t, b["api_key"])[0]
    r = revoke(t, b["api_key"], first["id"])
    assert_problem(r, 409, "last_key")
    expect(t.get(A + "/programs", key=b["api_key"]), 200)
    # with a second key, the first may go; then the second is the last
    k2 = new_key(t, b["api_key"])
    expect(revoke(t, k2["api_key"], first["id"]), 204)
    assert_problem(revoke(t, k2["api_key"], k2["id"]), 409, "last_key")
    # the operator is held by the same rule
    assert_problem(revoke(t, t.admin_key, k2["id"]), 409, "last_key")
    expect(t.get(A + "/programs", key=k2["api_key"]), 200)
    # partners too
    p = t.new_partner()
    pk = keys_of(t, p["api_key"])[0]
    assert_problem(revoke(t, p["api_key"], pk["id"]), 409, "last_key")


def test_an_account_with_a_login_may_revoke_every_key(t):
    email, pw = uniq_email("u"), "long enough password"
    b = t.new_brand(user={"email": email, "password": pw})
    only = keys_of(t, b["api_key"])[0]
    expect(revoke(t, b["api_key"], only["id"]), 204)
    assert_problem(t.get(A + "/programs", key=b["api_key"]), 401, "unauthorized")
    # the way back in: sign in, and make a key from the session
    r = t.post(A + "/session", {"email": email, "password": pw})
    s = expect(r, 200)
    token = r.headers.get("Set-Cookie").split(";")[0].split("=", 1)[1]
    h = {"Cookie": "tl_session=" + token, "X-CSRF-Token": s["csrf_token"]}
    assert expect(t.get(A + "/api-keys", headers=h), 200)["data"] == []
    assert_problem(t.post(A + "/api-keys", {"name": "again"}, headers={"Cookie": h["Cookie"]}), 403,
                   "csrf_invalid")
    k = expect(t.post(A + "/api-keys", {"name": "again"}, headers=h), 201)
    assert k["account_id"] == b["id"]
    expect(t.get(A + "/programs", key=k["api_key"]), 200)
    # and a session may revoke with its CSRF token
    k2 = new_key(t, k["api_key"])
    assert_problem(t.request("DELETE", A + "/api-keys/%d" % k2["id"], headers={"Cookie": h["Cookie"]}),
                   403, "csrf_invalid")
    expect(t.request("DELETE", A + "/api-keys/%d" % k2["id"], headers=h), 204)
    assert_problem(t.get(A + "/programs", key=k2["api_key"]), 401, "unauthorized")


def test_another_accounts_key_is_404(t):
    a, b = t.new_brand(), t.new_brand()
    p = t.new_partner()
    a2 = new_key(t, a["api_key"])
    for other in (b["api_key"], p["api_key"]):
        assert_problem(revoke(t, other, a2["id"]), 404, "not_found")
        assert a2["id"] not in [x["id"] for x in keys_of(t, other)]
    assert_problem(revoke(t, a["api_key"], 999999999), 404, "not_found")
    assert_problem(t.request("DELETE", A + "/api-keys/abc", key=a["api_key"]), 404, "not_found")
    expect(t.get(A + "/programs", key=a2["api_key"]), 200)
    # a brand naming another account in the list sees nothing of it
    assert expect(t.get(A + "/api-keys?account_id=%d" % a["id"], key=b["api_key"]), 200)["data"] == []


def test_the_operator_manages_any_accounts_keys(t):
    adm = t.admin_key
    b, p = t.new_brand(), t.new_partner()
    items = keys_of(t, adm, "?account_id=%d" % b["id"])
    assert [x["account_id"] for x in items] == [b["id"]], items
    every = keys_of(t, adm)
    accounts = {x["account_id"] for x in every}
    assert {b["id"], p["id"]} <= accounts, every
    # create for an account, revoke any key by id
    k = new_key(t, adm, name="issued by the operator", account_id=p["id"])
    assert k["account_id"] == p["id"]
    assert expect(t.get(A + "/me/tasks", key=k["api_key"]), 200)["data"] == []
    first = keys_of(t, adm, "?account_id=%d" % p["id"])[0]
    expect(revoke(t, adm, first["id"]), 204)
    assert_problem(t.get(A + "/me/tasks", key=p["api_key"]), 401, "unauthorized")
    assert_problem(t.post(A + "/api-keys", {"name": "x"}, key=adm), 422, "missing_field", "account_id")
    assert_problem(t.post(A + "/api-keys", {"name": "x", "account_id": 999999999}, key=adm), 404,
                   "not_found", "account_id")
    assert_problem(t.get(A + "/api-keys?account_id=x", key=adm), 422, "invalid_value", "account_id")


def test_last_used_at_moves_after_use(t):
    b = t.new_brand()
    k2 = new_key(t, b["api_key"])

    def item():
        return [x for x in keys_of(t, b["api_key"]) if x["id"] == k2["id"]][0]

    assert item()["last_used_at"] is None
    expect(t.get(A + "/programs", key=k2["api_key"]), 200)
    used = wait_for("last_used_at", lambda: item()["last_used_at"])
    assert_time(used, "last_used_at")
    assert used >= k2["created_at"], (used, k2["created_at"])


def test_last_used_at_moves_after_a_conversion(t):
    b = t.new_brand()
    k2 = new_key(t, b["api_key"])
    conv = {"click_id": "nosuchclick0000000000000", "order_id": uniq("o"), "amount": 1}
    assert_problem(t.post(A + "/conversions", conv, key=k2["api_key"]), 404, "click_not_found")
    wait_for("last_used_at", lambda: [x for x in keys_of(t, b["api_key"]) if x["id"] == k2["id"]][0]
             ["last_used_at"])


def test_list_pages(t):
    b = t.new_brand()
    for i in range(4):
        new_key(t, b["api_key"], name="k%d" % i)
    page = expect(t.get(A + "/api-keys?limit=2", key=b["api_key"]), 200)
    assert len(page["data"]) == 2 and page["next_cursor"], page
    items = t.list_all(A + "/api-keys", b["api_key"], limit=2)
    assert [x["name"] for x in items] == ["default", "k0", "k1", "k2", "k3"]
    ids = [x["id"] for x in items]
    assert ids == sorted(ids)


def test_partners_manage_their_keys(t):
    p = t.new_partner()
    k = new_key(t, p["api_key"], name="pb")
    assert k["account_id"] == p["id"]
    expect(revoke(t, k["api_key"], keys_of(t, p["api_key"])[0]["id"]), 204)
    assert_problem(t.get(A + "/me/tasks", key=p["api_key"]), 401, "unauthorized")
    expect(t.get(A + "/me/tasks", key=k["api_key"]), 200)


def test_admin_cli_key_is_named_default(t):
    d = t.tmpdir()
    db = "sqlite:" + os.path.join(d, "cli.db")
    r = t.run_cli("admin", "create-brand", "--name", uniq("Cli"), "--db", db)
    assert r.returncode == 0, r.stderr
    b = json.loads(r.stdout.strip().splitlines()[-1])
    assert KEY_RE.match(b["api_key"])
    s = t.start_server(db=db)
    items = keys_of(s, b["api_key"])
    assert [(x["name"], x["prefix"]) for x in items] == [("default", b["api_key"][:12])], items
