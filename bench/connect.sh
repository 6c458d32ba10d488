#!/bin/sh
# Segue Connect: handoff latency between two real daemons, and the hub's capacity with many
# fake devices. On loopback; prints the figures with the goals next to them.
#
# handoff  A real server over a catalog (a private copy of its database) and two segue daemons
#          of one account (separate homes, null audio output, each daemon's mpv also serving
#          mpv's JSON IPC). A plays the album with the most tracks (repeat on); then TRANSFERS
#          handoffs alternate A->B->A... through PUT /v1/me/player {"device_ids":[id],
#          "play":true}. Per handoff: the transfer -> the target mpv's playback-restart (audio
#          starts there, after the seek to the handed-over position); the REST round trip (204
#          once the target confirmed); the position error at the target's start against where
#          the source stopped plus the wall time since. bench/handoff.py measures and says
#          exactly how. Goals: p99 < 100 ms; position error < 250 ms. About 45 s.
# hub      A server over an empty data directory with USERS accounts (segue-server user add),
#          rate limits off, connect_heartbeat_ms as the default (5000); DEVICES fake devices
#          (USERS x DEVICES/USERS; 4 load-generator processes, asyncio, RLIMIT_NOFILE raised)
#          connect, say hello and ping every heartbeat; one device of each of the first 10
#          users plays. Then: the connect time (60 s at the most: past that the figures are
#          taken with the devices connected by then, and said so), the server's RSS and CPU
#          over a 20 s steady window, ping round trips, and under that load 500 WS command
#          round trips (pause/resume, python3-websockets) to the playing devices and 300 REST
#          ones (PUT /v1/me/player/pause|play). bench/hubload.py measures and says exactly
#          how. About 3 minutes with 10,000 (of which ~25 s making and logging in the
#          accounts: each hashes a password). On a 2-core box the hub's one service thread is
#          saturated before 10,000 (about 94 % of a core at 5,000, idle devices); --devices
#          5000 (100 users x 50) is a count that completes there. What the steady figure is
#          made of, at 4,000 on poll(2) (perf record of the service thread): 85-90 % in the
#          kernel's poll scan (do_sys_poll, sock_poll, tcp_poll, fdget/fput), one scan of every
#          descriptor per wake-up, and next to nothing in the hub; the devices that play send
#          nothing in the window and cost nothing there (--active 0: 619 and 695 us per ping,
#          --active 10: 710 and 727, runs alternated). Per ping it is the scan's cost divided by
#          the pings one wake-up finds, so it moves with how the pings bunch, not with playing.
#
# Needs a catalog for handoff: demo/data (sh scripts/demo-catalog) when there is one, else the
# test catalog, tests/.catalog/data (made by make check); and python3-websockets for hub.
#   usage: bench/connect.sh [handoff|hub|all] [--data DIR] [--transfers N]
#                           [--devices N] [--users N] [--window SECONDS] [--whole-lists] [--active N]
#   --whole-lists  (hub) the fake devices do not ask for device-list deltas: as older clients
#   --active N     (hub) users whose device 0 plays (default 10; 0: all idle, no command phase)
#   --devices  fake devices in all (default 10000), spread over --users users (default 100);
#              --transfers (default 50) handoffs; --window (default 20) s of steady state
set -eu
cd "$(dirname "$0")/.."
PATH=/usr/bin:/bin:$PATH # Debian's python3 (with python3-websockets; bench_serve runs python3 too) and mpv
. bench/lib.sh
die() { echo "bench: $*" >&2; exit 1; }

WHAT=all
DATA_ARG=
TRANSFERS=50
DEVICES=10000
USERS=100
WINDOW=20
WHOLE_LISTS=
ACTIVE=10
while [ $# -gt 0 ]; do
	case $1 in
	handoff | hub | all) WHAT=$1 ;;
	--data) DATA_ARG=${2:?}; shift ;;
	--transfers) TRANSFERS=${2:?}; shift ;;
	--devices) DEVICES=${2:?}; shift ;;
	--users) USERS=${2:?}; shift ;;
	--window) WINDOW=${2:?}; shift ;;
	--whole-lists) WHOLE_LISTS=--whole-lists ;;
	--active) ACTIVE=${2:?}; shift ;;
	-h | --help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument \"$1\" (see --help)" ;;
	esac
	shift
