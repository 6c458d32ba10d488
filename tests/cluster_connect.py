"""Connect through nginx in front of two instances over one PostgreSQL database, as phones and
desktops reach a deployment of several servers (contrib/nginx/segue-cluster.conf): two devices
whose WebSocket sessions nginx spread over both instances see each other and hand a song over;
the instance holding one of them is killed with SIGKILL, and that device comes back through
nginx (now to the other instance) to the player state from before the kill."""


import multi
import pgcluster

pgcluster.skip_if(multi.unavailable(nginx=True))

from segue_test import TAP, wait_for  # noqa: E402
from ws_device import FakeDevice, active_ids, reason  # noqa: E402

t = TAP()
SETTINGS = {"rl_standard": 1000000, "rl_player": 1000000, "connect_timeout_ms": 2000,
            "connect_instance_timeout_ms": 2000}


def ids(devs):
    return sorted(d.get("id") for d in devs or [])


active = active_ids


with multi.Service(instances=2, nginx=True, settings=SETTINGS) as svc:
    edge = svc.nginx.server()
    tok = edge.login("premium-us")
    t.ok(tok, "a login through nginx")
    tracks = [r[0] for r in svc.sql("SELECT id FROM tracks WHERE markets IS NULL OR markets = ''"
                                    " OR markets LIKE '%%US%%' ORDER BY album_id, disc_number, track_number")]
    got = edge.get("/v1/tracks?ids=" + ",".join(tracks[:6]), token=tok).json() or {}
    catalog = {x["id"]: x for x in got.get("tracks") or [] if x}

    da = FakeDevice(svc.nginx.port, tok, "phone", catalog=catalog).connect()
    db = FakeDevice(svc.nginx.port, tok, "desk", catalog=catalog).connect()
    where = wait_for(lambda: (lambda w: w if len(w) == 2 else None)(
        dict(svc.sql("SELECT device_id, instance FROM connect_devices"))), 3) or {}
    t.ok(len(where) == 2 and where.get("phone") != where.get("desk"),
         "nginx put the two WebSocket sessions on different instances", where)
    t.ok(wait_for(lambda: ids(da.devices) == ids(db.devices) == ["desk", "phone"], 3),
         "each device lists both", (da.devices, db.devices))

    da.play_locally(tracks[:4], index=1, position_ms=3000)
    r = da.transfer("desk", play=True)
    t.eq(reason(r), "ok", "the phone hands its song to the desk, across instances, through nginx")
    t.ok(wait_for(lambda: db.playing and db.queue.get("current") == tracks[1], 3),
         "the desk plays the phone's song", db.queue)
    # At once, as a user taps pause on the desk's screen the moment it plays: a command without
    # device_id reaches the desk, though the hand-over was run by the phone's instance and
    # reaches the desk's through the database (doc/connect.md, Several instances).
    t.eq(reason(db.command("pause")), "ok", "the desk pauses at once")
    t.ok(wait_for(lambda: db.playing is False, 3), "... and reports itself paused",
         "commands: phone %r, desk %r" % ([m.get("command") for m in da.received() if m.get("type") == "command"],
                                          [m.get("command") for m in db.received() if m.get("type") == "command"]))
    t.ok(wait_for(lambda: active(da.devices) == active(db.devices) == ["desk"], 3),
         "both devices' lists show the desk active", (da.devices, db.devices))
    # Either instance may answer; the other hears of the pause through the database.
    seen = []

    def paused():
        r = edge.get("/v1/me/player", token=tok)
        seen.append((r.status, (r.json() or {}).get("is_playing") if r.status == 200 else None))
        s = r.json() if r.status == 200 else None
        return s if s and s.get("is_playing") is False else None
    before = wait_for(paused, 5, 0.1) or {}
    t.ok((before.get("item") or {}).get("id") == tracks[1] and before.get("is_playing") is False,
         "the state before the kill, through nginx: the song, paused", seen[-5:])

    # The instance holding the desk dies; nginx sends its reconnection to the other.
    doomed = svc.sql("SELECT instance FROM connect_devices WHERE device_id = 'desk'")[0][0]
    victim = None
    for srv in svc.servers:
        # Each instance says which it is when it starts (connect/bus.c).
        with open(srv.log_path()) as f:
            if "connect: instance %s, with the others" % doomed in f.read():
                victim = srv
    t.ok(victim is not None, "the desk's instance is known by its id in its log")
    if victim is None:
        t.done()
    victim.kill9()
    t.ok(db.closed.wait(5), "the desk's session is gone with its instance")
    t.ok(wait_for(lambda: ids(da.devices) == ["phone"], 5),
         "the phone's list drops the desk once the dead instance is reaped", da.devices)
    db.queue = {"context_uri": None, "tracks": [], "order": [], "pos": 0, "user": [], "current": None,
                "current_is_user": False, "shuffle": False, "repeat": "off"}
    back = None
    for attempt in range(10):  # nginx may try the dead upstream first; bounded
        try:
            back = db.connect()
            break
        except Exception:  # refused by the dead instance: the client tries again
            db.closed.set()
    t.ok(back is not None, "the desk reconnects through nginx")
    pw = (db.welcome or {}).get("player") or {}
    t.ok((pw.get("item") or {}).get("id") == tracks[1] and pw.get("is_playing") is False and
         abs((pw.get("progress_ms") or -1) - (before.get("progress_ms") or 0)) < 500,
         "its welcome has the song at the position from before the kill, paused", pw)
    t.ok(wait_for(lambda: ids(da.devices) == ["desk", "phone"], 3), "the phone sees the desk come back",
         da.devices)
    r = da.command("play", device_id="desk")
    t.eq(reason(r), "ok", "the phone resumes the desk through the surviving instance")
    t.ok(wait_for(lambda: db.playing, 3), "the desk plays again")
    da.close()
    db.close()
t.done()
