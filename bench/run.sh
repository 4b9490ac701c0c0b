#!/usr/bin/env bash
# bench/run.sh: `make bench`. The redirect path of tracklink against nginx's
# `return 302` on the same machine in the same run, and what the link cache
# costs in memory. See bench/README.md for what is measured and how.
#
# Settings (environment):
#   BUILD                 build dir holding tracklink (default: build)
#   BENCH_DURATION        seconds per wrk run (default: 10)
#   BENCH_ROUNDS          alternating nginx/tracklink rounds per mode (default: 3)
#   BENCH_CONNECTIONS     wrk connections (default: 64; wrk uses 1 thread)
#   BENCH_LINKS           short links seeded and requested round-robin (default: 1000)
#   BENCH_NGINX_WORKERS   nginx worker_processes (default: 1, see README)
#   BENCH_THREADS         tracklink --threads (default: unset, one per core)
#   BENCH_CACHE_LINKS     entries for the cache memory figure (default: 1000000)
#   BENCH_PROFILE         auto (profile when a figure is below target), 1, 0
#   BENCH_STRICT          1: exit 2 when a ratio is below its floor
#   BENCH_ONLY            redirects: skip the cache, conversion, report and PostgreSQL benches
#   BENCH_PG_*            the PostgreSQL section: see bench/pg_commit.sh
# Output: the run on stdout and in bench/out/latest.log, the summary block in
# bench/out/latest.txt, the profile (when taken) in bench/out/profile.txt.
# Exits 1 when anything fails, in particular when a click is lost.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

BUILD=${BUILD:-build}
DURATION=${BENCH_DURATION:-10}
ROUNDS=${BENCH_ROUNDS:-3}
CONNS=${BENCH_CONNECTIONS:-64}
LINKS=${BENCH_LINKS:-1000}
NGINX_WORKERS=${BENCH_NGINX_WORKERS:-1}
THREADS=${BENCH_THREADS:-}
CACHE_LINKS=${BENCH_CACHE_LINKS:-1000000}
PROFILE=${BENCH_PROFILE:-auto}
STRICT=${BENCH_STRICT:-0}
ONLY=${BENCH_ONLY:-}

# Floors and targets of the issue: tracklink rps / nginx rps.
FLOOR_KA=0.6 TARGET_KA=0.8 FLOOR_CLOSE=0.8 FLOOR_SYNC=0.3

