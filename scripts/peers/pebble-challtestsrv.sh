#!/usr/bin/env bash
# pebble-challtestsrv (Debian `pebble`) as the DNS server of ACME interop tests: answers A
# 127.0.0.1 for every name and TXT records set through its management API (lego dns-01 uses
# lego-dns-exec.sh below). Binds only what it is given: challtestsrv's defaults listen on every
# interface (:5002 :5003 :5001 :8053 :8055), so they are always passed explicitly.
#
#   scripts/peers/pebble-challtestsrv.sh DNS_PORT MANAGEMENT_PORT     (runs in the foreground)
set -euo pipefail
command -v pebble-challtestsrv >/dev/null || { echo "pebble-challtestsrv missing: apt-get install -y pebble" >&2; exit 1; }
dns_port=${1:?DNS port}
mgmt_port=${2:?management port}
exec pebble-challtestsrv -dns01 "127.0.0.1:$dns_port" -http01 '' -https01 '' -tlsalpn01 '' \
  -management "127.0.0.1:$mgmt_port" -defaultIPv4 127.0.0.1 -defaultIPv6 ''
