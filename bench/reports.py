#!/usr/bin/env python3
"""
reports.py: the measuring half of bench/reports.sh (see there).

    reports.py BINARY DB SUMMARY_JSON REQUESTS OUT_TXT

Serves DB with BINARY on a free loopback port, times GET /api/v1/reports
for the busiest campaign of the demo over its whole span for every
group_by (the brand's key, keep-alive, REQUESTS timed requests after 3 of
warm-up), then runs the raw GROUP BY over the click table with Python's
sqlite3 on the same file and checks that its figures equal the report's.
Writes OUT_TXT and prints the summary line. Exit 0, 1 (failure) or 2
(acceptance missed: day > 50 ms median, or < 100x faster than raw).
"""

import calendar
import http.client
import json
import os
import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import time

GROUPS = ["day", "hour", "campaign", "partner", "task", "link", "none"]
DAY_MS = 86400000
MAX_DAY_MS = 50.0
MIN_RATIO = 100.0


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def start(binary, db):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKLINK_")}
    env["TRACKLINK_ADMIN_KEY"] = "adm_bench_reports_0123456789"
    p = subprocess.Popen([binary, "serve", "--listen", "127.0.0.1:0", "--db", "sqlite:" + db],
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        line = p.stderr.readline()
        if not line:
            break
        m = re.search(r"listening on (\S+):(\d+)", line)
        if m:
            return p, int(m.group(2))
    p.kill()
    raise SystemExit("reports.py: the server did not start")


def main():
    binary, db, summary_path, n_req, out_path = sys.argv[1:6]
    n_req = int(n_req)
    summary = json.load(open(summary_path))
    key = summary["brand_api_key"]
    frm, to = summary["from"], summary["to"]
    campaign = summary["campaign_ids"][0]  # the Zipf head: the busiest
    lines = []

    def say(s):
        print(s, flush=True)
        lines.append(s)

    say("reports bench: %s clicks over %s days (%s .. %s), %d campaigns, %d partners, %d links"
        % (summary["clicks"], summary["days"], frm, to, len(summary["campaign_ids"]),
           len(summary["partner_ids"]), summary["links"]))
    say("  loaded in %.1f s (clicks %.1f s = %.0f clicks/s; %d conversions, %d reversed, %.1f s)"
        % (summary["seconds"]["total"], summary["seconds"]["clicks"], summary["clicks_per_second"],
           summary["conversions"], summary["reversed"], summary["seconds"]["conversions"]))
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    say("  rows: click %d, stats_hourly %d, stats_campaign_hourly %d; campaign %d: %d clicks"
        % (con.execute("SELECT COUNT(*) FROM click").fetchone()[0],
           con.execute("SELECT COUNT(*) FROM stats_hourly").fetchone()[0],
           con.execute("SELECT COUNT(*) FROM stats_campaign_hourly").fetchone()[0], campaign,
           con.execute("SELECT SUM(clicks + bot_clicks) FROM stats_campaign_hourly "
                       "WHERE campaign_id = ?", (campaign,)).fetchone()[0]))

    proc, port = start(binary, db)
    results = {}
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for g in GROUPS:
            path = "/api/v1/reports?campaign_id=%d&from=%s&to=%s%s" % (
                campaign, frm, to, "" if g == "none" else "&group_by=" + g)
            times = []
            body = None
            for i in range(3 + n_req):
                t0 = time.perf_counter()
                conn.request("GET", path, headers={"Authorization": "Bearer " + key})
                r = conn.getresponse()
                data = r.read()
                dt = (time.perf_counter() - t0) * 1000.0
                if r.status != 200:
                    raise SystemExit("reports.py: %s -> %d %s" % (path, r.status, data[:300]))
                if i >= 3:
                    times.append(dt)
                body = data
            rows = json.loads(body)["data"]
            results[g] = (statistics.median(times), pct(times, 95), rows)
            say("  group_by=%-8s median %8.2f ms  p95 %8.2f ms  (%d rows, %d bytes)"
                % (g, results[g][0], results[g][1], len(rows), len(body)))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()

    # The raw GROUP BY: the same days (UTC) of the same campaign, from click.
    from_ms = calendar.timegm(time.strptime(frm, "%Y-%m-%dT%H:%M:%SZ")) * 1000
    to_ms = calendar.timegm(time.strptime(to, "%Y-%m-%dT%H:%M:%SZ")) * 1000
    sql = ("SELECT ts_ms / %d AS d, SUM(bot = 0), SUM(bot = 0 AND uniq = 1) FROM click "
           "WHERE campaign_id = ? AND ts_ms >= ? AND ts_ms < ? GROUP BY d ORDER BY d" % DAY_MS)
    plan = " / ".join(r[-1] for r in con.execute("EXPLAIN QUERY PLAN " + sql, (campaign, from_ms, to_ms)))
    raw_times = []
    raw = None
    for _ in range(3):
        t0 = time.perf_counter()
        raw = con.execute(sql, (campaign, from_ms, to_ms)).fetchall()
        raw_times.append((time.perf_counter() - t0) * 1000.0)
    raw_ms = statistics.median(raw_times)
    say("  raw GROUP BY over click (day, clicks, unique clicks): median of 3 %.0f ms; plan: %s"
        % (raw_ms, plan))
    say("    (click is keyed by click id alone, with no index by campaign: every index on it "
        "costs each click on the redirect path, and reports read the rollups; so the raw query "
        "scans the click table)")

    got = [(time.strftime("%Y-%m-%d", time.gmtime(d * DAY_MS / 1000)), c, u) for d, c, u in raw]
    rep = [(r["day"], r["clicks"], r["unique_clicks"]) for r in results["day"][2] if r["clicks"]]
    same = got == rep
    say("  raw figures equal the report's: %s (%d days)" % ("yes" if same else "NO", len(got)))
    if not same:
        diff = [(a, b) for a, b in zip(got, rep) if a != b][:5]
        say("    first differences (raw, report): %r" % (diff,))

    day_ms = results["day"][0]
    ratio = raw_ms / day_ms if day_ms > 0 else 0.0
    ok = day_ms <= MAX_DAY_MS and ratio >= MIN_RATIO and same
    for g in GROUPS:
        say("  ratio raw/rollup group_by=%-8s %7.0fx" % (g, raw_ms / results[g][0]))
    line = "reports day: %.1f ms median (raw GROUP BY %.0f ms, %.0fx)" % (day_ms, raw_ms, ratio)
    say("acceptance (day <= %.0f ms median, >= %.0fx raw, same figures): %s"
        % (MAX_DAY_MS, MIN_RATIO, "ok" if ok else "NOT MET"))
    say(line)
    with open(out_path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return 0 if ok else 2


if __name__ == "__main__":
    sys.exit(main())
