#!/bin/sh
# Synced lyrics on screen: how long after mpv's position passes a line's stamp the TUI's Lyrics
# page shows that line lit (p50/p99 over every line of ROUNDS plays of one track), next to the
# anchor, one display frame (16.7 ms at 60 Hz). Also: how far the daemon's state events, from
# which the TUI works out the position, are from mpv's own position. bench/lyrics.py says
# exactly what is measured.
# The catalog is made here: one sine-tone master (SECONDS long, sox) with an .lrc beside it, a
# line every STEP_MS, ingested into a fresh data directory; the daemon plays to the null audio
# output (which takes audio in real time). Reads the screen through a terminal emulator
# (python3-pyte, installed when missing), as bench/tui.sh does. Takes ROUNDS x SECONDS and a
# few seconds more.
#   usage: bench/lyrics.sh [ROUNDS] [SECONDS] [STEP_MS]   (LYRICS_BENCH_DUMP=1: every line's delay too)
set -eu
cd "$(dirname "$0")/.."
PATH=/usr/bin:/bin:$PATH # Debian's python3 (pyte is Debian's python3-pyte)
. bench/lib.sh
die() { echo "bench: $*" >&2; exit 1; }
ROUNDS=${1:-3}
SECS=${2:-30}
STEP=${3:-700}
for v in "$ROUNDS" "$SECS" "$STEP"; do
	case $v in '' | *[!0-9]*) die "ROUNDS, SECONDS and STEP_MS are whole numbers" ;; esac
done
[ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 50 ] || die "ROUNDS: 1 to 50"
[ "$SECS" -ge 5 ] && [ "$SECS" -le 600 ] || die "SECONDS: 5 to 600"
[ "$STEP" -ge 100 ] && [ "$STEP" -le 10000 ] || die "STEP_MS: 100 to 10000"
[ -x server/segue-server ] && [ -x src/segue ] || die "build the tree first (make)"
command -v sox >/dev/null || die "needs sox (sh scripts/deps)"
bench_apt_want python3-pyte && python3 -c 'import pyte' 2>/dev/null ||
	die "needs Debian's python3-pyte (the terminal emulator the screen is read with)"

WORK=$(mktemp -d "/tmp/segue-lyrics-bench-XXXXXX")
# shellcheck disable=SC2034 # (bench/lib.sh's, for bench_cleanup)
SEG_PID='' MPV_PID='' BENCH_HOME=''
trap bench_cleanup EXIT
trap 'exit 130' HUP INT PIPE TERM

# The track: a line every STEP ms from the first second to a second before the end, each
# line's text its own (the driver finds a line by its text).
ALBUM="$WORK/masters/Bench Band/Timed"
mkdir -p "$ALBUM"
sox -n -r 44100 -c 2 -b 16 "$ALBUM/01 - Timed.flac" synth "$SECS" sine 330 vol 0.3
awk -v secs="$SECS" -v step="$STEP" 'BEGIN {
	for (ms = 1000; ms < secs * 1000 - 1000; ms += step)
		printf "[%02d:%02d.%02d]Line %d at %d ms\n", ms / 60000, (ms / 1000) % 60, (ms % 1000) / 10, ++n, ms
}' >"$ALBUM/01 - Timed.lrc"
server/segue-server ingest --quiet "$WORK/masters" --data-dir "$WORK/data" >/dev/null
bench_serve "$WORK/data" rl_window=1 rl_standard=1000000 rl_player=1000000
bench_client "$WORK/client" "audio_output = null"
TRACK=$(python3 -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT id FROM tracks").fetchone()[0])' "$WORK/data/segue.db")

echo "Lyrics benchmark: $ROUNDS plays of a ${SECS} s track, a line every $STEP ms," \
	"$(grep -c . "$ALBUM/01 - Timed.lrc") lines, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
bench_run timeout $((ROUNDS * SECS + 120)) python3 bench/lyrics.py --segue "$SEGUE" --track "$TRACK" \
	--rounds "$ROUNDS" ||
	die "the measurement failed (daemon log: $(tail -5 "$XDG_DATA_HOME/segue/daemon.log" 2>/dev/null))"
