#!/bin/sh
# Write throughput at the HTTP API, on loopback: play-event ingest (POST /v1/segue/events,
# batches of 100, one and two connections) in events/s, and playlist changes (add one track, reorder)
# in changes/s on a 1,000-item playlist. Runs on a private copy of a metadata-only catalog of
# 10,000 tracks (generated once with data/gen-meta and cached).
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

WORK=$(mktemp -d /tmp/segue-writes-bench-XXXXXX)
SEG_PID=
cleanup() {
	set +e
	bench_stop_child
	if [ -n "$SEG_PID" ]; then kill "$SEG_PID" 2>/dev/null; wait "$SEG_PID" 2>/dev/null; fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' HUP INT PIPE TERM

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
mkdir "$WORK/data"
cp "$DATA/segue.db" "$WORK/data/"

bench_serve "$WORK/data" rl_window=1 rl_standard=1000000 rl_playlist=1000000

echo "write benchmark: $have tracks, $(nproc) cores, ${PHASE} s a phase, loopback, $(date -u +%Y-%m-%dT%H:%MZ)"
bench_run timeout $((PHASE * 4 + 120)) python3 bench/writes.py --port "$PORT" --token "$TOKEN" \
	--catalog "$WORK/data/segue.db" --seconds "$PHASE" --clients 2
rows=$(python3 -c 'import sqlite3, sys
print(sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True).execute("SELECT count(*) FROM plays").fetchone()[0])' \
	"$WORK/data/segue.db")
echo "plays stored: $rows; server RSS $(awk '/^VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$SEG_PID/status") MiB"
