"""segue-server backup FILE while the server serves: a writer creates playlists and a reader
lists them throughout; the copy holds every write acknowledged before it began, is private,
standalone (no -wal needed) and never replaces a file without --force. Restored into a fresh
data directory (the copy as segue.db, the keys beside it under their names), a server starts
on it and shows the writes, and a link the first server signed still streams: the keys came
too."""

import hashlib
import os
import shutil
import stat
import threading
import time
import urllib.parse

from segue_test import POSTGRES, TAP, Server, catalog_copy, server_cmd, sql, tmpdir, wait_for

t = TAP()
data = catalog_copy()
out = tmpdir("segue-backup-")
dest = os.path.join(out, "segue-backup.db")
KEYS = ["signing.keys", "offline.key", "subsonic.key"]


def backup(*args, data_dir=data):
    return server_cmd("backup", *args, data_dir=data_dir, timeout=120)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def playlist_names(srv, token):
    names, offset = set(), 0
    while True:
        r = srv.get("/v1/me/playlists?limit=50&offset=%d" % offset, token=token)
        if r.status != 200:
            raise RuntimeError("listing playlists: %r" % r)
        items = r.json()["items"]
        names |= {p["name"] for p in items}
        if len(items) < 50:
            return names
        offset += 50


track = sql(data, "SELECT id FROM tracks WHERE markets IS NULL OR ',' || markets || ',' LIKE '%,US,%'"
                  " ORDER BY id LIMIT 1")[0][0]

# On PostgreSQL the database is backed up with PostgreSQL's tools: backup says so and writes
# nothing, not even over a file --force would replace.
if POSTGRES:
    with Server(data) as srv:
        p = backup(dest)
        t.ok(p.returncode != 0 and b"pg_dump" in p.stderr, "backup on PostgreSQL refuses and names pg_dump",
             p.stderr)
        t.eq(os.listdir(out), [], "and writes nothing")
        with open(dest, "wb") as f:
            f.write(b"an older copy")
        p = backup("--force", dest)
        t.ok(p.returncode != 0 and b"pg_dump" in p.stderr, "--force does not make it copy", p.stderr)
        with open(dest, "rb") as f:
            t.eq(f.read(), b"an older copy", "a file already there is left as it was")
        t.eq(sorted(os.listdir(out)), ["segue-backup.db"], "and nothing is put beside it")
        t.eq(srv.get("/healthz").status, 200, "the server serves on")
    t.done()

# Usage errors and a data directory with nothing to copy are said, not half done.
p = backup()
t.eq(p.returncode, 2, "backup without a FILE is a usage error", p.stderr)
p = backup("a", "b")
t.eq(p.returncode, 2, "two FILEs are a usage error", p.stderr)
p = backup("--frobnicate", dest)
t.eq(p.returncode, 2, "an unknown option is a usage error", p.stderr)
empty = tmpdir()
p = backup(os.path.join(out, "nothing.db"), data_dir=empty)
t.ok(p.returncode == 3 and b"segue.db" in p.stderr and not os.path.exists(os.path.join(out, "nothing.db")),
     "a data directory without a database is refused, nothing written", p.stderr)
p = backup(out)
t.ok(p.returncode == 2 and b"folder" in p.stderr and os.listdir(out) == [], "a folder as FILE is refused", p.stderr)
p = backup(out + "/")
t.ok(p.returncode == 2 and b"folder" in p.stderr, "so is a name ending in a slash", p.stderr)
p = backup(os.path.join(out, "no-such-dir", "b.db"))
t.ok(p.returncode == 3 and b"no-such-dir" in p.stderr, "a FILE in a missing folder is a clear error", p.stderr)

# Ballast, so that the copy takes many of the backup's steps (256 pages each) and the writer's
# commits land between them, making SQLite start the copy over.
import sqlite3  # noqa: E402  (test set-up and the copy's header, never through the server)
db = sqlite3.connect(os.path.join(data, "segue.db"))
db.execute("CREATE TABLE test_ballast(x BLOB)")
db.executemany("INSERT INTO test_ballast VALUES (randomblob(4000))", [()] * 3000)
db.commit()
db.close()

