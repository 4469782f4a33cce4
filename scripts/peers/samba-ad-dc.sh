#!/usr/bin/env bash
# Throw-away Samba AD DC (realm TEST.LOCAL, domain TEST, DC dc1.test.local) in a private network
# namespace, for the libs/wcce Kerberos interop tests and the Kerberos end-to-end run.
#
#   scripts/peers/samba-ad-dc.sh start DIR   provision in DIR, start samba in the namespace, create the
#                                            accounts, export keytabs, kinit; writes DIR/env (KEY=VALUE)
#   scripts/peers/samba-ad-dc.sh stop DIR    end what start started, by PID; delete the namespace
#   scripts/peers/samba-ad-dc.sh exec DIR -- CMD...   run CMD inside the namespace (dc1/ca.test.local resolve)
#
# Network: namespace $ADDC_NETNS (default enrollgate-ad) with lo and a veth pair whose both ends live
# inside it (egad0 10.213.77.1/24 = the DC's address, egad1 10.213.77.2/24). No address is added,
# and no route changed, outside the namespace; nothing in it can reach the outside. The host-side test
# processes reach the KDC (88) and SMB (445) through socat relays: in the namespace UNIX-LISTEN on a
# socket under DIR -> TCP 10.213.77.1:PORT; on the host TCP-LISTEN on 127.0.0.1:<free port> ->
# that socket (pathname sockets are not tied to a network namespace). DIR/env names the host ports.
#
# Accounts: user svc-enroll / Enr0ll-Passw0rd! (no expiry; DIR/user.keytab with its keys; DIR/user.ccache
# from MIT kinit), computer CA$ (AES only) with SPNs host/ca.test.local, cifs/ca.test.local, HOST/CA
# and DIR/ca.keytab for a separate service (our simulated CA); DIR/dc.keytab (DC1$) for tshark.
#
# Needs (Debian 12, root): samba samba-ad-dc winbind krb5-user socat python3-samba
#   (apt-get install -y --no-install-recommends samba-ad-dc winbind krb5-user socat)
# Exit 3 when a tool is missing (the tests then skip, or fail under CI=true).
# Nothing under /etc, /run or /var is written: the DC lives in DIR; /run/samba, /var/{log,lib,cache}/samba
# and /etc/hosts are overlaid only inside the namespace's private mount namespace (bind mounts that go
# with the processes). Recipe and pitfalls: ../shared/research/samba-ad-dc.md.
set -euo pipefail
CMD=${1:-}; DIR=${2:-}
if [[ -z "$CMD" || -z "$DIR" ]]; then echo "usage: $0 start|stop|exec DIR [-- CMD...]" >&2; exit 2; fi
shift 2; [[ "${1:-}" == "--" ]] && shift
DIR=$(realpath -m "$DIR")
NS=${ADDC_NETNS:-enrollgate-ad}
DC_IP=10.213.77.1; PEER_IP=10.213.77.2
REALM=TEST.LOCAL; DOMAIN=TEST; DC=DC1; DC_FQDN=dc1.test.local; CA=CA; CA_FQDN=ca.test.local
ADMIN_PASS='Adm1n-Passw0rd!'; USER=svc-enroll; USER_PASS='Enr0ll-Passw0rd!'
CA_PASS='Ca-Machine-Passw0rd-0123456789!'
MARK="$DIR/.samba_ad_dc"
export PATH="$PATH:/usr/sbin:/sbin"
nsx() { ip netns exec "$NS" "$@"; }
nsh() { ip netns exec "$NS" sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' "$DIR/hosts" "$@"; }
ours_pid() {  # pid is alive and its command line names DIR
  [[ -n "${1:-}" && -r "/proc/$1/cmdline" ]] && tr '\0' ' ' < "/proc/$1/cmdline" | grep -qF -- "$DIR"
}
wait_port() {  # port timeout-seconds (inside the namespace)
  local i; for i in $(seq 1 $(( $2 * 20 ))); do
    nsx bash -c "(exec 3<>/dev/tcp/$DC_IP/$1) 2>/dev/null" && return 0; sleep 0.05; done
  echo "port $1 not listening after $2 s; see $DIR/samba.out and $DIR/log" >&2; return 1
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

stop() {
  [[ -f "$MARK" ]] || { echo "no $MARK: nothing of ours in $DIR"; return 0; }
  local f pid
  for f in "$DIR"/relay.*.pid; do          # host-side and namespace-side socat relays
    [[ -f "$f" ]] || continue; pid=$(cat "$f")
    ours_pid "$pid" && kill -TERM "$pid" 2>/dev/null || true; rm -f "$f"
  done
  pid=$(cat "$DIR/samba.pid.mine" 2>/dev/null || true)
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"                      # samba's master takes its process group down
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$DIR/samba.pid.mine"
  if ip netns list | awk '{print $1}' | grep -qx "$NS" && grep -qx "netns=$NS" "$MARK"; then
    # Whatever still runs in *our* namespace is ours (samba-dcerpcd/rpcd_* helpers reparented to init).
    local left=""
    for _ in $(seq 1 30); do left=$(ip netns pids "$NS" || true); [[ -z "$left" ]] && break; sleep 0.1; done
    if [[ -n "$left" ]]; then
      kill -TERM $left 2>/dev/null || true; sleep 1
      left=$(ip netns pids "$NS" || true); [[ -n "$left" ]] && kill -KILL $left 2>/dev/null || true
    fi
    ip netns del "$NS"
  fi
  rm -f "$DIR/env"
}

case "$CMD" in
stop) stop; exit 0 ;;
exec) [[ -f "$DIR/env" ]] || { echo "not started" >&2; exit 1; }; nsh "$@"; exit $? ;;
start) ;;
*) echo "usage: $0 start|stop|exec DIR [-- CMD...]" >&2; exit 2 ;;
esac

