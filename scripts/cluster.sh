#!/usr/bin/env bash
# Start a local chinwag cluster for benchmarks: one api process and three gateways on
# PostgreSQL and NATS, all on this machine. Usage:
#   scripts/cluster.sh start   # prints the pids; logs in $DIR/*.log
#   scripts/cluster.sh stop
# Env: PG (admin URL, default postgresql://postgres@127.0.0.1:5432/postgres),
#      NATS (default nats://127.0.0.1:4222), DB (database name, default chinwag_cluster),
#      DIR (default /tmp/chinwag-cluster), BASE (first port, default 8900),
#      EXTRA (more `chinwag serve` flags for every process, e.g. --store-replica URL).
set -euo pipefail
PG=${PG:-postgresql://postgres@127.0.0.1:5432/postgres}
NATS=${NATS:-nats://127.0.0.1:4222}
DB=${DB:-chinwag_cluster}
DIR=${DIR:-/tmp/chinwag-cluster}
BASE=${BASE:-8900}
BIN=${BIN:-$(dirname "$0")/../.venv/bin/chinwag}
read -r -a EXTRA <<<"${EXTRA:-}"
STORE="${PG%/*}/$DB"
# Bench-friendly limits; a production cluster keeps the defaults.
LIMITS=(--sends-per-user-per-sec 1000000 --send-burst 1000000
        --login-per-account-per-min 100000 --login-per-address-per-min 10000000
        --signup-per-address-per-min 10000000 --log-level warning)
export CHINWAG_ARGON2_TIME_COST=1 CHINWAG_ARGON2_MEMORY_KIB=8

case "${1:-}" in
start)
  mkdir -p "$DIR"
  psql "$PG" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
  "$BIN" migrate --store "$STORE" >/dev/null
  "$BIN" serve --role api --port "$BASE" --store "$STORE" --nats "$NATS" \
    --data-dir "$DIR/shared" "${LIMITS[@]}" ${EXTRA[@]+"${EXTRA[@]}"} >"$DIR/api.log" 2>&1 &
  echo $! >"$DIR/api.pid"
  for i in 1 2 3; do
    port=$((BASE + i))
    "$BIN" serve --role gateway --port "$port" --store "$STORE" --nats "$NATS" \
      --gateway-id "gw$i" --public-url "ws://127.0.0.1:$port/v1/ws" \
      --data-dir "$DIR/shared" "${LIMITS[@]}" ${EXTRA[@]+"${EXTRA[@]}"} >"$DIR/gw$i.log" 2>&1 &
    echo $! >"$DIR/gw$i.pid"
  done
  for port in $BASE $((BASE + 1)) $((BASE + 2)) $((BASE + 3)); do
    until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.2; done
  done
  echo "api http://127.0.0.1:$BASE; gateways ws://127.0.0.1:$((BASE+1))..$((BASE+3))/v1/ws"
  echo "pids: $(cat "$DIR"/*.pid | tr '\n' ' ')"
  ;;
stop)
  for f in "$DIR"/*.pid; do kill "$(cat "$f")" 2>/dev/null || true; rm -f "$f"; done
  ;;
*)
  echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