done
for _n in "$TRANSFERS" "$DEVICES" "$USERS" "$WINDOW" "$ACTIVE"; do
	case $_n in '' | *[!0-9]*) die "counts are whole numbers" ;; esac
done
[ "$TRANSFERS" -ge 2 ] && [ "$TRANSFERS" -le 500 ] || die "--transfers: 2 to 500"
[ "$USERS" -ge 1 ] && [ "$USERS" -le 1000 ] || die "--users: 1 to 1000"
[ "$DEVICES" -ge "$USERS" ] || die "--devices: at least one per user"
[ $((DEVICES % USERS)) -eq 0 ] || die "--devices must be a multiple of --users"
[ "$WINDOW" -ge 5 ] && [ "$WINDOW" -le 120 ] || die "--window: 5 to 120 seconds"
[ -x server/segue-server ] && [ -x src/segue ] || die "build the tree first (make)"

# The EXIT trap of both parts: ends the step bench_run waits for, daemon A (daemon B is
# BENCH_HOME's: bench_cleanup), the server, and removes $WORK. The parts run one after the
# other in this shell, each cleaned up before the next begins.
# shellcheck disable=SC2034 # (bench/lib.sh's, for bench_cleanup)
WORK='' SEG_PID='' MPV_PID='' BENCH_HOME=''
connect_cleanup() {
	set +e
	bench_stop_child
	[ -n "$WORK" ] && [ -f "$WORK/a/run/segue/daemon.pid" ] && bench_stop_pid "$(cat "$WORK/a/run/segue/daemon.pid")"
	bench_cleanup
	# shellcheck disable=SC2034 # (bench/lib.sh's)
	WORK='' SEG_PID='' BENCH_HOME=''
	set -e
}

# --- handoff ------------------------------------------------------------------------------
handoff() {
	bench_player_catalog "$DATA_ARG"
	bench_player_start connect
	trap connect_cleanup EXIT
	# Both homes first (bench_client copies the binary, which a running daemon would make
	# busy), then each daemon with its home's XDG directories.
	bench_client "$WORK/a" "audio_output = null" "mpv_options = input-ipc-server=$WORK/mpv-a.sock"
	bench_client "$WORK/b" "audio_output = null" "mpv_options = input-ipc-server=$WORK/mpv-b.sock"
	for _h in a b; do
		env XDG_CONFIG_HOME="$WORK/$_h/config" XDG_DATA_HOME="$WORK/$_h/data" \
			XDG_CACHE_HOME="$WORK/$_h/cache" XDG_RUNTIME_DIR="$WORK/$_h/run" \
			"$SEGUE" daemon --detach --name "Bench $_h" ||
			die "daemon $_h did not start: $(tail -5 "$WORK/$_h/data/segue/daemon.log" 2>/dev/null)"
	done
	_i=0
	for _s in "$WORK/a/run/segue/control" "$WORK/b/run/segue/control" "$WORK/mpv-a.sock" "$WORK/mpv-b.sock"; do
		until [ -S "$_s" ]; do
			_i=$((_i + 1))
			[ $_i -lt 100 ] || die "no socket $_s"
			sleep 0.1
		done
	done
	bench_pick_album
	echo "handoff benchmark: catalog $DATA, loopback, $(nproc) cores, load average $(cut -d" " -f1-3 /proc/loadavg)," \
		"mpv $(mpv --version | sed -n '1s/^mpv \([^ ]*\).*/\1/p'), $(date -u +%Y-%m-%dT%H:%MZ)"
	bench_run timeout 170 python3 bench/handoff.py --ctl-a "$WORK/a/run/segue/control" \
		--ctl-b "$WORK/b/run/segue/control" --mpv-a "$WORK/mpv-a.sock" --mpv-b "$WORK/mpv-b.sock" \
		--port "$PORT" --token "$TOKEN" --album "$ALBUM" --tracks "$(echo $TRACKS | wc -w)" \
		--transfers "$TRANSFERS" ||
		die "the handoff measurement failed (daemon logs: A: $(tail -3 "$WORK/a/data/segue/daemon.log" 2>/dev/null)" \
			"B: $(tail -3 "$WORK/b/data/segue/daemon.log" 2>/dev/null))"
}

