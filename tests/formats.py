"""Every format through FFmpeg: a small library made with the ffmpeg command (MP3 CBR, VBR
and without ID3v2, AAC and ALAC in M4A, Opus, Vorbis, 24-bit 96 kHz FLAC, WAV, AIFF,
WavPack, TTA, WMA), with a cover, lyrics, notes, an unknown file, hidden files, a corrupt
MP3, a truncated M4A and a video. Ingest accounts for every file, names each failure and
each unknown file once, makes a track of each good one with the source's duration, and
each track streams as Ogg Vorbis. APE is not covered: ffmpeg has no APE encoder."""

import os
import random
import re
import shutil
import urllib.parse

from segue_test import TAP, Server, add_user, run, server_cmd, sql, tmpdir

t = TAP()
if shutil.which("ffmpeg") is None:
    print("1..0 # SKIP the ffmpeg command is missing (sh scripts/deps installs it)")
    raise SystemExit(0)

work = tmpdir()
lib = os.path.join(work, "Formats", "Album")
data = os.path.join(work, "data")
os.makedirs(lib)
SECONDS = 4

# name: (sample rate, ffmpeg output options). Each file gets its own tone, so no two are the
# same audio (which would make them one track).
GOOD = {
    "cbr.mp3": (44100, ["-c:a", "libmp3lame", "-b:a", "192k"]),
    "vbr.mp3": (44100, ["-c:a", "libmp3lame", "-q:a", "2"]),
    "no-id3.mp3": (44100, ["-c:a", "libmp3lame", "-q:a", "4", "-write_id3v2", "0"]),
    "aac.m4a": (44100, ["-c:a", "aac", "-b:a", "128k"]),
    "alac.m4a": (44100, ["-c:a", "alac"]),
    "opus.opus": (48000, ["-c:a", "libopus", "-b:a", "96k"]),
    "vorbis.ogg": (44100, ["-c:a", "libvorbis", "-q:a", "4"]),
    "hires24.flac": (96000, ["-c:a", "flac", "-sample_fmt", "s32", "-bits_per_raw_sample", "24"]),
    "pcm.wav": (44100, ["-c:a", "pcm_s16le"]),
    "pcm.aiff": (48000, ["-c:a", "pcm_s16be"]),
    "wavpack.wv": (44100, ["-c:a", "wavpack"]),
    "tta.tta": (44100, ["-c:a", "tta"]),
    "wma.wma": (44100, ["-c:a", "wmav2", "-b:a", "128k"]),
}


def ffmpeg(*args):
    run(["ffmpeg", "-v", "error", "-y"] + list(args), check=True)


def music(i, rate):
    """A chord and a little noise, SECONDS long, as ffmpeg input options."""
    f = 180 + 37 * i
    src = []
    for freq in (f, f * 1.25, f * 1.5):
        src += ["-f", "lavfi", "-i", "sine=frequency=%.2f:sample_rate=%d:duration=%d" % (freq, rate, SECONDS)]
    src += ["-f", "lavfi", "-i", "anoisesrc=color=pink:amplitude=0.05:seed=%d:sample_rate=%d:duration=%d"
            % (i + 1, rate, SECONDS)]
    return src + ["-filter_complex", "amix=inputs=4,aformat=channel_layouts=stereo",
                  "-metadata", "title=Tone %d" % i]


for i, (name, (rate, opts)) in enumerate(sorted(GOOD.items())):
    ffmpeg(*(music(i, rate) + opts + [os.path.join(lib, name)]))

# Companions, an unknown file, hidden files, and files that must fail.
ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x64:duration=1", "-frames:v", "1", os.path.join(lib, "cover.jpg"))
with open(os.path.join(lib, "lyrics.lrc"), "w") as f:
    f.write("[00:00.00]la la la\n")
with open(os.path.join(lib, "notes.txt"), "w") as f:
    f.write("ripped with care\n")
# Noise, but the same noise every run, so that what FFmpeg makes of it cannot change.
noise = random.Random(21)
with open(os.path.join(lib, "mystery.xyz"), "wb") as f:
    f.write(noise.randbytes(2000))
with open(os.path.join(lib, ".DS_Store"), "wb") as f:
    f.write(noise.randbytes(500))
os.makedirs(os.path.join(lib, ".hidden"))
shutil.copy(os.path.join(lib, "cbr.mp3"), os.path.join(lib, ".hidden", "copy.mp3"))
with open(os.path.join(lib, "corrupt.mp3"), "wb") as f:
    f.write(noise.randbytes(40000))
