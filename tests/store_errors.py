"""A store that cannot answer is a 500, never a shorter or empty answer given as the truth:
the lists that render catalog objects in batches (saved tracks, contains, top tracks and
artists, recently played, search, a playlist and its items) while a table they read is gone.
The failure is made on PostgreSQL, whose prepared statements fail once a table they name is
renamed away, and undone after each check; the same request then answers 200 again."""

import uuid

import pgcluster

pgcluster.skip_if(pgcluster.unavailable())

from segue_test import TAP, Server, catalog_copy, cluster  # noqa: E402

t = TAP()
data = catalog_copy()
URL = cluster().database(data, seeded=True)
USER = "premium-us"


def sql(query, *params):
    return cluster().rows(data, query, *params)


TRACKS = [r[0] for r in sql("SELECT id FROM tracks WHERE markets IS NULL OR markets = ''"
                            " OR markets LIKE '%%US%%' ORDER BY id")]
ALBUMS = [r[0] for r in sql("SELECT id FROM albums ORDER BY id")]
QUERY = sql("SELECT name FROM tracks WHERE id = %s", TRACKS[0])[0][0].split()[0]
ALBUM_QUERY = sql("SELECT name FROM albums WHERE id = %s", ALBUMS[0])[0][0].split()[0]
srv = Server(data, {"rl_standard": 1000000, "rl_player": 1000000}, args=["--database", URL]).start()
try:
    tok = srv.login(USER)
    ids = ",".join(TRACKS[:3])
    t.eq(srv.request("PUT", "/v1/me/tracks?ids=" + ids, token=tok).status, 200, "save three tracks")
    t.eq(srv.request("PUT", "/v1/me/albums?ids=" + ALBUMS[0], token=tok).status, 200, "save an album")
    now = int(sql("SELECT (extract(epoch FROM now()) * 1000)::bigint")[0][0])
    events = [{"id": str(uuid.uuid4()), "track_id": x, "started_at": now - 600000 + 100000 * i,
               "ms_played": 60000, "reason_end": "track_done"} for i, x in enumerate(TRACKS[:3])]
    t.eq(srv.request("POST", "/v1/segue/events", body={"events": events}, token=tok).status, 200,
         "three plays")
    r = srv.request("POST", "/v1/me/playlists", body={"name": "errors"}, token=tok)
    pid = (r.json() or {}).get("id")
    t.eq(srv.request("POST", "/v1/playlists/%s/tracks" % pid,
                     body={"uris": ["segue:track:" + x for x in TRACKS[:3]]}, token=tok).status, 201,
         "a playlist of three tracks")

    cases = [
        ("/v1/me/tracks/contains?ids=" + ids, "saved_tracks"),
        ("/v1/me/library/contains?uris=segue:track:%s,segue:album:%s" % (TRACKS[0], ALBUMS[0]), "saved_albums"),
        ("/v1/me/tracks", "tracks"),
        ("/v1/me/top/tracks?time_range=short_term", "tracks"),
        ("/v1/me/top/artists?time_range=short_term", "artists"),
        ("/v1/me/player/recently-played", "tracks"),
        ("/v1/search?type=track&q=" + QUERY, "tracks"),
        ("/v1/search?type=album&q=" + ALBUM_QUERY, "albums"),
        ("/v1/playlists/" + pid, "tracks"),
        ("/v1/playlists/%s/tracks" % pid, "tracks"),
        ("/v1/playlists/%s/followers/contains?ids=%s,free-us" % (pid, USER), "playlist_followers"),
    ]
    for path, table in cases:
        before = srv.get(path, token=tok)
        t.ok((b"true" if "contains" in path else b'"id"') in before.body,
             "GET %s has something to answer" % path.split("?")[0], before.body[:200])
        sql("ALTER TABLE %s RENAME TO %s_away" % (table, table))
        try:
            broken = srv.get(path, token=tok)
        finally:
            sql("ALTER TABLE %s_away RENAME TO %s" % (table, table))
        after = srv.get(path, token=tok)
        t.ok(before.status == 200 and broken.status == 500 and after.status == 200,
             "GET %s: 500 while %s cannot be read, 200 before and after" % (path.split("?")[0], table),
             "%s %s %s: %s" % (before.status, broken.status, after.status, broken.body[:200]))
        t.eq(after.body, before.body, "GET %s: the same answer once it can be read again" % path.split("?")[0])
finally:
    srv.stop()
t.done()
