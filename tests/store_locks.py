"""The server keeps its hold on its database while it streams: other processes open the same
database (segue-server's subcommands, an ingest, a backup script, sqlite3) at any time, and
SQLite tells them the WAL index is in use only through the POSIX locks its connections hold on
segue.db-shm. A process that loses them lets the next opener truncate and rebuild the index
under its feet (a read of the truncated mapping killed the server with SIGBUS). The audio
route's withdrawn check watches that index; it must do so without dropping the locks, and
must still see a withdrawal made by another process."""

import os
import sqlite3
import threading
import time
import urllib.parse

from segue_test import TAP, Server, catalog_copy, sql

t = TAP()
data = catalog_copy()
shm = os.path.join(data, "segue.db-shm")
# SQLite's unix VFS: the lock bytes of the WAL index start at 120; the eighth, 128, is the one
# every connection holds shared while it has the database open ("DMS").
DMS = 128


def shm_locks(pid):
    """The byte ranges process pid holds POSIX locks on in segue.db-shm, from /proc/locks."""
    st = os.stat(shm)
    dev = "%02x:%02x:%d" % (os.major(st.st_dev), os.minor(st.st_dev), st.st_ino)
    held = []
    with open("/proc/locks") as f:
        for line in f:
            parts = line.split()
            if "->" in parts:  # a waiter, not a holder
                continue
            if len(parts) >= 8 and parts[1] == "POSIX" and parts[4] == str(pid) and parts[5] == dev:
                end = parts[7]
                held.append((int(parts[6]), None if end == "EOF" else int(end)))
    return held


def holds_dms(pid):
    return any(a <= DMS and (b is None or DMS <= b) for a, b in shm_locks(pid))


track = sql(data, "SELECT id FROM tracks WHERE markets IS NULL OR ',' || markets || ',' LIKE '%,US,%'"
                  " ORDER BY id LIMIT 1")[0][0]

with Server(data, {"rl_player": 100000}) as srv:
    token = srv.login("premium-us")
    url = srv.get("/v1/segue/playback/%s?quality=high" % track, token=token).json()["urls"]["high"]
    u = urllib.parse.urlsplit(url)
    path = u.path + "?" + u.query
    pid = srv.proc.pid

    t.ok(holds_dms(pid), "the serving process holds its database's WAL index open", shm_locks(pid))
    t.eq(srv.get(path).status, 200, "a signed URL streams")
    t.ok(holds_dms(pid), "and still holds it after the withdrawn check looked at the index",
         shm_locks(pid))

    # Other processes open and close the database while streams go: the index is never
    # rebuilt under the server, which keeps serving.
    stop = threading.Event()
    statuses = []

    def stream():
        while not stop.is_set():
            statuses.append(srv.get(path).status)

    th = threading.Thread(target=stream)
    th.start()
    opened = 0
    deadline = time.time() + 3
    try:
        while time.time() < deadline:
            db = sqlite3.connect(os.path.join(data, "segue.db"))
            db.execute("SELECT count(*) FROM tracks").fetchall()
            db.close()
            opened += 1
    finally:
        stop.set()
        th.join(30)
    t.ok(srv.proc.poll() is None, "the server outlives %d openings of its database by another"
         " process during %d streams" % (opened, len(statuses)), srv.proc.poll())
    t.ok(statuses and set(statuses) == {200}, "every one of those streams was served",
         sorted(set(statuses)))
    t.ok(holds_dms(pid), "and it holds the index still", shm_locks(pid))

    # The check still reads the index SQLite maps: another process's withdrawal is seen by
    # the very next request.
    db = sqlite3.connect(os.path.join(data, "segue.db"))
    db.execute("UPDATE tracks SET available = 0, withdrawn_at = 1 WHERE id = ?", (track,))
    db.commit()
    db.close()
    t.eq(srv.get(path).status, 410, "a track withdrawn by another process no longer streams")
    db = sqlite3.connect(os.path.join(data, "segue.db"))
    db.execute("UPDATE tracks SET available = 1, withdrawn_at = NULL WHERE id = ?", (track,))
    db.commit()
    db.close()
    t.eq(srv.get(path).status, 200, "and streams again once it is back")

with open(os.path.join(data, "server.log")) as f:
    log = f.read()
t.ok("no WAL index to watch" not in log, "the check watched the index rather than asking the"
     " database on every request")

t.done()
