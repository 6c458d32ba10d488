#!/bin/sh
# Password guessing against one account, on loopback, before and after login throttling:
#   1. wrong-password guesses checked per second against one account from one address (one
#      connection, then eight), and the 429s answered instead;
#   2. a real user's login time (the right password, from 127.0.0.2) alone and during a flood
#      of guesses at the same account from 127.0.0.1 (eight connections), median and p90.
# The guesser runs at nice 19, the server and the real user at the script's priority: an
# attacker's CPU is not the server's, and what is measured is what the guesses cost the server.
# "before" is a segue-server without throttling (BEFORE_BIN, e.g. a build of main 58a5c00),
# else this build with the throttle set out of reach; "after" is this build with its defaults.
# The figures are printed side by side with the ratio.
#   usage: bench/login.sh [SECONDS_PER_PHASE]       (BEFORE_BIN=path/to/segue-server)
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
PHASE=${1:-10}
die() { echo "bench: $*" >&2; exit 1; }
[ -x server/segue-server ] || die "build the tree first (make)"

bench_workdir login

# serve BIN [SETTING...]: a server over an empty catalog with the account "victim".
serve() {
	_bin=$1
	shift
	rm -rf "$WORK/data" "$WORK/segue.out"
	mkdir "$WORK/data"
	echo "the-right-password" | "$_bin" user add victim --data-dir "$WORK/data" >/dev/null
	_sets=""
	for _s in log_level=error "$@"; do _sets="$_sets --set $_s"; done
	# shellcheck disable=SC2086
	setsid "$_bin" serve --listen 127.0.0.1:0 --data-dir "$WORK/data" $_sets \
		>"$WORK/segue.out" 2>"$WORK/segue.err" &
	SEG_PID=$!
	_i=0
	until grep -q '^listening on' "$WORK/segue.out" 2>/dev/null; do
		_i=$((_i + 1))
		[ $_i -lt 100 ] && kill -0 "$SEG_PID" 2>/dev/null || { cat "$WORK/segue.err" >&2; die "the server did not start"; }
		sleep 0.1
	done
	PORT=$(sed -n '1s/^listening on .*://p' "$WORK/segue.out")
}

# The measuring client (run in the background by bench_run, so from a file, not stdin).
cat >"$WORK/measure.py" <<'PY'
import http.client, json, os, signal, statistics, subprocess, sys, threading, time, urllib.parse
port, phase, label = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]


class Client:
    """One kept-alive connection from a loopback address (a new one after an error)."""
    def __init__(self, source):
        self.source, self.conn = source, None

    def login(self, password):
        for attempt in (0, 1):
            if not self.conn:
                self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60,
                                                       source_address=(self.source, 0))
            try:
                self.conn.request("POST", "/api/token", urllib.parse.urlencode(
                    {"grant_type": "password", "username": "victim", "password": password}),
                    {"Content-Type": "application/x-www-form-urlencoded"})
                r = self.conn.getresponse()
                r.read()
                return r.status
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise

    def close(self):
        if self.conn:
            self.conn.close()


if label == "flood":
    # The guesser: CONNS connections from 127.0.0.1 until SIGTERM or phase seconds; prints
    # the answers it got by status. It runs at nice 19, as an attacker's CPU is not the
    # server's: what is measured is the server's cost of the guesses.
    conns, stop, counts = int(sys.argv[4]), threading.Event(), {}
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    end = time.monotonic() + phase
    def one(i):
        n, c = 0, Client("127.0.0.1")
        while time.monotonic() < end and not stop.is_set():
            s = c.login("guess-%d-%d" % (i, n))
            counts[s] = counts.get(s, 0) + 1
            n += 1
        c.close()
    th = [threading.Thread(target=one, args=(i,)) for i in range(conns)]
    [t.start() for t in th]
    [t.join() for t in th]
    print(json.dumps(counts))
    sys.exit(0)