case "$BUILD" in /*) BIN="$BUILD/tracklink" ;; *) BIN="$ROOT/$BUILD/tracklink" ;; esac
OUT="$ROOT/bench/out"
if [ ! -x "$BIN" ]; then
    echo "bench: FAILED: $BIN not found: run 'make build' first (or set BUILD)" >&2
    exit 1
fi
mkdir -p "$OUT"
TMP=$(mktemp -d /tmp/tracklink-bench.XXXXXX)
LOG="$OUT/latest.log"
: >"$LOG"

NGINX_PID= TL_PID= PERF_PID=
FAILED=1

say() { printf '%s\n' "$*" | tee -a "$LOG"; }
die() {
    say "bench: FAILED: $*"
    exit 1
}

cleanup() {
    local pid
    for pid in $PERF_PID $TL_PID $NGINX_PID; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in $PERF_PID $TL_PID $NGINX_PID; do
        wait "$pid" 2>/dev/null || true
    done
    if [ "$FAILED" = 1 ]; then
        echo "bench: logs kept in $TMP" >&2
    else
        rm -rf "$TMP"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- tools ----

scripts/deps.sh wrk nginx-light curl || die "could not install wrk, nginx-light and curl"
command -v wrk >/dev/null || die "wrk is not installed"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || die "nginx is not installed"
command -v python3 >/dev/null || die "python3 is needed"
CC=${CC:-cc}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Waits until http://$1/$2 answers (any status); fails after 10 s or when
# the process $3 died.
wait_http() {
    local i
    for i in $(seq 100); do
        if curl -s -o /dev/null "http://$1$2" 2>/dev/null; then
            return 0
        fi
        kill -0 "$3" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

median() {
    printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {
        if (NR % 2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2 }'
}

# field NAME LINE: the value of NAME=value in a RESULT line.
field() {
    printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
ms() { awk -v u="$1" 'BEGIN { printf "%.1fms", u / 1000 }'; }
below() { awk -v r="$1" -v f="$2" 'BEGIN { exit !(r < f) }'; }

# ---- servers ----

start_nginx() {
    NGINX_PORT=$(free_port)
    mkdir -p "$TMP/nginx/logs" "$TMP/nginx/tmp"
    sed -e "s/@WORKERS@/$NGINX_WORKERS/" -e "s/@PORT@/$NGINX_PORT/" \
        -e "s#@PREFIX@#$TMP/nginx#g" bench/nginx.conf.in >"$TMP/nginx/nginx.conf"
    "$NGINX" -c "$TMP/nginx/nginx.conf" -p "$TMP/nginx" -g 'daemon off;' \
        >"$TMP/nginx/stdout.log" 2>&1 &
    NGINX_PID=$!
    wait_http "127.0.0.1:$NGINX_PORT" /x "$NGINX_PID" ||
        die "nginx did not start: $(cat "$TMP/nginx/stdout.log" "$TMP/nginx/logs/error.log" 2>/dev/null)"
}

# start_tracklink NAME DURABILITY: a fresh server on a fresh database,
# seeded with LINKS short links (codes in $TMP/NAME.codes), cache warmed.
start_tracklink() {
    local name=$1 durability=$2 warmed
    TL_PORT=$(free_port)
    TL_DB="$TMP/$name.db"
    ADMIN_KEY=bench-admin-$(python3 -c 'import secrets; print(secrets.token_hex(16))')
    local args=(serve --listen "127.0.0.1:$TL_PORT" --db "sqlite:$TL_DB"
                --click-durability "$durability")
    [ -n "$THREADS" ] && args+=(--threads "$THREADS")
    TRACKLINK_ADMIN_KEY=$ADMIN_KEY "$BIN" "${args[@]}" >"$TMP/$name.log" 2>&1 &
    TL_PID=$!
    wait_http "127.0.0.1:$TL_PORT" /healthz "$TL_PID" ||
        die "tracklink did not start: $(cat "$TMP/$name.log")"
    python3 bench/seed.py seed "127.0.0.1:$TL_PORT" "$ADMIN_KEY" "$LINKS" "$TMP/$name.codes" ||
        die "seeding $name failed (server log: $TMP/$name.log)"
    warmed=$(python3 bench/seed.py warm "127.0.0.1:$TL_PORT" "$TMP/$name.codes") ||
        die "warming the link cache failed"
    say "tracklink ($name, --click-durability $durability): seeded $LINKS short links;" \
        "link cache warmed with one pass over the codes ($warmed redirects)"
}

# The redirects tracklink says it answered (302 on GET /{code}).
redirects_answered() {
    curl -sf "http://127.0.0.1:$TL_PORT/metrics" |
        awk '/^tracklink_http_requests_total\{/ && /route="redirect.short"/ && /status="302"/ { n += $NF }
             END { printf "%d\n", n }'
}

# stop_tracklink NAME: SIGTERM (which drains the click queue), then checks
# that the click table holds one row per redirect answered.
stop_tracklink() {
    local name=$1 answered stored rc=0 i
    sleep 0.3 # let in-flight answers finish counting
    answered=$(redirects_answered) || die "GET /metrics failed"
    kill -TERM "$TL_PID"
    for i in $(seq 300); do
        kill -0 "$TL_PID" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$TL_PID" 2>/dev/null; then
        die "tracklink ($name) did not exit within 30 s of SIGTERM"
    fi
    wait "$TL_PID" || rc=$?
    TL_PID=
    [ "$rc" = 0 ] || die "tracklink ($name) exited $rc after SIGTERM: $(tail -5 "$TMP/$name.log")"
    stored=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM click").fetchone()[0])' "$TL_DB") ||
        die "cannot count clicks in $TL_DB"
    # More clicks than answers is no loss: in sync mode a click whose batch
    # was committing when wrk stopped is stored, but its client had left.
    local extra=$((stored > answered ? stored - answered : 0))
    say "clicks ($name): $answered redirects answered (/metrics), $stored clicks stored" \
        "($extra stored for clients that left before their answer)"
    if [ "$stored" -lt "$answered" ]; then
        say "clicks lost: $((answered - stored))"
        die "$name: $answered redirects answered but only $stored clicks stored"
    fi
}

# ---- measuring ----

# run_wrk URL CODES MODE(keepalive|close) LABEL: prints the RESULT line.
run_wrk() {
    local url=$1 codes=$2 mode=$3 label=$4 out res req err non
    local extra=()
    [ "$mode" = close ] && extra=(close)
    out=$(wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency -s bench/redirect.lua "$url" \
          -- "$codes" "${extra[@]}" 2>&1) || die "wrk failed against $label: $out"
    printf '%s\n' "----- $label $mode" "$out" >>"$TMP/wrk.log"
    res=$(printf '%s\n' "$out" | grep '^RESULT ' | tail -1)
    [ -n "$res" ] || die "no result from wrk against $label: $out"
    req=$(field requests "$res") err=$(field errors "$res") non=$(field non3xx "$res")
    [ "$non" = 0 ] || die "$label answered $non requests with a status other than 2xx/3xx"
    [ "$req" -gt 0 ] || die "$label answered no request"
    # Socket errors beyond 0.1 % make the figure meaningless.
    [ $((err * 1000)) -le "$req" ] || die "$label: $err socket errors in $req requests"
    printf '%s\n' "$res"
}

# measure KEY MODE: ROUNDS alternating rounds, nginx first; sets
# R_<KEY> to the summary line and RATIO_<KEY> to the median ratio.
measure() {
    local key=$1 mode=$2 label=$3 r ng tl nr tr
    local ng_rps=() tl_rps=() ng_p99=() tl_p99=() ratios=()
    for r in $(seq "$ROUNDS"); do
        ng=$(run_wrk "http://127.0.0.1:$NGINX_PORT" "$CODES" "$mode" nginx)
        tl=$(run_wrk "http://127.0.0.1:$TL_PORT" "$CODES" "$mode" tracklink)
        nr=$(field rps "$ng") tr=$(field rps "$tl")
        ng_rps+=("$nr") tl_rps+=("$tr")
        ng_p99+=("$(field p99_us "$ng")") tl_p99+=("$(field p99_us "$tl")")
        ratios+=("$(ratio "$tr" "$nr")")
        say "  $label round $r/$ROUNDS: tracklink $tr rps p99 $(ms "$(field p99_us "$tl")")," \
            "nginx $nr rps p99 $(ms "$(field p99_us "$ng")"), ratio ${ratios[-1]}"
    done
    local rt=$(median "${ratios[@]}")
    printf -v "RATIO_$key" '%s' "$rt"
    printf -v "R_$key" '%-21s tracklink %.0f rps, nginx %.0f rps, ratio %.2f (median of %d)  p99 %s / %s' \
        "redirect $label:" "$(median "${tl_rps[@]}")" "$(median "${ng_rps[@]}")" "$rt" "$ROUNDS" \
        "$(ms "$(median "${tl_p99[@]}")")" "$(ms "$(median "${ng_p99[@]}")")"
}

perf_works() {
    command -v perf >/dev/null && perf stat -e cpu-clock true >/dev/null 2>&1
}

# One extra keep-alive run on tracklink under perf (software clock: this
# VM has no hardware counters); the top 10 symbols go to the output.
profile_tracklink() {
    local secs=$DURATION
    [ "$secs" -gt 5 ] && secs=5
    if ! perf_works; then
        say "profile: perf does not work here; skipped"
        return 0
    fi
    perf record -e cpu-clock -F 1999 -g -p "$TL_PID" -o "$TMP/perf.data" >"$TMP/perf.log" 2>&1 &
    PERF_PID=$!
    sleep 0.5
    DURATION=$secs run_wrk "http://127.0.0.1:$TL_PORT" "$CODES" keepalive tracklink >/dev/null
    kill -INT "$PERF_PID" 2>/dev/null || true
    wait "$PERF_PID" 2>/dev/null || true
    PERF_PID=
    {
        echo "# perf record -e cpu-clock -g on tracklink during a ${secs}s keep-alive run"
        echo "# CPU by thread (MHD-worker: HTTP; tracklink: main and click writer)"
        perf report -i "$TMP/perf.data" --no-children --sort comm --stdio -g none 2>/dev/null |
            grep -v '^#' | grep -v '^$' | sed 's/^/#/'
        echo "# top symbols, self time (perf report --no-children --sort dso,sym)"
        perf report -i "$TMP/perf.data" --no-children --sort dso,sym --stdio -g none \
            --percent-limit 0.3 2>/dev/null | grep -v '^#' | grep -v '^$'
    } >"$OUT/profile.txt" || true
    say "profile (tracklink, keep-alive, self time, top 10; all in bench/out/profile.txt):"
    grep '^#  ' "$OUT/profile.txt" | sed 's/^#/  thread/' | tee -a "$LOG"
    grep -v '^#' "$OUT/profile.txt" | head -10 | sed 's/^/  /' | tee -a "$LOG"
}

# ---- the run ----

say "tracklink redirect bench: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $($BIN version 2>/dev/null || echo '?')"
say "wrk 1 thread, $CONNS connections, ${DURATION}s per run, $ROUNDS rounds alternating nginx/tracklink;" \
    "$LINKS short links requested round-robin"
start_nginx
say "nginx $("$NGINX" -v 2>&1 | sed 's#.*/##'), worker_processes $NGINX_WORKERS, return 302, on 127.0.0.1:$NGINX_PORT"

