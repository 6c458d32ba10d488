#!/bin/sh
# Streaming benchmark: signed 64 KiB Range requests with wrk on loopback against segue-server
# and, in the same run, nginx serving the same files behind its secure_link check (with
# tcp_nopush off, its best setting for this load). Prints req/s, MB/s, p99, the ratio, and
# time to first byte. Needs a catalog: demo/data (sh scripts/demo-catalog) by default.
# --idle N: then segue-server again with N idle Connect devices connected to it (N/10 users of
# 10 devices, each pinging every heartbeat: bench/hubload.c, built here; accounts and tokens
# by bench/hubusers.py), which shows whether the hub taxes the streams; nginx has none.
# Both servers run side by side, each warmed up by three untimed seconds, then are measured
# in turn, ROUNDS times (default 5), which one goes first alternating (segue, nginx; nginx,
# segue; ...) so that a slower minute of a shared machine falls on both; the ratio given is
# the median of the rounds' own ratios, with each round's and the ratio of the medians. The servers' CPU per
# request (utime + stime of /proc/PID/stat over each run, per request served) is printed
# beside: on two cores wrk takes most of a core, and where it sets the pace both servers
# answer about as fast, while the CPU each spent on a request still tells them apart.
#   usage: bench/stream.sh [DATA_DIR] [SECONDS] [CONNECTIONS] [--idle N]
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
IDLE=0
_pos=""
while [ $# -gt 0 ]; do
	case $1 in
	--idle) IDLE=${2:?--idle needs a count}; shift ;;
	*) _pos="$_pos $1" ;;
	esac
	shift
done
# shellcheck disable=SC2086 # (the positional arguments, split back)
set -- $_pos
DATA=${1:-demo/data}
SECS=${2:-10}
CONNS=${3:-64}
case $IDLE in '' | *[!0-9]*) echo "bench: --idle takes a count" >&2; exit 1 ;; esac
[ $((IDLE % 10)) -eq 0 ] || { echo "bench: --idle: a multiple of 10 (10 devices a user)" >&2; exit 1; }
sh scripts/deps --bench >/dev/null || exit 1
command -v wrk >/dev/null && command -v nginx >/dev/null || {
	echo "bench: needs wrk and nginx (apt-get install wrk nginx-light)" >&2; exit 1; }
