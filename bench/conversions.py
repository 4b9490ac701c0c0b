#!/usr/bin/env python3
"""conversions.py: helpers of the durable-write bench (bench/conversions.sh).

Usage: conversions.py clicks HOST:PORT ADMIN_KEY N OUT_FILE
       conversions.py naive DB_PATH SECONDS

clicks: seeds a brand, program, campaign, task and one short link through
the API, then follows the link N times (a browser User-Agent, so that the
clicks count) and writes "BRAND_KEY" on the first line of OUT_FILE and one
click id per line after it. Waits until the last click is stored.

naive: the baseline. A loop that inserts one conversion-sized row per
transaction into a fresh SQLite database in WAL mode with
synchronous=FULL (tracklink's own settings), so every write pays its own
fsync; runs SECONDS seconds and prints "naive N writes in S s = R writes/s".
"""
import http.client
import json
import os
import sqlite3
import sys
import time
import urllib.parse

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120 Safari/537.36"


def call(conn, method, path, key=None, body=None, want=(200, 201)):
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = "Bearer " + key
    conn.request(method, path, body=json.dumps(body).encode() if body is not None else None,
                 headers=headers)
    resp = conn.getresponse()
    raw = resp.read()
    if resp.status not in want:
        sys.exit("conversions: %s %s -> %d %s" % (method, path, resp.status, raw[:300]))
    return json.loads(raw) if raw else {}


def clicks(hostport, admin, n, out):
    host, port = hostport.rsplit(":", 1)
    c = http.client.HTTPConnection(host, int(port), timeout=30)
    brand = call(c, "POST", "/api/v1/brands", admin, {"name": "Acme conversions"})
    partner = call(c, "POST", "/api/v1/partners", admin,
                   {"name": "Partner", "email": "p@partner.test"})
    bk = brand["api_key"]
    prog = call(c, "POST", "/api/v1/programs", bk, {
        "name": "Conversions bench", "default_landing_page": "https://shop.acme.test/",
        "permitted_domains": ["shop.acme.test"]})
    call(c, "POST", "/api/v1/programs/%d/partners" % prog["id"], bk, {"partner_id": partner["id"]})
    camp = call(c, "POST", "/api/v1/programs/%d/campaigns" % prog["id"], bk, {
        "name": "Sale", "status": "active",
        "tracking": {"enabled": True, "landing_page_mode": "program_default"},
        "payout": {"type": "percent", "rate_bp": 1000}})
    call(c, "POST", "/api/v1/campaigns/%d/partners" % camp["id"], bk, {"partner_id": partner["id"]})
    task = call(c, "POST", "/api/v1/campaigns/%d/tasks" % camp["id"], bk,
                {"title": "Bench", "partner_ids": [partner["id"]]})
    links = call(c, "GET", "/api/v1/tasks/%d/links" % task["id"], bk)["data"]
    code = links[0]["code"]
    ids = []
    for _ in range(n):
        c.request("GET", "/" + code, headers={"User-Agent": UA})
        resp = c.getresponse()
        resp.read()
        loc = resp.getheader("Location") or ""
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(loc).query)
        if resp.status != 302 or "clickid" not in q:
            sys.exit("conversions: GET /%s -> %d %s" % (code, resp.status, loc))
        ids.append(q["clickid"][0])
    # The last click is stored once a conversion on it is no longer click_not_found.
    deadline = time.time() + 10
    while True:
        c.request("POST", "/api/v1/conversions",
                  body=json.dumps({"click_id": ids[-1], "order_id": "probe", "amount": 1}).encode(),
                  headers={"Authorization": "Bearer " + bk})
        resp = c.getresponse()
        resp.read()
        if resp.status in (200, 201):
            break
        if time.time() > deadline:
            sys.exit("conversions: clicks not stored after 10 s (%d)" % resp.status)
        time.sleep(0.05)
    with open(out, "w") as f:
        f.write(bk + "\n")
        f.write("\n".join(ids) + "\n")


def naive(path, seconds):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.unlink(path + suffix)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE conversion (id INTEGER PRIMARY KEY, click_id TEXT, order_id TEXT, "
               "event_type TEXT, amount INTEGER, currency TEXT, payout INTEGER, status TEXT, "
               "created_at INTEGER, UNIQUE (event_type, order_id))")
    n = 0
    start = time.time()
    while time.time() - start < seconds:
        db.execute("BEGIN")
        db.execute("INSERT INTO conversion (click_id, order_id, event_type, amount, currency, "
                   "payout, status, created_at) VALUES (?, ?, 'sale', 1999, 'USD', 200, "
                   "'pending', ?)", ("click%d" % n, "order%d" % n, int(time.time() * 1000)))
        db.execute("COMMIT")
        n += 1
    took = time.time() - start
    print("naive %d writes in %.2f s = %.0f writes/s" % (n, took, n / took))


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "clicks":
        clicks(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    elif len(sys.argv) == 4 and sys.argv[1] == "naive":
        naive(sys.argv[2], float(sys.argv[3]))
    else:
        sys.exit(__doc__)
