"""One library ingested into SQLite and into PostgreSQL gives one catalog. The library is shaped
to find where the engines differ: names that sort apart under a case-insensitive order
("_", "[", "~", digits, accents, the same name in two cases), genres in two cases and several
to a track, market lists, dates full, partial and missing, compilations, two discs, featured
artists, lyrics beside a file and covers. PostgreSQL is ingested by several jobs at once (each
its own connection); then every track, album and artist, the lists and searches of the Web API
and of the Subsonic API are asked of both servers and must answer alike."""

import json
import os
import re
import shutil
import sys
import urllib.parse

import pgcluster
from segue_test import SERVER_BIN, TAP, Server, cluster, run, tmpdir, wait_for, tone_flac
from subsonic_util import call

t = TAP()
pgcluster.skip_if(pgcluster.unavailable())
if not all(shutil.which(p) for p in ("sox", "flac", "ffmpeg")):
    print("1..0 # SKIP sox, flac and ffmpeg are needed to make the library")
    sys.exit(0)

work = tmpdir()
lib = os.path.join(work, "library")
freq = [180]


def flac(rel, secs=2, **tags):
    """A FLAC file of its own tone (the track id is the audio's hash) with the given comments;
    a list value gives one comment per item."""
    freq[0] += 41
    return tone_flac(os.path.join(lib, rel), freq[0], work, secs, **tags)


def cover(rel, colour):
    run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=%s:s=320x320" % colour,
         "-frames:v", "1", "-f", "image2", "-c:v", "mjpeg", os.path.join(lib, rel)], check=True)


# Names that SQLite's NOCASE and a case-insensitive ICU collation put in different orders.
flac("under/01.flac", title="Low Line", artist="_Underscore", album="_Tapes", date="2004-03-17",
     genre="Rock", tracknumber="1")
flac("under/02.flac", title="low line", artist="_Underscore", album="_Tapes", date="2004-03-17",
     genre="rock", tracknumber="2", segue_markets="US,GB")
flac("brackets/01.flac", title="[Intro]", artist="[Bracket] Band", album="[Square]", date="1999",
     genre=["Jazz", "Fusion"], tracknumber="1")
flac("tilde/01.flac", title="~Wave", artist="~Tilde", album="~Waves", genre="Électro",
     tracknumber="1", segue_markets="JP")
flac("ten/01.flac", title="10 Seconds", artist="10 Years", album="10", date="2010",
     genre="électro", tracknumber="1")
flac("ebene/01.flac", title="Ébène", artist="Émile", album="Écrits", date="2001-06",
     genre="Chanson", tracknumber="1")
flac("emile/01.flac", title="ebene", artist="emile", album="ecrits", date="2001",
     genre="chanson", tracknumber="1")
flac("zebra1/01.flac", title="Stripes", artist="Zebra", album="Zebra Nights", date="1985",
     genre="Rock", tracknumber="1", segue_explicit="1")
flac("zebra2/01.flac", title="stripes", artist="zebra crossing", album="zebra nights", date="1986",
     genre="Pop", tracknumber="1")
# One folder, two albums whose names differ in the case of an accented letter alone (NOCASE
# folds ASCII only).
flac("ete/01.flac", title="Juin", artist="Saison", album="Été", tracknumber="1")
flac("ete/02.flac", title="Juillet", artist="Saison", album="ÉTÉ", tracknumber="2")
# An album over two discs under one album artist, with featured and several artists.
flac("Opus/CD1/01.flac", title="Overture", artist="Singer A", album="The Opus", albumartist="Maestro",
     tracknumber="1", discnumber="1/2", date="2020-05-01", genre=["Classical", "Score"])
flac("Opus/CD1/02.flac", title="Duet", artist="Singer B feat. Singer C", album="The Opus",
     albumartist="Maestro", tracknumber="2", discnumber="1/2", date="2020-05-01", genre="Classical")
