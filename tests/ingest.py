"""Ingest from real files: WAV, FLAC and Ogg Vorbis with tags, names from folders when there
are none, a corrupt file, a re-ingest, and the encoded outputs (bitrates, ReplayGain, Ogg
validity)."""

import os
import re
import shutil
import subprocess

from segue_test import TAP, run, server_cmd, sql, tmpdir

t = TAP()
work = tmpdir()
masters = os.path.join(work, "masters")
data = os.path.join(work, "data")
os.makedirs(os.path.join(masters, "Folder Artist", "Folder Album"))


def sox(out, *synth, rate=44100, channels=2, secs=12):
    run(["sox", "-n", "-r", str(rate), "-c", str(channels), "-b", "16", out, "synth", str(secs)] + list(synth)
        + ["vol", "0.5"], check=True)


# A tagged FLAC, a tagged Ogg Vorbis, an untagged WAV in an Artist/Album folder, a mono 48 kHz
# WAV with INFO tags, and files that must fail.
sox(os.path.join(work, "a.wav"), "pluck", "C3", "pluck", "E3")
run(["flac", "--silent", "-f", "-o", os.path.join(masters, "tagged.flac"),
     "-T", "TITLE=Jóga (Live)", "-T", "ARTIST=Björk", "-T", "ALBUM=Homogenic Live",
     "-T", "ALBUMARTIST=Björk", "-T", "TRACKNUMBER=3/10", "-T", "DISCNUMBER=2/2",
     "-T", "DATE=1997-09-22", "-T", "GENRE=Electronic", "-T", "SEGUE_MARKETS=gb, US",
     os.path.join(work, "a.wav")], check=True)
sox(os.path.join(work, "b.wav"), "sine", "220", "sine", "330", secs=10)
run(["oggenc", "-Q", "-q", "6", "-t", "Mr. Brightside", "-a", "The Killers", "-l", "Hot Fuss",
     "-N", "2", "-d", "2004", "-G", "Rock", "-o", os.path.join(masters, "killers.ogg"),
     os.path.join(work, "b.wav")], check=True)
sox(os.path.join(masters, "Folder Artist", "Folder Album", "07 - Named By Folder.wav"),
    "square", "110", secs=8)
sox(os.path.join(work, "mono.wav"), "sine", "440", rate=48000, channels=1, secs=9)
shutil.copy(os.path.join(work, "mono.wav"), os.path.join(masters, "mono48k.wav"))
with open(os.path.join(masters, "corrupt.flac"), "wb") as f:
    f.write(b"fLaC" + os.urandom(3000))
with open(os.path.join(masters, "notes.txt"), "w") as f:
    f.write("not audio, and not tried: no audio extension\n")
