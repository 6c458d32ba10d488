#!/bin/sh
# Rescan benchmark: segue-server ingest over a library it already holds, every file unchanged,
# so that only the walk and the fast path run (issue #21: under 3 s for 10,000 files). The
# same rescan is timed with a build of BEFORE in the same run, and the ratio printed.
#   usage: bench/rescan.sh [FILES]         (default 10000)
# BEFORE=REF picks the "before" commit; the default is where this tree's branch left main
# (git merge-base HEAD main). The library is ingested by the "before" build and opened by this
# tree, so BEFORE's schema must be one this tree migrates from: not a main that has gained
# migrations since (they share numbers until merged).
# The masters (FILES distinct half-second WAVs made with sox, a hundred to a folder), the
# "before" build and the first, slow ingest (about a minute per thousand files on two cores)
# are kept in $SEGUE_RESCAN_CACHE (default /tmp/segue-rescan-cache) for the next run.
set -eu
cd "$(dirname "$0")/.."
FILES=${1:-10000}
BEFORE=${BEFORE:-$(git merge-base HEAD main)}
CACHE=${SEGUE_RESCAN_CACHE:-/tmp/segue-rescan-cache}
die() { echo "bench: $*" >&2; exit 1; }
command -v sox >/dev/null || die "needs sox"
[ -x server/segue-server ] || die "build the tree first (make)"
commit=$(git rev-parse --verify -q "$BEFORE^{commit}") || die "no commit $BEFORE"
mkdir -p "$CACHE"

# The masters: distinct noise, cut from one long file by one sox process.
masters=$CACHE/masters-$FILES
if [ ! -f "$masters/.done" ]; then
	rm -rf "$masters"
	mkdir -p "$masters/cut"
	sox -n -r 22050 -c 1 -b 16 "$masters/long.wav" synth "$((FILES / 2 + 1))" whitenoise vol 0.3
	(cd "$masters/cut" && sox ../long.wav t.wav trim 0 0.5 : newfile : restart)
	rm "$masters/long.wav"
	i=0
	for f in "$masters"/cut/t*.wav; do
		[ $i -lt "$FILES" ] || break
		d="$masters/Artist $((i / 100))/Album $((i / 100))"
		[ $((i % 100)) -eq 0 ] && mkdir -p "$d"
		mv "$f" "$d/$(printf '%02d' $((i % 100 + 1))) - Noise $i.wav"
		i=$((i + 1))
	done
	rm -rf "$masters/cut"
	[ $i -eq "$FILES" ] || die "sox made $i files, not $FILES"
	touch "$masters/.done"
fi

# The "before" build, from the commit alone (the work tree is not touched).
before=$CACHE/build-$commit
if [ ! -x "$before/server/segue-server" ]; then
	rm -rf "$before"
	mkdir -p "$before"
	git archive "$commit" | tar -x -C "$before"
	(cd "$before" && autoreconf -fi && ./configure && make -j2 server/segue-server) \
		>"$before.log" 2>&1 || die "building $BEFORE failed: see $before.log"
fi

# The library, ingested once by the "before" build, whose schema both builds can open.
lib=$CACHE/data-$FILES-$commit
if [ ! -f "$lib/.done" ]; then
	rm -rf "$lib"
	echo "bench: first ingest of $FILES files by $BEFORE (slow, once)" >&2
	"$before/server/segue-server" ingest --quiet --data-dir "$lib" "$masters" || die "the first ingest failed"
	touch "$lib/.done"
fi

WORK=$(mktemp -d /tmp/segue-rescan-bench-XXXXXX)
trap 'rm -rf "$WORK"' EXIT INT TERM

# rescan BIN NAME: a private copy of the database (the media shared), one untimed rescan (for
# "after" that migrates the copy; for both it warms the page cache), then the best of three.
rescan() {
	mkdir "$WORK/$2"
	cp "$lib/segue.db" "$WORK/$2/"
	ln -s "$lib/media" "$WORK/$2/media"
	out=$("$1" ingest --data-dir "$WORK/$2" "$masters" 2>"$WORK/$2.err") || true
	case "$out" in
	*"$FILES already known"*) ;;
	*) die "$2: not a rescan: $out $(head -c 300 "$WORK/$2.err")" ;;
	esac
	best=
	for _ in 1 2 3; do
		t0=$(date +%s%N)
		"$1" ingest --quiet --data-dir "$WORK/$2" "$masters"
		t1=$(date +%s%N)
		t=$(((t1 - t0) / 1000000))
		if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
	done
	echo "$best"
}

echo "rescan benchmark: $FILES unchanged files, $(nproc) cores"
b=$(rescan "$before/server/segue-server" before)
a=$(rescan server/segue-server after)
awk -v a="$a" -v b="$b" -v n="$FILES" -v c="$(git log -1 --format='%h %s' "$commit" | cut -c1-50)" 'BEGIN {
	printf "before (%s): %6.2f s\n", c, b / 1000
	printf "after (this tree):    %6.2f s  (%.0f files/s)\n", a / 1000, n / (a > 0 ? a / 1000 : 0.001)
	printf "ratio before / after: %.1fx; target under 3 s for 10,000 files\n", b / (a > 0 ? a : 1)
}'
