"""Connect end to end: a real segue-server and three segue daemons of one user (null audio
output, separate homes), driven through the command line the way a user would: devices listed,
a handoff mid-song (same track, position within 250 ms, queue carried over, the source silent),
remote control from a third device and from a command line with no daemon, the active device
killed, the hub restarted, another user's devices invisible, a transfer to a vanished device,
and a playlist followed live while two users edit it."""

import json
import subprocess
import time

from segue_client import Client
from segue_test import TAP, Server, add_user, catalog_copy, sql, wait_for
from ws_device import FakeDevice

t = TAP()
data = catalog_copy()
add_user(data, "dora", premium=True)
albums = [r[0] for r in sql(data, "SELECT id FROM albums ORDER BY id")]
tracks = [r[0] for r in sql(data, "SELECT id FROM tracks ORDER BY id")]
# A track every US account may play: the one queued by hand below.
queued = sql(data, "SELECT id FROM tracks WHERE album_id = '%s' AND markets LIKE '%%US%%'"
                   " ORDER BY track_number DESC LIMIT 1" % albums[0])[0][0]


def status(c):
    rc, doc, err = c.json("status")
    return doc if rc == 0 else None


def devices(c):
    rc, doc, err = c.json("devices")
    return doc["devices"] if rc == 0 and doc else []


def names(devs):
    return sorted(d["name"] for d in devs)


def position_now(st, at):
    """Where st says playback is at wall time `at` (seconds)."""
    pos = st["progress_ms"]
    if st["is_playing"]:
        pos += at * 1000 - st["timestamp"]
    return pos


