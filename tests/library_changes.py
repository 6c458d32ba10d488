"""A library that changes: a file moved or renamed keeps its track, a tag edit transcodes
nothing, a file removed withdraws its track (out of search and listings, unplayable, kept in
playlists, history and saved tracks, revoked offline, skipped by the client's player), and
brought back restores it under the same id; and serve --library watching a folder with
inotify, ingesting what is copied in and withdrawing what is deleted."""

import os
import re
import shutil
import sqlite3
import subprocess
import time
import urllib.parse
import uuid

from segue_test import (POSTGRES, SERVER_BIN, TAP, Server, add_user, database_args, db_connect, run, server_cmd, sql,
                        tmpdir, wait_for)
from segue_client import Client

t = TAP()
work = tmpdir()
masters = os.path.join(work, "masters")
data = os.path.join(work, "data")


def sox(out, *synth, secs=3):
    os.makedirs(os.path.dirname(out), exist_ok=True)
    run(["sox", "-n", "-r", "44100", "-c", "2", "-b", "16", out, "synth", str(secs)] + list(synth)
        + ["vol", "0.5"], check=True)


def flac(out, note, **tags):
    wav = os.path.join(work, "tmp.wav")
    sox(wav, "pluck", note, "sine", note)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    args = ["flac", "--silent", "-f", "-o", out]
    for k, v in tags.items():
        args += ["-T", "%s=%s" % (k.upper(), v)]
    run(args + [wav], check=True)


def ingest(*paths, data_dir=data):
    p = server_cmd("ingest", *paths, data_dir=data_dir)
    return p.returncode, p.stdout.decode() + p.stderr.decode()


def track(name, data_dir=data):
    rows = sql(data_dir, "SELECT id, available, source_path, withdrawn_at FROM tracks WHERE name = '%s'" % name)
    return rows[0] if rows else (None, None, None, None)


def media_mtimes(tid, data_dir=data):
    d = os.path.join(data_dir, "media", tid[:2], tid)
    return {n: os.stat(os.path.join(d, n)).st_mtime_ns for n in sorted(os.listdir(d))}


def remembered(tid, data_dir=data):
    return sorted(r[0] for r in sql(data_dir, "SELECT path FROM ingest_files WHERE track_id = '%s'" % tid))


def search_ids(srv, tok, q, ty):
    r = srv.get("/v1/search?" + urllib.parse.urlencode({"q": q, "type": ty, "limit": 50}), token=tok)
    return [x["id"] for x in (r.json() or {}).get(ty + "s", {}).get("items", [])]


ALPHA = os.path.join(masters, "Alpha Band", "First Light")
flac(os.path.join(ALPHA, "01 Morning.flac"), "C3", title="Morning Song", artist="Alpha Band",
     album="First Light", tracknumber="1", date="2020")
flac(os.path.join(ALPHA, "02 Evening.flac"), "E3", title="Evening Song", artist="Alpha Band",
     album="First Light", tracknumber="2", date="2020")
flac(os.path.join(masters, "Lonely Heron", "Solitude", "01.flac"), "G3", title="Quiet Heron",
     artist="Lonely Heron", album="Solitude", tracknumber="1")
flac(os.path.join(masters, "Movers", "Going Places", "01.flac"), "A3", title="Travel Tune",
     artist="Movers", album="Going Places", tracknumber="1")
rc, out = ingest(masters)
t.ok(rc == 0 and "4 added" in out, "four tracks ingested", out)
add_user(data, "premium-us", premium=True)
real_masters = os.path.realpath(masters)

