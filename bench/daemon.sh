#!/bin/sh
# Footprint of the segue daemon (null audio output, default settings otherwise): resident
# memory and CPU while idle (nothing loaded yet), while playing an album (repeat on, so it plays
# through the window), and while paused; next to a bare mpv (mpv --idle --no-config --ao=null
# --no-terminal) idle, playing the same signed URLs (the album's tracks at the quality segue
# played, looped) and paused, in the same run, with the ratios. On loopback.
#   RSS       VmRSS of /proc/PID/status at the end of the window (and RssAnon, its private part)
#   CPU       utime+stime of /proc/PID/stat over the window, all threads, dead ones included,
#             as ms of CPU per 10 s (clock ticks: 10 ms steps); then the same from the live
#             threads' schedstat (ns; misses threads that end inside the window)
#   wake-ups  context switches per 10 s: of the main thread (for segue, its poll loop) and of
#             all live threads
# The segue rows run on a private session bus (dbus-run-session; the script re-executes itself
# under one), so the daemon is on it as an MPRIS player (mpris = yes, the default); one more
# paused window is taken with mpris = no, and the paused daemon's main-thread wake-ups are
# shown with MPRIS on next to off, and their ratio: the bus adds none (goal: 0 per 10 s).
# An idle daemon with no polling loop shows ~0 of all three. The bare mpv, as asked with
# --no-config only, still loads its built-in Lua scripts (segue's mpv has load-scripts=no):
# part of its RSS. Takes about 95 s with 10 s windows.
# Needs a catalog: demo/data (sh scripts/demo-catalog) when there is one, else the test
# catalog, tests/.catalog/data (made by make check); a private copy of its database is used.
#   usage: bench/daemon.sh [DATA_DIR] [WINDOW_SECONDS]
set -eu
cd "$(dirname "$0")/.."
# A session bus of our own: the daemon's MPRIS face is measured, and no desktop's bus sees it.
if [ "${SEGUE_BENCH_OWN_BUS:-}" != 1 ]; then
	command -v dbus-run-session >/dev/null || { echo "bench: dbus-run-session is needed (apt-get install dbus)" >&2; exit 1; }
	SEGUE_BENCH_OWN_BUS=1 exec dbus-run-session -- sh "$0" "$@"
fi
PATH=/usr/bin:/bin:$PATH # Debian's python3 (bench_serve runs python3 too) and mpv
. bench/lib.sh
die() { echo "bench: $*" >&2; exit 1; }
bench_player_catalog "${1:-}"
WIN=${2:-10}
case $WIN in '' | *[!0-9]*) die "WINDOW_SECONDS is a whole number" ;; esac
[ "$WIN" -ge 2 ] && [ "$WIN" -le 30 ] || die "WINDOW_SECONDS: 2 to 30"

# The server over a private copy of the database; the client in a private home, its audio
# output null.
bench_player_start daemon
bench_client "$WORK/client" "audio_output = null"

bench_pick_album

status_field() { # python expression on the status document s
	"$SEGUE" --json status | python3 -c 'import json, sys; s = json.load(sys.stdin); print('"$1"')'
}

echo "daemon footprint benchmark: ${WIN} s windows, catalog $DATA, album segue:album:$ALBUM" \
	"($(echo "$TRACKS" | wc -w) tracks), $(nproc) cores, mpv $(mpv --version | sed -n '1s/^mpv \([^ ]*\).*/\1/p')," \
	"$(date -u +%Y-%m-%dT%H:%MZ)"

# --- segue -------------------------------------------------------------------------------
"$SEGUE" daemon --detach || die "the daemon did not start: $(cat "$XDG_DATA_HOME/segue/daemon.log" 2>/dev/null)"
DPID=$(cat "$XDG_RUNTIME_DIR/segue/daemon.pid")
sleep 2
bench_measure "segue idle" "$DPID"
"$SEGUE" play "segue:album:$ALBUM" >/dev/null
"$SEGUE" repeat context >/dev/null
sleep 1
Q0=$(status_field 's["segue"]["quality"]')
bench_measure "segue playing" "$DPID"
PLAYING=$(status_field 's["is_playing"] and s["item"] is not None')
Q1=$(status_field 's["segue"]["quality"]')
[ "$PLAYING" = True ] || die "segue was not playing at the end of its window"
"$SEGUE" pause >/dev/null
sleep 1
bench_measure "segue paused" "$DPID"
grep -q "mpris: on the session bus" "$XDG_DATA_HOME/segue/daemon.log" ||
	die "the daemon was not on the session bus: $(grep mpris "$XDG_DATA_HOME/segue/daemon.log")"
segue_quit() {
	"$SEGUE" quit >/dev/null 2>&1 || true
	_i=0
	while kill -0 "$DPID" 2>/dev/null && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
}
segue_quit

