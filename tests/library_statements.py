"""The library's saves and removals cost a fixed number of statements on PostgreSQL, where
each is a round trip: PUT and DELETE /v1/me/tracks?ids= (and /v1/me/albums, /v1/me/following,
/v1/me/library) run as many statements for 50 ids as for one. Counted in the log of a
throwaway database that logs every statement, on the server's own connections. With it, what
the saves keep: each id's time in the order of the request, after everything saved before
(even within one millisecond), the first of a repeated id, an id already saved keeps its time,
an unknown id answers 404 before anything is written, and a removal takes every id it names."""

import os
import time

import pgcluster

pgcluster.skip_if(pgcluster.unavailable())

from segue_test import TAP, Server, catalog_copy, cluster  # noqa: E402
from subsonic_util import call  # noqa: E402

t = TAP()
data = catalog_copy()
URL = cluster().database(data, seeded=True)
PG_LOG = os.path.join(cluster().top, "log")
USER = "premium-us"


def pg_rows(query, *params):
    return cluster().rows(data, query, *params)


size = pgcluster.log_size


def statements(call):
    """call()'s answer and the statements the server ran for it, from the log."""
    pids = ["[%d]" % p for (p,) in pg_rows("SELECT pid FROM pg_stat_activity WHERE application_name = %s",
                                           "segue-saves")]
    mark = size(PG_LOG)
    res = call()
    # The backend logs a statement before it runs it, so before the answer it gives; the
    # log's writes are the postmaster's stderr, read again until two reads agree.
    text, deadline = b"", time.monotonic() + 2
    while time.monotonic() < deadline:
        with open(PG_LOG, "rb") as f:
            f.seek(mark)
            again = f.read()
        if again == text and text:
            break
        text = again
        time.sleep(0.05)
    lines = [ln for ln in text.decode("utf-8", "replace").splitlines()
             if any(p in ln for p in pids) and ("execute" in ln or "statement:" in ln)]
    # The request's statements run together (the server's loop serves it at once): from the
    # look-up of its credentials to the end of its transaction, on its connection. The
    # server's timers run their own, before or after (Connect's heartbeat; the search
    # index's changes, on another connection), and the rate limiter writes its counts when
    # its window turns, whatever the request.
    start = next((i for i, ln in enumerate(lines)
                  if "FROM tokens t JOIN users" in ln or "FROM api_keys k JOIN users" in ln), None)
    if start is None:
        return res, []
    pid = next(p for p in pids if p in lines[start])
    mine = [ln for ln in lines[start:] if pid in ln and "ratelimit_hits" not in ln]
    end = next((i for i, ln in enumerate(mine) if "statement: COMMIT" in ln), len(mine) - 1)
    return res, mine[:end + 1]


def saved(kind="tracks"):
    return pg_rows("SELECT %s, added_at FROM saved_%s WHERE user_id = %%s ORDER BY added_at"
                   % ("track_id" if kind == "tracks" else "album_id", kind), USER)


pg_rows("ALTER DATABASE %s SET log_statement = 'all'" % cluster().dbname(data))
TRACKS = [r[0] for r in pg_rows("SELECT id FROM tracks WHERE markets IS NULL OR markets = ''"
                                " OR markets LIKE '%%US%%' ORDER BY id")]