flac("Opus/CD2/01.flac", title="Theme", artist=["Maestro", "Singer A"], album="The Opus",
     albumartist="Maestro", tracknumber="1", discnumber="2/2", date="2020-05-01", genre="Classical",
     segue_markets="US")
cover("Opus/CD1/cover.jpg", "blue")
# A compilation, and an artist with albums of their own and appearances on others'.
flac("Comp/01.flac", title="Hit One", artist="Band One", album="Hits", compilation="1",
     tracknumber="1", date="1999")
flac("Comp/02.flac", title="Hit Two", artist="Singer A", album="Hits", compilation="1",
     tracknumber="2", date="1999")
flac("Comp/03.flac", title="Hit Three", artist="zebra crossing", album="Hits", compilation="1",
     tracknumber="3", date="1999")
cover("Comp/folder.jpg", "green")
for i in range(1, 5):
    flac("Solo/%02d.flac" % i, title="Solo %d" % i, artist="Singer A", album="Alone",
         tracknumber=str(i), genre="Pop")
with open(os.path.join(lib, "Solo", "01.lrc"), "w") as f:
    f.write("[00:00.50]First line\n[00:01.25]Second line\n")

# SQLite: one job. PostgreSQL: three, each with its own connection, on a new database.
lite = os.path.join(work, "lite")
pg = os.path.join(work, "pg")
url = cluster().database(pg)
p = run([SERVER_BIN, "ingest", "--quiet", lib, "--data-dir", lite])
t.eq(p.returncode, 0, "the library ingests into SQLite", p.stderr.decode(errors="replace"))
p = run([SERVER_BIN, "ingest", "--quiet", "--jobs", "3", lib, "--data-dir", pg, "--database", url])
t.eq(p.returncode, 0, "the library ingests into PostgreSQL with three jobs", p.stderr.decode(errors="replace"))
for d, db in ((lite, []), (pg, ["--database", url])):
    p = run([SERVER_BIN, "user", "add", "ana", "--premium", "--country", "US", "--data-dir", d] + db,
            input=b"password123\n")
    t.eq(p.returncode, 0, "a user on %s" % ("PostgreSQL" if db else "SQLite"), p.stderr.decode(errors="replace"))

# Random albums are drawn by rowid: ingest must leave PostgreSQL's dense, though every track
# upserts its album (an identity would spend a number on each: schema_pg.c numbers them as
# SQLite does).
conn = cluster().connect(cluster().dbname(pg))
try:
    cur = conn.cursor()
    cur.execute("SELECT count(*), max(rowid) FROM albums")
    n_albums, top = cur.fetchone()
finally:
    conn.close()
t.eq(top, n_albums, "PostgreSQL's album rowids are dense after ingest (%d albums)" % n_albums)

# Each ingest stamps what it adds with its own clock, and ties in some lists fall to that time
# (an artist's top tracks before any play): one time for all on both sides, so that what is
# compared is the engines and not when each file happened to be read.
STAMP = ["UPDATE tracks SET created_at = 1700000000000", "UPDATE albums SET created_at = 1700000000000",
         "UPDATE artists SET created_at = 1700000000000"]
conn = cluster().connect(cluster().dbname(pg))
try:
    for q in STAMP:
        conn.cursor().execute(q)
    conn.commit()
finally:
    conn.close()
import sqlite3
db = sqlite3.connect(os.path.join(lite, "segue.db"))
for q in STAMP:
    db.execute(q)
db.commit()
db.close()