flac = open(os.path.join(masters, "tagged.flac"), "rb").read()
with open(os.path.join(masters, "truncated.flac"), "wb") as f:
    f.write(flac[: len(flac) // 3])

p = server_cmd("ingest", masters, data_dir=data)
out, err = p.stdout.decode(), p.stderr.decode()
t.eq(p.returncode, 1, "ingest exits 1 when some files failed")
t.ok("corrupt.flac" in err and "truncated.flac" in err, "each bad file gets a line naming it", err)
bad_lines = [l for l in err.splitlines() if "ingest:" in l]
t.eq(len(bad_lines), 2, "exactly one line per bad file", err)
t.ok(all(len(l.split(": ", 2)) == 3 and l.split(": ", 2)[2] for l in bad_lines), "each line gives a reason", err)
t.ok("notes.txt" not in err, "a companion file (.txt) is counted as not audio in silence")
t.ok(re.search(r"ingested 7 files: 4 added, 0 already known, 0 updated, 1 not audio, 2 failed", out)
     is not None, "summary line", out)

rows = {r[0]: r for r in sql(data, "SELECT t.name, ar.name, al.name, aa.name, t.track_number, t.disc_number,"
                                  " t.genre, t.markets, al.release_date, t.duration_ms, t.gain_db, t.tempo,"
                                  " t.energy, t.brightness, t.id"
                                  " FROM tracks t JOIN artists ar ON ar.id = t.artist_id"
                                  " JOIN albums al ON al.id = t.album_id JOIN artists aa ON aa.id = al.artist_id")}
t.eq(sorted(rows), ["Jóga (Live)", "Mr. Brightside", "Named By Folder", "mono48k"], "four tracks with their titles")
j = rows.get("Jóga (Live)", [None] * 15)
t.eq(j[1:9], ("Björk", "Homogenic Live", "Björk", 3, 2, "Electronic", "GB,US", "1997-09-22"),
     "FLAC tags: artist, album, album artist, track, disc, genre, markets, date")
t.ok(abs(j[9] - 12000) < 50, "duration from the audio (%s ms)" % j[9])
k = rows.get("Mr. Brightside", [None] * 15)
t.eq(k[1:9], ("The Killers", "Hot Fuss", "The Killers", 2, 1, "Rock", None, "2004"), "Ogg Vorbis tags")
f = rows.get("Named By Folder", [None] * 15)
t.eq(f[1:5], ("Folder Artist", "Folder Album", "Folder Artist", 7), "untagged WAV named from its folders")
t.ok(all(r[11] is not None and r[12] is not None and r[13] is not None for r in rows.values()),
     "every track has tempo, energy and brightness")
t.ok(all(-30 < r[10] < 30 for r in rows.values()), "gains are plausible")

# The outputs
tid = j[14]
media = os.path.join(data, "media", tid[:2], tid)
t.eq(sorted(os.listdir(media)), ["high.ogg", "low.ogg", "normal.ogg", "very_high.ogg"], "four encodings, no temporaries")
for q, kbps in (("low", 24), ("normal", 96), ("high", 160), ("very_high", 320)):
    info = run(["ogginfo", os.path.join(media, q + ".ogg")]).stdout.decode()
    m = re.search(r"Average bitrate: ([\d.]+) kb/s", info)
    got = float(m.group(1)) if m else 0
    t.ok(abs(got - kbps) / kbps < 0.05, "%s is about %d kbps (%.1f)" % (q, kbps, got))
    t.ok(re.search(r"REPLAYGAIN_TRACK_GAIN=[-+]\d+\.\d+ dB", info) and "REPLAYGAIN_TRACK_PEAK=" in info,
         "%s carries REPLAYGAIN_TRACK_GAIN/PEAK" % q)
    v = run(["oggz-validate", os.path.join(media, q + ".ogg")])
    t.eq(v.returncode, 0, "%s passes oggz-validate" % q)
info = run(["ogginfo", os.path.join(media, "normal.ogg")]).stdout.decode()
t.ok("TITLE=Jóga (Live)" in info and "ARTIST=Björk" in info, "outputs carry the tags")

# Re-ingest: idempotent, nothing transcoded again.
mtimes = {n: os.stat(os.path.join(media, n)).st_mtime_ns for n in os.listdir(media)}
tracks_version = lambda: (sql(data, "SELECT value FROM meta WHERE key = 'tracks_version'") or [[0]])[0][0]
v0 = tracks_version()
t.ok(v0 >= 4, "ingest moved the tracks version the recommender watches", v0)
p = server_cmd("ingest", "--quiet", masters, data_dir=data)
t.eq(sql(data, "SELECT count(*) FROM tracks")[0][0], 4, "a re-ingest adds no tracks")
t.eq(tracks_version(), v0, "and leaves the tracks version alone")
t.eq({n: os.stat(os.path.join(media, n)).st_mtime_ns for n in os.listdir(media)}, mtimes,
     "and transcodes nothing again")
t.eq(p.stdout, b"", "--quiet prints no summary")
# An unchanged file (same size, same mtime) is not even decoded: replace one with garbage of
# the same size and put its mtime back, and the re-ingest still succeeds; touch it, and the
# re-ingest reads it and refuses it.
victim = os.path.join(masters, "tagged.flac")
saved = open(victim, "rb").read()
st0 = os.stat(victim)
with open(victim, "wb") as f:
    f.write(b"\0" * len(saved))
os.utime(victim, ns=(st0.st_atime_ns, st0.st_mtime_ns))
p = server_cmd("ingest", masters, data_dir=data)
t.ok(b"tagged.flac" not in p.stderr and b"4 already known" in p.stdout,
     "an unchanged file is not decoded again", p.stdout + p.stderr)
os.utime(victim, ns=(st0.st_atime_ns, st0.st_mtime_ns + 1000))
p = server_cmd("ingest", masters, data_dir=data)
t.ok(b"tagged.flac" in p.stderr, "a file touched since is read again", p.stderr)
with open(victim, "wb") as f:
    f.write(saved)
# The same audio as WAV is the same track (content hash, not file hash).
run(["flac", "--silent", "-d", "-f", "-o", os.path.join(work, "same.wav"), os.path.join(masters, "tagged.flac")], check=True)
p = server_cmd("ingest", os.path.join(work, "same.wav"), data_dir=data)
t.eq(p.returncode, 0, "ingest of one good file exits 0")
t.ok(b"ingested 1 file: 0 added, 0 already known, 1 updated, 0 not audio, 0 failed" in p.stdout,
     "audio already in the catalog counts as updated", p.stdout)
t.eq(sql(data, "SELECT count(*) FROM tracks")[0][0], 4, "the same audio in another container is the same track")
p = server_cmd("ingest", os.path.join(work, "does-not-exist.flac"), data_dir=data)
t.eq(p.returncode, 1, "a missing path is a failure")
p = server_cmd("ingest", data_dir=data)
t.eq(p.returncode, 2, "no paths is a usage error")
t.done()
