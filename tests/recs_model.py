"""Learned recommendations over a synthetic catalog (data/gen-meta + segue-gen-listening, with
planted taste communities): onboarding taste, Discover Weekly, Daily Mixes and Release Radar
(made for you), radio, /v1/recommendations with a trained model, markets, what a training
learns, the `recs` admin command, and a catalog nobody has listened to yet."""

import atexit
import datetime
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
import uuid

from segue_test import (BUILDDIR, POSTGRES, SERVER_BIN, SRCDIR, TAP, Server, WriteLock, add_user, cluster,
                        db_connect, run, server_cmd, sql, tmpdir, wait_for)

if POSTGRES:
    import pgcluster

t = TAP()
T_START = time.time()
GEN_META = os.path.join(SRCDIR, "data", "gen-meta")
GEN_LISTENING = os.path.join(BUILDDIR, "data", "segue-gen-listening")
PASSWORD = "password123"
UNKNOWN = "0" * 22
dirs = []
# The data dirs go when the test ends (set SEGUE_TEST_KEEP to look at them afterwards).
atexit.register(lambda: os.environ.get("SEGUE_TEST_KEEP") or [shutil.rmtree(d, ignore_errors=True) for d in dirs])


def q(s):
    """An SQL string literal."""
    return "'" + str(s).replace("'", "''") + "'"


def in_list(ids):
    return "(" + ",".join(q(i) for i in ids) + ")" if ids else "('')"


def make_catalog(tracks, seed, users=0, plays=0):
    d = tmpdir("segue-recs-model-")
    dirs.append(d)
    p = run([sys.executable, GEN_META, "--tracks", str(tracks), "--seed", str(seed), "--server", SERVER_BIN, d],
            timeout=120)
    if p.returncode != 0:
        t.bail("gen-meta failed: " + p.stderr.decode(errors="replace"))
    if users:
        # Listening up to now (not the generator's fixed clock), so what a test posts is newest.
        p = run([GEN_LISTENING, "--users", str(users), "--plays", str(plays),
                 "--now", str(int(time.time() * 1000) - 3600 * 1000), d], timeout=120)
        if p.returncode != 0:
            t.bail("segue-gen-listening failed: " + p.stderr.decode(errors="replace"))
    if POSTGRES:
        # The generators write SQLite: their rows go into d's own database, migrated first.
        p = server_cmd("user", "list", data_dir=d)
        if p.returncode != 0:
            t.bail("migrating the PostgreSQL store failed: " + p.stderr.decode(errors="replace"))
        conn = cluster().connect(cluster().dbname(d))
        try:
            pgcluster.load_sqlite(os.path.join(d, "segue.db"), conn)
        finally:
            conn.close()
        os.rename(os.path.join(d, "segue.db"), os.path.join(d, "segue.db.loaded"))
    return d


def write(d, query):
    """Runs a statement that changes the database (segue_test.sql only reads)."""
    db = db_connect(d)
    try:
        db.execute(query)
        db.commit()
    finally:
        db.close()


def meta(d, key):
    rows = sql(d, "SELECT value FROM meta WHERE key = %s" % q(key))
    return rows[0][0] if rows else 0


def start(d, **settings):
    s = {"rl_standard": 100000, "rl_player": 100000, "rl_playlist": 100000, "recs_threads": 2}
    s.update(settings)
    srv = Server(d, s).start()
    # The first full model (not the quick catalog-only one) is live once its time is recorded.
    if not wait_for(lambda: meta(d, "recs_trained_at") > 0, timeout=30, step=0.1):
        srv.stop()
        t.bail("no model was trained within 30 s: " + open(os.path.join(d, "server.log")).read()[-800:])
    return srv


def periods():
    now = datetime.datetime.now(datetime.timezone.utc)
    y, w, _ = now.isocalendar()
    return "%d-W%02d" % (y, w), now.strftime("%Y-%m-%d")


class Catalog:
    """Track facts read once from a data dir."""

    def __init__(self, d):
        rows = sql(d, "SELECT t.id, t.artist_id, lower(t.genre), t.markets, t.play_count, t.duration_ms,"
                      " t.album_id, a.release_date FROM tracks t JOIN albums a ON a.id = t.album_id")
        self.artist = {r[0]: r[1] for r in rows}
        self.genre = {r[0]: r[2] for r in rows}
        self.markets = {r[0]: r[3] for r in rows}
        self.plays = {r[0]: r[4] for r in rows}
        self.duration = {r[0]: r[5] for r in rows}
        self.album = {r[0]: r[6] for r in rows}
        self.released = {r[0]: r[7] for r in rows}
        self.default_markets = None

    def available(self, tid, country):
        m = self.markets[tid]
        return country in (m or self.default_markets).split(",")

    def per_artist(self, ids):
        c = {}
        for i in ids:
            c[self.artist[i]] = c.get(self.artist[i], 0) + 1
        return c

    def share(self, ids, genres):
        return sum(self.genre[i] in genres for i in ids) / float(len(ids)) if ids else 0.0