start_tracklink async async
CODES="$TMP/async.codes"
say "tracklink on 127.0.0.1:$TL_PORT, --threads ${THREADS:-default (one per core)}"
measure KA keepalive keep-alive
measure CLOSE close close

NEED_PROFILE=0
case "$PROFILE" in
    1) NEED_PROFILE=1 ;;
    auto) below "$RATIO_KA" "$TARGET_KA" && NEED_PROFILE=1
          below "$RATIO_CLOSE" "$FLOOR_CLOSE" && NEED_PROFILE=1 ;;
esac
[ "$NEED_PROFILE" = 1 ] && profile_tracklink
stop_tracklink async

start_tracklink sync sync
CODES="$TMP/sync.codes"
measure SYNC keepalive sync
stop_tracklink sync

if [ "$ONLY" = redirects ]; then
    say "== BENCH_ONLY=redirects =="
    say "$R_KA"
    say "$R_CLOSE"
    say "$R_SYNC"
    exit 0
fi

say "link cache: building bench/cache_rss.c"
"$CC" -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Isrc -o "$TMP/cache_rss" \
    bench/cache_rss.c src/track/cache.c src/core/arena.c \
    $(pkg-config --cflags --libs libsodium) -lpthread >"$TMP/cc.log" 2>&1 ||
    die "cannot build bench/cache_rss.c: $(cat "$TMP/cc.log")"
