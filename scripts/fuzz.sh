#!/usr/bin/env bash
# Runs the libFuzzer drivers of a fuzz build (make fuzz, docs/fuzzing.md).
#
#   scripts/fuzz.sh run BUILD SECONDS   each driver for SECONDS, under nice -n 19,
#                                       FUZZ_JOBS (default 1, at most 2) at once
#   scripts/fuzz.sh merge BUILD         adds what the runs found that reaches new
#                                       code to fuzz/corpus/<driver>/
# FUZZ_DRIVERS="router url" picks drivers (default: every BUILD/fuzz/fuzz_*).
# New inputs, crashes and logs go to BUILD/fuzz-out/<driver>/; each run ends
# with one line: the driver, its executions per second and its coverage.
set -euo pipefail

cmd=${1:?run or merge}
build=${2:?build dir}
secs=${3:-600}
jobs=${FUZZ_JOBS:-1}
[ "$jobs" -gt 2 ] && jobs=2
out="$build/fuzz-out"

drivers=()
if [ -n "${FUZZ_DRIVERS:-}" ]; then
    for d in $FUZZ_DRIVERS; do drivers+=("$d"); done
else
    for exe in "$build"/fuzz/fuzz_*; do
        [ -x "$exe" ] && [ -f "$exe" ] && drivers+=("${exe##*/fuzz_}")
    done
fi

run_one() {
    local d=$1 exe="$build/fuzz/fuzz_$1" dict=() log
    mkdir -p "$out/$d/new" "$out/$d/crashes"
    [ -f "fuzz/$d.dict" ] && dict=(-dict="fuzz/$d.dict")
    log="$out/$d/run.log"
    if nice -n 19 "$exe" -max_total_time="$secs" -timeout=25 -print_final_stats=1 \
        -artifact_prefix="$out/$d/crashes/" "${dict[@]}" "$out/$d/new" "fuzz/corpus/$d" \
        >"$log" 2>&1; then
        status=ok
    else
        status="CRASH (see $out/$d/crashes/ and $log)"
    fi
    # the last status line: "#N DONE cov: X ft: Y corp: ... exec/s: Z ..."
    local last
    last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
    printf '%-10s %s  %s\n' "$d" "$status" \
        "$(echo "$last" | grep -oE '(cov|ft|exec/s): [0-9]+' | tr '\n' ' ')"
    [ "$status" = ok ]
}

case $cmd in
run)
    fail=0
    running=0
    for d in "${drivers[@]}"; do
        run_one "$d" &
        running=$((running + 1))
        if [ "$running" -ge "$jobs" ]; then
            wait -n || fail=1
            running=$((running - 1))
        fi
    done
    while [ "$running" -gt 0 ]; do
        wait -n || fail=1
        running=$((running - 1))
    done
    exit $fail
    ;;
merge)
    for d in "${drivers[@]}"; do
        [ -d "$out/$d/new" ] || continue
        before=$(ls "fuzz/corpus/$d" | wc -l)
        nice -n 19 "$build/fuzz/fuzz_$d" -merge=1 "fuzz/corpus/$d" "$out/$d/new" \
            >"$out/$d/merge.log" 2>&1
        echo "$d: $before -> $(ls "fuzz/corpus/$d" | wc -l) inputs in fuzz/corpus/$d"
    done
    ;;
*)
    echo "usage: $0 run BUILD SECONDS | merge BUILD" >&2
    exit 2
    ;;
esac
