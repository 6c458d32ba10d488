"""The Web API as a real client library calls it: spotify-web-api-node 5.0.2 (npm), unchanged,
pointed at segue-server (tests/npm/spotify/drive.js), over every endpoint Segue implements that
the library has a method for -- the catalog, search, the library (a bare JSON array for albums,
{"ids": [...]} for tracks), top items from plays, playlists with spotify: URIs, the player with
a Connect device, and the refusals (bad ids 400, unknown ids 404, no token 401). scripts/deps
installs the library (npm ci --prefix tests/npm/spotify)."""

import base64
import json
import os
import shutil
import sqlite3
import subprocess
import time

from segue_test import SRCDIR, TAP, Server, catalog_copy, run, sql, tmpdir, wait_for
from ws_device import FakeDevice

t = TAP()
NPM_DIR = os.path.abspath(os.path.join(SRCDIR, "tests", "npm", "spotify"))
DRIVER = os.path.join(NPM_DIR, "drive.js")
UNKNOWN = "0" * 22
DAY = 86400 * 1000

if not shutil.which("node") or not os.path.isdir(os.path.join(NPM_DIR, "node_modules", "spotify-web-api-node")):
    t.bail("node and spotify-web-api-node are needed: run scripts/deps (npm ci --prefix tests/npm/spotify)")

data = catalog_copy()
us = [r for r in sql(data, "SELECT id, album_id, artist_id, name, coalesce(markets, '') FROM tracks"
                           " WHERE available ORDER BY id")
      if not r[4] or "US" in r[4].split(",")]
albums = [r[0] for r in sql(data, "SELECT id FROM albums ORDER BY id")]
artists = [r[0] for r in sql(data, "SELECT id FROM artists ORDER BY id")]
artist_name = dict(sql(data, "SELECT id, name FROM artists"))
album_name = dict(sql(data, "SELECT id, name FROM albums"))
newest = sql(data, "SELECT al.id FROM albums al WHERE EXISTS (SELECT 1 FROM tracks t WHERE t.album_id = al.id"
                   " AND t.available) ORDER BY al.release_date DESC, al.id LIMIT 1")[0][0]
t.ok(len(us) >= 4 and len(albums) >= 2 and len(artists) >= 2, "the catalog has what the driver needs",
     (len(us), len(albums), len(artists)))
tracks = [{"id": r[0], "album": r[1], "artist": r[2]} for r in us[:4]]
lead = tracks[0]["artist"]
jpeg = os.path.join(tmpdir(), "cover.jpg")
run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=orange:s=64x64", "-frames:v", "1",
     "-f", "image2", "-c:v", "mjpeg", jpeg], check=True)