srv = Server(data, {"rl_standard": 100000, "rl_playlist": 100000, "rl_search": 100000}).start()
daemon = None
try:
    tok = srv.login("premium-us")
    t1, t2, t3, t4 = (track(n)[0] for n in ("Morning Song", "Evening Song", "Quiet Heron", "Travel Tune"))
    album_a = sql(data, "SELECT album_id FROM tracks WHERE id = '%s'" % t1)[0][0]
    album_l, artist_l = sql(data, "SELECT album_id, artist_id FROM tracks WHERE id = '%s'" % t3)[0]
    artist_a = sql(data, "SELECT artist_id FROM tracks WHERE id = '%s'" % t1)[0][0]
    t.ok(all(r[0] == real_masters or r[0].startswith(real_masters + "/") for r in sql(data, "SELECT path FROM ingest_files")),
         "ingest remembers files by their real, absolute names")

    # What a withdrawal must leave alone: a playlist, a saved track, a play, a licence, a link.
    r = srv.request("POST", "/v1/users/premium-us/playlists", body={"name": "Keepers"}, token=tok)
    pid = r.json()["id"]
    r = srv.request("POST", "/v1/playlists/%s/tracks" % pid,
                    body={"uris": ["segue:track:" + t2, "segue:track:" + t1]}, token=tok)
    t.eq(r.status, 201, "a playlist holds the track to be removed, then another")
    t.eq(srv.request("PUT", "/v1/me/tracks?ids=" + t2, token=tok).status, 200, "the track is saved")
    now = int(time.time() * 1000)
    ev = {"id": str(uuid.uuid4()), "track_id": t2, "started_at": now - 10000, "ms_played": 3000,
          "reason_end": "track_done"}
    t.eq(srv.request("POST", "/v1/segue/events", body={"events": [ev]}, token=tok).status, 200, "and played")
    t.eq(srv.request("PUT", "/v1/segue/offline/devices/dev1", body={"name": "Phone"}, token=tok).status, 201,
         "an offline device")
    r = srv.request("POST", "/v1/segue/offline/devices/dev1/licences", body={"ids": [t2]}, token=tok)
    t.eq(len((r.json() or {}).get("licences", [])), 1, "holds a licence for it")
    r = srv.get("/v1/segue/playback/%s?quality=low" % t2, token=tok)
    t.eq(r.status, 200, "its playback is signed")
    link = urllib.parse.urlsplit(r.json()["urls"]["low"])
    link = link.path + "?" + link.query
    t.eq(srv.get(link).status, 200, "and its audio streams")
    t.ok(wait_for(lambda: t2 in search_ids(srv, tok, "evening song", "track"), 60), "search finds it")
    t.ok(album_l in search_ids(srv, tok, "solitude", "album") and artist_l in search_ids(srv, tok, "lonely heron", "artist"),
         "and the album and artist that have only one track")

    # --- a move within the library, then to another folder -------------------------------------
    before = media_mtimes(t4)
    moved = os.path.join(masters, "Movers", "Elsewhere", "travel tune.flac")
    os.makedirs(os.path.dirname(moved))
    os.rename(os.path.join(masters, "Movers", "Going Places", "01.flac"), moved)
    rc, out = ingest(masters)
    t.ok(rc == 0 and "0 added" in out and "withdrawn" not in out, "a re-ingest after a move adds and withdraws nothing", out)
    tid, avail, source, _ = track("Travel Tune")
    t.eq((tid, avail), (t4, 1), "the moved file keeps its track, available")
    t.eq(source, os.path.realpath(moved), "its source path follows the file")
    t.eq(remembered(t4), [os.path.realpath(moved)], "the old path is forgotten")
    t.eq(media_mtimes(t4), before, "nothing was transcoded")
    outside = os.path.join(work, "outside", "travel.flac")
    os.makedirs(os.path.dirname(outside))
    os.rename(moved, outside)
    rc, out = ingest(outside)
    t.eq(remembered(t4), [os.path.realpath(outside)], "moved out of the library and ingested there, its old path goes")
    rc, out = ingest(masters)
    t.ok(track("Travel Tune")[1] == 1 and "withdrawn" not in out,
         "and a walk of the library it left does not withdraw it", out)

    # --- a tag edit ----------------------------------------------------------------------------
    # (with a row an older ingest left under a relative name, one that ingest's working
    # directory still resolves, which the file's next ingest drops all the same)
    db = db_connect(data)
    with db:
        db.execute("INSERT INTO ingest_files VALUES (?, 1, 1, ?)",
                   (os.path.relpath(os.path.join(ALPHA, "01 Morning.flac")), t1))
    db.close()
    before = media_mtimes(t1)
    genres_before = srv.get("/v1/artists/" + artist_a, token=tok).json().get("genres")
    run(["metaflac", "--remove-tag=TITLE", "--set-tag=TITLE=Morning Song Remastered",
         "--set-tag=GENRE=Shoegaze", os.path.join(ALPHA, "01 Morning.flac")], check=True)
    rc, out = ingest(masters)
    t.ok(rc == 0 and "0 added" in out, "a re-ingest after a tag edit adds nothing", out)
    t.eq(track("Morning Song Remastered")[0], t1, "the edited tag renames the same track")
    t.eq(media_mtimes(t1), before, "without transcoding")
    t.eq(remembered(t1), [os.path.realpath(os.path.join(ALPHA, "01 Morning.flac"))],
         "and the older ingest's relative name for the file is dropped")
    t.eq(srv.get("/v1/tracks/" + t1, token=tok).json()["name"], "Morning Song Remastered", "the API shows the new name")
    t.eq((genres_before, srv.get("/v1/artists/" + artist_a, token=tok).json().get("genres")), ([], ["Shoegaze"]),
         "the artist's genres follow a genre tagged on one of its tracks")
    t.ok(wait_for(lambda: t1 in search_ids(srv, tok, "remastered", "track"), 60), "search follows the edit")

    # --- removal: the track is withdrawn ---------------------------------------------------------
    stash = os.path.join(work, "stash")
    os.makedirs(stash)
    shutil.move(os.path.join(ALPHA, "02 Evening.flac"), os.path.join(stash, "evening.flac"))
    shutil.rmtree(os.path.join(masters, "Lonely Heron"))
    ntracks = sql(data, "SELECT count(*) FROM tracks")[0][0]
    rc, out = ingest(masters)
    t.ok(rc == 0 and "2 gone, 2 withdrawn" in out, "a re-ingest forgets the two files gone and withdraws their tracks", out)
    t.eq([track(n)[1] for n in ("Evening Song", "Quiet Heron")], [0, 0], "both are withdrawn")
    t.ok(track("Evening Song")[3] and sql(data, "SELECT count(*) FROM tracks")[0][0] == ntracks,
         "with the time, and not deleted")
    t.eq(remembered(t2) + remembered(t3), [], "their files are forgotten")
    t.ok(os.path.exists(os.path.join(data, "media", t2[:2], t2, "high.ogg")), "their encodings stay")
    t.ok(wait_for(lambda: t2 not in search_ids(srv, tok, "evening song", "track"), 60), "search misses the track")
    t.ok(wait_for(lambda: album_l not in search_ids(srv, tok, "solitude", "album"), 60) and
         artist_l not in search_ids(srv, tok, "lonely heron", "artist"),
         "and the album and artist left with no available track")
    t.ok(album_a in search_ids(srv, tok, "first light", "album"), "an album with a track left is still found")
    items = srv.get("/v1/albums/%s/tracks?market=US" % album_a, token=tok).json()["items"]
    t.eq([x["id"] for x in items], [t1], "the album's listing misses it")
    a = srv.get("/v1/albums/%s?market=US" % album_a, token=tok).json()
    t.eq((a["total_tracks"], [x["id"] for x in a["tracks"]["items"]]), (1, [t1]), "and its total_tracks")
    t.eq(srv.get("/v1/artists/%s/albums" % artist_l, token=tok).json()["items"], [],
         "the artist's albums miss the emptied album")
    top = [x["id"] for x in srv.get("/v1/artists/%s/top-tracks?market=US" % artist_a, token=tok).json()["tracks"]]
    t.eq(top, [t1], "the artist's top tracks miss the withdrawn one")
    o = srv.get("/v1/tracks/%s?market=US" % t2, token=tok).json()
    t.eq((o.get("is_playable"), o.get("restrictions")), (False, {"reason": "unavailable"}),
         "the track with a market: not playable, restriction unavailable")
    t.eq(srv.get("/v1/tracks/" + t2, token=tok).json().get("available_markets"), [], "without one: no markets")
    items = srv.get("/v1/playlists/%s/tracks?market=from_token" % pid, token=tok).json()["items"]
    t.eq([(x["track"]["id"], x["track"]["is_playable"]) for x in items], [(t2, False), (t1, True)],
         "the playlist still lists it, unplayable")
    t.ok(t2 in [x["track"]["id"] for x in srv.get("/v1/me/tracks", token=tok).json()["items"]], "saved tracks keep it")
    t.ok(t2 in [x["track"]["id"] for x in srv.get("/v1/me/player/recently-played", token=tok).json()["items"]],
         "history keeps it")
    r = srv.get("/v1/segue/playback/" + t2, token=tok)
    t.ok(r.status == 410 and (r.json() or {}).get("error", {}).get("status") == 410 and
         "unavailable" in r.json()["error"]["message"], "playback is refused: 410 in the Web API's error shape", r)
    # (SQLite's store sees the withdrawal at the next request; PostgreSQL's reads the list of
    # withdrawn tracks again when it is a second old: store/withdrawn.c)
    if POSTGRES:
        wait_for(lambda: srv.get(link).status == 410, timeout=3, step=0.1)
    t.eq(srv.get(link).status, 410, "a link signed before the withdrawal streams no more")
    r = srv.request("POST", "/v1/segue/offline/devices/dev1/checkin",
                    body={"tracks": [{"id": t2, "quality": "high"}, {"id": t1, "quality": "high"}]}, token=tok)
    b = r.json() or {}
    t.eq(([x["id"] for x in b.get("revoked", [])], [x.get("reason") for x in b.get("revoked", [])],
          [x["track_id"] for x in b.get("licences", [])]), ([t2], ["unavailable"], [t1]),
         "an offline check-in revokes its licence (unavailable) and renews the other")
    r = srv.request("POST", "/v1/segue/offline/devices/dev1/licences", body={"ids": [t2]}, token=tok)
    t.eq([x["status"] for x in r.json()["refused"]], [410], "a new licence is refused (410)")

    # The client's player skips it, as it does a track the market lacks.
    daemon = Client(srv.base)
    daemon.login("premium-us")
    rc, doc, err = daemon.json("play", "--from", "1", "segue:playlist:" + pid)
    t.ok(rc == 0 and ((doc or {}).get("item") or {}).get("id") == t1 and
         "unavailable" in ((doc or {}).get("segue") or {}).get("message", ""),
         "the client's player skips the withdrawn track, saying why", (rc, err, doc))
    daemon.stop()
    daemon = None

    # --- the file comes back: the same track, available again ------------------------------------
    shutil.copy(os.path.join(stash, "evening.flac"), os.path.join(ALPHA, "02 Evening.flac"))
    rc, out = ingest(masters)
    t.ok(rc == 0 and "1 restored" in out and "0 added" in out, "the same audio back restores its track", out)
    t.eq(track("Evening Song")[:2], (t2, 1), "under the same id, available")
    t.eq(track("Evening Song")[3], None, "its withdrawal time is cleared")
    t.ok(wait_for(lambda: t2 in search_ids(srv, tok, "evening song", "track"), 60), "search finds it again")
    t.eq(srv.get("/v1/albums/%s" % album_a, token=tok).json()["total_tracks"], 2, "its album counts it again")
    t.eq(srv.get("/v1/segue/playback/" + t2, token=tok).status, 200, "and it plays")
    t.eq(track("Quiet Heron")[1], 0, "the track still gone stays withdrawn")

    # A file whose audio is replaced gives a new track, and the old one, left with no file, goes.
    flac(outside, "D4", title="Travel Tune", artist="Movers", album="Going Places", tracknumber="1")
    rc, out = ingest(outside)
    t.ok(rc == 0 and "1 added" in out and "1 withdrawn" in out, "new audio at a path is a new track", out)
    t.eq(sql(data, "SELECT available FROM tracks WHERE id = '%s'" % t4)[0][0], 0,
         "and the track the file gave before is withdrawn")

    # ingest with no path takes the library folders of the configuration
    conf = os.path.join(work, "segue-server.conf")
    with open(conf, "w") as f:
        f.write("library = %s\nlibrary = %s\n" % (masters, ALPHA))
    p = subprocess.run([SERVER_BIN, "ingest", "--config", conf, "--data-dir", data] + database_args(data),
                       capture_output=True)
    t.ok(p.returncode == 0 and b"ingested 2 files" in p.stdout,
         "ingest without a path scans the configured library folders, a folder inside another once", p.stdout + p.stderr)
