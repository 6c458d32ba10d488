#!/bin/sh
# The Subsonic API at scale: search3 and getAlbumList2 p50/p99 over a metadata-only catalog
# (default 1,000,000 tracks), each next to the Web API doing the same work on the same server
# (bench/subsonic-http.py says which). Per-type getAlbumList2 figures come from the raw
# timings. Needs a built tree (make) and python3.
#
#   usage: bench/subsonic.sh [DATA_DIR] [TRACKS]
#     DATA_DIR  the catalog, generated with data/gen-meta unless it holds TRACKS tracks already
#               (default /tmp/segue-bench-meta-TRACKS, shared with bench/search.sh; never
#               written to: the benchmark works on a copy)
#   environment: QUERIES (1200), PHASE_SECONDS (60, the bound of each timed pass)
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
TRACKS=${2:-1000000}
DATA=${1:-/tmp/segue-bench-meta-$TRACKS}
QUERIES=${QUERIES:-1200}
PHASE_SECONDS=${PHASE_SECONDS:-60}
say() { printf '%s\n' "$*"; }
die() { say "bench: $*" >&2; exit 1; }

[ -x server/segue-server ] || die "build the tree first (make)"
bench_workdir subsonic

bench_meta_catalog "$DATA" "$TRACKS"
say "Subsonic benchmark: $TRACKS tracks ($DATA), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
python3 bench/search-queries.py --count "$QUERIES" "$DATA/segue.db" >"$WORK/queries.tsv"

# The server migrates the copy on start (the Subsonic indexes are made then, once).
bench_serve "$WORK/data" rl_window=1 rl_search=1000000 rl_standard=1000000
KEY=$(python3 -c 'import json, sys, urllib.request
r = urllib.request.Request("http://127.0.0.1:%s/v1/segue/api-keys" % sys.argv[1], data=b"{\"name\": \"bench\"}",
                           headers={"Authorization": "Bearer " + sys.argv[2], "Content-Type": "application/json"})
print(json.load(urllib.request.urlopen(r))["key"])' "$PORT" "$TOKEN")
python3 bench/search-http.py --port "$PORT" --token "$TOKEN" --wait 300 >/dev/null ||
	die "the server's search never answered"
bench_run python3 bench/subsonic-http.py --port "$PORT" --token "$TOKEN" --key "$KEY" \
	--queries "$WORK/queries.tsv" --db "$WORK/data/segue.db" --seconds "$PHASE_SECONDS" --pid "$SEG_PID"
say "server CPU (user+sys) over the run: $(awk '{printf "%.1f s", ($14 + $15) / 100}' "/proc/$SEG_PID/stat")"
say "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other work skews the tails)"