with Server(data, {"rl_player": 100000, "rl_standard": 100000, "rl_playlist": 1000000}) as srv:
    token = srv.login("premium-us")
    signed = srv.get("/v1/segue/playback/%s?quality=high" % track, token=token).json()["urls"]["high"]
    u = urllib.parse.urlsplit(signed)
    signed_path = u.path + "?" + u.query

    acked, statuses, stop = [], [], threading.Event()
    lock = threading.Lock()

    def writer():
        n = 0
        while not stop.is_set():
            name = "w-%05d" % n
            r = srv.request("POST", "/v1/users/premium-us/playlists", body={"name": name}, token=token)
            if r.status == 201:
                with lock:
                    acked.append(name)
            else:
                with lock:
                    statuses.append(("write", r.status))
            n += 1

    def reader():
        while not stop.is_set():
            r = srv.get("/v1/me/playlists?limit=20", token=token)
            with lock:
                statuses.append(("read", r.status))

    threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
    for th in threads:
        th.start()
    try:
        t.ok(wait_for(lambda: len(acked) >= 20, timeout=10), "the writer's writes go through")
        with lock:
            before = list(acked)
        started = time.time()
        p = backup(dest)
        took = time.time() - started
        t.eq(p.returncode, 0, "backup while a writer and a reader run exits 0", p.stderr)
        t.diag("backup took %.2f s with %d writes before it and %d by its end: %s"
               % (took, len(before), len(acked), p.stdout.decode().split("\n")[0]))
        # A second copy under load, over the first with --force.
        time.sleep(0.3)
        with lock:
            before = list(acked)
        p = backup("--force", dest)
        t.eq(p.returncode, 0, "backup --force replaces an earlier backup while serving", p.stderr)
        time.sleep(0.3)
    finally:
        stop.set()
        for th in threads:
            th.join(30)
    with lock:
        bad = [s for s in statuses if s[1] != 200]
        reads = sum(1 for s in statuses if s[0] == "read")
    t.ok(not bad and reads > 0, "every read and write during the backups succeeded (%d reads, %d writes)"
         % (reads, len(acked)), bad[:5])

    t.eq(mode(dest), 0o600, "the copy is mode 0600")
    for k in KEYS:
        src = os.path.join(data, k)
        if os.path.exists(src):
            t.ok(os.path.exists(dest + "." + k) and digest(dest + "." + k) == digest(src)
                 and mode(dest + "." + k) == 0o600, "%s is copied beside it, 0600, the same bytes" % k)
        else:
            t.ok(not os.path.exists(dest + "." + k), "no %s in the data directory, none beside the copy" % k)
    t.ok(os.path.exists(dest + ".signing.keys"), "the signing keys are among them")
    t.ok(not any(n.startswith(".") for n in os.listdir(out)), "no temporary file is left behind",
         os.listdir(out))

    # Without --force nothing is replaced, the keys beside it included.
    d0 = digest(dest)
    p = backup(dest)
    t.ok(p.returncode == 5 and b"--force" in p.stderr and digest(dest) == d0,
         "an existing FILE is not replaced without --force (exit 5)", p.stderr)
    os.rename(dest, dest + ".moved")
    p = backup(dest)
    t.ok(p.returncode == 5 and not os.path.exists(dest) and b"signing.keys" in p.stderr,
         "nor is a key file beside it: nothing is written then", p.stderr)
    os.rename(dest + ".moved", dest)

db = sqlite3.connect("file:%s?mode=ro" % dest, uri=True)
t.eq(db.execute("SELECT count(*) FROM test_ballast").fetchone()[0], 3000, "the copy is whole: the ballast is all there")
t.eq(db.execute("PRAGMA journal_mode").fetchone()[0], "delete", "the copy stands alone: not in WAL mode")
t.eq(db.execute("PRAGMA integrity_check").fetchone()[0], "ok", "the copy passes SQLite's integrity check")
db.close()

# Restore into a fresh data directory and serve it.
fresh = tmpdir()
shutil.copyfile(dest, os.path.join(fresh, "segue.db"))
os.chmod(os.path.join(fresh, "segue.db"), 0o600)
for k in KEYS:
    if os.path.exists(dest + "." + k):
        shutil.copyfile(dest + "." + k, os.path.join(fresh, k))
        os.chmod(os.path.join(fresh, k), 0o600)
os.symlink(os.path.realpath(os.path.join(data, "media")), os.path.join(fresh, "media"))
with Server(fresh) as srv2:
    token2 = srv2.login("premium-us")
    names = playlist_names(srv2, token2)
    missing = [n for n in before if n not in names]
    t.ok(before and not missing, "the restored server shows all %d writes acknowledged before the backup"
         % len(before), missing[:5])
    t.eq(srv2.get(signed_path).status, 200, "a link the first server signed streams from the restored one")
    t.eq(srv2.request("POST", "/v1/users/premium-us/playlists", body={"name": "after"}, token=token2).status,
         201, "the restored database takes writes")
t.done()
