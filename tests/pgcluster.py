"""A throwaway PostgreSQL cluster for the tests that run the server on PostgreSQL
(SEGUE_TEST_DATABASE=postgresql; segue_test.py asks for it).

Each test process gets a cluster of its own: a copy of a data directory made once per run
(initdb, then the test catalog loaded into a database that every catalog copy is cloned
from), started with its unix socket in its own directory and no TCP at all. It runs as the
`postgres` system user when the tests run as root (PostgreSQL refuses root), as the current
user otherwise, with trust authentication: the socket's directory is the owner's alone.

fsync is off, as are full-page writes and synchronous commit: a test cluster that loses its
data in a crash is thrown away anyway. This is for tests only; production keeps the
defaults.

The cluster is stopped when the test ends, and also when it dies without ending: a watcher
process holds a pipe from the test and stops the cluster when the pipe closes."""

import atexit
import fcntl
import glob
import io
import os
import pwd
import shutil
import sqlite3
import subprocess
import sys
import tempfile

SERVER_BIN = os.environ.get("SEGUE_SERVER_BIN", "server/segue-server")
BUILDDIR = os.environ.get("SEGUE_BUILDDIR", ".")
ROLE = "segue"
PORT = 5432  # only names the socket in the cluster's own directory
CATALOG_DB = "segue_catalog"

try:
    import psycopg2
except ImportError:  # unavailable() says so
    psycopg2 = None