m4a = os.path.join(work, "whole.m4a")
ffmpeg(*(music(40, 44100) + ["-c:a", "aac", "-movflags", "+faststart", m4a]))
whole = open(m4a, "rb").read()
with open(os.path.join(lib, "truncated.m4a"), "wb") as f:
    f.write(whole[: len(whole) * 2 // 3])
ffmpeg("-f", "lavfi", "-i", "testsrc=size=96x64:rate=10:duration=1", "-f", "lavfi", "-i", "sine=duration=1",
       "-c:v", "mpeg4", "-c:a", "aac", os.path.join(lib, "video.mp4"))
# A float WAV whose samples turn to infinity and NaN after a second of sound.
import struct, math
frames = [0.25 * math.sin(i * 0.05) for i in range(44100)] + [float("inf"), float("nan")] * 2205
data_bytes = struct.pack("<%df" % len(frames), *frames)
with open(os.path.join(lib, "nonfinite.wav"), "wb") as f:
    f.write(b"RIFF" + struct.pack("<I", 36 + len(data_bytes)) + b"WAVE")
    f.write(b"fmt " + struct.pack("<IHHIIHH", 16, 3, 1, 44100, 44100 * 4, 4, 32))
    f.write(b"data" + struct.pack("<I", len(data_bytes)) + data_bytes)
FAILED = ["corrupt.mp3", "truncated.m4a", "video.mp4", "nonfinite.wav"]
SILENT = ["cover.jpg", "lyrics.lrc", "notes.txt", ".DS_Store", ".hidden"]
total = len(GOOD) + 4 + len(FAILED)

p = server_cmd("ingest", "--jobs", "2", os.path.join(work, "Formats"), data_dir=data)
out, err = p.stdout.decode(), p.stderr.decode()
lines = [l for l in err.splitlines() if l.strip()]
t.eq(p.returncode, 1, "ingest exits 1: some files failed", err)
t.ok(re.search(r"^ingested %d files: %d added, 0 already known, 0 updated, 4 not audio, %d failed "
               % (total, len(GOOD), len(FAILED)), out, re.M), "the summary accounts for every file", out)
for name in FAILED:
    mine = [l for l in lines if l.startswith("segue-server: ingest: %s: " % os.path.join(lib, name))]
    t.eq(len(mine), 1, "%s: one line naming it" % name, err)
t.ok(any("video.mp4: not audio: video file" in l for l in lines), "a video is refused as video", err)
t.ok(any("nonfinite.wav: samples that are not numbers (infinity or NaN) near 1.0 s" in l for l in lines),
     "a float file holding infinities and NaNs is refused where they start", err)
t.ok(any("truncated.m4a: truncated or corrupt audio at" in l for l in lines),
     "a truncated M4A is caught where it ends", err)
t.ok(any(l == "segue-server: ingest: %s: skipped: not an audio file" % os.path.join(lib, "mystery.xyz")
         for l in lines), "an unknown file gets one line saying it was skipped", err)
t.ok(not any(n in err for n in SILENT), "covers, lyrics, notes and hidden files pass in silence", err)
t.eq(len(lines), len(FAILED) + 1, "and nothing else is said", err)

rows = dict(sql(data, "SELECT f.path, t.id FROM ingest_files f JOIN tracks t ON t.id = f.track_id"))
durations = dict(sql(data, "SELECT id, duration_ms FROM tracks"))
t.eq(len(durations), len(GOOD), "one track per good file")
for name in sorted(GOOD):
    tid = rows.get(os.path.join(lib, name))
    ms = durations.get(tid, 0)
    t.ok(tid is not None and abs(ms - SECONDS * 1000) <= 50,
         "%s became a track of %d ms (source %d ms)" % (name, ms, SECONDS * 1000))

# Each track streams as Ogg Vorbis of the same length.
add_user(data, "listener", premium=True)
with Server(data) as srv:
    token = srv.login("listener")
    for name in sorted(GOOD):
        tid = rows.get(os.path.join(lib, name))
        if tid is None:
            t.ok(False, "%s streams (no track)" % name)
            continue
        r = srv.get("/v1/segue/playback/%s?quality=normal" % tid, token=token)
        url = ((r.json() or {}).get("urls") or {}).get("normal", "")
        u = urllib.parse.urlsplit(url)
        r = srv.get(u.path + "?" + u.query)
        ogg = os.path.join(work, tid + ".ogg")
        with open(ogg, "wb") as f:
            f.write(r.body)
        info = run(["ogginfo", ogg]).stdout.decode()
        m = re.search(r"Playback length: (\d+)m:([\d.]+)s", info)
        secs = int(m.group(1)) * 60 + float(m.group(2)) if m else 0
        t.ok(r.status == 200 and r.body[:4] == b"OggS" and b"\x01vorbis" in r.body[:100]
             and abs(secs - SECONDS) <= 0.05,
             "%s streams as Ogg Vorbis (%d, %.3f s)" % (name, r.status, secs))

# Again: the good files are already known, the rest is counted the same way.
p = server_cmd("ingest", os.path.join(work, "Formats"), data_dir=data)
t.ok(p.returncode == 1 and re.search(r"^ingested %d files: 0 added, %d already known, 0 updated, 4 not audio, "
                                     "%d failed " % (total, len(GOOD), len(FAILED)), p.stdout.decode(), re.M),
     "a second ingest finds every good file already known", p.stdout + p.stderr)

# Links: one to a file elsewhere is followed, one to a folder is not (and says so). Files
# named on the command line: a cover is counted as not audio, anything else is tried.
links = os.path.join(work, "links")
os.makedirs(links)
elsewhere = os.path.join(work, "elsewhere.wav")
ffmpeg(*(music(50, 44100) + ["-c:a", "pcm_s16le", elsewhere]))
os.symlink(elsewhere, os.path.join(links, "linked.wav"))
os.symlink(lib, os.path.join(links, "folder"))
p = server_cmd("ingest", links, data_dir=data)
out, err = p.stdout.decode(), p.stderr.decode()
t.ok(p.returncode == 0 and "ingested 1 file: 1 added," in out, "a link to a file is followed", out + err)
t.eq(err.splitlines(), ["segue-server: ingest: %s: skipped: symbolic link to a folder (name the folder itself)"
                        % os.path.join(links, "folder")], "a link to a folder is not, in one line")
p = server_cmd("ingest", os.path.join(lib, "cover.jpg"), data_dir=data)
t.ok(p.returncode == 0 and b"ingested 1 file: 0 added, 0 already known, 0 updated, 1 not audio, 0 failed"
     in p.stdout and p.stderr == b"", "a cover named on the command line is counted as not audio",
     p.stdout + p.stderr)
p = server_cmd("ingest", os.path.join(lib, "mystery.xyz"), data_dir=data)
t.ok(p.returncode == 1 and b"mystery.xyz: " in p.stderr and b"not audio" in p.stderr,
     "any other file named on the command line is tried", p.stderr)
t.done()
