#!/bin/sh
# What rendering a list costs on PostgreSQL, request by request: the statements the server
# runs (PostgreSQL logs every one: log_min_duration_statement=0) and the CPU time the server
# and its PostgreSQL backends spend, for searches and for the lists of tracks (an album's
# tracks, a playlist's items, saved tracks, recently played). Each request is sent once to
# warm up (statements prepared, pages cached), then REPEAT times measured; the figures are
# per request. The anchor is the statement count: a list rendered in a fixed number of
# statements gives the same count for 20 hits as for 50.
#   usage: bench/render-statements.sh [DATA_DIR] [TRACKS]
#     DATA_DIR  default /tmp/segue-bench-meta-TRACKS (bench/search.sh's catalog; never written)
#     TRACKS    default 10000
#   environment: REPEAT (20), SHOW (1: list each request's statements, how many of each)
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
TRACKS=${2:-10000}
DATA=${1:-/tmp/segue-bench-meta-$TRACKS}
REPEAT=${REPEAT:-20}
die() { echo "bench: $*" >&2; exit 1; }
[ -x server/segue-server ] || die "build the tree first (make)"

bench_workdir render-statements
bench_meta_catalog "$DATA" "$TRACKS"
echo "statements and CPU per request on PostgreSQL: $TRACKS tracks, $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
bench_pg_start
psql -h "$PG_DIR" -p 5432 -U segue -d postgres -qc "ALTER SYSTEM SET log_min_duration_statement = 0" \
	-c "SELECT pg_reload_conf()" >/dev/null || die "cannot turn statement logging on"
BENCH_DATABASE=$(bench_pg_url render)
server/segue-server copy-to "$BENCH_DATABASE" --data-dir "$WORK/data" >/dev/null 2>"$WORK/copy.err" ||
	{ cat "$WORK/copy.err" >&2; die "copy-to failed"; }
bench_serve "$WORK/data" rl_window=1 rl_search=1000000 rl_standard=1000000
python3 bench/search-http.py --port "$PORT" --token "$TOKEN" --wait 600 >/dev/null ||
	die "search never answered"
bench_run python3 bench/render-statements.py --port "$PORT" --token "$TOKEN" --log "$PG_DIR/log" \
	--server-pid "$SEG_PID" --repeat "$REPEAT" ${SHOW:+--show}