class Client:
    def __init__(self, srv, name, password=PASSWORD):
        self.srv = srv
        self.name = name
        self.tok = srv.login(name, password)

    def get(self, path):
        return self.srv.get(path, token=self.tok)

    def req(self, method, path, body=None):
        return self.srv.request(method, path, body=body, token=self.tok)

    def mfy(self):
        """{name: (playlist object, [track ids])} of made-for-you, and the response."""
        r = self.get("/v1/segue/made-for-you")
        out = {}
        for pl in (r.json() or {}).get("items", []):
            out[pl["name"]] = (pl, self.tracks(pl["id"]))
        return out, r

    def tracks(self, pid):
        r = self.get("/v1/playlists/%s/tracks?limit=100" % pid)
        if r.status != 200:
            return None
        return [it["track"]["id"] for it in r.json()["items"] if it.get("track")]

    def radio(self, body):
        r = self.req("POST", "/v1/segue/radio", body)
        return [x["id"] for x in (r.json() or {}).get("tracks", [])], r

    def recs(self, query):
        r = self.get("/v1/recommendations?" + query)
        return [x["id"] for x in (r.json() or {}).get("tracks", [])], r

    def play(self, ids):
        """Plays ids back to back in one session, each to its end, the last ending now."""
        at = int(time.time() * 1000) - sum(cat.duration[i] + 1000 for i in ids)
        events = []
        for i in ids:
            events.append({"id": str(uuid.uuid4()), "track_id": i, "started_at": at,
                           "ms_played": cat.duration[i], "reason_end": "track_done"})
            at += cat.duration[i] + 1000
        r = self.req("POST", "/v1/segue/events", {"events": events})
        return r.status == 200 and (r.json() or {}).get("accepted") == len(events)


# ---- the catalog: 5000 tracks, 300 listeners, 30000 plays --------------------------------------

data = make_catalog(5000, 3, users=300, plays=30000)
cat = Catalog(data)
today = datetime.datetime.now(datetime.timezone.utc).date()
# Nothing recent but what the Release Radar scenario releases today.
write(data, "UPDATE albums SET release_date = '2001-01-01' WHERE release_date >= %s" %
      q((today - datetime.timedelta(days=60)).isoformat()))
never_played = set(r[0] for r in sql(data, "SELECT id FROM tracks WHERE markets IS NULL AND id NOT IN"
                                           " (SELECT DISTINCT track_id FROM plays)"))
genre_size = {}
for tid, g in cat.genre.items():
    genre_size[g] = genre_size.get(g, 0) + 1


def spread(ids, per_artist=2):
    """ids (in order) keeping at most per_artist of one artist."""
    out, seen = [], {}
    for i in ids:
        a = cat.artist[i]
        if seen.get(a, 0) < per_artist:
            out.append(i)
            seen[a] = seen.get(a, 0) + 1
    return out


def played_most(where, limit):
    return [r[0] for r in sql(data, "SELECT id FROM tracks WHERE markets IS NULL AND %s"
                                    " ORDER BY play_count DESC, id LIMIT %d" % (where, limit))]


def community(genre):
    """The artists of a genre that the fans of its most played artist play: one planted taste
    community (the generator keeps no record of them)."""
    top = sql(data, "SELECT t.artist_id FROM plays p JOIN tracks t ON t.id = p.track_id WHERE p.counted <> 0"
                    " AND lower(t.genre) = %s GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1" % q(genre))[0][0]
    fans = ("SELECT p.user_id FROM plays p JOIN tracks t ON t.id = p.track_id WHERE t.artist_id = %s"
            " AND p.counted <> 0 GROUP BY 1 HAVING count(*) >= 5" % q(top))
    rows = sql(data, "SELECT t.artist_id, count(*) FROM plays p JOIN tracks t ON t.id = p.track_id"
                     " WHERE p.user_id IN (%s) AND p.counted <> 0 AND lower(t.genre) = %s GROUP BY 1"
                     " ORDER BY 2 DESC, 1" % (fans, q(genre)))
    return [x for x, n in rows if n >= 0.25 * rows[0][1]]


# The learner: 20 favourites of the genre with the widest community.
communities = dict((g, community(g)) for g in sorted(genre_size))
G_LEARN = max(sorted(communities), key=lambda g: (len(communities[g]), genre_size[g]))
LEARN_TRACKS = played_most("artist_id IN %s" % in_list(communities[G_LEARN]), 20)
# The co-listener: 20 tracks nobody has played yet, of many artists, that only it plays together.
by_genre = {}
for i in sorted(never_played):
    by_genre.setdefault(cat.genre[i], []).append(i)
G_NEW = max(sorted(by_genre), key=lambda g: len(set(cat.artist[i] for i in by_genre[g])))
NEW_TRACKS = spread(by_genre[G_NEW])[:20]
others = [g for g in sorted(genre_size, key=lambda g: (-genre_size[g], g)) if g != G_LEARN]
G_JP, G_FRESH, G_RADAR = others[0], others[1:3], others[3]
# Japan: the JP genre's 30 most played tracks are not sold there.
jp_blocked = played_most("lower(genre) = %s" % q(G_JP), 30)
write(data, "UPDATE tracks SET markets = 'DE,GB,US' WHERE id IN %s" % in_list(jp_blocked))
for i in jp_blocked:
    cat.markets[i] = "DE,GB,US"
# Release Radar: an album of the radar genre, out today, sold in the US only.
radar_album, radar_artist = sql(data, "SELECT t.album_id, min(t.artist_id) FROM tracks t WHERE lower(t.genre) = %s"
                                      " AND t.markets IS NULL GROUP BY t.album_id HAVING count(*) >= 3"
                                      " ORDER BY t.album_id LIMIT 1" % q(G_RADAR))[0]
