#!/bin/sh
# Compare a workload between two source trees of chinwag, runs alternated (A B A B ...)
# so that a busy or drifting machine weighs on both alike. Each run gets a fresh server
# (its own random port and SQLite directory); the load generator is this checkout's.
#
#   scripts/bench-ab.sh OLD_SRC NEW_SRC RUNS WORKLOAD [chinwag bench flags ...]
#   scripts/bench-ab.sh /tmp/main/src src 3 pairs --pairs 100 --messages 2000 --window 16 --procs 2
#
# OLD_SRC and NEW_SRC are `src` directories (e.g. of `git worktree add --detach DIR main`);
# both run on this checkout's .venv, so their dependencies must match. Prints one line
# per run: side, run, msgs/s, server us CPU per unit, server CPU s, latency p50 and p99
# ms, wall s (for reconnect: until every device has synced).
#
# SEED_DATA=DIR starts every run on a copy of the data directory DIR (e.g. one made by
# `chinwag bench prefill`), so both sides run on the same lived-in database.
set -eu
A=$(cd "$1" && pwd); B=$(cd "$2" && pwd); RUNS=$3; WORKLOAD=$4
shift 4
HERE=$(cd "$(dirname "$0")/.." && pwd)
PY=$HERE/.venv/bin/python
OUT=$(mktemp -d /tmp/chinwag-ab.XXXXXX)
echo "results in $OUT" >&2
printf 'side\trun\tmsgs_per_s\tserver_us_per_unit\tserver_cpu_s\tp50_ms\tp99_ms\twall_s\n'
i=1
while [ "$i" -le "$RUNS" ]; do
    for side in A B; do
        if [ "$side" = A ]; then SRC=$A; else SRC=$B; fi
        PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
        DATA=$OUT/data-$side-$i
        if [ -n "${SEED_DATA:-}" ]; then cp -r "$SEED_DATA" "$DATA"; rm -f "$DATA/chinwag.lock"; fi
        CHINWAG_ARGON2_TIME_COST=1 CHINWAG_ARGON2_MEMORY_KIB=8 PYTHONPATH=$SRC \
        $PY -m chinwag serve --port "$PORT" --data-dir "$DATA" --log-level warning \
            --sends-per-user-per-sec 1000000 --send-burst 1000000 \
            --login-per-account-per-min 100000 --login-per-address-per-min 10000000 \
            --signup-per-address-per-min 10000000 >"$OUT/server-$side-$i.log" 2>&1 &
        P=$!
        n=0
        until $PY -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$PORT/healthz', timeout=1)" 2>/dev/null; do
            n=$((n + 1)); [ "$n" -lt 100 ] || { echo "server $side did not start" >&2; kill "$P"; exit 1; }
            sleep 0.2
        done
        "$HERE/.venv/bin/chinwag" bench "$WORKLOAD" --url "http://127.0.0.1:$PORT" \
            --server-pid "$P" --quiet --out "$OUT/$side-$i.json" "$@" >"$OUT/$side-$i.txt" 2>&1 || true
        kill "$P"; wait "$P" 2>/dev/null || true
        rm -rf "$DATA"
        $PY - "$OUT/$side-$i.json" "$side" "$i" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
lat = r["latency_ms"]
print("\t".join([sys.argv[2], sys.argv[3], f"{r['msgs_per_s']:.0f}", f"{r['server_us_per_msg']:.1f}",
                 f"{r['server']['cpu_s']:.2f}",
                 f"{lat['p50']:.1f}", f"{lat['p99']:.1f}", f"{r['wall_s']:.2f}"] + ([] if r["ok"] else ["FAILED"])))
PYEOF
    done
    i=$((i + 1))
done
