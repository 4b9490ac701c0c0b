#!/usr/bin/env bash
# bench/reports.sh: how fast GET /api/v1/reports answers on a big database,
# against the same figures computed by a GROUP BY over the raw click table.
# Called at the end of bench/run.sh; runs alone too.
#
# 1. Loads REPORTS_CLICKS clicks over REPORTS_DAYS days with
#    `tracklink admin load-demo` into bench/out/reports.db, unless that file
#    exists from an earlier run with the same parameters and schema
#    (bench/out/reports.params), in which case it is reused.
# 2. Serves it, and measures (bench/reports.py) the report of ONE campaign
#    (the busiest) over the whole span for every group_by: median and p95 of
#    REPORTS_REQUESTS requests after a warm-up. Then the raw GROUP BY over
#    click (clicks and unique clicks per day of that campaign) on the same
#    file, whose figures must equal the report's.
# Acceptance: group_by=day <= 50 ms median and >= 100x faster than raw.
#
# Settings (environment): BUILD (default build), REPORTS_CLICKS (10000000),
# REPORTS_DAYS (90), REPORTS_CAMPAIGNS (20), REPORTS_PARTNERS (500),
# REPORTS_SEED (42), REPORTS_REQUESTS (21), REPORTS_FRESH=1 to reload,
# REPORTS_OUT (bench/out) for the database and the results.
# Output: bench/out/reports.txt (all figures) and one summary line:
#   reports day: 12.3 ms median (raw GROUP BY 2345 ms, 190x)
# Exits 1 on failure, 2 when the acceptance is not met.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

BUILD=${BUILD:-build}
CLICKS=${REPORTS_CLICKS:-10000000}
DAYS=${REPORTS_DAYS:-90}
CAMPAIGNS=${REPORTS_CAMPAIGNS:-20}
PARTNERS=${REPORTS_PARTNERS:-500}
SEED=${REPORTS_SEED:-42}
REQUESTS=${REPORTS_REQUESTS:-21}

case "$BUILD" in /*) BIN="$BUILD/tracklink" ;; *) BIN="$ROOT/$BUILD/tracklink" ;; esac
[ -x "$BIN" ] || { echo "reports.sh: no $BIN (build first)" >&2; exit 1; }
OUT=${REPORTS_OUT:-$ROOT/bench/out}
mkdir -p "$OUT"
DB="$OUT/reports.db"
SUMMARY="$OUT/reports.json"
PARAMS_FILE="$OUT/reports.params"

# The schema is part of the cache key: a database loaded under other
# migrations would not show what this build does.
SCHEMA=$(cat src/store/migrations/sqlite/*.sql | sha256sum | cut -c1-16)
PARAMS="clicks=$CLICKS days=$DAYS campaigns=$CAMPAIGNS partners=$PARTNERS seed=$SEED schema=$SCHEMA"

if [ "${REPORTS_FRESH:-0}" != 1 ] && [ -f "$DB" ] && [ -s "$SUMMARY" ] &&
    [ "$(cat "$PARAMS_FILE" 2>/dev/null)" = "$PARAMS" ]; then
    echo "reports.sh: reusing $DB ($PARAMS)"
else
    echo "reports.sh: loading $PARAMS into $DB"
    rm -f "$DB" "$DB-wal" "$DB-shm" "$SUMMARY" "$PARAMS_FILE"
    "$BIN" admin load-demo --db "sqlite:$DB" --clicks "$CLICKS" --days "$DAYS" \
        --campaigns "$CAMPAIGNS" --partners "$PARTNERS" --seed "$SEED" >"$SUMMARY.tmp"
    mv "$SUMMARY.tmp" "$SUMMARY"
    echo "$PARAMS" >"$PARAMS_FILE"
fi

set +e
python3 "$ROOT/bench/reports.py" "$BIN" "$DB" "$SUMMARY" "$REQUESTS" "$OUT/reports.txt"
rc=$?
set -e
exit $rc
