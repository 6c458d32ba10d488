"""OpenSubsonic through an independent client: the npm subsonic-api package, unchanged
(tests/npm/subsonic/client.mjs drives it), against segue-server on 127.0.0.1. Every JSON answer
is checked against the OpenSubsonic specification's schema, read from a checkout of its
repository ($OPENSUBSONIC_SPEC); without one the schema checks say SKIP and the value checks
still run. Values are checked against what the Web API says of the same catalog and user:
stars are saved tracks, albums and followed artists; a scrobbled submission is one counted
play; playlists are the same playlists; the play queue is Connect's, both ways (a terminal's
queue is what the phone gets, and a phone's saved queue is what Connect devices see)."""

import json
import os
import subprocess
import time

import subsonic_util
from segue_test import SRCDIR, TAP, Server, catalog_copy, sql, wait_for
from ws_device import FakeDevice

NODE_DIR = os.path.join(SRCDIR, "tests", "npm", "subsonic")
SPEC = os.environ.get("OPENSUBSONIC_SPEC", "/work/.mirror/opensubsonic+open-subsonic-api/repo")
NODE_TIMEOUT = 180

t = TAP()
if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "subsonic-api")):
    t.bail("the npm client is not installed in %s: run sh scripts/deps" % NODE_DIR)

data = catalog_copy()
tracks = sql(data, "SELECT id, name, markets, album_id, duration_ms FROM tracks ORDER BY id")
track_ids = [r[0] for r in tracks]
playable_us = [r[0] for r in tracks if not r[2] or "US" in r[2].split(",")]
blocked_us = next(r[0] for r in tracks if r[2] and "US" not in r[2].split(","))
albums = [r[0] for r in sql(data, "SELECT id FROM albums ORDER BY id")]
artists = [r[0] for r in sql(data, "SELECT id FROM artists ORDER BY id")]
MISSING = "0" * 22


def phase(srv, name, key, expect=None, user="premium-us", password=None):
    """Runs one phase of client.mjs and reports each of its checks. Returns its notes."""
    cfg = {"url": srv.base, "apiKey": key, "user": user, "password": password or "",
           "spec": SPEC, "phase": name, "expect": expect or {}}
    try:
        p = subprocess.run(["node", os.path.join(NODE_DIR, "client.mjs")], input=json.dumps(cfg).encode(),
                           capture_output=True, timeout=NODE_TIMEOUT)
    except subprocess.TimeoutExpired:
        t.ok(False, "%s: the client finished within %d s" % (name, NODE_TIMEOUT))
        return {}
    notes, said = {}, 0
    for line in p.stdout.decode(errors="replace").splitlines():
        try:
            o = json.loads(line)
        except ValueError:
            t.diag("%s: %s" % (name, line))
            continue
        if "note" in o:
            notes[o["note"]] = o
            continue
        said += 1
        if "skip" in o:
            t.n += 1
            print("ok %d - %s: %s # SKIP %s" % (t.n, name, o["name"], o["skip"]), flush=True)
            continue
        t.ok(o.get("ok"), "%s: %s" % (name, o.get("name")), o.get("detail"))
    t.ok(p.returncode == 0 and said > 0, "%s: the client ran (exit %d, %d checks)" % (name, p.returncode, said),
         p.stderr.decode(errors="replace")[-2000:])
    return notes


def new_key(srv, tok, name):
    r = srv.request("POST", "/v1/segue/api-keys", {"name": name}, token=tok)
    doc = r.json() or {}
    t.ok(r.status == 201 and doc.get("key") and doc.get("id"), "an API key named %s is made over REST" % name, r)
    return doc.get("key", ""), doc.get("id", "")


def first_difference(js, xm, where=""):
    """Where a JSON answer and an XML one (subsonic_util's reading) first differ, or None."""
    if isinstance(js, dict) and isinstance(xm, list) and len(xm) == 1:
        xm = xm[0]
    if isinstance(js, dict) and isinstance(xm, dict):
        # An empty list has no element to be in XML: it is absent there.
        js = {k: v for k, v in js.items() if v != [] or k in xm}
        if set(js) != set(xm):
            return "%s: members %s in JSON, %s in XML" % (where or ".", sorted(js), sorted(xm))
        return next((d for d in (first_difference(js[k], xm[k], where + "." + k) for k in js) if d), None)
    if isinstance(js, list) and isinstance(xm, list) and len(js) == len(xm):
        return next((d for d in (first_difference(a, b, "%s[%d]" % (where, i))
                                 for i, (a, b) in enumerate(zip(js, xm))) if d), None)
    return None if subsonic_util.same(js, xm) else "%s: %r in JSON, %r in XML" % (where, js, xm)


