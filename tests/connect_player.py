"""What a playing device's state update costs the user's other sessions (doc/connect.md,
Versions: player_without_queue). The active device sends its queue snapshot whenever it changes
(every track it advances to), and the hub used to forward it in the `player` message to every
session; a snapshot of 20,000 tracks is half a megabyte. A session that says hello with
player_without_queue gets `player` messages and a welcome without it, while an older one still
gets it; the hub keeps the queue all the same, for GET /v1/me/player/queue and for transfers."""

import time

from segue_test import TAP, Server, catalog_copy, sql
from ws_device import FakeDevice

t = TAP()
data = catalog_copy()
real = [r[0] for r in sql(data, "SELECT id FROM tracks ORDER BY id")]
# A long queue: the catalog's tracks, then made-up ids up to 20,000 (the hub does not look them up).
TRACKS = real + ["q%021d" % i for i in range(20000 - len(real))]


def players(d, since):
    return [m for m in d.received("player", since)]


with Server(data, {"rl_standard": 1000000, "rl_player": 1000000, "connect_max_message": 2 << 20}) as srv:
    tok = srv.login("premium-us")
    A = FakeDevice(srv.port, tok, "dev-a", "Player").connect()
    old = FakeDevice(srv.port, tok, "dev-old", "Older client").connect()
    slim = FakeDevice(srv.port, tok, "dev-slim", "Newer client", wants_queue=False).connect()
    t.eq(slim.welcome.get("capabilities"), ["device_deltas", "player_without_queue"],
         "the welcome grants player_without_queue")

    m_old, m_slim = old.mark(), slim.mark()
    A.play_locally(TRACKS, 0, 0)
    old.wait(lambda m: m.get("type") == "player", since=m_old, timeout=5)
    slim.wait(lambda m: m.get("type") == "player", since=m_slim, timeout=5)
    po, ps = players(old, m_old), players(slim, m_slim)
    t.ok(po and len((po[0].get("queue") or {}).get("tracks") or []) == 20000,
         "a state with a new queue: a session without the capability gets the queue (%d bytes)"
         % (po[0]["_len"] if po else -1))
    t.ok(ps and "queue" not in ps[0] and (ps[0].get("player") or {}).get("is_playing") is True,
         "a session with player_without_queue gets the state alone (%d bytes)" % (ps[0]["_len"] if ps else -1))

    # The next track: the snapshot changes (its position), so the device sends it again.
    m_old, m_slim = old.mark(), slim.mark()
    A.queue["pos"], A.queue["current"] = 1, TRACKS[1]
    A._set_pos(0)
    A.report()
    old.wait(lambda m: m.get("type") == "player", since=m_old, timeout=5)
    slim.wait(lambda m: m.get("type") == "player", since=m_slim, timeout=5)
    time.sleep(0.2)
    got_old = sum(m["_len"] for m in old.received(since=m_old))
    got_slim = sum(m["_len"] for m in slim.received(since=m_slim))
    t.diag("one track change with a 20,000-track queue: %d bytes to an older session, %d to one with "
           "player_without_queue" % (got_old, got_slim))
    t.ok(0 < got_slim < 4096 and got_old > 100 * got_slim,
         "the next track costs a session with player_without_queue a few hundred bytes, not the queue")
    r = srv.get("/v1/me/player/queue", token=tok)
    t.eq(((r.json() or {}).get("currently_playing") or {}).get("id") if r.status == 200 else r.status, TRACKS[1],
         "the hub keeps the queue: GET /v1/me/player/queue is at the second track")

    late = FakeDevice(srv.port, tok, "dev-late", "Late", wants_queue=False).connect()
    late_old = FakeDevice(srv.port, tok, "dev-late-old", "Late, older").connect()
    t.ok("queue" not in late.welcome and len((late_old.welcome.get("queue") or {}).get("tracks") or []) == 20000,
         "a welcome carries the queue only to a session without the capability")

    # A transfer still hands the whole queue over, to a device that asked to go without it.
    res = old.transfer("dev-slim")
    ti = next((c for c in slim.commands(name="transfer_in")), {})
    t.ok((res or {}).get("ok") is True and len((ti.get("queue") or {}).get("tracks") or []) == 20000
         and (ti.get("queue") or {}).get("current") == TRACKS[1],
         "a transfer to it carries the whole queue in transfer_in", res)
    for d in (A, old, slim, late, late_old):
        d.close()
t.done()
