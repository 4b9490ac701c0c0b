"""
test_accounts.py: `tracklink admin create-brand | create-partner` (src/cli/accounts.c):
offline on a database of their own, the same JSON and rules as the API, the
problem on stderr with exit 1, and TRACKLINK_DB.
"""

import json
import os

from tl import A, assert_key, expect, uniq, uniq_email


def last_json(text):
    """The last line of text that is a JSON object."""
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                pass
    try:
        return json.loads(text)
    except ValueError:
        raise AssertionError("no JSON in %r" % text[-2000:])


def test_admin_create_brand_offline(t):
    d = t.tmpdir()
    db = "sqlite:" + os.path.join(d, "a.db")
    name = uniq("Offline")
    r = t.run_cli("admin", "create-brand", "--name", name, "--db", db)
    assert r.returncode == 0, r.stderr
    b = last_json(r.stdout)
    assert b["name"] == name and isinstance(b["id"], int)
    assert_key(b["api_key"])
    assert "created_at" in b
    s2 = t.start_server(data_dir=d, db=db)
    assert s2.migrations_applied() == 0, s2.log
    expect(s2.get(A + "/programs", key=b["api_key"]), 200)
    s2.new_program(b["api_key"])


def test_admin_create_brand_with_user_and_partner(t):
    d = t.tmpdir()
    db = "sqlite:" + os.path.join(d, "a.db")
    r = t.run_cli("admin", "create-brand", "--name", "B", "--user-email", uniq_email("u"),
                  "--user-password", "long-enough", "--db", db)
    assert r.returncode == 0, r.stderr
    assert_key(last_json(r.stdout)["api_key"])
    email = uniq_email()
    r = t.run_cli("admin", "create-partner", "--name", "P", "--email", email, "--db", db)
    assert r.returncode == 0, r.stderr
    p = last_json(r.stdout)
    assert p["email"] == email and p["name"] == "P"
    assert_key(p["api_key"])
    s = t.start_server(data_dir=d, db=db)
    assert expect(s.get(A + "/me/tasks", key=p["api_key"]), 200)["data"] == []


def test_admin_errors_exit_1_with_problem(t):
    d = t.tmpdir()
    db = "sqlite:" + os.path.join(d, "a.db")
    r = t.run_cli("admin", "create-partner", "--name", "P", "--email", "not-an-email", "--db", db)
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    prob = last_json(r.stderr)
    assert prob.get("code") == "invalid_value" and prob.get("field") == "email", prob
    r = t.run_cli("admin", "create-brand", "--name", "B", "--user-email", "x@y.test", "--user-password", "short",
                  "--db", db)
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert last_json(r.stderr).get("field") == "user.password"


def test_admin_uses_env_db(t):
    d = t.tmpdir()
    db = "sqlite:" + os.path.join(d, "e.db")
    r = t.run_cli("admin", "create-brand", "--name", "EnvBrand", env={"TRACKLINK_DB": db})
    assert r.returncode == 0, r.stderr
    b = last_json(r.stdout)
    s = t.start_server(data_dir=d, db=db)
    expect(s.get(A + "/programs", key=b["api_key"]), 200)