[[ "$(id -u)" == 0 ]] || { echo "needs root (ip netns, bind mounts)" >&2; exit 3; }
for c in ip samba samba-tool kinit socat python3 winbindd; do
  command -v $c >/dev/null || { echo "missing $c: apt-get install -y --no-install-recommends samba-ad-dc winbind krb5-user socat" >&2; exit 3; }
done
if ip netns list | awk '{print $1}' | grep -qx "$NS"; then echo "netns $NS exists; run stop first" >&2; exit 1; fi
if [[ -e "$DIR" && ! -f "$MARK" && -n "$(ls -A "$DIR" 2>/dev/null)" ]]; then echo "$DIR exists and is not ours" >&2; exit 1; fi
T0=$(date +%s%N)
rm -rf "$DIR"; mkdir -p "$DIR/etc" "$DIR/run" "$DIR/log" "$DIR/sock" "$DIR/host-overlay/lib" "$DIR/host-overlay/cache"
echo "netns=$NS" > "$MARK"
ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" link add egad0 type veth peer name egad1      # both ends inside the namespace
ip -n "$NS" addr add $DC_IP/24 dev egad0
ip -n "$NS" addr add $PEER_IP/24 dev egad1
ip -n "$NS" link set egad0 up; ip -n "$NS" link set egad1 up
printf '127.0.0.1 localhost\n%s %s %s\n127.0.0.1 %s %s\n' "$DC_IP" "$DC_FQDN" "${DC,,}" "$CA_FQDN" "${CA,,}" > "$DIR/hosts"

kdc_port=$(free_port); smb_port=$(free_port)
krb5conf() {  # $1 = kdc address
  cat <<EOF
[libdefaults]
    default_realm = $REALM
    dns_lookup_kdc = false
    dns_lookup_realm = false
    dns_canonicalize_hostname = false
    rdns = false
    udp_preference_limit = 1
[realms]
    $REALM = {
        kdc = $1
    }
[domain_realm]
    .test.local = $REALM
    test.local = $REALM
EOF
}
krb5conf "$DC_IP:88" > "$DIR/krb5.netns.conf"        # inside the namespace
krb5conf "127.0.0.1:$kdc_port" > "$DIR/krb5.conf"      # on the host, through the relay

