#!/usr/bin/env bash
# One command per PostgreSQL benchmark figure in docs/benchmarks.md. Each run starts its
# own PostgreSQL (initdb in $DIR, port $PGPORT), a fresh database, its own nats-server
# for the cluster, runs `chinwag bench`, and stops everything again, so the PostgreSQL
# CPU it reports (the postmaster and all its backends) is this run's alone.
#
#   scripts/bench-pg.sh sqlite            one process on SQLite (the reference)
#   scripts/bench-pg.sh pg                one process (--role all) on PostgreSQL
#   scripts/bench-pg.sh cluster           api + three gateways on PostgreSQL and NATS
#   scripts/bench-pg.sh cluster-reads     the cluster, with history readers on the primary
#   scripts/bench-pg.sh cluster-replica   the same readers, with a streaming replica for reads
#   scripts/bench-pg.sh reads             history reads alone through the api: CPU per read
#   scripts/bench-pg.sh reads-replica     the same, with the replica taking them
#   scripts/bench-pg.sh all               each of the above in turn, in one sitting
#
# Anything after the mode replaces the bench arguments (default: $BENCH below; for the
# reads modes, the arguments of scripts/history_readers.py, default $READS), e.g.
#   scripts/bench-pg.sh pg pairs --pairs 50 --messages 1000 --window 8
# Env: DIR (default /tmp/chinwag-bench-pg), PGPORT (55432), RUNS (1: runs per mode),
#      OUT (directory for the JSON results, default $DIR/results), SERVER_BIN (the
#      `chinwag` that serves, default this tree's: point it at another tree's to compare).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
BIN=${BIN:-$ROOT/.venv/bin/chinwag}
SERVER_BIN=${SERVER_BIN:-$BIN}
PY=${PY:-$ROOT/.venv/bin/python}
DIR=${DIR:-/tmp/chinwag-bench-pg}
PGPORT=${PGPORT:-55432}
REPLICA_PORT=$((PGPORT + 1))
NATS_PORT=$((PGPORT + 2))
BASE=${BASE:-8900}
RUNS=${RUNS:-1}
OUT=${OUT:-$DIR/results}
BENCH=(pairs --pairs 100 --messages 2000 --window 16 --procs 2)
READERS=${READERS:-8}   # concurrent history readers beside the cluster-reads benchmarks
READS=(--reads 20000 --readers 16 --channels 8)
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
AS_PG=()
[ "$(id -u)" = 0 ] && AS_PG=(runuser -u postgres --)
LIMITS=(--sends-per-user-per-sec 1000000 --send-burst 1000000
        --login-per-account-per-min 100000 --login-per-address-per-min 10000000
        --signup-per-address-per-min 10000000 --log-level warning)
export CHINWAG_ARGON2_TIME_COST=1 CHINWAG_ARGON2_MEMORY_KIB=8
PIDS=()

log() { echo "== $*" >&2; }

pg_start() {  # pg_start DATADIR PORT
  "${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$1" -o "-p $2 -c listen_addresses=127.0.0.1 -c unix_socket_directories=$DIR" \
    -l "$1.log" -w -t 60 start >/dev/null
}

