#!/bin/sh
# Offline listening, measured on loopback next to its anchors, in one run:
#   download   `segue download --quality very_high ALBUM` (licences, Range fetches into
#              vaults, fsync, digest check; download_parallel 2), wall time and MB/s, next to
#              one curl fetching the same files from the same signed URLs two at a time
#              (--parallel-max 2) into plain files, and the same with the files synced to
#              disk after (segue syncs each download); median of ROUNDS each, and the ratios
#   play CPU   the segue daemon playing that album from its vaults (decrypted in memory
#              through libmpv's stream callbacks), next to a bare mpv (set up as segue sets up
#              its own) playing the same Ogg files from the disk; CPU ms per 10 s over a window of WIN seconds, and the ratio
#              (the segue daemon streaming the same album over HTTP is printed too)
#   vault      bench/vault-bench.c: one of the album's files in a vault next to the plain
#              file: reading it all (MB/s, CPU per byte) and a 16 KiB read at a random offset,
#              as a seek makes (p50/p99)
# Needs a catalog: demo/data (sh scripts/demo-catalog) when there is one, else the test
# catalog, tests/.catalog/data (made by make check); a private copy of its database is used.
#   usage: bench/offline.sh [DATA_DIR] [WIN_SECONDS] [ROUNDS]
set -eu
cd "$(dirname "$0")/.."
PATH=/usr/bin:/bin:$PATH # Debian's python3 and mpv
. bench/lib.sh
die() { echo "bench: $*" >&2; exit 1; }
bench_player_catalog "${1:-}"
WIN=${2:-10}
ROUNDS=${3:-3}
case $WIN$ROUNDS in *[!0-9]*) die "WIN_SECONDS and ROUNDS are whole numbers" ;; esac
[ "$WIN" -ge 2 ] && [ "$WIN" -le 60 ] || die "WIN_SECONDS: 2 to 60"
[ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 9 ] || die "ROUNDS: 1 to 9"
command -v curl >/dev/null || die "needs curl (apt-get install curl)"
command -v gcc >/dev/null || die "needs gcc"
[ -f src/libseguecore.a ] || die "build the tree first (make)"

bench_player_start offline
bench_client "$WORK/client" "audio_output = null" "offline_max_size = 0" "download_parallel = 2" \
	"adaptive = false" "quality = very_high"
bench_pick_album
# shellcheck disable=SC2046 # (pkg-config's flags: words)
gcc -O2 -std=gnu11 -D_GNU_SOURCE -Isrc/core bench/vault-bench.c src/libseguecore.a \
	$(pkg-config --libs libsodium jansson sqlite3 libcurl) -lpthread -ldl -lm \
	-o "$WORK/vault-bench" || die "bench/vault-bench.c does not build"

