"""Recommendations without a model: /v1/recommendations (seeds, bounds, targets, the rules),
its genre seeds, and /v1/audio-features, over HTTP against a real server."""

from segue_test import TAP, Server, catalog_copy, db_connect, sql

t = TAP()
data = catalog_copy()
rows = sql(data, "SELECT id, name, genre, artist_id, tempo, energy, coalesce(markets, '') FROM tracks ORDER BY id")
track = {r[1]: r for r in rows}
house = [r for r in rows if r[2] == "House"]
bossa = [r for r in rows if r[2] == "Bossa Nova"]
artist_of = {r[0]: r[3] for r in rows}

with Server(data, {"rl_standard": 100000}) as srv:
    tok = srv.login("premium-us")
    get = lambda path: srv.get(path, token=tok)

    r = get("/v1/recommendations/available-genre-seeds")
    t.ok(r.status == 200 and {"house", "bossa nova"} <= set(r.json()["genres"]),
         "genre seeds: the catalog's genres, lower case", r.json())

    seed = house[0][0]
    r = get("/v1/recommendations?seed_tracks=%s&limit=10" % seed)
    doc = r.json() or {}
    ids = [x["id"] for x in doc.get("tracks", [])]
    t.eq(r.status, 200, "recommendations from a seed track")
    t.ok(ids and seed not in ids, "the seed itself is not recommended", ids)
    t.ok(all(x["type"] == "track" and "album" in x for x in doc.get("tracks", [])), "full track objects")
    s0 = (doc.get("seeds") or [{}])[0]
    t.ok(s0.get("type") == "TRACK" and s0.get("id") == seed and s0.get("initialPoolSize", 0) >= len(ids)
         and "afterFilteringSize" in s0, "seeds in the Web API's shape", s0)
    t.ok(artist_of.get(ids[0]) == house[0][3] if ids else False,
         "the closest first: the seed's own artist and genre lead", ids)
    per_artist = {}
    for i in ids:
        per_artist[artist_of[i]] = per_artist.get(artist_of[i], 0) + 1
    t.ok(max(per_artist.values()) <= 2, "at most two tracks of one artist", per_artist)
    unavailable = [r[0] for r in rows if r[6] and "US" not in r[6].split(",")]
    t.ok(unavailable and not set(unavailable) & set(ids), "nothing the market does not have", unavailable)
    jp = srv.login("premium-jp")
    ids_jp = [x["id"] for x in srv.get("/v1/recommendations?seed_genres=bossa%20nova&limit=10", token=jp).json()["tracks"]]
    t.ok(all("JP" in (track_row[6] or "JP") for track_row in rows if track_row[0] in ids_jp),
         "a Japanese account's list is playable in Japan", ids_jp)

    r = get("/v1/recommendations?seed_genres=house&limit=2")
    got = [x["id"] for x in r.json()["tracks"]]
    t.ok(r.status == 200 and len(got) == 2 and all(artist_of[i] == house[0][3] for i in got),
         "a genre seed: its tracks first, limit honoured", got)
    r = get("/v1/recommendations?seed_artists=%s&limit=5" % bossa[0][3])
    got = [x["id"] for x in r.json()["tracks"]]
    t.ok(r.status == 200 and got and artist_of[got[0]] == bossa[0][3], "an artist seed: that artist first", got)

    # Bounds and targets.
    r = get("/v1/recommendations?seed_genres=house,bossa%20nova&min_tempo=125&limit=20")
    got = [x["id"] for x in r.json()["tracks"]]
    tempos = {row[0]: row[4] for row in rows}
    t.ok(r.status == 200 and got and all(tempos[i] >= 125 for i in got), "min_tempo filters", [(i, tempos[i]) for i in got])
    r = get("/v1/recommendations?seed_genres=house,bossa%20nova&max_energy=0.7&limit=20")
    energies = {row[0]: row[5] for row in rows}
    got = [x["id"] for x in r.json()["tracks"]]
    t.ok(got and all(energies[i] <= 0.7 for i in got), "max_energy filters", [(i, energies[i]) for i in got])
    r = get("/v1/recommendations?seed_genres=house,bossa%20nova&target_tempo=85&limit=20")
    got = [x["id"] for x in r.json()["tracks"]]
    t.ok(got and abs(tempos[got[0]] - 85) < 10, "target_tempo puts the closest first", [(i, tempos[i]) for i in got])

    # Refusals.
    t.eq(get("/v1/recommendations").status, 400, "no seeds: 400")
    t.eq(get("/v1/recommendations?seed_genres=a,b,c,d,e,f").status, 400, "six seeds: 400")
    t.eq(get("/v1/recommendations?seed_tracks=%s&seed_genres=a,b,c,d,e" % seed).status, 400, "six seeds in all: 400")
    t.eq(get("/v1/recommendations?seed_tracks=nope").status, 400, "a malformed id: 400")
    t.eq(get("/v1/recommendations?seed_tracks=%s" % ("0" * 22)).status, 400, "an unknown track: 400")
    t.eq(get("/v1/recommendations?seed_genres=house&min_energy=lots").status, 400, "a bound that is not a number: 400")
    t.eq(get("/v1/recommendations?seed_genres=house&limit=101").status, 400, "limit over 100: 400")
    r = get("/v1/recommendations?seed_genres=polka")
    t.ok(r.status == 200 and isinstance(r.json().get("tracks"), list), "an unknown genre still answers (popular tracks)", r.json())

    # Audio features.
    r = get("/v1/audio-features/%s" % seed)
    f = r.json() or {}
    t.ok(r.status == 200 and f.get("type") == "audio_features" and f.get("id") == seed and
         abs(f.get("tempo", 0) - house[0][4]) < 0.01 and 0 <= f.get("energy", -1) <= 1 and "danceability" in f
         and f.get("uri") == "segue:track:" + seed and f.get("valence", 1) is None,
         "audio features of a track, in the Web API's shape (unmeasured ones null)", f)
    r = get("/v1/audio-features?ids=%s,%s" % (seed, "0" * 22))
    a = (r.json() or {}).get("audio_features", [])
    t.ok(r.status == 200 and len(a) == 2 and a[0]["id"] == seed and a[1] is None, "several at once; unknown ones null", a)
    t.eq(get("/v1/audio-features/%s" % ("0" * 22)).status, 404, "an unknown track: 404")
    t.eq(get("/v1/audio-features?ids=bad!").status, 400, "a malformed id: 400")
    t.eq(srv.get("/v1/recommendations?seed_genres=house").status, 401, "without a token: 401")

    # A genre is matched as SQLite's NOCASE matches it on either database: ASCII letters in
    # either case, other letters as they are (PostgreSQL's nocase collation folds them all).
    db = db_connect(data)
    db.execute("UPDATE tracks SET genre = ? WHERE id = ?", ("\u00e9lectro", bossa[0][0]))
    db.commit()
    db.close()
    put = lambda genre: srv.request("PUT", "/v1/me/taste", body={"genres": [genre]}, token=tok).status
    t.eq(put("\u00e9LECTRO"), 204, "a taste genre in other case, its ASCII letters folded")
    t.eq(put("\u00c9lectro"), 400, "but not an accented letter's case (as SQLite's NOCASE)")

t.done()
