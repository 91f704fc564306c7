#!/usr/bin/env bash
# `make cluster`: a throw-away PostgreSQL and three vigil nodes on loopback, to try the cluster.
# Everything lives in one temporary directory, removed on exit (Ctrl-C). PostgreSQL runs as
# `nobody` when started as root (initdb refuses root).
#   VIGIL=build/app/vigil  PORTS="8081 8082 8083"  LEASE_TTL=1s  packaging/cluster.sh
set -euo pipefail
VIGIL=${VIGIL:-build/app/vigil}
PORTS=${PORTS:-"8081 8082 8083"}
LEASE_TTL=${LEASE_TTL:-1s}
PG_PORT=${PG_PORT:-55432}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/initdb" ] || { echo "PostgreSQL is not installed: run make deps" >&2; exit 1; }
dir=$(mktemp -d /tmp/vigil-cluster-XXXXXX)
as=""
if [ "$(id -u)" -eq 0 ]; then as="runuser -u nobody --"; chown nobody:nogroup "$dir"; fi
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait "${pids[@]}" 2>/dev/null || true
  (cd "$dir" && $as "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1) || true
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 0' INT TERM
(cd "$dir" && $as "$bin/initdb" -D "$dir/data" -U vigil --auth=trust -E UTF8 --locale=C.UTF-8 \
  >"$dir/initdb.log" 2>&1) || { cat "$dir/initdb.log" >&2; exit 1; }
(cd "$dir" && $as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o \
  "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories=$dir" start >/dev/null)
"$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U vigil -d postgres -qc "CREATE DATABASE vigil" >/dev/null
store="postgresql://vigil@127.0.0.1:$PG_PORT/vigil"
i=0
for port in $PORTS; do
  i=$((i + 1))
  "$VIGIL" serve --store "$store" --node "node$i" --listen "127.0.0.1:$port" \
    --lease-ttl "$LEASE_TTL" >"$dir/node$i.log" 2>&1 &
  pids+=($!)
  echo "node$i: http://127.0.0.1:$port  (log: $dir/node$i.log)"
done
echo "store: $store"
echo "try:   curl -s 127.0.0.1:${PORTS%% *}/v1/cluster ; kill -9 the leader's pid and watch another take over"
echo "pids:  ${pids[*]}   (Ctrl-C stops everything and removes $dir)"
wait
