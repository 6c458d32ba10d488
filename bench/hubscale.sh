#!/bin/sh
# Segue Connect: what idle devices cost the server, on each service loop, side by side.
#
# For each count of --devices and each loop of --loops (event_loop = poll: libwebsockets' own
# poll(2) loop, what the server ran on before; libev: epoll, the default), a server over one
# shared data directory with the accounts, rate limits off, the default 5 s heartbeat; the
# devices (--per-user each, the users' device 0 of the first 10 users playing) connect through
# bench/hubload.c, an epoll load generator in C (built here; up to ~19,000 sessions a process,
# raw RFC 6455 frames, masked), driven by bench/hubload.py run, which measures: the connect
# time, the server's RSS (VmRSS of /proc/PID/status) before any device and all connected, its
# CPU (utime+stime of /proc/PID/stat) over a --window s steady window of heartbeats only, the
# ping round trips, then 500 WS commands and 300 REST ones to the playing devices under that
# load. The generators' CPU is theirs, reported apart. Then one table: per count and loop, µs
# of server CPU per ping, RSS per device, ping p99, WS and REST command p99, connect time.
#
# The accounts (devices / --per-user of them) are made once: the first by segue-server user
# add, the rest copied from it in the database with an access token each (bench/hubusers.py
# says why and how). Every descriptor is a connection: RLIMIT_NOFILE is raised to the hard
# limit here, for the server and the generators; a count the hard limit cannot hold in the
# server is reported as not measured, with the limit (raising a hard limit needs
# CAP_SYS_RESOURCE: prlimit, or LimitNOFILE= of a systemd unit). The generators spread
# their connections over 127.0.0.2... source addresses, one per 10,000 (one source address has
# ~28,000 ephemeral ports to one destination, and the runs before leave some in TIME_WAIT); no
# sysctl is touched.
#
# --instances N (N > 1): N servers over one throwaway PostgreSQL database (the accounts copied
# into it with segue-server copy-to), each on its own port and data directory, as several
# instances run behind a load balancer; user number i connects to instance i mod N, and the
# figures are the instances' summed (CPU, RSS, descriptors). This is how a count past one
# process's RLIMIT_NOFILE is measured on a machine whose hard limit cannot be raised: each
# instance needs only its share of the descriptors.
#   usage: bench/hubscale.sh [--devices "10000 50000 100000"] [--loops "poll libev"]
#                            [--per-user N] [--window SECONDS] [--instances N]
# About 2 minutes per count and loop at 10,000.
set -eu
cd "$(dirname "$0")/.."
PATH=/usr/bin:/bin:$PATH
. bench/lib.sh
die() { echo "bench: $*" >&2; exit 1; }

COUNTS="10000 50000 100000"
LOOPS="poll libev"
PER_USER=10
WINDOW=20
INSTANCES=1
while [ $# -gt 0 ]; do
	case $1 in
	--devices) COUNTS=${2:?}; shift ;;
	--loops) LOOPS=${2:?}; shift ;;
	--per-user) PER_USER=${2:?}; shift ;;
	--window) WINDOW=${2:?}; shift ;;
	--instances) INSTANCES=${2:?}; shift ;;
	-h | --help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument \"$1\" (see --help)" ;;
	esac
	shift
done
for _n in $COUNTS $PER_USER $WINDOW $INSTANCES; do
	case $_n in '' | *[!0-9]*) die "counts are whole numbers" ;; esac
done
for _l in $LOOPS; do
	case $_l in poll | libev) ;; *) die "--loops: poll and/or libev" ;; esac
done
[ "$PER_USER" -ge 1 ] && [ "$PER_USER" -le 1000 ] || die "--per-user: 1 to 1000"
[ "$WINDOW" -ge 5 ] && [ "$WINDOW" -le 120 ] || die "--window: 5 to 120 seconds"
[ "$INSTANCES" -ge 1 ] && [ "$INSTANCES" -le 16 ] || die "--instances: 1 to 16"
[ -x server/segue-server ] || die "build the tree first (make)"
_max=0
for _n in $COUNTS; do
	[ $((_n % PER_USER)) -eq 0 ] && [ "$_n" -ge "$PER_USER" ] || die "each count must be a multiple of --per-user"
	[ "$_n" -gt "$_max" ] && _max=$_n
done

