#!/bin/sh
# Ingest benchmark, in one run:
#  1. segue-server ingest of a library in the formats people keep (FLAC, MP3, M4A/AAC; decode
#     once, analyse loudness/tempo/features, four Ogg Vorbis encodes) against the ffmpeg
#     command doing the same four encodes of the same files (the low one mono at 22.05 kHz,
#     as segue's is), one process a file, as many at
#     once as ingest has threads: x real time per core and the ratio (goal >= 1.0x);
#  2. cover images served next to audio: wrk on loopback for the 640 px JPEG and for a signed
#     64 KiB Range of audio, bytes per second of each;
#  3. a watched folder (serve --library): from an album landing in it to search finding it.
#  The rescan of 10,000 unchanged files is bench/rescan.sh.
#   usage: bench/ingest.sh [MASTERS_DIR] [MAX_FILES]
# MASTERS_DIR holds FLAC or WAV masters (default demo/masters, else the test catalog's, else
# tones made with sox); MAX_FILES of them (default 24) are turned into the format mix first.
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
MASTERS=${1:-}
MAX=${2:-24}
JOBS=2
die() { echo "bench: $*" >&2; exit 1; }
sh scripts/deps --bench >/dev/null || exit 1
command -v ffmpeg >/dev/null || die "needs ffmpeg (apt-get install ffmpeg)"
[ -x server/segue-server ] || die "build first (sh scripts/build)"
bench_workdir ingest

if [ -z "$MASTERS" ]; then
	for d in demo/masters tests/.catalog/masters; do [ -d "$d" ] && MASTERS=$d && break; done
fi
mkdir -p "$WORK/src" "$WORK/lib"
if [ -n "$MASTERS" ]; then
	find "$MASTERS" -type f \( -name '*.flac' -o -name '*.wav' \) | sort | head -n "$MAX" >"$WORK/list"
else
	i=0
	while [ $i -lt "$MAX" ]; do
		i=$((i + 1))
		sox -n -r 44100 -c 2 -b 16 "$WORK/src/$i.wav" synth 60 pluck $((100 + i * 7)) \
			pluck $((150 + i * 5)) tremolo 3 40 vol 0.5
		echo "$WORK/src/$i.wav"
	done >"$WORK/list"
fi
[ -s "$WORK/list" ] || die "no masters"

# The library: a third FLAC, a third MP3 (LAME V2 with ID3v2.4), a third M4A (AAC 256k), in
# album folders of six with a cover.jpg each. Made before anything is timed.
i=0
while IFS= read -r f; do
	album=$((i / 6))
	dir="$WORK/lib/Artist $album/Album $album"
	mkdir -p "$dir"
	[ -f "$dir/cover.jpg" ] || ffmpeg -v error -nostdin -f lavfi -i "color=c=0x$(printf '%02x' $((album * 40 % 256)))4080:s=1000x1000" \
		-frames:v 1 "$dir/cover.jpg"
	set -- -metadata "artist=Artist $album" -metadata "album=Album $album" \
		-metadata "title=Track $i" -metadata "track=$((i % 6 + 1))"
	case $((i % 3)) in
	0) ffmpeg -v error -nostdin -i "$f" "$@" -c:a flac "$dir/$i.flac" ;;
	1) ffmpeg -v error -nostdin -i "$f" "$@" -id3v2_version 4 -c:a libmp3lame -q:a 2 "$dir/$i.mp3" ;;
	2) ffmpeg -v error -nostdin -i "$f" "$@" -c:a aac -b:a 256k "$dir/$i.m4a" ;;
	esac
	i=$((i + 1))
done <"$WORK/list"
find "$WORK/lib" -type f ! -name '*.jpg' | sort >"$WORK/files"
n=$(wc -l <"$WORK/files")
secs=$(while IFS= read -r f; do
	ffprobe -v error -show_entries format=duration -of csv=p=0 "$f"
done <"$WORK/files" | awk '{s += $1} END {printf "%.1f", s}')
echo "ingest benchmark: $n files (FLAC, MP3, M4A), $secs s of audio, $JOBS threads, $(nproc) cores"