def same_in_xml(srv, key, name, params=()):
    """The XML answer of name says what its JSON answer says (the npm client reads JSON only)."""
    pairs = [("apiKey", key)] + list(params)
    _, js, _ = subsonic_util.call(srv, name, pairs)
    _, xm, _ = subsonic_util.call(srv, name, pairs, fmt="xml")
    why = first_difference(js, xm) if js and js.get("status") == "ok" else "JSON: %r" % js
    t.ok(why is None, "%s answers the same in XML as in JSON" % name, why)


def plays(tid):
    return sql(data, "SELECT play_count FROM tracks WHERE id = '%s'" % tid)[0][0]


with Server(data, {"rl_standard": 1000000, "rl_player": 1000000, "rl_playlist": 1000000}) as srv:
    tok, other_tok = srv.login("premium-us"), srv.login("free-us")
    key, key_id = new_key(srv, tok, "phone")
    other_key, _ = new_key(srv, other_tok, "tablet")
    r = srv.request("PUT", "/v1/segue/subsonic-password", {"password": "sub-sonic-pw"}, token=tok)
    t.eq(r.status, 204, "a Subsonic password is set over REST")

    # --- auth
    phase(srv, "auth", key, password="sub-sonic-pw")

    # --- star, unstar, getStarred2 against the Web API's library
    star = {"songs": playable_us[:3], "albums": albums[:2], "artists": artists[:2], "missing": MISSING,
            "songTitle": next(r[1] for r in tracks if r[0] == playable_us[0]),
            "albumName": sql(data, "SELECT name FROM albums WHERE id = '%s'" % albums[0])[0][0]}
    phase(srv, "star", key, star)
    r = srv.get("/v1/me/tracks/contains?ids=" + ",".join(star["songs"]), token=tok)
    t.eq(r.json(), [True] * 3, "starred songs are saved tracks on the Web API")
    r = srv.get("/v1/me/albums/contains?ids=" + ",".join(star["albums"]), token=tok)
    t.eq(r.json(), [True, True], "starred albums are saved albums on the Web API")
    r = srv.get("/v1/me/following/contains?type=artist&ids=" + ",".join(star["artists"]), token=tok)
    t.eq(r.json(), [True, True], "starred artists are followed on the Web API")
    star["webSaved"] = playable_us[3]
    r = srv.request("PUT", "/v1/me/tracks?ids=" + star["webSaved"], token=tok)
    t.eq(r.status, 200, "a track is saved over the Web API")
    phase(srv, "starredAfterWebApi", key, star)
    same_in_xml(srv, key, "getStarred2")

    # --- browsing (the subsonic branch's endpoints), with two albums starred
    al = sql(data, "SELECT a.id FROM albums a WHERE NOT EXISTS (SELECT 1 FROM tracks t WHERE t.album_id = a.id"
                   " AND t.markets IS NOT NULL AND t.markets != '' AND ',' || t.markets || ',' NOT LIKE '%,US,%')"
                   " ORDER BY a.id LIMIT 1")[0][0]
    row = sql(data, "SELECT a.name, a.release_date, ar.id, ar.name FROM albums a JOIN artists ar ON ar.id = a.artist_id"
                    " WHERE a.id = '%s'" % al)[0]
    album_songs = [r[0] for r in sql(data, "SELECT id FROM tracks WHERE album_id = '%s' ORDER BY disc_number,"
                                           " track_number" % al)]
    first = next(r for r in tracks if r[0] == album_songs[0])
    names = [r[0] for r in sql(data, "SELECT DISTINCT a.name FROM albums a JOIN tracks t ON t.album_id = a.id"
                                     " WHERE t.markets IS NULL OR t.markets = '' OR ',' || t.markets || ',' LIKE '%,US,%'")]
    genre = sql(data, "SELECT genre FROM tracks WHERE album_id = '%s' AND genre != '' LIMIT 1" % al)[0][0]
    phase(srv, "browse", key, {
        "albumId": al, "albumName": row[0], "year": int(row[1][:4]), "artistId": row[2], "artistName": row[3],
        "albumSongs": album_songs, "songTitle": first[1], "songMs": first[4], "albumNames": names, "genre": genre,
        "playable": playable_us, "starredAlbums": star["albums"]})
    phase(srv, "unstar", key, star)
    r = srv.get("/v1/me/tracks/contains?ids=" + ",".join(star["songs"] + [star["webSaved"]]), token=tok)
    t.eq(r.json(), [False, False, False, True], "unstarred songs are no longer saved on the Web API")

    # --- scrobble: counted once, as /v1/segue/events counts
    song, more, now_playing = playable_us[0], playable_us[1:3], playable_us[3]
    before = {x: plays(x) for x in [song] + more + [now_playing, blocked_us]}
    when = int(time.time() * 1000) - 600000
    phase(srv, "scrobble", key, {"song": song, "songs": more, "time": when, "time2": when + 300000,
                                 "nowPlaying": now_playing, "missing": MISSING, "blocked": blocked_us,
                                 "otherKey": other_key})
    t.eq(plays(song) - before[song], 1, "a submission sent twice counts one play")
    t.eq([plays(x) - before[x] for x in more], [1, 1], "each song of a several-song submission counts one play")
    t.eq(plays(now_playing) - before[now_playing], 0, "now playing (submission=false) counts no play")
    t.eq(plays(blocked_us) - before[blocked_us], 0, "a market-blocked song counts no play")
    r = srv.get("/v1/me/player/recently-played?limit=50", token=tok)
    got = [(i["track"]["id"]) for i in (r.json() or {}).get("items", [])]
    t.eq(sorted(got), sorted([song] + more), "recently played over the Web API has the scrobbled songs, once each")
    r = srv.request("POST", "/v1/segue/events", {"events": [{
        "id": "subsonic:%s:%d" % (song, when), "track_id": song, "started_at": when,
        "ms_played": 200000, "reason_end": "track_done"}]}, token=tok)
    t.ok(r.status == 200, "the events endpoint still takes events beside scrobbles", r)

    # --- playlists
    r = srv.request("POST", "/v1/users/premium-us/playlists", {"name": "Web made", "public": True}, token=tok)
    web_pl = (r.json() or {}).get("id", "")
    t.eq(r.status, 201, "a playlist is made over the Web API")
    r = srv.request("POST", "/v1/users/premium-us/playlists", {"name": "Secret", "public": False}, token=tok)
    private_pl = (r.json() or {}).get("id", "")
    pls = {"songs": playable_us[:4], "extra": playable_us[4], "webPlaylist": web_pl, "missing": MISSING}
    notes = phase(srv, "playlists", key, pls)
    made = notes.get("playlist", {}).get("id", "")
    r = srv.get("/v1/playlists/%s" % made, token=tok)
    doc = r.json() or {}
    t.ok(r.status == 200 and doc.get("name") == "Phone mix 2" and doc.get("description") == "for the bus" and
         doc.get("public") is False and [i["track"]["id"] for i in doc["tracks"]["items"]] == [pls["extra"]],
         "the Subsonic playlist is the Web API's, with its name, comment and songs", doc)
    same_in_xml(srv, key, "getPlaylist", [("id", made)])
    same_in_xml(srv, key, "getPlaylists")
    phase(srv, "otherUser", key, {"otherKey": other_key, "privatePlaylist": private_pl,
                                  "publicPlaylist": web_pl, "extra": pls["extra"]})
    phase(srv, "deletePlaylist", key, {"playlist": made})
    t.eq(srv.get("/v1/playlists/%s" % made, token=tok).status, 404, "the deleted playlist is gone from the Web API")

    # --- the play queue is Connect's
    phase(srv, "queueEmpty", key)
    term = FakeDevice(srv.port, tok, "terminal", "Terminal").connect()
    queue = playable_us[:5]
    term.play_locally(queue, index=2, position_ms=4000)   # it plays: it is the active device
    term.wait(lambda x: x.get("type") == "player", timeout=5)
    _, env, _ = subsonic_util.call(srv, "getNowPlaying", [("apiKey", key)])
    t.ok(any(x.get("id") == queue[2] and x.get("playerName") == "Terminal" and x.get("playerId") == 1
             for x in ((env or {}).get("nowPlaying") or {}).get("entry", [])),
         "getNowPlaying has what the terminal plays", env)
    term._set_playing(False)                               # and pauses at 4.2 s
    term._set_pos(4200)
    term.report()
    wait_for(lambda: (srv.get("/v1/me/player", token=tok).json() or {}).get("progress_ms") == 4200, 3)
    phase(srv, "queueRead", key, {"current": queue[2], "entries": queue, "minPosition": 4200,
                                  "maxPosition": 4200, "changedBy": "Terminal"})
    m = term.mark()
    saved = playable_us[1:5]
    phase(srv, "queueSave", key, {"entries": saved, "current": saved[1], "position": 6500, "missing": MISSING})
    got = term.wait(lambda x: x.get("type") == "player" and (x.get("queue") or {}).get("tracks") == saved,
                    timeout=5, since=m)
    t.ok(got and got["queue"].get("current") == saved[1] and got["player"].get("progress_ms") == 6500 and
         got["player"].get("is_playing") is False,
         "a saved play queue reaches the terminal over Connect, paused at its position", got)
    t.ok(any(c.get("command") == "stop" for c in term.commands(since=m)),
         "the terminal that was playing is told to stop: the phone has taken over")
    same_in_xml(srv, key, "getPlayQueue")
    r = srv.get("/v1/me/player", token=tok)
    doc = r.json() or {}
    t.ok(r.status == 200 and (doc.get("item") or {}).get("id") == saved[1] and doc.get("progress_ms") == 6500,
         "GET /v1/me/player is at the saved song and position", r)
    # The terminal takes it over as it would any device's: a transfer hands it the saved queue.
    r = srv.request("PUT", "/v1/me/player", {"device_ids": ["terminal"], "play": False}, token=tok)
    t.eq(r.status, 204, "the terminal takes the saved queue over with a transfer")
    t.ok(term.queue.get("tracks") == saved and term.queue.get("current") == saved[1] and
         abs(term.position() - 6500) < 1000, "the terminal is at the phone's song and position", term.queue)
    term.close()

    # --- stream and download (the transcode branch's), where this build serves them
    _, env, _ = subsonic_util.call(srv, "stream", [("apiKey", key), ("id", playable_us[0])])
    if env and subsonic_util.error_code(env) == 70 and "no such endpoint" in str(env):
        t.n += 1
        print("ok %d - media: stream and download # SKIP this build does not serve stream yet (the"
              " transcode branch)" % t.n, flush=True)
    else:
        sizes = sql(data, "SELECT bytes_high, bytes_very_high FROM tracks WHERE id = '%s'" % playable_us[0])[0]
        phase(srv, "media", key, {"song": playable_us[0], "blocked": blocked_us, "freeKey": other_key,
                                  "bytesHigh": sizes[0], "bytesVeryHigh": sizes[1]})

    # --- bad input: a clear error, nothing changed
    def refused(name, pairs, code, what, post=False):
        _, env, _ = subsonic_util.call(srv, name, [("apiKey", key)] + pairs, post=post)
        msg = (env or {}).get("error", {}).get("message", "")
        t.ok(subsonic_util.error_code(env) == code and msg, "%s: error %d with a message (%s)" % (what, code, msg), env)

    before_saved = srv.get("/v1/me/tracks?limit=50", token=tok).json()["total"]
    # As a form: a query holds at most 32 parameters (http/).
    refused("star", [("id", playable_us[0])] * 101, 0, "star with 101 song ids", post=True)
    t.eq(srv.get("/v1/me/tracks?limit=50", token=tok).json()["total"], before_saved, "and nothing was starred")
    refused("star", [("id", "not an id")], 70, "star with a malformed id")
    refused("getPlaylist", [("id", "a" + "\u00e9" * 40)], 70, "getPlaylist of a long id of two-byte characters")
    refused("scrobble", [("id", playable_us[0]), ("time", str(int(time.time() * 1000) + 3 * 86400000))], 0,
            "scrobble a time days ahead")
    refused("scrobble", [("id", x) for x in playable_us[:3]] + [("time", "1"), ("time", "2")], 0,
            "scrobble three ids with two times")
    refused("scrobble", [("id", playable_us[0]), ("submission", "maybe")], 0, "scrobble submission=maybe")
    refused("createPlaylist", [("name", "x" * 201)], 0, "createPlaylist with a 201-character name")
    refused("createPlaylist", [("name", "")], 0, "createPlaylist with an empty name")
    _, env, _ = subsonic_util.call(srv, "createPlaylist", [("apiKey", key), ("name", "edits")])
    pl = ((env or {}).get("playlist") or {}).get("id", "")
    refused("updatePlaylist", [("playlistId", pl), ("songIndexToRemove", "first")], 0,
            "updatePlaylist songIndexToRemove=first")
    refused("updatePlaylist", [("playlistId", pl), ("songIdToAdd", MISSING)], 70, "updatePlaylist adding an unknown song")
    refused("updatePlaylist", [("songIdToAdd", playable_us[0])], 10, "updatePlaylist without playlistId")
    refused("savePlayQueue", [("id", playable_us[0]), ("current", playable_us[0]), ("position", "-1")], 0,
            "savePlayQueue at position -1")
    refused("savePlayQueue", [("id", playable_us[0])], 10, "savePlayQueue without current")
    refused("getPlaylists", [("username", "free-us")], 50, "getPlaylists of another user")

    # --- a revoked key is refused
    r = srv.request("DELETE", "/v1/segue/api-keys/%s" % key_id, token=tok)
    t.eq(r.status, 204, "the API key is revoked over REST")
    phase(srv, "revoked", key)

t.done()