[ -f "$DATA/segue.db" ] || { echo "bench: no catalog in $DATA (run sh scripts/demo-catalog)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/segue-bench-XXXXXX)
cleanup() {
	[ -n "${SEG_PID:-}" ] && kill "$SEG_PID" 2>/dev/null || true
	[ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
	# shellcheck disable=SC2086 # (a list of pids)
	[ -n "${IDLE_PID:-}" ] && kill $IDLE_PID 2>/dev/null || true
	sleep 0.3
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' HUP INT TERM

# A private copy of the database; media is shared read-only.
cp "$DATA/segue.db" "$WORK/"
ln -s "$(cd "$DATA" && pwd)/media" "$WORK/media"
echo "bench-password" | server/segue-server user add bencher --premium --data-dir "$WORK" >/dev/null
if [ "$IDLE" -gt 0 ]; then
	# One descriptor per device, in the server and in the load generators.
	# shellcheck disable=SC3045 # (ulimit -n and -H: dash, bash and busybox sh have them)
	ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
	cc -O2 -Wall -Wextra -o "$WORK/hubload" bench/hubload.c -ljansson || exit 1
	echo "bench-password" | server/segue-server user add u000 --country US --data-dir "$WORK" >/dev/null
	python3 bench/hubusers.py "$WORK" $((IDLE / 10)) "$WORK/tokens" || exit 1
fi
# In a session of its own (bench_serve says why): left in this one, it was preempted four
# times as often as nginx.
setsid server/segue-server serve --listen 127.0.0.1:0 --data-dir "$WORK" --set log_level=error \
	>"$WORK/segue.out" 2>"$WORK/segue.err" &
SEG_PID=$!
while ! grep -q listening "$WORK/segue.out" 2>/dev/null; do sleep 0.05; done
SEG_PORT=$(sed -n 's/^listening on .*://p' "$WORK/segue.out")
# The first recommendation training runs at start: not during round 1.
_t=$(PORT=$SEG_PORT bench_wait_recs 300) || { echo "bench: the first recommendation training did not end" >&2; exit 1; }
echo "(waited ${_t} s for the server's first recommendation training)"

# Signed paths for every track and quality: segue's own, and nginx secure_link ones.
python3 bench/stream-paths.py "$WORK" "$SEG_PORT"

MEDIA=$(cd "$WORK/media" && pwd -P)
nginx_conf() { bench_nginx_conf "$1" "$2" "$MEDIA" >"$WORK/nginx.conf"; } # WORKERS PORT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The CPU ticks (user + system) of the processes given, summed.
cpu_ticks() {
	for _p in "$@"; do cat "/proc/$_p/stat"; done | awk '{ sub(/^.*\) /, ""); t += $12 + $13 } END { print t + 0 }'
}

# run_wrk NAME PORT PATHFILE KEY PIDS: req/s, MB/s, p99 and the server's CPU per request (its
# processes PIDS: the time the server spends on a request, whatever the load generator,
# which shares this machine's cores, lets through). Sets RPS_KEY, p99 and CPU_US.
run_wrk() {
	_t0=$(cpu_ticks $5)
	PATHS="$3" wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -s bench/range.lua "http://127.0.0.1:$2" >"$WORK/$1.wrk" 2>&1
	_t1=$(cpu_ticks $5)
	rps=$(awk '/^Requests\/sec/ {print $2}' "$WORK/$1.wrk")
	mbs=$(awk '/^Transfer\/sec/ {v=$2; if (v ~ /GB/) {sub("GB","",v); v*=1024} else if (v ~ /MB/) sub("MB","",v); else if (v ~ /KB/) {sub("KB","",v); v/=1024}; print v}' "$WORK/$1.wrk")
	p99=$(awk '$1=="99%" {print $2}' "$WORK/$1.wrk")
	_n=$(awk '/requests in/ {print $1}' "$WORK/$1.wrk")
	CPU_US=$(awk -v a="$_t0" -v b="$_t1" -v n="${_n:-0}" -v hz="$(getconf CLK_TCK)" \
		'BEGIN { printf "%.1f", (n > 0 ? (b - a) * 1e6 / hz / n : 0) }')
	errs=$(grep -c "Non-2xx\|Socket errors" "$WORK/$1.wrk" || true)
	printf "%-28s %10s req/s %9s MB/s   p99 %8s   server CPU %5s us/req%s\n" "$1" "$rps" "$mbs" "$p99" "$CPU_US" \
		"$( [ "$errs" -gt 0 ] && echo "   (errors: $(grep "Non-2xx\|Socket errors" "$WORK/$1.wrk" | tr -s ' ' | tr '\n' ' '))" )"
	eval "RPS_$4=$rps"
}

# N idle devices on the server, through load generators of up to 15,000 each; returns once
# every one has its welcome (or says why not).
idle_devices() {
	python3 - "$WORK" "$SEG_PORT" "$IDLE" <<'PY'
import json, os, sys
work, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
toks = [l.split() for l in open(os.path.join(work, "tokens"))]
devs = [{"user": u, "token": t, "id": "%s-d%02d" % (u, j), "active": False} for j in range(10) for u, t in toks]
per = 15000
for w in range((len(devs) + per - 1) // per):
    with open(os.path.join(work, "idle%d.json" % w), "w") as f:
        json.dump({"port": port, "concurrency": 200, "seed": w + 1, "sources": 1 + n // 10000,
                   "devices": devs[w * per:(w + 1) * per]}, f)
PY
	IDLE_PID=""
	mkfifo "$WORK/idle.ctl"
	exec 3<>"$WORK/idle.ctl"
	for _spec in "$WORK"/idle*.json; do
		"$WORK/hubload" "$_spec" <"$WORK/idle.ctl" >"$_spec.out" 2>&1 &
		IDLE_PID="$IDLE_PID $!"
	done
	_i=0
	until [ "$(cat "$WORK"/idle*.json.out 2>/dev/null | grep -c '"ev":"ready"')" -eq "$(echo $IDLE_PID | wc -w)" ]; do
		_i=$((_i + 1))
		[ $_i -lt 1200 ] || { echo "bench: the idle devices did not connect in 120 s" >&2; exit 1; }
		sleep 0.1
	done
	_got=$(cat "$WORK"/idle*.json.out | sed -n 's/.*"ev":"ready".*"connected":\([0-9]*\).*/\1/p' | awk '{ n += $1 } END { print n }')
	echo "idle devices: $_got of $IDLE connected (server RSS $(awk '/^VmRSS/ {print $2 / 1024 " MiB"}' /proc/$SEG_PID/status))"
	[ "$_got" -eq "$IDLE" ] || { echo "bench: only $_got of $IDLE idle devices connected" >&2; exit 1; }
}

ROUNDS=${ROUNDS:-5}
case $ROUNDS in '' | *[!0-9]* | 0) echo "bench: ROUNDS is a count" >&2; exit 1 ;; esac
echo "stream benchmark: signed 64 KiB Range requests, $CONNS connections, ${SECS}s each, wrk -t2, $ROUNDS rounds"
echo "files: $(wc -l <"$WORK/segue.paths") signed paths over $(ls "$MEDIA" | wc -l) media folders"
NGX_PORT=$(free_port)
nginx_conf 1 "$NGX_PORT"
nginx -c "$WORK/nginx.conf" -p "$WORK"
sleep 0.3
nginx_workers() { pgrep -P "$(cat "$WORK/nginx.pid")" | tr '\n' ' '; }
# warm_up: three untimed seconds of the same load on each server first, so that neither
# round 1 pays for a cold start (the server's buffers and open files, the files' pages) that
# the other's round then finds done.
warm_up() {
	PATHS="$WORK/segue.paths" wrk -t2 -c"$CONNS" -d3s -s bench/range.lua "http://127.0.0.1:$SEG_PORT" >/dev/null 2>&1
	PATHS="$WORK/nginx.paths" wrk -t2 -c"$CONNS" -d3s -s bench/range.lua "http://127.0.0.1:$NGX_PORT" >/dev/null 2>&1
}
# rounds LABEL KEY: ROUNDS turns of segue and nginx (1 worker), which goes first taking turns
# (a round's second run meets whatever the first left: a warmer cache, a hotter machine); each
# round's req/s and p99 appended to $WORK/rounds as
# "KEY req/s p99 nginx-req/s nginx-p99 cpu-us nginx-cpu-us".
rounds() {
	_k=1
	while [ "$_k" -le "$ROUNDS" ]; do
		if [ $((_k % 2)) -eq 1 ]; then
			run_wrk "$1 #$_k" "$SEG_PORT" "$WORK/segue.paths" seg "$SEG_PID"
			_p99s=$p99 _cpus=$CPU_US
			run_wrk "nginx (1 worker) #$_k" "$NGX_PORT" "$WORK/nginx.paths" ng1 "$(nginx_workers)"
			_p99n=$p99 _cpun=$CPU_US
		else
			run_wrk "nginx (1 worker) #$_k" "$NGX_PORT" "$WORK/nginx.paths" ng1 "$(nginx_workers)"
			_p99n=$p99 _cpun=$CPU_US
			run_wrk "$1 #$_k" "$SEG_PORT" "$WORK/segue.paths" seg "$SEG_PID"
			_p99s=$p99 _cpus=$CPU_US
		fi
		echo "$2 $RPS_seg $_p99s $RPS_ng1 $_p99n $_cpus $_cpun" >>"$WORK/rounds"
		_k=$((_k + 1))
	done
}
: >"$WORK/rounds"
warm_up
rounds segue-server alone
T_SEG=$(python3 bench/ttfb.py 127.0.0.1 "$SEG_PORT" "$WORK/segue.paths" 500)
T_NGX=$(python3 bench/ttfb.py 127.0.0.1 "$NGX_PORT" "$WORK/nginx.paths" 500)
if [ "$IDLE" -gt 0 ]; then
	idle_devices
	rounds "segue-server + $IDLE idle" idle
fi
kill "$(cat "$WORK/nginx.pid")"
sleep 0.5
NGX_PORT=$(free_port)
nginx_conf 2 "$NGX_PORT"
nginx -c "$WORK/nginx.conf" -p "$WORK"
sleep 0.3
PATHS="$WORK/nginx.paths" wrk -t2 -c"$CONNS" -d3s -s bench/range.lua "http://127.0.0.1:$NGX_PORT" >/dev/null 2>&1
run_wrk "nginx (2 workers)" "$NGX_PORT" "$WORK/nginx.paths" ng2 "$(nginx_workers)"
python3 - "$WORK/rounds" "$RPS_ng2" "$T_SEG" "$T_NGX" "$IDLE" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
ng2 = float(sys.argv[2])
ts, tn = sys.argv[3].split(), sys.argv[4].split()
idle = int(sys.argv[5])
def to_ms(v):
    if v.endswith("us"):
        return float(v[:-2]) / 1000
    if v.endswith("ms"):
        return float(v[:-2])
    if v.endswith("s"):
        return float(v[:-1]) * 1000
    return float(v)


def summary(key, label):
    rs = [r for r in rows if r[0] == key]
    if not rs:
        return None
    seg = statistics.median(float(r[1]) for r in rs)
    ngx = statistics.median(float(r[3]) for r in rs)
    sp = statistics.median(to_ms(r[2]) for r in rs)
    np_ = statistics.median(to_ms(r[4]) for r in rs)
    ratios = [float(r[1]) / float(r[3]) for r in rs]
    p99s = [to_ms(r[2]) / to_ms(r[4]) for r in rs if to_ms(r[4]) > 0]
    sc = statistics.median(float(r[5]) for r in rs)
    nc = statistics.median(float(r[6]) for r in rs)
    print("%s: median %.0f req/s, p99 %.2f ms; nginx (1 worker) in the same rounds: median %.0f req/s, p99 %.2f ms"
          % (label, seg, sp, ngx, np_))
    # A round's two runs are next to each other in time, so their ratio is the least touched
    # by a shared machine whose speed drifts from minute to minute (here by up to a third):
    # the ratio is the median of the rounds' own; the ratio of the medians is beside it.
    print("  ratio %s / nginx: %.2fx req/s, the median of the rounds' (%s; of the medians: %.2fx);"
          " p99 %.2fx nginx's (above 1: worse; of the medians: %.2fx); / nginx with 2 workers: %.2fx"
          % (label, statistics.median(ratios), ", ".join("%.2fx" % x for x in ratios), seg / ngx,
             statistics.median(p99s) if p99s else float("nan"), sp / np_ if np_ else float("nan"), seg / ng2))
    print("  server CPU per request: %s %.1f us, nginx %.1f us: %.2fx nginx's (below 1: cheaper)"
          % (label, sc, nc, sc / nc if nc else float("nan")))
    return seg


alone = summary("alone", "segue-server")
if idle:
    with_idle = summary("idle", "segue-server + %d idle devices" % idle)
    if alone and with_idle:
        print("  segue-server with the idle devices / alone: %.2fx" % (with_idle / alone))
print("time to first byte, fresh connection, 500 requests: segue-server p50 %s ms p99 %s ms;"
      " nginx p50 %s ms p99 %s ms" % (ts[0], ts[1], tn[0], tn[1]))
PY