def flood(conns, seconds):
    return subprocess.Popen(["nice", "-n", "19", sys.executable, sys.argv[0], str(port),
                             str(seconds), "flood", str(conns)], stdout=subprocess.PIPE)


def counted(p):
    out, _ = p.communicate(timeout=120)
    return {int(k): v for k, v in json.loads(out).items()}


def user_logins(n):
    times = []
    for _ in range(n):
        c = Client("127.0.0.2")  # a fresh connection each time, as a client that logs in makes
        t0 = time.monotonic()
        s = c.login("the-right-password")
        times.append(time.monotonic() - t0)
        c.close()
        if s != 200:
            sys.exit("%s: the real user's login failed with %d" % (label, s))
    times.sort()
    return statistics.median(times) * 1000, times[int(len(times) * 0.9) - 1] * 1000


figs = {}
for conns in (1, 8):
    counts = counted(flood(conns, phase))
    figs["checked%d" % conns] = counts.get(400, 0) / phase
    figs["refused%d" % conns] = counts.get(429, 0) / phase
    time.sleep(0.5)
figs["alone_med"], figs["alone_p90"] = user_logins(20)
p = flood(8, 3600)
time.sleep(1)
figs["flood_med"], figs["flood_p90"] = user_logins(20)
p.terminate()
counted(p)
print(label, " ".join("%s=%.2f" % kv for kv in sorted(figs.items())))
PY

# measure LABEL: runs both phases against the server on $PORT; one line of figures.
measure() {
	bench_run python3 "$WORK/measure.py" "$PORT" "$PHASE" "$1" >>"$WORK/figures"
}

: >"$WORK/figures"
if [ -n "${BEFORE_BIN:-}" ]; then
	[ -x "$BEFORE_BIN" ] || die "BEFORE_BIN=$BEFORE_BIN is not a program"
	before="$BEFORE_BIN (no throttling)"
	serve "$BEFORE_BIN"
else
	before="this build, throttle out of reach (login_free_tries=login_address_tries=1000000)"
	serve server/segue-server login_free_tries=1000000 login_address_tries=1000000
fi
measure before
bench_stop_pid "$SEG_PID"
SEG_PID=
serve server/segue-server
measure after
bench_stop_pid "$SEG_PID"
SEG_PID=

python3 - "$WORK/figures" "$PHASE" "$before" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    label, *kv = line.split()
    rows[label] = {k: float(v) for k, v in (x.split("=") for x in kv)}
b, a = rows["before"], rows["after"]
print("login throttling, %s s a phase; before: %s; after: defaults"
      " (5 free tries, then 1 s doubling to 600 s)" % (sys.argv[2], sys.argv[3]))
def line(what, key, unit, fmt="%.2f"):
    ratio = b[key] / a[key] if a[key] else float("inf")
    print("  %-52s %10s %10s   before/after %s" % (what + " (" + unit + ")", fmt % b[key], fmt % a[key],
          "%.1fx" % ratio if ratio != float("inf") else "inf"))
print("  %-52s %10s %10s" % ("", "before", "after"))
line("guesses checked per second, 1 connection", "checked1", "/s")
line("guesses checked per second, 8 connections", "checked8", "/s")
print("  %-52s %10.0f %10.0f" % ("guesses answered 429 per second, 8 connections (/s)", b["refused8"], a["refused8"]))
line("real user's login alone, median", "alone_med", "ms", "%.0f")
line("real user's login during a flood, median", "flood_med", "ms", "%.0f")
line("real user's login during a flood, p90", "flood_p90", "ms", "%.0f")
print("  %-52s %9.1fx %9.1fx" % ("flood/alone, median", b["flood_med"] / b["alone_med"], a["flood_med"] / a["alone_med"]))
print("  guesses a day at that rate (8 connections): before %.0f; after, at the 600 s cap, 144"
      " per account and address, and 144 per address across accounts" % (b["checked8"] * 86400))
PY
