#!/bin/sh
# Search at scale with the server's database on SQLite and then on PostgreSQL, side by side:
# the index is in memory either way, so the goal is the same p99 on both. For each engine:
# how long after listening search answers (the index built from the database), the server's
# RSS, and GET /v1/search over one persistent connection (tracks; tracks, artists and albums)
# and two at once, p50/p99 per pass; then the ratios. The catalog is the metadata-only one of
# bench/search.sh (data/gen-meta, cached), moved into a throwaway PostgreSQL cluster with
# segue-server copy-to.
#   usage: bench/search-store.sh [DATA_DIR] [TRACKS]
#     DATA_DIR  default /tmp/segue-bench-meta-TRACKS (generated once, never written to)
#     TRACKS    default 1000000
#   environment: QUERIES (1200), PHASE_SECONDS (30, the bound of each timed pass)
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
TRACKS=${2:-1000000}
DATA=${1:-/tmp/segue-bench-meta-$TRACKS}
QUERIES=${QUERIES:-1200}
PHASE_SECONDS=${PHASE_SECONDS:-30}
die() { echo "bench: $*" >&2; exit 1; }
[ -x server/segue-server ] || die "build the tree first (make)"

bench_workdir search-store
bench_meta_catalog "$DATA" "$TRACKS"
echo "search on SQLite and PostgreSQL: $TRACKS tracks, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
python3 bench/search-queries.py --count "$QUERIES" "$DATA/segue.db" >"$WORK/queries.tsv"

passes() { # ENGINE: the passes against the server bench_serve started, into $WORK/ENGINE.txt
	engine=$1
	ready=$(python3 bench/search-http.py --port "$PORT" --token "$TOKEN" --wait 600) ||
		die "$engine: search never answered"
	echo "  search answers ${ready} s after listening; RSS $(awk '/^VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$SEG_PID/status") MiB" |
		tee "$WORK/$engine.txt"
	recs=$(bench_wait_recs) || die "$engine: the recommendation model was not built in 900 s"
	echo "  recommendation model built $recs s later (the passes start after it)"
	for spec in "track 1" "track,artist,album 1" "track 2"; do
		# shellcheck disable=SC2086
		set -- $spec
		label=$1
		[ "$2" = 1 ] || label="$1 x$2 clients"
		bench_run python3 bench/search-http.py --port "$PORT" --token "$TOKEN" --queries "$WORK/queries.tsv" \
			--raw "$WORK/raw-$engine.tsv" --types "$1" --clients "$2" --seconds "$PHASE_SECONDS" --label "$label" |
			tee -a "$WORK/$engine.txt"
	done
	echo "  server RSS after the passes: $(awk '/^VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$SEG_PID/status") MiB"
	bench_stop_pid "$SEG_PID"
	SEG_PID=
}

echo "== SQLite"
bench_serve "$WORK/data" rl_window=1 rl_search=1000000 rl_standard=1000000
passes sqlite

echo "== PostgreSQL $(psql --version | awk '{print $3}')"
bench_pg_start
BENCH_DATABASE=$(bench_pg_url search)
t0=$(date +%s)
server/segue-server copy-to "$BENCH_DATABASE" --data-dir "$WORK/data" >/dev/null 2>"$WORK/copy.err" ||
	{ cat "$WORK/copy.err" >&2; die "copy-to failed"; }
echo "  copy-to: $(($(date +%s) - t0)) s for the catalog"
bench_serve "$WORK/data" rl_window=1 rl_search=1000000 rl_standard=1000000
passes postgresql

echo "== side by side (PostgreSQL / SQLite)"
python3 - "$WORK/sqlite.txt" "$WORK/postgresql.txt" <<'PY'
import re, sys
def figures(path):
    out = {}
    for line in open(path):
        m = re.search(r"search answers ([0-9.]+) s", line)
        if m:
            out["ready (s)"] = float(m.group(1))
        m = re.match(r"\s*HTTP (.+?)\s+\d+ requests.*p50 ([0-9.]+) ms, p99 ([0-9.]+) ms, ([0-9.]+) req/s", line)
        if m:
            out[m.group(1) + " p50 (ms)"] = float(m.group(2))
            out[m.group(1) + " p99 (ms)"] = float(m.group(3))
            out[m.group(1) + " req/s"] = float(m.group(4))
    return out
a, b = figures(sys.argv[1]), figures(sys.argv[2])
for k in a:
    if k in b:
        print("  %-34s SQLite %9.2f  PostgreSQL %9.2f  ratio %.2fx" % (k, a[k], b[k], b[k] / a[k] if a[k] else float("nan")))
PY
