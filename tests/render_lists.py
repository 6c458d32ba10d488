"""Lists rendered in batches (catalog_tracks and its kin): every object of a list is the one
its id answers alone, in the list's order, once per occurrence, for the user and market that
asked. The catalog holds more tracks than one batch (50), a withdrawn track and tracks with
several artists; the lists are search (tracks, artists, albums), GET /v1/tracks?ids=, a
collaborative playlist's items (the same track several times, items added by two users, a
page across two batches), two users' saved tracks, recently played and an album's tracks."""

import os
import shutil
import time
import urllib.parse
import uuid

from segue_test import TAP, Server, add_user, server_cmd, sql, tmpdir, tone_flac

t = TAP()
work = tmpdir()
masters, data = os.path.join(work, "m"), os.path.join(work, "d")
ALBUMS, PER_ALBUM = 8, 8  # 64 tracks: more than one batch
for a in range(ALBUMS):
    for n in range(PER_ALBUM):
        artists = ["Batch Band %d" % a] + (["Guest Singer %d" % n] if n % 3 == 0 else [])
        tags = dict(title="Batchsong %d-%d" % (a, n), artist=artists, album="Batchalbum %d" % a,
                    albumartist="Batch Band %d" % a, tracknumber=str(n + 1), date="20%02d" % (10 + a),
                    genre="Pop")
        if a == 1:
            tags["segue_markets"] = "JP"
        tone_flac(os.path.join(masters, "a%d" % a, "%02d.flac" % n), 150 + 11 * (a * PER_ALBUM + n), work,
                  secs=1, **tags)
p = server_cmd("ingest", "--quiet", masters, data_dir=data)
t.eq(p.returncode, 0, "ingest %d tracks" % (ALBUMS * PER_ALBUM), p.stderr.decode())
add_user(data, "alice", premium=True)
add_user(data, "bob", premium=True, country="JP")
tid = {name: i for i, name in sql(data, "SELECT id, name FROM tracks")}
t.eq(len(tid), ALBUMS * PER_ALBUM, "every file gave a track")
# One track leaves the library: it is withdrawn, and lists that hold it still show it.
shutil.move(os.path.join(masters, "a2", "03.flac"), os.path.join(work, "gone.flac"))
p = server_cmd("ingest", "--quiet", masters, data_dir=data)
gone = tid["Batchsong 2-3"]
t.eq(sql(data, "SELECT available FROM tracks WHERE id = '%s'" % gone), [(0,)], "a re-ingest withdraws the removed file's track")


def single(srv, tok, kind, id, market=None):
    """The object GET /v1/KIND/ID answers alone (None for 404)."""
    r = srv.get("/v1/%s/%s%s" % (kind, id, "?market=" + market if market else ""), token=tok)
    return r.json() if r.status == 200 else None


def simplified(track):
    """A full track object as an album's tracks list it: without its album and popularity."""
    return {k: v for k, v in track.items() if k not in ("album", "popularity")}


def same_as_singles(srv, tok, items, kind, market, what):
    """items (objects, or None) against each id's own object, in order."""
    want = [single(srv, tok, kind, o["id"], market) if o else None for o in items]
    bad = [i for i, (o, w) in enumerate(zip(items, want)) if o != w]
    t.ok(items and not bad, "%s: each of %d objects is its id's own" % (what, len(items)),
         "first mismatch at %s" % bad[:1])


