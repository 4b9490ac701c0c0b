#!/usr/bin/env bash
# Installs the Debian packages tracklink needs to build and test, when any
# is missing. Idempotent, and quiet when everything is already there.
# wrk is for the tests that put a redirect load on the server; postgresql
# (the server: initdb, pg_ctl, psql) for the tests that run tracklink on a
# throwaway PostgreSQL (tests/lib/pg.py); clang and libclang-rt-dev
# (libFuzzer, the sanitizers' runtimes) for fuzz/. Extra package
# names may be given as arguments (bench/ adds nginx and curl).
set -euo pipefail

pkgs=(gcc make pkg-config meson ninja-build python3
      libmicrohttpd-dev libjansson-dev libsodium-dev libcurl4-openssl-dev
      libsqlite3-dev libpq-dev libqrencode-dev libcmocka-dev node-llhttp tzdata
      wrk postgresql clang libclang-rt-dev "$@")

missing=()
for p in "${pkgs[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        # python3 may come from elsewhere (pyenv); only a missing command counts.
        if [ "$p" = python3 ] && command -v python3 >/dev/null; then
            continue
        fi
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
sudo=
[ "$(id -u)" -ne 0 ] && sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done" >&2
