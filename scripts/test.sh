#!/usr/bin/env bash
# `npm test`: everything the unit and integration suites need, then the suites.
# Works on a fresh Debian machine with Node 20: installs npm dependencies when missing, uses the
# Redis at REDIS_URL / 127.0.0.1:6379 or starts redis-server on a free port (installing Debian's
# package when root), and uses PostgreSQL at DATABASE_URL / 127.0.0.1:5432 (when CI=true it must
# be reachable; otherwise its cases are skipped with a printed reason).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/services.sh
trap eg_stop_started EXIT

[ -d node_modules/.bin ] || { eg_log "installing npm dependencies"; npm install --no-audit --no-fund; }
mkdir -p .enrollgate/test
eg_ensure_redis "$PWD/.enrollgate/test"
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}

eg_log "build"
npx --no-install nx run-many -t build --parallel=2 --outputStyle=static >/dev/null
eg_log "typecheck"
npx --no-install tsc -p tsconfig.json
eg_log "lint"
npx --no-install eslint --max-warnings 0 .
npx --no-install prettier --check --log-level warn "libs/**/*.ts" "apps/**/*.ts" "test/**/*.ts" "bench/**/*.ts"

report=.enrollgate/test/jest-report.json
set +e
node --experimental-vm-modules --no-warnings=ExperimentalWarning node_modules/jest/bin/jest.js --ci --json --outputFile="$report" "$@"
rc=$?
set -e
node scripts/lib/jest-summary.mjs "$report" || true
exit $rc