ALBUMS = [r[0] for r in pg_rows("SELECT id FROM albums ORDER BY id")]
ARTISTS = [r[0] for r in pg_rows("SELECT id FROM artists ORDER BY id")]
t.ok(len(TRACKS) >= 3 and ALBUMS and ARTISTS, "the catalog has tracks, albums and artists", TRACKS)
FIFTY = [TRACKS[i % len(TRACKS)] for i in range(50)]  # every track, repeated up to 50 ids
srv = Server(data, {"rl_standard": 1000000}, args=["--database", URL + "&application_name=segue-saves"]).start()
try:
    tok = srv.login(USER)

    def put(path):
        return lambda: srv.request("PUT", path, token=tok).status

    def delete(path):
        return lambda: srv.request("DELETE", path, token=tok).status

    # --- the count: one id against fifty ---------------------------------------------------------
    put("/v1/me/tracks?ids=" + TRACKS[-1])()  # the statements are prepared once, on first use
    delete("/v1/me/tracks?ids=" + TRACKS[-1])()
    st1, one = statements(put("/v1/me/tracks?ids=" + TRACKS[0]))
    st50, fifty = statements(put("/v1/me/tracks?ids=" + ",".join(FIFTY)))
    t.eq((st1, st50), (200, 200), "PUT /v1/me/tracks with 1 id and with 50")
    t.ok(one and len(one) == len(fifty), "saving 50 ids runs as many statements as saving 1 (%d)" % len(one),
         "1 id: %d, 50 ids: %d\n%s\n--\n%s" % (len(one), len(fifty), "\n".join(one), "\n".join(fifty)))
    inserts = [ln for ln in fifty if "INSERT INTO saved_tracks" in ln]
    t.eq(len(inserts), 1, "one INSERT for the 50 ids", "\n".join(fifty))
    st1, one = statements(delete("/v1/me/tracks?ids=" + TRACKS[0]))
    st50, fifty = statements(delete("/v1/me/tracks?ids=" + ",".join(FIFTY)))
    t.eq((st1, st50), (200, 200), "DELETE /v1/me/tracks with 1 id and with 50")
    t.ok(one and len(one) == len(fifty), "removing 50 ids runs as many statements as removing 1 (%d)" % len(one),
         "1 id: %d, 50 ids: %d\n%s\n--\n%s" % (len(one), len(fifty), "\n".join(one), "\n".join(fifty)))
    t.eq(saved(), [], "the removal took every id")
    for base, ids in (("/v1/me/albums?", ALBUMS), ("/v1/me/following?type=artist&", ARTISTS)):
        url1, urln = base + "ids=" + ids[0], base + "ids=" + ",".join((ids * 50)[:50])
        for how, name in ((put, "PUT"), (delete, "DELETE")):
            how(url1)()  # prepared
            a, one = statements(how(url1))
            b, many = statements(how(urln))
            t.ok(a == b and a in (200, 204) and one and len(one) == len(many),
                 "%s %s: 1 id and 50 run as many statements (%d)" % (name, base[:-1], len(one)),
                 "%s %s: %d against %d\n%s\n--\n%s" % (a, b, len(one), len(many), "\n".join(one), "\n".join(many)))
    uris = ["segue:track:" + x for x in TRACKS] + ["segue:album:" + x for x in ALBUMS] + \
           ["segue:artist:" + x for x in ARTISTS]
    put("/v1/me/library?uris=" + uris[0])()
    a, one = statements(put("/v1/me/library?uris=" + ",".join([uris[0], "segue:album:" + ALBUMS[0],
                                                                 "segue:artist:" + ARTISTS[0]])))
    b, many = statements(put("/v1/me/library?uris=" + ",".join((uris * 40)[:40])))
    t.ok(a == b == 200 and one and len(one) == len(many),
         "PUT /v1/me/library: 3 collections cost as much with 3 URIs as with 40 (%d)" % len(one),
         "%s %s: %d against %d\n%s" % (a, b, len(one), len(many), "\n".join(many)))
    # contains: one statement per collection asked about, whatever the number of ids, and the
    # answer for each id in the request's order (a repeated id each time, an unsaved one false).
    def get(path):
        return lambda: srv.get(path, token=tok)

    delete("/v1/me/tracks?ids=" + TRACKS[1])()  # one of the URIs below not saved
    saved_now = {x for x, _ in saved()}
    get("/v1/me/tracks/contains?ids=" + TRACKS[0])()  # prepared
    a, one = statements(get("/v1/me/tracks/contains?ids=" + TRACKS[0]))
    b, many = statements(get("/v1/me/tracks/contains?ids=" + ",".join(FIFTY)))
    t.ok(a.status == b.status == 200 and one and len(one) == len(many),
         "GET /v1/me/tracks/contains: 1 id and 50 run as many statements (%d)" % len(one),
         "%s %s: %d against %d\n%s" % (a.status, b.status, len(one), len(many), "\n".join(many)))
    t.eq(b.json(), [x in saved_now for x in FIFTY], "and answers each of the 50 ids, in order, repeats included")
    mixed = [uris[0], "segue:album:" + ALBUMS[0], "segue:artist:" + ARTISTS[0], "segue:track:" + TRACKS[1],
             uris[0]]
    a, three = statements(get("/v1/me/library/contains?uris=" + ",".join(mixed)))
    b, forty = statements(get("/v1/me/library/contains?uris=" + ",".join((uris * 40)[:40])))
    t.ok(a.status == b.status == 200 and three and len(three) == len(forty),
         "GET /v1/me/library/contains: 3 collections cost as much with 5 URIs as with 40 (%d)" % len(three),
         "%s %s: %d against %d\n%s" % (a.status, b.status, len(three), len(forty), "\n".join(forty)))
    held = {x for x, _ in saved()} | {x for x, _ in saved("albums")} | \
        {r[0] for r in pg_rows("SELECT artist_id FROM followed_artists WHERE user_id = %s", USER)}
    want = [u.rsplit(":", 1)[1] in held for u in mixed]
    t.ok(True in want and False in want, "(the URIs asked about: some saved, one not)", want)
    t.eq(a.json(), want, "and answers each URI from its own collection, in order", mixed)
    t.eq(delete("/v1/me/library?uris=" + ",".join((uris * 40)[:40]))(), 200, "DELETE /v1/me/library with 40 URIs")
    t.eq(saved() + saved("albums"), [], "and it took them all")

    # Subsonic's star and unstar: 1 of each kind against 200 ids (a call holds 256 fields).
    key = srv.request("POST", "/v1/segue/api-keys", {"name": "stars"}, token=tok).json()["key"]

    def star(name, songs, albums, artists):
        pairs = [("apiKey", key)] + [("id", x) for x in songs] + [("albumId", x) for x in albums] + \
                [("artistId", x) for x in artists]
        return lambda: (call(srv, name, pairs, post=True)[1] or {}).get("status")

    for name in ("star", "unstar"):
        star(name, TRACKS[:1], ALBUMS[:1], ARTISTS[:1])()  # prepared
        a, one = statements(star(name, TRACKS[:1], ALBUMS[:1], ARTISTS[:1]))
        b, many = statements(star(name, (TRACKS * 100)[:100], (ALBUMS * 50)[:50], (ARTISTS * 50)[:50]))
        t.ok(a == b == "ok" and one and len(one) == len(many),
             "Subsonic %s: 1 of each kind and 100 songs, 50 albums, 50 artists run as many statements (%d)" % (name, len(one)),
             "%s %s: %d against %d\n%s" % (a, b, len(one), len(many), "\n".join(many)))
    t.eq(saved() + saved("albums"), [], "unstar took them all")
    bad = [("apiKey", key), ("id", TRACKS[0]), ("albumId", "0" * 22), ("id", "1" * 22)]
    st, env, _ = call(srv, "star", bad)
    t.eq(((env or {}).get("error") or {}).get("message"), "no song with id " + "1" * 22,
         "star: the first unknown id in the call's order is named (the songs come first)")
    t.eq(saved(), [], "and nothing is starred")

    # --- what a save keeps -----------------------------------------------------------------------
    x, y, z = TRACKS[:3]
    t.eq(put("/v1/me/tracks?ids=%s,%s" % (x, y))(), 200, "save two tracks")
    first = dict(saved())
    t.eq(first[y] - first[x], 1, "the second is saved 1 ms after the first", first)
    t.eq(put("/v1/me/tracks?ids=%s,%s,%s,%s" % (z, x, z, y))(), 200, "save one new track, repeated, with two saved")
    after = saved()
    t.eq([i for i, _ in after], [x, y, z], "newest last: the new track after both", after)
    t.eq(dict(after)[x], first[x], "a track saved already keeps its time")
    t.ok(dict(after)[z] > first[y], "the new one is after everything saved before, even within a millisecond")
    got = srv.get("/v1/me/tracks?limit=50", token=tok).json() or {}
    t.eq([i["track"]["id"] for i in got.get("items", [])], [z, y, x], "GET /v1/me/tracks: newest first")
    before = saved()
    t.eq(srv.request("PUT", "/v1/me/tracks?ids=%s,%s" % (TRACKS[-1], "0" * 22), token=tok).status, 404,
         "an unknown id among known ones answers 404")
    t.eq(saved(), before, "and nothing is saved")
    t.eq(srv.request("DELETE", "/v1/me/tracks?ids=%s,%s" % (x, "0" * 22), token=tok).status, 200,
         "removing a saved id with one never saved answers 200")
    t.eq([i for i, _ in saved()], [y, z], "and takes the saved one")
    # timestamped_ids: each at its own time; the first of a repeated id counts.
    t.eq(srv.request("PUT", "/v1/me/tracks", token=tok, body={"timestamped_ids": [
        {"id": x, "added_at": "2020-01-02T03:04:05Z"}, {"id": x, "added_at": "2021-01-01T00:00:00Z"}]}).status,
        200, "PUT timestamped_ids with a repeated id")
    t.eq(dict(saved())[x], 1577934245000, "the first time given counts")
finally:
    srv.stop()
t.done()