settings = {"rl_standard": 100000, "rl_search": 100000}
servers = {"sqlite": Server(lite, settings).start(), "postgresql": Server(pg, settings, args=["--database", url]).start()}
try:
    auth = {}
    for name, srv in servers.items():
        tok = srv.login("ana")
        key = srv.request("POST", "/v1/segue/api-keys", {"name": "parity"}, token=tok).json()["key"]
        auth[name] = (tok, key)

    def norm(v, srv):
        """An answer without what differs by the server rather than the catalog: its URL, the
        times each ingest ran and a star was given (the server's clock), signed URLs'
        signatures."""
        text = json.dumps(v, sort_keys=True).replace(srv.base, "BASE")
        text = re.sub(r'"(created|added_at|starred)": ("[^"]*"|\d+)', r'"\1": "T"', text)
        text = re.sub(r'([?&](sig|exp|kid|token|t|s|apiKey)=)[^&"]*', r"\1X", text)
        return json.loads(text)

    def web(path):
        out = {}
        for name, srv in servers.items():
            r = srv.get(path, token=auth[name][0])
            out[name] = (r.status, norm(r.json() if r.body else None, srv))
        return out

    def sub(name_, params=None, sort_key=None):
        out = {}
        for name, srv in servers.items():
            st, env, _ = call(srv, name_, dict(params or {}, apiKey=auth[name][1]))
            body = norm(env, srv)
            if sort_key:
                body = sort_key(body)
            out[name] = (st, body)
        return out

    def same(what, answers):
        a, b = answers["sqlite"], answers["postgresql"]
        detail = None
        if a != b:
            la = json.dumps(a, sort_keys=True, indent=1).splitlines()
            lb = json.dumps(b, sort_keys=True, indent=1).splitlines()
            import difflib
            detail = "\n".join(list(difflib.unified_diff(la, lb, "sqlite", "postgresql", lineterm="", n=2))[:60])
        t.ok(a == b and a[0] == 200, what, detail or ("status %r" % (a[0],) if a[0] != 200 else None))

    db = sqlite3.connect(os.path.join(lite, "segue.db"))
    tracks = [r[0] for r in db.execute("SELECT id FROM tracks ORDER BY id")]
    in_us = [r[0] for r in db.execute("SELECT id FROM tracks WHERE coalesce(markets, '') = ''"
                                      " OR instr(markets, 'US') > 0 ORDER BY id")]
    albums = [r[0] for r in db.execute("SELECT id FROM albums ORDER BY id")]
    artists = [r[0] for r in db.execute("SELECT id FROM artists ORDER BY id")]
    artist_names = [r[0] for r in db.execute("SELECT name FROM artists ORDER BY id")]
    db.close()
    t.ok(len(tracks) == 21 and len(albums) == 13, "the library gives %d tracks, %d albums, %d artists"
         % (len(tracks), len(albums), len(artists)))
    pgc = cluster().connect(cluster().dbname(pg))
    try:
        cur = pgc.cursor()
        for table, ids in (("tracks", tracks), ("albums", albums), ("artists", artists)):
            cur.execute("SELECT id FROM %s ORDER BY id" % table)
            t.eq([r[0] for r in cur.fetchall()], ids, "PostgreSQL holds the same %s" % table)
    finally:
        pgc.close()

    # The Web API: every object, its lists, the new releases and searches.
    for i in tracks:
        same("track %s" % i, web("/v1/tracks/%s?market=US" % i))
    same("several tracks", web("/v1/tracks?ids=%s" % ",".join(tracks[:20])))
    for i in albums:
        same("album %s" % i, web("/v1/albums/%s" % i))
    for i in artists:
        same("artist %s" % i, web("/v1/artists/%s" % i))
        same("artist %s's albums" % i, web("/v1/artists/%s/albums?limit=50" % i))
        same("artist %s's top tracks" % i, web("/v1/artists/%s/top-tracks?market=US" % i))
    same("new releases", web("/v1/browse/new-releases?limit=50"))
    for q in ("line", "zebra", "ebene", "singer", "hit", "genre:rock", "year:1999", "écrits", "~wave"):
        path = "/v1/search?type=track,album,artist&limit=50&q=" + urllib.parse.quote(q)
        wait_for(lambda: all(s.get(path, token=auth[n][0]).status == 200 and
                             s.get(path, token=auth[n][0]).json().get("tracks", {}).get("total", 0) > 0
                             for n, s in servers.items()) or q.startswith("genre"), timeout=20, step=0.2)
        same("search %r" % q, web(path))

    # The Subsonic API: the lists by name, artist, year and genre, every album, artist and song.
    same("getArtists", sub("getArtists"))
    same("getIndexes", sub("getIndexes"))
    same("getGenres", sub("getGenres"))
    for kind, extra in (("alphabeticalByName", {}), ("alphabeticalByArtist", {}),
                        ("byYear", {"fromYear": "1980", "toYear": "2030"}),
                        ("byYear", {"fromYear": "2030", "toYear": "1980"}),
                        ("byGenre", {"genre": "rock"}), ("byGenre", {"genre": "Électro"})):
        for offset in (0, 3):
            params = dict(extra, type=kind, size="5", offset=str(offset))
            same("getAlbumList2 %s" % json.dumps(params, sort_keys=True), sub("getAlbumList2", params))
    ids_of = lambda key, sub_key: (lambda env: (env.get("status"), sorted(x["id"] for x in
                                                                           (env.get(key) or {}).get(sub_key, []))))
    same("getAlbumList2 random: every album", sub("getAlbumList2", {"type": "random", "size": "500"},
                                                  sort_key=ids_of("albumList2", "album")))
    for params in ({"size": "500"}, {"size": "500", "genre": "ROCK"}, {"size": "500", "fromYear": "1999"},
                   {"size": "500", "toYear": "2001"}, {"size": "500", "fromYear": "1990", "toYear": "2005"}):
        same("getRandomSongs %s: the same songs" % json.dumps(params, sort_keys=True),
             sub("getRandomSongs", params, sort_key=ids_of("randomSongs", "song")))
    for i in albums:
        same("getAlbum %s" % i, sub("getAlbum", {"id": i}))
    for i in artists:
        same("getArtist %s" % i, sub("getArtist", {"id": i}))
    for i in tracks:
        same("getSong %s" % i, sub("getSong", {"id": i}))
    for n in sorted(set(artist_names)):
        same("getTopSongs %s" % n, sub("getTopSongs", {"artist": n, "count": "50"}))
    same("search3 of everything", sub("search3", {"query": "", "artistCount": "100", "albumCount": "100",
                                                  "songCount": "100"}))
    same("search3 paged", sub("search3", {"query": "", "artistCount": "3", "artistOffset": "2",
                                          "albumCount": "3", "albumOffset": "4", "songCount": "5",
                                          "songOffset": "7"}))
    same("getLyricsBySongId", sub("getLyricsBySongId", {"id": tracks[0]}))
    same("the markets", web("/v1/markets"))
    same("Home's popular tracks before any play", web("/v1/segue/popular?limit=50"))
    same("getAlbumList2 newest", sub("getAlbumList2", {"type": "newest", "size": "50"}))

    # Plays at set times and one starred album: the lists that follow them.
    for name, srv in servers.items():
        for n, tid in enumerate(in_us[:6]):
            for k in range(1 + n % 3):
                st, env, _ = call(srv, "scrobble", {"id": tid, "time": str(1700000000000 + 60000 * (10 * n + k)),
                                                    "apiKey": auth[name][1]})
                t.ok(st == 200 and env.get("status") == "ok", "%s: play %d of %s" % (name, k + 1, tid), env)
        st, env, _ = call(srv, "star", {"albumId": albums[1], "apiKey": auth[name][1]})
        t.ok(st == 200 and env.get("status") == "ok", "%s: an album starred" % name, env)
    for kind in ("frequent", "recent", "starred"):
        same("getAlbumList2 %s" % kind, sub("getAlbumList2", {"type": kind, "size": "50"}))
    for i in artists:
        same("artist %s's top tracks after plays" % i, web("/v1/artists/%s/top-tracks?market=US" % i))
    for n in sorted(set(artist_names)):
        same("getTopSongs %s after plays" % n, sub("getTopSongs", {"artist": n, "count": "50"}))
    same("Home's popular tracks after plays", web("/v1/segue/popular?limit=50"))
finally:
    for srv in servers.values():
        srv.stop()
t.done()
