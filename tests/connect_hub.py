"""Connect hub (doc/connect.md), through its two doors: fake devices on the WebSocket and the
REST player endpoints. Handshake and hello rules, welcome, device lists and users kept apart,
activation, REST and device commands routed to the active device, timeouts and failures,
transfers (and their failures), a dying active device, refused messages, the message size
limit, revocation, heartbeats, a hub restart, and live playlists."""

import hashlib
import threading
import time

from segue_test import POSTGRES, TAP, Server, catalog_copy, db_connect, sql, subset
from ws_device import DEVICE_MESSAGES, FakeDevice, handshake

t = TAP()
data = catalog_copy()
rows = sql(data, "SELECT id, album_id, coalesce(markets, '') FROM tracks ORDER BY album_id, disc_number, track_number")
ALBUM = rows[0][1]
ALBUM_TRACKS = [r[0] for r in rows if r[1] == ALBUM]
CTX = "segue:album:" + ALBUM
US_TRACKS = [r[0] for r in rows if not r[2] or "US" in r[2].split(",")]


def U(tid):
    return "segue:track:" + tid


SETTINGS = {"rl_standard": 1000000, "rl_player": 1000000, "rl_playlist": 1000000,
            "connect_timeout_ms": 500, "connect_max_message": 65536}


def ids(devs):
    return sorted(d.get("id") for d in devs or [])


def active(devs):
    return [d.get("id") for d in devs or [] if d.get("is_active")]


def is_player(dev_id=None, playing=None, item=None):
    def pred(m):
        if m.get("type") != "player":
            return False
        p = m.get("player")
        if dev_id is None and playing is None and item is None:
            return True
        if not isinstance(p, dict):
            return False
        return ((dev_id is None or (p.get("device") or {}).get("id") == dev_id)
                and (playing is None or p.get("is_playing") is playing)
                and (item is None or (p.get("item") or {}).get("id") == item))
    return pred


def is_devices(pred):
    """A message that changed the device list (a delta, or a whole list), after which the
    session's list satisfies pred."""
    return lambda m: m.get("type") in DEVICE_MESSAGES and m.get("type") != "welcome" and pred(m.get("_devices"))


def is_cmd(name, **match):
    return lambda m: (m.get("type") == "command" and m.get("command") == name
                      and all(m.get(k) == v for k, v in match.items()))


def is_result(rid):
    return lambda m: m.get("type") == "result" and m.get("id") == rid


def reason(res):
    if not res:
        return None
    return (res.get("error") or {}).get("reason") if res.get("ok") is False else "ok" if res.get("ok") is True else res


srv = None


def rplayer(tok):
    r = srv.get("/v1/me/player", token=tok)
    return r.status, r.json()


def rdevices(tok):
    r = srv.get("/v1/me/player/devices", token=tok)
    j = r.json()
    return j.get("devices") if r.status == 200 and isinstance(j, dict) else None


def pdev(pj):
    """The id of a player state's device (None when there is none)."""
    return ((pj or {}).get("device") or {}).get("id") if isinstance(pj, dict) else None


def qfields(q):
    keys = ("context_uri", "tracks", "order", "pos", "user", "current", "current_is_user", "shuffle", "repeat")
    return {k: (q or {}).get(k) for k in keys}


def dev(tok, did, name=None, **kw):
    return FakeDevice(srv.port, tok, did, did if name is None else name, catalog=CATALOG, contexts={CTX: ALBUM_TRACKS}, **kw)


