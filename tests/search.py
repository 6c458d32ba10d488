"""Search: typeahead, typo tolerance, diacritics, filters, ranking (exact titles, popularity,
the user's own affinity, market), de-duplication, paging, refusals, and an index that follows
the catalog while the server runs."""

import os
import time
import urllib.parse
import uuid

from segue_test import TAP, Server, add_user, run, server_cmd, sql, tmpdir

t = TAP()
work = tmpdir()
masters, data = os.path.join(work, "m"), os.path.join(work, "d")
os.makedirs(masters)
songs = [
    # title, artist, album, date, genre, markets
    ("Mr. Brightside", "The Killers", "Hot Fuss", "2004", "Rock", ""),
    ("Mr. Blue Sky", "Electric Light Orchestra", "Out of the Blue", "1977", "Rock", ""),
    ("Jóga", "Björk", "Homogenic", "1997", "Electronic", ""),
    ("Hey Jude", "The Beatles", "Hey Jude", "1968", "Rock", ""),
    ("Hey Jude", "The Beatles", "1", "2000", "Rock", ""),
    ("Billboard Love", "Neon Youth", "Charts", "2026", "Pop", ""),
    ("Love Song", "Alpha Band", "Songs A", "2010", "Pop", ""),
    ("Love Song", "Beta Band", "Songs B", "2011", "Pop", ""),
    ("Tokyo Only", "Neon Youth", "Charts", "2026", "Pop", "JP"),
]
for i, (title, artist, album, date, genre, markets) in enumerate(songs):
    wav = os.path.join(work, "%d.wav" % i)
    run(["sox", "-n", "-r", "44100", "-c", "2", "-b", "16", wav, "synth", "2", "sine", str(200 + 37 * i)], check=True)
    args = ["flac", "--silent", "-f", "-o", os.path.join(masters, "%d.flac" % i), "-T", "TITLE=" + title,
            "-T", "ARTIST=" + artist, "-T", "ALBUM=" + album, "-T", "DATE=" + date, "-T", "GENRE=" + genre]
    if markets:
        args += ["-T", "SEGUE_MARKETS=" + markets]
    run(args + [wav], check=True)
p = server_cmd("ingest", "--quiet", masters, data_dir=data)
t.eq(p.returncode, 0, "ingest the search fixture", p.stderr.decode())
add_user(data, "searcher", premium=True)
add_user(data, "fan", premium=True)
add_user(data, "tokyo", premium=True, country="JP")
tid = {r[1] + "/" + r[2]: r[0] for r in sql(data, "SELECT t.id, t.name, ar.name FROM tracks t JOIN artists ar ON ar.id = t.artist_id")}


def search(srv, tok, q, type="track", **kw):
    args = dict(q=q, type=type, **kw)
    r = srv.get("/v1/search?" + urllib.parse.urlencode(args), token=tok)
    return r.status, r.json() or {}


def names(doc, key="tracks"):
    return [i["name"] for i in doc.get(key, {}).get("items", [])]


