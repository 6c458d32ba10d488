#!/bin/sh
# The Connect frame guard (server/connect/wsguard.c): what watching the frames costs per byte,
# next to copying the same bytes, and what its recv(2) costs an unwatched descriptor, next to
# the bare system call. bench/wsguard-bench.c says what each line measures.
#   usage: sh bench/wsguard.sh [MIB]   (from the top of a built tree)
set -eu
die() { echo "bench/wsguard.sh: $*" >&2; exit 1; }
command -v gcc >/dev/null || die "needs gcc"
[ -f server/libsegueserver.a ] || die "build the tree first (make)"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# shellcheck disable=SC2046 # (pkg-config's flags: words)
gcc -O2 -std=gnu11 -D_GNU_SOURCE -Iserver -Ilib bench/wsguard-bench.c server/libsegueserver.a \
	lib/libsegue.a $(pkg-config --libs libwebsockets) -lpthread \
	-o "$WORK/wsguard-bench" || die "bench/wsguard-bench.c does not build"
nice -n 10 "$WORK/wsguard-bench" "${1:-64}"
