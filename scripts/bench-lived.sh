#!/bin/sh
# The headline benchmarks of docs/benchmarks.md, on a database that has lived:
#   1. prefill (or reuse) DATA with 10,000,000 messages over 100,000 users and channels,
#   2. serve it with the benchmark settings,
#   3. 2,000,000 messages at window 1 and at window 16, then 5,000 msgs/s offered for 60 s,
#      each with a per-second timeline and the database and log sizes,
#   4. one timeline plot of the runs.
#
#   scripts/bench-lived.sh [DATA] [OUT]      (defaults /tmp/chinwag-lived, ./bench-out)
#   RUNS="w1 w16 rate" MESSAGES=20000 scripts/bench-lived.sh   # a subset, or other sizes
#
# Runs add their messages to DATA: it keeps living. Nothing else may use the port (8810).
set -eu
DATA=${1:-/tmp/chinwag-lived}
OUT=${2:-./bench-out}
RUNS=${RUNS:-"w1 w16 rate"}
MESSAGES=${MESSAGES:-20000}   # per sender; 100 senders
PORT=${PORT:-8810}
BIN=${BIN:-$(dirname "$0")/../.venv/bin}
mkdir -p "$OUT"

"$BIN/chinwag" bench prefill --data-dir "$DATA" --messages 10000000 --users 100000 \
  --channels 100000 --out "$OUT/prefill.json" >/dev/null
echo "database: $(du -sh "$DATA/chinwag.db" | cut -f1) in $DATA"

CHINWAG_ARGON2_TIME_COST=1 CHINWAG_ARGON2_MEMORY_KIB=8 \
"$BIN/chinwag" serve --port "$PORT" --data-dir "$DATA" --log-level warning \
  --sends-per-user-per-sec 1000000 --send-burst 1000000 \
  --login-per-account-per-min 100000 --login-per-address-per-min 10000000 \
  --signup-per-address-per-min 10000000 &
P=$!
trap 'kill $P 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.5; done

URL=http://127.0.0.1:$PORT
COMMON="--url $URL --procs 2 --server-pid $P --data-dir $DATA"
status=0
for run in $RUNS; do
  case $run in
    w1)   set -- pairs --pairs 100 --messages "$MESSAGES" --window 1 ;;
    w16)  set -- pairs --pairs 100 --messages "$MESSAGES" --window 16 ;;
    rate) set -- rate --pairs 100 --rate 5000 --duration 60 ;;
    *) echo "unknown run $run" >&2; exit 2 ;;
  esac
  echo "== $run: chinwag bench $* $COMMON"
  # shellcheck disable=SC2086
  "$BIN/chinwag" bench "$@" $COMMON --out "$OUT/$run.json" --plot "$OUT/$run-latency.png" \
    2>"$OUT/$run.progress" || status=1
done
# shellcheck disable=SC2086
"$BIN/chinwag" bench timeline --out "$OUT/timeline.png" $(for r in $RUNS; do echo "$OUT/$r.json"; done)
echo "results in $OUT"
exit $status
