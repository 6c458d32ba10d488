"""savePlayQueue outlives the server (issue #24 follow-up): an OpenSubsonic client's saved
play queue (its songs, the current one, the position, the player and when) is kept in the
store, so getPlayQueue after a kill -9 and a restart gives it back; a Connect device that
says where it is after that is newer and wins; an empty save (a clear) is kept too."""

import time

from segue_test import TAP, Server, catalog_copy, sql, wait_for
from subsonic_util import call
from ws_device import FakeDevice

t = TAP()
data = catalog_copy()
songs = [r[0] for r in sql(data, "SELECT id FROM tracks WHERE markets IS NULL OR markets = '' "
                                 "OR ',' || markets || ',' LIKE '%,US,%' ORDER BY id")]
settings = {"rl_standard": 1000000, "rl_player": 1000000}


def get_queue(srv, key):
    st, env, r = call(srv, "getPlayQueue", [("apiKey", key)])
    return (env or {}).get("playQueue") if st == 200 else None


srv = Server(data, settings).start()
try:
    r = srv.request("POST", "/v1/segue/api-keys", {"name": "phone"}, token=srv.login("premium-us"))
    key = (r.json() or {}).get("key", "")
    t.ok(len(songs) >= 4 and key, "a catalog with songs and an API key", (songs, r))

    queue = [songs[i % len(songs)] for i in range(12)]
    pairs = [("apiKey", key)] + [("id", s) for s in queue] + [("current", queue[5]), ("position", "61500")]
    st, env, r = call(srv, "savePlayQueue", pairs + [("c", "phone-app")], post=True)
    t.eq((st, env and env.get("status")), (200, "ok"), "savePlayQueue with 12 songs (one repeated)", r)
    before = get_queue(srv, key)
    t.ok(before and [e.get("id") for e in before.get("entry", [])] == queue, "read back at once", before)

    t.ok(srv.kill9() == -9, "the server is killed (SIGKILL)")
    srv.start()
    after = get_queue(srv, key)
    t.eq([e.get("id") for e in (after or {}).get("entry", [])], queue,
         "after the restart getPlayQueue gives the songs back, in order, repeats and all")
    t.eq(((after or {}).get("current"), (after or {}).get("position"), (after or {}).get("changedBy")),
         (queue[5], 61500, "phone-app"), "with the current song, the position and the player")
    t.eq((after or {}).get("changed"), (before or {}).get("changed"), "changed when it was saved, not at the restart")

    # A Connect device that says where it is after the restart is newer: it wins.
    tok = srv.login("premium-us")
    term = FakeDevice(srv.port, tok, "terminal", "Terminal").connect()
    try:
        time.sleep(0.01)
        term.play_locally(songs[:3], index=1, position_ms=2000)  # it plays: the active device
        wait_for(lambda: ((get_queue(srv, key) or {}).get("changedBy")) == "Terminal", 5)
        now = get_queue(srv, key) or {}
        t.eq(([e.get("id") for e in now.get("entry", [])], now.get("current")), (songs[:3], songs[1]),
             "a device's later state wins over the kept save")
    finally:
        term.close()

    # A clear is kept as well. While a device is active its state is what plays and a clear
    # leaves it standing (hub.h); the server must have seen the device go first, or the clear
    # can land before its close and the device's state stands, as designed.
    def devices():
        return [d.get("id") for d in (srv.get("/v1/me/player/devices", token=tok).json() or {}).get("devices", [])]
    wait_for(lambda: "terminal" not in devices(), 5)
    t.ok("terminal" not in devices(), "the device that played is gone", devices())
    st, env, r = call(srv, "savePlayQueue", [("apiKey", key)])
    t.eq((st, env and env.get("status")), (200, "ok"), "savePlayQueue with no songs clears", r)
    srv.kill9()
    srv.start()
    cleared = get_queue(srv, key)
    t.ok(cleared is not None and not cleared.get("entry") and "current" not in cleared,
         "after another kill -9 the queue is still empty", cleared)
    t.eq(sql(data, "SELECT count(*) FROM play_queue_items")[0][0], 0, "and the store holds no songs of it")
finally:
    srv.stop()
t.done()