CATALOG = {}
with Server(data, SETTINGS) as srv:
    tok = srv.login("premium-us")
    tok_free = srv.login("free-us")
    tok_jp = srv.login("premium-jp")
    got = srv.get("/v1/tracks?ids=" + ",".join(r[0] for r in rows), token=tok).json() or {}
    CATALOG.update({x["id"]: x for x in got.get("tracks") or [] if x})

    # --- Handshake ------------------------------------------------------------------------
    st, detail = handshake(srv.port, tok)
    t.ok(st == 101 and detail == "segue-connect.v1", "a handshake with a token and the subprotocol is accepted",
         "%s %s" % (st, detail))
    st, detail = handshake(srv.port, None)
    t.eq(st, 401, "a handshake without a token is refused with 401", detail)
    st, detail = handshake(srv.port, "not-a-token")
    t.eq(st, 401, "a handshake with a bad token is refused with 401", detail)
    st, detail = handshake(srv.port, tok, subprotocols=None)
    t.ok(400 <= st < 500, "a handshake without the subprotocol is refused (got %s)" % st, detail)
    st, detail = handshake(srv.port, tok, subprotocols=["segue-connect.v0"])
    t.ok(400 <= st < 500, "a handshake with another subprotocol is refused (got %s)" % st, detail)

    z = dev(tok, "dev-z")
    z.connect(hello=False)
    z.send({"type": "ping"})
    t.eq(z.wait_closed(3), 4000, "a first message other than hello closes the session with 4000")
    z = dev(tok, "dev-z")
    z.connect(hello=False)
    z.send('{"type":"ping"}')  # the spelling the hub answers without parsing
    t.eq(z.wait_closed(3), 4000, "... a compact ping first too")
    for did, name, typ, what in (("bad id!", "x", "computer", "an invalid device id"),
                                 ("x" * 65, "x", "computer", "a 65-character device id"),
                                 ("dev-n", "n" * 65, "computer", "a 65-character name"),
                                 ("dev-n", "", "computer", "an empty name"),
                                 ("dev-n", "x", "t" * 33, "a 33-character type")):
        z = dev(tok, did, name, type=typ)
        z.connect(hello=False)
        z.hello()
        z.wait(lambda m: m.get("type") in ("welcome", "error"), timeout=2)
        t.ok(not z.received("welcome") and not {did, "dev-n"} & set(ids(rdevices(tok))),
             "a hello with %s registers nothing" % what, z.messages)
        z.close()
    z = dev(tok, None)
    z.connect(hello=False)
    z.hello()
    z.wait(lambda m: m.get("type") in ("welcome", "error"), timeout=2)
    t.ok(not z.received("welcome"), "a hello without a device (not an observer) registers nothing", z.messages)
    z.close()

    # --- Welcome and device lists ----------------------------------------------------------
    A = dev(tok, "dev-a", "Laptop", type="computer", volume=40).connect()
    w = A.welcome
    t.eq(w.get("user_id"), "premium-us", "welcome: user_id")
    t.eq(w.get("device_id"), "dev-a", "welcome: device_id")
    t.eq(w.get("heartbeat_ms"), 5000, "welcome: heartbeat_ms is the default 5000")
    t.ok("player" in w and w["player"] is None, "welcome: player is null before any state", w)
    t.eq(ids(w.get("devices")), ["dev-a"], "welcome: the devices list has the device itself")
    want_a = {"id": "dev-a", "name": "Laptop", "type": "computer", "is_active": False, "is_private_session": False,
              "is_restricted": False, "volume_percent": 40, "supports_volume": True}
    t.eq(subset(want_a, (w.get("devices") or [{}])[0]), None, "welcome: a device object in the Web API's shape")
    r = srv.get("/v1/me/player", token=tok)
    t.eq(r.status, 204, "GET /v1/me/player is 204 while there is no state")
    t.eq(subset({"devices": [want_a]}, srv.get("/v1/me/player/devices", token=tok).json()), None,
         "GET /v1/me/player/devices lists the device")

    m = A.mark()
    B = dev(tok, "dev-b", "Living room", type="speaker", volume=60).connect()
    t.eq(ids(B.welcome.get("devices")), ["dev-a", "dev-b"], "a second device's welcome lists both")
    t.ok(A.wait(is_devices(lambda d: ids(d) == ["dev-a", "dev-b"]), since=m) is not None,
         "the first device is sent `devices` with both")
    t.ok(A.wait(is_devices(lambda d: any(x.get("id") == "dev-b" and x.get("type") == "speaker" and x.get("name") == "Living room"
                               and x.get("volume_percent") == 60 for x in d)), since=m, timeout=0.5) is not None,
         "... with the new device's name, type and volume")

    X = dev(tok_free, "dev-x", "Other user's").connect()
    t.eq(ids(X.welcome.get("devices")), ["dev-x"], "another user's welcome lists only their own device")
    t.eq(ids(rdevices(tok)), ["dev-a", "dev-b"], "REST devices of user 1 do not show user 2's device")
    t.eq(ids(rdevices(tok_free)), ["dev-x"], "REST devices of user 2 do not show user 1's devices")

    O = FakeDevice(srv.port, tok, None, observer=True).connect()
    t.ok(O.welcome is not None and O.welcome.get("user_id") == "premium-us", "an observer without a device is welcomed")
    t.eq(ids(rdevices(tok)), ["dev-a", "dev-b"], "an observer is not listed")
    mO = O.mark()
    O.send({"type": "state", "state": A.state()})
    e = O.wait(lambda m: m.get("type") == "error", since=mO, timeout=1)
    t.ok(e is not None and srv.get("/v1/me/player", token=tok).status == 204,
         "an observer's `state` is refused with an `error` and changes nothing", e)

    r = srv.request("PUT", "/v1/me/player/pause", token=tok)
    t.eq(r.status, 404, "a REST command with no active device is 404", r)
    t.eq(reason(B.command("pause")), "no_active_device", "a WS command with no active device: no_active_device")

    # --- Activation --------------------------------------------------------------------------
    mA, mB, mX = A.mark(), B.mark(), X.mark()
    A.clock_skew_ms = -3600 * 1000  # the hub times positions with its own clock
    A.play_locally(ALBUM_TRACKS, 0, 1000, CTX)
    A.clock_skew_ms = 0
    for d in (A, B):
        p = d.wait(is_player("dev-a", True, ALBUM_TRACKS[0]), since=mA if d is A else mB)
        t.ok(p is not None, "%s gets `player` when dev-a reports is_playing" % d.id)
        v = d.wait(is_devices(lambda x: active(x) == ["dev-a"]), since=mA if d is A else mB)
        t.ok(v is not None, "%s gets `devices` with dev-a active" % d.id)
    p = B.wait(is_player("dev-a", True), since=mB) or {}
    pl = p.get("player") or {}
    t.ok(1000 <= (pl.get("progress_ms") or -1) < 4000 and (pl.get("context") or {}).get("uri") == CTX
         and pl.get("repeat_state") == "off" and pl.get("shuffle_state") is False
         and pl.get("currently_playing_type") == "track", "the `player` state is the reported one", pl)
    t.eq((p.get("queue") or {}).get("tracks"), ALBUM_TRACKS, "the first `player` carries the queue")
    t.eq(subset({"id": "dev-a", "is_active": True, "volume_percent": 40}, pl.get("device")), None,
         "player.device is the hub's device object")
    st, pj = rplayer(tok)
    t.eq(st, 200, "GET /v1/me/player is 200 once there is a state")
    pj = pj or {}
    t.ok((pj.get("device") or {}).get("id") == "dev-a" and pj.get("is_playing") is True
         and (pj.get("item") or {}).get("id") == ALBUM_TRACKS[0] and 1000 <= pj.get("progress_ms", -1) < 4000
         and abs(pj.get("timestamp", 0) - time.time() * 1000) < 2000,
         "... with dev-a playing the track, timestamp now (a device clock an hour behind does not matter)", pj)
    devs = rdevices(tok) or []
    t.eq(active(devs), ["dev-a"], "REST devices: dev-a is_active, dev-b not")
    B.load(ALBUM_TRACKS, 2, 0, CTX, playing=False)
    B.report()
    B.ping()
    st, pj = rplayer(tok)
    t.ok(pdev(pj) == "dev-a" and pj.get("is_playing") is True,
         "a paused report from a device that is not active is ignored", pj)

    mA, mB = A.mark(), B.mark()
    B.play_locally(ALBUM_TRACKS, 2, 500, CTX)
    t.ok(A.wait(is_cmd("stop"), since=mA, timeout=1) is not None, "a device that starts playing on its own: the active one is told stop")
    t.ok(A.wait(is_devices(lambda d: active(d) == ["dev-b"]), since=mA, timeout=1) is not None
         and A.wait(is_player("dev-b", True, ALBUM_TRACKS[2]), since=mA, timeout=1) is not None,
         "... and it is the active device, everyone told")
    mB = B.mark()
    A.play_locally(ALBUM_TRACKS, 0, 1000, CTX)
    t.ok(B.wait(is_cmd("stop"), since=mB, timeout=1) is not None and active(rdevices(tok)) == ["dev-a"],
         "and back: dev-a plays again, dev-b told stop")

    # --- REST commands reach the active device -----------------------------------------
    def rest(method, path, names, name, body=None, check=lambda c: True, pcheck=None):
        since = A.mark()
        r = srv.request(method, path, body=body, token=tok)
        c = A.wait(lambda m: m.get("type") == "command" and m.get("command") in names and check(m), since=since, timeout=1)
        t.ok(r.status == 204 and c is not None and c.get("from") == "web-api",
             "%s: 204 after the active device got %s" % (name, names[0]), "%r / %r" % (r, c))
        if pcheck:
            st, pj = rplayer(tok)
            try:
                good = st == 200 and pcheck(pj or {})
            except (KeyError, TypeError, AttributeError):
                good = False
            t.ok(good, "%s: GET /v1/me/player shows it" % name, pj)
        return c

    rest("PUT", "/v1/me/player/pause", ["pause"], "pause", pcheck=lambda p: p.get("is_playing") is False)
    rest("PUT", "/v1/me/player/play", ["play", "resume"], "play (resume)",
         check=lambda c: not c.get("uris") and not c.get("context_uri"), pcheck=lambda p: p.get("is_playing") is True)
    rest("PUT", "/v1/me/player/seek?position_ms=4000", ["seek"], "seek",
         check=lambda c: c.get("position_ms") == 4000, pcheck=lambda p: 4000 <= p.get("progress_ms", -1) < 6000)
    rest("PUT", "/v1/me/player/volume?volume_percent=70", ["volume"], "volume",
         check=lambda c: c.get("volume_percent") == 70, pcheck=lambda p: p["device"]["volume_percent"] == 70)
    rest("PUT", "/v1/me/player/shuffle?state=true", ["shuffle"], "shuffle",
         check=lambda c: c.get("state") is True, pcheck=lambda p: p.get("shuffle_state") is True)
    rest("PUT", "/v1/me/player/repeat?state=track", ["repeat"], "repeat",
         check=lambda c: c.get("state") == "track", pcheck=lambda p: p.get("repeat_state") == "track")
    rest("POST", "/v1/me/player/next", ["next"], "next", pcheck=lambda p: p["item"]["id"] == ALBUM_TRACKS[1])
    rest("POST", "/v1/me/player/previous", ["previous"], "previous", pcheck=lambda p: p["item"]["id"] == ALBUM_TRACKS[0])
    rest("POST", "/v1/me/player/queue?uri=" + U(ALBUM_TRACKS[2]), ["queue_add"], "queue",
         check=lambda c: c.get("uri") == U(ALBUM_TRACKS[2]))
    r = srv.get("/v1/me/player/queue", token=tok)
    q = r.json() or {}
    t.ok(r.status == 200 and (q.get("currently_playing") or {}).get("id") == ALBUM_TRACKS[0]
         and isinstance(q.get("queue"), list) and q["queue"] and q["queue"][0].get("id") == ALBUM_TRACKS[2]
         and all(isinstance(x, dict) and x.get("type") == "track" for x in q["queue"]),
         "GET /v1/me/player/queue: currently_playing and the hand-queued track first", r)
    rest("PUT", "/v1/me/player/play", ["play"], "play tracks",
         body={"uris": [U(ALBUM_TRACKS[1]), U(ALBUM_TRACKS[2])], "offset": {"position": 1}, "position_ms": 2000},
         check=lambda c: c.get("uris") == [U(ALBUM_TRACKS[1]), U(ALBUM_TRACKS[2])] and c.get("offset") == {"position": 1}
         and c.get("position_ms") == 2000,
         pcheck=lambda p: p["item"]["id"] == ALBUM_TRACKS[2] and p.get("progress_ms", -1) >= 2000)
    rest("PUT", "/v1/me/player/play", ["play"], "play a context",
         body={"context_uri": CTX, "offset": {"uri": U(ALBUM_TRACKS[1])}},
         check=lambda c: c.get("context_uri") == CTX and c.get("offset") == {"uri": U(ALBUM_TRACKS[1])},
         pcheck=lambda p: p["item"]["id"] == ALBUM_TRACKS[1] and p["context"]["uri"] == CTX)

    since = A.mark()
    for path, what in (("/v1/me/player/volume?volume_percent=101", "a volume over 100"),
                       ("/v1/me/player/repeat?state=sometimes", "an unknown repeat state"),
                       ("/v1/me/player/shuffle?state=maybe", "a shuffle state that is not a boolean"),
                       ("/v1/me/player/seek", "a seek without position_ms")):
        r = srv.request("PUT", path, token=tok)
        t.eq(r.status, 400, "REST: %s is 400" % what, r)
    r = srv.request("POST", "/v1/me/player/queue?uri=spotify:track:nope", token=tok)
    t.eq(r.status, 400, "REST: queueing a malformed URI is 400", r)
    A.ping()
    t.eq(A.commands(since), [], "... and none of those reached the device")
    r = srv.request("PUT", "/v1/me/player/pause?device_id=nope", token=tok)
    t.eq(r.status, 404, "REST: an unknown device_id is 404", r)
    mA, mB = A.mark(), B.mark()
    r = srv.request("PUT", "/v1/me/player/volume?volume_percent=30&device_id=dev-b", token=tok)
    c = B.wait(is_cmd("volume"), since=mB, timeout=1)
    t.ok(r.status == 204 and c is not None and c.get("volume_percent") == 30 and not A.commands(mA),
         "REST: device_id sends the command to that device, not the active one", "%r %r" % (r, c))

    # --- Commands from a device ------------------------------------------------------------
    C = dev(tok, "dev-c", "Phone", type="smartphone").connect()
    A.ping()
    C.ping()
    order_marks = (A.mark(), C.mark())
    mA, mC = A.mark(), C.mark()
    res = C.command("pause")
    t.eq(reason(res), "ok", "a WS command from dev-c gets result ok")
    c = A.wait(is_cmd("pause"), since=mA, timeout=0.5)
    t.eq((c or {}).get("from"), "dev-c", "the active device got it, from dev-c")
    msgs = C.received(since=mC)
    ri = next((i for i, x in enumerate(msgs) if x.get("type") == "result"), None)
    pi = next((i for i, x in enumerate(msgs) if is_player(playing=False)(x)), None)
    t.ok(ri is not None and pi is not None and pi < ri, "the `player` reflecting it came before the result",
         [x.get("type") for x in msgs])
    t.eq(reason(C.command("resume")), "ok", "resume from dev-c")
    t.eq(reason(C.command("volume", device_id="nope", volume_percent=5)), "device_not_found",
         "a command for an unknown device: device_not_found")
    mA = A.mark()
    t.eq(reason(C.command("dance")), "bad_request", "an unknown command: bad_request")
    t.eq(reason(C.command("volume", volume_percent=300)), "bad_request", "a volume of 300: bad_request")
    t.eq(A.commands(mA), [], "... and neither reached the active device")
    mC = C.mark()
    C.send({"type": "command", "command": "pause"})
    e = C.wait(lambda m: m.get("type") in ("error", "result"), since=mC, timeout=1)
    t.ok(e is not None and e.get("type") == "error" and e.get("reason"), "a command without an id gets an `error`", e)

    mC = C.mark()
    C.send({"type": "command", "id": "x" * 65, "command": "pause"})
    e = C.wait(lambda m: m.get("type") in ("error", "result"), since=mC, timeout=1)
    t.ok(e is not None and e.get("type") == "error", "a command id of 65 characters gets an `error`", e)

    # Another user's session cannot reach these devices.
    mA, mB = A.mark(), B.mark()
    t.eq(reason(X.command("pause", device_id="dev-a")), "device_not_found", "user 2 commanding user 1's device: device_not_found")
    t.eq(reason(X.transfer("dev-b")), "device_not_found", "user 2 transferring to user 1's device: device_not_found")
    t.eq(reason(X.command("pause")), "no_active_device", "user 2's own commands see no active device")
    t.ok(not A.commands(mA) and not B.commands(mB), "user 1's devices got nothing from user 2")

    # --- Timeouts and failures ----------------------------------------------------------------
    D = dev(tok, "dev-d", answer=False).connect()
    t0 = time.time()
    res = C.command("volume", device_id="dev-d", volume_percent=20, timeout=4)
    el = time.time() - t0
    t.ok(reason(res) == "timed_out" and 0.4 <= el < 3, "a device that never answers: timed_out after %.2f s" % el, res)
    t.ok(D.commands(name="volume") and D.commands(name="volume")[0].get("from") == "dev-c", "it did get the command")
    r = srv.request("PUT", "/v1/me/player/volume?volume_percent=20&device_id=dev-d", token=tok)
    t.eq(r.status, 504, "REST: a device that never answers is 504", r)
    F = dev(tok, "dev-f", fail=True).connect()
    r = srv.request("PUT", "/v1/me/player/volume?volume_percent=20&device_id=dev-f", token=tok)
    t.eq(r.status, 502, "REST: a device that fails is 502", r)
    res = C.command("volume", device_id="dev-f", volume_percent=20)
    t.ok(reason(res) == "failed" and "fail" in str((res.get("error") or {}).get("message")),
         "WS: a device that fails: failed, with its message", res)
    G = dev(tok, "dev-g", answer=False).connect()
    mC = C.mark()
    C.send({"type": "command", "id": "gone-1", "command": "volume", "device_id": "dev-g", "volume_percent": 1})
    G.wait(is_cmd("volume"), timeout=1)
    G.abort()
    res = C.wait(is_result("gone-1"), since=mC, timeout=3)
    t.eq(reason(res), "device_gone", "a device that disconnects before answering: device_gone")
    D.close()
    F.close()

    # --- Transfer -----------------------------------------------------------------------------
    st, pj = rplayer(tok)
    t.ok(pdev(pj) == "dev-a" and pj.get("is_playing") is True, "dev-a plays before the transfer", pj)
    mA, mB, mC = A.mark(), B.mark(), C.mark()
    a_item = A.queue["current"]
    res = C.transfer("dev-b")
    t.eq(reason(res), "ok", "transfer dev-a -> dev-b from dev-c: ok")
    t.ok(A.commands(mA, "transfer_out"), "dev-a was sent transfer_out")
    ans = A.answer_to("transfer_out")
    ti = B.wait(is_cmd("transfer_in"), since=mB, timeout=0.5) or {}
    a_pos = (ans.get("state") or {}).get("progress_ms", 0)
    t.ok(isinstance(ti.get("position_ms"), int) and a_pos <= ti["position_ms"] <= a_pos + 1500,
         "transfer_in position_ms (%s) >= dev-a's reported %s" % (ti.get("position_ms"), a_pos))
    t.eq(qfields(ti.get("queue")), qfields(ans.get("queue")), "transfer_in carries dev-a's queue")
    t.ok(ti.get("play") is True and ((ti.get("state") or {}).get("item") or {}).get("id") == a_item,
         "transfer_in: play (dev-a was playing) and dev-a's track", ti)
    t.ok(A.wait(is_cmd("stop"), since=mA, timeout=1) is not None, "dev-a is told stop")
    t.ok(C.wait(is_devices(lambda d: active(d) == ["dev-b"]), since=mC, timeout=1) is not None,
         "everyone gets `devices` with dev-b active")
    t.ok(C.wait(is_player("dev-b", True, a_item), since=mC, timeout=1) is not None, "everyone gets `player` on dev-b")
    msgs = C.received(since=mC)
    ri = next((i for i, x in enumerate(msgs) if x.get("type") == "result"), None)
    di = next((i for i, x in enumerate(msgs) if is_devices(lambda d: active(d) == ["dev-b"])(x)), None)
    pi = next((i for i, x in enumerate(msgs) if is_player("dev-b")(x)), None)
    t.ok(None not in (ri, di, pi) and di < ri and pi < ri, "the sender gets `devices` and `player` before its ok",
         [x.get("type") for x in msgs])
    st, pj = rplayer(tok)
    t.ok(pdev(pj) == "dev-b" and pj.get("is_playing") is True
         and (pj.get("item") or {}).get("id") == a_item, "GET /v1/me/player: dev-b plays dev-a's track", pj)

    mB = B.mark()
    t.eq(reason(C.transfer("nope")), "device_not_found", "transfer to an unknown device: device_not_found")
    st, pj = rplayer(tok)
    t.ok(pdev(pj) == "dev-b" and pj.get("is_playing") is True and not B.commands(mB),
         "... and nothing changed (dev-b still active and playing, not asked anything)", pj)

    D2 = dev(tok, "dev-d2", answer=False).connect()
    mB = B.mark()
    res = C.transfer("dev-d2", timeout=5)
    t.eq(reason(res), "timed_out", "transfer to a device that never answers: timed_out")
    out = B.commands(mB, "transfer_out")
    back = B.commands(mB, "transfer_in")
    b_ans = B.answer_to("transfer_out")
    b_pos = (b_ans.get("state") or {}).get("progress_ms", 0)
    t.ok(out and back and back[0].get("position_ms", -1) >= b_pos and back[0].get("play") is True,
         "the source got transfer_out, then transfer_in with its own state to resume", back)
    st, pj = rplayer(tok)
    t.ok(pdev(pj) == "dev-b" and pj.get("is_playing") is True,
         "... and stays the active device, playing", pj)
    D2.close()
    V = dev(tok, "dev-v", answer=False).connect()
    mB, mC = B.mark(), C.mark()
    C.send({"type": "transfer", "id": "tr-gone", "device_id": "dev-v"})
    V.wait(is_cmd("transfer_in"), timeout=1)
    V.abort()
    res = C.wait(is_result("tr-gone"), since=mC, timeout=3)
    back = B.commands(mB, "transfer_in")
    st, pj = rplayer(tok)
    t.ok(reason(res) == "device_gone" and back and back[0].get("play") is True
         and pdev(pj) == "dev-b" and pj.get("is_playing") is True,
         "a target that vanishes mid-transfer: device_gone, and the source resumes", "%r %r" % (res, pj))

    S = dev(tok, "dev-s", answer_delay=0.3).connect()
    mC = C.mark()
    C.send({"type": "transfer", "id": "tr-1", "device_id": "dev-s"})
    C.send({"type": "transfer", "id": "tr-2", "device_id": "dev-a"})
    r = srv.request("PUT", "/v1/me/player", body={"device_ids": ["dev-a"]}, token=tok)
    t.eq(r.status, 409, "REST: a transfer while one runs is 409", r)
    r2 = C.wait(is_result("tr-2"), since=mC, timeout=3)
    r1 = C.wait(is_result("tr-1"), since=mC, timeout=3)
    t.eq(reason(r2), "busy", "a second transfer while one runs: busy")
    t.eq(reason(r1), "ok", "the first one completes")
    st, pj = rplayer(tok)
    t.eq(pdev(pj), "dev-s", "dev-s is active after it")

    mB = B.mark()
    r = srv.request("PUT", "/v1/me/player", body={"device_ids": ["dev-b"], "play": True}, token=tok)
    t.eq(r.status, 204, "REST PUT /v1/me/player {device_ids: [dev-b], play: true}: 204", r)
    t.ok(B.commands(mB, "transfer_in") and B.commands(mB, "transfer_in")[0].get("play") is True,
         "dev-b got transfer_in with play")
    st, pj = rplayer(tok)
    t.ok(pdev(pj) == "dev-b" and pj.get("is_playing") is True, "dev-b plays", pj)
    r = srv.request("PUT", "/v1/me/player", body={"device_ids": ["nope"]}, token=tok)
    t.eq(r.status, 404, "REST transfer to an unknown device: 404", r)
    r = srv.request("PUT", "/v1/me/player", body={"device_ids": []}, token=tok)
    t.eq(r.status, 400, "REST transfer without a device: 400", r)
    S.close()

    # --- The active device dies ---------------------------------------------------------------
    time.sleep(0.3)
    last = next((x for x in reversed(B.sent) if isinstance(x, dict) and x.get("state")), None)
    last_state = last["state"] if last else (next((x for x in reversed(B.answers) if x.get("state")), {}).get("state") or {})
    mA, mC = A.mark(), C.mark()
    t_abort = time.time() * 1000
    B.abort()
    dv = C.wait(is_devices(lambda d: "dev-b" not in ids(d) and active(d) == []), since=mC, timeout=2)
    t.ok(dv is not None, "when the active device dies, everyone gets `devices` without it and none active")
    p = C.wait(is_player(playing=False), since=mC, timeout=2)
    t.ok(p is not None, "and `player` paused")
    st, pj = rplayer(tok)
    pj = pj or {}
    lo = min(last_state.get("progress_ms", 0), 10 ** 9)
    hi = last_state.get("progress_ms", 0) + (t_abort - last_state.get("timestamp", t_abort)) + 1500
    t.ok(st == 200 and pj.get("is_playing") is False and lo <= pj.get("progress_ms", -1) <= hi,
         "GET /v1/me/player: paused at its last position (%s <= %s <= %d)" % (lo, pj.get("progress_ms"), hi), pj)
    t.ok(rdevices(tok) is not None and active(rdevices(tok)) == [] and "dev-b" not in ids(rdevices(tok)),
         "REST devices: gone, nothing active")
    paused_at = pj.get("progress_ms", 0)
    mA = A.mark()
    res = C.transfer("dev-a", play=True)
    t.eq(reason(res), "ok", "a transfer to dev-a after that: ok")
    ti = A.wait(is_cmd("transfer_in"), since=mA, timeout=0.5) or {}
    t.ok(ti.get("play") is True and paused_at <= ti.get("position_ms", -1) <= paused_at + 1000
         and ((ti.get("state") or {}).get("item") or {}).get("id") == (last_state.get("item") or {}).get("id"),
         "dev-a got transfer_in with the kept state at the kept position", ti)
    st, pj = rplayer(tok)
    t.ok(pdev(pj) == "dev-a" and pj.get("is_playing") is True, "dev-a plays", pj)

    # A play aimed at a device that is not active moves playback there.
    mA, mC = A.mark(), C.mark()
    r = srv.request("PUT", "/v1/me/player/play?device_id=dev-c", token=tok)
    st, pj = rplayer(tok)
    t.ok(r.status == 204 and pdev(pj) == "dev-c" and pj.get("is_playing") is True
         and (pj.get("item") or {}).get("id") == A.queue["current"],
         "REST play aimed at dev-c without tracks moves the current playback there", "%r %r" % (r, pj))
    t.ok(A.commands(mA, "stop") or A.commands(mA, "transfer_out"), "the old active device was stopped")
    P = dev(tok, "dev-p").connect()
    mP = P.mark()
    t.eq(reason(C.transfer("dev-p", play=False)), "ok", "a transfer with play: false")
    ti = P.wait(is_cmd("transfer_in"), since=mP, timeout=0.5) or {}
    st, pj = rplayer(tok)
    t.ok(ti.get("play") is False and pdev(pj) == "dev-p" and pj.get("is_playing") is False,
         "... leaves the target paused", "%r %r" % (ti.get("play"), pj))
    mP, mC = P.mark(), C.mark()
    r = srv.request("PUT", "/v1/me/player/play?device_id=dev-c", body={"uris": [U(ALBUM_TRACKS[0])]}, token=tok)
    c = C.wait(is_cmd("play"), since=mC, timeout=1)
    st, pj = rplayer(tok)
    t.ok(r.status == 204 and c is not None and c.get("uris") == [U(ALBUM_TRACKS[0])]
         and pdev(pj) == "dev-c" and pj.get("is_playing") is True
         and P.wait(is_cmd("stop"), since=mP, timeout=1) is not None,
         "REST play with tracks aimed at dev-c: it plays them and is active, the old one told stop", "%r %r %r" % (r, c, pj))
    r = srv.request("PUT", "/v1/me/player", body={"device_ids": ["dev-a"], "play": True}, token=tok)
    st, pj = rplayer(tok)
    t.ok(r.status == 204 and pdev(pj) == "dev-a" and pj.get("is_playing") is True,
         "and back to dev-a, playing", "%r %r" % (r, pj))
    P.close()

    # --- Refused messages ---------------------------------------------------------------------
    for raw, what in (("this is not json", "text that is not JSON"), ('{"type": "dance"}', "an unknown type"),
                      ("[1, 2, 3]", "a JSON array"), ('{"no_type": 1}', "an object without type")):
        mC = C.mark()
        C.send(raw)
        e = C.wait_type("error", since=mC, timeout=1)
        t.ok(e is not None and isinstance(e.get("reason"), str) and isinstance(e.get("message"), str),
             "%s gets an `error` with reason and message" % what, e)
    t.ok(C.ping() and C.is_open, "the session stays open: ping still gets pong")
    mC = C.mark()
    C.send('{"type":"ping"}')
    C.send('{"type":"ping","x":1}')
    C.wait(lambda m: len(C.received("pong", mC)) >= 2, since=mC, timeout=2)
    t.eq([m.get("type") for m in C.received(since=mC)], ["pong", "pong"],
         "a compact ping and one with more members: a pong each")
    E = dev(tok, "dev-e").connect()
    for i in range(25):
        if not E.send('{"type": "dance"}'):
            break
    code = E.wait_closed(3)
    t.eq(code, 4002, "more than 20 refused messages close the session with 4002 (after %d errors)"
         % len(E.received("error")))
    E2 = dev(tok, "dev-e2").connect()
    mE = E2.mark()
    E2.send(b"\x00\x01binary")
    e = E2.wait(lambda m: m.get("type") == "error", since=mE, timeout=1)
    t.ok(e is not None or E2.wait_closed(0.5) is not None, "a binary message is refused",
         "%r %r" % (E2.messages[mE:], E2.close_code))
    E2.close()

    # --- The size limit -----------------------------------------------------------------------
    Big = dev(tok, "dev-big").connect()
    Big.send({"type": "ping", "pad": "x" * 70000})
    t.eq(Big.wait_closed(3), 1009, "a message over connect_max_message closes the session with 1009")
    t.ok(A.ping() and A.is_open, "another device of the same user keeps working (ping)")
    mA = A.mark()
    r = srv.request("PUT", "/v1/me/player/volume?volume_percent=55", token=tok)
    t.ok(r.status == 204 and A.commands(mA, "volume"), "... and commands (REST volume: 204)", r)
    t.ok("dev-big" not in ids(rdevices(tok)), "the closed session is no longer listed")

    # --- Revocation ---------------------------------------------------------------------------
    tok2 = srv.login("premium-us")
    R = dev(tok2, "dev-r").connect()
    r = srv.form("/api/revoke", {"token": tok2})
    t.eq(r.status, 200, "revoke the token a session was opened with")
    t.eq(R.wait_closed(3), 4001, "that session is closed with 4001")
    t.ok(A.ping(), "sessions opened with other tokens stay")
    t.eq(handshake(srv.port, tok2)[0], 401, "the revoked token's handshake is 401")

    # --- An expired token: the session outlives it ------------------------------------------
    tok3, tok4 = srv.login("premium-us"), srv.login("premium-us")
    T = dev(tok3, "dev-t").connect()
    db = db_connect(data)
    db.execute("UPDATE tokens SET expires_at = 1 WHERE hash = ?", (hashlib.blake2b(tok3.encode(), digest_size=32).digest(),))
    db.commit()
    n = db.execute("SELECT count(*) FROM tokens WHERE expires_at = 1").fetchone()[0]
    db.close()
    if n == 1:
        t.eq(handshake(srv.port, tok3)[0], 401, "an expired token's handshake is 401")
        srv.form("/api/revoke", {"token": tok4})
        time.sleep(0.2)
        t.ok(T.ping() and T.is_open, "a session outlives the expiry of its token (even when another token is revoked)")
    else:
        t.diag("tokens are not stored as blake2b-256(token): expiry not tested")
    T.close()

    # --- The same device id twice ----------------------------------------------------------
    R1 = dev(tok, "dev-twin").connect()
    mA = A.mark()
    R2 = dev(tok, "dev-twin").connect()
    t.eq(R1.wait_closed(3), 4003, "a second session with the same device id closes the first with 4003")
    t.ok(R2.ping() and ids(rdevices(tok)).count("dev-twin") == 1, "the second one is the device, listed once")
    R2.close()
    t.ok(A.wait(is_devices(lambda d: "dev-twin" not in ids(d)), since=mA, timeout=1) is not None,
         "when it leaves, `devices` no longer lists it")

    # --- Isolation, all along -----------------------------------------------------------------
    leaked = [m for m in X.messages if m.get("type") == "player" or
              (m.get("type") in DEVICE_MESSAGES and set(ids(m.get("_devices"))) - {"dev-x"})]
    t.eq(leaked, [], "user 2's device never got user 1's player or devices")

    A.ping()
    C.ping()

    def seq(d, since):
        out = []
        for m in d.received(since=since):
            if m.get("type") in DEVICE_MESSAGES and m.get("type") != "welcome":
                out.append((m["type"], tuple(ids(m["_devices"])), tuple(active(m["_devices"]))))
            elif m.get("type") == "player":
                p = m.get("player") or {}
                out.append(("player", (p.get("device") or {}).get("id"), p.get("is_playing"), (p.get("item") or {}).get("id")))
        return out
    sa, sc = seq(A, order_marks[0]), seq(C, order_marks[1])
    t.ok(sa == sc and len(sa) > 10, "two devices got the same `player` and `devices` messages in the same order (%d)" % len(sa),
         "\n".join("%r | %r" % (x, y) for x, y in zip(sa, sc) if x != y))

    # --- Hub restart --------------------------------------------------------------------------
    t.ok(A.playing, "dev-a plays before the restart")
    item_before = A.queue["current"]
    srv.stop()
    t.ok(all(d.wait_closed(3) is not None for d in (A, C, X, O)), "stopping the server closes every session")
    srv.start()
    st, pj = rplayer(tok)
    if POSTGRES:
        # The state lives in the database (doc/connect.md, Several instances): paused where
        # the server stopped, with no device.
        t.ok(st == 200 and pdev(pj) is None and pj.get("is_playing") is False
             and (pj.get("item") or {}).get("id") == item_before,
             "after a restart the hub has the state from the database, paused, no device", pj)
    else:
        t.eq(st, 204, "after a restart the hub has no state (204)")
    A.connect(with_state=True)
    t.ok(A.welcome is not None and is_player("dev-a", True)({"type": "player", "player": A.welcome.get("player")}),
         "dev-a reconnects with its state in hello; its welcome shows it", A.welcome)
    st, pj = rplayer(tok)
    t.ok(st == 200 and pdev(pj) == "dev-a" and pj.get("is_playing") is True
         and (pj.get("item") or {}).get("id") == A.queue["current"], "GET /v1/me/player shows the state again", pj)
    C.load(ALBUM_TRACKS, 2, 0, CTX, playing=True)
    C.connect(with_state=True)
    st, pj = rplayer(tok)
    t.ok(pdev(pj) == "dev-a" and (pj.get("item") or {}).get("id") == A.queue["current"],
         "a second device saying `active` in hello does not take over from the active one", pj)
    t.ok(is_player("dev-a", True)({"type": "player", "player": C.welcome.get("player")})
         and active(C.welcome.get("devices")) == ["dev-a"], "another device's welcome has it too", C.welcome)
    r = srv.get("/v1/me/player/queue", token=tok)
    t.ok(r.status == 200 and ((r.json() or {}).get("currently_playing") or {}).get("id") == A.queue["current"],
         "and the queue is back", r)

    # --- Live playlists -----------------------------------------------------------------------
    X.connect()
    J = dev(tok_jp, "dev-j").connect()
    r = srv.request("POST", "/v1/users/premium-us/playlists",
                    body={"name": "Shared live", "collaborative": True, "public": False}, token=tok)
    pid = (r.json() or {}).get("id")
    t.eq(r.status, 201, "premium-us creates a collaborative playlist")
    t.eq(srv.request("PUT", "/v1/playlists/%s/followers" % pid, token=tok_free).status, 200, "free-us follows it")
    mA, mX = A.mark(), X.mark()
    r = srv.request("POST", "/v1/playlists/%s/tracks" % pid, body={"uris": [U(US_TRACKS[0]), U(US_TRACKS[1])]},
                    token=tok_free)
    snap = (r.json() or {}).get("snapshot_id")
    t0 = time.time()
    for d, mk, who in ((A, mA, "the owner's"), (X, mX, "the collaborator's")):
        p = d.wait(lambda m: m.get("type") == "playlist" and m.get("playlist_id") == pid and m.get("snapshot_id") == snap,
                   since=mk, timeout=max(0.05, 1.0 - (time.time() - t0)))
        t.ok(p is not None, "%s device gets `playlist` with the new snapshot within 1 s" % who)
        t.eq((p or {}).get("change"), {"kind": "items", "op": "add", "from": 0, "length": 2},
             "... change: items/add from 0, length 2")

    errs = []

    def add(tk, uri, n):
        for _ in range(n):
            rr = srv.request("POST", "/v1/playlists/%s/tracks" % pid, body={"uris": [uri]}, token=tk)
            if rr.status != 201:
                errs.append(rr.status)
    th = [threading.Thread(target=add, args=(tok, U(US_TRACKS[2]), 20)),
          threading.Thread(target=add, args=(tok_free, U(US_TRACKS[3]), 20))]
    [x.start() for x in th]
    [x.join() for x in th]
    pl = srv.get("/v1/playlists/%s" % pid, token=tok).json() or {}
    final = pl.get("snapshot_id")
    t.ok(not errs and (pl.get("tracks") or {}).get("total") == 42, "40 concurrent adds from two users all land",
         "%r %r" % (errs, pl.get("tracks")))
    for d, mk, who in ((A, mA, "owner's"), (X, mX, "collaborator's")):
        d.wait(lambda m: m.get("type") == "playlist" and m.get("snapshot_id") == final, since=mk, timeout=2)
        snaps = [m.get("snapshot_id") for m in d.received("playlist", mk) if m.get("playlist_id") == pid]
        t.eq(snaps[-1:], [final], "the %s device ends with the final snapshot_id" % who)
        vers = [int(s.split("-")[0]) if s and s.split("-")[0].isdigit() else s for s in snaps]
        t.ok(vers == sorted(vers), "... its playlist messages came in snapshot order", vers)
    mA, mX = A.mark(), X.mark()
    t.eq(srv.request("PUT", "/v1/playlists/%s" % pid, body={"name": "Renamed"}, token=tok).status, 200, "rename it")
    for d, mk, who in ((A, mA, "owner's"), (X, mX, "collaborator's")):
        p = d.wait(lambda m: m.get("type") == "playlist" and m.get("playlist_id") == pid, since=mk, timeout=1)
        t.eq((p or {}).get("change"), {"kind": "details"}, "the %s device gets a details change" % who)

    cur = srv.get("/v1/playlists/%s" % pid, token=tok).json()["snapshot_id"]
    for method, body, want, what in (
            ("PUT", {"range_start": 5, "insert_before": 1, "snapshot_id": cur},
             {"kind": "items", "op": "move", "from": 1, "length": 42}, "a move"),
            ("DELETE", {"tracks": [{"uri": U(US_TRACKS[0])}]},
             {"kind": "items", "op": "remove", "from": 0, "length": 41}, "a removal"),
            ("PUT", {"uris": [U(US_TRACKS[1]), U(US_TRACKS[2])]},
             {"kind": "items", "op": "replace", "from": 0, "length": 2}, "a replacement")):
        mA = A.mark()
        r = srv.request(method, "/v1/playlists/%s/tracks" % pid, body=body, token=tok)
        p = A.wait(lambda m: m.get("type") == "playlist" and m.get("playlist_id") == pid, since=mA, timeout=1)
        t.ok(r.status == 200 and p is not None and p.get("change") == want
             and p.get("snapshot_id") == (r.json() or {}).get("snapshot_id"),
             "%s: `playlist` with %s" % (what, want), "%r %r" % (r, p))
    t.eq(srv.request("PUT", "/v1/playlists/%s/tracks" % pid, body={"uris": [U(US_TRACKS[0])] * 42}, token=tok).status, 200,
         "(42 items again)")

    mJ = J.mark()
    J.send({"type": "watch", "playlist_id": pid})
    e = J.wait(lambda m: m.get("type") in ("error", "watching"), since=mJ, timeout=1)
    t.ok(e is not None and e.get("type") == "error" and e.get("reason") == "not_found",
         "watching a private playlist one cannot read: `error` not_found", e)
    srv.request("POST", "/v1/playlists/%s/tracks" % pid, body={"uris": [U(US_TRACKS[0])]}, token=tok)
    A.wait(lambda m: m.get("type") == "playlist" and m.get("change", {}).get("length") == 43, timeout=1)
    J.ping()
    t.eq([m for m in J.messages if m.get("type") == "playlist" and m.get("playlist_id") == pid], [],
         "a user who does not follow it gets no `playlist` about it")
    t.eq(srv.request("DELETE", "/v1/playlists/%s/followers" % pid, token=tok_free).status, 200, "free-us unfollows")
    mX, mA = X.mark(), A.mark()
    srv.request("POST", "/v1/playlists/%s/tracks" % pid, body={"uris": [U(US_TRACKS[0])]}, token=tok)
    A.wait(lambda m: m.get("type") == "playlist" and m.get("playlist_id") == pid, since=mA, timeout=1)
    X.ping()
    t.eq(X.received("playlist", mX), [], "after unfollowing, no more `playlist` messages")

    r = srv.request("POST", "/v1/users/premium-us/playlists", body={"name": "Public live", "public": True}, token=tok)
    pub = (r.json() or {}).get("id")
    OJ = FakeDevice(srv.port, tok_jp, None, observer=True).connect()
    for d, who in ((J, "a device"), (OJ, "an observer")):
        mk = d.mark()
        d.send({"type": "watch", "playlist_id": pub})
        e = d.wait(lambda m: m.get("type") in ("error", "watching"), since=mk, timeout=1)
        t.ok(e is not None and e.get("type") == "watching" and e.get("playlist_id") == pub,
             "%s's watch of a public playlist is answered `watching`" % who, e)
    mJ, mO = J.mark(), OJ.mark()
    r = srv.request("POST", "/v1/playlists/%s/tracks" % pub, body={"uris": [U(US_TRACKS[0])]}, token=tok)
    snap = (r.json() or {}).get("snapshot_id")
    for d, mk, who in ((J, mJ, "a device"), (OJ, mO, "an observer")):
        p = d.wait(lambda m: m.get("type") == "playlist" and m.get("playlist_id") == pub, since=mk, timeout=1)
        t.ok(p is not None and p.get("snapshot_id") == snap, "%s watching a public playlist gets `playlist`" % who, p)
    J.send({"type": "unwatch", "playlist_id": pub})
    J.ping()
    mJ, mO = J.mark(), OJ.mark()
    srv.request("POST", "/v1/playlists/%s/tracks" % pub, body={"uris": [U(US_TRACKS[1])]}, token=tok)
    OJ.wait(lambda m: m.get("type") == "playlist" and m.get("playlist_id") == pub, since=mO, timeout=1)
    time.sleep(0.2)
    t.eq(J.received("playlist", mJ), [], "after unwatch, no more")
    more = [srv.request("POST", "/v1/users/premium-us/playlists", body={"name": "W%d" % i, "public": True},
                        token=tok).json()["id"] for i in range(16)]
    W = FakeDevice(srv.port, tok_jp, None, observer=True).connect()
    acks = []
    for i, x in enumerate([pub] + more):
        mk = W.mark()
        W.send({"type": "watch", "playlist_id": x})
        acks.append((W.wait(lambda m: m.get("type") in ("error", "watching"), since=mk, timeout=1) or {}).get("type"))
    t.eq((acks[:16].count("watching"), acks[16]), (16, "error"), "a session watches at most 16 playlists")
    for d in (A, C, X, J, OJ, O, W):
        d.close()