write(data, "UPDATE albums SET release_date = %s WHERE id = %s" % (q(today.isoformat()), q(radar_album)))
write(data, "UPDATE tracks SET markets = 'US' WHERE album_id = %s" % q(radar_album))
radar_tracks = set(r[0] for r in sql(data, "SELECT id FROM tracks WHERE album_id = %s" % q(radar_album)))
for i in radar_tracks:
    cat.released[i] = today.isoformat()
    cat.markets[i] = "US"

# A synthetic listener of two tastes or more (so there is something to cluster), and new accounts.
SYN = None
for u, in sql(data, "SELECT user_id FROM plays WHERE user_id LIKE 'syn-%' GROUP BY user_id"
                    " HAVING sum(counted) BETWEEN 150 AND 500 ORDER BY user_id"):
    shares = sql(data, "SELECT count(*) * 1.0 / (SELECT sum(counted) FROM plays WHERE user_id = %s)"
                       " FROM plays p JOIN tracks t ON t.id = p.track_id WHERE p.user_id = %s AND p.counted <> 0"
                       " GROUP BY lower(t.genre)" % (q(u), q(u)))
    if sum(x >= 0.2 for x, in shares) >= 2:
        SYN = u
        break
if not SYN:
    t.bail("no synthetic listener of two genres")
p = server_cmd("user", "set", SYN, "password", data_dir=data, input=(PASSWORD + "\n").encode())
if p.returncode != 0:
    t.bail("user set %s password: %s" % (SYN, p.stderr.decode()))
SYN_COUNTRY = sql(data, "SELECT country FROM users WHERE id = %s" % q(SYN))[0][0]
for name, country in (("fresh", "US"), ("learner", "US"), ("colistener", "US"), ("heavy", "US"),
                      ("jp", "JP"), ("radar", "US"), ("jp-radar", "JP")):
    add_user(data, name, country=country)
t.diag("catalog in %.1f s: learner %s, co-listener %s, JP %s, fresh %s, radar %s; listener %s (%s)"
       % (time.time() - T_START, G_LEARN, G_NEW, G_JP, G_FRESH, G_RADAR, SYN, SYN_COUNTRY))