finally:
    if daemon:
        daemon.stop()
    srv.stop()

# --- serve --library: a watched folder ---------------------------------------------------------
watched = os.path.join(work, "watched")
staging = os.path.join(work, "staging", "Night Owls - Moonlit Tides")
data2 = os.path.join(work, "data2")
os.makedirs(data2)
sox(os.path.join(watched, "Seed Artist", "Seed Album", "01 - Seedling.wav"), "sine", "300")
sox(os.path.join(staging, "01 - Tidal Drift.wav"), "sine", "350", "sine", "525")
sox(os.path.join(staging, "02 - Lunar Current.wav"), "square", "175")
add_user(data2, "premium-us", premium=True)

p = subprocess.run([SERVER_BIN, "serve", "--listen", "127.0.0.1:0", "--data-dir", data2, "--library",
                    os.path.join(work, "no-such-folder")], capture_output=True, timeout=30)
t.ok(p.returncode == 3 and b"no-such-folder" in p.stderr and len(p.stderr.splitlines()) == 1,
     "serve refuses a library folder that does not exist, in one line", p.stderr)


# The waits below are bounded at 60 s and end as soon as the condition holds: a loaded
# machine (make -j2 check runs a transcoding test beside this one) can take a while.
def metric(srv, name):
    m = re.search(r"^%s (\d+)" % re.escape(name), srv.get("/metrics").body.decode(), re.M)
    return int(m.group(1)) if m else None


