#!/bin/sh
# The terminal interface, on loopback: start to first frame (p50/p99 over STARTS starts, the
# daemon running and not: cold, the TUI starts it), keystroke to search results painted (the
# last key of a query typed on the Search page to its rows on screen, raw and less the 150 ms
# debounce, p50/p99 over QUERIES queries drawn from the catalog's words; and each key's echo),
# and the TUI's CPU and wake-ups while an album plays and nothing else happens (WINDOW_SECONDS;
# then paused, half as long), with the goals (first frame within 100 ms; ~0 idle but a
# redraw a second). The anchor: cmus (Debian's), started on the same terminal the same way and
# playing the same album's files, when it can be had (installed here when missing, with JACK1's
# jackd; the run goes on without them otherwise). The daemon plays to the null audio output;
# cmus to a JACK server with the dummy driver (both take audio in real time).
# The programs run on a pseudo-terminal of bench/tui.py's own, read as they write, through a
# terminal emulator (python3-pyte, installed when missing): no tmux polling. bench/tui.py says
# exactly what is measured. Needs a catalog: demo/data (sh scripts/demo-catalog) when there is
# one, else the test catalog, tests/.catalog/data (made by make check); a private copy of its
# database is used. Takes about 2-3 minutes with the defaults.
#   usage: bench/tui.sh [DATA_DIR] [STARTS] [QUERIES] [WINDOW_SECONDS]
set -eu
cd "$(dirname "$0")/.."
PATH=/usr/bin:/bin:$PATH # Debian's python3 (pyte is Debian's python3-pyte) and mpv
. bench/lib.sh
die() { echo "bench: $*" >&2; exit 1; }
bench_player_catalog "${1:-}"
STARTS=${2:-20}
QUERIES=${3:-50}
WIN=${4:-20}
for v in "$STARTS" "$QUERIES" "$WIN"; do
	case $v in '' | *[!0-9]*) die "STARTS, QUERIES and WINDOW_SECONDS are whole numbers" ;; esac
done
[ "$STARTS" -ge 1 ] && [ "$STARTS" -le 200 ] || die "STARTS: 1 to 200"
[ "$QUERIES" -ge 1 ] && [ "$QUERIES" -le 500 ] || die "QUERIES: 1 to 500"
[ "$WIN" -ge 4 ] && [ "$WIN" -le 120 ] || die "WINDOW_SECONDS: 4 to 120"

bench_apt_want python3-pyte && python3 -c 'import pyte' 2>/dev/null ||
	die "needs Debian's python3-pyte (the terminal emulator bench/tui.py reads the screen with)"
# The anchor: cmus, playing to a JACK server with the dummy driver (JACK1's jackd: it goes with
# the libjack0 that libmpv-dev needs), which takes audio in real time as a sound card would.
# cmus has no null output of its own, and libao's null driver and ALSA's null plugin take
# audio as fast as it is decoded (cmus then plays an album in seconds, redrawing its clock
# accordingly): no idle to measure. Without jackd, cmus is only started.
CMUS=
JACKD=
if bench_apt_want cmus && command -v cmus >/dev/null && command -v cmus-remote >/dev/null; then
	CMUS=$(command -v cmus)
	if bench_apt_want jackd1 && command -v jackd >/dev/null; then
		JACKD=$(command -v jackd)
	else
		echo "bench: no JACK server (jackd1) to be had: cmus is only started, not played" >&2
	fi
else
	echo "bench: cmus could not be had: no anchor this run" >&2
fi

# The server over a private copy of the database (media shared read-only), rate limits off
# (as bench_player_start does, and the search's too: a query is searched three times here);
# the client in a private home (bench_client), its audio output null.
WORK=$(mktemp -d "/tmp/segue-tui-bench-XXXXXX")
# shellcheck disable=SC2034 # (bench/lib.sh's, for bench_cleanup)
SEG_PID='' MPV_PID='' BENCH_HOME=''
JACK_PID=
JACK_NAME=
# On exit: the measuring step first (its programs, cmus a JACK client among them), then the JACK
# server (JACK1's jackd leaves its sockets behind when it is killed: its directory goes too),
# then what bench_cleanup ends.
trap 'set +e; bench_stop_child; CHILD=; bench_stop_pid "$JACK_PID"
	[ -z "$JACK_NAME" ] || rm -rf "/dev/shm/jack-$(id -u)/$JACK_NAME"; bench_cleanup' EXIT
trap 'exit 130' HUP INT PIPE TERM
bench_data_copy "$DATA" "$WORK/data"
bench_serve "$WORK/data" rl_window=1 rl_standard=1000000 rl_player=1000000 rl_search=1000000
bench_client "$WORK/client" "audio_output = null"

bench_pick_album
set --
for t in $TRACKS; do
	f=$WORK/data/media/$(printf %.2s "$t")/$t/high.ogg
	[ -f "$f" ] && set -- "$@" "$f"
done
[ $# -gt 0 ] || CMUS=
if [ -n "$CMUS" ]; then
	# cmus's home (bench/tui.py writes its rc).
	mkdir -m 0700 "$WORK/cmus"
	if [ -n "$JACKD" ]; then
		JACK_NAME=segue-bench-$$
		# (JACK1's jackd keeps its metadata under the default server's name unless told the
		# same name in its environment, and crashes when a client leaves otherwise.)
		JACK_DEFAULT_SERVER=$JACK_NAME "$JACKD" -n "$JACK_NAME" -r -d dummy -r 44100 -p 1024 >"$WORK/jackd.log" 2>&1 &
		JACK_PID=$!
		_i=0
		until [ -S "/dev/shm/jack-$(id -u)/$JACK_NAME/jack_0" ]; do
			_i=$((_i + 1))
			if [ $_i -ge 100 ] || ! kill -0 "$JACK_PID" 2>/dev/null; then
				echo "bench: the JACK server did not start ($(tail -1 "$WORK/jackd.log")): cmus is only started" >&2
				bench_stop_pid "$JACK_PID"
				JACK_PID='' JACK_NAME=''
				break
			fi
			sleep 0.1
		done
	fi
fi

echo "TUI benchmark: $STARTS starts, $QUERIES queries, ${WIN} s idle window, catalog $DATA," \
	"album segue:album:$ALBUM ($(echo "$TRACKS" | wc -w) tracks), $(nproc) cores," \
	"${CMUS:+cmus $(dpkg-query -W -f='${Version}' cmus 2>/dev/null)${JACK_NAME:+ (to jackd -d dummy)},} $(date -u +%Y-%m-%dT%H:%MZ)"
bench_run timeout 900 python3 bench/tui.py --segue "$SEGUE" --db "$WORK/data/segue.db" \
	--port "$PORT" --token "$TOKEN" --album "$ALBUM" --starts "$STARTS" --queries "$QUERIES" \
	--win "$WIN" ${CMUS:+--cmus "$CMUS" --cmus-remote "$(command -v cmus-remote)" --cmus-home "$WORK/cmus"} \
	${JACK_NAME:+--jack "$JACK_NAME"} \
	--cmus-files "$@" ||
	die "the measurement failed (daemon log: $(tail -5 "$XDG_DATA_HOME/segue/daemon.log" 2>/dev/null))"