# The server over the accounts' data directory with the given settings, on port $1; with
# --instances, INSTANCES of them over the database at $DB_URL, on ports $1, $1 + 1, ...
# PORTS and PIDS: theirs, comma-separated; SEG_PID: the first's.
serve() {
	_p=$1
	shift
	_sets=""
	for _s in "$@"; do _sets="$_sets --set $_s"; done
	PORTS="" PIDS="" SEG_PIDS=""
	_k=0
	while [ $_k -lt "$INSTANCES" ]; do
		if [ "$INSTANCES" -eq 1 ]; then
			_dir=$WORK/data _db=""
		else
			_dir=$WORK/instance-$_k _db="--database $DB_URL"
			mkdir -p "$_dir"
		fi
		# shellcheck disable=SC2086
		setsid server/segue-server serve --data-dir "$_dir" $_db --set listen=127.0.0.1:$((_p + _k)) $_sets \
			>"$WORK/segue-$_k.out" 2>"$WORK/segue-$_k.err" &
		SEG_PIDS="$SEG_PIDS $!"
		PIDS="$PIDS${PIDS:+,}$!"
		_k=$((_k + 1))
	done
	SEG_PID=${PIDS%%,*}
	_k=0
	for _pid in $SEG_PIDS; do
		_i=0
		until grep -q '^listening on' "$WORK/segue-$_k.out" 2>/dev/null; do
			_i=$((_i + 1))
			[ $_i -lt 600 ] && kill -0 "$_pid" 2>/dev/null ||
				die "server $_k did not start: $(tail -5 "$WORK/segue-$_k.err")"
			sleep 0.1
		done
		_port=$(sed -n '1s/^listening on .*://p' "$WORK/segue-$_k.out")
		curl -sf -m 10 -o /dev/null "http://127.0.0.1:$_port/healthz" ||
			die "server $_k does not answer on port $_port (alive: $(kill -0 "$_pid" 2>/dev/null && echo yes || echo no);" \
				"$(tail -5 "$WORK/segue-$_k.err"))"
		PORTS="$PORTS${PORTS:+,}$_port"
		_k=$((_k + 1))
	done
	PORT=${PORTS%%,*}
}

stop_servers() {
	for _pid in $SEG_PIDS; do bench_stop_pid "$_pid"; done
	SEG_PIDS="" SEG_PID=""
}

# shellcheck disable=SC2034 # (bench/lib.sh's, for bench_cleanup)
WORK='' SEG_PID='' MPV_PID='' BENCH_HOME='' SEG_PIDS=''
trap 'stop_servers; bench_pg_stop; bench_cleanup' EXIT
trap 'exit 130' HUP INT PIPE TERM
WORK=$(mktemp -d /tmp/segue-hubscale-XXXXXX)
# shellcheck disable=SC3045 # (ulimit -n and -H: dash, bash and busybox sh have them)
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
# shellcheck disable=SC3045
_nofile=$(ulimit -n)
[ "$_nofile" = unlimited ] && _nofile=1048576
cc -O2 -Wall -Wextra -o "$WORK/hubload" bench/hubload.c -ljansson || die "bench/hubload.c did not build (libjansson-dev)"

USERS_MAX=$((_max / PER_USER))
echo "hub scale benchmark: loops \"$LOOPS\", devices \"$COUNTS\" ($PER_USER per user), $INSTANCES instance(s), loopback, $(nproc) cores," \
	"load average $(cut -d" " -f1-3 /proc/loadavg), RLIMIT_NOFILE $_nofile, $(date -u +%Y-%m-%dT%H:%MZ)"
mkdir "$WORK/data"
echo "bench-password" | server/segue-server user add u000 --country US --data-dir "$WORK/data" >/dev/null ||
	die "user add u000 failed"
python3 bench/hubusers.py "$WORK/data" "$USERS_MAX" "$WORK/tokens" || die "making the accounts failed"
echo "  ($USERS_MAX accounts with a token each)"
if [ "$INSTANCES" -gt 1 ]; then
	bench_pg_start
	DB_URL=$(bench_pg_url hub)
	server/segue-server copy-to "$DB_URL" --data-dir "$WORK/data" >"$WORK/copy.out" 2>&1 ||
		die "copy-to failed: $(tail -3 "$WORK/copy.out")"
	echo "  ($INSTANCES instances over one PostgreSQL database: $(ls -d "$PG_BIN"))"
fi