srv = Server(data2, {"rl_search": 100000}, args=["--library", watched]).start()
try:
    tok = srv.login("premium-us")
    t.ok(wait_for(lambda: search_ids(srv, tok, "seedling", "track"), 60), "the first scan ingests the folder")
    t.ok(wait_for(lambda: metric(srv, "segue_library_scans_total"), 60), "/metrics counts the scan")
    scans = metric(srv, "segue_library_scans_total")
    shutil.copytree(staging, os.path.join(watched, "Night Owls - Moonlit Tides"))
    t0 = time.time()
    found = wait_for(lambda: search_ids(srv, tok, "moonlit tides", "album"), 60, 0.2)
    t.ok(found, "an album copied into the folder is searchable (in %.1f s)" % (time.time() - t0))
    t.ok(wait_for(lambda: metric(srv, "segue_library_scans_total") > scans, 60), "/metrics counts that scan too")
    m = srv.get("/metrics").body.decode()
    t.ok('segue_library_files{state="added"}' in m and "segue_library_last_scan_seconds" in m and
         "segue_library_tracks_withdrawn_total 0" in m and "segue_tracks_withdrawn 0" in m,
         "with the files, the time and the withdrawals", m[-1500:])
    tid = track("Tidal Drift", data2)[0]
    new = os.path.join(watched, "Night Owls - Moonlit Tides", "01 - Tidal Drift (moved).wav")
    os.rename(os.path.join(watched, "Night Owls - Moonlit Tides", "01 - Tidal Drift.wav"), new)
    t.ok(wait_for(lambda: remembered(tid, data2) == [os.path.realpath(new)], 60, 0.2) and
         sql(data2, "SELECT available FROM tracks WHERE id = '%s'" % tid)[0][0] == 1,
         "a file renamed in the folder keeps its track")
    shutil.rmtree(os.path.join(watched, "Night Owls - Moonlit Tides"))
    t0 = time.time()
    gone = wait_for(lambda: not search_ids(srv, tok, "moonlit tides", "album"), 60, 0.2)
    t.ok(gone, "deleted, it leaves search (in %.1f s)" % (time.time() - t0))
    o = srv.get("/v1/tracks/%s?market=US" % tid, token=tok).json()
    t.eq(o.get("restrictions"), {"reason": "unavailable"}, "and its tracks are withdrawn")
    t.ok(wait_for(lambda: metric(srv, "segue_library_tracks_withdrawn_total") == 2, 60) and
         metric(srv, "segue_tracks_withdrawn") == 2, "/metrics counts the withdrawals")
