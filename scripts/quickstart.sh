#!/usr/bin/env bash
# `npm run quickstart`: the whole service on one machine with the embedded defaults —
# SQLite under ./.enrollgate, a Redis (reused or started), the simulated AD CS (adcs-sim), the
# MS-ICPR worker, acme-api and scep-api. A second run reuses the state. Ctrl-C stops everything
# this script started (and nothing else).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/services.sh

STATE=$PWD/.enrollgate
mkdir -p "$STATE/logs" "$STATE/adcs-sim"

cleanup() {
  trap - INT TERM EXIT
  eg_log "stopping"
  eg_stop_started
}
trap cleanup INT TERM EXIT

node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || { eg_log "Node >= 20.19 is required (found $(node --version))"; exit 1; }
[ -d node_modules/.bin ] || { eg_log "installing npm dependencies"; npm install --no-audit --no-fund; }
eg_log "building"
npx --no-install nx run-many -t build --parallel=2 --outputStyle=static >/dev/null

eg_ensure_redis "$STATE"
export DATABASE_URL=${DATABASE_URL:-sqlite:$STATE/enrollgate.db}
export QUEUE_PREFIX=${QUEUE_PREFIX:-enrollgate}
node libs/store/dist/cli.js migrate --url "$DATABASE_URL"

# Generated credentials for the simulated domain, made once and kept in the state directory.
CRED=$STATE/credentials.env
rand() { node -e 'console.log(require("crypto").randomBytes(18).toString("base64url"))'; }
if [ ! -f "$CRED" ]; then
  umask 077
  printf 'WCCE_USER=enrollgate\nWCCE_PASSWORD=%s\n' "$(rand)" > "$CRED"
fi
# SCEP: a static challenge password and the NDES-style admin page's account (added once).
if ! grep -q '^SCEP_CHALLENGE_PASSWORD=' "$CRED"; then
  (umask 077; printf 'SCEP_CHALLENGE_PASSWORD=%s\nSCEP_ADMIN_USER=admin\nSCEP_ADMIN_PASSWORD=%s\n' "$(rand)" "$(rand)" >> "$CRED")
fi
# shellcheck disable=SC1090
. "$CRED"

SIM_SMB=${SIM_SMB:-127.0.0.1:4445}
SIM_ADMIN=${SIM_ADMIN:-127.0.0.1:4446}
WORKER_LISTEN=${WORKER_LISTEN:-127.0.0.1:4200}
ACME_LISTEN=${ACME_LISTEN:-127.0.0.1:4000}
SCEP_LISTEN=${SCEP_LISTEN:-127.0.0.1:4100}

start() { # name command...
  local name=$1; shift
  "$@" >"$STATE/logs/$name.log" 2>&1 &
  EG_STARTED_PIDS="$EG_STARTED_PIDS $!"
  eg_log "started $name (pid $!), log: .enrollgate/logs/$name.log"
}

wait_ready() { # name url
  for _ in $(seq 1 150); do
    if node -e 'fetch(process.argv[1]).then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))' "$2"; then return 0; fi
    sleep 0.2
  done
  eg_log "$1 did not become ready at $2; last log lines:"; tail -20 "$STATE/logs/$1.log" >&2; return 1
}

start adcs-sim node apps/adcs-sim/dist/main.js --listen "$SIM_SMB" --admin-listen "$SIM_ADMIN" \
  --state-dir "$STATE/adcs-sim" --domain TEST --ca-name enrollgate-sim-CA --user "$WCCE_USER:$WCCE_PASSWORD"
wait_ready adcs-sim "http://$SIM_ADMIN/readyz"

WCCE_HOST=$SIM_SMB WCCE_CA_NAME=enrollgate-sim-CA WCCE_TARGET_DOMAIN=TEST WCCE_USER=$WCCE_USER WCCE_PASSWORD=$WCCE_PASSWORD \
  WCCE_CA_BUNDLE=$STATE/adcs-sim/ca.pem WORKER_LISTEN=$WORKER_LISTEN \
  start wcce-worker node apps/wcce-worker/dist/main.js
ACME_LISTEN=$ACME_LISTEN ACME_PUBLIC_URL=${ACME_PUBLIC_URL:-http://$ACME_LISTEN} start acme-api node apps/acme-api/dist/main.js
SCEP_LISTEN=$SCEP_LISTEN SCEP_RA_DIR=$STATE/scep-ra SCEP_CHALLENGE_PASSWORD=$SCEP_CHALLENGE_PASSWORD \
  SCEP_ADMIN_USER=$SCEP_ADMIN_USER SCEP_ADMIN_PASSWORD=$SCEP_ADMIN_PASSWORD \
  start scep-api node apps/scep-api/dist/main.js
wait_ready wcce-worker "http://$WORKER_LISTEN/readyz"
wait_ready acme-api "http://$ACME_LISTEN/readyz"
wait_ready scep-api "http://$SCEP_LISTEN/readyz"

# The SCEP RA certificates are enrolled from the simulated CA through the worker at first start.
THUMBPRINT=
for _ in $(seq 1 100); do
  THUMBPRINT=$(node -e 'fetch(process.argv[1]).then(r=>r.ok?r.json():{}).then(j=>console.log(j.caThumbprint??""),()=>console.log(""))' "http://$SCEP_LISTEN/api/scep/ca-thumbprint")
  [ -n "$THUMBPRINT" ] && break
  sleep 0.2
done

cat <<INFO

enrollgate is running (state in .enrollgate/, Ctrl-C stops it):
  ACME directory   http://$ACME_LISTEN/directory
  SCEP             http://$SCEP_LISTEN/scep   (NDES path: /certsrv/mscep/mscep.dll)
                   CAThumbprint ${THUMBPRINT:-not ready yet: GET /api/scep/ca-thumbprint}
                   challenge password $SCEP_CHALLENGE_PASSWORD; one-time ones at /certsrv/mscep_admin/ (user $SCEP_ADMIN_USER, password $SCEP_ADMIN_PASSWORD)
  adcs-sim SMB     $SIM_SMB   (MS-ICPR on \\pipe\\cert, CA "enrollgate-sim-CA", domain TEST)
  adcs-sim admin   http://$SIM_ADMIN   (CA certificate: .enrollgate/adcs-sim/ca.pem)
  worker health    http://$WORKER_LISTEN/readyz   metrics: /metrics on every port above
  Redis            $REDIS_URL
  database         $DATABASE_URL
  credentials      user $WCCE_USER, password $WCCE_PASSWORD  (from .enrollgate/credentials.env)

INFO
wait