with Server(data, {"rl_player": 100000, "rl_standard": 100000, "rl_playlist": 100000,
                   "connect_heartbeat_ms": 1000}) as srv:
    A = Client(srv.base, {"device_name": "Study"})
    B = Client(srv.base)
    C = Client(srv.base, {"device_name": "Kitchen"})
    D = Client(srv.base, {"device_name": "Dora's box"})  # another user
    for c in (A, B, C):
        c.login("premium-us")
    D.login("dora")
    A.start_daemon()
    t.eq(B.run("daemon", "--detach", "--name", "Living room")[0], 0, "a daemon named on the command line starts")
    C.start_daemon()
    D.start_daemon()

    listed = wait_for(lambda: len(devices(C)) == 3 and devices(C))
    t.eq(names(listed or []), ["Kitchen", "Living room", "Study"], "segue devices lists the user's three daemons")
    t.ok(all(d["type"] == "speaker" and not d["is_active"] for d in listed or []), "a daemon is a speaker; none is active yet")
    rc, out, err = C.run("devices")
    t.ok(rc == 0 and "(this device)" in out and "Kitchen" in out, "the plain listing marks this device", out + err)
    t.eq(names(devices(D)), ["Dora's box"], "another user sees only their own device")

    # The daemon's own list (what the TUI's Devices page and MPRIS are given) follows the hub's
    # changes: a device joins and leaves, and each time the daemon tells its subscribers the
    # list as REST has it.
    ctl = A.connect()
    ctl.subscribe()
    tok = srv.login("premium-us")

    def rest_devices():
        return sorted((d["id"], d["name"], d["is_active"]) for d in srv.get("/v1/me/player/devices", token=tok).json()["devices"])

    def listed_event(pred):
        return ctl.wait_event(lambda e: e.get("event") == "devices" and pred((e.get("data") or {}).get("devices") or []), 5)

    guest = FakeDevice(srv.port, tok, "guest-phone", "Guest phone", type="smartphone").connect()
    ev = listed_event(lambda ds: "guest-phone" in [d.get("id") for d in ds])
    t.ok(ev is not None, "a device joins: the daemon tells its subscribers the list with it")
    t.eq(sorted((d["id"], d["name"], d["is_active"]) for d in (ev or {}).get("data", {}).get("devices", [])),
         rest_devices(), "... the list REST has")
    guest.close()
    ev = listed_event(lambda ds: "guest-phone" not in [d.get("id") for d in ds])
    t.ok(ev is not None and len(ev["data"]["devices"]) == 3, "it leaves: the list without it", ev)
    ctl.close()

    # Play on A.
    rc, out, err = A.run("play", "segue:album:" + albums[0])
    t.eq(rc, 0, "play on the study daemon", err)
    st = wait_for(lambda: (lambda s: s if s and s["is_playing"] and s["progress_ms"] > 600 else None)(status(C)))
    t.ok(st and st["device"]["name"] == "Study", "status from another device shows the study playing", st)
    rc, out, err = C.run("devices")
    t.ok("* Study" in out, "the active device is marked", out)

    # Queue something by hand on A, so there is a queue to carry over.
    A.run("queue", "add", "segue:track:" + queued)
    rc, qa, err = A.json("queue")
    time.sleep(0.8)

    # Hand over to B mid-song.
    before = status(A)
    t_before = time.time()
    rc, doc, err = C.json("transfer", "living")
    t_after = time.time()
    t.eq(rc, 0, "segue transfer by an unambiguous name prefix", err)
    sb = wait_for(lambda: (lambda s: s if s and s["is_playing"] and s.get("item") else None)(status(B)), 3)
    ctl = A.connect()
    sa = ctl.subscribe()["result"]  # the study's own player, not the state it forwards to
    ctl.close()
    t.ok(sb and sb["item"]["id"] == before["item"]["id"], "the living room plays the same track",
         (sb or {}).get("item", {}).get("id"))
    if sb:
        # Both as of the same moment: A's report at t_before, B's at sb's timestamp.
        expected_b = before["progress_ms"] + (sb["timestamp"] - before["timestamp"])
        err_ms = abs(sb["progress_ms"] - expected_b)
        t.ok(err_ms < 250, "it continues within 250 ms of where the study was (off by %d ms)" % err_ms,
             "A at %d (ts %d), B at %d (ts %d)" % (before["progress_ms"], before["timestamp"], sb["progress_ms"], sb["timestamp"]))
    t.ok(sa is not None and not sa["is_playing"], "the study fell silent", sa)
    rc, qb, err = B.json("queue")
    t.eq([x["id"] for x in (qb or {}).get("queue", [])], [x["id"] for x in (qa or {}).get("queue", [])],
         "the queue (hand-queued track first) carried over")
    dev = {d["name"]: d for d in devices(C)}
    t.ok(dev.get("Living room", {}).get("is_active") and not dev.get("Study", {}).get("is_active"),
         "the devices list moved the active mark", dev)
    t.diag("transfer through the command line took %.0f ms" % ((t_after - t_before) * 1000))

    # Remote control from C (a daemon that is not playing) and from a bare command line.
    rc, doc, err = C.json("pause")
    t.ok(rc == 0 and doc and doc["device"]["name"] == "Living room" and not doc["is_playing"],
         "pause on the kitchen daemon pauses the living room", (rc, doc, err))
    t.ok(not status(B)["is_playing"], "the living room is paused")
    E = Client(srv.base)  # no daemon at all
    E.login("premium-us")
    rc, doc, err = E.json("resume")
    t.ok(rc == 0 and doc and doc["is_playing"] and doc["device"]["name"] == "Living room",
         "resume from a command line without a daemon reaches the playing device", (rc, doc, err))
    rc, doc, err = E.json("volume", "40")
    t.ok(rc == 0 and wait_for(lambda: status(B)["device"]["volume_percent"] == 40), "volume reaches it", err)
    rc, doc, err = E.json("seek", "0:02")
    t.ok(rc == 0 and 1900 <= status(B)["progress_ms"] <= 3500, "seek reaches it", (doc or {}).get("progress_ms"))
    rc, doc, err = E.json("next", "--device", "Living room")
    t.ok(rc == 0 and status(B)["item"]["id"] == queued, "next --device goes to the hand-queued track", err)
    rc, doc, err = E.json("pause", "--device", "nonesuch")
    t.eq(rc, 4, "a device name that matches nothing exits 4", err)
    E.run("resume")

    # The active device dies: the state stays, paused where it was; B is gone from the list.
    last = status(B)
    killed_at = time.time()  # kill9 returns once the process is reaped, which may be later
    pid = B.kill9()
    t.ok(pid > 0, "the living-room daemon is killed -9")
    gone = wait_for(lambda: "Living room" not in names(devices(C)))
    t.ok(gone, "it disappears from the devices list at once")
    rc, st, err = E.json("status")
    t.ok(rc == 0 and st and not st["is_playing"] and st["item"] and st["item"]["id"] == last["item"]["id"],
         "the state is kept, paused", st)
    if st and st["item"]:
        t.ok(abs(st["progress_ms"] - position_now(last, killed_at)) < 300,
             "at its last known position", (st["progress_ms"], last["progress_ms"], last["is_playing"],
                                            last["timestamp"], killed_at, st["timestamp"]))
    rc, doc, err = C.json("transfer", "--play", "Study")
    sa = wait_for(lambda: (lambda s: s if s and s["is_playing"] and s.get("item") else None)(status(A)), 3)
    t.ok(rc == 0 and sa and sa["item"]["id"] == last["item"]["id"], "a transfer resumes it on the study", (rc, err))

    # The hub restarts: devices come back, the playing one brings the state.
    srv.stop()
    srv.start()
    back = wait_for(lambda: names(devices(C)) == ["Kitchen", "Study"], 20, 0.2)
    t.ok(back, "after a hub restart both devices are back", names(devices(C)))
    st = wait_for(lambda: (lambda s: s if s and s.get("device") and s["device"]["name"] == "Study" else None)(
        json.loads(E.run("--json", "status")[1] or "null")), 20, 0.2)
    # The study may have moved on to its next track meanwhile (they last ~10 s): the hub's
    # state must be the study's own.
    ctl = A.connect()
    own = ctl.subscribe()["result"]
    ctl.close()
    t.ok(st and st["is_playing"] and own.get("item") and st["item"]["id"] == own["item"]["id"],
         "and the state is intact: the hub has the study's own", (st, own.get("item")))

    # A transfer to a device that vanished fails cleanly, and the source keeps playing.
    kitchen = [d["id"] for d in devices(A) if d["name"] == "Kitchen"]
    C.kill9()
    wait_for(lambda: "Kitchen" not in names(devices(A)))
    tok = srv.login("premium-us")
    r = srv.request("PUT", "/v1/me/player", body={"device_ids": kitchen}, token=tok)
    t.eq(r.status, 404, "transferring to the vanished kitchen is 404")
    t.ok(status(A)["is_playing"], "and the study plays on")

    # A playlist followed live while two users edit it.
    carol = srv.login("dora")
    r = srv.request("POST", "/v1/users/premium-us/playlists", body={"name": "Shared", "collaborative": True,
                                                                   "public": False}, token=tok)
    pid_ = r.json()["id"]
    srv.request("PUT", "/v1/playlists/%s/followers" % pid_, token=carol)
    watch = subprocess.Popen([*[__import__("segue_client").SEGUE_BIN], "--json", "playlist", "watch", "--count", "2", pid_],
                             env=E.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(0.7)
    srv.request("POST", "/v1/playlists/%s/tracks" % pid_, body={"uris": ["segue:track:" + tracks[0]]}, token=carol)
    srv.request("POST", "/v1/playlists/%s/tracks" % pid_, body={"uris": ["segue:track:" + tracks[1]]}, token=tok)
    try:
        out, err = watch.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        watch.kill()
        out, err = watch.communicate()
    lines = [json.loads(x) for x in out.decode().splitlines() if x.strip()]
    final = srv.get("/v1/playlists/%s" % pid_, token=tok).json()["snapshot_id"]
    t.ok(len(lines) == 2 and all(x["change"]["kind"] == "items" and x["change"]["op"] == "add" for x in lines),
         "playlist watch prints one JSON line per change, by either editor", out.decode() + err.decode())
    t.ok(lines and lines[-1]["snapshot_id"] == final and lines[-1]["change"]["length"] == 2,
         "the last line names the final snapshot", lines)
    rc, out, err = E.run("playlist", "watch", "segue:playlist:" + "0" * 22)
    t.eq(rc, 4, "watching a playlist that does not exist exits 4", err)

    for c in (A, B, C, D, E):
        c.stop()

t.done()
