"""
test_strict_json.py: bodies are read strictly. A key given twice is 400
invalid_json on every endpoint that takes a body (which value would count
is a guess), and an endpoint that takes no body (GET, DELETE, and
POST /programs/{id}/postback-key) refuses anything but an empty body or
{}: malformed JSON is 400 invalid_json, any other JSON 400
body_not_allowed, and the endpoint does nothing.
"""

from tl import A, expect


def code_of(resp, status):
    body = expect(resp, status)
    assert resp.content_type.startswith("application/problem+json"), resp
    return body["code"]


def test_duplicate_keys_are_refused_everywhere(t):
    brand = t.new_brand()
    bk = brand["api_key"]
    prog = t.new_program(bk)
    camp = t.new_campaign(bk, prog["id"])
    cases = [
        ("POST", A + "/programs", '{"name":"a","name":"b","default_landing_page":"https://shop.acme.test/","permitted_domains":["acme.test"]}'),
        ("PATCH", A + "/programs/%d" % prog["id"], '{"name":"a","name":"b"}'),
        ("PATCH", A + "/campaigns/%d" % camp["id"], '{"status":"paused","status":"active"}'),
        ("POST", A + "/conversions", '{"click_id":"x","click_id":"y","order_id":"o","amount":1}'),
        ("POST", A + "/api-keys", '{"name":"a","name":"b"}'),
        ("POST", A + "/programs/%d/landing-pages" % prog["id"], '{"name":"n","url":"https://www.acme.test/a","url":"https://evil.test/"}'),
    ]
    for method, path, raw in cases:
        r = t.request(method, path, raw_body=raw, key=bk)
        assert code_of(r, 400) == "invalid_json", (method, path, r)
    # Nested objects too.
    r = t.post(A + "/programs/%d/campaigns" % prog["id"], key=bk,
               raw_body='{"name":"c","payout":{"type":"fixed","amount":1,"amount":2}}')
    assert code_of(r, 400) == "invalid_json", r
    # Nothing was changed by the refused PATCH.
    assert expect(t.get(A + "/programs/%d" % prog["id"], key=bk), 200)["name"] == prog["name"]


def test_rotate_key_refuses_a_body(t):
    brand = t.new_brand()
    bk = brand["api_key"]
    prog = t.new_program(bk)
    path = A + "/programs/%d/postback-key" % prog["id"]
    for raw, code in (("{nope", "invalid_json"), ('{"postback_key":"mine"}', "body_not_allowed"),
                      ("[]", "body_not_allowed"), ('{"a":1,"a":2}', "invalid_json")):
        r = t.post(path, raw_body=raw, key=bk)
        assert code_of(r, 400) == code, (raw, r)
    # Not rotated by any of them.
    assert expect(t.get(A + "/programs/%d" % prog["id"], key=bk), 200)["postback_key"] == prog["postback_key"]
    # Empty and {} still rotate.
    k1 = expect(t.post(path, raw_body="", key=bk), 200)["postback_key"]
    assert k1 != prog["postback_key"]
    k2 = expect(t.post(path, raw_body=" {} ", key=bk), 200)["postback_key"]
    assert k2 != k1


def test_get_and_delete_refuse_a_body(t):
    brand = t.new_brand()
    bk = brand["api_key"]
    r = t.request("GET", A + "/programs", raw_body='{"x":1}', key=bk)
    assert code_of(r, 400) == "body_not_allowed", r
    r = t.request("GET", A + "/programs", raw_body='{x', key=bk)
    assert code_of(r, 400) == "invalid_json", r
    key = expect(t.post(A + "/api-keys", {"name": "second"}, key=bk), 201)
    r = t.request("DELETE", A + "/api-keys/%d" % key["id"], raw_body='{"really":true}', key=bk)
    assert code_of(r, 400) == "body_not_allowed", r
    # Still valid: the refused DELETE did nothing.
    expect(t.get(A + "/programs", key=key["api_key"]), 200)
    # Authentication still comes first.
    r = t.request("GET", A + "/programs", raw_body='{x')
    assert code_of(r, 401) == "unauthorized", r
