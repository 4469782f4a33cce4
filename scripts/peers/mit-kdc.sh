#!/usr/bin/env bash
# Throw-away MIT KDC (Debian krb5-kdc) on 127.0.0.1, for the libs/wcce Kerberos interop tests.
#
#   scripts/peers/mit-kdc.sh start DIR   -> realm DB, principals, keytabs, krb5kdc under DIR; prints DIR/env
#   scripts/peers/mit-kdc.sh stop DIR    -> kills only the krb5kdc whose PID is in DIR/krb5kdc.pid
#
# Environment (optional): KDC_PORT (default: a free port), KRB_REALM (TEST.LOCAL),
# KRB_HOST (ca.test.local), KRB_USER (alice), KRB_PASSWORD (Passw0rd!).
# Principals: $KRB_USER (+requires_preauth), nopreauth (same password, no preauth),
# cifs/$KRB_HOST and host/$KRB_HOST (keytab DIR/service.keytab), and DIR/user.keytab for $KRB_USER.
# Nothing under /etc is touched: KRB5_CONFIG / KRB5_KDC_PROFILE point into DIR.
# Installs nothing: if krb5kdc is missing it prints the apt command and exits 3.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
if [[ -z "$cmd" || -z "$dir" ]]; then
  echo "usage: $0 start|stop DIR" >&2
  exit 2
fi

if [[ "$cmd" == stop ]]; then
  if [[ -f "$dir/krb5kdc.pid" ]]; then
    pid=$(cat "$dir/krb5kdc.pid")
    # Only our own KDC: its command line names our private kdc.conf via the environment file check.
    if [[ -r "/proc/$pid/environ" ]] && tr '\0' '\n' < "/proc/$pid/environ" | grep -qxF "KRB5_KDC_PROFILE=$dir/kdc.conf"; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$dir/krb5kdc.pid"
  fi
  exit 0
fi
[[ "$cmd" == start ]] || { echo "unknown command $cmd" >&2; exit 2; }

for tool in krb5kdc kdb5_util kadmin.local kinit; do
  if ! command -v "$tool" >/dev/null 2>&1 && [[ ! -x "/usr/sbin/$tool" ]]; then
    echo "missing $tool: apt-get update && apt-get install -y krb5-kdc krb5-admin-server krb5-user" >&2
    exit 3
  fi
done
export PATH="$PATH:/usr/sbin"

realm=${KRB_REALM:-TEST.LOCAL}
host=${KRB_HOST:-ca.test.local}
user=${KRB_USER:-alice}
password=${KRB_PASSWORD:-Passw0rd!}
port=${KDC_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}

mkdir -p "$dir"
rm -f "$dir"/principal* "$dir/stash" "$dir"/*.keytab "$dir/ccache"
export KRB5_CONFIG=$dir/krb5.conf KRB5_KDC_PROFILE=$dir/kdc.conf KRB5CCNAME=FILE:$dir/ccache
lower_realm=$(echo "$realm" | tr 'A-Z' 'a-z')
cat > "$dir/krb5.conf" <<CONF
[libdefaults]
    default_realm = $realm
    dns_lookup_kdc = false
    dns_lookup_realm = false
    rdns = false
    udp_preference_limit = 1
[realms]
    $realm = {
        kdc = 127.0.0.1:$port
    }
[domain_realm]
    .$lower_realm = $realm
    $lower_realm = $realm
CONF
cat > "$dir/kdc.conf" <<CONF
[kdcdefaults]
    kdc_listen = 127.0.0.1:$port
    kdc_tcp_listen = 127.0.0.1:$port
[realms]
    $realm = {
        database_name = $dir/principal
        key_stash_file = $dir/stash
        acl_file = $dir/kadm5.acl
        max_life = 10h 0m 0s
        max_renewable_life = 7d 0h 0m 0s
        supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
    }
[logging]
    kdc = FILE:$dir/kdc.log
CONF
: > "$dir/kadm5.acl"
kdb5_util -r "$realm" create -s -P "master-$RANDOM$RANDOM" >/dev/null
kadmin.local -q "addprinc +requires_preauth -maxrenewlife 7d -pw $password $user" >/dev/null 2>&1
kadmin.local -q "addprinc -pw $password nopreauth" >/dev/null 2>&1
kadmin.local -q "modprinc -maxrenewlife 7d krbtgt/$realm" >/dev/null 2>&1
kadmin.local -q "addprinc -randkey host/$host" >/dev/null 2>&1
kadmin.local -q "addprinc -randkey cifs/$host" >/dev/null 2>&1
kadmin.local -q "ktadd -k $dir/service.keytab host/$host cifs/$host" >/dev/null 2>&1
# -norandkey keeps the user's password key (so password, keytab and ccache logins all work).
kadmin.local -q "ktadd -norandkey -k $dir/user.keytab $user" >/dev/null 2>&1

krb5kdc -n -P "$dir/krb5kdc.pid.kdc" > "$dir/krb5kdc.out" 2>&1 &
echo $! > "$dir/krb5kdc.pid"
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.05
done
(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "krb5kdc did not start; see $dir/kdc.log" >&2; exit 1; }

cat > "$dir/env" <<ENV
KDC_HOST=127.0.0.1
KDC_PORT=$port
KRB_REALM=$realm
KRB_HOST=$host
KRB_USER=$user
KRB_PASSWORD=$password
KRB5_CONFIG=$dir/krb5.conf
KRB5_KDC_PROFILE=$dir/kdc.conf
SERVICE_KEYTAB=$dir/service.keytab
USER_KEYTAB=$dir/user.keytab
PID=$(cat "$dir/krb5kdc.pid")
ENV
cat "$dir/env"