# 1. segue-server ingest, then ffmpeg's four encodes of the same files.
start=$(date +%s.%N)
bench_run /usr/bin/time -f "%U %S" -o "$WORK/seg.time" server/segue-server ingest --quiet \
	--jobs "$JOBS" --data-dir "$WORK/data" "$WORK/lib" || die "ingest failed"
end=$(date +%s.%N)
seg_cpu=$(awk '{print $1 + $2}' "$WORK/seg.time")
seg_wall=$(echo "$end $start" | awk '{print $1 - $2}')

mkdir "$WORK/ff"
start=$(date +%s.%N)
bench_run /usr/bin/time -f "%U %S" -o "$WORK/ff.time" sh -c '
	n=0
	while IFS= read -r f; do
		n=$((n + 1))
		printf "%s\n%s\n" "$f" "$1/ff/$n"
	done <"$1/files" | xargs -d "\n" -P "$2" -n 2 sh -c "ffmpeg -v error -y -i \"\$0\" -vn \
		-ac 1 -ar 22050 -c:a libvorbis -b:a 24k \"\$1.24.ogg\" -vn -c:a libvorbis -b:a 96k \"\$1.96.ogg\" \
		-vn -c:a libvorbis -b:a 160k \"\$1.160.ogg\" -vn -c:a libvorbis -b:a 320k \"\$1.320.ogg\""
' sh "$WORK" "$JOBS" || die "ffmpeg failed"
end=$(date +%s.%N)
ff_cpu=$(awk '{print $1 + $2}' "$WORK/ff.time")
ff_wall=$(echo "$end $start" | awk '{print $1 - $2}')
awk -v s="$secs" -v sc="$seg_cpu" -v sw="$seg_wall" -v fc="$ff_cpu" -v fw="$ff_wall" 'BEGIN {
	printf "segue-server ingest:   %6.1fx real time per core, %6.1fx wall (%.1f s CPU, %.1f s)\n", s/sc, s/sw, sc, sw
	printf "ffmpeg, 4 Vorbis encodes: %3.1fx real time per core, %6.1fx wall (%.1f s CPU, %.1f s)\n", s/fc, s/fw, fc, fw
	printf "ratio segue / ffmpeg per core: %.2fx (goal >= 1.0; segue also analyses loudness, tempo and features)\n", fc/sc
}'

# The same four encodes? Both aim at 24/96/160/320 kbit/s; how close each lands (average
# bitrate over all files: bytes * 8 / seconds of audio).
python3 - "$WORK" "$secs" <<'PY'
import glob, os, sys
work, secs = sys.argv[1], float(sys.argv[2])
def kbps(files):
    return sum(os.path.getsize(f) for f in files) * 8 / secs / 1000
seg = {q: glob.glob(os.path.join(work, "data", "media", "*", "*", q + ".ogg"))
       for q in ("low", "normal", "high", "very_high")}
ff = {b: glob.glob(os.path.join(work, "ff", "*.%d.ogg" % b)) for b in (24, 96, 160, 320)}
print("average bitrate, target:      24      96     160     320 kbit/s")
print("segue-server (calibrated): " + " ".join("%7.1f" % kbps(seg[q]) for q in seg))
print("ffmpeg (libvorbis -b:a):   " + " ".join("%7.1f" % kbps(ff[b]) for b in ff))
PY

# 2. Images next to audio, served by the same server.
bench_serve "$WORK/data"
python3 - "$WORK" "$PORT" <<'PY' || die "could not find an image and an audio URL"
import json, os, sqlite3, sys, urllib.parse, urllib.request
work, port = sys.argv[1], int(sys.argv[2])
base = "http://127.0.0.1:%d" % port
tok = json.load(urllib.request.urlopen(base + "/api/token", data=urllib.parse.urlencode(
    {"grant_type": "password", "username": "bencher", "password": "bench-password"}).encode()))["access_token"]
db = sqlite3.connect(os.path.join(work, "data", "segue.db"))
tid = db.execute("SELECT id FROM tracks ORDER BY id LIMIT 1").fetchone()[0]
def get(path):
    req = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + tok})
    return json.load(urllib.request.urlopen(req))