# --- hub ----------------------------------------------------------------------------------
hub() {
	python3 -c 'import websockets' 2>/dev/null || die "hub needs python3-websockets (apt-get install python3-websockets)"
	WORK=$(mktemp -d /tmp/segue-connect-hub-bench-XXXXXX)
	trap connect_cleanup EXIT
	trap 'exit 130' HUP INT PIPE TERM
	# One descriptor per connection in the server and in the load generators (the server and
	# hubload.py raise their own soft limit to the hard one too).
	# shellcheck disable=SC3045 # (ulimit -n and -H: dash, bash and busybox sh have them)
	ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
	# shellcheck disable=SC3045
	_nofile=$(ulimit -n) _hard=$(ulimit -Hn)
	PER_USER=$((DEVICES / USERS))
	echo "hub capacity benchmark: $DEVICES devices ($USERS users x $PER_USER), loopback, $(nproc) cores, load average $(cut -d" " -f1-3 /proc/loadavg)," \
		"RLIMIT_NOFILE $_nofile (hard $_hard), $(date -u +%Y-%m-%dT%H:%MZ)"
	[ "$_nofile" = unlimited ] || [ "$_nofile" -gt $((DEVICES + 100)) ] ||
		echo "  (warning: the server gets $_nofile descriptors for $DEVICES connections)"
	mkdir "$WORK/data"
	# The accounts: the first alone (it makes the database), then two at a time (each hashes
	# its password).
	_t0=$(date +%s)
	echo "bench-password" | server/segue-server user add u000 --country US --data-dir "$WORK/data" >/dev/null ||
		die "user add u000 failed"
	_i=1
	while [ $_i -lt "$USERS" ]; do
		_u=$(printf 'u%03d' $_i)
		echo "bench-password" | server/segue-server user add "$_u" --country US --data-dir "$WORK/data" >/dev/null &
		_p1=$!
		_i=$((_i + 1))
		if [ $_i -lt "$USERS" ]; then
			_u=$(printf 'u%03d' $_i)
			echo "bench-password" | server/segue-server user add "$_u" --country US --data-dir "$WORK/data" >/dev/null &
			wait $! || die "user add $_u failed"
			_i=$((_i + 1))
		fi
		wait $_p1 || die "user add failed"
	done
	echo "  ($USERS accounts made in $(($(date +%s) - _t0)) s)"
	# log_level=info: the hub logs the sessions it drops (server/connect/ws.c: "does not read what it is sent").
	bench_serve "$WORK/data" rl_window=1 rl_standard=1000000 rl_player=1000000 rl_search=1000000 \
		rl_playlist=1000000 log_level=info
	bench_run timeout 280 python3 bench/hubload.py run --port "$PORT" --pid "$SEG_PID" --users "$USERS" \
		--per-user "$PER_USER" --window "$WINDOW" --workdir "$WORK" --active "$ACTIVE" $WHOLE_LISTS ||
		die "the hub measurement failed (server stderr: $(tail -5 "$WORK/segue.err");" \
			"workers: $(tail -3 "$WORK"/worker*.err 2>/dev/null))"
	kill -0 "$SEG_PID" 2>/dev/null || die "the server died: $(tail -5 "$WORK/segue.err")"
	_drops=$(grep -c 'does not read what it is sent' "$WORK/segue.err" || true)
	echo "  server log: $_drops sessions dropped for not reading (server/connect/ws.c), $(grep -c ' error: ' "$WORK/segue.err" || true) errors"
	grep -v ' info: ' "$WORK/segue.err" | head -5 | sed 's/^/    /'
}

case $WHAT in
handoff) handoff ;;
hub) hub ;;
all) handoff && connect_cleanup && echo && hub ;;
esac
