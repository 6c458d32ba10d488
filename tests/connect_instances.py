"""Connect across instances (doc/connect.md, Several instances): two segue-server processes over
one throwaway PostgreSQL database answer Connect as one hub. Devices connected to different
instances see each other (with the same deltas as within one), command each other through both
doors (WebSocket and REST), hand playback over both ways (a transfer asked through an instance
that has not yet heard of the last one hands over from the device playing now), a change an
instance makes from an old view (its notifications held back) does not write over a newer state
unless it still holds (doc/connect.md, Which change holds), a playlist edited through one
instance is pushed live to devices on the other, an instance stopped cleanly takes its devices
out of the other's lists at once, and one killed with SIGKILL loses its devices after
connect_instance_timeout_ms; its device reconnects through the other and the player state
(track, position, queue) is the one from before the kill."""

import os
import signal
import time

import pgcluster

pgcluster.skip_if(pgcluster.unavailable())

from segue_test import TAP, Server, catalog_copy, cluster, wait_for  # noqa: E402
from ws_device import FakeDevice, active_ids, device_ids, reason  # noqa: E402

t = TAP()
data = catalog_copy()
URL = cluster().database(data, seeded=True)
TIMEOUT_MS = 2000
SETTINGS = {"rl_standard": 1000000, "rl_player": 1000000, "rl_playlist": 1000000,
            "connect_timeout_ms": 2000, "connect_instance_timeout_ms": TIMEOUT_MS}


def pg_rows(query, *params):
    c = cluster().connect(cluster().dbname(data))
    try:
        c.autocommit = True
        cur = c.cursor()
        cur.execute(query, params)
        return cur.fetchall()
    finally:
        c.close()


TRACKS = [r[0] for r in pg_rows("SELECT id FROM tracks WHERE markets IS NULL OR markets = '' OR markets LIKE '%%US%%'"
                                 " ORDER BY album_id, disc_number, track_number")]


def instance(**settings):
    return Server(data, dict(SETTINGS, **settings), args=["--database", URL])


ids, active = device_ids, active_ids


def player_on(dev_id, playing=None):
    def pred(m):
        p = m.get("player") if m.get("type") == "player" else None
        return isinstance(p, dict) and (p.get("device") or {}).get("id") == dev_id and \
            (playing is None or p.get("is_playing") is playing)
    return pred


