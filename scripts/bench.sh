#!/usr/bin/env bash
# `npm run bench [-- --smoke] [NAME…]`: runs bench/dist/*.bench.js (each prints a table and writes
# bench/results/NAME.json). --smoke uses tiny counts, as CI does, so the benchmarks never rot.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/services.sh
trap eg_stop_started EXIT
[ -d node_modules/.bin ] || npm install --no-audit --no-fund
mkdir -p .enrollgate/bench
eg_ensure_redis "$PWD/.enrollgate/bench"
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
npx --no-install nx run-many -t build --parallel=2 --outputStyle=static >/dev/null
args=() names=()
for a in "$@"; do case $a in --*) args+=("$a");; *) names+=("$a");; esac; done
shopt -s nullglob
files=(bench/dist/*.bench.js)
[ ${#files[@]} -gt 0 ] || { echo "no benchmarks built under bench/dist"; exit 0; }
for f in "${files[@]}"; do
  n=$(basename "$f" .bench.js)
  if [ ${#names[@]} -gt 0 ] && [[ ! " ${names[*]} " == *" $n "* ]]; then continue; fi
  echo "== $n"
  node "$f" "${args[@]}"
done
