"""Shared pieces of Segue's integration tests: TAP output, a segue-server started on an
ephemeral loopback port, a small HTTP client, and the test catalog (built once per run).

Every server started here binds 127.0.0.1 and is stopped when the test ends; so does the
network stand-in (NetLink) that sits between a client and a server."""

import fcntl
import http.client
import json
import os
import shutil
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

SERVER_BIN = os.environ.get("SEGUE_SERVER_BIN", "server/segue-server")
GEN_DEMO = os.environ.get("SEGUE_GEN_DEMO", "data/segue-gen-demo")
SRCDIR = os.environ.get("SEGUE_SRCDIR", ".")
BUILDDIR = os.environ.get("SEGUE_BUILDDIR", ".")
# "postgresql": every server and segue-server command a test runs uses a database of its own
# in a throwaway cluster (tests/pgcluster.py), the catalog's copies a clone of the catalog.
DATABASE = os.environ.get("SEGUE_TEST_DATABASE", "sqlite")
POSTGRES = DATABASE == "postgresql"


class TAP:
    """Collects results and prints TAP; exits non-zero when anything failed."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, detail=None):
        self.n += 1
        print(("ok" if cond else "not ok") + " %d - %s" % (self.n, name), flush=True)
        if not cond:
            self.failed += 1
            if detail is not None:
                for line in str(detail).splitlines()[:20]:
                    print("#   " + line)
        return cond

    def eq(self, got, want, name, detail=None):
        msg = "got %r, want %r" % (got, want)
        return self.ok(got == want, name, msg if detail is None else msg + "\n" + str(detail))

    def diag(self, msg):
        print("# " + msg, flush=True)

    def done(self):
        # A server that died of a signal nobody sent is a failure wherever it showed, named as
        # such (its clients only see a server that no longer answers).
        for name, sig in crashed:
            self.ok(False, "%s did not die on its own" % name, "it died of signal %d" % sig)
        print("1..%d" % self.n, flush=True)
        sys.exit(1 if self.failed else 0)

    def bail(self, msg):
        print("Bail out! " + msg, flush=True)
        sys.exit(1)


def tmpdir(prefix="segue-test-"):
    d = tempfile.mkdtemp(prefix=prefix)
    return d


def run(args, input=None, env=None, check=False, timeout=600):
    p = subprocess.run(args, input=input, capture_output=True, env=env, timeout=timeout)
    if check and p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (args, p.returncode, p.stderr.decode(errors="replace")))
    return p


def server_cmd(*args, data_dir, input=None, timeout=600):
    return run([SERVER_BIN] + list(args) + ["--data-dir", data_dir] + database_args(data_dir),
               input=input, timeout=timeout)


_cluster = None


def cluster():
    """This test's PostgreSQL cluster (started on first use, with the catalog built)."""
    global _cluster
    if _cluster is None:
        import pgcluster
        _cluster = pgcluster.Cluster().start(_catalog_root())
    return _cluster


def database_url(data_dir, seeded=False):
    """On PostgreSQL, the URL of data_dir's own database (made on first use); else None."""
    return cluster().database(data_dir, seeded) if POSTGRES else None


# Data directories that keep their SQLite store whatever the run's engine: the test catalog's,
# which the PostgreSQL catalog is loaded from.
_sqlite_dirs = set()


def database_args(data_dir):
    """The options that point a segue-server command at data_dir's database."""
    if not POSTGRES or os.path.realpath(data_dir) in _sqlite_dirs:
        return []
    return ["--database", database_url(data_dir)]


def add_user(data_dir, name, password="password123", premium=False, country="US"):
    args = ["user", "add", name, "--country", country] + (["--premium"] if premium else [])
    p = server_cmd(*args, data_dir=data_dir, input=(password + "\n").encode())
    if p.returncode != 0:
        raise RuntimeError("user add %s: %s" % (name, p.stderr.decode()))


# (what, signal) of each server that stop() found dead of a signal it had not sent.
crashed = []


