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
if [ -n "${1:-}" ]; then DATA=$1; elif [ -f demo/data/segue.db ]; then DATA=demo/data; else DATA=tests/.catalog/data; fi
PLAYS=${2:-50}
die() { echo "bench: $*" >&2; exit 1; }
sh scripts/deps --bench >/dev/null || exit 1
command -v mpv >/dev/null || die "needs the mpv command (sh scripts/deps --bench)"
[ -x server/segue-server ] && [ -x src/segue ] || die "build the tree first (make)"
[ -f "$DATA/segue.db" ] || die "no catalog in $DATA (sh scripts/demo-catalog, or make check for tests/.catalog)"

WORK=$(mktemp -d /tmp/segue-tap-bench-XXXXXX)
SEG_PID=
MPV_PID=
CHILD=
# Long steps run in the background and are waited for, so that a signal is acted on at once.
run() {
	"$@" &
	CHILD=$!
	wait "$CHILD" && rc=0 || rc=$?
	CHILD=
	return "$rc"
}
stop_pid() { # PID: TERM, then KILL after 3 s
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null || return 0
	_i=0
	while kill -0 "$1" 2>/dev/null && [ $_i -lt 30 ]; do sleep 0.1; _i=$((_i + 1)); done
	kill -9 "$1" 2>/dev/null || true
}
cleanup() {
	set +e
	if [ -n "$CHILD" ]; then kill "$CHILD" 2>/dev/null; wait "$CHILD" 2>/dev/null; fi
	# The daemon detaches (not our child): its pid file names it.
	[ -f "$WORK/client/run/segue/daemon.pid" ] && stop_pid "$(cat "$WORK/client/run/segue/daemon.pid")"
	stop_pid "$MPV_PID"
	stop_pid "$SEG_PID"
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' HUP INT PIPE TERM

# The server, over a private copy of the database (media shared read-only), rate limits off.
mkdir "$WORK/data"
cp "$DATA/segue.db" "$WORK/data/"
ln -s "$(cd "$DATA" && pwd)/media" "$WORK/data/media"
bench_serve "$WORK/data" rl_window=1 rl_standard=1000000 rl_player=1000000

# The client in a private home, run from a copy of the binary (a rebuild during the run would
# replace src/segue under us). Its mpv also serves mpv's JSON IPC, so that the playback start
# of the mpv inside segue is seen exactly as the bare mpv's is. The quality is fixed (the
# default preference, high, for both players): adaptive quality is off, because its controller
# can step down and reload the track just after a track starts (a sample then sees an empty
# cache and mpv's first, partial cache-speed figure), which would put a reload inside some
# plays and change the file the bare mpv is compared with.
cp src/segue "$WORK/segue"
SEGUE=$WORK/segue
mkdir -m 0700 "$WORK/client"
for d in config data cache run; do mkdir -m 0700 "$WORK/client/$d"; done
export XDG_CONFIG_HOME="$WORK/client/config" XDG_DATA_HOME="$WORK/client/data" \
	XDG_CACHE_HOME="$WORK/client/cache" XDG_RUNTIME_DIR="$WORK/client/run" \
	SEGUE_SERVER="http://127.0.0.1:$PORT"
unset SEGUE_CONFIG
mkdir -p "$XDG_CONFIG_HOME/segue"
printf 'audio_output = null\nadaptive = false\nmpv_options = input-ipc-server=%s\n' "$WORK/dmpv.sock" \
	>"$XDG_CONFIG_HOME/segue/segue.conf"
echo "bench-password" | "$SEGUE" login bencher >/dev/null
"$SEGUE" daemon --detach || die "the daemon did not start: $(cat "$XDG_DATA_HOME/segue/daemon.log" 2>/dev/null)"

# The bare mpv: idle, null audio output, no configuration (and no terminal, as in segue).
mpv --idle --no-config --ao=null --no-terminal --input-ipc-server="$WORK/mpv.sock" \
	>"$WORK/mpv.log" 2>&1 &
MPV_PID=$!
_i=0
until [ -S "$WORK/mpv.sock" ] && [ -S "$WORK/dmpv.sock" ]; do
	_i=$((_i + 1))
	[ $_i -lt 100 ] || die "no mpv IPC socket: $(cat "$WORK/mpv.log")"
	sleep 0.1
done

echo "tap-to-first-audio benchmark: $PLAYS plays each, catalog $DATA, loopback, $(nproc) cores," \
	"mpv $(mpv --version | sed -n '1s/^mpv \([^ ]*\).*/\1/p'), $(date -u +%Y-%m-%dT%H:%MZ)"
run timeout 170 python3 bench/tap.py --ctl "$XDG_RUNTIME_DIR/segue/control" \
	--dmpv "$WORK/dmpv.sock" --mpv "$WORK/mpv.sock" --port "$PORT" --token "$TOKEN" \
	--db "$WORK/data/segue.db" --segue "$SEGUE" --plays "$PLAYS" ||
	die "the measurement failed (daemon log: $(tail -5 "$XDG_DATA_HOME/segue/daemon.log" 2>/dev/null))"
