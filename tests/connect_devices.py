"""Connect's device list as changes (doc/connect.md, Device list): the welcome carries the whole
list once, then each device joining, leaving, renamed, becoming active or changing its volume is
one small delta (device_added, device_removed, device_changed) to each of the user's other
sessions, whose list stays equal to GET /v1/me/player/devices. A session that did not ask for
deltas (a client older than them) still gets the whole list on each change. The bytes a joining
device costs: 40 devices of one user connecting with deltas against 40 without."""

import time

from segue_test import TAP, Server, add_user, catalog_copy, sql
from ws_device import DEVICE_MESSAGES, FakeDevice

t = TAP()
data = catalog_copy()
for name in ("many-deltas", "many-lists"):
    add_user(data, name, premium=True)
rows = sql(data, "SELECT id, album_id FROM tracks ORDER BY album_id, disc_number, track_number")
ALBUM_TRACKS = [r[0] for r in rows if r[1] == rows[0][1]]
CTX = "segue:album:" + rows[0][1]
LISTED = ("id", "name", "type", "is_active", "volume_percent", "supports_volume", "is_private_session",
          "is_restricted")


def plain(devs):
    """A list as compared: the device objects in order, the test's own annotations left out."""
    return [{k: d.get(k) for k in LISTED} if isinstance(d, dict) else d for d in devs or []]


def dv(m, key):
    """A member of a delta's device object (None when there is none)."""
    return (m.get("device") or {}).get(key)


def device_msgs(d, since):
    """The device-list messages a session got since a mark (its welcome aside)."""
    return [m for m in d.received(since=since) if m.get("type") in DEVICE_MESSAGES and m.get("type") != "welcome"]


def settle(sessions, n, timeout=3.0):
    """Waits until each session has at least n device-list messages since its mark (sessions:
    [(device, mark)]); then a short quiet time, so that a message too many would be seen."""
    deadline = time.time() + timeout
    for d, m in sessions:
        while len(device_msgs(d, m)) < n and time.time() < deadline:
            time.sleep(0.02)
    time.sleep(0.3)


