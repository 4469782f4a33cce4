#!/usr/bin/env bash
# lego's `exec` DNS provider (EXEC_PATH) backed by pebble-challtestsrv's management API:
#   lego-dns-exec.sh present|cleanup FQDN VALUE
# CHALLTESTSRV_MANAGEMENT=http://127.0.0.1:PORT names the management endpoint.
set -euo pipefail
mgmt=${CHALLTESTSRV_MANAGEMENT:?CHALLTESTSRV_MANAGEMENT=http://127.0.0.1:PORT}
case ${1:-} in
  present) curl -fsS -X POST "$mgmt/set-txt" -d "{\"host\":\"$2\",\"value\":\"$3\"}" ;;
  cleanup) curl -fsS -X POST "$mgmt/clear-txt" -d "{\"host\":\"$2\"}" ;;
  timeout) echo '{"timeout": 30, "interval": 1}' ;;
  *) echo "usage: $0 present|cleanup FQDN VALUE" >&2; exit 2 ;;
esac
