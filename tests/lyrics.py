"""Lyrics end to end: .lrc files beside masters (two- and three-decimal stamps, several stamps
on a line, an offset, a bad line, plain text, a case variant of the extension, a hostile 300
KiB file), ingested, served at /v1/segue/lyrics/{id} and flagged in the track object; a
re-ingest that sees an .lrc edited, removed or added beside unchanged audio; and `segue
lyrics` on the command line."""

import os
import re

from segue_test import TAP, Server, add_user, run, server_cmd, sql, tmpdir
from segue_client import Client

t = TAP()
work = tmpdir()
album = os.path.join(work, "masters", "Lyric Artist", "Lyric Album")
data = os.path.join(work, "data")
os.makedirs(album)


def master(name, tone, secs=4, ext="wav"):
    """A master of its own audio (the tone makes the content hash, hence the track, differ)."""
    path = os.path.join(album, "%s.%s" % (name, ext))
    run(["sox", "-n", "-r", "44100", "-c", "2", "-b", "16", path, "synth", str(secs), "sine", str(tone),
         "vol", "0.5"], check=True)
    return path


def write(path, text, mode="w"):
    with open(path, mode) as f:
        f.write(text)


master("01 - Two Decimals", 220, secs=30)  # long enough to be playing when asked
write(os.path.join(album, "01 - Two Decimals.lrc"),
      "\ufeff[ar:Lyric Artist]\r\n[ti:Two Decimals]\r\n[la:eng]\r\n[length: 00:30]\r\n"
      "[00:01.50]First line\r\n[00:03.25]  Second <00:03.50>line  \r\n"
      "this line has no stamp\r\n[00:05.00]Third line\r\n")
master("02 - Three Decimals", 330, ext="flac")
write(os.path.join(album, "02 - Three Decimals.LRC"),
      "[offset:+500]\n[00:10.250][00:02.125]Chorus\n[00:04.000]Verse\n[99999999:99.99]huge\n")
master("03 - Plain", 440)
write(os.path.join(album, "03 - Plain.lrc"), "Just words\n\n\nNo times at all\n")
master("04 - Silent Words", 550)
master("05 - Hostile", 660)
write(os.path.join(album, "05 - Hostile.lrc"), "[00:01.00]" + "x" * (300 * 1024) + "\n")

p = server_cmd("ingest", os.path.join(work, "masters"), data_dir=data)
out, err = p.stdout.decode(), p.stderr.decode()
t.eq(p.returncode, 0, "a bad .lrc fails no track: ingest exits 0", err)
t.ok(re.search(r"ingested 9 files: 5 added, 0 already known, 0 updated, 4 not audio, 0 failed", out),
     "five tracks added, the .lrc files counted as not audio", out)
notes = [l for l in err.splitlines() if ": lyrics: " in l]
t.ok(any("05 - Hostile.lrc not read: too large" in l for l in notes),
     "the hostile .lrc gets a line saying why", err)
t.ok(any("01 - Two Decimals.lrc: 1 line skipped" in l for l in notes), "a skipped line is noted", err)
t.ok(any("02 - Three Decimals.LRC: 1 line skipped" in l for l in notes), "so is a bad stamp", err)
t.eq(len(notes), 3, "one line each, nothing else", err)

ids = dict(sql(data, "SELECT name, id FROM tracks"))
t.eq(sorted(ids), ["Hostile", "Plain", "Silent Words", "Three Decimals", "Two Decimals"], "every track is in")
two, three, plain, silent, hostile = (ids.get(n, "") for n in
                                      ("Two Decimals", "Three Decimals", "Plain", "Silent Words", "Hostile"))
lyrics_rows = lambda: dict(sql(data, "SELECT track_id, updated_at FROM lyrics"))
t.eq(sorted(lyrics_rows()), sorted([two, three, plain]), "three tracks have lyrics")

