#!/usr/bin/env bash
# Installs what the browser tests (tests/ui/) need: Debian's chromium and a
# Japanese font (the screenshots), Node.js when there is none, and the npm
# packages that package-lock.json pins (npm ci, run again only when
# node_modules is missing or the lock file changed since). Quiet when all
# is there.
set -euo pipefail
cd "$(dirname "$0")/.."

extra=(chromium fonts-ipafont-gothic)
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    extra+=(nodejs npm)
fi
scripts/deps.sh "${extra[@]}"

stamp=node_modules/.tracklink-lock
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || [ ! -d node_modules/playwright-core ]; then
    echo "ui-deps: npm ci" >&2
    npm ci --no-audit --no-fund --loglevel=error >/dev/null
    echo "$want" > "$stamp"
fi
