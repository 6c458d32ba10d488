#!/bin/sh
# Write throughput at the HTTP API, on loopback: play-event ingest (POST /v1/segue/events,
# batches of 100, one and two connections) in events/s, and playlist changes (add one track, reorder)
# in changes/s on a 1,000-item playlist, and library saves (PUT then DELETE /v1/me/tracks of 50
# ids, 200 each) in requests/s with p50/p99, with the server on SQLite and then on PostgreSQL (a
# throwaway cluster with production's durability, the same catalog copied in with
# segue-server copy-to), side by side with the ratio; then, on PostgreSQL, the statements each
# operation runs (pg_stat_statements, untimed). Runs on a private copy of a
# metadata-only catalog of 10,000 tracks (generated once with data/gen-meta and cached).
#   usage: bench/writes.sh [DATA_DIR] [SECONDS_PER_PHASE]
#     DATA_DIR  default /tmp/segue-bench-meta-10000 (generated if it does not hold 10,000 tracks)
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
TRACKS=10000
DATA=${1:-/tmp/segue-bench-meta-$TRACKS}
PHASE=${2:-10}
die() { echo "bench: $*" >&2; exit 1; }
[ -x server/segue-server ] || die "build the tree first (make)"

bench_workdir writes

if [ -f "$DATA/segue.db" ]; then
	have=$(python3 -c 'import sqlite3, sys
print(sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True).execute("SELECT count(*) FROM tracks").fetchone()[0])' \
		"$DATA/segue.db" 2>/dev/null || echo -1)
else
	have=-1
fi
if [ "$have" -lt 1000 ]; then
	[ ! -e "$DATA" ] || [ -f "$DATA/segue.db" ] || die "$DATA exists and holds no catalog; give another path"
	echo "generating a catalog of $TRACKS tracks in $DATA (once) ..."
	rm -rf "$DATA.tmp"
	bench_run data/gen-meta --tracks "$TRACKS" --server server/segue-server "$DATA.tmp" >/dev/null
	rm -rf "$DATA"
	mv "$DATA.tmp" "$DATA"
	have=$TRACKS
fi
mkdir "$WORK/data" "$WORK/pgdata"
cp "$DATA/segue.db" "$WORK/data/"
cp "$DATA/segue.db" "$WORK/pgdata/"

echo "write benchmark: $have tracks, $(nproc) cores, ${PHASE} s a phase, loopback, $(date -u +%Y-%m-%dT%H:%MZ)"
phase() { # NAME: runs writes.py against the server bench_serve started, into $WORK/NAME.txt
	bench_run timeout $((PHASE * 4 + 120)) python3 bench/writes.py --port "$PORT" --token "$TOKEN" \
		--catalog "$DATA/segue.db" --seconds "$PHASE" --clients 2 | tee "$WORK/$1.txt"
	echo "server RSS $(awk '/^VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$SEG_PID/status") MiB"
	bench_stop_pid "$SEG_PID"
	SEG_PID=
}

echo "== SQLite (segue.db, WAL, synchronous=FULL)"
bench_serve "$WORK/data" rl_window=1 rl_standard=1000000 rl_playlist=1000000
phase sqlite

echo "== PostgreSQL $(psql --version | awk '{print $3}') (fsync, synchronous_commit on; unix socket)"
bench_pg_start
BENCH_DATABASE=$(bench_pg_url writes)
server/segue-server copy-to "$BENCH_DATABASE" --data-dir "$WORK/pgdata" >/dev/null 2>"$WORK/copy.err" ||
	{ cat "$WORK/copy.err" >&2; die "copy-to failed"; }
bench_serve "$WORK/pgdata" rl_window=1 rl_standard=1000000 rl_playlist=1000000
phase postgresql

# Statements per operation on PostgreSQL (each a round trip), untimed: the cluster again with
# pg_stat_statements loaded, which the timed phase ran without.
echo "== statements per operation on PostgreSQL"
$PG_AS "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -o "-c listen_addresses='' \
	-c unix_socket_directories=$PG_DIR -p 5432 -c max_connections=200 \
	-c shared_preload_libraries=pg_stat_statements" restart >/dev/null ||
	{ cat "$PG_DIR/log" >&2; die "PostgreSQL did not restart with pg_stat_statements"; }
psql -h "$PG_DIR" -p 5432 -U segue -d writes -qc "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null ||
	die "pg_stat_statements is not available"
bench_serve "$WORK/pgdata" rl_window=1 rl_standard=1000000 rl_playlist=1000000
bench_run timeout 300 python3 bench/writes.py --port "$PORT" --token "$TOKEN" --catalog "$DATA/segue.db" \
	--statements "psql -h $PG_DIR -p 5432 -U segue -d writes"
bench_stop_pid "$SEG_PID"
SEG_PID=

echo "== side by side (PostgreSQL / SQLite)"
python3 - "$WORK/sqlite.txt" "$WORK/postgresql.txt" <<'PY'
import re, sys
def figures(path):
    out = {}
    for line in open(path):
        m = re.match(r"(play events|playlist \w+|library \w+):?\s+([0-9.]+) (\S+)", line)
        if m:
            key = m.group(1)
            if key in out:  # the second play-events line: more connections
                key += " (2 conns)"
            out[key] = (float(m.group(2)), m.group(3))
    return out
a, b = figures(sys.argv[1]), figures(sys.argv[2])
for k in a:
    if k in b:
        print("%-26s SQLite %9.0f  PostgreSQL %9.0f %-10s ratio %.2fx" % (k, a[k][0], b[k][0], a[k][1], b[k][0] / a[k][0] if a[k][0] else float("nan")))
PY