img = get("/v1/tracks/%s" % tid)["album"]["images"][0]["url"]
audio = get("/v1/segue/playback/%s?quality=very_high" % tid)["urls"]["very_high"]
with open(os.path.join(work, "urls"), "w") as f:
    f.write(urllib.parse.urlsplit(img).path + "\n")
    u = urllib.parse.urlsplit(audio)
    f.write(u.path + "?" + u.query + "\n")
PY
img=$(sed -n 1p "$WORK/urls")
aud=$(sed -n 2p "$WORK/urls")
wrk_mbs() { # label, wrk args...
	label=$1; shift
	wrk -t 2 -c 32 -d 5 "$@" >"$WORK/wrk.out" 2>&1 || die "wrk failed"
	awk -v l="$label" '/Requests\/sec/ {r = $2} /Transfer\/sec/ {t = $2}
		END {v = t + 0; if (t ~ /GB/) v *= 1024; if (t ~ /KB/) v /= 1024;
		     printf "%-28s %9.0f req/s %8.1f MB/s\n", l, r, v}' "$WORK/wrk.out"
}
echo "served by segue-server, 32 connections, 5 s each:"
wrk_mbs "cover, 640 px JPEG" "http://127.0.0.1:$PORT$img" | tee "$WORK/img.line"
wrk_mbs "audio, 64 KiB Range" -H "Range: bytes=0-65535" "http://127.0.0.1:$PORT$aud" | tee "$WORK/aud.line"
awk 'NR == FNR {i = $(NF - 1); next} {a = $(NF - 1)} END {
	printf "ratio image / audio bytes per second: %.2fx\n", i / a}' "$WORK/img.line" "$WORK/aud.line"
bench_stop_pid "$SEG_PID"
SEG_PID=

# 3. A watched folder: an album lands, search finds it.
if server/segue-server serve --help 2>&1 | grep -q -- "--library"; then
	mkdir "$WORK/watched"
	bench_serve "$WORK/data" rl_search=1000000 library="$WORK/watched"
	sleep 1
	python3 - "$WORK" "$PORT" <<'PY'
import json, os, shutil, subprocess, sys, time, urllib.parse, urllib.request
work, port = sys.argv[1], int(sys.argv[2])
base = "http://127.0.0.1:%d" % port
tok = json.load(urllib.request.urlopen(base + "/api/token", data=urllib.parse.urlencode(
    {"grant_type": "password", "username": "bencher", "password": "bench-password"}).encode()))["access_token"]
src = os.path.join(work, "landing.flac")
subprocess.run(["sox", "-n", "-r", "44100", "-c", "2", "-b", "16", src, "synth", "20", "sine", "523"],
               check=True)
subprocess.run(["metaflac", "--set-tag=TITLE=Freshly Landed", "--set-tag=ARTIST=Newcomer",
                "--set-tag=ALBUM=Just Arrived", src], check=True)
dest = os.path.join(work, "watched", "Newcomer", "Just Arrived")
os.makedirs(os.path.dirname(dest))
tmp = os.path.join(work, "watched", ".incoming")
os.makedirs(tmp)
shutil.copy(src, os.path.join(tmp, "01.flac"))
t0 = time.time()
os.rename(tmp, dest)  # the album lands at once, as a finished copy would
q = urllib.parse.quote("Freshly Landed")
found = None
while time.time() - t0 < 60:
    req = urllib.request.Request(base + "/v1/search?type=track&q=" + q,
                                 headers={"Authorization": "Bearer " + tok})
    items = json.load(urllib.request.urlopen(req))["tracks"]["items"]
    if any(i["name"] == "Freshly Landed" for i in items):
        found = time.time() - t0
        break
    time.sleep(0.05)
if found is None:
    print("watched folder: not found by search within 60 s")
    sys.exit(1)
print("watched folder: a new album is found by search %.2f s after it lands" % found)
PY
else
	echo "watched folder: this build's serve has no --library"
fi