CATALOG = {}
A = instance().start()
B = instance().start()
C = None
try:
    tok = A.login("premium-us")
    got = A.get("/v1/tracks?ids=" + ",".join(TRACKS[:20]), token=tok).json() or {}
    CATALOG.update({x["id"]: x for x in got.get("tracks") or [] if x})

    def dev(srv, did):
        return FakeDevice(srv.port, tok, did, catalog=CATALOG)

    # --- One device list across the instances -----------------------------------------------
    da = dev(A, "dev-a").connect()
    db = dev(B, "dev-b").connect()
    t.eq(ids(db.welcome.get("devices")), ["dev-a", "dev-b"],
         "a device on instance B is welcomed with the device on instance A in its list")
    t.ok(wait_for(lambda: ids(da.devices) == ["dev-a", "dev-b"], 2),
         "the device on A gets device_added for the device on B", da.devices)
    t.eq([m.get("type") for m in da.received() if m.get("type") == "devices"], [],
         "... as a delta: no whole list")
    for srv, name in ((A, "A"), (B, "B")):
        r = srv.get("/v1/me/player/devices", token=tok)
        t.eq(ids((r.json() or {}).get("devices")), ["dev-a", "dev-b"],
             "GET /v1/me/player/devices through %s lists both" % name)
    tok_b = B.login("premium-us")
    r = B.get("/v1/me/player/devices", token=tok_b)
    t.eq(r.status, 200, "a token issued by B works there too")

    # --- Commands across ---------------------------------------------------------------------
    mb = db.mark()
    da.play_locally(TRACKS[:6], index=1, position_ms=4000)
    p = db.wait(player_on("dev-a", True), 2, mb)
    t.ok(p is not None and (p["player"].get("item") or {}).get("id") == TRACKS[1],
         "dev-a plays on A: dev-b on B gets its player state", p)
    t.ok(wait_for(lambda: active(db.devices) == ["dev-a"], 2), "... and dev-a as the active device", db.devices)

    ma = da.mark()
    t.eq(reason(db.command("pause")), "ok", "dev-b (B) pauses the active device, dev-a (A): ok")
    t.ok(da.commands(ma, "pause") != [], "dev-a got the pause")
    t.ok(db.wait(player_on("dev-a", False), 2, mb) is not None, "dev-b sees the pause in a player message")

    ma = da.mark()
    r = B.request("PUT", "/v1/me/player/seek?position_ms=5000", token=tok)
    t.eq(r.status, 204, "PUT /v1/me/player/seek through B reaches the device on A: 204", r)
    seeks = da.commands(ma, "seek")
    t.ok(seeks and seeks[0].get("position_ms") == 5000, "dev-a got seek 5000", seeks)

    r = db.command("volume", device_id="dev-a", volume_percent=30)
    t.eq(reason(r), "ok", "volume aimed at dev-a from dev-b: ok")
    t.ok(wait_for(lambda: [d.get("volume_percent") for d in db.devices if d.get("id") == "dev-a"] == [30], 2),
         "dev-b's list shows dev-a at volume 30", db.devices)

    r = db.command("pause", device_id="nowhere")
    t.eq(reason(r), "device_not_found", "a command to a device no instance holds: device_not_found")

    # --- Transfers across --------------------------------------------------------------------
    ma, mb = da.mark(), db.mark()
    t0 = time.time()
    r = da.transfer("dev-b", play=True)
    handoff_ms = (time.time() - t0) * 1000
    t.eq(reason(r), "ok", "dev-a (A) hands playback to dev-b (B): ok")
    t.diag("handoff across instances: %.1f ms (one run on a loaded machine)" % handoff_ms)
    tin = [m for m in db.commands(mb, "transfer_in")]
    t.ok(tin and abs(tin[0].get("position_ms", 0) - 5000) < 1000 and
         (tin[0].get("queue") or {}).get("tracks") == TRACKS[:6],
         "dev-b got transfer_in at dev-a's position with its queue", tin)
    t.ok(db.playing and db.queue.get("current") == TRACKS[1], "dev-b plays dev-a's track")
    t.ok(da.wait(player_on("dev-b", True), 2, ma) is not None, "dev-a hears dev-b plays")
    t.ok(wait_for(lambda: active(da.devices) == ["dev-b"] and active(db.devices) == ["dev-b"], 2),
         "both lists show dev-b active", (da.devices, db.devices))
    st = A.get("/v1/me/player", token=tok).json() or {}
    t.eq((st.get("device") or {}).get("id"), "dev-b", "GET /v1/me/player through A: dev-b plays")

    ma = da.mark()
    r = B.request("PUT", "/v1/me/player", body={"device_ids": ["dev-a"], "play": True}, token=tok)
    t.eq(r.status, 204, "PUT /v1/me/player through B moves playback to dev-a on A: 204", r)
    t.ok(da.playing and da.queue.get("tracks") == TRACKS[:6], "dev-a plays again, with the queue")
    t.ok(wait_for(lambda: active(db.devices) == ["dev-a"], 2), "dev-b's list shows dev-a active", db.devices)

    # --- Changes made from an old view -------------------------------------------------------
    # B ran that transfer and wrote the row; A hears of it through a notification that may
    # still be on its way. A transfer asked through A at once reads the row first: it hands
    # over from dev-a, the device playing now, not from the one A knew before.
    def row_active():
        rows = pg_rows("SELECT active_device FROM connect_players WHERE user_id = 'premium-us'")
        return rows[0][0] if rows else None
    ma, mb = da.mark(), db.mark()
    r = da.transfer("dev-b", play=True)
    t.eq(reason(r), "ok", "dev-a (A) hands playback back to dev-b (B) at once: ok")
    t.ok(da.commands(ma, "transfer_out") != [] and db.commands(mb, "transfer_in") != [],
         "... from dev-a (transfer_out) to dev-b (transfer_in)",
         ([m.get("command") for m in da.commands(ma)], [m.get("command") for m in db.commands(mb)]))
    t.ok(wait_for(lambda: row_active() == "dev-b" and active(db.devices) == active(da.devices) == ["dev-b"], 2),
         "... and the row and both lists say dev-b", (row_active(), da.devices, db.devices))

    # B hears nothing from the others (its listening connection's server process is held,
    # SIGSTOP: every notification for B waits) while dev-a, on A, takes playback over (its
    # user pressed play on it): A writes the row. dev-b, the active device as B still knows,
    # reports itself paused on another track. B's write of that report meets A's newer row:
    # playback moved on, the report is moot, and B takes A's row instead of writing over it
    # (doc/connect.md, Several instances, "Which change holds").
    mb = db.mark()
    held = [p for (p,) in pg_rows("SELECT pid FROM pg_stat_activity WHERE query = 'LISTEN segue_connect'")]
    t.eq(len(held), 2, "two listening connections to hold")
    for pid in held:
        os.kill(pid, signal.SIGSTOP)
    try:
        da.play_locally(TRACKS[:6], index=2, position_ms=1000)
        t.ok(wait_for(lambda: row_active() == "dev-a", 2), "dev-a takes over through A: the row says dev-a")
        db.load(TRACKS[:6], index=3, position_ms=2000, playing=False)
        db.report()
        t.ok(db.wait(player_on("dev-a", True), 2, mb) is not None,
             "dev-b reports itself paused to B, which hears nothing: dev-b is told dev-a plays")
        t.eq(row_active(), "dev-a", "... and the row still says dev-a")
    finally:
        for pid in held:
            os.kill(pid, signal.SIGCONT)
    t.ok(db.ping(), "the notifications go on")
    t.ok(wait_for(lambda: active(db.devices) == active(da.devices) == ["dev-a"], 2),
         "both lists show dev-a active", (da.devices, db.devices))
    for srv, name in ((A, "A"), (B, "B")):
        st = srv.get("/v1/me/player", token=tok).json() or {}
        t.ok((st.get("device") or {}).get("id") == "dev-a" and (st.get("item") or {}).get("id") == TRACKS[2] and
             st.get("is_playing") is True, "GET /v1/me/player through %s: dev-a plays its track" % name,
             ((st.get("device") or {}).get("id"), (st.get("item") or {}).get("id"), st.get("is_playing")))
    t.eq(row_active(), "dev-a", "the row still says dev-a once B has heard everything")

    # The other way: while notifications wait again, dev-a (the active device, on A) reports
    # itself paused, and dev-b's user presses play on it through B. B's write of that move
    # meets A's newer row, where dev-a is still active: the move holds, over it.
    ma, mb = da.mark(), db.mark()
    held = [p for (p,) in pg_rows("SELECT pid FROM pg_stat_activity WHERE query = 'LISTEN segue_connect'")]
    for pid in held:
        os.kill(pid, signal.SIGSTOP)
    try:
        da.load(TRACKS[:6], index=2, position_ms=3000, playing=False)
        v = pg_rows("SELECT version FROM connect_players WHERE user_id = 'premium-us'")[0][0]
        da.report()
        t.ok(wait_for(lambda: pg_rows("SELECT version FROM connect_players WHERE user_id = 'premium-us'")[0][0] > v, 2),
             "dev-a reports itself paused through A: A writes the row")
        db.play_locally(TRACKS[:6], index=4, position_ms=500)
        t.ok(wait_for(lambda: row_active() == "dev-b", 2),
             "dev-b starts playing through B, which had not read A's row: the row says dev-b")
    finally:
        for pid in held:
            os.kill(pid, signal.SIGCONT)
    t.ok(wait_for(lambda: active(db.devices) == active(da.devices) == ["dev-b"], 2),
         "both lists show dev-b active", (da.devices, db.devices))
    st = A.get("/v1/me/player", token=tok).json() or {}
    t.ok((st.get("device") or {}).get("id") == "dev-b" and (st.get("item") or {}).get("id") == TRACKS[4] and
         st.get("is_playing") is True, "GET /v1/me/player through A: dev-b plays its track",
         ((st.get("device") or {}).get("id"), (st.get("item") or {}).get("id"), st.get("is_playing")))
    t.ok(wait_for(lambda: da.commands(ma, "stop") != [], 2), "dev-a was told to stop")
    r = db.transfer("dev-a", play=True)
    t.ok(reason(r) == "ok" and wait_for(lambda: active(db.devices) == active(da.devices) == ["dev-a"], 2),
         "dev-b hands playback back to dev-a", (r, da.devices, db.devices))

    # --- A device leaves, and comes back through the other instance ------------------------
    dx = dev(A, "dev-x").connect()
    t.ok(wait_for(lambda: "dev-x" in ids(db.devices), 2), "dev-x joins through A: dev-b's list has it")
    mb = db.mark()
    dx.close()
    t.ok(db.wait(lambda m: m.get("type") == "device_removed" and m.get("id") == "dev-x", 1, mb) is not None,
         "dev-x closes its session on A: dev-b (B) gets device_removed at once")
    t.eq(pg_rows("SELECT count(*) FROM connect_devices WHERE device_id = 'dev-x'"), [(0,)],
         "... and the database no longer lists it")
    dx.port = B.port
    mb = db.mark()
    dx.connect()
    t.ok(db.wait(lambda m: m.get("type") == "device_added" and (m.get("device") or {}).get("id") == "dev-x", 1, mb)
         is not None and wait_for(lambda: ids(da.devices) == ids(db.devices) == ["dev-a", "dev-b", "dev-x"], 1),
         "it comes back through B: both lists have it, in the same order", (da.devices, db.devices))
    dx.close()
    t.ok(wait_for(lambda: "dev-x" not in ids(da.devices), 2), "it leaves B: dev-a's list on A drops it")

    # --- A token revoked through one instance --------------------------------------------------
    tok_r = B.login("premium-us")
    dr = FakeDevice(B.port, tok_r, "dev-r", catalog=CATALOG).connect()
    r = A.form("/api/revoke", {"token": tok_r})
    t.eq(r.status, 200, "a token revoked through A")
    t.eq(dr.wait_closed(3), 4001, "the session opened with it on B is closed with 4001")
    t.ok(db.ping(), "dev-b, opened with another token, stays")

    # --- Live playlists ----------------------------------------------------------------------
    r = A.request("POST", "/v1/users/premium-us/playlists", body={"name": "Across"}, token=tok)
    pid = (r.json() or {}).get("id")
    t.eq(r.status, 201, "a playlist made through A")
    mb = db.mark()
    r = A.request("POST", "/v1/playlists/%s/tracks" % pid, body={"uris": ["segue:track:" + TRACKS[0]]}, token=tok)
    snap = (r.json() or {}).get("snapshot_id")
    p = db.wait(lambda m: m.get("type") == "playlist" and m.get("playlist_id") == pid and
                m.get("snapshot_id") == snap, 2, mb)
    t.ok(p is not None, "tracks added through A: the owner's device on B gets `playlist` live", p)
    tok2 = B.login("premium-jp")
    w = FakeDevice(B.port, tok2, "watcher", catalog=CATALOG).connect()
    r = A.request("PUT", "/v1/playlists/%s" % pid, body={"public": True}, token=tok)
    w.send({"type": "watch", "playlist_id": pid})
    t.ok(w.wait_type("watching", 2) is not None, "another user watches it through B")
    mw = w.mark()
    r = A.request("POST", "/v1/playlists/%s/tracks" % pid, body={"uris": ["segue:track:" + TRACKS[1]]}, token=tok)
    snap = (r.json() or {}).get("snapshot_id")
    p = w.wait(lambda m: m.get("type") == "playlist" and m.get("playlist_id") == pid and
               m.get("snapshot_id") == snap, 2, mw)
    t.ok(snap and p is not None and (p.get("change") or {}).get("kind") != "details",
         "an edit through A reaches the watcher on B", w.received("playlist", mw))
    w.close()

    # --- A lost listening connection ---------------------------------------------------------
    # B is held (SIGSTOP, shorter than the timeout) while every instance's listening
    # connection is cut: A makes its own again at once; what A says meanwhile never reaches B,
    # which must read it from the database when it makes its connection again.
    def listeners():
        return pg_rows("SELECT pid FROM pg_stat_activity WHERE query = 'LISTEN segue_connect'")
    t.eq(len(listeners()), 2, "two instances: two listening connections")
    mb = db.mark()
    B.proc.send_signal(signal.SIGSTOP)
    try:
        pg_rows("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'LISTEN segue_connect'")
        t.ok(wait_for(lambda: len(listeners()) == 1, 2), "A listens again at once")
        dy = dev(A, "dev-y").connect()
    finally:
        B.proc.send_signal(signal.SIGCONT)
    t.ok(db.wait(lambda m: m.get("type") == "device_added" and (m.get("device") or {}).get("id") == "dev-y", 2, mb)
         is not None, "B listens again and reads what it missed: dev-b gets device_added for dev-y")
    t.ok(wait_for(lambda: len(listeners()) == 2, 2), "... with a listening connection of its own again")
    t.eq(ids((B.get("/v1/me/player/devices", token=tok).json() or {}).get("devices")),
         ["dev-a", "dev-b", "dev-y"], "B's REST list has it")
    mb = db.mark()
    dy.close()
    t.ok(db.wait(lambda m: m.get("type") == "device_removed" and m.get("id") == "dev-y", 1, mb) is not None,
         "dev-y leaves: B hears of it through the new connection")

    # --- A clean stop --------------------------------------------------------------------------
    # C runs on lws's poll loop, which has no watchers of descriptors of ours: it reads the
    # notifications on a short timer instead.
    C = instance(event_loop="poll").start()
    dc = FakeDevice(C.port, tok, "dev-c", catalog=CATALOG).connect()
    t.ok(wait_for(lambda: "dev-c" in ids(da.devices) and "dev-c" in ids(db.devices), 2),
         "a third instance's device (on the poll loop) joins both lists")
    t.ok(ids(dc.welcome.get("devices")) == ["dev-a", "dev-b", "dev-c"] and
         active(dc.welcome.get("devices")) == ["dev-a"], "... and is welcomed with theirs, dev-a active",
         dc.welcome.get("devices"))
    mc = dc.mark()
    t.eq(reason(dc.command("pause")), "ok", "dev-c (C) pauses the active device on A")
    t.ok(dc.wait(player_on("dev-a", False), 2, mc) is not None, "... and C tells dev-c of the new state")
    # A third instance that took no part in a handover routes by it as soon as it is answered:
    # C reads the row before it routes a command without device_id.
    mb = db.mark()
    t.eq(reason(da.transfer("dev-b", play=True)), "ok", "dev-a (A) hands playback to dev-b (B)")
    t.eq(reason(dc.command("pause")), "ok", "dev-c (C) pauses the active device at once")
    t.ok(db.commands(mb, "pause") != [] and not db.playing, "... and it is dev-b that pauses",
         [m.get("command") for m in db.commands(mb)])
    C.stop()
    t0 = time.time()
    t.ok(wait_for(lambda: "dev-c" not in ids(da.devices) and "dev-c" not in ids(db.devices), 1.5),
         "instance C stops (SIGTERM): its device leaves both lists at once, not after the timeout",
         "%.0f ms" % ((time.time() - t0) * 1000))

    # --- An instance taken for dead while alive ----------------------------------------------
    mb = db.mark()
    A.proc.send_signal(signal.SIGSTOP)
    try:
        gone = db.wait(lambda m: m.get("type") == "device_removed" and m.get("id") == "dev-a",
                       TIMEOUT_MS / 1000 + 3, mb)
    finally:
        A.proc.send_signal(signal.SIGCONT)
    t.ok(gone is not None, "A stopped (SIGSTOP) past the timeout: dev-b's list drops dev-a")
    back = db.wait(lambda m: m.get("type") == "device_added" and (m.get("device") or {}).get("id") == "dev-a", 3, mb)
    t.ok(back is not None and wait_for(lambda: ids(db.devices) == ["dev-b", "dev-a"], 1),
         "A goes on (SIGCONT): it announces dev-a again, and dev-b's list has it back", db.devices)
    t.eq(pg_rows("SELECT device_id FROM connect_devices ORDER BY device_id"), [("dev-a",), ("dev-b",)],
         "... and so has the database")
    mb = db.mark()
    da.play_locally(TRACKS[:6], index=1, position_ms=1000)
    t.ok(db.wait(player_on("dev-a", True), 2, mb) is not None, "dev-a plays again: dev-b hears of it")

    # --- kill -9 -------------------------------------------------------------------------------
    t.eq(reason(db.command("pause")), "ok", "dev-b pauses dev-a (on A) before A dies")
    t.ok(db.wait(player_on("dev-a", False), 2) is not None, "dev-b saw it paused")
    before = A.get("/v1/me/player", token=tok).json() or {}
    before_q = da.queue_snapshot()
    t.ok((before.get("item") or {}).get("id") == TRACKS[1] and before.get("is_playing") is False,
         "the state before the kill: dev-a's track, paused", before)
    mb = db.mark()
    A.kill9()
    t0 = time.time()
    gone = db.wait(lambda m: m.get("type") == "device_removed" and m.get("id") == "dev-a", TIMEOUT_MS / 1000 + 3, mb)
    took = (time.time() - t0) * 1000
    t.ok(gone is not None, "A killed with SIGKILL: dev-b gets device_removed for dev-a",
         "%.0f ms; instances now (id, beat_at): %r at %d" % (
             took, pg_rows("SELECT id, beat_at FROM connect_instances"), time.time() * 1000))
    t.ok(gone is None or took < TIMEOUT_MS + 1500,
         "... within connect_instance_timeout_ms and a heartbeat (%d ms)" % TIMEOUT_MS, "%.0f ms" % took)
    t.eq(ids(db.devices), ["dev-b"], "dev-b's list is itself alone")
    left = pg_rows("SELECT device_id FROM connect_devices ORDER BY device_id")
    t.eq([r[0] for r in left], ["dev-b"], "the database holds dev-b alone as a device")
    st = B.get("/v1/me/player", token=tok).json() or {}
    t.ok((st.get("item") or {}).get("id") == TRACKS[1] and st.get("device") is None,
         "GET /v1/me/player through B: the track, no active device", st)

    t.ok(da.closed.wait(3), "dev-a's session is gone with A")
    mb = db.mark()
    da.port = B.port
    da.queue = {"context_uri": None, "tracks": [], "order": [], "pos": 0, "user": [], "current": None,
                "current_is_user": False, "shuffle": False, "repeat": "off"}
    da.connect()  # no state of its own: what it is welcomed with is the database's
    pw = da.welcome.get("player") or {}
    t.eq((pw.get("item") or {}).get("id"), TRACKS[1], "dev-a reconnects through B: its welcome has the track")
    t.ok(abs((pw.get("progress_ms") or -1) - (before.get("progress_ms") or 0)) < 200 and pw.get("is_playing") is False,
         "... at the position from before the kill, paused",
         (pw.get("progress_ms"), before.get("progress_ms")))
    q = da.welcome.get("queue") or {}
    t.eq((q.get("tracks"), q.get("pos"), q.get("current")),
         (before_q.get("tracks"), before_q.get("pos"), before_q.get("current")),
         "... and the queue")
    added = db.wait(lambda m: m.get("type") == "device_added" and (m.get("device") or {}).get("id") == "dev-a", 2, mb)
    t.ok(added is not None, "dev-b sees dev-a come back")
    r = db.transfer("dev-a", play=True)
    t.eq(reason(r), "ok", "a transfer to the device that came back: ok")
    t.ok(da.playing and da.queue.get("current") == TRACKS[1], "dev-a plays the track again")
    da.close()
    db.close()
finally:
    for s in (A, B, C):
        if s:
            s.stop()
t.done()
