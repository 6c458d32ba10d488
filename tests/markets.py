#!/usr/bin/env python3
"""GET /v1/markets reads every track's markets (a third of a second at 1,000,000 tracks): on a
worker, never on the service loop. On PostgreSQL the tracks table is locked by another
session while the first /v1/markets waits for it: the loop must answer other requests
meanwhile (tests/pg/markets.pg runs this file there). On SQLite, whose readers a lock cannot
hold this way, the answers and their caching are checked."""
import threading
import time

from segue_test import POSTGRES, TAP, Server, catalog_copy, cluster, db_connect, wait_for

t = TAP()
data = catalog_copy()

with Server(data) as srv:
    tok = srv.login("premium-us")

    if POSTGRES:
        lock = cluster().connect(cluster().dbname(data))
        lock.cursor().execute("LOCK TABLE tracks IN ACCESS EXCLUSIVE MODE")
        got = {}

        def ask():
            got["r"] = srv.get("/v1/markets", token=tok, timeout=60)

        asker = threading.Thread(target=ask)
        asker.start()
        time.sleep(0.5)
        t.ok(asker.is_alive(), "the first /v1/markets waits for the locked tracks table")
        # (not /healthz: it counts the tracks, and would wait for the lock itself)
        t0 = time.monotonic()
        try:
            me = srv.get("/v1/me", token=tok, timeout=5).status
        except OSError as e:
            me = "no answer: %s" % e
        took = time.monotonic() - t0
        t.eq(me, 200, "meanwhile the loop answers another request (GET /v1/me)")
        t.ok(took < 2, "at once (%.3f s), not after the catalog is read" % took)
        lock.rollback()
        lock.close()
        asker.join(30)
        r = got.get("r")
        t.ok(r is not None and r.status == 200 and "US" in (r.json() or {}).get("markets", []),
             "once the lock goes, /v1/markets answers", r and (r.status, r.body[:200]))
    else:
        t.diag("the lock check needs PostgreSQL: tests/pg/markets.pg runs it")

    first = srv.get("/v1/markets", token=tok)
    markets = (first.json() or {}).get("markets", [])
    t.eq(first.status, 200, "GET /v1/markets", first)
    t.ok("US" in markets and markets == sorted(markets) and "AQ" not in markets,
         "the server's markets, sorted", markets)
    t.eq(srv.get("/v1/markets", token=tok).json(), first.json(), "the same answer again (kept)")

    db = db_connect(data)
    tid = db.execute("SELECT id FROM tracks WHERE available <> 0 LIMIT 1").fetchone()[0]
    db.execute("UPDATE tracks SET markets = 'AQ,US' WHERE id = ?", (tid,))
    db.execute("INSERT INTO meta (key, value) VALUES ('tracks_version', 1)"
               " ON CONFLICT (key) DO UPDATE SET value = meta.value + 1")
    db.commit()
    db.close()
    t.ok(wait_for(lambda: "AQ" in (srv.get("/v1/markets", token=tok).json() or {}).get("markets", []), 5),
         "a market a track names appears once the tracks version moves")
    r = srv.get("/v1/markets")
    t.eq(r.status, 401, "without a token: 401")
    t.eq(srv.get("/healthz").status, 200, "the server is well")

t.done()
