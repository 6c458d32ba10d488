"""Play events: batches counted once however often they are retried, the 30-second rule,
validation that refuses a whole batch, recently-played with its cursors, and concurrency:
the same batch sent from several connections at once still counts once."""

import math
import threading
import time
import uuid

from segue_test import TAP, Server, catalog_copy, sql

t = TAP()
data = catalog_copy()
tracks = [r[0] for r in sql(data, "SELECT id FROM tracks ORDER BY id")]
now = int(time.time() * 1000)


def ev(track, started, ms, reason="track_done", ctx=None, eid=None):
    e = {"id": eid or str(uuid.uuid4()), "track_id": track, "started_at": started, "ms_played": ms,
         "reason_end": reason}
    if ctx:
        e["context_uri"] = ctx
    return e


def plays(tid):
    return sql(data, "SELECT play_count FROM tracks WHERE id = '%s'" % tid)[0][0]


album_of = {tid: (date, aid, disc, num) for tid, date, aid, disc, num in sql(
    data, "SELECT t.id, al.release_date, al.id, t.disc_number, t.track_number"
          " FROM tracks t JOIN albums al ON al.id = t.album_id")}


def release_order(ids):
    """True when ids run newest release first, each album in its disc and track order."""
    keys = [album_of[x] for x in ids]
    return all((a[0], a[1]) == (b[0], b[1]) and (a[2], a[3]) < (b[2], b[3]) or
               a[0] > b[0] or (a[0] == b[0] and a[1] < b[1]) for a, b in zip(keys, keys[1:]))