# Plays for top items: t0 three times and t1 once in the last days (t1 the latest), t2 five
# times two months ago, t3 four times ten months ago.
now = int(time.time() * 1000)
plays = [(0, now - 3 * DAY), (0, now - 2 * DAY), (0, now - DAY), (1, now - DAY // 2)]
plays += [(2, now - 60 * DAY + k * 1000) for k in range(5)] + [(3, now - 300 * DAY + k * 1000) for k in range(4)]
events = [{"id": "ev-%d" % i, "track_uri": "spotify:track:" + tracks[k]["id"], "started_at": at,
           "ms_played": 60000 + i, "reason_end": "track_done", "context_uri": "spotify:album:" + tracks[k]["album"]}
          for i, (k, at) in enumerate(plays)]


def top_of(since, by_artist=False):
    """The order the Web API's top items must have: most plays, most listened, latest, id."""
    agg = {}
    for e, (k, at) in zip(events, plays):
        if at <= since:
            continue
        key = tracks[k]["artist"] if by_artist else tracks[k]["id"]
        n, ms, last = agg.get(key, (0, 0, 0))
        agg[key] = (n + 1, ms + e["ms_played"], max(last, at))
    return [k for k, v in sorted(agg.items(), key=lambda kv: (-kv[1][0], -kv[1][1], -kv[1][2], kv[0]))]


def drive(srv, part, token, fixture):
    env = dict(os.environ, SEGUE_PORT=str(srv.port), SEGUE_TOKEN=token, SEGUE_FIXTURE=json.dumps(fixture))
    try:
        p = subprocess.run(["node", DRIVER, part], cwd=NPM_DIR, env=env, capture_output=True, timeout=120)
    except subprocess.TimeoutExpired:
        t.ok(False, "%s: the driver finished within 120 s" % part)
        return
    lines = [json.loads(l) for l in p.stdout.decode().splitlines() if l.startswith("{")]
    for l in lines:
        t.ok(l["ok"], "%s: %s" % (part, l["name"]), l.get("detail"))
    t.ok(p.returncode == 0 and lines, "%s: the driver ran to its end" % part, p.stderr.decode()[-2000:])


with Server(data, {"rl_standard": 1000000, "rl_player": 1000000, "rl_playlist": 1000000, "rl_search": 1000000}) as srv:
    tok = srv.login("premium-us")
    other = srv.login("premium-jp")
    r = srv.request("POST", "/v1/segue/events", body={"events": events}, token=tok)
    t.eq((r.json() or {}).get("accepted"), len(events), "play events with spotify: track and context URIs are taken")
    hist = srv.get("/v1/me/player/recently-played?limit=1", token=tok).json()
    t.eq(((hist.get("items") or [{}])[0].get("context") or {}).get("uri"), "segue:album:" + tracks[1]["album"],
         "a spotify: context is kept in Segue's form")
    r = srv.request("POST", "/v1/users/premium-jp/playlists", body={"name": "Shared", "public": True}, token=other)
    other_playlist = (r.json() or {}).get("id")
    srv.request("POST", "/v1/users/premium-jp/playlists", body={"name": "Private", "public": False}, token=other)
    own_playlist = (srv.request("POST", "/v1/users/premium-us/playlists", body={"name": "Mine"}, token=tok).json() or {}).get("id")
    # The first model is built seconds after a start; related artists need it.
    t.ok(wait_for(lambda: srv.get("/v1/artists/%s/related-artists" % lead, token=tok).status == 200, timeout=30),
         "the recommender's first model is up")
    with open(jpeg, "rb") as f:
        jpeg_b64 = base64.b64encode(f.read()).decode()
    search_word = max(sql(data, "SELECT name FROM tracks WHERE id = '%s'" % tracks[0]["id"])[0][0].split(), key=len)
    fixture = {
        "user": "premium-us", "other_user": "premium-jp", "other_playlist": other_playlist, "own_playlist": own_playlist,
        "tracks": tracks, "albums": [tracks[0]["album"]] + [a for a in albums if a != tracks[0]["album"]][:1] + [UNKNOWN],
        "artists": [lead] + [a for a in artists if a != lead][:1] + [UNKNOWN], "unknown": UNKNOWN,
        "search": search_word, "search_album": album_name[tracks[0]["album"]], "search_artist": artist_name[lead],
        "album_count": int(sql(data, "SELECT count(*) FROM albums al WHERE EXISTS (SELECT 1 FROM tracks t"
                                     " WHERE t.album_id = al.id AND t.available)")[0][0]),
        "newest_album": newest, "jpeg_base64": jpeg_b64, "device": "dev-spotify",
        "top": {"short": top_of(now - 28 * DAY), "medium": top_of(now - 183 * DAY), "long": top_of(0),
                "artists_long": top_of(0, True), "latest": tracks[1]["id"]},
    }
    t.ok(fixture["top"]["short"] != fixture["top"]["medium"] != fixture["top"]["long"],
         "the three time ranges differ", fixture["top"])

    for part in ("catalog", "library", "personal", "playlists"):
        drive(srv, part, tok, fixture)

    # The cover the library uploaded (202: it is stored off the service loop) is the
    # playlist's image now; the library has no method to read it back.
    mine = srv.get("/v1/me/playlists?limit=50", token=tok).json() or {}
    road = next((p["id"] for p in mine.get("items", []) if p["name"] == "Road trip II"), None)
    images = lambda: (srv.get("/v1/playlists/%s/images" % road, token=tok).json() or []) if road else []
    t.ok(wait_for(lambda: len(images()) > 0, timeout=10), "GET /images: the uploaded cover", images())
    t.ok(all(i.get("url", "").startswith(srv.base + "/images/") and i.get("width") for i in images()),
         "... image objects with their urls and sizes", images())

    # The reference's newer /items door to the same playlist items, "items" in its DELETE body.
    items_path = "/v1/playlists/%s/items" % own_playlist
    r = srv.request("POST", items_path, body={"uris": ["spotify:track:" + tracks[0]["id"], "spotify:track:" + tracks[1]["id"]]},
                    token=tok)
    t.eq(r.status, 201, "POST /items with spotify: URIs")
    r = srv.request("DELETE", items_path, body={"items": [{"uri": "spotify:track:" + tracks[0]["id"]}]}, token=tok)
    t.eq(r.status, 200, "DELETE /items with {\"items\": [...]}")
    r = srv.get(items_path, token=tok)
    t.eq([x["track"]["uri"] for x in (r.json() or {}).get("items", [])], ["segue:track:" + tracks[1]["id"]],
         "GET /items: what is left, in Segue's form")

    dev = FakeDevice(srv.port, tok, "dev-spotify", "Spotify client test").connect()
    mark = dev.mark()
    drive(srv, "player", tok, fixture)
    plays_sent = dev.commands(mark, "play")
    t.eq([c.get("uris") for c in plays_sent][:1], [["segue:track:" + tracks[0]["id"], "segue:track:" + tracks[1]["id"]]],
         "the device is sent the play's URIs in Segue's form")
    t.eq(((plays_sent[0].get("offset") or {}) if plays_sent else {}).get("uri"), "segue:track:" + tracks[1]["id"],
         "... and its offset's")
    t.eq([c.get("context_uri") for c in plays_sent][1:2], ["segue:album:" + tracks[0]["album"]],
         "a spotify: context reaches the device as segue:")
    t.eq([c.get("uri") for c in dev.commands(mark, "queue_add")], ["segue:track:" + tracks[2]["id"]],
         "a queued spotify: URI reaches the device as segue:")
    dev.close()

    # /v1/markets is kept between requests (it reads every track) until the tracks version
    # moves, as ingest moves it when it files a track that names a market of its own.
    before = (srv.get("/v1/markets", token=tok).json() or {}).get("markets", [])
    t.ok("AQ" not in before and "US" in before, "GET /v1/markets: the server's markets", before)
    db = sqlite3.connect(os.path.join(data, "segue.db"), timeout=10)
    with db:
        db.execute("UPDATE tracks SET markets = 'AQ,US' WHERE id = ?", (tracks[3]["id"],))
        db.execute("INSERT INTO meta (key, value) VALUES ('tracks_version', 1)"
                   " ON CONFLICT (key) DO UPDATE SET value = value + 1")
    db.close()
    after = (srv.get("/v1/markets", token=tok).json() or {}).get("markets", [])
    t.ok("AQ" in after and after == sorted(after), "... and a market a track names, once the track names it", after)

    drive(srv, "refusals", tok, fixture)

    # New releases count only albums with a track left: one whose every track is withdrawn
    # (its files left the library) is neither listed nor counted.
    gone = fixture["albums"][1]
    db = sqlite3.connect(os.path.join(data, "segue.db"), timeout=10)
    with db:
        db.execute("UPDATE tracks SET available = 0, withdrawn_at = 1 WHERE album_id = ?", (gone,))
    db.close()
    page = (srv.get("/v1/browse/new-releases?limit=50", token=tok).json() or {}).get("albums", {})
    t.ok(page.get("total") == fixture["album_count"] - 1 and gone not in [a["id"] for a in page.get("items", [])]
         and len(page.get("items", [])) == page.get("total"),
         "new releases leave out an album whose every track is withdrawn, in the list and the total", page)
t.done()