with Server(data, {"rl_search": 100000, "rl_standard": 100000, "rl_player": 100000}) as srv:
    alice, bob = srv.login("alice"), srv.login("bob")
    for _ in range(100):  # the first index is built in the background
        if srv.get("/v1/search?q=x&type=track", token=alice).status != 503:
            break
        time.sleep(0.1)

    # --- search ------------------------------------------------------------------------------
    for tok, market, who in ((alice, None, "alice, no market"), (bob, "JP", "bob, market JP")):
        q = urllib.parse.urlencode({"q": "batchsong", "type": "track,artist,album", "limit": 50,
                                    **({"market": market} if market else {})})
        doc = srv.get("/v1/search?" + q, token=tok).json()
        tracks = doc["tracks"]["items"]
        ids = [x["id"] for x in tracks]
        t.ok(len(ids) == 50 and len(set(ids)) == 50 and gone not in ids,
             "%s: a full page of 50 distinct tracks, the withdrawn one left out" % who, len(ids))
        same_as_singles(srv, tok, tracks, "tracks", market, "%s: search tracks" % who)
        page2 = srv.get("/v1/search?" + q + "&offset=50", token=tok).json()["tracks"]["items"]
        t.eq(sorted(ids + [x["id"] for x in page2]), sorted(i for i in tid.values() if i != gone),
             "%s: the two pages hold every available track once" % who)
        arts = srv.get("/v1/search?" + urllib.parse.urlencode({"q": "batch band", "type": "artist", "limit": 50}),
                       token=tok).json()["artists"]["items"]
        t.eq(len(arts), ALBUMS, "%s: every band is found" % who)
        same_as_singles(srv, tok, arts, "artists", None, "%s: search artists" % who)
        q = urllib.parse.urlencode({"q": "batchalbum", "type": "album", **({"market": market} if market else {})})
        albums = srv.get("/v1/search?" + q, token=tok).json()["albums"]["items"]
        by_album = {x["album"]["id"]: x["album"] for x in tracks + page2}
        t.ok(len(albums) == ALBUMS and all(a == by_album.get(a["id"]) for a in albums),
             "%s: each album hit is the album its tracks embed" % who, [a["name"] for a in albums])

    jp_album = next(a for a in srv.get("/v1/search?q=batchalbum+1&type=album&market=US", token=alice).json()
                    ["albums"]["items"] if a["name"] == "Batchalbum 1")
    t.ok("is_playable" not in jp_album, "a simplified album with a market carries no availability", jp_album)

    # --- GET /v1/tracks?ids=: order, repeats, unknown and withdrawn ids ----------------------
    a, b = tid["Batchsong 0-0"], tid["Batchsong 1-1"]
    ask = [a, b, a, "0000000000000000000000", gone, b]
    for market in (None, "US", "JP"):
        got = srv.get("/v1/tracks?ids=%s%s" % (",".join(ask), "&market=" + market if market else ""),
                      token=alice).json()["tracks"]
        t.eq([x and x["id"] for x in got], [a, b, a, None, gone, b],
             "several tracks (market %s): in order, repeats kept, null for the unknown id" % market)
        same_as_singles(srv, alice, got, "tracks", market, "several tracks (market %s)" % market)
    got = srv.get("/v1/tracks?ids=%s,%s&market=US" % (gone, b), token=alice).json()["tracks"]
    t.eq([got[0]["is_playable"], got[0].get("restrictions"), got[1]["is_playable"]],
         [False, {"reason": "unavailable"}, False], "withdrawn: unavailable; a JP-only track in US: not playable")
    t.eq(got[1].get("restrictions"), {"reason": "market"}, "and that one for the market")

    # --- a collaborative playlist: 100 items across two batches, repeats, two adders ---------
    r = srv.request("POST", "/v1/me/playlists", body={"name": "Batches", "collaborative": True}, token=alice)
    pl = r.json()["id"]
    t.eq(srv.request("PUT", "/v1/playlists/%s/followers" % pl, token=bob).status, 200, "bob follows to collaborate")
    order = sorted(i for i in tid.values() if i != gone)
    adds = [(alice, order[:40]), (bob, order[40:] + [gone]), (alice, [a] * 5 + [b, a]), (bob, order[:25])]
    want = []
    for tok, ids in adds:
        r = srv.request("POST", "/v1/playlists/%s/tracks" % pl, body={"uris": ["segue:track:" + i for i in ids]},
                        token=tok)
        t.eq(r.status, 201, "add %d items" % len(ids))
        want += [(i, "alice" if tok == alice else "bob") for i in ids]
    total = srv.get("/v1/playlists/%s" % pl, token=alice).json()["tracks"]["total"]
    t.ok(total == len(want) > 50, "the playlist holds %d items, more than one batch" % len(want), total)
    for market in (None, "JP"):
        items = srv.get("/v1/playlists/%s/tracks?limit=100%s" % (pl, "&market=" + market if market else ""),
                        token=alice).json()["items"]
        t.eq([(x["track"]["id"], x["added_by"]["id"]) for x in items], want,
             "playlist page (market %s): every item in place, with who added it" % market)
        same_as_singles(srv, alice, [x["track"] for x in items], "tracks", market,
                        "playlist page (market %s)" % market)
    items = srv.get("/v1/playlists/%s/tracks?offset=45&limit=10" % pl, token=bob).json()["items"]
    t.eq([x["track"]["id"] for x in items], [w[0] for w in want[45:55]], "a page from the middle")
    full = srv.get("/v1/playlists/%s?market=JP" % pl, token=bob).json()["tracks"]["items"]
    t.eq([(x["track"]["id"], x["added_by"]["display_name"]) for x in full], want,
         "the playlist object embeds the same first page")

    # --- saved tracks: each user's own --------------------------------------------------------
    mine = {"alice": order[:55] + [gone], "bob": order[30:33]}
    for who, tok in (("alice", alice), ("bob", bob)):
        codes = {srv.request("PUT", "/v1/me/tracks?ids=" + i, token=tok).status for i in mine[who]}
        t.eq(codes, {200}, "%s saves %d tracks" % (who, len(mine[who])))
    for who, tok in (("alice", alice), ("bob", bob)):
        got = []
        for off in range(0, 100, 50):
            page = srv.get("/v1/me/tracks?limit=50&offset=%d&market=from_token" % off, token=tok).json()
            got += page["items"]
        ids = [x["track"]["id"] for x in got]
        t.eq(sorted(ids), sorted(mine[who]), "%s's saved tracks are theirs, each once" % who)
        t.eq(ids, [r[0] for r in sql(data, "SELECT track_id FROM saved_tracks WHERE user_id = '%s'"
                                           " ORDER BY added_at DESC, track_id" % who)],
             "%s's saved tracks in the library's order, newest first" % who)
        market = "US" if who == "alice" else "JP"
        same_as_singles(srv, tok, [x["track"] for x in got], "tracks", market, "%s's saved tracks" % who)

    # --- recently played: repeats and the withdrawn track -------------------------------------
    now = int(time.time() * 1000) - 3 * 3600 * 1000
    played = order[:45] + [gone, a, a, b, a]
    evs = [{"id": str(uuid.uuid4()), "track_id": i, "started_at": now + 60000 * k, "ms_played": 40000,
            "reason_end": "track_done"} for k, i in enumerate(played)]
    r = srv.request("POST", "/v1/segue/events", body={"events": evs}, token=alice)
    t.eq(r.status, 200, "post 50 plays", r.body[:200])
    items = srv.get("/v1/me/player/recently-played?limit=50", token=alice).json()["items"]
    t.eq([x["track"]["id"] for x in items], list(reversed(played)), "recently played: newest first, every play")
    same_as_singles(srv, alice, [x["track"] for x in items], "tracks", None, "recently played")
    t.eq(srv.get("/v1/me/player/recently-played?limit=50", token=bob).json()["items"], [],
         "bob's history is his own")

    # --- an artist's top tracks and the popular list: only the playable ones, in order -------
    band1 = next(x for x in arts if x["name"] == "Batch Band 1")["id"]
    for market, want in (("US", 0), ("JP", PER_ALBUM)):
        got = srv.get("/v1/artists/%s/top-tracks?market=%s" % (band1, market), token=alice).json()["tracks"]
        t.eq(len(got), want, "top tracks of a JP-only band in %s: %d" % (market, want))
    band2 = next(x for x in arts if x["name"] == "Batch Band 2")["id"]
    got = srv.get("/v1/artists/%s/top-tracks?market=US" % band2, token=alice).json()["tracks"]
    t.ok(len(got) == PER_ALBUM - 1 and gone not in [x["id"] for x in got], "top tracks leave the withdrawn one out",
         [x["name"] for x in got])
    same_as_singles(srv, alice, got, "tracks", "US", "top tracks")
    got = srv.get("/v1/segue/popular?limit=50&market=US", token=alice).json()["tracks"]
    t.ok(len(got) == 50 and all(x["is_playable"] for x in got) and len({x["id"] for x in got}) == 50,
         "popular: 50 distinct playable tracks in US", len(got))
    same_as_singles(srv, alice, got, "tracks", "US", "popular")

    # --- an album's tracks ---------------------------------------------------------------------
    album2 = single(srv, alice, "tracks", tid["Batchsong 2-0"])["album"]["id"]
    for market in (None, "JP"):
        got = srv.get("/v1/albums/%s/tracks?limit=50%s" % (album2, "&market=" + market if market else ""),
                      token=alice).json()["items"]
        t.eq([x["name"] for x in got], ["Batchsong 2-%d" % n for n in range(PER_ALBUM) if n != 3],
             "album tracks (market %s): in order, the withdrawn one left out" % market)
        want = [simplified(single(srv, alice, "tracks", x["id"], market)) for x in got]
        t.ok(got == want, "album tracks (market %s): each its track's simplified object" % market)
        embedded = single(srv, alice, "albums", album2, market)["tracks"]["items"]
        t.ok(embedded == got, "the album object embeds the same list (market %s)" % market)
    guests = [x for x in got if len(x["artists"]) == 2]
    t.eq([x["artists"][1]["name"] for x in guests], ["Guest Singer 0", "Guest Singer 6"],
         "a track's artists in tag order")

t.done()