add_user(data, "listener", premium=True)
srv = Server(data).start()
try:
    tok = srv.login("listener")

    def lyrics(tid):
        r = srv.get("/v1/segue/lyrics/%s" % tid, token=tok)
        return r.status, r.json()

    def has_lyrics(tid):
        return ((srv.get("/v1/tracks/%s" % tid, token=tok).json() or {}).get("segue") or {}).get("has_lyrics")

    st, doc = lyrics(two)
    t.eq(st, 200, "GET /v1/segue/lyrics/ID")
    t.eq(doc, {"track_id": two, "synced": True, "language": "eng", "source": "lrc",
               "lines": [{"start_ms": 1500, "text": "First line"}, {"start_ms": 3250, "text": "Second line"},
                         {"start_ms": 5000, "text": "Third line"}]},
         "two decimals: BOM, CRLF, tags, word stamps and a bad line dealt with")
    st, doc = lyrics(three)
    t.eq((doc or {}).get("lines"), [{"start_ms": 1625, "text": "Chorus"}, {"start_ms": 3500, "text": "Verse"},
                                    {"start_ms": 9750, "text": "Chorus"}],
         "three decimals, a line with two stamps, an offset, from Song.LRC")
    t.eq((doc or {}).get("language"), None, "no language: null")
    st, doc = lyrics(plain)
    t.eq(doc, {"track_id": plain, "synced": False, "language": None, "source": "lrc",
               "lines": [{"text": "Just words"}, {"text": ""}, {"text": "No times at all"}]},
         "plain text: unsynced lines without start_ms")
    st, doc = lyrics(silent)
    t.eq(st, 404, "a track without lyrics is 404")
    t.ok("no lyrics" in (((doc or {}).get("error") or {}).get("message") or "") and
         doc["error"].get("status") == 404, "with the Web API's error object", doc)
    st, doc = lyrics(hostile)
    t.eq(st, 404, "the hostile .lrc gave no lyrics")
    t.eq((has_lyrics(two), has_lyrics(plain), has_lyrics(silent), has_lyrics(hostile)),
         (True, True, False, False), "has_lyrics in the track object's segue extension")
    alb = srv.get("/v1/tracks/%s" % two, token=tok).json()["album"]["id"]
    items = srv.get("/v1/albums/%s/tracks" % alb, token=tok).json()["items"]
    t.eq(sorted(i["segue"]["has_lyrics"] for i in items), [False, False, True, True, True],
         "and in simplified track objects")
    t.eq(lyrics("0" * 22)[0], 404, "an unknown track is 404")
    t.eq(lyrics("not-an-id")[0], 400, "a malformed id is 400")
    t.eq(srv.get("/v1/segue/lyrics/%s" % two).status, 401, "no token: 401")

    # --- re-ingest ---------------------------------------------------------------------------
    before = lyrics_rows()
    p = server_cmd("ingest", os.path.join(work, "masters"), data_dir=data)
    t.ok(b"5 already known" in p.stdout and b"lyrics" not in p.stderr,
         "a re-ingest of unchanged files reads no .lrc again", p.stdout + p.stderr)
    t.eq(lyrics_rows(), before, "and leaves the lyrics as they were")

    lrc_two = os.path.join(album, "01 - Two Decimals.lrc")
    write(lrc_two, "[00:00.75]Rewritten\n")
    os.remove(os.path.join(album, "03 - Plain.lrc"))
    write(os.path.join(album, "04 - Silent Words.lrc"), "[00:02.00]Found words\n")
    media = os.path.join(data, "media", two[:2], two)
    mtimes = {n: os.stat(os.path.join(media, n)).st_mtime_ns for n in os.listdir(media)}
    p = server_cmd("ingest", os.path.join(work, "masters"), data_dir=data)
    t.ok(b"5 already known" in p.stdout and p.returncode == 0, "the audio is still known", p.stdout + p.stderr)
    t.eq({n: os.stat(os.path.join(media, n)).st_mtime_ns for n in os.listdir(media)}, mtimes,
         "and nothing is transcoded again")
    t.eq((lyrics(two)[1] or {}).get("lines"), [{"start_ms": 750, "text": "Rewritten"}],
         "an edited .lrc beside unchanged audio is picked up")
    t.eq(lyrics(plain)[0], 404, "a removed one takes its lyrics along")
    t.eq((lyrics(silent)[1] or {}).get("lines"), [{"start_ms": 2000, "text": "Found words"}],
         "a new one is picked up")
    t.eq((has_lyrics(plain), has_lyrics(silent)), (False, True), "and has_lyrics follows")
    # An edit that keeps the size shows in the mtime alone.
    st0 = os.stat(lrc_two)
    write(lrc_two, "[00:00.75]rewritten\n")
    os.utime(lrc_two, ns=(st0.st_atime_ns, st0.st_mtime_ns + 1000))
    server_cmd("ingest", "--quiet", os.path.join(work, "masters"), data_dir=data)
    t.eq((lyrics(two)[1] or {}).get("lines"), [{"start_ms": 750, "text": "rewritten"}],
         "an edit of the same size is seen by its modification time")

    # --- the command line --------------------------------------------------------------------
    c = Client(srv.base)
    try:
        rc, out, err = c.login("listener")
        t.eq(rc, 0, "login", err)
        rc, out, err = c.run("lyrics", "segue:track:" + three)
        t.eq((rc, out), (0, "[00:01.62] Chorus\n[00:03.50] Verse\n[00:09.75] Chorus\n"),
             "segue lyrics URI: a line each with its time", err)
        rc, out, err = c.run("lyrics", silent)
        t.eq((rc, out), (0, "[00:02.00] Found words\n"), "a bare id is a track", err)
        rc, doc, err = c.json("lyrics", "segue:track:" + three)
        t.eq(doc, lyrics(three)[1], "--json: the server's object")
        rc, out, err = c.run("lyrics", "segue:track:" + plain)
        t.eq(rc, 4, "no lyrics: not found (exit status 4)")
        t.ok("no lyrics" in err, "saying so", err)
        rc, out, err = c.run("lyrics", "segue:album:" + alb)
        t.eq(rc, 2, "an album is a usage error")
        rc, out, err = c.run("lyrics")
        t.eq(rc, 7, "nothing plays: no player (exit status 7)", (out, err))
        rc, doc, err = c.json("play", "segue:track:" + two)
        t.ok(rc == 0 and ((doc or {}).get("item") or {}).get("id") == two, "play a track", (rc, err))
        rc, out, err = c.run("lyrics")
        t.eq((rc, out), (0, "[00:00.75] rewritten\n"), "without a URI: the lyrics of what plays", err)
    finally:
        c.stop()
finally:
    srv.stop()
t.done()
