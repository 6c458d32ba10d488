#!/bin/sh
# The Web API endpoints added for client libraries (issue #24) on a metadata-only catalog
# (default 1,000,000 tracks): p50/p99 and the server's CPU per request of each, next to an
# endpoint that was there before (GET /v1/tracks?ids= with 50 ids) and the ratio.
#
#   usage: bench/webapi.sh [DATA_DIR] [TRACKS]
#     DATA_DIR  the catalog, generated with data/gen-meta unless it holds one already
#               (default /tmp/segue-bench-meta-TRACKS, shared with bench/search.sh; never
#               written to: the benchmark works on a copy)
#   environment: N (200 requests an endpoint), PLAYS (5000 plays for the top items)
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
TRACKS=${2:-1000000}
DATA=${1:-/tmp/segue-bench-meta-$TRACKS}
say() { printf '%s\n' "$*"; }
die() { say "bench: $*" >&2; exit 1; }
[ -x server/segue-server ] || die "build the tree first (make)"
bench_workdir webapi

bench_meta_catalog "$DATA" "$TRACKS"
bench_serve "$WORK/data" rl_window=1 rl_standard=1000000 rl_search=1000000
say "Web API endpoints over $TRACKS tracks (server pid $SEG_PID, port $PORT)"
bench_run python3 bench/webapi.py --port "$PORT" --token "$TOKEN" --pid "$SEG_PID" \
	--db "$WORK/data/segue.db" --n "${N:-200}" --plays "${PLAYS:-5000}"
