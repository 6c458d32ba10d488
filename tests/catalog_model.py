"""The catalog as tags say: a library shaped like people's (two discs under one album artist
with several track artists, multi-valued and "feat." artists, compilations tagged and
untagged, one album split over two years, MusicBrainz grouping, release types, ISRC, several
genres), then a re-tag that moves a track. Checked through the Web API as clients see it."""

import os
import shutil
import subprocess
import urllib.parse

from segue_test import TAP, Server, add_user, run, server_cmd, sql, tmpdir, tone_flac

t = TAP()
work = tmpdir()
lib = os.path.join(work, "library")
data = os.path.join(work, "data")
freq = [200]


def flac(rel, secs=3, **tags):
    """A FLAC file at lib/rel with its own audio (a distinct tone: the track id is the audio's
    hash) and the given Vorbis comments; a list value gives one comment per item."""
    freq[0] += 37
    return tone_flac(os.path.join(lib, rel), freq[0], work, secs, **tags)


# One soundtrack over two discs in CD1/CD2, album artist the composer, track artists others.
flac("OST/CD1/01.flac", title="Opening", artist="Singer A", album="The Film",
     albumartist="Composer X", tracknumber="1", discnumber="1/2", date="2020-05-01",
     genre=["Soundtrack", "Orchestral"], isrc="GBAYE2000001")
flac("OST/CD1/02.flac", title="Duet", artist="Singer B feat. Singer C", album="The Film",
     albumartist="Composer X", tracknumber="2", discnumber="1/2", date="2020-05-01",
     genre="Soundtrack")
flac("OST/CD2/01.flac", title="Theme", artist=["Composer X", "Singer A"], album="The Film",
     albumartist="Composer X", tracknumber="1", discnumber="2/2", discsubtitle="Score",
     date="2020-05-01", genre="Soundtrack")
flac("OST/CD2/02.flac", title="Finale", artist="Composer X", album="The Film",
     albumartist="Composer X", tracknumber="2", discnumber="2/2", date="2020-05-01",
     genre="Soundtrack")
# A compilation by its flag (even with one artist throughout), and one by its tracks (no album artist, several lead artists).
flac("Comp/01.flac", title="Hit One", artist="Band One", album="Hits of 1999",
     compilation="1", tracknumber="1")
flac("Comp/02.flac", title="Hit Two", artist="Band One", album="Hits of 1999",
     compilation="1", tracknumber="2")
flac("Mix/01.flac", title="Mix One", artist="Band One", album="Party Mix", tracknumber="1")
flac("Mix/02.flac", title="Mix Two", artist="Band Three", album="Party Mix", tracknumber="2")
# No album artist, one artist: the album is theirs.
for i in range(1, 5):
    flac("Solo/%02d.flac" % i, title="Solo %d" % i, artist="Lone Singer", album="Alone",
         tracknumber=str(i))
# One name, two releases by the same artist in different years.
flac("GH1990/01.flac", title="Old Hit", artist="Evergreen", albumartist="Evergreen",
     album="Greatest Hits", date="1990")
flac("GH2005/01.flac", title="New Hit", artist="Evergreen", albumartist="Evergreen",
     album="Greatest Hits", date="2005")
# A MusicBrainz release in two folders with different spellings of its name.
mbid = "8b9a2f3c-1111-4222-8333-944455556666"
flac("MB/a/01.flac", title="MB One", artist="Picard", albumartist="Picard", album="Tagged",
     musicbrainz_albumid=mbid, tracknumber="1")
flac("MB/b/02.flac", title="MB Two", artist="Picard", albumartist="Picard", album="Tagged (disc 2)",
     musicbrainz_albumid=mbid, tracknumber="2")
# Release types: an EP of four tracks (a single, as Spotify shows EPs), two short untyped tracks (single by rule), an untyped
# four-track record (album).
for i in range(1, 5):
    flac("EP/%02d.flac" % i, title="EP %d" % i, artist="Shorty", albumartist="Shorty",
         album="Little EP", releasetype="ep")
flac("Single/01.flac", title="Only Song", artist="Shorty", albumartist="Shorty", album="Just One")

# Embedded art and lyrics: a FLAC PICTURE block and a LYRICS comment, nothing beside the file.
cover = os.path.join(work, "embedded.jpg")
run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=red:s=500x400", "-frames:v", "1", cover],
    check=True)
emb = flac("Embedded/01.flac", title="Pictured", artist="Painter", albumartist="Painter",
           album="Canvas", lyrics="first line\nsecond line")
run(["metaflac", "--import-picture-from=3||front||" + cover, emb], check=True)

p = server_cmd("ingest", lib, data_dir=data)
t.eq(p.returncode, 0, "the library ingests", p.stderr.decode(errors="replace"))
add_user(data, "ana", premium=True)


def album_named(srv, tok, name):
    """Every album of that name, through the artists' album lists (ids from the db)."""
    ids = [r[0] for r in sql(data, "SELECT id FROM albums WHERE name = '%s'" % name.replace("'", "''"))]
    return [srv.get("/v1/albums/%s?market=US" % i, token=tok).json() for i in ids]


def names(objs):
    return [o["name"] for o in objs]


def artist_id(name):
    rows = sql(data, "SELECT id FROM artists WHERE name = '%s'" % name)
    return rows[0][0] if rows else None


