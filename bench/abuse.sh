#!/bin/sh
# Health under abuse: /healthz p99 (goal: under 10 ms) on an idle server, then on the same
# server while SLOW slowloris connections (1000: a header line every 5 s, reopened whenever
# the server cuts one), READERS slow audio readers (100: 16 KB/s each, a player's pace, over
# small receive buffers; reopened at the end of a file) and a login flood (4 clients sending
# wrong passwords to POST /api/token back to back, on kept-alive connections) are all open.
# The probe asks /healthz every 10 ms on one kept-alive connection for SECONDS; the load runs
# from its own processes (bench/abuse.py), so neither shares the probe's clock. Prints both
# p99s, their ratio, and what the load saw: the slow connections still open and cut, the
# readers' throughput (and any cut, which should be none: they keep reading), the login
# answers by status.
#
# Needs a catalog: demo/data (sh scripts/demo-catalog) when there is one, else the test
# catalog, tests/.catalog/data (made by make check). About 2 x SECONDS + 20 s.
# --slow, --readers and --flood (login clients) size each part; 0 leaves one out, to see
# which one costs what.
#   usage: bench/abuse.sh [--data DIR] [--seconds N] [--slow N] [--readers N] [--flood N]
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
die() { echo "bench/abuse: $*" >&2; exit 1; }

DATA=
SECS=20
SLOW=1000
READERS=100
FLOOD=4
while [ $# -gt 0 ]; do
	case $1 in
	--data) DATA=$2; shift 2 ;;
	--seconds) SECS=$2; shift 2 ;;
	--slow) SLOW=$2; shift 2 ;;
	--readers) READERS=$2; shift 2 ;;
	--flood) FLOOD=$2; shift 2 ;;
	*) die "usage: bench/abuse.sh [--data DIR] [--seconds N] [--slow N] [--readers N] [--flood N]" ;;
	esac
done
if [ -z "$DATA" ]; then
	if [ -f demo/data/segue.db ]; then DATA=demo/data; else DATA=tests/.catalog/data; fi
fi
[ -x server/segue-server ] || die "build the tree first (make)"
[ -f "$DATA/segue.db" ] || die "no catalog in $DATA (sh scripts/demo-catalog, or make check for tests/.catalog)"

WORK=$(mktemp -d /tmp/segue-abuse-bench-XXXXXX)
SEG_PID=
LOAD_PID=
FLOOD_PID=
cleanup() {
	set +e
	bench_stop_child
	bench_stop_pid "$LOAD_PID"
	bench_stop_pid "$FLOOD_PID"
	bench_stop_pid "$SEG_PID"
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' HUP INT PIPE TERM

# Rate limits as shipped; the flood is about logins, which they do not cover.
bench_data_copy "$DATA" "$WORK/data"
bench_serve "$WORK/data"

# Signed audio paths for the readers (every track the bench account may play).
python3 - "$WORK/data/segue.db" "$PORT" "$TOKEN" >"$WORK/paths" <<'PY'
import json, sqlite3, sys, urllib.error, urllib.parse, urllib.request
db, port, tok = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for (tid,) in sqlite3.connect("file:%s?mode=ro" % db, uri=True).execute("SELECT id FROM tracks"):
    req = urllib.request.Request("http://127.0.0.1:%d/v1/segue/playback/%s?quality=very_high" % (port, tid),
                                 headers={"Authorization": "Bearer " + tok})
    try:
        url = urllib.parse.urlsplit(json.load(urllib.request.urlopen(req, timeout=10))["urls"]["very_high"])
    except urllib.error.HTTPError:
        continue
    print("%s?%s" % (url.path, url.query))
PY
[ -s "$WORK/paths" ] || die "no playable track in $DATA"

echo "bench/abuse: idle probe, ${SECS} s" >&2
bench_run python3 bench/abuse.py probe 127.0.0.1 "$PORT" "$SECS" >"$WORK/idle"

echo "bench/abuse: opening $SLOW slowloris connections and $READERS slow readers" >&2
LOAD_SECS=$((SECS + 90))
SLOW=$SLOW READERS=$READERS python3 bench/abuse.py load 127.0.0.1 "$PORT" "$WORK/paths" "$LOAD_SECS" \
	"$WORK/ready" >"$WORK/load" &
LOAD_PID=$!
i=0
until [ -f "$WORK/ready" ]; do
	i=$((i + 1))
	[ $i -lt 600 ] && kill -0 "$LOAD_PID" 2>/dev/null || die "the load did not get its connections open in 60 s"
	sleep 0.1
done
FLOOD=$FLOOD python3 bench/abuse.py flood 127.0.0.1 "$PORT" "$((SECS + 2))" >"$WORK/flood" &
FLOOD_PID=$!
sleep 1
echo "bench/abuse: probe under abuse, ${SECS} s" >&2
CPU0=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$SEG_PID/stat")
LCPU0=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$LOAD_PID/stat")
bench_run python3 bench/abuse.py probe 127.0.0.1 "$PORT" "$SECS" >"$WORK/busy"
HZ=$(getconf CLK_TCK)
CPU=$(awk -v c0="$CPU0" -v s="$SECS" -v hz="$HZ" '{ sub(/^.*\) /, ""); printf "%.0f", 100 * ($12 + $13 - c0) / hz / s }' "/proc/$SEG_PID/stat")
LCPU=$(awk -v c0="$LCPU0" -v s="$SECS" -v hz="$HZ" '{ sub(/^.*\) /, ""); printf "%.0f", 100 * ($12 + $13 - c0) / hz / s }' "/proc/$LOAD_PID/stat")
wait "$FLOOD_PID" || die "the login flood failed"
FLOOD_PID=
kill "$LOAD_PID" 2>/dev/null || true # it reports what it saw, then ends
wait "$LOAD_PID" || true
LOAD_PID=

read -r I50 I99 IMAX IN IERR <"$WORK/idle"
read -r B50 B99 BMAX BN BERR <"$WORK/busy"
read -r FRATE FSTATUS <"$WORK/flood"
printf '\n%-28s %10s %10s %10s %8s %7s\n' "/healthz (ms)" p50 p99 max probes errors
printf '%-28s %10s %10s %10s %8s %7s\n' "idle (anchor)" "$I50" "$I99" "$IMAX" "$IN" "$IERR"
printf '%-28s %10s %10s %10s %8s %7s\n' "under abuse" "$B50" "$B99" "$BMAX" "$BN" "$BERR"
awk -v a="$I99" -v b="$B99" 'BEGIN { printf "p99 under abuse / idle: %.1fx; goal under 10 ms: %s\n", b / a, (b < 10 ? "met" : "NOT met") }'
printf 'login flood: %s attempts/s, by status %s\n' "$FRATE" "$FSTATUS"
echo "CPU while probed under abuse: server $CPU %, the slow-connection load $LCPU % (of one core; $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg))"
echo "the load: $SLOW slowloris, $READERS readers, $FLOOD login clients; what it saw once all were open:"
if [ -s "$WORK/load" ]; then
	read -r LOPEN LCUT ROPEN RRATE RCUT <"$WORK/load"
	echo "  slowloris open $LOPEN (cut $LCUT, reopened), readers open $ROPEN at $RRATE B/s in all (cut $RCUT)"
fi