# 1. provision (empty -s file: otherwise /etc/samba/smb.conf is merged into the new smb.conf)
: > "$DIR/etc/smb.conf"
nsx samba-tool domain provision -s "$DIR/etc/smb.conf" --targetdir="$DIR" \
  --realm=$REALM --domain=$DOMAIN --host-name=$DC --server-role=dc --dns-backend=NONE \
  --adminpass="$ADMIN_PASS" \
  --option="interfaces = lo egad0" --option="bind interfaces only = yes" \
  --option="pid directory = $DIR/run" --option="ncalrpc dir = $DIR/run/ncalrpc" \
  --option="winbindd socket directory = $DIR/run/winbindd" \
  --option="ntp signd socket directory = $DIR/run/ntp_signd" \
  --option="log file = $DIR/log/log.%m" --option="disable netbios = yes" \
  > "$DIR/provision.log" 2>&1 || { tail -20 "$DIR/provision.log" >&2; exit 1; }
# provision writes its own 'server services' (and puts dns back in): keep KDC + SMB + RPC + LDAP
sed -i "s/^\tserver services = .*/\tserver services = s3fs, rpc, kdc, ldap, cldap, winbindd\n\tprefork children = 2\n\tlog level = 1 auth_audit:4/" "$DIR/etc/smb.conf"
grep -q 'server services = s3fs, rpc, kdc, ldap, cldap, winbindd' "$DIR/etc/smb.conf" || { echo "smb.conf edit failed" >&2; exit 1; }
grep -o 'DOMAIN SID: *S-[0-9-]*' "$DIR/provision.log" | awk '{print $3}' > "$DIR/domain_sid"
T1=$(date +%s%N)

# 2. samba in the namespace, with the overlays (libwbclient only looks for winbindd at the compiled-in
#    /run/samba/winbindd: without it every SMB session setup fails with NT_STATUS_INTERNAL_ERROR).
ip netns exec "$NS" sh -c '
  D=$0
  if [ ! -d /run/samba ]; then mount -t tmpfs enrollgate-ad-run /run && mkdir -p /run/samba; fi
  mount --bind "$D/run" /run/samba && mount --bind "$D/hosts" /etc/hosts || exit 1
  [ -d /var/log/samba ] && { mount --bind "$D/log" /var/log/samba || exit 1; }
  [ -d /var/lib/samba ] && { mount --bind "$D/host-overlay/lib" /var/lib/samba || exit 1; }
  [ -d /var/cache/samba ] && { mount --bind "$D/host-overlay/cache" /var/cache/samba || exit 1; }
  exec samba -F -s "$D/etc/smb.conf"' "$DIR" < /dev/null > "$DIR/samba.out" 2>&1 &
echo $! > "$DIR/samba.pid.mine"
wait_port 88 30; wait_port 445 30
T2=$(date +%s%N)

# 3. relays: namespace TCP <- unix socket in DIR <- host 127.0.0.1:free port
relay() {  # name dc-port host-port
  ip netns exec "$NS" socat "UNIX-LISTEN:$DIR/sock/$1.sock,fork,mode=600" "TCP:$DC_IP:$2" </dev/null >"$DIR/log/relay.$1.ns" 2>&1 &
  echo $! > "$DIR/relay.$1-ns.pid"
  for _ in $(seq 1 100); do [[ -S "$DIR/sock/$1.sock" ]] && break; sleep 0.02; done
  setsid socat "TCP-LISTEN:$3,bind=127.0.0.1,reuseaddr,fork" "UNIX-CONNECT:$DIR/sock/$1.sock" </dev/null >"$DIR/log/relay.$1.host" 2>&1 &
  echo $! > "$DIR/relay.$1-host.pid"
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$3") 2>/dev/null && return 0; sleep 0.02; done
  echo "relay $1 did not start" >&2; return 1
}
relay kdc 88 "$kdc_port"
relay smb 445 "$smb_port"