now_ns() { date +%s%N; }
db() { python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' \
	"$XDG_DATA_HOME/segue/segue.db" "$1"; }

echo "offline benchmark: catalog $DATA, album segue:album:$ALBUM ($(echo "$TRACKS" | wc -w) tracks)," \
	"very_high, $ROUNDS rounds, ${WIN} s CPU windows, $(nproc) cores, mpv" \
	"$(mpv --version | sed -n '1s/^mpv \([^ ]*\).*/\1/p'), $(curl --version | sed -n '1s/^curl \([^ ]*\).*/\1/p')," \
	"$(date -u +%Y-%m-%dT%H:%MZ)"

# --- download throughput -------------------------------------------------------------------
"$SEGUE" daemon --detach || die "the daemon did not start: $(cat "$XDG_DATA_HOME/segue/daemon.log" 2>/dev/null)"
DPID=$(cat "$XDG_RUNTIME_DIR/segue/daemon.pid")
: >"$WORK/dl"
r=0
while [ $r -lt "$ROUNDS" ]; do
	r=$((r + 1))
	[ $r -eq 1 ] || "$SEGUE" offline rm "segue:album:$ALBUM" >/dev/null
	t0=$(now_ns)
	"$SEGUE" download --quality very_high "segue:album:$ALBUM" >/dev/null 2>&1 || die "segue download failed"
	t1=$(now_ns)
	echo "segue $((t1 - t0)) $(db "SELECT sum(bytes) FROM offline_tracks WHERE state = 'done'")" >>"$WORK/dl"
done
# The same files from the same server, for curl: the signed URLs the player would use.
for t in $TRACKS; do
	python3 -c 'import json, sys, urllib.request
req = urllib.request.Request("http://127.0.0.1:%s/v1/segue/playback/%s?quality=very_high" % tuple(sys.argv[1:3]),
                             headers={"Authorization": "Bearer " + sys.argv[3]})
print(json.load(urllib.request.urlopen(req, timeout=10))["urls"]["very_high"])' "$PORT" "$t" "$TOKEN"
done >"$WORK/urls"
mkdir "$WORK/curl"
r=0
while [ $r -lt "$ROUNDS" ]; do
	r=$((r + 1))
	rm -f "$WORK"/curl/*
	t0=$(now_ns)
	# One curl for all, two transfers at a time over kept-alive connections: its best.
	set --
	n=0
	while read -r url; do n=$((n + 1)); set -- "$@" -o "$WORK/curl/$n.ogg" "$url"; done <"$WORK/urls"
	curl -sSf --no-progress-meter --parallel --parallel-max 2 "$@" || die "curl failed"
	t1=$(now_ns)
	# segue syncs each download before it counts: the same for curl's files
	sync "$WORK"/curl/*.ogg
	t2=$(now_ns)
	echo "curl $((t1 - t0)) $(cat "$WORK"/curl/*.ogg | wc -c)" >>"$WORK/dl"
	echo "curl+fsync $((t2 - t0)) $(cat "$WORK"/curl/*.ogg | wc -c)" >>"$WORK/dl"
done

# --- CPU while playing ---------------------------------------------------------------------
: >"$WORK/results"
"$SEGUE" play "segue:album:$ALBUM" >/dev/null
"$SEGUE" repeat context >/dev/null
sleep 1
grep -q "fails its check\|cannot" "$XDG_DATA_HOME/segue/daemon.log" && die "playing the vaults: $(tail -3 "$XDG_DATA_HOME/segue/daemon.log")"
bench_measure "segue from vaults" "$DPID"
[ "$("$SEGUE" --json status | python3 -c 'import json, sys; print(json.load(sys.stdin)["is_playing"])')" = True ] ||
	die "segue was not playing at the end of its window"
"$SEGUE" offline rm "segue:album:$ALBUM" >/dev/null
"$SEGUE" play "segue:album:$ALBUM" >/dev/null
sleep 1
bench_measure "segue streaming" "$DPID"
"$SEGUE" quit >/dev/null 2>&1 || true

# The bare mpv set up as segue sets up its own (player.c, make_mpv): no scripts, no video, the
# same cache, gapless and replaygain settings.
BENCH_MPV_ARGS="--load-scripts=no --ytdl=no --video=no --audio-display=no --input-default-bindings=no
	--gapless-audio=yes --prefetch-playlist=yes --cache=yes --cache-on-disk=no --replaygain=track
	--replaygain-clip=no"
# shellcheck disable=SC2119 # (no socket but its own to wait for)
bench_mpv
bench_mpv_loop "mpv plain file" "$WORK"/curl/*.ogg

# --- the vault alone ---------------------------------------------------------------------
BIG=$(ls -S "$WORK"/curl/*.ogg | head -1)
"$WORK/vault-bench" "$BIG" "$WORK" 2000 >"$WORK/vault" || die "vault-bench failed"

# --- figures -------------------------------------------------------------------------------
python3 - "$WORK/dl" "$WORK/results" "$WORK/vault" <<'PY'
import statistics, sys
dl = {}
for line in open(sys.argv[1]):
    who, ns, size = line.split()
    dl.setdefault(who, []).append((int(ns) / 1e9, int(size)))
print("download (very_high, 2 at a time):")
rate = {}
for who in ("segue", "curl", "curl+fsync"):
    runs = dl[who]
    secs = statistics.median(r[0] for r in runs)
    size = runs[-1][1]
    rate[who] = size / 1e6 / secs
    print("  %-10s %6.2f MB in %6.3f s (median of %d; runs %s): %7.1f MB/s"
          % (who, size / 1e6, secs, len(runs), ", ".join("%.3f" % r[0] for r in runs), rate[who]))
print("ratio segue / curl, download throughput: %.2fx (against curl with its files synced to disk,"
      " as segue's are: %.2fx)" % (rate["segue"] / rate["curl"], rate["segue"] / rate["curl+fsync"]))

cpu = {}
for line in open(sys.argv[2]):
    name, a, b, t0, t1, clk = line.strip().split("|")
    a, b = [float(x) for x in a.split()], [float(x) for x in b.split()]
    per10 = 10.0 / ((int(t1) - int(t0)) / 1e9)
    cpu[name] = ((b[0] - a[0]) * 1000.0 / float(clk) * per10, (b[1] - a[1]) / 1e6 * per10, b[5] / 1024)
print("CPU while playing (ms of CPU per 10 s of music; schedstat, the finer clock, in brackets):")
for name, (ticks, sched, rss) in cpu.items():
    print("  %-18s %7.0f  (%8.1f)   RSS %6.1f MiB" % (name, ticks, sched, rss))
v, m, s = cpu["segue from vaults"][1], cpu["mpv plain file"][1], cpu["segue streaming"][1]
print("ratio segue playing a download / mpv playing the plain file, CPU: %.2fx" % (v / m if m else float("nan")))
print("ratio segue playing a download / segue streaming it, CPU: %.2fx" % (v / s if s else float("nan")))
print("the vault alone (one of the album's files):")
for line in open(sys.argv[3]):
    if not line.startswith("RESULT"):
        print(line.rstrip())
    else:
        f = dict(kv.split("=") for kv in line.split()[1:])
        print("ratio vault / plain, seek+read p99: %.1fx (%s us vs %s us); read throughput: %.2fx"
              % (float(f["seek_vault_p99_us"]) / float(f["seek_plain_p99_us"]), f["seek_vault_p99_us"],
                 f["seek_plain_p99_us"], float(f["read_vault_mbs"]) / float(f["read_plain_mbs"])))
PY
