#!/usr/bin/env python3
"""Two servers on one PostgreSQL database follow one search change log, each from its own
base: a server that builds a new base (here the second, starting) must not trim from the log
the changes the other's delta is read from. The first server keeps finding a track by the name
it was renamed to before the second started, after a later change makes it build its delta
again. Runs on PostgreSQL whatever the run's engine (SKIPs without it)."""

import time
import urllib.parse

import pgcluster
import segue_test as st
from segue_test import TAP

t = TAP()
pgcluster.skip_if(pgcluster.unavailable())

cl = st.cluster()
data_a = st.catalog_copy()
url = st.database_url(data_a) if st.POSTGRES else cl.database(data_a, seeded=True)
data_b = st.catalog_copy()  # its own keys and logs, and the same database:
cl.share(data_b, data_a)
extra = [] if st.POSTGRES else ["--database", url]  # under SEGUE_TEST_DATABASE, Server adds it
db = cl.connect(cl.dbname(data_a))
db.autocommit = True
cur = db.cursor()
cur.execute("SELECT id FROM tracks WHERE available = 1 AND (markets IS NULL"
            " OR ',' || markets || ',' LIKE '%,US,%') ORDER BY id LIMIT 2")
x, y = [r[0] for r in cur.fetchall()]


def finds(srv, tok, q, tid):
    r = srv.get("/v1/search?" + urllib.parse.urlencode({"q": q, "type": "track"}), token=tok)
    return r.status == 200 and tid in [i["id"] for i in (r.json() or {}).get("tracks", {}).get("items", [])]


def ready(srv, tok):
    return st.wait_for(lambda: srv.get("/v1/search?q=x&type=track", token=tok).status != 503, timeout=60)


settings = {"rl_search": 100000, "rl_standard": 100000}
a = st.Server(data_a, settings, args=extra).start()
b = st.Server(data_b, settings, args=extra)
try:
    tok_a = a.login("premium-us")
    t.ok(ready(a, tok_a), "the first server's index is built")
    cur.execute("UPDATE tracks SET name = 'Zanzibar Quokka' WHERE id = %s", (x,))
    t.ok(st.wait_for(lambda: finds(a, tok_a, "zanzibar quokka", x), timeout=30),
         "the first server finds a renamed track by its new name (its delta)")

    b.start()
    tok_b = b.login("premium-us")
    t.ok(ready(b, tok_b) and st.wait_for(lambda: finds(b, tok_b, "zanzibar quokka", x), timeout=30),
         "a second server on the same database finds it too (its base)")
    time.sleep(0.5)  # the second's trim, if any, is done after its base is published

    cur.execute("UPDATE tracks SET name = 'Quixotic Walrus' WHERE id = %s", (y,))
    t.ok(st.wait_for(lambda: finds(a, tok_a, "quixotic walrus", y), timeout=30),
         "the first server takes in a later rename (its delta built again from its base)")
    t.ok(finds(a, tok_a, "zanzibar quokka", x),
         "and still finds the first rename: the second server's new base trimmed none of the log"
         " the first reads its delta from")
    cur.execute("SELECT count(*) FROM search_changes WHERE id = %s", (x,))
    t.ok(cur.fetchone()[0] >= 1, "the first rename is still in the change log")
finally:
    b.stop()
    a.stop()
    db.close()
t.done()
