# Shared by scripts/quickstart.sh, scripts/test.sh and .ci/run (sourced, not run).
# Makes sure a Redis answers, starting Debian's redis-server on a free port when none does.
# Every process it starts is recorded in EG_STARTED_PIDS and stopped by eg_stop_started.

EG_STARTED_PIDS=${EG_STARTED_PIDS:-}

eg_log() { printf '[enrollgate] %s\n' "$*" >&2; }

eg_free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

eg_redis_ping() { # url
  node -e '
    const u=new URL(process.argv[1]); const s=require("net").connect(+(u.port||6379), u.hostname);
    s.setTimeout(1000,()=>process.exit(1)); s.on("error",()=>process.exit(1));
    s.on("connect",()=>s.write("PING\r\n")); s.on("data",d=>process.exit(String(d).startsWith("+PONG")?0:1));' "$1" 2>/dev/null
}

eg_apt_install() { # packages...
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    eg_log "installing Debian packages: $*"
    if [ ! -f /tmp/.enrollgate-apt-updated ]; then apt-get update -qq >/dev/null && touch /tmp/.enrollgate-apt-updated; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    eg_log "missing: $*; install with: sudo apt-get install -y $*"
    return 1
  fi
}

# eg_ensure_redis STATE_DIR: exports REDIS_URL (existing one if it answers, else a new server)
eg_ensure_redis() {
  local dir=$1
  local candidate=${REDIS_URL:-redis://127.0.0.1:6379}
  if eg_redis_ping "$candidate"; then export REDIS_URL=$candidate; eg_log "using Redis at $REDIS_URL"; return 0; fi
  command -v redis-server >/dev/null || eg_apt_install redis-server || return 1
  local port; port=$(eg_free_port)
  mkdir -p "$dir/redis"
  redis-server --bind 127.0.0.1 --port "$port" --dir "$dir/redis" --save '' --appendonly no \
    --maxmemory-policy noeviction --daemonize no >"$dir/redis/redis.log" 2>&1 &
  local pid=$!
  EG_STARTED_PIDS="$EG_STARTED_PIDS $pid"
  for _ in $(seq 1 50); do eg_redis_ping "redis://127.0.0.1:$port" && break; sleep 0.1; done
  eg_redis_ping "redis://127.0.0.1:$port" || { eg_log "redis-server did not start (see $dir/redis/redis.log)"; return 1; }
  export REDIS_URL="redis://127.0.0.1:$port"
  eg_log "started redis-server pid $pid at $REDIS_URL"
}

eg_stop_started() {
  local pid
  for pid in $EG_STARTED_PIDS; do kill "$pid" 2>/dev/null || true; done
  for pid in $EG_STARTED_PIDS; do wait "$pid" 2>/dev/null || true; done
  EG_STARTED_PIDS=
}

# Third-party peers the interop suites run against, as "probe:package" (a probe is a command on
# PATH or an absolute path). eg_install_peers installs the missing ones from Debian (root only).
EG_PEERS=(
  smbd:samba smbclient:smbclient tshark:tshark /usr/share/doc/python3-impacket:python3-impacket
  /usr/sbin/krb5kdc:krb5-kdc /usr/sbin/kadmin.local:krb5-admin-server kinit:krb5-user
  /usr/sbin/samba:samba-ad-dc /usr/share/samba/setup/ad-schema:samba-ad-provision winbindd:winbind socat:socat docker-compose:docker-compose
  certbot:certbot lego:lego pebble-challtestsrv:pebble getcert:certmonger scepclient:scep
  kubectl:kubernetes-client curl:curl /usr/lib/python3/dist-packages/requests_ntlm:python3-requests-ntlm
)

eg_install_peers() {
  local missing=() entry probe pkg
  for entry in "${EG_PEERS[@]}"; do
    probe=${entry%%:*} pkg=${entry#*:}
    if [[ $probe == /* ]]; then [ -e "$probe" ] || missing+=("$pkg"); else command -v "$probe" >/dev/null || [ -x "/usr/sbin/$probe" ] || missing+=("$pkg"); fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  # tshark asks whether non-root users may capture; answer for it.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
  eg_apt_install --no-install-recommends "${missing[@]}"
}
