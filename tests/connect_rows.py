"""Connect across instances: who writes and who reads a user's player row (doc/connect.md,
Several instances, "Which change holds"). Two segue-server processes over one throwaway
PostgreSQL database that logs every statement:

- a handover across instances is written once, by the instance that holds the new device:
  the one that ran the transfer takes the row and meets no newer one (its log says so);
- an instance that holds every device of a user routes a command without device_id without
  reading the row; it reads once a device of the user is on the other instance, or once the
  other instance has commanded one of its devices;
- a move meets a newer row whose active device this instance has not heard of (its
  announcement held back), or makes one after reading such a row: that device is told to stop
  all the same, by its id; without a move, it becomes the active device here when its
  announcement arrives;
- a row that went back to an older version than an instance had (the database restored):
  that instance's next change reads it whole and is written over it, where it used to be
  refused for good;
- a change that gives way (its writes refused four times) leaves nothing behind that a later
  write would carry."""

import contextlib
import os
import signal

import pgcluster

pgcluster.skip_if(pgcluster.unavailable())

from segue_test import TAP, Server, catalog_copy, cluster, wait_for  # noqa: E402
from ws_device import FakeDevice, active_ids, device_ids, reason  # noqa: E402

t = TAP()
data = catalog_copy()
URL = cluster().database(data, seeded=True)
SETTINGS = {"rl_standard": 1000000, "rl_player": 1000000, "rl_playlist": 1000000,
            "connect_timeout_ms": 2000, "connect_instance_timeout_ms": 4000, "log_level": "debug"}
PG_LOG = os.path.join(cluster().top, "log")
SERVER_LOG = os.path.join(data, "server.log")
READ = "FROM connect_players WHERE user_id"  # the read of a row (store_bus_player_get)
MEANWHILE = b"was written meanwhile by another instance"


def pg_rows(query, *params):
    return cluster().rows(data, query, *params)


size = pgcluster.log_size


def since(path, mark):
    with open(path, "rb") as f:
        f.seek(mark)
        return f.read()


def reads(mark, name="A"):
    """The reads of a player row PostgreSQL executed since mark for instance name (its log
    names the server process, %p, of each of the instance's connections)."""
    pids = ["[%d]" % p for (p,) in pg_rows("SELECT pid FROM pg_stat_activity WHERE application_name = %s",
                                           "segue-" + name)]
    return sum(1 for line in since(PG_LOG, mark).decode("utf-8", "replace").splitlines()
               if "execute" in line and READ in line and any(p in line for p in pids))


ids, active = device_ids, active_ids


def row_active(user):
    rows = pg_rows("SELECT active_device FROM connect_players WHERE user_id = %s", user)
    return rows[0][0] if rows else None


def listeners():
    return [p for (p,) in pg_rows("SELECT pid FROM pg_stat_activity WHERE query = 'LISTEN segue_connect'")]


@contextlib.contextmanager
def listeners_held():
    """Both instances' listening backends stopped (SIGSTOP) while the block runs: what one
    instance notifies waits, and the other acts on what it read before."""
    held = listeners()
    for pid in held:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield held
    finally:
        for pid in held:
            os.kill(pid, signal.SIGCONT)


# Every statement of the instances' connections is logged (they connect after this).
pg_rows("ALTER DATABASE %s SET log_statement = 'all'" % cluster().dbname(data))
TRACKS = [r[0] for r in pg_rows("SELECT id FROM tracks WHERE markets IS NULL OR markets = '' OR markets LIKE '%%US%%'"
                                 " ORDER BY album_id, disc_number, track_number")][:8]
