#!/bin/sh
# Tap to first audio, on loopback: from issuing a play to mpv's playback start (its
# "playback-restart" event, on which the daemon emits a "state" event), p50/p99 over PLAYS
# plays, for segue's daemon over its control socket and for the `segue play URI` command line
# (a daemon running), next to a bare mpv loading the same signed URLs in the same run, with the
# ratios and the goals (p99 < 100 ms, within 2x of bare mpv). Both mpvs use the null audio
# output. bench/tap.py measures and says exactly what; this script sets up and cleans up.
# Needs a catalog: demo/data (sh scripts/demo-catalog) when there is one, else the test
# catalog, tests/.catalog/data (made by make check); a private copy of its database is used.
# Takes about 75 s with 50 plays.
#   usage: bench/tap.sh [DATA_DIR] [PLAYS]
set -eu
cd "$(dirname "$0")/.."
PATH=/usr/bin:/bin:$PATH # Debian's python3 (bench_serve runs python3 too) and mpv
. bench/lib.sh
PLAYS=${2:-50}
die() { echo "bench: $*" >&2; exit 1; }
bench_player_catalog "${1:-}"

# The work directory, and the server over a private copy of the database (media shared
# read-only), rate limits off.
bench_player_start tap

# The client in a private home (bench_client). Its mpv also serves mpv's JSON IPC, so that the playback start of
# the mpv inside segue is seen exactly as the bare mpv's is. The quality is fixed (the default
# preference, high, for both players): adaptive quality is off only so that both players load
# the same file.
bench_client "$WORK/client" "audio_output = null" "adaptive = false" \
	"mpv_options = input-ipc-server=$WORK/dmpv.sock"
"$SEGUE" daemon --detach || die "the daemon did not start: $(cat "$XDG_DATA_HOME/segue/daemon.log" 2>/dev/null)"

# The bare mpv; then both mpvs' IPC sockets are there.
bench_mpv "$WORK/dmpv.sock"

echo "tap-to-first-audio benchmark: $PLAYS plays each, catalog $DATA, loopback, $(nproc) cores," \
	"mpv $(mpv --version | sed -n '1s/^mpv \([^ ]*\).*/\1/p'), $(date -u +%Y-%m-%dT%H:%MZ)"
bench_run timeout 170 python3 bench/tap.py --ctl "$XDG_RUNTIME_DIR/segue/control" \
	--dmpv "$WORK/dmpv.sock" --mpv "$WORK/mpv.sock" --port "$PORT" --token "$TOKEN" \
	--db "$WORK/data/segue.db" --segue "$SEGUE" --plays "$PLAYS" ||
	die "the measurement failed (daemon log: $(tail -5 "$XDG_DATA_HOME/segue/daemon.log" 2>/dev/null))"
