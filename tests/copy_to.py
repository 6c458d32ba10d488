"""segue-server copy-to: a server's SQLite database moved into PostgreSQL as a user would --
listen and make playlists on SQLite, copy, serve the same data directory on PostgreSQL -- and
the server answers the same, keeps taking writes (the rowid sequences moved past the copied
rows), and a second copy into the now full database is refused without a write."""

import os
import re
import time
import uuid

import pgcluster
from segue_test import (TAP, Server, _catalog_root, catalog_copy, run, SERVER_BIN, sql)

t = TAP()
pgcluster.skip_if(pgcluster.unavailable())

data = catalog_copy()
tracks = [r[0] for r in sql(data, "SELECT id FROM tracks ORDER BY id")]
now = int(time.time() * 1000)
READS = ["/v1/me/playlists", "/v1/me/tracks", "/v1/me/albums", "/v1/me/player/recently-played",
         "/v1/me/following?type=artist", "/v1/tracks/%s" % tracks[0], "/v1/me"]


def same(v):
    """An answer without what differs by nature between two runs of a server: its own
    address, and popularity, which the new server works out again from the plays."""
    if isinstance(v, dict):
        return {k: same(x) for k, x in v.items() if k != "popularity"}
    if isinstance(v, list):
        return [same(x) for x in v]
    if isinstance(v, str):
        return re.sub(r"^http://127\.0\.0\.1:\d+", "BASE", v)
    return v


def answers(srv, tok, pid):
    out = {}
    for path in READS + ["/v1/playlists/%s" % pid, "/v1/playlists/%s/tracks" % pid]:
        r = srv.get(path, token=tok)
        out[path] = (r.status, same(r.json()))
    return out


with Server(data) as srv:
    tok = srv.login("premium-us")
    r = srv.request("POST", "/v1/users/premium-us/playlists", body={"name": "Moving day"}, token=tok)
    pid = (r.json() or {}).get("id")
    t.ok(r.status in (200, 201) and pid, "a playlist on SQLite", r)
    srv.request("POST", "/v1/playlists/%s/tracks" % pid,
                body={"uris": ["segue:track:" + x for x in tracks[:4]]}, token=tok)
    srv.request("PUT", "/v1/me/tracks?ids=" + ",".join(tracks[1:3]), token=tok)
    events = [{"id": str(uuid.uuid4()), "track_id": x, "started_at": now - 600000 + i * 60000,
               "ms_played": 45000, "reason_end": "track_done"} for i, x in enumerate(tracks[:3])]
    r = srv.request("POST", "/v1/segue/events", body={"events": events}, token=tok)
    t.eq(r.status, 200, "plays on SQLite")
    before = answers(srv, tok, pid)
    r = srv.get("/v1/segue/playback/%s?quality=low" % tracks[0], token=tok)
    link = ((r.json() or {}).get("urls") or {}).get("low")
    t.ok(r.status == 200 and link, "a signed link on SQLite", r)

cluster = pgcluster.Cluster().start(_catalog_root())
url = cluster.database(os.path.join(data, "pg"))

p = run([SERVER_BIN, "copy-to", "not-a-url", "--data-dir", data])
t.eq(p.returncode, 2, "copy-to without a postgresql:// URL is a usage error")

p = run([SERVER_BIN, "copy-to", url, "--data-dir", data])
t.eq(p.returncode, 0, "copy-to succeeds", p.stderr.decode(errors="replace"))
err = p.stderr.decode(errors="replace")
t.ok("playlists" in err and "copied" in err, "it says what it copied, table by table", err)
conn = cluster.connect(cluster.dbname(os.path.join(data, "pg")))
cur = conn.cursor()
for name in ("signing.keys",):
    cur.execute("SELECT body FROM server_secrets WHERE name = %s", (name,))
    row = cur.fetchone()
    with open(os.path.join(data, name)) as f:
        t.ok(row is not None and row[0] == f.read(), "the key file %s is a row of PostgreSQL's now" % name)
conn.close()

with Server(data, args=("--database", url)) as srv:
    tok = srv.login("premium-us")  # the password's hash came along
    after = answers(srv, tok, pid)
    for path in before:
        t.ok(after[path] == before[path], "the same answer on PostgreSQL: " + path,
             "SQLite: %.600s\nPostgreSQL: %.600s" % (before[path], after[path]))
    # The keys went into the database: a link signed before the move streams from it.
    r = srv.get(link[len(srv.base):] if link.startswith(srv.base) else
                re.sub(r"^http://[^/]+", "", link), headers={"Range": "bytes=0-99"})
    t.eq(r.status, 206, "a link signed on SQLite before the move streams on PostgreSQL")
    # New rows after the copied ones: plays carry a rowid identity on PostgreSQL.
    more = [{"id": str(uuid.uuid4()), "track_id": tracks[4], "started_at": now - 30000,
             "ms_played": 40000, "reason_end": "track_done"}]
    r = srv.request("POST", "/v1/segue/events", body={"events": more}, token=tok)
    t.ok(r.status == 200 and (r.json() or {}).get("accepted") == 1, "a new play is taken", r)
    r = srv.request("POST", "/v1/segue/events", body={"events": events}, token=tok)
    t.ok(r.status == 200 and (r.json() or {}).get("accepted") == 0,
         "the copied plays' event ids still count once", r)
    r = srv.request("POST", "/v1/users/premium-us/playlists", body={"name": "After"}, token=tok)
    t.ok(r.status in (200, 201), "a new playlist on PostgreSQL", r)
    n_before = len(srv.get("/v1/me/playlists", token=tok).json()["items"])

p = run([SERVER_BIN, "copy-to", url, "--data-dir", data])
t.eq(p.returncode, 5, "a second copy into a database that holds data is refused")
t.ok("nothing was copied" in p.stderr.decode(errors="replace"), "and says nothing was copied",
     p.stderr.decode(errors="replace"))
with Server(data, args=("--database", url)) as srv:
    tok = srv.login("premium-us")
    t.eq(len(srv.get("/v1/me/playlists", token=tok).json()["items"]), n_before,
         "the refused copy wrote nothing")

missing = catalog_copy()
os.unlink(os.path.join(missing, "segue.db"))
p = run([SERVER_BIN, "copy-to", cluster.database(os.path.join(missing, "pg")), "--data-dir", missing])
t.ok(p.returncode == 3 and "segue.db" in p.stderr.decode(errors="replace"),
     "copy-to from a data directory without a database says so", p.stderr.decode(errors="replace"))
t.done()