# 4. accounts: user svc-enroll; computer CA$ with SPNs, enabled, AES-only keys (else RC4 tickets)
C="$DIR/etc/smb.conf"
nsx samba-tool user create $USER "$USER_PASS" -s "$C" >/dev/null
nsx samba-tool user setexpiry $USER --noexpiry -s "$C" >/dev/null
nsx samba-tool computer create $CA -s "$C" --service-principal-name="host/$CA_FQDN" \
  --service-principal-name="cifs/$CA_FQDN" --service-principal-name="HOST/$CA" >/dev/null
nsx /usr/bin/python3 - "$C" "$CA\$" "$CA_FQDN" "$CA_PASS" <<'EOF'
import sys, ldb
from samba.samdb import SamDB
from samba.auth import system_session
from samba.param import LoadParm
conf, sam, fqdn, pw = sys.argv[1:]
lp = LoadParm(); lp.load(conf)
db = SamDB(url=lp.samdb_url(), lp=lp, session_info=system_session())
dn = db.search(base=db.domain_dn(), expression='(sAMAccountName=%s)' % ldb.binary_encode(sam), attrs=[])[0].dn
m = ldb.Message(dn)
m['uac'] = ldb.MessageElement('4096', ldb.FLAG_MOD_REPLACE, 'userAccountControl')   # enabled workstation trust
m['enc'] = ldb.MessageElement('24', ldb.FLAG_MOD_REPLACE, 'msDS-SupportedEncryptionTypes')  # AES128|AES256
m['dns'] = ldb.MessageElement(fqdn, ldb.FLAG_MOD_REPLACE, 'dNSHostName')
db.modify(m)
db.setpassword('(sAMAccountName=%s)' % ldb.binary_encode(sam), pw)   # keys derived after the enctype change
EOF
for p in "host/$CA_FQDN" "cifs/$CA_FQDN"; do
  nsx samba-tool domain exportkeytab "$DIR/ca.keytab" -s "$C" --principal="$p" >/dev/null 2>&1 || { echo "exportkeytab $p failed" >&2; exit 1; }
done
nsx samba-tool domain exportkeytab "$DIR/user.keytab" -s "$C" --principal="$USER" >/dev/null 2>&1 || { echo "exportkeytab $USER failed" >&2; exit 1; }
nsx samba-tool domain exportkeytab "$DIR/dc.keytab" -s "$C" --principal="$DC\$" >/dev/null 2>&1 || { echo "exportkeytab $DC\$ failed" >&2; exit 1; }
# 5. an MIT ccache with the user's TGT only (our client gets the service tickets itself)
echo "$USER_PASS" | KRB5_CONFIG="$DIR/krb5.conf" KRB5CCNAME="FILE:$DIR/user.ccache" kinit "$USER@$REALM" >/dev/null
T3=$(date +%s%N)

cat > "$DIR/env" <<EOF
ADDC_NETNS=$NS
ADDC_DIR=$DIR
ADDC_DC_IP=$DC_IP
ADDC_REALM=$REALM
ADDC_DOMAIN=$DOMAIN
ADDC_DOMAIN_SID=$(cat "$DIR/domain_sid")
ADDC_DC_FQDN=$DC_FQDN
ADDC_DC_NETBIOS=$DC
ADDC_KDC_HOST=127.0.0.1
ADDC_KDC_PORT=$kdc_port
ADDC_SMB_HOST=127.0.0.1
ADDC_SMB_PORT=$smb_port
ADDC_USER=$USER
ADDC_PASSWORD=$USER_PASS
ADDC_USER_KEYTAB=$DIR/user.keytab
ADDC_USER_CCACHE=$DIR/user.ccache
ADDC_CA_FQDN=$CA_FQDN
ADDC_CA_KEYTAB=$DIR/ca.keytab
ADDC_DC_KEYTAB=$DIR/dc.keytab
KRB5_CONFIG=$DIR/krb5.conf
SAMBA_PID=$(cat "$DIR/samba.pid.mine")
ADDC_START_MS=$(( (T3 - T0) / 1000000 ))
EOF
echo "samba AD DC up in netns $NS: provision $(( (T1 - T0) / 1000000 )) ms, listening $(( (T2 - T1) / 1000000 )) ms, accounts+keytabs+kinit $(( (T3 - T2) / 1000000 )) ms" >&2
cat "$DIR/env"