srv = start(data)
try:
    fresh = Client(srv, "fresh")
    # The server's own market list: what a track without markets of its own is sold in.
    cat.default_markets = ",".join(fresh.get("/v1/tracks/" + sorted(never_played)[0]).json()["available_markets"])
    syn = Client(srv, SYN)
    jp = Client(srv, "jp")
    radar = Client(srv, "radar")

    # ---- 1. onboarding taste: a new account's Discover Weekly follows its picks --------------------
    seeds = fresh.get("/v1/recommendations/available-genre-seeds").json()["genres"]
    t.ok(set(G_FRESH) <= set(seeds) and G_JP in seeds, "the genres to pick from are the catalog's", seeds)
    r = fresh.req("PUT", "/v1/me/taste", {"genres": [G_FRESH[0].upper(), G_FRESH[1]]})
    t.eq(r.status, 204, "PUT /v1/me/taste with two genres", r)
    got = fresh.get("/v1/me/taste").json()
    t.eq(got, {"genres": G_FRESH, "artists": []}, "GET /v1/me/taste returns them (lower case, in order)")
    lists, r = fresh.mfy()
    dw = lists.get("Discover Weekly", (None, []))[1]
    share = cat.share(dw, G_FRESH)
    t.ok(r.status == 200 and len(dw) == 30, "a brand-new account gets a Discover Weekly of 30", (r, sorted(lists)))
    t.ok(share >= 0.6, "mostly (%.0f%%) in the picked genres" % (100 * share),
         [(i, cat.genre[i]) for i in dw])
    t.ok(max(cat.per_artist(dw).values() or [0]) <= 2, "at most two tracks of one artist", cat.per_artist(dw))
    t.ok("Release Radar" not in lists and not any(n.startswith("Daily Mix") for n in lists),
         "no plays, nothing new in its genres: no Daily Mix, no Release Radar", sorted(lists))
    a1 = cat.artist[dw[0]] if dw else UNKNOWN
    bad = [({"genres": ["polka"]}, "an unknown genre"),
           ({"artists": ["not-an-id!"]}, "a malformed artist id"),
           ({"artists": [UNKNOWN]}, "an unknown artist"),
           ({"genres": sorted(genre_size)[:11]}, "eleven genres"),
           ({"artists": [a1] * 11}, "eleven artists"),
           ({"genres": G_FRESH[0]}, "genres not an array"),
           ({"genres": [7]}, "a genre that is not a string"),
           ({}, "neither genres nor artists"),
           ("[not json", "a body that is not JSON")]
    for body, why in bad:
        r = fresh.req("PUT", "/v1/me/taste", body)
        t.eq(r.status, 400, "PUT taste: %s is 400" % why, r)
    t.eq(fresh.get("/v1/me/taste").json(), {"genres": G_FRESH, "artists": []}, "refused PUTs changed nothing")
    r = fresh.req("PUT", "/v1/me/taste", {"artists": [a1]})
    t.ok(r.status == 204 and fresh.get("/v1/me/taste").json() == {"genres": G_FRESH, "artists": [a1]},
         "PUT artists alone keeps the genres", (r, fresh.get("/v1/me/taste").json()))
    t.eq(srv.get("/v1/me/taste").status, 401, "taste without a token: 401")

    # ---- 2. a listener with a history ------------------------------------------------------------
    heard = set(r[0] for r in sql(data, "SELECT DISTINCT track_id FROM plays WHERE user_id = %s" % q(SYN)))
    saved = set(r[0] for r in sql(data, "SELECT track_id FROM saved_tracks WHERE user_id = %s" % q(SYN)))
    genre_plays = {}
    for g, n in sql(data, "SELECT lower(t.genre), count(*) FROM plays p JOIN tracks t ON t.id = p.track_id"
                          " WHERE p.user_id = %s AND p.counted <> 0 GROUP BY 1" % q(SYN)):
        genre_plays[g] = n
    total = sum(genre_plays.values())
    my_genres = set(g for g, n in genre_plays.items() if n >= 0.05 * total)
    lists, r = syn.mfy()
    dw_pl, dw = lists.get("Discover Weekly", (None, []))
    syn_dw = dw
    t.eq(r.status, 200, "made-for-you answers")
    t.eq(len(dw or []), 30, "Discover Weekly has 30 tracks", sorted(lists))
    t.ok(dw_pl and dw_pl["owner"]["id"] == "_segue" and dw_pl["public"] is False,
         "owned by _segue, private", dw_pl and (dw_pl["owner"], dw_pl["public"]))
    t.ok(not set(dw) & heard, "none of them the listener ever played", sorted(set(dw) & heard))
    t.ok(not set(dw) & saved, "nor saved", sorted(set(dw) & saved))
    t.ok(max(cat.per_artist(dw).values() or [0]) <= 2, "at most two tracks of one artist", cat.per_artist(dw))
    t.ok(dw and all(cat.available(i, SYN_COUNTRY) for i in dw), "all available in the listener's market (%s)"
         % SYN_COUNTRY, [(i, cat.markets[i]) for i in dw if not cat.available(i, SYN_COUNTRY)])
    share = cat.share(dw, my_genres)
    base = sum(genre_size[g] for g in my_genres) / float(len(cat.genre))
    t.ok(share >= 0.5 and share >= 2 * base, "mostly (%.0f%%; %.0f%% of the catalog) in the genres the listener"
         " plays" % (100 * share, 100 * base),
         "listens: %s\nDW: %s" % (sorted(genre_plays.items(), key=lambda x: -x[1]), [cat.genre[i] for i in dw]))
    mixes = sorted((n, v) for n, v in lists.items() if n.startswith("Daily Mix"))
    t.ok(mixes and [n for n, _ in mixes] == ["Daily Mix %d" % (k + 1) for k in range(len(mixes))],
         "Daily Mixes, numbered from 1", sorted(lists))
    known = heard | saved
    shares = [(n, len(v[1]), sum(i in known for i in v[1])) for n, v in mixes]
    t.diag("Daily Mixes (name, tracks, the listener's own): %s" % shares)
    t.ok(shares and all(n_items >= 20 and 2 <= own <= n_items // 2 for _, n_items, own in shares),
         "each mix: 20-30 tracks, some of them the listener's own, at most half", shares)
    own = sum(x[2] for x in shares) / float(sum(x[1] for x in shares) or 1)
    t.ok(own >= 0.2, "across the mixes, %.0f%% are the listener's own tracks" % (100 * own), shares)
    t.ok(all(not (set(v[1]) - known) & heard for _, v in mixes), "a mix's new tracks are new to the listener")
    t.ok(all(max(cat.per_artist(v[1]).values()) <= 2 and all(cat.available(i, SYN_COUNTRY) for i in v[1])
             for _, v in mixes), "mixes: two per artist at most, all in the market")
    mine = syn.get("/v1/me/playlists?limit=50").json()["items"]
    ids = set(x["id"] for x in mine)
    want = set(v[0]["id"] for v in lists.values())
    t.ok(want and want <= ids, "they are among /v1/me/playlists", (want - ids, len(mine)))
    before = syn.tracks(dw_pl["id"]) if dw_pl else None
    uri = "segue:track:" + sorted(never_played)[0]
    for method, path, body in (("POST", "/tracks", {"uris": [uri]}), ("PUT", "/tracks", {"uris": [uri]}),
                               ("DELETE", "/tracks", {"tracks": [{"uri": "segue:track:" + (dw or [UNKNOWN])[0]}]}),
                               ("PUT", "", {"name": "mine now"})):
        r = syn.req(method, "/v1/playlists/%s%s" % (dw_pl["id"] if dw_pl else UNKNOWN, path), body)
        t.ok(r.status in (403, 404), "%s /v1/playlists/{Discover Weekly}%s is refused" % (method, path), r)
    t.eq(syn.tracks(dw_pl["id"]) if dw_pl else None, before, "and the list is as it was")
    mix_id = mixes[0][1][0]["id"] if mixes else UNKNOWN
    r = syn.req("POST", "/v1/playlists/%s/tracks" % mix_id, {"uris": [uri]})
    t.ok(r.status in (403, 404), "a Daily Mix cannot be changed either", r)
    t.eq(fresh.get("/v1/playlists/%s/tracks" % (dw_pl["id"] if dw_pl else UNKNOWN)).status, 404,
         "another account cannot read someone's Discover Weekly")

    # ---- 3. stable within the week (part one) ----------------------------------------------------
    week0, day0 = periods()
    again, _ = syn.mfy()
    t.ok(again.get("Discover Weekly") and again["Discover Weekly"][0]["id"] == dw_pl["id"]
         and again["Discover Weekly"][1] == dw, "asked again: the same Discover Weekly")
    t.ok([(n, v[0]["id"], v[1]) for n, v in sorted(again.items())] ==
         [(n, v[0]["id"], v[1]) for n, v in sorted(lists.items())] or periods()[1] != day0,
         "and the same Daily Mixes")

    # ---- 5. radio ---------------------------------------------------------------------------------
    seed = sql(data, "SELECT id FROM tracks WHERE markets IS NULL ORDER BY play_count DESC, id LIMIT 1")[0][0]
    b1, r = syn.radio({"seed": "segue:track:" + seed})
    t.ok(r.status == 200 and len(b1) == 30 and (r.json() or {}).get("seed") == "segue:track:" + seed,
         "radio: a batch of 30 by default, naming its seed", (r, len(b1)))
    t.ok(seed not in b1, "the seed is not in it")
    t.ok(b1 and max(cat.per_artist(b1).values()) <= 2, "at most two tracks of one artist", cat.per_artist(b1))
    t.ok(all(cat.available(i, SYN_COUNTRY) for i in b1), "all in the listener's market")
    b, r = syn.radio({"seed": "segue:track:" + seed, "limit": 10})
    t.ok(r.status == 200 and len(b) == 10, "limit 10: 10 tracks", len(b))
    played, skipped = b1[:10], b1[10:13]
    b2, r = syn.radio({"seed": "segue:track:" + seed, "played": played, "skipped": skipped})
    t.ok(r.status == 200 and len(b2) == 30 and not set(b2) & set(played + skipped + [seed]),
         "the next batch has nothing played or skipped, nor the seed", (r.status, len(b2), set(b2) & set(played + skipped)))
    # Three skips of one artist (one the first batch had twice, not the seed's).
    counts = cat.per_artist(b1)
    x = sorted((-n, a) for a, n in counts.items() if a != cat.artist[seed])[0][1]
    xs = [i for i in b1 if cat.artist[i] == x]
    xs += [i for i in sorted(cat.artist, key=lambda i: (-cat.plays[i], i))
           if cat.artist[i] == x and i not in xs and i != seed][:3 - len(xs)]
    b3, r = syn.radio({"seed": "segue:track:" + seed, "skipped": ["segue:track:" + i for i in xs]})
    n_after = sum(cat.artist[i] == x for i in b3)
    t.ok(r.status == 200 and len(xs) == 3 and n_after < counts[x],
         "after three skips of an artist, fewer of its tracks (%d, was %d)" % (n_after, counts[x]),
         [(i, cat.artist[i]) for i in b3])
    if n_after:
        t.diag("radio still has %d tracks of the skipped artist" % n_after)
    b, r = syn.radio({"seed": "segue:track:" + seed, "played": [UNKNOWN, "segue:track:" + UNKNOWN]})
    t.ok(r.status == 200 and len(b) == 30, "unknown ids in played are ignored", r)
    b, r = syn.radio({"seed": "segue:artist:" + cat.artist[seed], "limit": 5})
    t.ok(r.status == 200 and len(b) == 5, "an artist seed", r)
    b, r = syn.radio({"seed": "segue:album:" + cat.album[seed], "limit": 5})
    t.ok(r.status == 200 and len(b) == 5 and not set(b) & set(i for i in cat.album if cat.album[i] == cat.album[seed]),
         "an album seed: none of the album's own tracks", r)
    b, r = syn.radio({"seed": "segue:playlist:" + mix_id, "limit": 5})
    t.ok(r.status == 200 and len(b) == 5, "a playlist seed (the listener's Daily Mix)", r)
    r = fresh.req("POST", "/v1/segue/radio", {"seed": "segue:playlist:" + mix_id})
    t.eq(r.status, 404, "someone else's private playlist as a seed: 404")
    for body, want, why in (({"seed": "segue:track:" + UNKNOWN}, 404, "an unknown track seed"),
                            ({"seed": "segue:album:" + UNKNOWN}, 404, "an unknown album seed"),
                            ({"seed": "nonsense"}, 404, "a seed that names nothing"),
                            ({}, 400, "no seed"),
                            ({"seed": 5}, 400, "a seed that is not a string"),
                            ("{not json", 400, "a body that is not JSON"),
                            ({"seed": seed, "limit": 0}, 400, "limit 0"),
                            ({"seed": seed, "limit": 51}, 400, "limit 51"),
                            ({"seed": seed, "limit": "5"}, 400, "a limit that is a string"),
                            ({"seed": seed, "played": "x"}, 400, "played not an array"),
                            ({"seed": seed, "skipped": [5]}, 400, "a skipped entry not a string")):
        r = syn.req("POST", "/v1/segue/radio", body)
        t.eq(r.status, want, "radio: %s is %d" % (why, want), r)
    t.eq(srv.request("POST", "/v1/segue/radio", body={"seed": seed}).status, 401, "radio without a token: 401")
    # A track the catalog gained after the model was built (written behind the server's back, so
    # no retraining follows) still seeds radio and recommendations, by its artist and genre.
    newid = "0NewTrackAddedSince001"
    cols = ("album_id, artist_id, disc_number, track_number, duration_ms, explicit, genre, markets, gain_db,"
            " true_peak, loudness, tempo, energy, brightness, danceability, acousticness, created_at")
    write(data, "INSERT INTO tracks (id, name, %s) SELECT %s, name || ' (new)', %s FROM tracks WHERE id = %s"
          % (cols, q(newid), cols, q(seed)))
    b, r = syn.radio({"seed": "segue:track:" + newid, "limit": 10})
    t.ok(r.status == 200 and len(b) == 10 and sum(cat.genre[i] == cat.genre[seed] for i in b) >= 5,
         "radio from a track newer than the model: its genre", (r, [cat.genre.get(i) for i in b]))
    r = syn.get("/v1/recommendations?seed_tracks=%s&limit=10" % newid)
    got = [x["id"] for x in (r.json() or {}).get("tracks", [])]
    t.ok(r.status == 200 and len(got) == 10 and sum(cat.genre[i] == cat.genre[seed] for i in got) >= 5,
         "recommendations from it too", (r, [cat.genre.get(i) for i in got]))
    write(data, "DELETE FROM tracks WHERE id = %s" % q(newid))

    # ---- 6. markets: a Japanese account never gets what Japan does not have -----------------------
    not_jp = lambda ids: [i for i in ids if not cat.available(i, "JP")]
    got, r = jp.recs("seed_genres=%s&limit=50" % urllib.parse.quote(G_JP))
    t.ok(r.status == 200 and len(got) >= 20 and not not_jp(got), "recommendations: nothing unavailable in JP",
         (r.status, len(got), not_jp(got)))
    got_us, r = jp.recs("seed_genres=%s&limit=50&market=US" % urllib.parse.quote(G_JP))
    t.ok(r.status == 200 and not_jp(got_us), "(while market=US would have had some: the filter matters)",
         (r.status, len(got_us)))
    jp_seed = sorted(i for i in cat.genre if cat.genre[i] == G_JP and cat.markets[i] is None)[0]
    got, r = jp.radio({"seed": "segue:track:" + jp_seed, "limit": 50})
    t.ok(r.status == 200 and len(got) >= 20 and not not_jp(got), "radio: nothing unavailable in JP",
         (r.status, len(got), not_jp(got)))
    b, r = jp.radio({"seed": "segue:track:" + jp_blocked[0]})
    t.ok(r.status in (200, 404) and not not_jp(b), "a seed Japan does not have yields nothing it lacks", r)
    t.eq(jp.req("PUT", "/v1/me/taste", {"genres": [G_JP]}).status, 204, "the JP account picks the JP genre")
    lists, r = jp.mfy()
    dw = lists.get("Discover Weekly", (None, []))[1]
    t.ok(len(dw) >= 20 and not not_jp(dw), "Discover Weekly: nothing unavailable in JP", (len(dw), not_jp(dw)))

    # ---- 9. Release Radar ---------------------------------------------------------------------------
    r = radar.req("PUT", "/v1/me/following?type=artist&ids=" + radar_artist)
    t.eq(r.status, 204, "follow the artist with an album out today")
    lists, r = radar.mfy()
    rr = lists.get("Release Radar", (None, []))[1] or []
    t.ok("Release Radar" in lists and set(rr) & radar_tracks, "Release Radar has the new album's tracks",
         (sorted(lists), rr, sorted(radar_tracks)))
    recent = (today - datetime.timedelta(days=28)).isoformat()
    t.ok(rr and all(recent <= cat.released[i] <= today.isoformat() for i in rr),
         "and only releases of the last four weeks", [(i, cat.released[i]) for i in rr])
    t.ok(rr and max(cat.per_artist(rr).values()) <= 2, "at most two tracks of one artist", cat.per_artist(rr))
    t.ok(lists.get("Release Radar") and lists["Release Radar"][0]["owner"]["id"] == "_segue",
         "a playlist of _segue like the others")
    t.ok(all(cat.available(i, "US") for i in rr), "all of it sold in the follower's market")
    # A Japanese follower of the same artist: the album (sold in the US only) is not for it.
    jp2 = Client(srv, "jp-radar")
    t.eq(jp2.req("PUT", "/v1/me/following?type=artist&ids=" + radar_artist).status, 204,
         "a JP account follows the same artist")
    lists, r = jp2.mfy()
    rr = lists.get("Release Radar", (None, []))[1] or []
    t.ok(r.status == 200 and not not_jp(rr), "its Release Radar has nothing unavailable in JP",
         (sorted(lists), [(i, cat.markets[i]) for i in rr]))

    # ---- 2b. the mixes grow from the listener's most played tracks -----------------------------
    # 140 tracks by id: the first 119 played once, the 120th five times, the last 20 three times
    # each. The mixes' seeds are the 120 most played: the twenty are among them.
    pool = sorted(played_most("play_count > 0 AND lower(genre) IN %s" % in_list([G_LEARN, G_JP]), 140))
    once, pivot, heavy_ones = pool[:119], pool[119], pool[120:]
    heavy = Client(srv, "heavy")
    t.ok(len(pool) == 140 and heavy.play(once + [pivot] * 5 + heavy_ones * 3),
         "a listener plays 119 tracks once, one five times and twenty three times each")
    lists, r = heavy.mfy()
    in_mixes = set(i for n, v in lists.items() if n.startswith("Daily Mix") for i in v[1])
    t.ok(set(heavy_ones) & in_mixes, "its Daily Mixes have some of the twenty it played most (%d of them)"
         % len(set(heavy_ones) & in_mixes),
         "mixes: %s; of the once-played: %d" % (sorted(n for n in lists if n.startswith("Daily")),
                                                  len(set(once) & in_mixes)))

    # ---- 4. learning, and 3. stability across a training -------------------------------------------
    learner = Client(srv, "learner")
    colistener = Client(srv, "colistener")
    dw0_pl, dw0 = learner.mfy()[0].get("Discover Weekly", (None, []))
    x1 = NEW_TRACKS[0]
    pre, r = colistener.radio({"seed": "segue:track:" + x1})
    pre_hits = len(set(pre) & set(NEW_TRACKS))
    t.ok(len(LEARN_TRACKS) == 20 and learner.play(LEARN_TRACKS + LEARN_TRACKS),
         "a new account plays 20 favourites of one %s community twice over" % G_LEARN, len(LEARN_TRACKS))
    t.ok(len(NEW_TRACKS) == 20 and colistener.play(NEW_TRACKS + NEW_TRACKS),
         "another plays 20 %s tracks nobody had played, together" % G_NEW, len(NEW_TRACKS))
    syn_mixes = [(n, v[0]["id"], v[1]) for n, v in sorted(again.items()) if n.startswith("Daily")]
    t.ok(syn.play(syn_dw[:5]), "the listener plays five of its Discover Weekly tracks")
    before_train = meta(data, "recs_trained_at")
    t0 = time.time()
    p = server_cmd("recs", "train", "--wait", "60", data_dir=data, timeout=90)
    out = p.stdout.decode()
    t.ok(p.returncode == 0 and "trained" in out and meta(data, "recs_trained_at") > before_train,
         "recs train --wait 60: a new model is live (%.1f s)" % (time.time() - t0), (p.returncode, out, p.stderr))
    # What the trainer did, as a monitoring system sees it: the catalog's model at start, the
    # first training, the one just asked for; none failed, none running, the one served built
    # when the store says the last training was.
    metrics = dict(line.split(" ", 1) for line in srv.get("/metrics").body.decode().splitlines()
                   if line.startswith("segue_recs_"))
    t.ok(metrics.get("segue_recs_training") == "0" and float(metrics.get("segue_recs_models_total", 0)) >= 3
         and metrics.get("segue_recs_training_failures_total") == "0"
         and abs(float(metrics.get("segue_recs_model_built_seconds", 0)) * 1000 - meta(data, "recs_trained_at")) < 2,
         "GET /metrics: the trainer idle, three models or more made, none failed, the served one's build time",
         metrics)
    p = server_cmd("recs", "status", data_dir=data)
    status = p.stdout.decode()
    t.ok(p.returncode == 0 and status.startswith("trained") and "never" not in status.splitlines()[0],
         "recs status: when the model was trained", status)
    lists, _ = syn.mfy()
    week1, day1 = periods()
    t.ok(week1 != week0 or (lists.get("Discover Weekly") and lists["Discover Weekly"][0]["id"] == dw_pl["id"]
                            and lists["Discover Weekly"][1] == syn_dw),
         "after new plays and a training, the same Discover Weekly all week",
         lists.get("Discover Weekly", (None, None))[1])
    t.ok(day1 != day0 or [(n, v[0]["id"], v[1]) for n, v in sorted(lists.items()) if n.startswith("Daily")]
         == syn_mixes, "and the same Daily Mixes all day")
    post, r = colistener.radio({"seed": "segue:track:" + x1})
    post_hits = len(set(post) & set(NEW_TRACKS))
    t.ok(r.status == 200 and post_hits >= 5 and post_hits > pre_hits,
         "radio from one of them now brings the tracks played with it (%d of 19, was %d)" % (post_hits, pre_hits),
         post)
    # Next week (the period the list was made for, moved back): a new Discover Weekly.
    write(data, "UPDATE made_for_you SET period = '2001-W01' WHERE user_id = 'learner' AND kind = 'discover-weekly'")
    dw1_pl, dw1 = learner.mfy()[0].get("Discover Weekly", (None, []))
    share = cat.share(dw1, [G_LEARN])
    t.ok(len(dw1) == 30 and share >= 0.6, "the new account's next Discover Weekly is mostly %s (%.0f%%)"
         % (G_LEARN, 100 * share), [cat.genre[i] for i in dw1])
    t.ok(dw1 and not set(dw1) & set(LEARN_TRACKS), "and has none of the tracks it played",
         sorted(set(dw1) & set(LEARN_TRACKS)))
    t.ok(dw0 and dw1 and len(set(dw0) & set(dw1)) <= 10, "and differs from the one made before the plays"
         " (%d in common)" % len(set(dw0) & set(dw1)), (dw0, dw1))
    t.ok(dw0_pl and dw1_pl and dw0_pl["id"] == dw1_pl["id"], "in the same playlist, rewritten")
    got, r = learner.recs("seed_genres=%s&limit=30" % urllib.parse.quote(G_LEARN))
    t.ok(r.status == 200 and cat.share(got, [G_LEARN]) >= 0.6,
         "recommendations for the genre seed: mostly that genre", [cat.genre[i] for i in got])
finally:
    srv.stop()

# ---- 7. the admin command and settings --------------------------------------------------------
p = subprocess.Popen([SERVER_BIN, "serve", "--listen", "127.0.0.1:0", "--data-dir", data, "--set", "recs_factors=3"],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
try:
    out, err = p.communicate(timeout=10)
except subprocess.TimeoutExpired:
    p.kill()
    out, err = p.communicate()
t.ok(p.returncode not in (0, None) and b"recs_factors" in err,
     "serve --set recs_factors=3 refuses to start, naming the setting", (p.returncode, out, err))
t0 = time.time()
p = server_cmd("recs", "train", "--wait", "2", data_dir=data, timeout=30)
err = p.stderr.decode()
t.ok(p.returncode != 0 and "server" in err and 1.5 < time.time() - t0 < 10,
     "recs train --wait 2 without a server: fails after 2 s, saying why", (p.returncode, err))
p = server_cmd("recs", "train", "--wait", "soon", data_dir=data)
t.ok(p.returncode != 0 and "usage" in p.stderr.decode(), "recs train --wait soon: usage", p.stderr)

# ---- 8. a catalog nobody has listened to: the model of the catalog alone -----------------------
quiet = make_catalog(1000, 5)
add_user(quiet, "first", country="US")
qcat = Catalog(quiet)
# Words in playlist names: two playlists named for rain, of tracks from two genres, and two
# with names that share no word, likewise. Obscure tracks, free in every market.
by_genre = {}
for i in sorted(qcat.genre, key=lambda i: (qcat.plays[i], i)):
    if qcat.markets[i] is None and len(by_genre.setdefault(qcat.genre[i], [])) < 2:
        by_genre[qcat.genre[i]].append(i)
ga, gb, gc, gd = sorted(g for g in by_genre if len(by_genre[g]) == 2)[:4]
now_ms = int(time.time() * 1000)
for n, (pid, name, tracks) in enumerate((("0WordListRain000000001", "Rainy Sunday", by_genre[ga]),
                                         ("0WordListRain000000002", "rainy-day drive", by_genre[gb]),
                                         ("0WordListNone000000001", "Monday", by_genre[gc]),
                                         ("0WordListNone000000002", "Friday", by_genre[gd]))):
    write(quiet, "INSERT INTO playlists (id, owner_id, name, public, collaborative, version, length, created_at,"
          " updated_at) VALUES (%s, 'first', %s, 1, 0, 1, 2, %d, %d)" % (q(pid), q(name), now_ms, now_ms))
    for pos, tid in enumerate(tracks):
        write(quiet, "INSERT INTO playlist_items VALUES (%s, %d, %s, %d, 'first')" % (q(pid), pos, q(tid), now_ms))
qs = start(quiet)
try:
    u = Client(qs, "first")
    g = sorted(set(qcat.genre.values()), key=lambda g: (-sum(v == g for v in qcat.genre.values()), g))[:2]
    got, r = u.recs("seed_genres=%s&limit=10" % urllib.parse.quote(g[0]))
    t.ok(r.status == 200 and len(got) == 10, "no plays: recommendations answer", r)
    tid = sorted(i for i in qcat.genre if qcat.markets[i] is None)[0]
    got, r = u.radio({"seed": "segue:track:" + tid, "limit": 10})
    t.ok(r.status == 200 and len(got) == 10 and tid not in got, "no plays: radio answers", r)
    rain, _ = u.radio({"seed": "segue:track:" + by_genre[ga][0], "limit": 30})
    t.ok(set(by_genre[gb]) & set(rain), "playlists named alike relate their tracks: radio from a 'Rainy Sunday'"
         " track brings one of 'rainy-day drive' (%s after %s)" % (gb, ga), [qcat.genre[i] for i in rain])
    other, _ = u.radio({"seed": "segue:track:" + by_genre[gc][0], "limit": 30})
    t.ok(by_genre[gc][1] in other and not set(by_genre[gd]) & set(other),
         "names with no word in common do not ('Monday' and 'Friday')", [qcat.genre[i] for i in other])
    t.eq(u.req("PUT", "/v1/me/taste", {"genres": g}).status, 204, "pick two genres")
    # Another server makes this week's lists while this one's request waits for the write
    # lock: read again under the lock, nothing is due, and nothing is made twice.
    week, day = periods()
    with WriteLock(quiet) as lock:
        for kind, slot, pid, period in (("discover-weekly", 0, "0WordListNone000000001", week),
                                        ("release-radar", -1, "", week), ("daily-mix", -1, "", day)):
            lock.execute("INSERT INTO made_for_you (user_id, kind, slot, playlist_id, period)"
                         " VALUES ('first', ?, ?, ?, ?)", (kind, slot, pid, period))
        waited = lock.waiting(lambda: u.get("/v1/segue/made-for-you"))
    r = lock.answer(60)
    rows = sql(quiet, "SELECT kind, slot, playlist_id FROM made_for_you WHERE user_id = 'first' ORDER BY kind, slot")
    t.ok(waited and r and r.status == 200 and rows == [("daily-mix", -1, ""), ("discover-weekly", 0,
         "0WordListNone000000001"), ("release-radar", -1, "")],
         "lists another server made while a request waited are not made again", (r and r.status, rows))
    write(quiet, "DELETE FROM made_for_you WHERE user_id = 'first'")
    lists, r = u.mfy()
    dw = lists.get("Discover Weekly", (None, []))[1]
    share = qcat.share(dw, g)
    t.ok(r.status == 200 and len(dw) == 30 and share >= 0.6,
         "no plays: a Discover Weekly mostly in the picked genres (%.0f%%)" % (100 * share), (r, sorted(lists)))
    t.ok(not any(n.startswith("Daily Mix") for n in lists), "and no Daily Mix without plays", sorted(lists))
    pop = sorted((qcat.plays[i] for i in qcat.genre if qcat.genre[i] in g), reverse=True)
    median = pop[len(pop) // 2]
    t.ok(dw and sorted(qcat.plays[i] for i in dw)[len(dw) // 2] > median,
         "of their popular tracks", ([qcat.plays[i] for i in dw], median))
finally:
    qs.stop()

t.diag("%.1f s in all" % (time.time() - T_START))
t.done()
