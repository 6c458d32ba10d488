#!/bin/sh
# Cover art per album page, on loopback: the cover fetched and drawn the way the TUI's art
# worker does it (artcache_fetch, then art_render as block symbols in 240 colours for the
# header box of an 80x24 screen, 14x7 cells, and of a 200x60 one, 32x16), cold cache (the file
# removed first: HTTP, the file written and renamed, decoded, drawn) and warm (read, decoded,
# drawn), p50/p99 per page over ALBUMS albums x ROUNDS rounds, timed inside the client's
# functions by bench/art-bench.c. The anchor: the same picture's bytes fetched with libcurl
# into memory (a fresh handle each time, as the cache does), and the ratio to it.
# The catalog is made here: ALBUMS albums of one short track, each with its own 1000x1000
# cover (ffmpeg's testsrc2, hue turned per album), ingested by segue-server.
#   usage: bench/art.sh [ALBUMS] [ROUNDS]      (defaults: 20 albums, 5 rounds; ~1 minute)
set -eu
cd "$(dirname "$0")/.."
PATH=/usr/bin:/bin:$PATH
. bench/lib.sh
die() { echo "bench: $*" >&2; exit 1; }
ALBUMS=${1:-20}
ROUNDS=${2:-5}
for v in "$ALBUMS" "$ROUNDS"; do
	case $v in '' | *[!0-9]*) die "ALBUMS and ROUNDS are whole numbers" ;; esac
done
[ "$ALBUMS" -ge 1 ] && [ "$ALBUMS" -le 500 ] || die "ALBUMS: 1 to 500"
[ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 100 ] || die "ROUNDS: 1 to 100"
[ -x server/segue-server ] && [ -f src/libseguecore.a ] || die "build the tree first (make)"
for tool in ffmpeg sox sqlite3 gcc; do
	command -v $tool >/dev/null || die "needs $tool (scripts/deps)"
done

bench_workdir art

echo "making $ALBUMS albums with covers..." >&2
i=0
while [ $i -lt "$ALBUMS" ]; do
	d="$WORK/masters/Artist $i/Album $i"
	mkdir -p "$d"
	sox -n -r 22050 -c 1 -b 16 "$d/01 - Track.wav" synth 1 sine $((200 + i * 7)) vol 0.5
	ffmpeg -v error -y -f lavfi -i "testsrc2=s=1000x1000,hue=h=$((i * 360 / ALBUMS))" \
		-frames:v 1 -f image2 -c:v mjpeg -q:v 3 "$d/cover.jpg"
	i=$((i + 1))
done
mkdir "$WORK/data"
server/segue-server ingest --quiet "$WORK/masters" --data-dir "$WORK/data" >/dev/null 2>"$WORK/ingest.err" ||
	{ cat "$WORK/ingest.err" >&2; die "ingest failed"; }
bench_serve "$WORK/data"
sqlite3 "$WORK/data/segue.db" "SELECT image FROM albums WHERE image IS NOT NULL" |
	sed "s|^|http://127.0.0.1:$PORT/images/|; s|$|/300.jpg|" >"$WORK/urls"
[ "$(wc -l <"$WORK/urls")" -eq "$ALBUMS" ] || die "not every album has its cover"

# shellcheck disable=SC2046
gcc -O2 -std=gnu11 -D_GNU_SOURCE -I. -Isrc/core -Ilib bench/art-bench.c src/libseguecore.a lib/libsegue.a \
	$(pkg-config --cflags --libs chafa libcurl jansson libsodium sqlite3 libwebsockets libavcodec \
		libswscale libavutil) -lm -lpthread -o "$WORK/art-bench" 2>"$WORK/cc.err" ||
	{ cat "$WORK/cc.err" >&2; die "bench/art-bench.c does not build"; }
echo "== an 80x24 screen's album header"
bench_run "$WORK/art-bench" "$WORK/cache" "$WORK/urls" 14 7 "$ROUNDS"
echo "== a 200x60 screen's album header"
bench_run "$WORK/art-bench" "$WORK/cache" "$WORK/urls" 32 16 "$ROUNDS"