# --- Heartbeats (a hub with a 300 ms interval) ---------------------------------------------
with Server(data, dict(SETTINGS, connect_heartbeat_ms=300)) as srv:
    tok = srv.login("premium-us")
    H1 = dev(tok, "hb-live").connect()
    t.eq(H1.welcome.get("heartbeat_ms"), 300, "welcome gives the configured heartbeat_ms")
    mH = H1.mark()
    H2 = dev(tok, "hb-silent", heartbeat=False).connect()
    t0 = time.time()
    code = H2.wait_closed(5)
    el = time.time() - t0
    # Three 300 ms heartbeats, rounded up to lws's whole-second timeouts: about a second;
    # the bound leaves room for a loaded machine.
    t.ok(code is not None and el < 4, "a silent session is closed within seconds (%.2f s, code %s)" % (el, code))
    t.ok(H1.wait(is_devices(lambda d: ids(d) == ["hb-live"]), since=mH, timeout=1) is not None,
         "the others get `devices` without it")
    t.eq(ids(rdevices(tok)), ["hb-live"], "REST devices: it is gone")
    H3 = dev(tok, "hb-chatty", heartbeat=False).connect()
    for i in range(8):  # any message counts: paused reports from a device that is not active
        time.sleep(0.2)
        H3.report()
    t.ok(H3.is_open, "a session that sends other messages instead of pings stays")
    t.ok(H1.is_open and len(H1.received("pong")) >= 3, "a session that pings stays (%d pongs)" % len(H1.received("pong")))
    H1.close()
    H3.close()

t.done()
