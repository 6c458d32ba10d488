"""The metadata-only generator for scale tests: deterministic, and its catalog is served."""

import hashlib
import os

from segue_test import TAP, Server, add_user, run, sql, tmpdir, SERVER_BIN, SRCDIR

t = TAP()
gen = os.path.join(SRCDIR, "data", "gen-meta")
a, b = tmpdir(), tmpdir()
for d in (a, b):
    p = run(["python3", gen, "--tracks", "2000", "--seed", "5", "--server", SERVER_BIN, d])
    t.eq(p.returncode, 0, "gen-meta runs", p.stderr.decode())
dump = lambda d: hashlib.sha256(repr(sql(d, "SELECT * FROM tracks ORDER BY id")).encode()).hexdigest()
t.eq(dump(a), dump(b), "the same seed gives the same catalog")
t.eq(sql(a, "SELECT count(*) FROM tracks")[0][0], 2000, "2000 tracks")
t.ok(sql(a, "SELECT count(*) FROM albums")[0][0] >= 24 and sql(a, "SELECT count(*) FROM artists")[0][0] >= 12,
     "with albums and artists")
t.ok(0 < sql(a, "SELECT count(*) FROM tracks WHERE markets IS NOT NULL")[0][0] < 2000, "some market restrictions")
top = sql(a, "SELECT max(play_count), avg(play_count) FROM tracks")[0]
t.ok(top[0] > 20 * top[1], "play counts are heavy-tailed (max %d, mean %.1f)" % top)
add_user(a, "scale", premium=True)
tid = sql(a, "SELECT id FROM tracks ORDER BY play_count DESC LIMIT 1")[0][0]
with Server(a) as srv:
    tok = srv.login("scale")
    r = srv.get("/v1/tracks/%s" % tid, token=tok)
    t.ok(r.status == 200 and r.json()["id"] == tid, "its tracks are served")
    r = srv.get("/v1/segue/playback/%s" % tid, token=tok)
    url = (r.json() or {}).get("urls", {}).get("high", "")
    t.eq(srv.get(url[url.index("/audio"):]).status if url else 0, 404, "and have no audio (404)")
t.done()