class Server:
    """segue-server serve on 127.0.0.1:0 over data_dir."""

    def __init__(self, data_dir, settings=None, port=0, args=()):
        self.data_dir = data_dir
        self.settings = dict(settings or {})
        self.args = list(args)
        self.proc = None
        self.port = port
        self.log = None
        self.signalled = set()  # pids of the processes stop() signalled or reported

    def start(self, timeout=10):
        """Starts on self.port: 0 the first time, and the same port again after stop()."""
        args = [SERVER_BIN, "serve", "--listen", "127.0.0.1:%d" % (self.port or 0),
                "--data-dir", self.data_dir] + database_args(self.data_dir)
        for k, v in self.settings.items():
            args += ["--set", "%s=%s" % (k, v)]
        args += self.args
        self.log = open(os.path.join(self.data_dir, "server.log"), "ab")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log)
        deadline = time.time() + timeout
        line = self.proc.stdout.readline().decode()
        if not line.startswith("listening on ") or time.time() > deadline:
            self.stop()
            raise RuntimeError("server did not start: %r" % line)
        self.port = int(line.strip().rsplit(":", 1)[1])
        return self

    @property
    def base(self):
        return "http://127.0.0.1:%d" % self.port

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is not None and self.proc.returncode < 0 and \
                self.proc.pid not in self.signalled:
            self.signalled.add(self.proc.pid)
            crashed.append(("segue-server (pid %d)" % self.proc.pid, -self.proc.returncode))
        if self.proc and self.proc.poll() is None:
            self.signalled.add(self.proc.pid)
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.proc.stdout.close()
        if self.log:
            self.log.close()
            self.log = None
        return self.proc.returncode if self.proc else None

    def kill9(self):
        return self.stop(signal.SIGKILL)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # HTTP
    def request(self, method, path, body=None, headers=None, token=None, timeout=30):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            body = body.encode()
        try:
            conn.request(method, path, body=body, headers=h)
            resp = conn.getresponse()
            data = resp.read()
            return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
        finally:
            conn.close()

    def get(self, path, token=None, **kw):
        return self.request("GET", path, token=token, **kw)

    def form(self, path, fields):
        return self.request("POST", path, body=urllib.parse.urlencode(fields),
                            headers={"Content-Type": "application/x-www-form-urlencoded"})

    def login(self, name, password="password123"):
        r = self.form("/api/token", {"grant_type": "password", "username": name, "password": password})
        if r.status != 200:
            raise RuntimeError("login %s: %d %s" % (name, r.status, r.body))
        return r.json()["access_token"]


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def __repr__(self):
        return "<%d %s>" % (self.status, self.body[:200])


def _build_catalog(root):
    """The small demo catalog ingested into root/data (masters in root/masters)."""
    masters = os.path.join(root, "masters")
    data = os.path.join(root, "data")
    p = run(["sh", os.path.join(SRCDIR, "data", "make-demo"), "--small", "--gen", GEN_DEMO, masters])
    if p.returncode != 0:
        raise RuntimeError("make-demo failed: " + p.stderr.decode())
    os.makedirs(data, exist_ok=True)
    _sqlite_dirs.add(os.path.realpath(data))
    p = server_cmd("ingest", "--quiet", masters, data_dir=data)
    if p.returncode != 0:
        raise RuntimeError("ingest failed: " + p.stderr.decode())
    add_user(data, "premium-us", premium=True, country="US")
    add_user(data, "free-us", premium=False, country="US")
    add_user(data, "premium-jp", premium=True, country="JP")


class NetLink:
    """A network between a client and a server, on 127.0.0.1: relays TCP to target_port,
    the server's answers at most rate bytes a second (so a download is still arriving when the
    link is cut, instead of already sitting in the client's socket buffer), and can be cut
    (every connection reset, new ones refused) and restored. Use .base as the server URL."""

    def __init__(self, target_port, rate=100000):
        self.target, self.rate = target_port, rate
        self.up = True
        self.conns = []
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.base = "http://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.stopping = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopping:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            if not self.up:
                self._reset(c)
                continue
            try:
                u = socket.create_connection(("127.0.0.1", self.target), timeout=5)
            except OSError:
                self._reset(c)
                continue
            with self.lock:
                self.conns.append((c, u))
            threading.Thread(target=self._relay, args=(c, u), daemon=True).start()

    @staticmethod
    def _reset(s):
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
        except OSError:
            pass

    def _relay(self, c, u):
        step, budget_at, sent = 8192, time.time(), 0
        try:
            while True:
                r, _, _ = select.select([c, u], [], [], 0.5)
                if not self.up or self.stopping:
                    break
                if c in r:
                    data = c.recv(65536)
                    if not data:
                        break
                    u.sendall(data)
                if u in r:
                    data = u.recv(step)
                    if not data:
                        break
                    c.sendall(data)
                    sent += len(data)
                    ahead = sent / self.rate - (time.time() - budget_at)
                    if ahead > 0:
                        time.sleep(ahead)
        except (OSError, ValueError):  # ValueError: cut() closed a socket under select()
            pass
        self._reset(c)
        self._reset(u)

    def cut(self):
        """The network goes: live connections are reset, new ones refused."""
        self.up = False
        with self.lock:
            conns, self.conns = self.conns, []
        for c, u in conns:
            self._reset(c)
            self._reset(u)

    def restore(self):
        self.up = True

    def close(self):
        self.stopping = True
        self.cut()
        self.sock.close()