pg_up() {  # a fresh primary (and, with "replica", a streaming replica of it)
  rm -rf "$DIR/pg" "$DIR/pg-replica"
  mkdir -p "$DIR"
  [ ${#AS_PG[@]} -gt 0 ] && chown postgres "$DIR"
  "${AS_PG[@]}" "$PGBIN/initdb" -D "$DIR/pg" -U postgres --auth=trust -E UTF8 >/dev/null
  cat >>"$DIR/pg/postgresql.conf" <<EOF
max_connections = 300
shared_buffers = 256MB
fsync = on
synchronous_commit = on
wal_level = replica
max_wal_size = 4GB
EOF
  pg_start "$DIR/pg" "$PGPORT"
  if [ "${1:-}" = replica ]; then
    "${AS_PG[@]}" "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PGPORT" -U postgres \
      -D "$DIR/pg-replica" -R -X stream >/dev/null
    pg_start "$DIR/pg-replica" "$REPLICA_PORT"
  fi
  psql -q "postgresql://postgres@127.0.0.1:$PGPORT/postgres" -c "CREATE DATABASE chinwag"
}

pg_down() {
  for d in "$DIR/pg-replica" "$DIR/pg"; do
    [ -f "$d/postmaster.pid" ] && "${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$d" -m fast -w stop >/dev/null || true
  done
}

postmaster() { head -1 "$DIR/pg/postmaster.pid"; }

sql() { psql -qAtX "postgresql://postgres@127.0.0.1:$PGPORT/chinwag" -c "$1"; }

wal_lsn() { sql "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn"; }

storage_report() {  # storage_report WAL_BEFORE: bytes per stored message, per table and WAL
  sql "CHECKPOINT" >/dev/null
  local wal=$(( $(wal_lsn) - $1 ))
  sql "WITH n AS (SELECT count(*) AS msgs FROM messages),
        t AS (SELECT r.name, sum(pg_total_relation_size(coalesce(p.relid, to_regclass(r.name))))
                     AS bytes
                FROM unnest(ARRAY['messages', 'inbox', 'sends', 'inbox_heads', 'channels',
                                  'members', 'channel_buckets', 'inbox_buckets']) AS r (name)
                LEFT JOIN LATERAL pg_partition_tree(to_regclass(r.name)) p ON true
               WHERE to_regclass(r.name) IS NOT NULL GROUP BY r.name)
       SELECT 'storage: ' || n.msgs || ' messages; bytes per message: '
              || string_agg(t.name || ' ' || round(t.bytes::numeric / n.msgs), ', ' ORDER BY t.bytes DESC)
              || '; all ' || round(sum(t.bytes)::numeric / n.msgs)
              || '; WAL written ' || round($wal::numeric / n.msgs)
         FROM t, n GROUP BY n.msgs"
}

stop_all() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
  [ -f "$DIR/cluster/api.pid" ] && DIR="$DIR/cluster" "$HERE/cluster.sh" stop
  pg_down
}
trap stop_all EXIT

ready() { until curl -sf "http://127.0.0.1:$1/readyz" >/dev/null; do sleep 0.2; done; }

bench() {  # bench NAME URL [WS] -- CPU groups...
  local name=$1 url=$2 ws=$3; shift 3
  local args=("${BENCH[@]}")
  [ ${#EXTRA[@]} -gt 0 ] && args=("${EXTRA[@]}")
  mkdir -p "$OUT"
  local stamp; stamp=$(date -u +%H%M%S)
  "$BIN" bench "${args[@]}" --url "$url" ${ws:+--ws-url "$ws"} "$@" \
    --out "$OUT/$name-$stamp.json" --quiet
}

readers() {  # readers URL: history readers through the api until killed
  "$PY" "$HERE/history_readers.py" --url "$1" --readers "$READERS" &
  PIDS+=($!)
  sleep 3
}

run_sqlite() {
  rm -rf "$DIR/sqlite"
  "$SERVER_BIN" serve --port "$BASE" --data-dir "$DIR/sqlite" "${LIMITS[@]}" &
  local pid=$!; PIDS+=("$pid")
  ready "$BASE"
  bench sqlite "http://127.0.0.1:$BASE" "" --server-pid "$pid"
  stop_all
}

run_pg() {
  pg_up
  local store="postgresql://postgres@127.0.0.1:$PGPORT/chinwag"
  "$SERVER_BIN" serve --port "$BASE" --store "$store" --data-dir "$DIR/single" "${LIMITS[@]}" &
  local pid=$!; PIDS+=("$pid")
  ready "$BASE"
  local wal; wal=$(wal_lsn)
  bench pg "http://127.0.0.1:$BASE" "" --server-pid "$pid" --cpu "postgres=$(postmaster)"
  storage_report "$wal"
  stop_all
}

run_cluster() {  # run_cluster NAME [replica] [reads]
  local name=$1 replica=${2:-} reads=${3:-}
  pg_up "$replica"
  nats-server -a 127.0.0.1 -p "$NATS_PORT" -js -sd "$DIR/nats" >"$DIR/nats.log" 2>&1 &
  local nats=$!; PIDS+=("$nats")
  local extra=()
  [ "$replica" = replica ] &&
    extra=(--store-replica "postgresql://postgres@127.0.0.1:$REPLICA_PORT/chinwag")
  PG="postgresql://postgres@127.0.0.1:$PGPORT/postgres" NATS="nats://127.0.0.1:$NATS_PORT" \
    DB=chinwag DIR="$DIR/cluster" BASE="$BASE" BIN="$SERVER_BIN" EXTRA="${extra[*]}" \
    "$HERE/cluster.sh" start >/dev/null
  local gws; gws=$(cat "$DIR"/cluster/gw*.pid | paste -sd+)
  local ws="ws://127.0.0.1:$((BASE + 1))/v1/ws,ws://127.0.0.1:$((BASE + 2))/v1/ws,ws://127.0.0.1:$((BASE + 3))/v1/ws"
  local cpu=(--cpu "postgres=$(postmaster)" --cpu "gateways=$gws"
             --cpu "api=$(cat "$DIR/cluster/api.pid")" --cpu "nats=$nats")
  if [ "$replica" = replica ]; then
    cpu+=(--cpu "replica=$(head -1 "$DIR/pg-replica/postmaster.pid")")
  fi
  [ "$reads" = reads ] && readers "http://127.0.0.1:$BASE"
  local wal; wal=$(wal_lsn)
  bench "$name" "http://127.0.0.1:$BASE" "$ws" "${cpu[@]}"
  storage_report "$wal"
  stop_all
}

run_reads() {  # run_reads [replica]: history reads alone, CPU per read
  local replica=${1:-}
  pg_up "$replica"
  nats-server -a 127.0.0.1 -p "$NATS_PORT" -js -sd "$DIR/nats" >"$DIR/nats.log" 2>&1 &
  PIDS+=($!)
  local extra=()
  [ "$replica" = replica ] &&
    extra=(--store-replica "postgresql://postgres@127.0.0.1:$REPLICA_PORT/chinwag")
  PG="postgresql://postgres@127.0.0.1:$PGPORT/postgres" NATS="nats://127.0.0.1:$NATS_PORT" \
    DB=chinwag DIR="$DIR/cluster" BASE="$BASE" BIN="$SERVER_BIN" EXTRA="${extra[*]}" \
    "$HERE/cluster.sh" start >/dev/null
  local cpu=(--cpu "postgres=$(postmaster)" --cpu "api=$(cat "$DIR/cluster/api.pid")")
  if [ "$replica" = replica ]; then
    cpu+=(--cpu "replica=$(head -1 "$DIR/pg-replica/postmaster.pid")")
  fi
  local args=("${READS[@]}")
  [ ${#EXTRA[@]} -gt 0 ] && args=("${EXTRA[@]}")
  "$PY" "$HERE/history_readers.py" --url "http://127.0.0.1:$BASE" "${args[@]}" "${cpu[@]}"
  stop_all
}

run() {
  log "$1 $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
  case "$1" in
  sqlite) run_sqlite ;;
  pg) run_pg ;;
  cluster) run_cluster cluster ;;
  cluster-reads) run_cluster cluster-reads "" reads ;;
  cluster-replica) run_cluster cluster-replica replica reads ;;
  reads) run_reads ;;
  reads-replica) run_reads replica ;;
  *) sed -n '2,21p' "$0" >&2; exit 2 ;;
  esac
}

mode=${1:-}
shift || true
EXTRA=("$@")
for _ in $(seq "$RUNS"); do
  if [ "$mode" = all ]; then
    for m in sqlite pg cluster cluster-reads cluster-replica reads reads-replica; do
      run "$m"
    done
  else
    run "$mode"
  fi
done
