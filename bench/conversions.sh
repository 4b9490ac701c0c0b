#!/usr/bin/env bash
# conversions.sh: durable conversions per second with 32 concurrent clients,
# against a naive loop that pays one transaction and one fsync per write,
# measured in the same run on the same disk. Called by bench/run.sh; also
# runs alone: BUILD=build bench/conversions.sh
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
case "$BUILD" in /*) BIN="$BUILD/tracklink" ;; *) BIN="$ROOT/$BUILD/tracklink" ;; esac
DURATION=${BENCH_DURATION:-10}
CLIENTS=${BENCH_CONVERSION_CLIENTS:-32}
OUT="$ROOT/bench/out"
mkdir -p "$OUT"
TMP=$(mktemp -d "$ROOT/bench/out/conversions.XXXXXX") # the same disk as the naive loop
PID=

cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "== durable conversions: tracklink (group commit) vs a naive one-fsync-per-write loop"
PORT=$(free_port)
KEY=bench-admin-key
TRACKLINK_ADMIN_KEY=$KEY "$BIN" serve --listen "127.0.0.1:$PORT" --db "sqlite:$TMP/c.db" \
    2>"$TMP/server.log" &
PID=$!
for _ in $(seq 100); do
    curl -sf "127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done
python3 bench/conversions.py clicks "127.0.0.1:$PORT" "$KEY" 2000 "$TMP/clicks"
out=$(wrk -t1 -c"$CLIENTS" -d"${DURATION}s" -s bench/conversions.lua \
      "http://127.0.0.1:$PORT" -- "$TMP/clicks" "$((DURATION * 80000))" 2>&1)
line=$(printf '%s\n' "$out" | grep '^RESULT') || { echo "$out"; exit 1; }
rps=$(printf '%s\n' "$line" | sed 's/.*rps=\([0-9]*\).*/\1/')
p99=$(printf '%s\n' "$line" | sed 's/.*p99_us=\([0-9]*\).*/\1/')
bad=$(printf '%s\n' "$line" | sed 's/.*non2xx=\([0-9]*\).*/\1/')
echo "  tracklink: $line"
[ "$bad" = 0 ] || { echo "conversions: $bad requests failed"; tail -20 "$TMP/server.log"; exit 1; }
kill "$PID" && wait "$PID" 2>/dev/null || true
PID=
naive=$(python3 bench/conversions.py naive "$TMP/naive.db" "$DURATION")
echo "  $naive"
nrate=$(printf '%s\n' "$naive" | sed 's/.*= \([0-9]*\) writes.*/\1/')
ratio=$(python3 -c "print('%.1f' % ($rps / max($nrate, 1)))")
echo "conversions: tracklink $rps/s with $CLIENTS clients (p99 $((p99 / 1000)) ms), naive loop $nrate/s, ratio ${ratio}x (floor 5x, target 20x)"
