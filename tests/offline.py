"""Offline listening through the client: download an album (size estimates first), play it
with the server stopped (plays delivered once later), an expired licence refusing to play
(SEGUE_NOW moves the clock), a downgrade revoking at check-in, the device limit, and no
plaintext Ogg page anywhere under the client's directories."""

import os
import re
import sqlite3
import stat
import time

from segue_client import Client
from segue_test import TAP, NetLink, Server, catalog_copy, server_cmd, sql, wait_for

t = TAP()
data = catalog_copy()
albums = sql(data, "SELECT album_id, count(*) FROM tracks GROUP BY album_id ORDER BY 2 DESC, 1")
album = "segue:album:" + albums[0][0]
album_ids = [r[0] for r in sql(data, "SELECT id FROM tracks WHERE album_id = '%s' ORDER BY disc_number, track_number"
                               % albums[0][0])]
others = [r[0] for r in sql(data, "SELECT id FROM tracks WHERE album_id <> '%s' AND (markets IS NULL OR"
                              " markets LIKE '%%US%%') ORDER BY id" % albums[0][0])]
VAULT_CHUNK = 65536


def cdb(c, q, args=()):
    db = sqlite3.connect(c.db_path)
    try:
        return db.execute(q, args).fetchall()
    finally:
        db.close()


def scan_plaintext(root):
    """Files under root holding an Ogg page header ('OggS' and stream version 0)."""
    found = []
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            try:
                with open(p, "rb") as fh:
                    if b"OggS\x00" in fh.read():
                        found.append(p)
            except OSError:
                pass
    return found


def daemon_log(c):
    try:
        return open(os.path.join(c.root, "data", "segue", "daemon.log")).read()
    except OSError:
        return ""


