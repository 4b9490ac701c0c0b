#!/usr/bin/env bash
# pg_commit.sh: the PostgreSQL section of `make bench`, durable
# conversion-like writes with 32 clients: a pool of connections, a group
# commit writer (statement by statement, and in libpq's pipeline mode),
# each as a ratio to the naive one-transaction-per-write loop, measured in
# the same run on a throwaway PostgreSQL (tests/lib/pg.py, fsync on) on
# this machine. bench/pg_commit.c says what each mode does. Called by
# bench/run.sh; also runs alone: BUILD=build bench/pg_commit.sh
# Then click batches (bench/pg_clicks.c): multi-row VALUES, unnest arrays
# and COPY, each returning the rows actually inserted.
# Settings: BENCH_PG_SECONDS per mode and round (5), BENCH_PG_ROUNDS (3),
# BENCH_PG_CLIENTS (32), BENCH_PG_CAMPAIGNS (4: how spread the rollup rows
# are), BENCH_PG_CLICK_BATCHES (20 batches per way and round).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
case "$BUILD" in /*) B="$BUILD" ;; *) B="$ROOT/$BUILD" ;; esac
SECS=${BENCH_PG_SECONDS:-5}
ROUNDS=${BENCH_PG_ROUNDS:-3}
CLIENTS=${BENCH_PG_CLIENTS:-32}
TMP=$(mktemp -d /tmp/tracklink-pgbench.XXXXXX)
PG_PID=

cleanup() {
    if [ -n "$PG_PID" ]; then
        kill -TERM "$PG_PID" 2>/dev/null || true
        wait "$PG_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== PostgreSQL: durable conversion-like writes, $CLIENTS clients, pool / group / pipeline vs a naive loop"
for exe in pg_probe pg_commit pg_clicks; do
    [ -x "$B/$exe" ] || { echo "pg_commit: $B/$exe not built (make build)"; exit 1; }
done
python3 tests/lib/pg.py >"$TMP/url" 2>"$TMP/pg.log" &
PG_PID=$!
for _ in $(seq 600); do
    [ -s "$TMP/url" ] && break
    kill -0 "$PG_PID" 2>/dev/null || { echo "pg_commit: PostgreSQL did not start: $(cat "$TMP/pg.log")"; exit 1; }
    sleep 0.1
done
URL=$(head -1 "$TMP/url")
[ -n "$URL" ] || { echo "pg_commit: PostgreSQL did not start in 60 s"; exit 1; }
"$B/pg_probe" migrate "$URL" >/dev/null
out=$("$B/pg_commit" "$URL" "$SECS" "$CLIENTS" "$ROUNDS")
printf '%s\n' "$out" | grep -v '^RESULT\|^BEST' | sed 's/^/  /'
res() { printf '%s\n' "$out" | grep "^RESULT mode=$1 " | sed 's/.*rate=\([0-9]*\).*per_commit=\([0-9.]*\).*ratio=\([0-9.]*\).*/\1\/s (\2 per commit) \3x/'; }
best=$(printf '%s\n' "$out" | grep '^BEST' | sed 's/BEST mode=\([^ ]*\) ratio=\([0-9.]*\).*/\1 \2x/')
commits="naive $(res naive | sed 's/ (.*//'); pool-8 $(res pool-8); group $(res group); pipeline $(res pipeline); engine $(res engine); engine-2 $(res engine-2); best: $best"
echo "postgres commits ($CLIENTS clients, median of $ROUNDS): $commits"

echo "== PostgreSQL: click batches of 2,000 in one transaction: multi-row VALUES vs unnest arrays vs COPY"
cout=$("$B/pg_clicks" "$URL" "${BENCH_PG_CLICK_BATCHES:-20}" "$ROUNDS")
printf '%s\n' "$cout" | grep -v '^RESULT' | sed 's/^/  /'
cres() { printf '%s\n' "$cout" | grep "^RESULT way=$1 " | sed 's/.*clicks_per_s=\([0-9]*\).*ratio=\([0-9.]*\).*/\1\/s (\2x)/'; }
clicks="values $(cres values), unnest $(cres unnest), copy $(cres copy)"
echo "postgres clicks (median of $ROUNDS): $clicks"
echo "postgres: commits with $CLIENTS clients: $commits | click batches: $clicks"
