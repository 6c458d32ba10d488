"""A Connect transfer whose target disconnects while the playing device is still handing over
(between transfer_out and its answer). Found by fuzz/hub.c: the hub went on to send transfer_in
to the session that had gone, a use-after-free in the server, and the sender heard nothing
until the command timed out. Now the transfer fails at once with device_gone, the source is
told to resume, and the hub goes on serving."""

import threading
import time

from segue_test import TAP, Server, catalog_copy, sql
from ws_device import FakeDevice

t = TAP()
data = catalog_copy()
rows = sql(data, "SELECT id, album_id FROM tracks ORDER BY album_id, disc_number, track_number")
ALBUM = rows[0][1]
ALBUM_TRACKS = [r[0] for r in rows if r[1] == ALBUM]
CTX = "segue:album:" + ALBUM
# Commands time out after a second: the answer must come well before that.
SETTINGS = {"rl_standard": 1000000, "rl_player": 1000000, "connect_timeout_ms": 1000}


def of_type(type, **match):
    return lambda m: m.get("type") == type and all(m.get(k) == v for k, v in match.items())


with Server(data, SETTINGS) as srv:
    tok = srv.login("premium-us")

    def dev(did):
        return FakeDevice(srv.port, tok, did, did, contexts={CTX: ALBUM_TRACKS}).connect()

    A, B, C = dev("dev-a"), dev("dev-b"), dev("dev-c")
    r = srv.request("PUT", "/v1/me/player/play?device_id=dev-a", body={"context_uri": CTX}, token=tok)
    t.ok(r.status in (200, 202, 204) and A.playing, "dev-a plays (REST play on it)", r)

    for round, how in enumerate(("a WebSocket transfer", "a REST transfer")):
        A.answer = False  # it holds transfer_out until told
        mA, mC = A.mark(), C.mark()
        if round == 0:
            C.send({"type": "transfer", "id": "tr-gone", "device_id": "dev-b"})
            rest = None
        else:
            rest = {}
            th = threading.Thread(target=lambda: rest.update(r=srv.request(
                "PUT", "/v1/me/player", body={"device_ids": ["dev-b"]}, token=tok, timeout=10)))
            th.start()
        out = A.wait(of_type("command", command="transfer_out"), since=mA, timeout=3)
        t.ok(out is not None, "%s: dev-a was sent transfer_out" % how, A.messages[-3:])
        B.abort()
        gone = False
        for _ in range(60):  # up to 3 s
            devs = (srv.get("/v1/me/player/devices", token=tok).json() or {}).get("devices") or []
            if "dev-b" not in [d.get("id") for d in devs]:
                gone = True
                break
            time.sleep(0.05)
        t.ok(gone, "%s: the hub saw dev-b go" % how)
        # dev-a now answers the handoff with the state it paused in.
        A.send({"type": "result", "id": (out or {}).get("id"), "ok": True,
                "state": dict(A.state(), is_playing=True), "queue": A.queue_snapshot()})
        back = A.wait(of_type("command", command="transfer_in"), since=mA, timeout=0.6)
        t.ok(back is not None and back.get("play") is True,
             "%s: dev-a is told at once to resume (transfer_in, play), not after a timeout" % how, back)
        if round == 0:
            res = C.wait(of_type("result", id="tr-gone"), since=mC, timeout=0.6) or {}
            t.eq((res.get("error") or {}).get("reason"), "device_gone",
                 "%s: the sender hears device_gone at once" % how, res)
        else:
            th.join(5)
            r = rest.get("r")
            t.ok(r is not None and r.status == 502 and b"device_gone" in r.body,
                 "%s: the caller is answered 502 device_gone" % how, r)
        A.answer = True
        # The rollback is answered late (dev-a held it); the hub keeps serving.
        A.send({"type": "result", "id": (back or {}).get("id"), "ok": True,
                "state": A.state(), "queue": A.queue_snapshot()})
        t.ok(A.ping() and C.ping(), "%s: the hub still answers pings" % how)
        pj = srv.get("/v1/me/player", token=tok).json() or {}
        t.eq((pj.get("device") or {}).get("id"), "dev-a", "%s: dev-a is still the active device" % how, pj)
        B = dev("dev-b")
    t.done()