# The same pause with MPRIS off.
echo "mpris = no" >>"$XDG_CONFIG_HOME/segue/segue.conf"
"$SEGUE" play "segue:album:$ALBUM" >/dev/null
DPID=$(cat "$XDG_RUNTIME_DIR/segue/daemon.pid")
sleep 1
"$SEGUE" pause >/dev/null
sleep 1
bench_measure "mpris off paused" "$DPID"
segue_quit

# --- bare mpv ------------------------------------------------------------------------------
# shellcheck disable=SC2119 # (no socket but its own to wait for)
bench_mpv
sleep 2
bench_measure "mpv idle" "$MPV_PID"
set --
for t in $TRACKS; do
	set -- "$@" "$(python3 -c 'import json, sys, urllib.request
req = urllib.request.Request("http://127.0.0.1:%s/v1/segue/playback/%s?quality=%s" % tuple(sys.argv[1:4]),
                             headers={"Authorization": "Bearer " + sys.argv[4]})
print(json.load(urllib.request.urlopen(req, timeout=10))["urls"][sys.argv[3]])' "$PORT" "$t" "$Q0" "$TOKEN")"
done
bench_mpv_loop "mpv playing" "$@"
bench_mpv_ipc '["set_property", "pause", true]' >/dev/null
sleep 1
bench_measure "mpv paused" "$MPV_PID"

# --- figures -------------------------------------------------------------------------------
python3 - "$WORK/results" "$WIN" "$Q0" "$Q1" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    name, a, b, t0, t1, clk = line.strip().split("|")
    a, b = [float(x) for x in a.split()], [float(x) for x in b.split()]
    secs = (int(t1) - int(t0)) / 1e9
    per10 = 10.0 / secs
    rows[name] = {
        "rss": b[5] / 1024, "anon": b[6] / 1024,
        "cpu": (b[0] - a[0]) * 1000.0 / float(clk) * per10,
        "sched": (b[1] - a[1]) / 1e6 * per10,
        "wake_main": (b[3] - a[3]) * per10, "wake_all": (b[2] - a[2]) * per10,
        "threads": "%d->%d" % (a[4], b[4]),
    }
print("  %-15s %9s %9s %11s %14s %11s %11s %8s" % ("", "RSS MiB", "anon MiB", "CPU ms/10s",
      "(schedstat ms)", "wake main", "wake all", "threads"))
for name, r in rows.items():
    if name.startswith("mpris off"):
        continue
    print("  %-15s %9.1f %9.1f %11.0f %14.2f %11.0f %11.0f %8s" % (name, r["rss"], r["anon"], r["cpu"],
          r["sched"], r["wake_main"], r["wake_all"], r["threads"]))
print("  (wake-ups are context switches per 10 s; segue played at quality %s, %s at the window's end;"
      " the bare mpv at %s)" % (sys.argv[3], sys.argv[4], sys.argv[3]))

def ratio(x, y):
    return "%.2fx" % (x / y) if y > 0 else ("n/a (mpv 0)" if x > 0 else "n/a (both 0)")

for st in ("idle", "playing", "paused"):
    s, m = rows["segue " + st], rows["mpv " + st]
    print("ratio segue / mpv, %-8s RSS %s, anon %s, CPU %s (schedstat %s), main-thread wake-ups %s"
          % (st + ":", ratio(s["rss"], m["rss"]), ratio(s["anon"], m["anon"]), ratio(s["cpu"], m["cpu"]),
             ratio(s["sched"], m["sched"]), ratio(s["wake_main"], m["wake_main"])))
idle = rows["segue idle"]
# A daemon logged in is a Connect device: its Connect thread sends a heartbeat every 5 s
# (about a millisecond each), the price of being reachable; the main loop stays asleep.
print("goal, idle CPU ~0 (no polling loop; a Connect heartbeat every 5 s): %.2f ms of CPU per 10 s"
      " (schedstat), %d main-thread wake-ups per 10 s: %s" % (idle["sched"], idle["wake_main"],
      "met" if idle["sched"] < 5.0 and idle["wake_main"] < 5 else "MISSED"))
paused = rows["segue paused"]
print("       paused: %.2f ms of CPU per 10 s, %d main-thread wake-ups per 10 s" % (paused["sched"], paused["wake_main"]))
off = rows["mpris off paused"]
print("paused, main-thread wake-ups per 10 s: MPRIS on %d, MPRIS off %d, ratio on / off %s;"
      " all threads %d vs %d; CPU %.2f vs %.2f ms per 10 s (schedstat)"
      % (paused["wake_main"], off["wake_main"], ratio(paused["wake_main"], off["wake_main"]).replace("mpv", "off"),
         paused["wake_all"], off["wake_all"], paused["sched"], off["sched"]))
print("goal, paused with MPRIS on: 0 main-thread wake-ups per 10 s: %s"
      % ("met" if paused["wake_main"] == 0 else "MISSED"))
PY
