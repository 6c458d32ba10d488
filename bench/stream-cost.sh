#!/bin/sh
# The streaming path's cost per request, independent of the machine's load: user-space
# instructions per signed 64 KiB Range request (callgrind counts them), for segue-server and
# for nginx serving the same files behind secure_link as bench/stream.sh sets it up, and the
# ratio. Wall-clock req/s on a shared machine moves with its neighbours; instructions do not.
# segue is measured twice: over the signed links a player would use for many Range requests
# each (bench/stream.sh's), and over links that differ on nearly every request (each one
# then has its MAC computed: accounts/signmemo.h).
# Each server runs under valgrind with a warm-up, then its counters are zeroed, wrk sends
# SECONDS of requests over CONNECTIONS kept-alive connections, and the counters are dumped.
# Kernel time (sendfile, the TCP stack) is not counted: it is the same file bytes for both.
# Needs a catalog: demo/data (sh scripts/demo-catalog) by default.
# STREAM_COST_KEEP=DIR keeps the profiles there (callgrind_annotate DIR/segue.cg).
#   usage: bench/stream-cost.sh [DATA_DIR] [SECONDS] [CONNECTIONS]
set -eu
cd "$(dirname "$0")/.."
DATA=${1:-demo/data}
SECS=${2:-5}
CONNS=${3:-4}
die() { echo "bench: $*" >&2; exit 1; }
sh scripts/deps --bench >/dev/null || exit 1
for _c in wrk nginx valgrind callgrind_control; do
	command -v "$_c" >/dev/null || die "needs $_c (apt-get install wrk nginx-light valgrind)"
done
[ -f "$DATA/segue.db" ] || die "no catalog in $DATA (run sh scripts/demo-catalog)"
. bench/lib.sh
bench_workdir stream-cost
NGX_PID=
trap 'set +e; bench_stop_pid "$NGX_PID"; bench_workdir_cleanup' EXIT

cp "$DATA/segue.db" "$WORK/"
ln -s "$(cd "$DATA" && pwd)/media" "$WORK/media"
echo "bench-password" | server/segue-server user add bencher --premium --data-dir "$WORK" >/dev/null

# segue_start [WRAPPER...]: the server on an ephemeral port ($SEG_PID, $SEG_PORT).
segue_start() {
	rm -f "$WORK/segue.out"
	setsid "$@" server/segue-server serve --listen 127.0.0.1:0 --data-dir "$WORK" --set log_level=error \
		>"$WORK/segue.out" 2>"$WORK/segue.err" &
	SEG_PID=$!
	_i=0
	while ! grep -q listening "$WORK/segue.out" 2>/dev/null; do
		_i=$((_i + 1))
		[ $_i -lt 1200 ] || die "segue-server did not start in 120 s: $(tail -3 "$WORK/segue.err")"
		sleep 0.1
	done
	SEG_PORT=$(sed -n 's/^listening on .*://p' "$WORK/segue.out")
}

# The signed paths, from a server run natively (the keys stay in $WORK for the next one).
segue_start
python3 bench/stream-paths.py "$WORK" "$SEG_PORT"
bench_stop_pid "$SEG_PID"
SEG_PID=
[ -s "$WORK/segue.paths" ] || die "no signed paths (is the bencher licensed for any track?)"

MEDIA=$(cd "$WORK/media" && pwd -P)
NGX_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
bench_nginx_conf 1 "$NGX_PORT" "$MEDIA" >"$WORK/nginx.conf"

# measure NAME PID PORT PATHS PROFILE: instructions per request of PID (profiled to
# $WORK/PROFILE.cg.*) over a wrk run; prints a line and sets IPR_<NAME>.
measure() {
	PATHS="$4" wrk -t1 -c"$CONNS" -d2s -s bench/range.lua "http://127.0.0.1:$3" >"$WORK/$1.warm" 2>&1
	callgrind_control -z "$2" >/dev/null 2>&1
	PATHS="$4" wrk -t1 -c"$CONNS" -d"${SECS}s" -s bench/range.lua "http://127.0.0.1:$3" >"$WORK/$1.wrk" 2>&1
	callgrind_control -d "$2" >/dev/null 2>&1
	_n=$(awk '/requests in/ {print $1}' "$WORK/$1.wrk")
	_bad=$(grep -E "Non-2xx|Socket errors" "$WORK/$1.wrk" || true)
	[ -z "$_bad" ] || die "$1: errors under load: $_bad"
	# The newest dump: the zeroed interval, every thread's counts summed.
	_f=$(ls -t "$WORK/$5".cg.* | head -1)
	_ir=$(awk '/^summary:/ {s += $2} END {print s + 0}' "$_f")
	[ "${_n:-0}" -gt 0 ] && [ "$_ir" -gt 0 ] || die "$1: nothing measured (requests ${_n:-0}, Ir $_ir)"
	eval "IPR_$1=$((_ir / _n))"
	[ -z "${STREAM_COST_KEEP:-}" ] || cp "$_f" "$STREAM_COST_KEEP/$1.cg"
	printf "%-14s %8d requests  %12d instructions  %7d instructions/request\n" "$1" "$_n" "$_ir" $((_ir / _n))
}

echo "stream cost: signed 64 KiB Range requests, $CONNS connections, ${SECS}s under callgrind"
echo "files: $(wc -l <"$WORK/segue.paths") signed paths"
segue_start valgrind --tool=callgrind --callgrind-out-file="$WORK/segue.cg.%p"
measure segue "$SEG_PID" "$SEG_PORT" "$WORK/segue.paths" segue
measure segue_fresh "$SEG_PID" "$SEG_PORT" "$WORK/segue-fresh.paths" segue
bench_stop_pid "$SEG_PID"
SEG_PID=
valgrind --tool=callgrind --callgrind-out-file="$WORK/nginx.cg.%p" \
	nginx -c "$WORK/nginx.conf" -p "$WORK" -g 'daemon off; master_process off;' 2>"$WORK/nginx.vg" &
NGX_PID=$!
_i=0
until python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' \
	"$NGX_PORT" 2>/dev/null; do
	_i=$((_i + 1))
	[ $_i -lt 600 ] || die "nginx did not start in 60 s: $(tail -3 "$WORK/nginx.vg")"
	sleep 0.1
done
measure nginx "$NGX_PID" "$NGX_PORT" "$WORK/nginx.paths" nginx
python3 -c 'import sys; s, f, n = (int(x) for x in sys.argv[1:4]); print(
    "instructions per request, segue-server / nginx: %.2fx (%d against %d);"
    " with a link not seen before on each request: %.2fx (%d)" % (s / n, s, n, f / n, f))' \
	"$IPR_segue" "$IPR_segue_fresh" "$IPR_nginx"