with Server(data) as srv:
    tok = srv.login("ana")

    film = album_named(srv, tok, "The Film")
    t.eq(len(film), 1, "two discs, three track artists: one album")
    film = film[0]
    t.eq(names(film["artists"]), ["Composer X"], "the album's artist is the album artist")
    t.eq(film["total_tracks"], 4, "four tracks over the two discs")
    items = film["tracks"]["items"]
    t.eq([(i["disc_number"], i["track_number"]) for i in items], [(1, 1), (1, 2), (2, 1), (2, 2)],
         "disc and track order")
    t.eq([names(i["artists"]) for i in items],
         [["Singer A"], ["Singer B", "Singer C"], ["Composer X", "Singer A"], ["Composer X"]],
         "track artists in tag order, 'feat.' split, multi-valued kept")
    t.eq(film["album_type"], "album", "four tracks: an album")
    t.eq(sorted(film.get("genres", [])), ["Orchestral", "Soundtrack"], "album genres from every genre tag")
    full = srv.get("/v1/tracks/%s?market=US" % items[0]["id"], token=tok).json()
    t.eq(full.get("external_ids"), {"isrc": "GBAYE2000001"}, "ISRC in external_ids")
    t.eq(names(full["album"]["artists"]), ["Composer X"], "a track's album shows the album artist")

    # An artist who plays on someone else's record finds it under appears_on.
    singer = artist_id("Singer C")
    t.ok(singer is not None, "a featured artist is an artist")
    r = srv.get("/v1/artists/%s/albums" % singer, token=tok).json()
    t.eq([(a["name"], a["album_group"]) for a in r["items"]], [("The Film", "appears_on")],
         "a featured artist's albums: appears_on")
    r = srv.get("/v1/artists/%s/albums?include_groups=album,single" % singer, token=tok).json()
    t.eq(r["total"], 0, "include_groups without appears_on leaves it out")
    r = srv.get("/v1/artists/%s/albums?include_groups=appears_on" % singer, token=tok).json()
    t.eq(r["total"], 1, "include_groups=appears_on alone")
    r = srv.get("/v1/artists/%s/albums" % artist_id("Composer X"), token=tok).json()
    t.eq([(a["name"], a["album_group"]) for a in r["items"]], [("The Film", "album")],
         "the album artist's own album is in group album")
    r = srv.get("/v1/artists/%s/albums?include_groups=album,bogus" % singer, token=tok)
    t.eq(r.status, 400, "an unknown group is refused")
    r = srv.get("/v1/artists/%s/top-tracks?market=US" % singer, token=tok).json()
    t.eq(names(r.get("tracks", [])), ["Duet"], "top tracks include tracks it features on")

    # Compilations.
    for name in ("Hits of 1999", "Party Mix"):
        al = album_named(srv, tok, name)
        t.eq(len(al), 1, "%s: one album" % name)
        if al:
            t.eq(names(al[0]["artists"]), ["Various Artists"], "%s: Various Artists" % name)
            t.eq(al[0]["album_type"], "compilation", "%s: a compilation" % name)
    al = album_named(srv, tok, "Alone")
    t.eq([names(a["artists"]) for a in al], [["Lone Singer"]], "no album artist, one artist: theirs")
    t.eq(al[0]["album_type"] if al else None, "album", "four untyped tracks: an album")

    gh = album_named(srv, tok, "Greatest Hits")
    t.eq(sorted(a["release_date"] for a in gh), ["1990", "2005"], "same name, two years: two albums")

    mb = [r[0] for r in sql(data, "SELECT DISTINCT album_id FROM tracks t JOIN track_artists ta"
                                  " ON ta.track_id = t.id JOIN artists a ON a.id = ta.artist_id"
                                  " WHERE a.name = 'Picard'")]
    t.eq(len(mb), 1, "one MusicBrainz release id: one album across folders and names")

    ep = album_named(srv, tok, "Little EP")
    t.eq(ep[0]["album_type"] if ep else None, "single", "release type ep: shown as a single")
    one = album_named(srv, tok, "Just One")
    t.eq(one[0]["album_type"] if one else None, "single", "one short untyped track: a single")

    canvas = album_named(srv, tok, "Canvas")
    imgs = canvas[0].get("images", []) if canvas else []
    t.eq([(i["width"], i["height"]) for i in imgs], [(640, 640), (300, 300), (64, 64)],
         "an embedded picture is the album's cover, in three sizes")
    if imgs:
        path = urllib.parse.urlparse(imgs[0]["url"]).path
        r = srv.get(path)
        t.ok(r.status == 200 and r.body[:2] == b"\xff\xd8", "its 640 px JPEG is served without a token")
    tid = canvas[0]["tracks"]["items"][0]["id"] if canvas else "x"
    r = srv.get("/v1/segue/lyrics/%s" % tid, token=tok)
    t.eq([l.get("text") for l in r.json().get("lines", [])] if r.status == 200 else r.status,
         ["first line", "second line"], "embedded LYRICS: unsynced lines")

    # Search finds a track by its second artist and an album by its album artist.
    q = urllib.parse.quote("Singer C")
    r = srv.get("/v1/search?q=%s&type=track&market=US" % q, token=tok).json()
    t.ok("Duet" in names(r["tracks"]["items"]), "a track is found by its second artist",
         names(r["tracks"]["items"]))
    r = srv.get("/v1/search?q=%s&type=album&market=US" % urllib.parse.quote("Composer X"), token=tok).json()
    t.ok("The Film" in names(r["albums"]["items"]), "an album is found by its album artist")

# A re-tag moves a track to another album; the old one goes when it is empty.
path = os.path.join(lib, "Single", "01.flac")
run(["metaflac", "--remove-tag=ALBUM", "--set-tag=ALBUM=Renamed", path], check=True)
p = server_cmd("ingest", lib, data_dir=data)
t.eq(p.returncode, 0, "re-ingest after a tag edit")
t.eq([r[0] for r in sql(data, "SELECT count(*) FROM albums WHERE name = 'Just One'")], [0],
     "the emptied album is gone")
t.eq([r[0] for r in sql(data, "SELECT count(*) FROM albums WHERE name = 'Renamed'")], [1],
     "the track is on its new album")
t.done()