with Server(data, {"rl_standard": 1000000, "rl_player": 1000000}) as srv:
    tok = srv.login("premium-us")

    def rest():
        r = srv.get("/v1/me/player/devices", token=tok)
        return (r.json() or {}).get("devices") if r.status == 200 else None

    def dev(did, name=None, **kw):
        return FakeDevice(srv.port, tok, did, name or did, **kw)

    def same_as_rest(sessions, what):
        want = plain(rest())
        for d in sessions:
            t.eq(plain(d.devices), want, "%s: %s's list equals GET /v1/me/player/devices" % (what, d.id))

    # --- Joining ------------------------------------------------------------------------------
    A = dev("dev-a", "Laptop", volume=40).connect()
    t.eq(A.welcome.get("capabilities"), ["device_deltas"], "the welcome grants the capability asked for")
    t.eq([d.get("id") for d in A.welcome.get("devices") or []], ["dev-a"], "the welcome lists the device itself")
    L = dev("dev-old", "Old client", deltas=False)
    mA = A.mark()
    L.connect()
    t.eq(L.welcome.get("capabilities"), [], "a hello without capabilities is granted none")
    settle([(A, mA)], 1)
    got = device_msgs(A, mA)
    t.eq([m.get("type") for m in got], ["device_added"], "a join: the other device gets one device_added")
    t.eq(plain([got[0].get("device")] if got else []), plain([x for x in rest() if x["id"] == "dev-old"]),
         "... carrying the new device's object as REST lists it")

    mA, mL = A.mark(), L.mark()
    B = dev("dev-b", "Living room", type="speaker", volume=60)
    mB0 = 0
    B.connect()
    settle([(A, mA), (L, mL)], 1)
    got = device_msgs(A, mA)
    t.eq([(m.get("type"), dv(m, "id")) for m in got], [("device_added", "dev-b")],
         "a second join: one device_added, not the whole list")
    t.ok(got and got[0]["_len"] < 400, "... a small message (%d bytes)" % (got[0]["_len"] if got else -1))
    t.eq(device_msgs(B, mB0), [], "the device that joined gets no list message beyond its welcome")
    lg = device_msgs(L, mL)
    t.eq([m.get("type") for m in lg], ["devices"], "a session without the capability gets the whole list, once")
    t.eq(plain(lg[0].get("devices") if lg else []), plain(rest()), "... equal to REST's")
    t.eq([d["id"] for d in rest()], ["dev-a", "dev-old", "dev-b"], "the list is in the order the devices came")
    same_as_rest((A, B, L), "after the joins")

    # --- Becoming active, and handing over ----------------------------------------------------
    mA, mB, mL = A.mark(), B.mark(), L.mark()
    A.play_locally(ALBUM_TRACKS, 0, 0, CTX)
    settle([(B, mB), (L, mL)], 1)
    got = device_msgs(B, mB)
    t.eq([(m.get("type"), dv(m, "id"), dv(m, "is_active")) for m in got],
         [("device_changed", "dev-a", True)], "a device that starts playing: one device_changed, it is active")
    same_as_rest((A, B, L), "after the activation")

    mA, mB, mL = A.mark(), B.mark(), L.mark()
    res = A.transfer("dev-b")
    t.eq((res or {}).get("ok"), True, "transfer to dev-b", res)
    settle([(A, mA), (L, mL)], 2)
    got = device_msgs(A, mA)
    t.eq([(m.get("type"), dv(m, "id"), dv(m, "is_active")) for m in got],
         [("device_changed", "dev-a", False), ("device_changed", "dev-b", True)],
         "a handover: the device that was active, then the new one, as two device_changed")
    t.eq([m.get("type") for m in device_msgs(L, mL)], ["devices"], "... and one whole list to the old client")
    same_as_rest((A, B, L), "after the handover")

    # --- Volume -------------------------------------------------------------------------------
    mA = A.mark()
    B.volume = 25
    B.report(with_queue=False)
    settle([(A, mA)], 1)
    got = device_msgs(A, mA)
    t.eq([(m.get("type"), dv(m, "id"), dv(m, "volume_percent")) for m in got],
         [("device_changed", "dev-b", 25)], "the active device's volume changes: one device_changed")
    mA = A.mark()
    B.report(with_queue=False)
    time.sleep(0.3)
    t.eq(device_msgs(A, mA), [], "a state with the same volume changes nothing in the list")
    same_as_rest((A, B, L), "after the volume change")

    # --- Renamed: the same device reconnects -----------------------------------------------
    mB = B.mark()
    A2 = dev("dev-a", "Laptop (renamed)", volume=40)
    A2.connect()
    t.eq(A.wait_closed(3), 4003, "the earlier session of dev-a is replaced")
    settle([(B, mB)], 1)
    got = device_msgs(B, mB)
    t.eq([(m.get("type"), dv(m, "id"), dv(m, "name")) for m in got],
         [("device_changed", "dev-a", "Laptop (renamed)")], "a device back under a new name: one device_changed")
    t.eq([d["id"] for d in rest()], ["dev-a", "dev-old", "dev-b"], "... and it keeps its place in the list")
    same_as_rest((A2, B, L), "after the rename")

    # --- Leaving ------------------------------------------------------------------------------
    mA2, mL = A2.mark(), L.mark()
    B.abort()
    settle([(A2, mA2), (L, mL)], 1)
    got = device_msgs(A2, mA2)
    t.eq([(m.get("type"), m.get("id")) for m in got], [("device_removed", "dev-b")],
         "a device leaves (the active one, abruptly): one device_removed")
    t.ok(got and got[0]["_len"] < 100, "... a small message (%d bytes)" % (got[0]["_len"] if got else -1))
    same_as_rest((A2, L), "after the leave")
    mA2 = A2.mark()
    L.close()
    settle([(A2, mA2)], 1)
    t.eq([(m.get("type"), m.get("id")) for m in device_msgs(A2, mA2)], [("device_removed", "dev-old")],
         "the old client leaves: one device_removed")
    same_as_rest((A2,), "at the end")
    t.eq([m for d in (A, A2, B, L) for m in d.messages if m.get("_misfit")], [],
         "no delta ever disagreed with the list it applied to")

    # --- Capabilities in hello ----------------------------------------------------------------
    z = dev("dev-z")
    z.connect(hello=False)
    z.send({"type": "hello", "device": {"id": "dev-z", "name": "z", "type": "computer"}, "capabilities": "device_deltas"})
    t.eq(z.wait_closed(3), 4000, "capabilities that are not an array close the session (4000)")
    t.ok(z.wait_type("error", since=0, timeout=1) is not None, "... after an error that says why")
    z = dev("dev-z")
    z.connect(hello=False)
    z.send({"type": "hello", "device": {"id": "dev-z", "name": "z", "type": "computer"},
            "capabilities": ["a-later-feature", "device_deltas"]})
    w = z.wait_type("welcome", timeout=3)
    t.eq((w or {}).get("capabilities"), ["device_deltas"], "a capability the hub does not know is ignored")
    z.close()
    A2.close()

    # --- What a joining device costs: 40 devices of one user ---------------------------------
    def forty(user, deltas):
        token = srv.login(user)
        devs = []
        for i in range(40):
            devs.append(FakeDevice(srv.port, token, "d%02d" % i, "Device %02d" % i, type="speaker",
                                   deltas=deltas).connect())
        time.sleep(0.5)
        r = srv.get("/v1/me/player/devices", token=token)
        want = plain((r.json() or {}).get("devices"))
        equal = all(plain(d.devices) == want for d in devs) and len(want) == 40
        total = sum(m["_len"] for d in devs for m in d.messages)
        for d in devs:
            d.close()
        return total, equal

    with_deltas, eq_d = forty("many-deltas", True)
    with_lists, eq_l = forty("many-lists", False)
    t.ok(eq_d and eq_l, "40 devices of one user, each way: every device's list equals REST's")
    t.diag("40 devices of one user connecting one after another: %.1f KiB received per device with deltas, "
           "%.1f KiB with whole lists (%.1fx)" % (with_deltas / 40 / 1024, with_lists / 40 / 1024,
                                                   with_lists / max(with_deltas, 1)))
    t.ok(with_deltas * 4 < with_lists, "with deltas a joining user's devices receive under a quarter of the bytes "
         "(%d against %d)" % (with_deltas, with_lists))
t.done()