finally:
    srv.stop()
log = open(os.path.join(data2, "server.log"), errors="replace").read()
t.ok(re.search(r"library: scanned \d+ files?: .*in [\d.]+ s", log) and re.search(r"library: took in .* 2 withdrawn", log),
     "the log tells each scan", log[-2000:])

# The setting works as the flag does; past the watch limit (here a setting's, of one folder),
# full scans repeat instead of inotify.
data3 = os.path.join(work, "data3")
os.makedirs(data3)
add_user(data3, "premium-us", premium=True)
srv = Server(data3, {"library": watched, "library_max_watches": 1, "library_rescan": 1, "rl_search": 100000}).start()
try:
    tok = srv.login("premium-us")
    t.ok(wait_for(lambda: metric(srv, "segue_library_scans_total"), 60), "the setting library watches too")
    t.eq((metric(srv, "segue_library_watches"), metric(srv, "segue_library_polling")), (1, 1),
         "up to the watch limit, then it says it scans instead")
    sox(os.path.join(watched, "Seed Artist", "Seed Album", "02 - Sprout.wav"), "sine", "410")
    t.ok(wait_for(lambda: search_ids(srv, tok, "sprout", "track"), 60, 0.2),
         "a file written in an unwatched folder is found by the next full scan")
finally:
    srv.stop()
log = open(os.path.join(data3, "server.log"), errors="replace").read()
t.ok("watch limit is reached at 1 folders (the setting library_max_watches)" in log,
     "the log says the limit was reached, once", log[-1500:])
t.done()
