#!/usr/bin/env python3
"""seed.py: fills a running tracklink with N short links for the redirect bench.

Usage: seed.py seed HOST:PORT ADMIN_KEY N OUT_CODES_FILE
       seed.py warm HOST:PORT CODES_FILE

seed: through the public API, over one keep-alive connection: a brand, a partner,
a program (partner joined), an active campaign with tracking on
(partner_choice), a task with the partner, then N short links that differ
in sub_id1 so that each one is a new link. Writes one code per line to
OUT_CODES_FILE. Exits 1 with the failing request and answer on any error.

warm: GET /{code} once for every code, over one keep-alive connection, so
that the link cache holds them all before the measurement; every answer
must be a 302. Prints the number of redirects answered.
"""
import http.client
import json
import sys


class Api:
    def __init__(self, hostport):
        host, port = hostport.rsplit(":", 1)
        self.conn = http.client.HTTPConnection(host, int(port), timeout=30)

    def post(self, path, key, body, want=(200, 201)):
        data = json.dumps(body).encode()
        headers = {"Authorization": "Bearer " + key, "Content-Type": "application/json"}
        self.conn.request("POST", path, body=data, headers=headers)
        resp = self.conn.getresponse()
        raw = resp.read()
        if resp.status not in want:
            sys.exit("seed: POST %s -> %d %s" % (path, resp.status, raw[:500].decode("utf-8", "replace")))
        return json.loads(raw) if raw else {}


def warm(hostport, codes_file):
    host, port = hostport.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    with open(codes_file) as f:
        codes = [c.strip() for c in f if c.strip()]
    for code in codes:
        conn.request("GET", "/" + code)
        resp = conn.getresponse()
        resp.read()
        if resp.status != 302:
            sys.exit("warm: GET /%s -> %d, want 302" % (code, resp.status))
    print(len(codes))


def seed(hostport, admin, n, out):
    api = Api(hostport)
    brand = api.post("/api/v1/brands", admin, {"name": "Acme bench"})
    partner = api.post("/api/v1/partners", admin, {"name": "Bench partner", "email": "bench@partner.test"})
    bkey = brand["api_key"]
    prog = api.post("/api/v1/programs", bkey, {
        "name": "Bench program",
        "default_landing_page": "https://shop.acme.test/",
        "permitted_domains": ["shop.acme.test", "*.acme.test"],
        "click_id_param": "clickid",
        "currency": "USD",
    })
    api.post("/api/v1/programs/%d/partners" % prog["id"], bkey, {"partner_id": partner["id"]})
    camp = api.post("/api/v1/programs/%d/campaigns" % prog["id"], bkey, {
        "name": "Bench campaign",
        "status": "active",
        "tracking": {"enabled": True, "landing_page_mode": "partner_choice"},
        "payout": {"type": "fixed", "amount": 500},
    })
    api.post("/api/v1/campaigns/%d/partners" % camp["id"], bkey, {"partner_id": partner["id"]})
    task = api.post("/api/v1/campaigns/%d/tasks" % camp["id"], bkey, {
        "title": "Bench task",
        "description": "redirect bench",
        "partner_ids": [partner["id"]],
    })
    codes = []
    for i in range(n):
        link = api.post("/api/v1/tasks/%d/links" % task["id"], bkey, {
            "partner_id": partner["id"],
            "kind": "short",
            "landing_page_url": "https://shop.acme.test/landing?utm_source=partner&utm_medium=bench",
            "sub_id1": "s%06d" % i,
        }, want=(201,))
        codes.append(link["code"])
    if len(set(codes)) != n:
        sys.exit("seed: expected %d distinct codes, got %d" % (n, len(set(codes))))
    with open(out, "w") as f:
        f.write("\n".join(codes) + "\n")


def main():
    args = sys.argv[1:]
    if len(args) == 5 and args[0] == "seed":
        seed(args[1], args[2], int(args[3]), args[4])
    elif len(args) == 3 and args[0] == "warm":
        warm(args[1], args[2])
    else:
        sys.exit("usage: seed.py seed HOST:PORT ADMIN_KEY N OUT_CODES_FILE | warm HOST:PORT CODES_FILE")


if __name__ == "__main__":
    main()