with Server(data, {"rl_search": 100000, "rl_standard": 100000, "popularity_interval": 1}) as srv:
    tok, fan, jp = srv.login("searcher"), srv.login("fan"), srv.login("tokyo")
    for _ in range(50):  # the first index is built in the background
        if srv.get("/v1/search?q=x&type=track", token=tok).status != 503:
            break
        time.sleep(0.1)

    st, d = search(srv, tok, "mr bright")
    t.eq(names(d)[:1], ["Mr. Brightside"], "typeahead: 'mr bright' finds Mr. Brightside first")
    t.ok(all(k in d["tracks"] for k in ("href", "items", "limit", "next", "offset", "previous", "total")),
         "tracks come as a paging object")
    st, d = search(srv, tok, "mr b")
    t.eq(sorted(names(d)), ["Mr. Blue Sky", "Mr. Brightside"], "'mr b' finds both")
    st, d = search(srv, tok, "MR. BRIGHTSIDE!!!")
    t.eq(names(d)[:1], ["Mr. Brightside"], "case and punctuation do not matter")
    st, d = search(srv, tok, "beatels", type="artist,track")
    t.eq(names(d, "artists"), ["The Beatles"], "'beatels' finds the Beatles")
    t.eq(d.get("did_you_mean"), "beatles", "and says did you mean 'beatles'")
    st, d = search(srv, tok, "bilyboard")
    t.eq(names(d), ["Billboard Love"], "'bilyboard' finds Billboard Love")
    st, d = search(srv, tok, "bjork", type="artist")
    t.eq(names(d, "artists"), ["Björk"], "'bjork' finds Björk")
    st, d = search(srv, tok, "BJÖRK joga")
    t.eq(names(d), ["Jóga"], "diacritics fold both ways")
    st, d = search(srv, tok, "hey jude")
    t.eq(names(d), ["Hey Jude"], "the same song on two albums is listed once")
    st, d = search(srv, tok, "love")
    t.eq(sorted(names(d)), ["Billboard Love", "Love Song", "Love Song"], "'love' finds three tracks")
    st, d = search(srv, tok, "love song")
    t.eq(names(d), ["Love Song", "Love Song"], "exact titles come first (and only matches count)")

    # Filters
    st, d = search(srv, tok, 'artist:"the killers"')
    t.eq(names(d), ["Mr. Brightside"], "artist: filter")
    st, d = search(srv, tok, "track:love artist:beta")
    t.eq(names(d), ["Love Song"], "track: and artist: together")
    st, d = search(srv, tok, 'album:"hot fuss"', type="track,album")
    t.ok(names(d) == ["Mr. Brightside"] and names(d, "albums") == ["Hot Fuss"], "album: filter, for tracks and albums")
    st, d = search(srv, tok, "year:1990-1999")
    t.eq(names(d), ["Jóga"], "year:1990-1999")
    st, d = search(srv, tok, "year:1977 mr")
    t.eq(names(d), ["Mr. Blue Sky"], "year: with words")
    st, d = search(srv, tok, "genre:electronic")
    t.eq(names(d), ["Jóga"], "genre:")

    # Market: a track missing from the market sinks and says so.
    st, d = search(srv, tok, "neon youth", market="US")
    items = d["tracks"]["items"]
    t.ok([i["name"] for i in items] == ["Billboard Love", "Tokyo Only"] and items[1]["is_playable"] is False,
         "a track unavailable in the market ranks last, marked unplayable")
    st, d = search(srv, jp, "neon youth", market="from_token")
    t.ok(all(i["is_playable"] for i in d["tracks"]["items"]), "in JP both play")

    # Popularity and affinity: plays make Alpha's Love Song popular; the fan saved Beta's.
    events = [{"id": str(uuid.uuid4()), "track_id": tid["Love Song/Alpha Band"], "started_at": int(time.time() * 1000) - 60000 * i,
               "ms_played": 40000, "reason_end": "track_done"} for i in range(1, 30)]
    t.eq(srv.request("POST", "/v1/segue/events", body={"events": events}, token=tok).status, 200, "29 plays of Alpha's Love Song")
    t.eq(srv.request("PUT", "/v1/me/tracks?ids=" + tid["Love Song/Beta Band"], token=fan).status, 200, "the fan saves Beta's")
    deadline, order = time.time() + 10, None
    while time.time() < deadline:
        st, d = search(srv, tok, "love song")
        order = [i["artists"][0]["name"] for i in d["tracks"]["items"]]
        if order == ["Alpha Band", "Beta Band"] and d["tracks"]["items"][0]["popularity"] > 0:
            break
        time.sleep(0.3)
    t.eq(order, ["Alpha Band", "Beta Band"], "popularity from plays ranks Alpha's first (refreshed in the background)")
    st, d = search(srv, fan, "love song")
    t.eq([i["artists"][0]["name"] for i in d["tracks"]["items"]], ["Beta Band", "Alpha Band"],
         "for the fan who saved it, Beta's comes first")

    # Paging
    st, d = search(srv, tok, "love", limit=1)
    t.ok(d["tracks"]["total"] == 3 and len(d["tracks"]["items"]) == 1 and d["tracks"]["next"], "limit=1 pages")
    nxt = d["tracks"]["next"]
    d2 = srv.get(nxt[nxt.index("/v1"):], token=tok).json()
    ids = lambda doc: [i["id"] for i in doc["tracks"]["items"]]
    t.ok(d2["tracks"]["offset"] == 1 and ids(d2) and ids(d2) != ids(d), "next gives the second result")

    # Refusals
    for qs, why in (("q=&type=track", "empty q"), ("q=love", "no type"), ("q=love&type=song", "unknown type"),
                    ("q=love&type=track&limit=51", "limit 51"), ("q=love&type=track&offset=1001", "offset 1001"),
                    ("q=" + "a" * 1000 + "&type=track", "a 1,000-character query"),
                    ("q=label:x&type=track", "an unknown filter"), ("q=year:19x&type=track", "a bad year"),
                    ("q=love&type=track&market=XYZ", "a bad market")):
        r = srv.get("/v1/search?" + qs, token=tok)
        t.ok(r.status == 400 and (r.json() or {}).get("error", {}).get("message"), "%s is 400 with a message" % why, r)
    st, d = search(srv, tok, "zzzzzz")
    t.ok(st == 200 and d["tracks"]["total"] == 0 and d["tracks"]["items"] == [], "no match is an empty page")

    # The index follows the catalog.
    wav = os.path.join(work, "new.wav")
    run(["sox", "-n", "-r", "44100", "-c", "2", "-b", "16", wav, "synth", "2", "sine", "999"], check=True)
    run(["flac", "--silent", "-f", "-o", os.path.join(work, "new.flac"), "-T", "TITLE=Brand New Zephyr",
         "-T", "ARTIST=Latecomer", wav], check=True)
    server_cmd("ingest", "--quiet", os.path.join(work, "new.flac"), data_dir=data)
    t0, found = time.time(), False
    while time.time() - t0 < 10 and not found:
        found = names(search(srv, tok, "zephyr")[1]) == ["Brand New Zephyr"]
        time.sleep(0.2)
    t.ok(found, "a newly ingested track is searchable within seconds (%.1f s)" % (time.time() - t0))

    # Public playlists are searchable; private ones are not.
    pid = srv.request("POST", "/v1/users/searcher/playlists", body={"name": "Road Trip Anthems"}, token=tok).json()["id"]
    srv.request("POST", "/v1/users/searcher/playlists", body={"name": "Secret Road Mix", "public": False}, token=tok)
    t0, got = time.time(), []
    while time.time() - t0 < 10:
        got = names(search(srv, fan, "road", type="playlist")[1], "playlists")
        if got:
            break
        time.sleep(0.2)
    t.eq(got, ["Road Trip Anthems"], "public playlists are searchable, private ones are not")

    # Changes after the first index are taken in by a delta over it, not by building it again.
    def until(pred, secs=10):
        t0 = time.time()
        while time.time() - t0 < secs:
            if pred():
                return True, time.time() - t0
            time.sleep(0.1)
        return False, time.time() - t0

    def playlists(q):
        return names(search(srv, fan, q, type="playlist")[1], "playlists")

    srv.request("PUT", "/v1/playlists/" + pid, body={"name": "Desert Highway Songs"}, token=tok)
    ok, secs = until(lambda: playlists("desert highway") == ["Desert Highway Songs"] and not playlists("anthems"))
    t.ok(ok, "a renamed playlist is found by its new name, not its old one (%.1f s)" % secs)
    srv.request("PUT", "/v1/playlists/" + pid, body={"public": False}, token=tok)
    ok, secs = until(lambda: playlists("desert") == [])
    t.ok(ok, "a playlist made private leaves search (%.1f s)" % secs)
    srv.request("PUT", "/v1/playlists/" + pid, body={"public": True}, token=tok)
    ok, secs = until(lambda: playlists("desert") == ["Desert Highway Songs"])
    t.ok(ok, "and comes back when made public again (%.1f s)" % secs)
    srv.request("DELETE", "/v1/playlists/%s/followers" % pid, token=tok)
    ok, secs = until(lambda: search(srv, fan, "desert", type="playlist")[1]["playlists"]["total"] == 0)
    t.ok(ok, "a playlist its owner deletes leaves search (%.1f s)" % secs)
    run(["flac", "--silent", "-f", "-o", os.path.join(work, "new.flac"), "-T", "TITLE=Brand New Quokka",
         "-T", "ARTIST=Latecomer", wav], check=True)
    os.utime(os.path.join(work, "new.flac"))  # flac keeps the wav's time, as a tag editor would not
    server_cmd("ingest", "--quiet", os.path.join(work, "new.flac"), data_dir=data)
    ok, secs = until(lambda: names(search(srv, tok, "quokka")[1]) == ["Brand New Quokka"] and
                     names(search(srv, tok, "zephyr")[1]) == [])
    t.ok(ok, "a track tagged again is found by its new title, not its old one (%.1f s)" % secs)
    ok, secs = until(lambda: names(search(srv, tok, "qokka")[1]) == ["Brand New Quokka"])
    t.ok(ok, "a word only the delta has is found misspelt too")
    st, d = search(srv, tok, "genre:polka")
    t.ok(st == 200 and d["tracks"]["total"] == 0, "a genre no track has matches nothing")
    with open(os.path.join(data, "server.log"), "rb") as f:
        builds = f.read().count(b"search: indexed")
    t.eq(builds, 1, "the whole index was built once; every change since went into its delta")
t.done()