with Server(data, {"rl_standard": 100000, "rl_player": 100000, "popularity_interval": 1}) as srv:
    tok = srv.login("premium-us")
    # Home's popular shelf before anyone has listened: newest releases first, not id order.
    unplayed = sql(data, "SELECT count(*) FROM tracks WHERE play_count > 0 OR popularity > 0")[0][0]
    pop = [x["id"] for x in srv.get("/v1/segue/popular?limit=50", token=tok).json()["tracks"]]
    newest = max(v[0] for v in album_of.values())
    t.ok(unplayed == 0 and len(pop) >= 3 and release_order(pop) and album_of[pop[0]][0] == newest,
         "popular with no listening: newest release first, albums in track order",
         [album_of[x] for x in pop[:6]])
    batch = [ev(tracks[0], now - 300000, 45000, ctx="segue:album:0000000000000000000000"),
             ev(tracks[1], now - 200000, 5000, "skipped"),
             {"id": "e3", "track_uri": "segue:track:" + tracks[2], "started_at": now - 100000,
              "ms_played": 30000, "reason_end": "paused"}]
    before = [plays(x) for x in tracks[:3]]
    r = srv.request("POST", "/v1/segue/events", body={"events": batch}, token=tok)
    t.eq(r.status, 200, "a batch is accepted")
    t.eq((r.json() or {}).get("accepted"), 3, "all three events")
    t.eq([plays(x) - b for x, b in zip(tracks[:3], before)], [1, 0, 1],
         "plays of 30 s or more count, a 5 s skip does not")
    for i in range(3):
        r = srv.request("POST", "/v1/segue/events", body={"events": batch}, token=tok)
    t.eq((r.json() or {}).get("duplicates"), 3, "a retried batch is all duplicates")
    t.eq([plays(x) - b for x, b in zip(tracks[:3], before)], [1, 0, 1], "and counts nothing again")
    t.eq(sql(data, "SELECT count(*) FROM plays")[0][0], 3, "three plays stored once")

    # Another user's event ids are their own.
    other = srv.login("free-us")
    r = srv.request("POST", "/v1/segue/events", body={"events": [dict(batch[0])]}, token=other)
    t.eq((r.json() or {}).get("accepted"), 1, "the same event id from another user is another play")

    # Concurrent retries of one batch from many connections: still once.
    b2 = [ev(tracks[3], now - 50000, 60000) for _ in range(20)]
    base3 = plays(tracks[3])
    results = []

    def send():
        results.append(srv.request("POST", "/v1/segue/events", body={"events": b2}, token=tok).json())
    threads = [threading.Thread(target=send) for _ in range(8)]
    [th.start() for th in threads]
    [th.join() for th in threads]
    t.eq(sum(x["accepted"] for x in results), 20, "8 concurrent deliveries of 20 events accept 20 in all")
    t.eq(plays(tracks[3]) - base3, 20, "and the play count rises by exactly 20")

    # Validation: one bad event refuses the batch; nothing is stored.
    n0 = sql(data, "SELECT count(*) FROM plays")[0][0]
    for bad, why in ((dict(ev(tracks[0], now, 1000), ms_played=-5), "ms_played"),
                     (dict(ev(tracks[0], now, 1000), reason_end="bored"), "reason_end"),
                     (dict(ev(tracks[0], now + 10 * 86400000, 1000)), "started_at"),
                     (dict(ev(tracks[0], now, 1000), id=""), "id"),
                     (dict(ev(tracks[0], now, 1000), id="x" * 65), "id"),
                     (dict(ev("nope", now, 1000)), "track"),
                     (dict(ev(tracks[0], now, 1000), context_uri="http://evil"), "context_uri")):
        r = srv.request("POST", "/v1/segue/events", body={"events": [ev(tracks[0], now, 40000), bad]}, token=tok)
        t.ok(r.status == 400 and why in r.body.decode() and "events[1]" in r.body.decode(),
             "a bad %s refuses the batch and names the event" % why, r)
    t.eq(sql(data, "SELECT count(*) FROM plays")[0][0], n0, "nothing from refused batches was stored")
    r = srv.request("POST", "/v1/segue/events", body={"events": [ev(tracks[0], now, 1)] * 501}, token=tok)
    t.eq(r.status, 400, "more than 500 events is 400")
    r = srv.request("POST", "/v1/segue/events", body={"events": [ev("0000000000000000000000", now - 1000, 40000)]},
                    token=tok)
    t.ok(r.status == 200 and r.json()["rejected"][0]["reason"] == "unknown track",
         "an unknown track is rejected by itself, so the client can drop it")

    # One batch that names an event id twice (the first is the play kept), a track twice, an
    # id with a quote and a backslash, and an unknown track; then retries of it, whole and
    # with one new event. Each event is kept and counted once, whatever the engine.
    tid, tid2 = tracks[4], tracks[5]
    base = [plays(tid), plays(tid2)]
    same, odd = str(uuid.uuid4()), 'q"\\' + str(uuid.uuid4())
    b3 = [ev(tid, now - 600000, 40000, eid=same), ev(tid2, now - 540000, 40000, eid=same),
          ev(tid, now - 480000, 50000, eid=odd), ev("0000000000000000000000", now - 420000, 40000),
          ev(tid2, now - 360000, 1000, "skipped")]
    r = srv.request("POST", "/v1/segue/events", body={"events": b3}, token=tok)
    doc = r.json() or {}
    t.eq((r.status, doc.get("accepted"), doc.get("duplicates"), [x["index"] for x in doc.get("rejected", [])]),
         (200, 3, 1, [3]), "a batch repeating an event id: 3 kept, the repeat a duplicate, the unknown track rejected")
    t.eq([plays(tid) - base[0], plays(tid2) - base[1]], [2, 0],
         "its counted plays add to their tracks' counts, twice for a track played twice")
    t.eq(sql(data, "SELECT track_id FROM plays WHERE event_id = '%s'" % same), [(tid,)],
         "of two events with one id, the first in the batch is the one kept")
    t.eq(sql(data, "SELECT count(*) FROM plays WHERE event_id = '%s'" % odd.replace("'", "''"))[0][0], 1,
         "an event id with a quote and a backslash is kept as it came")
    r = srv.request("POST", "/v1/segue/events", body={"events": b3}, token=tok)
    doc = r.json() or {}
    t.eq((doc.get("accepted"), doc.get("duplicates"), len(doc.get("rejected", []))), (0, 4, 1),
         "the batch retried: all four known events are duplicates")
    fresh = ev(tid2, now - 330000, 45000)
    r = srv.request("POST", "/v1/segue/events", body={"events": [b3[1], fresh, b3[0], fresh]}, token=tok)
    doc = r.json() or {}
    t.eq((doc.get("accepted"), doc.get("duplicates")), (1, 3), "a retry with one new event (sent twice) keeps that one")
    t.eq([plays(tid) - base[0], plays(tid2) - base[1]], [2, 1], "and counts it alone")

    # Recently played: counted plays, newest first, with cursors.
    r = srv.get("/v1/me/player/recently-played?limit=2", token=tok)
    doc = r.json() or {}
    t.eq(r.status, 200, "recently-played")
    t.eq(len(doc.get("items", [])), 2, "a page of 2")
    t.ok(all(k in doc for k in ("href", "next", "cursors", "limit")), "in the cursor-paging shape")
    items = doc.get("items", [])
    t.ok(items and "played_at" in items[0] and items[0]["track"]["type"] == "track", "items carry track and played_at")
    t.ok(items[0]["played_at"] >= items[1]["played_at"], "newest first")
    nxt = doc.get("next")
    t.ok(nxt and "before=" in nxt, "a next link with before=")
    r2 = srv.get(nxt[nxt.index("/v1"):], token=tok).json()
    t.ok(r2 and r2["items"] and r2["items"][0]["played_at"] <= items[-1]["played_at"], "the next page is older")
    all_items = srv.get("/v1/me/player/recently-played?limit=50", token=tok).json()["items"]
    t.ok(all(i["track"]["id"] != tracks[1] for i in all_items), "the 5 s skip is not in recently played")
    ctx = [i["context"] for i in all_items if i["track"]["id"] == tracks[0] and i["context"]]
    t.ok(ctx and ctx[0]["type"] == "album" and ctx[0]["uri"].startswith("segue:album:"), "contexts are objects")
    after = int(doc["cursors"]["before"])
    r3 = srv.get("/v1/me/player/recently-played?after=%d" % after, token=tok).json()
    t.ok(r3 and all(i["played_at"] for i in r3["items"]), "after= pages forward")
    t.eq(srv.get("/v1/me/player/recently-played?after=1&before=2", token=tok).status, 400, "before and after together is 400")
    t.eq(srv.get("/v1/me/player/recently-played?before=abc", token=tok).status, 400, "a malformed cursor is 400")

    # The server's most played tracks (Home's shelf before recommendations).
    pop = srv.get("/v1/segue/popular?limit=3", token=tok)
    pl = [x["id"] for x in (pop.json() or {}).get("tracks", [])]
    counts = [plays(x) for x in pl]
    t.ok(pop.status == 200 and len(pl) == 3 and counts == sorted(counts, reverse=True) and counts[0] > 0,
         "popular: the most played tracks first", (pl, counts))
    t.ok(tracks[0] in pl, "the track played most is among them")
    pop = [x["id"] for x in srv.get("/v1/segue/popular?limit=50", token=tok).json()["tracks"]]
    played = [x for x in pop if plays(x) > 0]
    t.ok(played and pop[:len(played)] == played and release_order(pop[len(played):]),
         "popular: the played tracks, then the rest newest release first", [plays(x) for x in pop[:8]])
    t.eq(srv.get("/v1/segue/popular?limit=0", token=tok).status, 400, "popular: a limit of 0 is 400")

    # Popularity, refreshed in the background (every second here) for every played track in
    # one statement a batch: the score of catalog/popularity.c (the log of the lifetime count
    # halved, plus the recent counted plays, each minutes old and so weighing ~1), scaled so the
    # top track has 100. Within 1 of it: the plays age while the test reads them.
    def expected():
        counted = dict(sql(data, "SELECT track_id, count(*) FROM plays WHERE counted <> 0 GROUP BY track_id"))
        score = {tid: math.log1p(n) * 0.5 + counted.get(tid, 0)
                 for tid, n in sql(data, "SELECT id, play_count FROM tracks WHERE play_count > 0")}
        top = max(score.values())
        return {tid: round(100 * math.log1p(x) / math.log1p(top)) for tid, x in score.items()}

    want, got = expected(), {}
    for _ in range(150):
        got = dict(sql(data, "SELECT id, popularity FROM tracks WHERE popularity > 0"))
        if set(got) == set(want) and all(abs(got[x] - want[x]) <= 1 for x in want):
            break
        time.sleep(0.1)
    t.ok(len(want) >= 4 and set(got) == set(want) and all(abs(got[x] - want[x]) <= 1 for x in want)
         and max(got.values()) == 100, "popularity of every played track, refreshed from its plays",
         (got, want))

    # Durability: an acknowledged batch survives kill -9.
    b3 = [ev(tracks[4], now - 1000, 31000)]
    c4 = plays(tracks[4])
    t.eq(srv.request("POST", "/v1/segue/events", body={"events": b3}, token=tok).status, 200, "deliver one more")
    srv.kill9()
t.eq(plays(tracks[4]) - c4, 1, "after kill -9 the acknowledged play is there")
t.done()
