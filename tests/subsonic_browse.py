"""The Subsonic API's browsing, lists, search, cover art, lyrics and scans (issue #24), each in
JSON and XML (the two must say the same), over a library served with --library: folders
(getIndexes, getMusicDirectory), ID3 browsing (getArtists, getArtist, getAlbum, getSong),
getAlbumList2 of every type, getRandomSongs, getGenres, getTopSongs, search3 (a query and
the empty query of a client's sync), getSimilarSongs2 and getArtistInfo2, getCoverArt at
each size, getLyricsBySongId, getUser, getScanStatus and startScan; and the licences: a
song outside the user's market, and one withdrawn when its file is deleted, are in no list
and not found."""

import os
import shutil
import subprocess
import time

from segue_test import TAP, Server, add_user, run, server_cmd, sql, tmpdir, wait_for
from subsonic_util import call, error_code, same

t = TAP()
if not shutil.which("ffmpeg") or not shutil.which("sox") or not shutil.which("flac"):
    print("1..0 # SKIP ffmpeg, sox and flac are needed to make the library")
    raise SystemExit(0)
work = tmpdir()
masters = os.path.join(work, "masters")
data = os.path.join(work, "data")
os.makedirs(data)


def flac(rel, note, **tags):
    out = os.path.join(masters, rel)
    wav = os.path.join(work, "tmp.wav")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    run(["sox", "-n", "-r", "44100", "-c", "2", "-b", "16", wav, "synth", "3", "pluck", note, "sine", note,
         "vol", "0.5"], check=True)
    args = ["flac", "--silent", "-f", "-o", out]
    for k, v in tags.items():
        args += ["-T", "%s=%s" % (k.upper(), v)]
    run(args + [wav], check=True)


def cover(rel):
    run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=800x800", "-frames:v", "1",
         "-f", "image2", "-c:v", "mjpeg", os.path.join(masters, rel)], check=True)


flac("Alpha Band/First Light/01.flac", "C3", title="Morning Song", artist="Alpha Band", album="First Light",
     tracknumber="1", date="2020-05-01", genre="Folk", musicbrainz_trackid="8f0c2f5e-0b8a-4a43-9c36-5b3c7c1c2a11")
flac("Alpha Band/First Light/02.flac", "E3", title="Evening Song", artist="Alpha Band", album="First Light",
     tracknumber="2", date="2020-05-01", genre="Folk")
flac("Alpha Band/First Light/03.flac", "G3", title="Faraway Song", artist="Alpha Band", album="First Light",
     tracknumber="3", date="2020-05-01", genre="Folk", segue_markets="JP")
cover("Alpha Band/First Light/cover.jpg")
with open(os.path.join(masters, "Alpha Band/First Light/01.lrc"), "w") as f:
    f.write("[00:00.50]First line\n[00:01.75]Second <b>&</b> line\n")
flac("Zed Crew/Night Shift/01.flac", "A3", title="Night Drive", artist="Zed Crew", album="Night Shift",
     tracknumber="1", date="1999", genre="Techno")
flac("Zed Crew/Night Shift/02.flac", "B3", title="Dawn Patrol", artist="Zed Crew", album="Night Shift",
     tracknumber="2", date="1999", genre="Techno")
# Ingested before serving, so the recommender's first model knows the library; the watcher's
# scan at the start then finds every file known.
p = server_cmd("ingest", "--quiet", masters, data_dir=data)
t.eq(p.returncode, 0, "the library is ingested", p.stderr.decode())
add_user(data, "listener", premium=True, country="US")
add_user(data, "free-one", premium=False, country="US")

