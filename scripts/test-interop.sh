#!/usr/bin/env bash
# `npm run test:interop`: tests against third-party peers from Debian (Samba smbd, impacket,
# tshark, certbot, lego, certmonger, micromdm scep, MIT krb5). Installs the Debian packages when
# run as root; otherwise prints the apt-get line and stops.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/services.sh
trap eg_stop_started EXIT

[ -d node_modules/.bin ] || npm install --no-audit --no-fund
eg_install_peers
mkdir -p .enrollgate/test
eg_ensure_redis "$PWD/.enrollgate/test"
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
npx --no-install nx run-many -t build --parallel=2 --outputStyle=static >/dev/null

report=.enrollgate/test/jest-interop-report.json
set +e
ENROLLGATE_TEST_KIND=interop node --experimental-vm-modules --no-warnings=ExperimentalWarning node_modules/jest/bin/jest.js --ci --runInBand --passWithNoTests --json --outputFile="$report" "$@"
rc=$?
set -e
node scripts/lib/jest-summary.mjs "$report" | sed 's/^tests:/interop:/' || true
exit $rc