: >"$WORK/table"
# Each server on a port of its own below the ephemeral range: a port picked by :0 can be the
# one the server before had, whose thousands of connections are still in TIME_WAIT (the
# server closed them), and a new connection whose 4-tuple meets one of those is refused.
_port=$((21000 + $$ % 5000))
for _n in $COUNTS; do
	for _loop in $LOOPS; do
		echo
		if [ "$INSTANCES" -gt 1 ]; then
			echo "== $_n devices, event_loop = $_loop, $INSTANCES instances over PostgreSQL (its own CPU and memory not counted)"
		else
			echo "== $_n devices, event_loop = $_loop"
		fi
		# Each server needs a descriptor per device it holds and some of its own.
		_share=$(((_n + INSTANCES - 1) / INSTANCES))
		if [ $((_share + 200)) -gt "$_nofile" ]; then
			echo "  not measured: a server would need $((_share + 200)) descriptors and RLIMIT_NOFILE's hard limit is $_nofile here" \
				"(--instances N spreads them)"
			printf '%s %s - - - - - - limit\n' "$_n" "$_loop" >>"$WORK/table"
			continue
		fi
		_workers=$(((_n + _nofile - 601) / (_nofile - 600)))
		[ "$_workers" -lt 2 ] && _workers=2
		# A source address per 10,000: the runs before leave ports in TIME_WAIT.
		_sources=$((_n / 10000 + 1))
		_port=$((_port + INSTANCES))
		serve "$_port" event_loop="$_loop" rl_window=1 rl_standard=1000000 rl_player=1000000 \
			rl_search=1000000 rl_playlist=1000000 log_level=info
		bench_run timeout 400 python3 bench/hubload.py run --port "$PORTS" --pid "$PIDS" \
			--users $((_n / PER_USER)) --per-user "$PER_USER" --window "$WINDOW" --workdir "$WORK" \
			--workers "$_workers" --worker-cmd "$WORK/hubload" --tokens "$WORK/tokens" --sources "$_sources" \
			--concurrency 200 --connect-timeout 90 | tee "$WORK/run.out" ||
			echo "  the measurement failed (server stderr: $(tail -3 "$WORK/segue-0.err"))"
		_k=0
		for _pid in $SEG_PIDS; do
			kill -0 "$_pid" 2>/dev/null || echo "  server $_k died: $(tail -5 "$WORK/segue-$_k.err")"
			_k=$((_k + 1))
		done
		stop_servers
		python3 - "$_n" "$_loop" "$WORK/run.out" >>"$WORK/table" <<'PY'
import re, sys
n, loop, text = sys.argv[1], sys.argv[2], open(sys.argv[3]).read()
def grab(pat, default="-"):
    m = re.search(pat, text)
    return m.group(1) if m else default
print(n, loop,
      grab(r"devices connected \(welcome received\)\s+(\d+) of"),
      grab(r"pings/s: ([\d.]+) us of CPU per ping"),
      grab(r"all connected \(([\d.-]+) KiB per device\)"),
      grab(r"ping -> pong in the devices, steady\s+p50 [\d.]+ ms, p99 ([\d.]+) ms"),
      grab(r"WS command -> result[^\n]*p99 ([\d.]+) ms"),
      grab(r"REST PUT[^\n]*p99 ([\d.]+) ms"),
      grab(r"connect time, first handshake -> last welcome\s+([\d.]+) s"))
PY
	done
done

echo
echo "== side by side (goals at 100,000: <= 20 us of CPU per ping, <= 8 KiB per device, p99 < 20 ms, connected < 90 s)"
printf '  %-8s %-6s %10s %10s %12s %10s %10s %10s %10s\n' devices loop connected "us/ping" "KiB/device" \
	"ping p99" "WS p99" "REST p99" "connect s"
while read -r _n _loop _c _us _kib _p99 _ws _rest _ct; do
	if [ "$_ct" = limit ]; then
		printf '  %-8s %-6s %s\n' "$_n" "$_loop" "not measured: RLIMIT_NOFILE hard limit $_nofile"
	else
		printf '  %-8s %-6s %10s %10s %12s %10s %10s %10s %10s\n' "$_n" "$_loop" "$_c" "$_us" "$_kib" "$_p99" "$_ws" "$_rest" "$_ct"
	fi
done <"$WORK/table"
# Ratios of poll to libev per count, where both were measured.
awk '{ us[$1" "$2] = $4; kib[$1" "$2] = $5; n[$1] = 1 }
	END { for (c in n) if ((c" poll") in us && (c" libev") in us && us[c" libev"] + 0 > 0 && us[c" poll"] != "-")
		printf "  %s devices: CPU per ping poll/libev %.2fx, RSS per device poll/libev %.2fx\n", c,
			us[c" poll"] / us[c" libev"], (kib[c" libev"] + 0 > 0 ? kib[c" poll"] / kib[c" libev"] : 0) }' "$WORK/table"