CACHE=$("$TMP/cache_rss" "$CACHE_LINKS") || die "cache_rss failed"
say "  $CACHE"
CACHE_LINE=$(printf 'link cache: %s bytes per link (%s links held of %s put; the cache itself accounts %s)' \
    "$(field bytes_per_link "$CACHE")" "$(field entries "$CACHE")" "$CACHE_LINKS" \
    "$(field accounted_per_link "$CACHE")")

verdict() {
    if below "$1" "$2"; then echo "BELOW FLOOR $2"; elif [ -n "${3:-}" ] && below "$1" "$3"; then
        echo "above floor $2, below target $3"; else echo "ok (floor $2${3:+, target $3})"; fi
}
{
    echo "== summary =="
    echo "$R_KA"
    echo "$R_CLOSE"
    echo "$R_SYNC"
    echo "clicks lost: 0"
    echo "$CACHE_LINE"
    echo "floors: keep-alive $(verdict "$RATIO_KA" $FLOOR_KA $TARGET_KA); close $(verdict "$RATIO_CLOSE" $FLOOR_CLOSE); sync $(verdict "$RATIO_SYNC" $FLOOR_SYNC)"
} >"$OUT/latest.txt"
say ""
cat "$OUT/latest.txt" | tee -a "$LOG"
{ BUILD="$BUILD" "$ROOT/bench/conversions.sh" || true; } 2>&1 | tee -a "$LOG" /dev/stderr | tail -n 1 >>"$OUT/latest.txt"
{ BUILD="$BUILD" "$ROOT/bench/reports.sh" || true; } 2>&1 | tee -a "$LOG" /dev/stderr | tail -n 1 >>"$OUT/latest.txt" # reports (h11)
# PostgreSQL: durable writes, pool vs group commit vs pipeline, as ratios to a naive loop
{ BUILD="$BUILD" "$ROOT/bench/pg_commit.sh" || true; } 2>&1 | tee -a "$LOG" /dev/stderr | tail -n 1 >>"$OUT/latest.txt"

FAILED=0
if [ "$STRICT" = 1 ] && { below "$RATIO_KA" $FLOOR_KA || below "$RATIO_CLOSE" $FLOOR_CLOSE ||
                          below "$RATIO_SYNC" $FLOOR_SYNC; }; then
    exit 2
fi
exit 0