with Server(data, {"rl_standard": 100000, "rl_player": 100000}) as srv:
    c = Client(srv.base, {"outbox_interval": 1})
    try:
        t.eq(c.login("premium-us")[0], 0, "logged in")

        rc, doc, err = c.json("offline", "status", album)
        est = (doc or {}).get("estimates", {})
        t.ok(rc == 0 and 0 < est.get("low", 0) < est.get("normal", 0) < est.get("high", 0) < est.get("very_high", 0),
             "offline status URI estimates the size at each quality", (rc, doc, err))
        rc, out, err = c.run("offline", "status", album)
        t.ok(rc == 0 and re.search(r": %d tracks, .* MB at normal, .* MB at very high" % len(album_ids), out),
             "and says it in words", out)

        # Download an album.
        rc, doc, err = c.json("download", album, timeout=120)
        t.ok(rc == 0 and doc.get("downloaded") == len(album_ids) and doc.get("failed") == [],
             "segue download ALBUM downloads every track", (rc, doc, err))
        rows = cdb(c, "SELECT track_id, state, bytes, fetched FROM offline_tracks ORDER BY track_id")
        t.eq(sorted(r[0] for r in rows), sorted(album_ids), "the state database lists the album's tracks")
        t.ok(all(r[1] == "done" for r in rows), "all done")
        t.ok(all(r[3] == r[2] for r in rows), "each fetched exactly once (fetched == size)", rows)
        rc, doc, err = c.json("offline", "ls")
        t.ok(rc == 0 and doc and doc[0]["uri"] == album and doc[0]["downloaded"] == len(album_ids),
             "offline ls shows the album complete", doc)
        key = os.path.join(c.root, "data", "segue", "offline", "device.key")
        t.eq(stat.S_IMODE(os.stat(key).st_mode), 0o600, "the device key is 0600")
        t.eq(scan_plaintext(c.root), [], "no plaintext Ogg page anywhere under the client's directories")

        # A damaged chunk is refused while playing, and fetched again from that chunk on.
        victim = album_ids[-1]
        size = cdb(c, "SELECT bytes FROM offline_tracks WHERE track_id = ?", (victim,))[0][0]
        vault = os.path.join(c.root, "data", "segue", "offline", victim + ".sgv")
        at = 64 + (VAULT_CHUNK + 16) + 100  # inside chunk 1: header, chunk 0 and its tag before it
        with open(vault, "r+b") as fh:
            fh.seek(at)
            good = fh.read(1)
            fh.seek(at)
            fh.write(bytes([good[0] ^ 0x5a]))
        c.run("play", "segue:track:" + victim)
        t.ok(wait_for(lambda: cdb(c, "SELECT state, fetched FROM offline_tracks WHERE track_id = ?", (victim,))[0]
                      == ("done", size + size - VAULT_CHUNK), timeout=30),
             "a damaged chunk found while playing is fetched again, from that chunk on",
             (cdb(c, "SELECT state, bytes, fetched, error FROM offline_tracks WHERE track_id = ?", (victim,)),
              daemon_log(c)[-800:]))
        t.ok("chunk 1 fails its check" in daemon_log(c) and "resuming at %d of" % VAULT_CHUNK in daemon_log(c),
             "the log says which chunk and where the download resumed")
        with open(vault, "rb") as fh:
            fh.seek(at)
            t.eq(fh.read(1), good, "the chunk is whole again")
        c.run("stop")

        # Offline: the server stops; downloads play, plays wait in the outbox.
        before = sql(data, "SELECT count(*) FROM plays")[0][0]
        srv.stop()
        rc, out, err = c.run("play", album)
        t.eq(rc, 0, "with the server stopped, the downloaded album plays", err)
        ok = wait_for(lambda: (c.json("status")[1] or {}).get("is_playing"), timeout=10)
        st = c.json("status")[1] or {}
        t.ok(ok and (st.get("item") or {}).get("id") == album_ids[0], "its first track plays", st)
        rc, out, err = c.run("next")
        t.ok(rc == 0 and wait_for(lambda: ((c.json("status")[1] or {}).get("item") or {}).get("id") == album_ids[1], 10),
             "next moves on, still offline")
        c.run("pause")
        t.eq(scan_plaintext(c.root), [], "after playing offline, still no plaintext Ogg page on disk")
        srv.start()
        t.ok(wait_for(lambda: sql(data, "SELECT count(*) FROM plays")[0][0] >= before + 1, timeout=20),
             "back online, the plays are delivered")
        time.sleep(2.5)
        n = sql(data, "SELECT count(*) FROM plays")[0][0]
        ids = sql(data, "SELECT count(*), count(DISTINCT event_id) FROM plays")[0]
        t.eq(ids[0], ids[1], "each once")
        t.ok(n - before <= 4, "and no more", n - before)

        # Offline, a track not downloaded is skipped when a download lies ahead in the queue...
        def now_playing():
            st = c.json("status")[1] or {}
            return (st.get("item") or {}).get("id") if st.get("is_playing") else None
        c.run("play", *["segue:track:" + i for i in (album_ids[0], others[0], album_ids[1])])
        srv.stop()
        rc, out, err = c.run("next")
        t.ok(wait_for(lambda: now_playing() == album_ids[1], 15) and
             "not downloaded, and the server is out of reach" in daemon_log(c),
             "offline, a track not downloaded is skipped for a download further on",
             (rc, err, c.json("status")[1], "\n".join(l for l in daemon_log(c).split("\n") if "outbox" not in l)[-1500:]))
        # ...and waited for, as online, when nothing ahead is downloaded.
        srv.start()
        c.run("play", *["segue:track:" + i for i in (album_ids[0], others[0])])
        srv.stop()
        rc, out, err = c.run("next")
        time.sleep(2)
        st = c.json("status")[1] or {}
        t.ok(rc == 0 and st.get("segue", {}).get("waiting_for_server") and (st.get("item") or {}).get("id") == others[0],
             "with no download ahead, it waits for the server", (rc, err, st.get("segue")))
        srv.start()
        t.ok(wait_for(lambda: now_playing() == others[0], timeout=20), "and plays the track once the server is back")
        c.run("pause")

        c.run("quit")
        rc, doc, err = c.json("download", "--quality", "very_high", "segue:track:" + others[0], timeout=60)
        t.eq(rc, 0, "one more track downloads", err)
        # Remove a download.
        rc, doc, err = c.json("offline", "rm", "segue:track:" + others[0])
        t.ok(rc == 0 and doc.get("tracks_removed") == 1, "offline rm removes it", (rc, doc, err))
        t.ok(not os.path.exists(os.path.join(c.root, "data", "segue", "offline", others[0] + ".sgv")),
             "with its file")
        c.run("quit")

        # An expired licence refuses to play offline, with a message.
        exp = cdb(c, "SELECT max(expires_at) FROM offline_tracks")[0][0]
        srv.stop()
        c.env["SEGUE_NOW"] = str(exp + 86400)
        rc, out, err = c.run("play", "segue:track:" + album_ids[0])
        ok = wait_for(lambda: "licence expired" in daemon_log(c) or "licence expired" in
                      str((c.json("status")[1] or {})), timeout=10)
        t.ok(ok, "an expired licence refuses to play offline, saying so", (out, err, daemon_log(c)[-600:]))
        st = c.json("status")[1] or {}
        t.ok(not st.get("is_playing"), "nothing plays", st)
        c.run("quit")
        del c.env["SEGUE_NOW"]
        srv.start()

        # Check-in after a downgrade revokes everything.
        rc, doc, err = c.json("offline", "sync", timeout=60)
        t.ok(rc == 0 and doc["sync"]["checkin"]["renewed"] == len(album_ids), "a check-in renews the licences",
             (rc, doc, err))
        c.run("quit")
        server_cmd("user", "set", "premium-us", "tier", "free", data_dir=data)
        c.login("premium-us")
        rc, doc, err = c.json("offline", "sync", timeout=60)
        t.ok(rc == 0 and "revoked %d tracks (premium_required)" % len(album_ids) in daemon_log(c),
             "after a downgrade, the check-in revokes", (rc, doc, err, daemon_log(c)[-500:]))
        t.eq(cdb(c, "SELECT count(*) FROM offline_tracks")[0][0], 0, "and the downloads are gone")
        t.eq([f for f in os.listdir(os.path.join(c.root, "data", "segue", "offline")) if f.endswith(".sgv")], [],
             "files too")
        rc, out, err = c.run("download", album)
        t.ok(rc != 0 and "premium" in err, "a free account cannot download", (rc, err))
        server_cmd("user", "set", "premium-us", "tier", "premium", data_dir=data)
        c.run("quit")
        c.login("premium-us")
    finally:
        c.stop()

    # kill -9 in the middle of a download: what was written is not fetched again.
    k = Client(srv.base, {"download_rate": 80, "download_parallel": 1, "device_name": "slow"})
    try:
        k.login("premium-us")
        rc, out, err = k.run("download", "--no-wait", "--quality", "very_high", "segue:track:" + others[1])
        t.eq(rc, 0, "download --no-wait queues a track", err)

        def progress():
            a = ((k.json("offline", "status")[1] or {}).get("downloads") or {}).get("active") or []
            return a[0]["done"] if a else 0
        t.ok(wait_for(lambda: progress() >= 2 * VAULT_CHUNK, timeout=30), "offline status shows it downloading")
        k.kill9()
        row = cdb(k, "SELECT state, bytes, fetched FROM offline_tracks")[0]
        t.ok(row[0] == "queued" and row[2] == 0, "killed mid-download, it is still queued", row)
        rc, doc, err = k.json("offline", "sync", timeout=60)
        t.ok(rc == 0 and doc.get("downloaded") == 1, "offline sync finishes it", (rc, doc, err))
        m = re.search(r"resuming at (\d+) of (\d+) bytes", daemon_log(k))
        row = cdb(k, "SELECT state, bytes, fetched FROM offline_tracks")[0]
        t.ok(m and int(m.group(1)) >= 2 * VAULT_CHUNK and row == ("done", int(m.group(2)), int(m.group(2)) - int(m.group(1))),
             "it resumed after the chunks on disk, and fetched only the rest", (m and m.group(0), row))
        rc, out, err = k.run("play", "segue:track:" + others[1])
        t.ok(rc == 0 and wait_for(lambda: (k.json("status")[1] or {}).get("is_playing"), timeout=10),
             "and it plays", err)
        k.run("stop")

    finally:
        k.stop()

    # The network lost mid-download: at most the chunk in memory is fetched again.
    link = NetLink(int(srv.base.rsplit(":", 1)[1]), rate=120000)
    n = Client(link.base, {"download_parallel": 1, "device_name": "on the road"})
    try:
        n.login("premium-us")
        n.run("download", "--no-wait", "--quality", "very_high", "segue:track:" + album_ids[0])

        def n_downloads():
            return (n.json("offline", "status")[1] or {}).get("downloads") or {}
        t.ok(wait_for(lambda: sum(a["done"] for a in n_downloads().get("active") or []) >= 2 * VAULT_CHUNK, 30),
             "a download under way")
        link.cut()
        t.ok(wait_for(lambda: n_downloads().get("waiting_network"), timeout=20),
             "the network gone, offline status says the downloads wait for it", n_downloads())
        link.restore()
        t.ok(wait_for(lambda: cdb(n, "SELECT state FROM offline_tracks")[0][0] == "done", timeout=90),
             "back, the download finishes by itself", cdb(n, "SELECT state, error FROM offline_tracks"))
        size, fetched = cdb(n, "SELECT bytes, fetched FROM offline_tracks")[0]
        resumed = [int(x) for x in re.findall(r"resuming at (\d+) of", daemon_log(n))]
        t.ok(resumed and resumed[-1] >= 2 * VAULT_CHUNK and 0 <= fetched - size < VAULT_CHUNK,
             "from its last whole chunk: %d bytes fetched for %d" % (fetched, size), (resumed, daemon_log(n)[-600:]))
    finally:
        n.stop()
        link.close()

    # A downloaded playlist follows its changes; background downloads take what was played
    # lately first.
    tok = srv.login("premium-us")
    r = srv.request("POST", "/v1/users/premium-us/playlists", body={"name": "Road Trip"}, token=tok)
    pid = r.json()["id"]
    pl = "segue:playlist:" + pid
    srv.request("POST", "/v1/playlists/%s/tracks" % pid, body={"uris": ["segue:track:" + album_ids[0]]}, token=tok)
    f = Client(srv.base, {"download_rate": 60, "download_parallel": 1, "device_name": "follower"})
    try:
        f.login("premium-us")
        rc, doc, err = f.json("download", pl, timeout=60)
        t.ok(rc == 0 and doc.get("downloaded") == 1, "a playlist downloads", (rc, doc, err))
        older, newer = album_ids[1], others[1]
        srv.request("POST", "/v1/playlists/%s/tracks" % pid, token=tok,
                    body={"uris": ["segue:track:" + newer, "segue:track:" + older]})  # newest addition last
        now_ms = int(time.time() * 1000)
        srv.request("POST", "/v1/segue/events", token=tok, body={"events": [
            {"id": "offline-recent-%d" % now_ms, "track_id": newer, "started_at": now_ms - 40000,
             "ms_played": 35000, "reason_end": "track_done"}]})
        rc, doc, err = f.json("offline", "sync", "--no-wait", timeout=60)
        t.ok(rc == 0 and doc["sync"]["playlists"]["added"] == 2, "after a change, a sync queues the new tracks",
             (rc, doc, err))

        def first_active():
            a = ((f.json("offline", "status")[1] or {}).get("downloads") or {}).get("active") or []
            return a[0]["id"] if a else None
        t.eq(wait_for(first_active, timeout=20), newer, "the one played most lately downloads first")
        t.ok(wait_for(lambda: cdb(f, "SELECT count(*) FROM offline_tracks WHERE state = 'done'")[0][0] == 3, 30),
             "then the other")
        srv.request("DELETE", "/v1/playlists/%s/tracks" % pid, token=tok,
                    body={"tracks": [{"uri": "segue:track:" + older}]})
        rc, doc, err = f.json("offline", "sync", timeout=60)
        t.ok(rc == 0 and doc["sync"]["playlists"]["removed"] == 1, "a track taken out of the playlist...", (rc, doc))
        t.ok(not cdb(f, "SELECT 1 FROM offline_tracks WHERE track_id = ?", (older,)) and not os.path.exists(
            os.path.join(f.root, "data", "segue", "offline", older + ".sgv")), "...goes from the device")
        srv.request("DELETE", "/v1/playlists/%s/followers" % pid, token=tok)
        rc, doc, err = f.json("offline", "sync", timeout=60)
        rc, doc, err = f.json("offline", "ls")
        t.ok(rc == 0 and doc and doc[0]["uri"] == pl and doc[0]["followed"] is False and doc[0]["downloaded"] == 2,
             "a playlist no longer followed stays, marked (eviction takes it early)", doc)
        rc, out, err = f.run("offline", "ls")
        t.ok("(unfollowed)" in out, "offline ls says so", out)
    finally:
        f.stop()

    # The device limit, from the command line.
    tok = srv.login("premium-us")
    for d in srv.get("/v1/segue/offline/devices", token=tok).json()["devices"]:
        srv.request("DELETE", "/v1/segue/offline/devices/" + d["id"], token=tok)
    clients = []
    try:
        for i in range(6):
            k = Client(srv.base, {"device_name": "box%d" % i})
            clients.append(k)
            k.login("premium-us")
            rc, out, err = k.run("download", "--no-wait", "segue:track:" + others[0])
            if i < 5:
                t.eq(rc, 0, "device %d may download" % (i + 1), err)
            else:
                t.ok(rc != 0 and "5 devices" in err and "--remove" in err,
                     "the sixth is refused, saying how to remove one", err)
        rc, doc, err = clients[5].json("offline", "devices", "--remove", "box0")
        t.ok(rc == 0 and "box0" not in [d["name"] for d in doc["devices"]], "offline devices --remove box0", (rc, doc))
        rc, out, err = clients[5].run("download", "segue:track:" + others[0], timeout=60)
        t.eq(rc, 0, "then the sixth may download", err)
    finally:
        for k in clients:
            k.stop()
        for d in srv.get("/v1/segue/offline/devices", token=tok).json()["devices"]:
            srv.request("DELETE", "/v1/segue/offline/devices/" + d["id"], token=tok)

t.done()