def long_track(data_dir, track_id, times=24):
    """Makes track_id's very_high file times as long (chained copies), in a private media
    tree: a response larger than the sockets' buffers, so that a client that stops reading
    leaves the server holding the rest."""
    media = os.path.join(data_dir, "media")
    shared = os.path.realpath(media)
    os.unlink(media)
    os.mkdir(media)
    for name in os.listdir(shared):
        os.symlink(os.path.join(shared, name), os.path.join(media, name))
    fan = os.path.join(media, track_id[:2])
    os.unlink(fan)
    os.mkdir(fan)
    for name in os.listdir(os.path.join(shared, track_id[:2])):
        os.symlink(os.path.join(shared, track_id[:2], name), os.path.join(fan, name))
    own = os.path.join(fan, track_id)
    os.unlink(own)
    shutil.copytree(os.path.join(shared, track_id[:2], track_id), own)
    path = os.path.join(own, "very_high.ogg")
    with open(path, "rb") as f:
        one = f.read()
    with open(path, "wb") as f:
        f.write(one * times)
    return len(one) * times


def _catalog_root():
    """The shared test catalog (SQLite), built by the first test that needs it."""
    root = os.path.join(BUILDDIR, "tests", ".catalog")
    os.makedirs(os.path.dirname(root), exist_ok=True)
    with open(root + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(os.path.join(root, ".complete")):
            shutil.rmtree(root, ignore_errors=True)
            os.makedirs(root)
            _build_catalog(root)
            open(os.path.join(root, ".complete"), "w").close()
    return root


def catalog_copy():
    """A private copy of the shared test catalog: its own database and keys, media shared
    through a symlink (it is never written while serving). On PostgreSQL the database is a
    clone of the catalog's in the test's cluster, and no segue.db is copied."""
    root = _catalog_root()
    d = tmpdir()
    src = os.path.join(root, "data")
    for name in os.listdir(src):
        s = os.path.join(src, name)
        if name == "media":
            os.symlink(os.path.abspath(s), os.path.join(d, name))
        elif POSTGRES and name.startswith("segue.db"):
            continue
        elif os.path.isfile(s) and not name.endswith(".log"):
            shutil.copy2(s, os.path.join(d, name))
    if POSTGRES:
        database_url(d, seeded=True)
    return d


def manifest():
    """The small catalog's manifest rows (dicts), as the generator wrote them."""
    path = os.path.join(BUILDDIR, "tests", ".catalog", "masters", "manifest.tsv")
    cols = ["relpath", "title", "artist", "album", "album_artist", "track_number", "disc_number",
            "date", "genre", "markets", "explicit"]
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                rows.append(dict(zip(cols, line.rstrip("\n").split("\t"))))
    return rows


class _PgDB:
    """A psycopg2 connection that takes sqlite3's ? placeholders and answers bytes for
    bytea, so that a test's own reads and writes of the store run on either engine."""

    def __init__(self, conn):
        self.conn = conn

    def execute(self, query, params=()):
        cur = self.conn.cursor()
        cur.execute(query.replace("%", "%%").replace("?", "%s"), tuple(params))
        return _PgCursor(cur)

    def commit(self):
        self.conn.commit()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def close(self):
        self.conn.close()


class _PgCursor:
    def __init__(self, cur):
        self.cur = cur
        self.rowcount = cur.rowcount

    @staticmethod
    def _row(r):
        return tuple(bytes(v) if isinstance(v, memoryview) else v for v in r)

    def fetchall(self):
        return [self._row(r) for r in self.cur.fetchall()] if self.cur.description else []

    def fetchone(self):
        r = self.cur.fetchone() if self.cur.description else None
        return self._row(r) if r is not None else None

    def __iter__(self):
        return iter(self.fetchall())


def db_connect(data_dir, timeout=10):
    """A connection to data_dir's store, whichever the engine (execute, commit, close;
    ? placeholders)."""
    if POSTGRES:
        c = cluster()
        conn = c.connect(c.dbname(data_dir))
        conn.autocommit = True
        return _PgDB(conn)
    import sqlite3
    return sqlite3.connect(os.path.join(data_dir, "segue.db"), timeout=timeout)


class WriteLock:
    """data_dir's store held as another server's write transaction holds it (SQLite's BEGIN
    IMMEDIATE; on PostgreSQL the advisory lock store_begin takes), rows written through it
    committed at the end: what another server changes while a request waits for it."""

    def __init__(self, data_dir):
        self.data_dir = data_dir

    def __enter__(self):
        if POSTGRES:
            self.conn = cluster().connect(cluster().dbname(self.data_dir))
            self.conn.cursor().execute("SELECT pg_advisory_xact_lock(7310498117002)")
        else:
            import sqlite3
            self.conn = sqlite3.connect(os.path.join(self.data_dir, "segue.db"), isolation_level=None,
                                        timeout=10)
            self.conn.execute("BEGIN IMMEDIATE")
        return self

    def execute(self, query, params=()):
        if POSTGRES:
            self.conn.cursor().execute(query.replace("?", "%s"), params)
        else:
            self.conn.execute(query, params)

    def wait_for_waiter(self):
        """Until a server waits for this transaction: true when one does. PostgreSQL shows the
        wait (a lock not granted); SQLite's is a retry loop nothing shows, so a second's grace."""
        if POSTGRES:
            return wait_for(lambda: sql(self.data_dir, "SELECT count(*) FROM pg_locks WHERE NOT granted")[0][0] > 0,
                            timeout=10)
        time.sleep(1)
        return True

    def waiting(self, request):
        """Starts request() in a thread of its own; returns once it waits for this transaction
        (true when it does: see wait_for_waiter). Its answer: answer(), after the block."""
        self.got = []
        self.thread = threading.Thread(target=lambda: self.got.append(request()))
        self.thread.start()
        return self.wait_for_waiter()

    def answer(self, timeout=30):
        """What the request that waiting() started returned, or None when it has not within
        timeout seconds."""
        self.thread.join(timeout)
        return self.got[0] if self.got else None

    def __exit__(self, *exc):
        if POSTGRES:
            self.conn.commit()
        else:
            self.conn.execute("COMMIT")
        self.conn.close()
        return False


def sql(data_dir, query):
    db = db_connect(data_dir)
    try:
        return db.execute(query).fetchall()
    finally:
        db.close()


if POSTGRES:
    def _skip_without_postgres():
        import pgcluster
        why = pgcluster.unavailable()
        if why:
            print("1..0 # SKIP %s" % why, flush=True)
            sys.exit(0)
    _skip_without_postgres()


def tone_flac(path, freq, work, secs=3, **tags):
    """A FLAC file at path of a sine tone of freq Hz (secs long) with the given Vorbis
    comments, a list value giving one comment per item. A track's id is its audio's hash, so
    each file of a library needs a tone of its own. work holds the scratch WAV."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    wav = os.path.join(work, "tone.wav")
    run(["sox", "-n", "-r", "44100", "-c", "2", "-b", "16", wav, "synth", str(secs), "sine",
         str(freq), "vol", "0.4"], check=True)
    args = ["flac", "--silent", "-f", "-o", path]
    for k, v in tags.items():
        for item in v if isinstance(v, list) else [v]:
            args += ["-T", "%s=%s" % (k.upper(), item)]
    run(args + [wav], check=True)
    return path


def wait_for(pred, timeout=5.0, step=0.05):
    """pred()'s first true value within timeout seconds (polled every step), else its last."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def subset(want, got, where=""):
    """None when every key/value of want is in got (recursively); else a description."""
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return "%s: want an object, got %r" % (where or ".", got)
        for k, v in want.items():
            if k not in got:
                return "%s.%s: missing" % (where, k)
            err = subset(v, got[k], where + "." + k)
            if err:
                return err
        return None
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return "%s: want %r, got %r" % (where, want, got)
        for i, (w, g) in enumerate(zip(want, got)):
            err = subset(w, g, "%s.%d" % (where, i))
            if err:
                return err
        return None
    return None if want == got else "%s: want %r, got %r" % (where, want, got)
