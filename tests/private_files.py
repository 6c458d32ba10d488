"""Files that hold secrets are their owner's alone (0600), even when the directory around them
is not private: the server's database (password and token hashes) and the files SQLite keeps
beside it, the client's state database; an older, looser one is tightened on open and the
log says so; a loose offline.key stops the server as a loose signing.keys does."""

import os
import stat
import subprocess

from segue_test import TAP, SERVER_BIN, Server, add_user, catalog_copy, tmpdir
from segue_client import Client

t = TAP()


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def db_files(d, name="segue.db"):
    return [p for p in (os.path.join(d, name + s) for s in ("", "-wal", "-shm")) if os.path.exists(p)]


# --- the server's database, new, in a directory everyone may read ---------------------------
data = tmpdir()
os.chmod(data, 0o755)
add_user(data, "alice")
db = os.path.join(data, "segue.db")
t.eq(mode(db), 0o600, "a new segue.db is 0600 in a 0755 directory")

with Server(data) as srv:
    srv.login("alice")  # writes: the WAL and its index exist while the server runs
    files = db_files(data)
    t.eq(len(files), 3, "the database, its -wal and -shm are there while serving", files)
    t.eq([mode(p) for p in files], [0o600] * 3, "and all three are 0600", files)

# --- an older, looser database: tightened on open, and said ----------------------------------
for p in db_files(data):
    os.chmod(p, 0o644)
with Server(data) as srv:
    srv.login("alice")
    t.eq([mode(p) for p in db_files(data)], [0o600] * len(db_files(data)),
         "a 0644 database is made 0600 when the server opens it")
with open(os.path.join(data, "server.log")) as f:
    log = f.read()
t.ok("segue.db was mode 644: made 0600" in log, "and the log says so", log[-2000:])

# A database that is a symbolic link is refused, not followed.
other = tmpdir()
os.rename(db, os.path.join(other, "segue.db"))
for p in db_files(data):
    os.unlink(p)
os.symlink(os.path.join(other, "segue.db"), db)
p = subprocess.run([SERVER_BIN, "serve", "--listen", "127.0.0.1:0", "--data-dir", data],
                   capture_output=True, timeout=30)
t.ok(p.returncode != 0 and b"segue.db" in p.stderr, "a segue.db that is a symbolic link is refused",
     p.stderr)

# --- offline.key: a loose one stops the server, as a loose signing.keys does ------------------
data = catalog_copy()
with Server(data):
    pass
key = os.path.join(data, "offline.key")
t.eq(mode(key), 0o600, "offline.key is created 0600")
os.chmod(key, 0o640)
p = subprocess.run([SERVER_BIN, "serve", "--listen", "127.0.0.1:0", "--data-dir", data],
                   capture_output=True, timeout=30)
t.ok(p.returncode != 0 and b"offline.key" in p.stderr and b"chmod 600" in p.stderr,
     "a group-readable offline.key stops the server and says how to fix it", p.stderr)
t.ok(not p.stdout.startswith(b"listening"), "it never listens", p.stdout)
os.chmod(key, 0o600)
with Server(data) as srv:
    t.ok(srv.port > 0, "once 0600 it serves again")

# --- the client's state database ------------------------------------------------------------------
with Server(data) as srv:
    c = Client(srv.base)
    try:
        os.chmod(os.path.join(c.root, "data"), 0o755)
        rc, out, err = c.login("premium-us")
        t.eq(rc, 0, "the client logs in", err)
        rc, out, err = c.run("offline", "ls")
        t.eq(rc, 0, "a command that opens the client's state database", err)
        t.ok(os.path.exists(c.db_path), "the state database exists")
        t.eq(mode(c.db_path), 0o600, "the client's state database is 0600")
        for p in db_files(os.path.dirname(c.db_path)):
            os.chmod(p, 0o644)
        rc, out, err = c.run("offline", "ls")
        t.eq(rc, 0, "opened again", err)
        t.eq([mode(p) for p in db_files(os.path.dirname(c.db_path))],
             [0o600] * len(db_files(os.path.dirname(c.db_path))), "a 0644 one is made 0600")
        t.ok("made 0600" in err, "and the client says so", err)
    finally:
        c.stop()

t.done()
