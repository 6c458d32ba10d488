"""Playlists: create, details, visibility and collaboration, item edits with snapshots,
stale snapshots refused, limits, concurrent edits, and 10,000-item paging."""

import statistics
import threading
import time

from segue_test import POSTGRES, TAP, Server, WriteLock, add_user, catalog_copy, db_connect, sql

t = TAP()
data = catalog_copy()
add_user(data, "carol", premium=True)
tracks = [r[0] for r in sql(data, "SELECT id FROM tracks ORDER BY id")]
U = ["segue:track:" + x for x in tracks]


def ids_of_sql(pid):
    return [r[0] for r in sql(data, "SELECT track_id FROM playlist_items WHERE playlist_id = '%s' ORDER BY pos" % pid)]


def ids_of(srv, pid, tok):
    out, off = [], 0
    while True:
        page = srv.get("/v1/playlists/%s/tracks?limit=100&offset=%d" % (pid, off), token=tok).json()
        out += [i["track"]["id"] for i in page["items"]]
        if not page["next"]:
            return out
        off += 100


with Server(data, {"rl_standard": 1000000, "rl_playlist": 1000000}) as srv:
    alice, bob, carol = srv.login("premium-us"), srv.login("free-us"), srv.login("carol")

    r = srv.request("POST", "/v1/users/premium-us/playlists", body={"name": "Road trip", "description": "loud"}, token=alice)
    t.eq(r.status, 201, "create a playlist")
    pl = r.json()
    pid = pl["id"]
    t.ok(pl["type"] == "playlist" and pl["uri"] == "segue:playlist:" + pid and pl["public"] is True
         and pl["collaborative"] is False and pl["owner"]["id"] == "premium-us" and pl["tracks"]["total"] == 0,
         "in the Web API's shape")
    snap0 = pl["snapshot_id"]
    t.eq(srv.request("POST", "/v1/users/free-us/playlists", body={"name": "x"}, token=alice).status, 403,
         "creating for someone else is 403")
    t.eq(srv.request("POST", "/v1/users/premium-us/playlists", body={"name": ""}, token=alice).status, 400, "an empty name is 400")
    t.eq(srv.request("POST", "/v1/users/premium-us/playlists", body={"name": "x" * 201}, token=alice).status, 400,
         "a 201-character name is 400")
    t.eq(srv.request("POST", "/v1/users/premium-us/playlists", body={"name": "x", "public": True, "collaborative": True},
                     token=alice).status, 400, "collaborative and public together is 400")

    # Items
    r = srv.request("POST", "/v1/playlists/%s/tracks" % pid, body={"uris": U[0:3]}, token=alice)
    t.eq(r.status, 201, "add three tracks")
    snap1 = (r.json() or {}).get("snapshot_id")
    t.ok(snap1 and snap1 != snap0, "a change returns a new snapshot_id")
    r = srv.request("POST", "/v1/playlists/%s/tracks?uris=%s&position=1" % (pid, U[3]), token=alice)
    t.eq(r.status, 201, "add at a position, by query")
    t.eq(ids_of(srv, pid, alice), [tracks[0], tracks[3], tracks[1], tracks[2]], "inserted at position 1")
    snap2 = r.json()["snapshot_id"]
    t.eq(srv.request("POST", "/v1/playlists/%s/tracks" % pid, body={"uris": [U[0]], "position": 9}, token=alice).status,
         400, "a position beyond the end is 400")
    t.eq(srv.request("POST", "/v1/playlists/%s/tracks" % pid, body={"uris": ["spotify:track:x"]}, token=alice).status,
         400, "a malformed URI is 400")
    t.eq(srv.request("POST", "/v1/playlists/%s/tracks" % pid, body={"uris": ["segue:track:0000000000000000000000"]},
                     token=alice).status, 400, "an unknown track is 400")
    t.eq(srv.request("POST", "/v1/playlists/%s/tracks" % pid, body={"uris": [U[0]] * 101}, token=alice).status, 400,
         "101 URIs in one call is 400")
    t.eq(len(ids_of(srv, pid, alice)), 4, "... and none of those refusals changed anything")
    r = srv.request("POST", "/v1/playlists/%s/tracks" % pid, body={"uris": [U[0]]}, token=alice)
    t.eq(r.status, 201, "duplicates are allowed, as in the Web API")

    # Reorder: move [0] before 3 -> 3,1,0,2,0
    cur = srv.get("/v1/playlists/%s" % pid, token=alice).json()["snapshot_id"]
    r = srv.request("PUT", "/v1/playlists/%s/tracks" % pid, body={"range_start": 0, "insert_before": 3, "snapshot_id": cur},
                    token=alice)
    t.eq(r.status, 200, "reorder")
    t.eq(ids_of(srv, pid, alice), [tracks[3], tracks[1], tracks[0], tracks[2], tracks[0]], "moved")
    r = srv.request("PUT", "/v1/playlists/%s/tracks" % pid, body={"range_start": 3, "range_length": 2, "insert_before": 0},
                    token=alice)
    t.eq(ids_of(srv, pid, alice), [tracks[2], tracks[0], tracks[3], tracks[1], tracks[0]], "a range of two moved to the front")
    r = srv.request("PUT", "/v1/playlists/%s/tracks" % pid, body={"range_start": 0, "insert_before": 1, "snapshot_id": snap2},
                    token=alice)
    t.eq(r.status, 409, "a reorder against a stale snapshot is 409")
    t.ok("changed" in r.body.decode(), "saying the playlist changed")
    t.eq(srv.request("PUT", "/v1/playlists/%s/tracks" % pid, body={"range_start": 4, "range_length": 2, "insert_before": 0},
                     token=alice).status, 400, "a range past the end is 400")
    t.eq(srv.request("PUT", "/v1/playlists/%s/tracks" % pid, body={"range_start": 0, "insert_before": 0, "snapshot_id": "nope"},
                     token=alice).status, 400, "a foreign snapshot id is 400")

    # Moves rewrite only the items between the range and where it goes: a series of them on a
    # playlist of 12, each checked against the list moved by hand, in the API and in the
    # table (dense positions), and the rest of the list untouched. The test catalog has 6.
    r = srv.request("POST", "/v1/users/premium-us/playlists", body={"name": "moves"}, token=alice)
    mid = r.json()["id"]
    model = tracks[:6]
    r = srv.request("POST", "/v1/playlists/%s/tracks" % mid, body={"uris": U[:6]}, token=alice)
    t.ok(r.status == 201 and len(set(model)) == 6, "6 tracks added in one call", r)
    r = srv.request("POST", "/v1/playlists/%s/tracks" % mid,
                    body={"uris": U[:2] + ["segue:track:0000000000000000000000"]}, token=alice)
    t.ok(r.status == 400 and "uris[2]" in r.body.decode(), "an unknown track among several: 400 naming it", r)
    for start, length, before in ((0, 1, 3), (3, 2, 1), (4, 2, 6), (1, 3, 4), (5, 1, 0), (0, 6, 6),
                                  (2, 2, 2), (2, 1, 3), (0, 2, 5)):
        moved = model[start:start + length]
        rest = model[:start] + model[start + length:]
        at = before if before <= start else before - length
        model = rest[:at] + moved + rest[at:] if before < start or before > start + length else model
        r = srv.request("PUT", "/v1/playlists/%s/tracks" % mid,
                        body={"range_start": start, "range_length": length, "insert_before": before}, token=alice)
        t.ok(r.status == 200 and ids_of(srv, mid, alice) == model and ids_of_sql(mid) == model,
             "move %d+%d before %d" % (start, length, before), r)
    pos = sql(data, "SELECT min(pos), max(pos), count(*) FROM playlist_items WHERE playlist_id = '%s'" % mid)
    t.eq(list(pos[0]), [0, 5, 6], "positions stay 0 to 5")
    r = srv.request("POST", "/v1/playlists/%s/tracks" % mid, body={"uris": U[4:6], "position": 3}, token=alice)
    model = model[:3] + tracks[4:6] + model[3:]
    t.ok(r.status == 201 and ids_of_sql(mid) == model, "two added in the middle shift the rest", r)
    r = srv.request("DELETE", "/v1/playlists/%s/tracks" % mid, body={"tracks": [{"uri": U[4]}]}, token=alice)
    model = [x for x in model if x != tracks[4]]
    t.ok(r.status == 200 and ids_of_sql(mid) == model, "one removed closes the gap", r)

    # Remove
    cur = srv.get("/v1/playlists/%s" % pid, token=alice).json()["snapshot_id"]
    r = srv.request("DELETE", "/v1/playlists/%s/tracks" % pid,
                    body={"tracks": [{"uri": U[0], "positions": [4]}], "snapshot_id": cur}, token=alice)
    t.eq(r.status, 200, "remove one occurrence by position")
    t.eq(ids_of(srv, pid, alice), [tracks[2], tracks[0], tracks[3], tracks[1]], "only that one")
    r = srv.request("DELETE", "/v1/playlists/%s/tracks" % pid,
                    body={"tracks": [{"uri": U[0], "positions": [0]}]}, token=alice)
    t.eq(r.status, 400, "a position holding another track is 400")
    r = srv.request("DELETE", "/v1/playlists/%s/tracks" % pid,
                    body={"tracks": [{"uri": U[2], "positions": [0]}], "snapshot_id": cur}, token=alice)
    t.eq(r.status, 409, "a positional removal against a stale snapshot is 409")
    t.eq(len(ids_of(srv, pid, alice)), 4, "nothing half-applied")
    r = srv.request("DELETE", "/v1/playlists/%s/tracks" % pid, body={"tracks": [{"uri": U[3]}], "snapshot_id": cur},
                    token=alice)
    t.eq(r.status, 200, "removal by URI alone does not depend on the snapshot")
    t.eq(ids_of(srv, pid, alice), [tracks[2], tracks[0], tracks[1]], "every occurrence of it")

    # Replace
    r = srv.request("PUT", "/v1/playlists/%s/tracks" % pid, body={"uris": [U[4], U[5]]}, token=alice)
    t.eq(r.status, 200, "replace the items")
    t.eq(ids_of(srv, pid, alice), [tracks[4], tracks[5]], "replaced")

    # Details
    t.eq(srv.request("PUT", "/v1/playlists/%s" % pid, body={"name": "Night drive", "public": False}, token=alice).status, 200,
         "change details")
    pl = srv.get("/v1/playlists/%s" % pid, token=alice).json()
    t.ok(pl["name"] == "Night drive" and pl["public"] is False and pl["description"] == "loud", "changed, the rest kept")
    t.eq(srv.request("PUT", "/v1/playlists/%s" % pid, body={}, token=alice).status, 400, "changing nothing is 400")

    # Visibility: private playlists are invisible to others.
    t.eq(srv.get("/v1/playlists/%s" % pid, token=bob).status, 404, "another user's private playlist is 404")
    t.eq(srv.request("POST", "/v1/playlists/%s/tracks" % pid, body={"uris": [U[0]]}, token=bob).status, 404,
         "and cannot be changed")
    t.eq(srv.request("PUT", "/v1/playlists/%s/followers" % pid, token=bob).status, 404, "nor followed")
    srv.request("PUT", "/v1/playlists/%s" % pid, body={"public": True}, token=alice)
    t.eq(srv.get("/v1/playlists/%s" % pid, token=bob).status, 200, "a public one can be read")
    t.eq(srv.request("POST", "/v1/playlists/%s/tracks" % pid, body={"uris": [U[0]]}, token=bob).status, 403,
         "but not changed by others (403)")
    t.eq(srv.request("PUT", "/v1/playlists/%s/followers" % pid, token=bob).status, 200, "followed")
    t.eq(srv.get("/v1/playlists/%s/followers/contains?ids=free-us,carol,premium-us" % pid, token=bob).json(),
         [True, False, True], "followers/contains")
    mine = srv.get("/v1/me/playlists", token=bob).json()
    t.ok(any(p["id"] == pid for p in mine["items"]), "a followed playlist is in /me/playlists")
    t.eq(srv.get("/v1/playlists/%s" % pid, token=bob).json()["followers"]["total"], 1, "followers.total")
    t.eq(srv.request("DELETE", "/v1/playlists/%s/followers" % pid, token=bob).status, 200, "unfollow")
    t.ok(all(p["id"] != pid for p in srv.get("/v1/me/playlists", token=bob).json()["items"]), "gone from the list")
    other = srv.get("/v1/users/premium-us/playlists", token=bob).json()
    t.ok(any(p["id"] == pid for p in other["items"]), "another user's public playlists are listed")
    t.eq(srv.get("/v1/users/nobody-at-all/playlists", token=bob).status, 404, "an unknown user is 404")

    # Collaboration
    r = srv.request("POST", "/v1/users/premium-us/playlists", body={"name": "Shared", "collaborative": True}, token=alice)
    cid = r.json()["id"]
    t.ok(r.json()["public"] is False, "collaborative playlists are private")
    t.eq(srv.request("POST", "/v1/playlists/%s/tracks" % cid, body={"uris": [U[0]]}, token=carol).status, 404,
         "before following, a stranger cannot see it")
    t.eq(srv.request("PUT", "/v1/playlists/%s/followers" % cid, token=carol).status, 200,
         "its id lets a collaborator follow it")
    t.eq(srv.request("POST", "/v1/playlists/%s/tracks" % cid, body={"uris": [U[1]]}, token=carol).status, 201,
         "a collaborator can add")
    t.eq(srv.request("PUT", "/v1/playlists/%s" % cid, body={"name": "Mine now"}, token=carol).status, 403,
         "but not change the details")

    # Concurrent adds: both land, in some order, nothing lost.
    errs = []

    def add(tok, uri, n):
        for _ in range(n):
            r = srv.request("POST", "/v1/playlists/%s/tracks" % cid, body={"uris": [uri]}, token=tok)
            if r.status != 201:
                errs.append(r.status)
    th = [threading.Thread(target=add, args=(alice, U[2], 25)), threading.Thread(target=add, args=(carol, U[3], 25))]
    [x.start() for x in th]
    [x.join() for x in th]
    got = ids_of(srv, cid, alice)
    t.eq(errs, [], "50 concurrent adds from two users all succeed")
    t.ok(got.count(tracks[2]) == 25 and got.count(tracks[3]) == 25 and len(got) == 51, "and all 50 are there")
    pl = srv.get("/v1/playlists/%s" % cid, token=alice).json()
    t.ok(int(pl["snapshot_id"].split("-")[0]) >= 52, "each change made its own version")

    # A change that waited for the write lock while another server changed the playlist is
    # refused (409), not made from the copy loaded before the wait: that would drop the other.
    wid = srv.request("POST", "/v1/users/premium-us/playlists", body={"name": "Waits"}, token=alice).json()["id"]
    t.eq(srv.request("POST", "/v1/playlists/%s/tracks" % wid, body={"uris": U[0:2]}, token=alice).status, 201,
         "a playlist of two")
    for what, method, path, body in (("an append", "POST", "/v1/playlists/%s/tracks", {"uris": [U[-2]]}),
                                     ("a rename", "PUT", "/v1/playlists/%s", {"name": "Renamed"})):
        with WriteLock(data) as lock:
            waited = lock.waiting(lambda: srv.request(method, path % wid, body=body, token=alice))
            n = len(ids_of_sql(wid))
            lock.execute("INSERT INTO playlist_items (playlist_id, pos, track_id, added_at, added_by)"
                         " VALUES (?, ?, ?, 0, 'free-us')", (wid, n, tracks[-1]))
            lock.execute("UPDATE playlists SET version = version + 1, length = ? WHERE id = ?", (n + 1, wid))
        r = lock.answer()
        t.ok(waited and r and r.status == 409, "%s that waited while another server changed the playlist"
             " is 409" % what, r and (r.status, r.body))
        items = ids_of(srv, wid, alice)
        t.ok(items[-1] == tracks[-1] and tracks[-2] not in items and len(items) == n + 1,
             "and the other server's change is kept whole", items)
        pl = srv.get("/v1/playlists/%s" % wid, token=alice).json()
        t.ok(pl["name"] == "Waits" and pl["tracks"]["total"] == n + 1, "its name and length as it made them", pl)
    t.eq(srv.request("POST", "/v1/playlists/%s/tracks" % wid, body={"uris": [U[-2]]}, token=alice).status, 201,
         "tried again, the append is made")

    # 10,000 items; a page deep in the list costs what the first page costs.
    big = srv.request("POST", "/v1/users/premium-us/playlists", body={"name": "Big"}, token=alice).json()["id"]
    for i in range(100):
        srv.request("POST", "/v1/playlists/%s/tracks" % big, body={"uris": [U[i % len(U)]] * 100}, token=alice)
    t.eq(srv.get("/v1/playlists/%s" % big, token=alice).json()["tracks"]["total"], 10000, "10,000 items")
    t.eq(srv.request("POST", "/v1/playlists/%s/tracks" % big, body={"uris": [U[0]]}, token=alice).status, 400,
         "the 10,001st is refused")

    def page_ms(off):
        ts = []
        for _ in range(15):
            t0 = time.perf_counter()
            srv.get("/v1/playlists/%s/tracks?offset=%d&limit=100" % (big, off), token=alice)
            ts.append((time.perf_counter() - t0) * 1000)
        return statistics.median(ts)
    # Timings are shown, not judged (they flake on a loaded machine); the plan below is the check.
    print("# the first page took %.1f ms, the last %.1f ms (medians of 15)" % (page_ms(0), page_ms(9900)),
          flush=True)
    db = db_connect(data)
    page = ("SELECT track_id, added_at, added_by FROM playlist_items"
            " WHERE playlist_id = ? AND pos >= ? ORDER BY pos LIMIT ?")
    if POSTGRES:
        plan = " ".join(r[0] for r in db.execute("EXPLAIN " + page, ("x", 1, 2)))
        t.ok("Index Scan using playlist_items_pkey" in plan and "pos >=" in plan,
             "pages are index range scans (%s)" % plan)
    else:
        plan = " ".join(r[-1] for r in db.execute("EXPLAIN QUERY PLAN " + page, ("x", 1, 2)))
        t.ok("SEARCH" in plan and "pos>?" in plan, "pages are index range scans (%s)" % plan)
    db.close()

    # The owner deleting
    t.eq(srv.request("DELETE", "/v1/playlists/%s/followers" % big, token=alice).status, 200, "the owner unfollowing deletes")
    t.eq(srv.get("/v1/playlists/%s" % big, token=alice).status, 404, "gone")
t.done()