A = Server(data, SETTINGS, args=["--database", URL + "&application_name=segue-A"]).start()
B = Server(data, SETTINGS, args=["--database", URL + "&application_name=segue-B"]).start()
try:
    tok = A.login("premium-us")
    got = A.get("/v1/tracks?ids=" + ",".join(TRACKS), token=tok).json() or {}
    CATALOG = {x["id"]: x for x in got.get("tracks") or [] if x}

    def dev(srv, did, token=tok):
        return FakeDevice(srv.port, token, did, catalog=CATALOG).connect()

    # --- A handover across instances is written once ------------------------------------------
    da, db = dev(A, "dev-a"), dev(B, "dev-b")
    t.ok(wait_for(lambda: ids(da.devices) == ["dev-a", "dev-b"], 2), "dev-a on A, dev-b on B", da.devices)
    da.play_locally(TRACKS[:5], index=1, position_ms=3000)
    t.ok(wait_for(lambda: row_active("premium-us") == "dev-a" and active(db.devices) == ["dev-a"], 2),
         "dev-a plays: the row and dev-b's list say so")
    mark = size(SERVER_LOG)
    steps = [("dev-a (A) hands playback to dev-b (B)", lambda: reason(da.transfer("dev-b", play=True)), "dev-b"),
             ("dev-b (B) hands it back to dev-a (A)", lambda: reason(db.transfer("dev-a", play=True)), "dev-a"),
             ("PUT /v1/me/player through A moves it to dev-b (B)",
              lambda: "ok" if A.request("PUT", "/v1/me/player", body={"device_ids": ["dev-b"], "play": True},
                                        token=tok).status == 204 else "failed", "dev-b"),
             ("PUT /v1/me/player through B moves it to dev-a (A)",
              lambda: "ok" if B.request("PUT", "/v1/me/player", body={"device_ids": ["dev-a"], "play": True},
                                        token=tok).status == 204 else "failed", "dev-a")]
    for what, step, to in steps:
        mt = (db if to == "dev-b" else da).mark()
        t.eq(step(), "ok", what + ": ok")
        # Routed by the row at once, through the instance that holds the new device.
        other = da if to == "dev-b" else db
        target = db if to == "dev-b" else da
        t.ok(reason(other.command("pause")) == "ok" and target.commands(mt, "pause") != [],
             "... a pause from the other device right after reaches %s" % to)
        t.ok(wait_for(lambda: row_active("premium-us") == to and
                      active(da.devices) == active(db.devices) == [to], 2),
             "... the row and both lists say %s" % to, (row_active("premium-us"), da.devices, db.devices))
        target.play_locally(TRACKS[:5], index=2, position_ms=1000)
        t.ok(wait_for(lambda: row_active("premium-us") == to and da.devices and
                      (A.get("/v1/me/player", token=tok).json() or {}).get("is_playing") is True, 2),
             "... and it plays on")
    met = since(SERVER_LOG, mark).count(MEANWHILE)
    t.eq(met, 0, "four handovers across instances: no instance's write met another's (one writer each)")

    # --- A user whose devices are all on one instance ---------------------------------------
    tok_j = A.login("premium-jp")
    j1, j2 = dev(A, "j1", tok_j), dev(A, "j2", tok_j)
    j1.play_locally(TRACKS[:4], index=0, position_ms=0)
    t.ok(wait_for(lambda: row_active("premium-jp") == "j1", 2), "j1 plays on A (premium-jp's devices: j1, j2)")
    mark = size(PG_LOG)
    m1 = j1.mark()
    t.eq(reason(j2.command("pause")), "ok", "j2 pauses the active device (no device_id)")
    t.ok(j1.commands(m1, "pause") != [], "... j1 got it")
    t.eq(reads(mark), 0, "... and A read no row: no other instance holds a device of the user")

    tok_jb = B.login("premium-jp")
    mark = size(PG_LOG)
    r = B.request("PUT", "/v1/me/player/play", token=tok_jb)
    t.eq(r.status, 204, "PUT /v1/me/player/play through B, which holds no device of the user: 204", r)
    t.ok(wait_for(lambda: j1.playing, 2), "... j1 plays again")
    mark = size(PG_LOG)
    t.eq(reason(j2.command("pause")), "ok", "j2 pauses it again")
    t.eq(reads(mark), 1, "... and A read the row once: B had commanded a device of the user")
    mark = size(PG_LOG)
    t.eq(reason(j2.command("resume")), "ok", "j2 resumes it")
    t.eq(reads(mark), 0, "... with no read: nothing happened elsewhere since")

    j3 = dev(B, "j3", tok_jb)
    t.ok(wait_for(lambda: "j3" in ids(j2.devices), 2), "j3 joins through B: j2's list on A has it")
    mark = size(PG_LOG)
    t.eq(reason(j2.command("pause")), "ok", "j2 pauses the active device")
    t.ok(reads(mark) >= 1, "... and A read the row first: a device of the user is on B", reads(mark))
    j3.close()
    t.ok(wait_for(lambda: "j3" not in ids(j2.devices), 2), "j3 leaves")
    mark = size(PG_LOG)
    t.eq(reason(j2.command("resume")), "ok", "j2 resumes the active device")
    t.eq(reads(mark), 0, "... with no read again")

    # --- A move meets a row whose active device it has not heard of ------------------------
    # Every notification waits (the listening connections' server processes are held). j4
    # joins through B and its user presses play on it: B writes the row. j2, on A, which has
    # not heard of j4, takes playback over by a transfer: A's write meets B's row, and the move
    # holds; j4 is told to stop by its id, which A knows from the row alone.
    with listeners_held() as held:
        t.eq(len(held), 2, "two listening connections to hold")
        j4 = dev(B, "j4", tok_jb)
        j4.play_locally(TRACKS[:4], index=3, position_ms=500)
        t.ok(wait_for(lambda: row_active("premium-jp") == "j4", 2), "j4 plays through B: the row says j4")
        m4 = j4.mark()
        t.eq(reason(j2.transfer("j2", play=True)), "ok", "j2 (A) takes playback over from what A knows")
        t.ok(wait_for(lambda: row_active("premium-jp") == "j2", 2), "... the row says j2")
    t.ok(j4.wait(lambda m: m.get("type") == "command" and m.get("command") == "stop", 3, m4) is not None,
         "j4, which A had not heard of, was told to stop")
    t.ok(not j4.playing and j2.playing, "... j4 stopped, j2 plays")
    t.ok(wait_for(lambda: active(j4.devices) == active(j2.devices) == ["j2"], 2),
         "both instances' lists say j2", (j2.devices, j4.devices))

    # Again, but A reads the row meanwhile (it routes a command without device_id: a device of
    # the user, j4, is on B), and finds there a device it has not heard of, j5. Its next move
    # meets no newer row (it read the newest); it stops j5 by its id all the same.
    with listeners_held():
        j5 = dev(B, "j5", tok_jb)
        j5.play_locally(TRACKS[:4], index=1, position_ms=500)
        t.ok(wait_for(lambda: row_active("premium-jp") == "j5", 2), "j5 plays through B: the row says j5")
        m5 = j5.mark()
        t.eq(reason(j1.command("pause")), "no_active_device",
             "j1 (A) pauses the active device: A reads the row, whose device it does not know")
        j1.play_locally(TRACKS[:4], index=2, position_ms=0)
        t.ok(wait_for(lambda: row_active("premium-jp") == "j1", 2), "j1 starts playing through A: the row says j1")
    t.ok(j5.wait(lambda m: m.get("type") == "command" and m.get("command") == "stop", 3, m5) is not None,
         "j5, which A had not heard of, was told to stop")
    t.ok(wait_for(lambda: not j5.playing and j1.playing and
                  active(j5.devices) == active(j1.devices) == ["j1"], 2),
         "... j5 stopped, j1 plays, both instances' lists say j1", (j1.devices, j5.devices))

    # Once more, without a move: the device A has not heard of is made the active one when its
    # announcement arrives.
    with listeners_held():
        j6 = dev(B, "j6", tok_jb)
        j6.play_locally(TRACKS[:4], index=0, position_ms=0)
        t.ok(wait_for(lambda: row_active("premium-jp") == "j6", 2), "j6 plays through B: the row says j6")
        t.eq(reason(j2.command("pause")), "no_active_device", "A reads that row (j2 pauses the active device)")
    t.ok(wait_for(lambda: active(j2.devices) == ["j6"], 2), "j6's announcement reaches A: j2's list has it active",
         j2.devices)
    st = A.get("/v1/me/player", token=tok_j).json() or {}
    t.eq((st.get("device") or {}).get("id"), "j6", "GET /v1/me/player through A: j6 plays")

    # --- A change that gives way --------------------------------------------------------------
    # A's writes of the row are refused (a trigger skips them: to A, as if another instance
    # had written each time). dev-a's state with a new queue gives way after four tries and
    # dev-a is told the row's; once A's writes go through again, the next state dev-a reports
    # (without a queue) is written without the queue that gave way.
    da.play_locally(TRACKS[:5], index=2, position_ms=0)
    t.ok(wait_for(lambda: row_active("premium-us") == "dev-a", 2), "dev-a takes playback over through A")

    def row_queue():
        q = pg_rows("SELECT queue::json->'tracks' FROM connect_players WHERE user_id = 'premium-us'")
        return q[0][0] if q else None
    t.eq(row_queue(), TRACKS[:5], "the row has dev-a's queue")
    pg_rows("CREATE FUNCTION refuse_a() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            " IF current_setting('application_name') = 'segue-A' THEN RETURN NULL; END IF;"
            " RETURN NEW; END $$")
    pg_rows("CREATE TRIGGER refuse_a BEFORE UPDATE ON connect_players FOR EACH ROW EXECUTE FUNCTION refuse_a()")
    mark, ma = size(SERVER_LOG), da.mark()
    try:
        da.load(TRACKS[:3][::-1], index=0, position_ms=0)
        da.report()
        back = da.wait(lambda m: m.get("type") == "player" and (m.get("queue") or {}).get("tracks") == TRACKS[:5],
                       3, ma)
        t.ok(back is not None, "dev-a's new queue cannot be written: it gives way, and dev-a is told the row's")
        t.ok(b"gives way" in since(SERVER_LOG, mark), "... after four tries (logged)")
    finally:
        pg_rows("DROP TRIGGER refuse_a ON connect_players")
    v = pg_rows("SELECT version FROM connect_players WHERE user_id = 'premium-us'")[0][0]
    da.load(TRACKS[:5], index=2, position_ms=5000)
    da.report(with_queue=False)
    t.ok(wait_for(lambda: pg_rows("SELECT version FROM connect_players WHERE user_id = 'premium-us'")[0][0] > v, 2),
         "dev-a's next state is written")
    t.eq(row_queue(), TRACKS[:5], "... without the queue that gave way")

    # --- A row that went back ------------------------------------------------------------------
    # The database is restored from a copy taken before: the row is at version 1, older than
    # the one A last wrote. dev-a's next state still reaches the row (A reads it whole).
    da.play_locally(TRACKS[:5], index=3, position_ms=0)
    t.ok(wait_for(lambda: row_active("premium-us") == "dev-a", 2), "dev-a plays")
    v = pg_rows("SELECT version FROM connect_players WHERE user_id = 'premium-us'")[0][0]
    pg_rows("UPDATE connect_players SET version = 1 WHERE user_id = 'premium-us'")
    t.ok(v > 2, "the row was at version %d; it is put back at 1 (a restored database)" % v)

    def row_item():
        st = pg_rows("SELECT state::json->'item'->>'id' FROM connect_players WHERE user_id = 'premium-us'")
        return st[0][0] if st else None
    da.play_locally(TRACKS[:5], index=4, position_ms=0)
    t.ok(wait_for(lambda: row_item() == TRACKS[4], 2), "dev-a's next track reaches the row", row_item())
    da.play_locally(TRACKS[:5], index=1, position_ms=0)
    t.ok(wait_for(lambda: row_item() == TRACKS[1], 2), "... and the one after", row_item())
    ma = da.mark()
    db.play_locally(TRACKS[:5], index=0, position_ms=0)
    t.ok(wait_for(lambda: row_active("premium-us") == "dev-b" and row_item() == TRACKS[0], 2),
         "B, whose version is ahead of the row too, writes dev-b's move over it", (row_active("premium-us"), row_item()))
    t.ok(wait_for(lambda: active(da.devices) == active(db.devices) == ["dev-b"], 2), "both lists say dev-b")
    t.ok(wait_for(lambda: da.commands(ma, "stop") != [] and not da.playing, 2), "dev-a was told to stop")

    for d in (da, db, j1, j2, j4, j5, j6):
        d.close()
finally:
    for s in (A, B):
        s.stop()
t.done()