srv = Server(data, {"rl_standard": 100000, "rl_search": 100000}, args=["--library", masters]).start()
try:
    tok = srv.login("listener")
    key = srv.request("POST", "/v1/segue/api-keys", {"name": "t"}, token=tok).json()["key"]
    fkey = srv.request("POST", "/v1/segue/api-keys", {"name": "t"}, token=srv.login("free-one")).json()["key"]
    A = {"apiKey": key}

    def both(name, params=None, key_params=A, shuffled=False):
        """The JSON answer's payload, after checking that the XML one says the same (for a
        shuffled list, the same songs)."""
        p = dict(key_params)
        p.update(params or {})
        st, js, r = call(srv, name, p, fmt="json")
        st2, xm, r2 = call(srv, name, p, fmt="xml")
        if not (st == 200 and js and js.get("status") == "ok"):
            t.ok(False, "%s %s answers ok" % (name, params or ""), r)
            return None
        if shuffled:
            key = next(k for k in js if isinstance(js[k], dict))
            items = lambda o: sorted(x["id"] for v in o.values() if isinstance(v, list) for x in v)
            t.ok(xm is not None and len(items(js[key])) == len(items(xm[key][0])),
                 "%s %s: XML has as many items as JSON" % (name, params or ""), (js, xm))
        else:
            t.ok(xm is not None and same(js, xm), "%s %s: XML says what JSON says" % (name, params or ""),
                 (js, xm))
        body = {k: v for k, v in js.items() if k not in ("status", "version", "type", "serverVersion",
                                                         "openSubsonic")}
        return next(iter(body.values())) if body else {}

    # The watcher ingests the folder at start; getScanStatus says when it is done.
    def scan_status():
        return (call(srv, "getScanStatus", A)[1] or {}).get("scanStatus", {})

    done = wait_for(lambda: scan_status().get("count") == 5 and scan_status().get("scanning") is False,
                    timeout=60, step=0.5)
    t.ok(done, "getScanStatus: the start's scan ends with five songs")
    both("getScanStatus")
    ids = {n: i for n, i in sql(data, "SELECT name, id FROM tracks")}
    albums = {n: i for n, i in sql(data, "SELECT name, id FROM albums")}
    artists = {n: i for n, i in sql(data, "SELECT name, id FROM artists")}

    folders = both("getMusicFolders")
    t.eq(folders, {"musicFolder": [{"id": 1, "name": "Music"}]}, "getMusicFolders: one folder")

    ix = both("getIndexes")
    t.eq([(i["name"], [a["name"] for a in i["artist"]]) for i in ix["index"]],
         [("A", ["Alpha Band"]), ("Z", ["Zed Crew"])], "getIndexes: artists under their letters")
    t.eq(ix["index"][0]["artist"][0]["id"], "ar-" + artists["Alpha Band"], "as folders: ar- ids")
    t.ok(isinstance(ix["lastModified"], int) and ix["ignoredArticles"] == "", "lastModified and ignoredArticles")
    t.eq(ix["lastModified"], sql(data, "SELECT max(created_at) FROM tracks")[0][0],
         "lastModified: when the latest track was made")
    t.eq(both("getIndexes", {"ifModifiedSince": ix["lastModified"]})["index"], [],
         "ifModifiedSince the last change: nothing")
    st, env, r = call(srv, "getIndexes", dict(A, musicFolderId=2))
    t.eq(error_code(env), 70, "another music folder: 70")

    d = both("getMusicDirectory", {"id": "ar-" + artists["Alpha Band"]})
    t.eq((d["id"], d["name"], [c["title"] for c in d["child"]]),
         ("ar-" + artists["Alpha Band"], "Alpha Band", ["First Light"]), "an artist folder holds its albums")
    t.ok(d["child"][0]["isDir"] is True and d["child"][0]["id"] == "al-" + albums["First Light"],
         "as folders, al- ids", d)
    d = both("getMusicDirectory", {"id": d["child"][0]["id"]})
    t.eq([c["title"] for c in d["child"]], ["Morning Song", "Evening Song"],
         "an album folder holds its songs, in order, without the one outside the user's market")
    t.eq(d["parent"], "ar-" + artists["Alpha Band"], "its parent is the artist's folder")
    t.ok(all(c["isDir"] is False and c["parent"] == d["id"] for c in d["child"]), "songs are files in it")
    t.eq(both("getMusicDirectory", {"id": albums["Night Shift"]})["id"], "al-" + albums["Night Shift"],
         "a bare album id is taken too")
    for bad in ("ar-nope", "x" * 22, "al-" + "0" * 22):
        st, env, r = call(srv, "getMusicDirectory", dict(A, id=bad))
        t.eq(error_code(env), 70, "getMusicDirectory %s: 70" % bad)
    st, env, r = call(srv, "getMusicDirectory", A)
    t.eq(error_code(env), 10, "getMusicDirectory without id: 10")

    ar = both("getArtists")
    t.eq([(i["name"], [(a["name"], a["albumCount"]) for a in i["artist"]]) for i in ar["index"]],
         [("A", [("Alpha Band", 1)]), ("Z", [("Zed Crew", 1)])], "getArtists: ID3 artists with album counts")
    alpha = ar["index"][0]["artist"][0]
    t.eq(alpha.get("coverArt"), "ar-" + artists["Alpha Band"], "an artist with an album cover has coverArt")
    r = srv.get(alpha.get("artistImageUrl", "/none").replace(srv.base, ""))
    t.ok(r.status == 200 and r.headers.get("content-type") == "image/jpeg", "and an artistImageUrl that serves", r)
    t.ok("coverArt" not in ar["index"][1]["artist"][0], "one with no picture at all has none")
    a = both("getArtist", {"id": artists["Zed Crew"]})
    t.eq((a["name"], [x["name"] for x in a["album"]]), ("Zed Crew", ["Night Shift"]), "getArtist: its albums")
    t.eq(a["album"][0]["coverArt"] if "coverArt" in a["album"][0] else None, None,
         "an album without a picture names no coverArt")
    al = both("getAlbum", {"id": albums["First Light"]})
    t.eq((al["name"], al["artist"], al["songCount"], al["year"], al["genre"]),
         ("First Light", "Alpha Band", 2, 2020, "Folk"), "getAlbum: name, artist, the playable songs, year, genre")
    t.eq([s["title"] for s in al["song"]], ["Morning Song", "Evening Song"], "its songs in order")
    t.eq(al["coverArt"], "al-" + albums["First Light"], "its coverArt")
    t.eq(al["releaseDate"], {"year": 2020, "month": 5, "day": 1}, "releaseDate (OpenSubsonic)")
    t.eq(al["artists"], [{"id": artists["Alpha Band"], "name": "Alpha Band"}], "artists (OpenSubsonic)")
    song = al["song"][0]
    for k, v in (("id", ids["Morning Song"]), ("title", "Morning Song"), ("album", "First Light"),
                 ("artist", "Alpha Band"), ("track", 1), ("year", 2020), ("genre", "Folk"), ("duration", 3),
                 ("suffix", "ogg"), ("contentType", "audio/ogg"), ("bitRate", 160), ("isDir", False),
                 ("albumId", albums["First Light"]), ("artistId", artists["Alpha Band"]),
                 ("coverArt", "al-" + albums["First Light"]), ("type", "music"), ("mediaType", "song"),
                 ("musicBrainzId", "8f0c2f5e-0b8a-4a43-9c36-5b3c7c1c2a11"),
                 ("genres", [{"name": "Folk"}]), ("displayArtist", "Alpha Band")):
        t.eq(song.get(k), v, "a song's %s" % k)
    t.ok(song.get("size", 0) > 0 and "trackGain" in song.get("replayGain", {}), "size and replayGain", song)
    st, env, r = call(srv, "getAlbum", {"apiKey": fkey, "id": albums["First Light"]})
    t.eq(env["album"]["song"][0]["bitRate"], 96, "a free account's songs are described at 96 kbit/s")
    st, env, r = call(srv, "getAlbum", dict(A, id=albums["First Light"][:-1] + "!"))
    t.eq(error_code(env), 70, "getAlbum of a malformed id: 70")

    s = both("getSong", {"id": ids["Evening Song"]})
    t.eq((s["title"], s["track"]), ("Evening Song", 2), "getSong")
    for name, params, why in (("getSong", {"id": ids["Faraway Song"]}, "outside the user's market"),
                              ("getSong", {"id": "0" * 22}, "unknown"),
                              ("getArtist", {"id": "0" * 22}, "unknown"),
                              ("getAlbum", {"id": "0" * 22}, "unknown")):
        for fmt in ("json", "xml"):
            st, env, r = call(srv, name, dict(A, **params), fmt=fmt)
            t.ok(st == 200 and error_code(env) == 70, "%s %s: 70 (%s)" % (name, why, fmt), r)

    g = both("getGenres")
    t.eq(g["genre"], [{"value": "Folk", "songCount": 2, "albumCount": 1},
                      {"value": "Techno", "songCount": 2, "albumCount": 1}],
         "getGenres counts the playable songs and albums of each genre")

    def names(lst):
        return [x["name"] for x in lst.get("album", [])]

    for typ, params, want in (("alphabeticalByName", {}, ["First Light", "Night Shift"]),
                              ("alphabeticalByArtist", {}, ["First Light", "Night Shift"]),
                              ("byYear", {"fromYear": 1990, "toYear": 2000}, ["Night Shift"]),
                              ("byYear", {"fromYear": 2030, "toYear": 1990}, ["First Light", "Night Shift"]),
                              ("byGenre", {"genre": "Techno"}, ["Night Shift"]),
                              ("starred", {}, []), ("frequent", {}, []), ("recent", {}, [])):
        got = both("getAlbumList2", dict(params, type=typ))
        t.eq(names(got or {}), want, "getAlbumList2 type=%s %s" % (typ, params))
    t.eq(len(names(both("getAlbumList2", {"type": "random", "size": 1}, shuffled=True))), 1, "type=random, size 1: one album")
    t.eq(len(names(both("getAlbumList2", {"type": "newest", "size": 1}))), 1, "size limits")
    t.eq(names(both("getAlbumList2", {"type": "alphabeticalByName", "offset": 1})), ["Night Shift"], "offset pages")
    for params, code, why in (({}, 10, "no type"), ({"type": "sideways"}, 0, "an unknown type"),
                              ({"type": "byYear", "fromYear": 1}, 10, "byYear without toYear"),
                              ({"type": "byGenre"}, 10, "byGenre without genre"),
                              ({"type": "newest", "size": 501}, 0, "size over 500"),
                              ({"type": "newest", "size": "ten"}, 0, "a size that is no number")):
        st, env, r = call(srv, "getAlbumList2", dict(A, **params))
        t.eq(error_code(env), code, "getAlbumList2 %s: %d" % (why, code))
    # Saved albums and plays make starred, frequent and recent.
    t.eq(srv.request("PUT", "/v1/me/albums?ids=" + albums["Night Shift"], token=tok).status, 200, "save an album")
    t.eq(names(both("getAlbumList2", {"type": "starred"})), ["Night Shift"], "type=starred: the saved album")
    t.ok(both("getAlbum", {"id": albums["Night Shift"]}).get("starred"), "a saved album is starred")
    now = int(time.time() * 1000)
    ev = [{"id": "e%d" % i, "track_id": ids[n], "started_at": now - 60000 * (3 - i), "ms_played": 3000,
           "reason_end": "track_done"} for i, n in enumerate(["Morning Song", "Night Drive", "Morning Song"])]
    r = srv.request("POST", "/v1/segue/events", {"events": ev}, token=tok)
    t.ok(r.status in (200, 202, 204), "three plays reported", r)
    t.eq(names(both("getAlbumList2", {"type": "frequent"})), ["First Light", "Night Shift"], "type=frequent")
    t.eq(names(both("getAlbumList2", {"type": "recent"})), ["First Light", "Night Shift"],
         "type=recent: the last played first")

    rs = both("getRandomSongs", {"size": 500}, shuffled=True)
    t.eq(sorted(x["title"] for x in rs["song"]), ["Dawn Patrol", "Evening Song", "Morning Song", "Night Drive"],
         "getRandomSongs: every playable song, none outside the market")
    t.eq([x["title"] for x in both("getRandomSongs", {"genre": "Techno", "fromYear": 1999, "toYear": 1999,
                                                      "size": 1}, shuffled=True)["song"]][:1] in (["Night Drive"], ["Dawn Patrol"]),
         True, "getRandomSongs by genre and year")
    t.eq(both("getRandomSongs", {"fromYear": 2001, "toYear": 2019}, shuffled=True), {"song": []}, "no song in those years")

    top = both("getTopSongs", {"artist": "zed crew", "count": 5})
    t.eq(sorted(x["title"] for x in top["song"]), ["Dawn Patrol", "Night Drive"], "getTopSongs by artist name")
    t.eq(top["song"][0]["title"], "Night Drive", "the played one first")
    t.eq(both("getTopSongs", {"artist": "Nobody Here"}), {"song": []}, "an unknown artist: no songs")

    wait_for(lambda: (call(srv, "search3", dict(A, query="morning"))[1] or {}).get("status") == "ok", timeout=20)
    sr = both("search3", {"query": "morning"})
    t.eq([x["title"] for x in sr.get("song", [])], ["Morning Song"], "search3 finds a song")
    sr = both("search3", {"query": "alpha"})
    t.eq(([x["name"] for x in sr["artist"]], [x["name"] for x in sr["album"]]),
         (["Alpha Band"], ["First Light"]), "and artists and albums")
    t.eq(both("search3", {"query": "faraway"})["song"], [], "not a song outside the market")
    sr = both("search3", {"query": "", "songCount": 2, "songOffset": 0, "albumCount": 1, "artistCount": 500})
    t.eq((len(sr["artist"]), len(sr["album"]), len(sr["song"])), (2, 1, 2), "an empty query lists everything, paged")
    seen = []
    for off in range(0, 6, 2):
        seen += [x["id"] for x in both("search3", {"query": '""', "songCount": 2, "songOffset": off,
                                                   "albumCount": 0, "artistCount": 0})["song"]]
    t.eq(sorted(seen), sorted(ids[n] for n in ("Morning Song", "Evening Song", "Night Drive", "Dawn Patrol")),
         "a client's sync pages through every playable song once")
    again = [x["id"] for x in both("search3", {"query": "", "songCount": 2, "songOffset": 2, "albumCount": 0,
                                               "artistCount": 0})["song"]]
    t.eq(again, seen[2:4], "a page asked again (the server kept where the sync was) is the same page")
    pages = [[x["id"] for x in both("search3", {"query": "", "songCount": 0, "artistCount": 0, "albumCount": 1,
                                                "albumOffset": off})["album"]] for off in range(3)]
    t.eq(sorted(sum(pages, [])), sorted(albums.values()), "and through every album once")
    st, env, r = call(srv, "search3", A)
    t.eq(error_code(env), 10, "search3 without query: 10")

    # The recommender: its model follows the catalog a few seconds after the scan.
    ss = wait_for(lambda: ((call(srv, "getSimilarSongs2", dict(A, id=artists["Zed Crew"]))[1] or {})
                           .get("similarSongs2") or {}).get("song"), timeout=90, step=1)
    t.ok(ss, "getSimilarSongs2 answers songs once the model knows the library")
    ss = both("getSimilarSongs2", {"id": artists["Zed Crew"], "count": 10})
    t.ok(ss["song"] and all(x["id"] != ids["Faraway Song"] for x in ss["song"]),
         "getSimilarSongs2: songs, none outside the market", ss)
    info = both("getArtistInfo2", {"id": artists["Zed Crew"]})
    t.eq([x["name"] for x in info.get("similarArtist", [])], ["Alpha Band"], "getArtistInfo2: similar artists")
    st, env, r = call(srv, "getArtistInfo2", dict(A, id="0" * 22))
    t.eq(error_code(env), 70, "getArtistInfo2 of an unknown artist: 70")

    # Cover art: the square that fits.
    def art(params):
        st, env, r = call(srv, "getCoverArt", dict(A, **params), fmt=None)
        return r

    def side(body):
        path = os.path.join(work, "art.jpg")
        with open(path, "wb") as f:
            f.write(body)
        p = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=width", "-of", "csv=p=0", path],
                           capture_output=True, text=True)
        return int(p.stdout.strip() or 0)

    for params, want in (({"id": "al-" + albums["First Light"]}, 640), ({"id": ids["Morning Song"], "size": 50}, 64),
                         ({"id": albums["First Light"], "size": 64}, 64), ({"id": albums["First Light"], "size": 65}, 300),
                         ({"id": "ar-" + artists["Alpha Band"], "size": 300}, 300),
                         ({"id": "al-" + albums["First Light"], "size": 5000}, 640)):
        r = art(params)
        t.ok(r.status == 200 and r.headers.get("content-type") == "image/jpeg" and side(r.body) == want,
             "getCoverArt %s: a %d px JPEG" % (params, want), r)
    r = art({"id": "al-" + albums["Night Shift"]})
    t.ok(r.status == 200 and error_code(__import__("subsonic_util").parse(r, "xml")) == 70,
         "an album without a picture: 70", r)
    st, env, r = call(srv, "getCoverArt", A)
    t.eq(error_code(env), 10, "getCoverArt without id: 10")

    ly = both("getLyricsBySongId", {"id": ids["Morning Song"]})
    sl = ly["structuredLyrics"]
    t.ok(len(sl) == 1 and sl[0]["synced"] is True and sl[0]["lang"] == "und" and
         sl[0]["line"] == [{"start": 500, "value": "First line"}, {"start": 1750, "value": "Second <b>&</b> line"}],
         "getLyricsBySongId: timed lines, the text as it is (escaped in XML)", ly)
    t.eq(both("getLyricsBySongId", {"id": ids["Evening Song"]}), {"structuredLyrics": []}, "no lyrics: an empty list")
    st, env, r = call(srv, "getLyricsBySongId", dict(A, id=ids["Faraway Song"]))
    t.eq(error_code(env), 70, "lyrics of a song outside the market: 70")

    u = both("getUser", {"username": "listener"})
    t.ok(u["username"] == "listener" and u["streamRole"] is True and u["adminRole"] is False and
         u["folder"] == [1] and u["maxBitRate"] == 320, "getUser: one's own account", u)
    st, env, r = call(srv, "getUser", dict(A, username="free-one"))
    t.eq(error_code(env), 50, "another user's account: 50")

    # startScan, and a deleted file: its song is withdrawn from every list.
    os.unlink(os.path.join(masters, "Zed Crew/Night Shift/02.flac"))
    # Each format on its own: the deletion may be taken in between (the count moves).
    for fmt in ("json", "xml"):
        st, env, r = call(srv, "startScan", A, fmt=fmt)
        status = env.get("scanStatus") if env else None
        status = status[0] if isinstance(status, list) else status
        t.ok(status and status.get("scanning") is True and isinstance(status.get("count"), int),
             "startScan (%s): scanning, with a count" % fmt, r)
    done = wait_for(lambda: scan_status().get("scanning") is False and
                    sql(data, "SELECT available FROM tracks WHERE name = 'Dawn Patrol'") == [(0,)], timeout=60, step=0.5)
    t.ok(done, "the scan ends with the deleted file's song withdrawn")
    t.eq([x["title"] for x in both("getAlbum", {"id": albums["Night Shift"]})["song"]], ["Night Drive"],
         "the album lists only what is left")
    st, env, r = call(srv, "getSong", dict(A, id=ids["Dawn Patrol"]))
    t.eq(error_code(env), 70, "getSong of a withdrawn song: 70")
    t.eq([x["title"] for x in both("getTopSongs", {"artist": "Zed Crew"})["song"]], ["Night Drive"],
         "getTopSongs leaves it out")
    gone = sql(data, "SELECT withdrawn_at FROM tracks WHERE name = 'Dawn Patrol'")[0][0]
    later = both("getIndexes", {"ifModifiedSince": ix["lastModified"]})
    t.ok(gone and gone > ix["lastModified"] and later["lastModified"] == gone and later["index"],
         "getIndexes: the withdrawal is the last change, and the artists are sent again since the one before",
         (gone, ix["lastModified"], later["lastModified"]))
finally:
    srv.stop()

# A server with no library folder has nothing to scan. (The same rate limits as the first:
# on PostgreSQL the counts of a window outlive a restart, as every instance shares them.)
with Server(data, {"rl_standard": 100000, "rl_search": 100000}) as srv:
    k = srv.request("POST", "/v1/segue/api-keys", {"name": "u"}, token=srv.login("listener")).json()["key"]
    st, env, r = call(srv, "startScan", {"apiKey": k})
    t.ok(error_code(env) == 0 and "library" in env["error"]["message"], "startScan without --library: an error saying why", r)
    st, env, r = call(srv, "getScanStatus", {"apiKey": k})
    t.eq(env["scanStatus"], {"scanning": False, "count": 4}, "getScanStatus: not scanning, four songs")

t.done()
