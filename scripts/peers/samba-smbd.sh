#!/usr/bin/env bash
# Throw-away standalone Samba smbd on 127.0.0.1, for the libs/wcce SMB2/3 interop tests.
#
#   scripts/peers/samba-smbd.sh start DIR   -> prints the port on stdout; state, logs, PID under DIR
#   scripts/peers/samba-smbd.sh stop DIR    -> kills only the smbd whose PID is in DIR/smbd.pid.mine
#
# Environment (all optional):
#   SMB_PORT          TCP port (default: a free one)
#   SMB_SIGNING       server signing: mandatory | default | disabled  (default mandatory)
#   SMB_ENCRYPT       server smb encrypt: off | if_required | desired | required (default if_required)
#   SMB_MAX_PROTOCOL  server max protocol, e.g. SMB2_10, SMB3_00, SMB3_11 (default SMB3_11)
#   SMB_USER          SMB account (default: the current unix user, which smbd maps it to)
#   SMB_PASSWORD      its password (default Passw0rd!)
#   SMB_SERVER_STRING server string (default "Samba %v"); NetrServerGetInfo level 101 returns it as
#                     the comment, so a long one makes a response larger than one RPC fragment
# Writes DIR/env with PORT, USER, PASSWORD, DOMAIN, PID for test harnesses to source or parse.
# Installs nothing: if smbd is missing it prints the apt command and exits 3.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
if [[ -z "$cmd" || -z "$dir" ]]; then
  echo "usage: $0 start|stop DIR" >&2
  exit 2
fi

# Kills PID $1 if it is still one of ours: its command line names our private smb.conf.
stop_pid() {
  local pid=$1
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 0
  tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF -- "$dir/smb.conf" || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}

if [[ "$cmd" == stop ]]; then
  # smbd 4.16+ starts samba-dcerpcd on demand for \pipe\srvsvc etc.; it daemonizes out of smbd's
  # process tree, so stop it by the PID file it writes into our private pid directory.
  if [[ -f "$dir/pid/samba-dcerpcd.pid" ]]; then
    stop_pid "$(cat "$dir/pid/samba-dcerpcd.pid")"
  fi
  if [[ -f "$dir/smbd.pid.mine" ]]; then
    pid=$(cat "$dir/smbd.pid.mine")
    # Only our own smbd: the PID we started (its children exit with it).
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    fi
    rm -f "$dir/smbd.pid.mine"
  fi
  exit 0
fi

if [[ "$cmd" != start ]]; then
  echo "unknown command $cmd (start|stop)" >&2
  exit 2
fi

for tool in smbd pdbedit; do
  if ! command -v "$tool" >/dev/null 2>&1 && [[ ! -x "/usr/sbin/$tool" ]]; then
    echo "samba is not installed: run  apt-get install -y samba smbclient" >&2
    exit 3
  fi
done
export PATH="$PATH:/usr/sbin:/sbin"

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})"
}

port=${SMB_PORT:-$(free_port)}
signing=${SMB_SIGNING:-mandatory}
encrypt=${SMB_ENCRYPT:-if_required}
max_protocol=${SMB_MAX_PROTOCOL:-SMB3_11}
user=${SMB_USER:-$(id -un)}
password=${SMB_PASSWORD:-Passw0rd!}
server_string=${SMB_SERVER_STRING:-Samba %v}

rm -rf "$dir"
mkdir -p "$dir"/{private,lock,state,cache,pid,ncalrpc,share}
cat > "$dir/smb.conf" <<CONF
[global]
  server role = standalone server
  workgroup = TEST
  netbios name = PEERSRV
  server string = $server_string
  interfaces = 127.0.0.1
  bind interfaces only = yes
  smb ports = $port
  disable netbios = yes
  server min protocol = SMB2_02
  server max protocol = $max_protocol
  server signing = $signing
  server smb encrypt = $encrypt
  private dir = $dir/private
  lock directory = $dir/lock
  state directory = $dir/state
  cache directory = $dir/cache
  pid directory = $dir/pid
  ncalrpc dir = $dir/ncalrpc
  log file = $dir/log.%m
  log level = 1
  passdb backend = tdbsam:$dir/private/passdb.tdb
  map to guest = never
  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes
[scratch]
  path = $dir/share
  read only = no
CONF

printf '%s\n%s\n' "$password" "$password" | pdbedit -s "$dir/smb.conf" -a -t -u "$user" >"$dir/pdbedit.out" 2>&1

# Own session and process group: smbd signals its process group when it stops, which must never
# reach the test runner that started us.
setsid smbd --foreground --no-process-group -s "$dir/smb.conf" >"$dir/smbd.out" 2>&1 < /dev/null &
pid=$!
echo "$pid" > "$dir/smbd.pid.mine"

for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "smbd exited; see $dir/smbd.out and $dir/log.smbd" >&2
    cat "$dir/smbd.out" >&2 || true
    exit 1
  fi
  sleep 0.1
done

cat > "$dir/env" <<ENV
PORT=$port
USER=$user
PASSWORD=$password
DOMAIN=TEST
SERVER=PEERSRV
PID=$pid
ENV
echo "smbd pid $pid on 127.0.0.1:$port (signing=$signing, encrypt=$encrypt, max=$max_protocol, user=$user)" >&2
echo "$port"
