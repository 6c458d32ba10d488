#!/bin/sh
# On-the-fly transcodes (OpenSubsonic stream, format=mp3|opus): time to first byte and CPU per
# stream (x real time per core), each next to the ffmpeg command doing the same transcode of
# the same stored file at the same bitrate, with the ratio; then how many mp3 transcodes at
# once keep real time (N = 1, 2, 4, ... up to --max). The input is a long stored rendition
# made for the run: a catalog track looped to about --seconds and encoded as the server stores
# its very_high quality (Ogg Vorbis, 320 kbit/s), put in place of that track's file in a
# private copy of the catalog. bench/transcode.py measures.
#
# Needs a catalog: demo/data (sh scripts/demo-catalog) when there is one, else the test
# catalog, tests/.catalog/data (made by make check). Run it niced on a shared machine; the
# figures are CPU time, which load does not change much, except the ramp's, which is wall time.
#   usage: bench/transcode.sh [--data DIR] [--seconds N] [--runs N] [--max N]
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
die() { echo "bench/transcode: $*" >&2; exit 1; }

DATA=
SECS=240
RUNS=9
MAXN=64
while [ $# -gt 0 ]; do
	case $1 in
	--data) DATA=$2; shift 2 ;;
	--seconds) SECS=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	--max) MAXN=$2; shift 2 ;;
	*) die "usage: bench/transcode.sh [--data DIR] [--seconds N] [--runs N] [--max N]" ;;
	esac
done
if [ -z "$DATA" ]; then
	if [ -f demo/data/segue.db ]; then DATA=demo/data; else DATA=tests/.catalog/data; fi
fi
[ -x server/segue-server ] || die "build the tree first (make)"
[ -f "$DATA/segue.db" ] || die "no catalog in $DATA (sh scripts/demo-catalog, or make check for tests/.catalog)"
command -v ffmpeg >/dev/null || die "needs ffmpeg (sh scripts/deps)"

bench_workdir transcode

# A private catalog whose media are per-file links to DATA's, but for the one file replaced.
mkdir "$WORK/data"
cp "$DATA/segue.db" "$WORK/data/"
cp -as "$(cd "$DATA" && pwd)/media" "$WORK/data/media"
TRACK=$(python3 -c 'import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
print(db.execute("SELECT id FROM tracks WHERE available AND (markets IS NULL OR markets = \"\" OR markets LIKE \"%US%\") ORDER BY duration_ms DESC LIMIT 1").fetchone()[0])' "$WORK/data/segue.db")
FILE=$WORK/data/media/$(echo "$TRACK" | cut -c1-2)/$TRACK/very_high.ogg
ORIG=$(readlink -f "$FILE")
LOOPS=$(python3 -c 'import subprocess, sys
d = float(subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", sys.argv[1]],
                         capture_output=True).stdout)
print(max(0, int(float(sys.argv[2]) / d + 0.5) - 1))' "$ORIG" "$SECS")
echo "bench/transcode: making a ${SECS} s input from $TRACK" >&2
rm "$FILE"
bench_run nice ffmpeg -v error -nostdin -stream_loop "$LOOPS" -i "$ORIG" -c:a libvorbis -b:a 320k "$FILE"
LEN=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$FILE")

bench_serve "$WORK/data" transcode_max=1024 http_send_timeout=600
KEY=$(python3 -c 'import json, sys, urllib.request
req = urllib.request.Request("http://127.0.0.1:%s/v1/segue/api-keys" % sys.argv[1], data=b"{\"name\": \"bench\"}",
                             headers={"Authorization": "Bearer " + sys.argv[2], "Content-Type": "application/json"})
print(json.load(urllib.request.urlopen(req))["key"])' "$PORT" "$TOKEN")

bench_run python3 bench/transcode.py "$PORT" "$KEY" "$TRACK" "$SEG_PID" "$FILE" "$LEN" "$RUNS" "$MAXN"
echo "($(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg) at the end)"
