#!/bin/sh
# Ingest benchmark: segue-server ingest of a set of masters (analysis + four encodings), in
# x real time per core, beside oggenc encoding the same masters at the same four bitrates
# (its ABR mode, -b) in the same run, and the ratio.
#   usage: bench/ingest.sh [MASTERS_DIR] [MAX_FILES]
set -eu
cd "$(dirname "$0")/.."
MASTERS=${1:-demo/masters}
MAX=${2:-24}
command -v oggenc >/dev/null || { echo "bench: needs oggenc (apt-get install vorbis-tools)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/segue-ingest-bench-XXXXXX)
trap 'rm -rf "$WORK"' EXIT INT TERM
find "$MASTERS" -type f \( -name '*.flac' -o -name '*.wav' \) | sort | head -n "$MAX" >"$WORK/list"
mkdir "$WORK/in"
i=0
while IFS= read -r f; do
	i=$((i + 1))
	case "$f" in *.flac) flac -s -d -f -o "$WORK/in/$i.wav" "$f" ;; *) cp "$f" "$WORK/in/$i.wav" ;; esac
done <"$WORK/list"
secs=$(for f in "$WORK"/in/*.wav; do soxi -D "$f"; done | awk '{s+=$1} END {printf "%.1f", s}')
cpu() { awk '{print $14+$15+$16+$17}' /proc/$1/stat; }
echo "ingest benchmark: $i masters, $secs s of audio, 2 cores"

start=$(date +%s.%N)
/usr/bin/time -f "%U %S" -o "$WORK/seg.time" server/segue-server ingest --quiet --data-dir "$WORK/data" "$WORK/in"
end=$(date +%s.%N)
seg_cpu=$(awk '{print $1+$2}' "$WORK/seg.time")
seg_wall=$(echo "$end $start" | awk '{print $1-$2}')

mkdir "$WORK/ogg"
start=$(date +%s.%N)
/usr/bin/time -f "%U %S" -o "$WORK/ogg.time" sh -c '
	for f in "$1"/in/*.wav; do
		for b in 24 96 160 320; do echo "$f $b"; done
	done | xargs -P 2 -n 2 sh -c "oggenc -Q -b \$1 -o \"$1/ogg/\$(basename \$0).\$1.ogg\" \"\$0\" 2>/dev/null || true"
' sh "$WORK"
end=$(date +%s.%N)
ogg_cpu=$(awk '{print $1+$2}' "$WORK/ogg.time")
ogg_wall=$(echo "$end $start" | awk '{print $1-$2}')
awk -v s="$secs" -v sc="$seg_cpu" -v sw="$seg_wall" -v oc="$ogg_cpu" -v ow="$ogg_wall" 'BEGIN {
	printf "segue-server ingest: %6.1fx real time per core, %6.1fx wall (%.1f s CPU, %.1f s)\n", s/sc, s/sw, sc, sw
	printf "oggenc, 4 bitrates:  %6.1fx real time per core, %6.1fx wall (%.1f s CPU, %.1f s)\n", s/oc, s/ow, oc, ow
	printf "ratio segue / oggenc per core: %.2fx (segue also analyses loudness, tempo and features)\n", oc/sc
}'