def bindir():
    """The directory of initdb, pg_ctl and postgres: $SEGUE_PG_BINDIR, Debian's newest
    /usr/lib/postgresql/N/bin, or initdb's on PATH; None when there is none."""
    d = os.environ.get("SEGUE_PG_BINDIR")
    if d:
        return d if os.path.exists(os.path.join(d, "initdb")) else None
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    if found:
        found.sort(key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
        return os.path.dirname(found[-1])
    p = shutil.which("initdb")
    return os.path.dirname(p) if p else None


def unavailable():
    """Why no cluster can be made here, or None."""
    if not bindir():
        return "PostgreSQL's initdb was not found (apt-get install postgresql, or set SEGUE_PG_BINDIR)"
    if psycopg2 is None:
        return "python3-psycopg2 is not installed (sh scripts/deps)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no postgres user to run PostgreSQL as"
    return None


def _owner():
    """(uid, gid) the cluster runs as, or None for the current user."""
    if os.geteuid() != 0:
        return None
    pw = pwd.getpwnam("postgres")
    return pw.pw_uid, pw.pw_gid


def _as_owner(args):
    return (["runuser", "-u", "postgres", "--"] if _owner() else []) + list(args)


def _chown_tree(path):
    owner = _owner()
    if not owner:
        return
    for root, dirs, files in os.walk(path):
        os.chown(root, *owner)
        for name in files:
            os.lchown(os.path.join(root, name), *owner)


def _run(args, what, timeout=120):
    p = subprocess.run(_as_owner(args), stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (what, p.returncode,
                                                    (p.stderr or p.stdout).decode(errors="replace")))
    return p


def _start(data, sockdir, log):
    opts = ("-c listen_addresses='' -c unix_socket_directories='%s' -c port=%d"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            " -c max_connections=200 -c shared_buffers=16MB" % (sockdir, PORT))
    _run([os.path.join(bindir(), "pg_ctl"), "-D", data, "-l", log, "-w", "-t", "60", "-o", opts,
          "start"], "pg_ctl start")


def _stop(data, mode="fast"):
    subprocess.run(_as_owner([os.path.join(bindir(), "pg_ctl"), "-D", data, "-m", mode, "-w",
                              "-t", "60", "stop"]),
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=90)


def url(sockdir, dbname):
    return "postgresql:///%s?host=%s&port=%d&user=%s" % (dbname, sockdir, PORT, ROLE)


def _connect(sockdir, dbname):
    c = psycopg2.connect(dbname=dbname, host=sockdir, port=PORT, user=ROLE)
    return c


def load_sqlite(sqlite_path, conn):
    """Copies every row of a SQLite store into a PostgreSQL store migrated to the same
    version (the rows the migrations made are replaced), keeping the rowids where the
    PostgreSQL schema has them and the search log's sequence, with the triggers off (the
    copy is no change)."""
    src = sqlite3.connect("file:%s?mode=ro" % sqlite_path, uri=True)
    try:
        tables = [r[0] for r in src.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name")]
        cur = conn.cursor()
        cur.execute("SELECT table_name FROM information_schema.columns"
                    " WHERE table_schema = 'public' AND column_name = 'rowid'")
        with_rowid = {r[0] for r in cur.fetchall()}
        cur.execute("SET session_replication_role = replica")
        cur.execute("TRUNCATE " + ", ".join('"%s"' % t for t in tables))
        for t in tables:
            cols = [r[1] for r in src.execute('PRAGMA table_info("%s")' % t)]
            if t in with_rowid:
                cols = ["rowid"] + cols
            buf = io.StringIO()
            for row in src.execute("SELECT %s FROM \"%s\"" % (", ".join('"%s"' % c for c in cols), t)):
                buf.write("\t".join(_copy_text(v) for v in row))
                buf.write("\n")
            buf.seek(0)
            cur.copy_expert('COPY "%s" (%s) FROM STDIN' % (t, ", ".join('"%s"' % c for c in cols)), buf)
            if t in with_rowid:
                cur.execute("SELECT setval(pg_get_serial_sequence(%%s, 'rowid'),"
                            " coalesce(max(rowid), 1), max(rowid) IS NOT NULL) FROM \"%s\"" % t, (t,))
        seq = src.execute("SELECT seq FROM sqlite_sequence WHERE name = 'search_changes'").fetchone()
        if seq and seq[0]:
            cur.execute("SELECT setval(pg_get_serial_sequence('search_changes', 'seq'), %s)", (seq[0],))
        cur.execute("SET session_replication_role = origin")
        conn.commit()
    finally:
        src.close()


def _copy_text(v):
    """v in COPY's text format."""
    if v is None:
        return "\\N"
    if isinstance(v, bytes):
        return "\\\\x" + v.hex()
    if isinstance(v, float):
        return repr(v)
    return str(v).replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")


def _stamp(catalog):
    """What the cached cluster was made from: the server binary and the catalog."""
    parts = []
    for p in (SERVER_BIN, os.path.join(catalog, ".complete")):
        st = os.stat(p)
        parts.append("%s %d %d" % (os.path.abspath(p), st.st_mtime_ns, st.st_size))
    return "\n".join(parts) + "\n"


def _build_template(cache, catalog):
    """initdb, the catalog database migrated by the server and loaded from the SQLite
    catalog, then a clean shutdown: the data directory every test's cluster copies."""
    work = tempfile.mkdtemp(prefix="segue-pgtemplate-")
    try:
        _chown_tree(work)
        data = os.path.join(work, "data")
        _run([os.path.join(bindir(), "initdb"), "-D", data, "-U", ROLE, "-A", "trust", "-E", "UTF8",
              "--locale=C", "--no-sync", "--no-instructions"], "initdb")
        _start(data, work, os.path.join(work, "log"))
        try:
            c = _connect(work, "postgres")
            c.autocommit = True
            c.cursor().execute("CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C'"
                               % CATALOG_DB)
            c.close()
            scratch = tempfile.mkdtemp(prefix="segue-pgmigrate-")
            try:
                p = subprocess.run([SERVER_BIN, "user", "list", "--data-dir", scratch, "--database",
                                    url(work, CATALOG_DB)], capture_output=True, timeout=120)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
            if p.returncode != 0:
                raise RuntimeError("migrating the catalog database: " + p.stderr.decode(errors="replace"))
            # The SQLite catalog may have been made by an older server: migrated (in a copy),
            # its rows have every column the PostgreSQL database now has, and the values the
            # migrations fill in (artists' genres, say).
            lite = tempfile.mkdtemp(prefix="segue-pgmigrate-")
            try:
                src = sqlite3.connect("file:%s?mode=ro" % os.path.join(catalog, "data", "segue.db"), uri=True)
                dst = sqlite3.connect(os.path.join(lite, "segue.db"))
                src.backup(dst)
                src.close()
                dst.close()
                p = subprocess.run([SERVER_BIN, "user", "list", "--data-dir", lite],
                                   capture_output=True, timeout=120)
                if p.returncode != 0:
                    raise RuntimeError("migrating the SQLite catalog: " + p.stderr.decode(errors="replace"))
                c = _connect(work, CATALOG_DB)
                load_sqlite(os.path.join(lite, "segue.db"), c)
                c.close()
            finally:
                shutil.rmtree(lite, ignore_errors=True)
        finally:
            _stop(data)
        tmp = cache + ".new"
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(data, tmp, symlinks=True)
        shutil.rmtree(cache, ignore_errors=True)
        os.rename(tmp, cache)
    finally:
        shutil.rmtree(work, ignore_errors=True)


# The watcher: stops the cluster and removes its directory when the test's pipe closes.
_WATCH = r"""
import os, shutil, subprocess, sys
sys.stdin.buffer.read()
args, top = sys.argv[1:-1], sys.argv[-1]
subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
shutil.rmtree(top, ignore_errors=True)
"""


class Cluster:
    """This test's cluster: start() once, then database() for every store."""

    def __init__(self):
        self.top = None
        self.watcher = None
        self.n = 0
        self.dbs = {}  # realpath of a data directory -> its database's URL

    def start(self, catalog):
        """catalog: the test catalog's root (tests/.catalog, built), or None for a cluster
        without it (a unit test's)."""
        self.top = tempfile.mkdtemp(prefix="segue-pg-")
        try:
            self._start(catalog)
        except BaseException:
            if os.path.exists(os.path.join(self.top, "data", "postmaster.pid")):
                _stop(os.path.join(self.top, "data"), "immediate")
            shutil.rmtree(self.top, ignore_errors=True)
            raise
        return self

    def _start(self, catalog):
        cache = os.path.join(BUILDDIR, "tests", ".pgcluster")
        data = os.path.join(self.top, "data")
        if catalog is None:
            _chown_tree(self.top)
            _run([os.path.join(bindir(), "initdb"), "-D", data, "-U", ROLE, "-A", "trust", "-E", "UTF8",
                  "--locale=C", "--no-sync", "--no-instructions"], "initdb")
        else:
            self._copy_template(cache, catalog, data)
        os.chmod(data, 0o700)
        _chown_tree(self.top)
        os.chmod(self.top, 0o700)
        _start(data, self.top, os.path.join(self.top, "log"))
        stop = _as_owner([os.path.join(bindir(), "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"])
        self.watcher = subprocess.Popen([sys.executable, "-c", _WATCH] + stop + [self.top],
                                        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
        atexit.register(self.stop)

    @staticmethod
    def _copy_template(cache, catalog, data):
        with open(cache + ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            stamp = _stamp(catalog)
            try:
                with open(os.path.join(cache, "segue-stamp")) as f:
                    fresh = f.read() == stamp
            except OSError:
                fresh = False
            if not fresh:
                _build_template(cache, catalog)
                with open(os.path.join(cache, "segue-stamp"), "w") as f:
                    f.write(stamp)
            shutil.copytree(cache, data, symlinks=True, ignore=shutil.ignore_patterns("segue-stamp"))

    def stop(self):
        if self.watcher:
            self.watcher.stdin.close()
            try:
                self.watcher.wait(timeout=60)
            except subprocess.TimeoutExpired:
                pass
            self.watcher = None

    def url(self, dbname):
        return url(self.top, dbname)

    def connect(self, dbname):
        return _connect(self.top, dbname)

    def database(self, data_dir, seeded=False):
        """The URL of data_dir's database, made on first use: a clone of the catalog when
        seeded, else empty (the server migrates it)."""
        key = os.path.realpath(data_dir)
        if key not in self.dbs:
            self.n += 1
            name = "segue_%d" % self.n
            c = self.connect("postgres")
            try:
                c.autocommit = True
                c.cursor().execute("CREATE DATABASE %s TEMPLATE %s" % (name, CATALOG_DB) if seeded else
                                   "CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C'" % name)
            finally:
                c.close()
            self.dbs[key] = (name, self.url(name))
        return self.dbs[key][1]

    def share(self, data_dir, other):
        """data_dir's servers use other's database (several servers, one database)."""
        self.dbs[os.path.realpath(data_dir)] = self.dbs[os.path.realpath(other)]

    def dbname(self, data_dir):
        self.database(data_dir)
        return self.dbs[os.path.realpath(data_dir)][0]

    def rows(self, data_dir, query, *params):
        """query's rows on data_dir's database ([] for a statement that returns none), in a
        connection of its own that commits at once."""
        c = self.connect(self.dbname(data_dir))
        try:
            c.autocommit = True
            cur = c.cursor()
            cur.execute(query, params)
            return cur.fetchall() if cur.description else []
        finally:
            c.close()


def skip_if(why):
    """Ends a TAP test as skipped when why (unavailable()'s answer, or multi's) says why."""
    if why:
        print("1..0 # SKIP %s" % why, flush=True)
        raise SystemExit(0)


def log_size(path):
    """How far the cluster's log (or any file) has grown: 0 before it exists. A mark to read
    a test step's lines from."""
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def main(argv):
    """pgcluster.py PROGRAM [ARG...]: runs a unit test with SEGUE_TEST_DATABASE_URL naming an
    empty database in a cluster of its own, and exits as it does (a TAP SKIP when no cluster
    can be made here)."""
    why = unavailable()
    if why:
        print("1..0 # SKIP %s" % why, flush=True)
        return 0
    c = Cluster().start(None)
    scratch = tempfile.mkdtemp(prefix="segue-pgunit-")
    try:
        env = dict(os.environ, SEGUE_TEST_DATABASE_URL=c.database(scratch))
        rc = subprocess.call(argv, env=env)
        return rc if rc >= 0 else 128 - rc  # a signal, as a shell says it
    finally:
        c.stop()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
