#!/usr/bin/env python3
"""The PostgreSQL schema (server/store/schema_pg.c) against SQLite's (schema_sqlite.c): a
store made by segue-server on each engine holds the same tables with the same columns in
the same order (name, type, nullability, case-insensitive collation), the same indexes over
the same columns and the same triggers. Then what PostgreSQL needs besides: the search
change log's writers commit in seq order, several servers migrating one new database at
once all start, segue_decay is SQLite's, and names compare without case where SQLite's
NOCASE does."""

import math
import os
import re
import sqlite3
import subprocess
import threading
import time

import segue_test as st
from segue_test import TAP

t = TAP()
import pgcluster  # noqa: E402

pgcluster.skip_if(pgcluster.unavailable())

cl = st.cluster()

# Both stores, fresh, migrated by the server itself.
lite_dir, pg_dir = st.tmpdir(), st.tmpdir()
pg_url = cl.database(pg_dir)
for d, extra in ((lite_dir, []), (pg_dir, ["--database", pg_url])):
    p = st.run([st.SERVER_BIN, "user", "list", "--data-dir", d] + extra)
    t.ok(p.returncode == 0, "segue-server migrates a new %s store" % ("PostgreSQL" if extra else "SQLite"),
         p.stderr.decode(errors="replace"))

ldb = sqlite3.connect(os.path.join(lite_dir, "segue.db"))
pdb = cl.connect(cl.dbname(pg_dir))
pdb.autocommit = True
pcur = pdb.cursor()


def pg(query, *params):
    pcur.execute(query, params)
    return pcur.fetchall()


# Tables.
lite_tables = sorted(r[0] for r in ldb.execute(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"))
pg_tables = sorted(r[0] for r in pg(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
    " AND table_name <> 'segue_schema'"))
t.eq(pg_tables, lite_tables, "the same tables")

# Columns: name, order, type, NOT NULL, NOCASE. The rowid identities are PostgreSQL's own.
TYPES = {"INTEGER": "bigint", "REAL": "double precision", "BLOB": "bytea", "TEXT": "text"}
for table in lite_tables:
    sql_text = ldb.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    want = []
    for cid, name, typ, notnull, dflt, pk in ldb.execute('PRAGMA table_info("%s")' % table):
        # A primary key's columns are NOT NULL on PostgreSQL whatever they say (SQLite lets a
        # key that is not an integer hold NULL, which nothing of Segue's relies on).
        nocase = bool(re.search(r"[(,]\s*%s\s[^,]*?COLLATE\s+NOCASE" % re.escape(name), sql_text, re.I))
        want.append((name, TYPES.get(typ.upper(), typ), bool(notnull or pk), nocase))
    got = [(name, typ, nullable == "NO", coll == "nocase") for name, typ, nullable, coll in pg(
        "SELECT column_name, data_type, is_nullable, coalesce(collation_name, '')"
        " FROM information_schema.columns WHERE table_schema = 'public' AND table_name = %s"
        " AND column_name <> 'rowid' ORDER BY ordinal_position", table)]
    t.eq(got, want, "%s: the same columns, in order, of the same types, nullability and case" % table)

# The tables whose rowid the shared SQL reads (history.c: plays; subsonic.c: api_keys;
# subsonic_catalog.c: tracks, albums) have one on PostgreSQL, unique.
rowid_tables = sorted(r[0] for r in pg(
    "SELECT c.table_name FROM information_schema.columns c WHERE c.table_schema = 'public'"
    " AND c.column_name = 'rowid'"))
t.eq(rowid_tables, ["albums", "api_keys", "plays", "tracks"], "the rowid columns: albums, api_keys, plays, tracks")
for table in rowid_tables:
    unique = pg("SELECT 1 FROM pg_indexes WHERE schemaname = 'public' AND tablename = %s"
                " AND indexdef LIKE 'CREATE UNIQUE INDEX %%%% ON public.' || %s || ' USING btree (rowid)'",
                table, table)
    t.ok(bool(unique), "%s.rowid is unique-indexed" % table)

# Random songs and albums draw rowids between 1 and the largest, so those stay dense as
# SQLite's: an upsert that finds its row (ingest files an album once per track) takes none.
pg("INSERT INTO artists (id, name, created_at) VALUES ('rowidArtistAAAAAAAAAAA', 'R', 0) RETURNING id")
for i in range(4):
    first = pg("INSERT INTO albums (id, name, artist_id, created_at) VALUES ('rowidAlbumAAAAAAAAAAAA', 'One',"
               " 'rowidArtistAAAAAAAAAAA', 0) ON CONFLICT (id) DO UPDATE SET name = excluded.name"
               " RETURNING rowid")[0][0]
second = pg("INSERT INTO albums (id, name, artist_id, created_at) VALUES ('rowidAlbumBBBBBBBBBBBB', 'Two',"
            " 'rowidArtistAAAAAAAAAAA', 0) RETURNING rowid")[0][0]
t.eq(second, first + 1, "an album inserted after upserts of another takes the next rowid, no gap")
pg("DELETE FROM albums WHERE artist_id = 'rowidArtistAAAAAAAAAAA' RETURNING id")
pg("DELETE FROM artists WHERE id = 'rowidArtistAAAAAAAAAAA' RETURNING id")

# Indexes: names and what they cover (columns with their order and case; expressions and
# partial indexes by name). SQLite's automatic indexes (primary keys, UNIQUE) are
# PostgreSQL's *_pkey and *_key ones.
lite_idx = {}
for name, table, sql_text in ldb.execute(
        "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"):
    cols = [(r[2], r[3], r[4].upper()) for r in ldb.execute('PRAGMA index_xinfo("%s")' % name) if r[5]]
    lite_idx[name] = (table, [(c or "<expr>", bool(desc), coll == "NOCASE") for c, desc, coll in cols],
                      " WHERE " in sql_text.upper())
pg_idx = {}
for name, table, indexdef in pg(
        "SELECT indexname, tablename, indexdef FROM pg_indexes WHERE schemaname = 'public'"
        " AND tablename <> 'segue_schema' AND indexname NOT LIKE '%%_pkey'"
        " AND indexname NOT LIKE '%%_key' AND indexname NOT LIKE '%%_rowid'"):
    # Columns a PostgreSQL index carries for index-only scans (INCLUDE) are not part of
    # its order: SQLite reads them from the row.
    indexdef = re.sub(r"\) INCLUDE \([^)]*\)", ")", indexdef)
    body = indexdef.split(" USING btree (", 1)[1]
    where = " WHERE " in body
    body = body.rsplit(")", 1)[0] if not where else body.split(") WHERE ", 1)[0]
    cols = []
    depth, cur = 0, ""
    for ch in body + ",":
        if ch == "," and depth == 0:
            part = cur.strip()
            cur = ""
            nocase = "COLLATE nocase" in part
            desc = part.endswith(" DESC")
            col = part.split()[0]
            # SQLite's NOCASE order is lower() in collation C on PostgreSQL (the Subsonic
            # name orders, store/subsonic_catalog.c): such an index is the column's NOCASE one.
            lowered = re.fullmatch(r'lower\(\(*"?(\w+)"?\)*(?:::text)? COLLATE "C"\)*( DESC)?', part)
            if lowered:
                cols.append((lowered.group(1), desc, True))
                continue
            cols.append(("<expr>" if col.startswith("(") or "(" in col else col.strip('"'), desc, nocase))
            continue
        depth += ch == "("
        depth -= ch == ")"
        cur += ch
    pg_idx[name] = (table, cols, where)
t.eq(sorted(pg_idx), sorted(lite_idx), "the same indexes by name")
for name in sorted(set(pg_idx) & set(lite_idx)):
    t.eq(pg_idx[name], lite_idx[name], "index %s: the same table, columns, order, case and WHERE" % name)
srcdir = os.path.join(st.SRCDIR, "server", "store")
with open(os.path.join(srcdir, "catalog.c")) as f:
    catalog_c = f.read()
expr = catalog_c.split("#define LIBRARY_FILE", 1)[1].split('"', 2)[1]
pcur.execute("SET enable_seqscan = off")
plan = "\n".join(r[0] for r in pg("EXPLAIN SELECT id FROM tracks WHERE %s = 'a.flac'" % expr))
pcur.execute("RESET enable_seqscan")
t.ok("tracks_library_file" in plan, "a match on LIBRARY_FILE of store/catalog.c takes the index tracks_library_file",
     plan)
# The Subsonic name orders (NOCASE_ORDER_PG of store/subsonic_catalog.c) read their indexes in
# order, with no sort of the whole table; an equality of names finds its row through them.
with open(os.path.join(srcdir, "subsonic_catalog.c")) as f:
    m = re.search(r'#define NOCASE_ORDER_PG\(x\) "(.*?)" x "(.*?)"\n', f.read())
pcur.execute("SET enable_sort = off")
pcur.execute("SET enable_seqscan = off")
for table, alias, index in (("albums", "al", "albums_name"), ("artists", "ar", "artists_name")):
    order = "%s%s.name%s" % (m.group(1), alias, m.group(2).replace('\\"', '"'))
    plan = "\n".join(r[0] for r in pg("EXPLAIN SELECT %s.id FROM %s %s ORDER BY %s, %s.id LIMIT 50 OFFSET 500"
                                     % (alias, table, alias, order, alias)))
    t.ok(index in plan and "Sort" not in plan, "%s in name order: read off %s, no sort" % (table, index), plan)
    plan = "\n".join(r[0] for r in pg("EXPLAIN SELECT id FROM %s WHERE lower(name COLLATE \"C\") = lower('Abc' COLLATE \"C\")"
                                     % table))
    t.ok(index in plan and "Index Cond" in plan, "%s: a name's equality through %s" % (table, index), plan)
pcur.execute("RESET enable_sort")
pcur.execute("RESET enable_seqscan")
# The catalog's last change (store_sub_last_modified): each maximum off its index, on both.
for q, index in (("SELECT max(created_at) FROM tracks", "tracks_created"),
                 ("SELECT max(withdrawn_at) FROM tracks WHERE withdrawn_at IS NOT NULL", "tracks_withdrawn_at")):
    lplan = " ".join(str(r[-1]) for r in ldb.execute("EXPLAIN QUERY PLAN " + q))
    pplan = "\n".join(r[0] for r in pg("EXPLAIN " + q))
    t.ok(index in lplan and index in pplan and "Seq Scan" not in pplan, "%s: from %s on both engines" % (q, index),
         (lplan, pplan))

# Triggers: SQLite's by name; PostgreSQL adds the statement-level search_lock_* ones.
lite_trig = sorted(r[0] for r in ldb.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
pg_trig = sorted({r[0] for r in pg("SELECT trigger_name FROM information_schema.triggers"
                                   " WHERE trigger_schema = 'public'")
                  if not r[0].startswith("search_lock_")})
t.eq(pg_trig, lite_trig, "the same triggers")

# The rows the migrations make: meta's counters and the system user.
t.eq(sorted(pg("SELECT key, value FROM meta")), sorted(ldb.execute("SELECT key, value FROM meta").fetchall()),
     "the same meta rows")
t.eq(pg("SELECT id, display_name, pw_hash, tier FROM users"),
     ldb.execute("SELECT id, display_name, pw_hash, tier FROM users").fetchall(), "the same system user")
t.eq(pg("SELECT version FROM segue_schema"), [(ldb.execute("PRAGMA user_version").fetchone()[0],)],
     "the same schema version")

# segue_decay as store.c computes it on SQLite, an ancient play included (exp() underflows
# to an error on PostgreSQL).
DAY = 86400000
for started, now, tau in ((0, 30 * DAY, 30.0), (5 * DAY, 12 * DAY, 14.0), (0, 0, 7.0),
                          (0, 10 ** 13, 1.0), (10 * DAY, 0, 5.0)):
    got = pg("SELECT segue_decay(%s, %s, %s)", started, now, tau)[0][0]
    want = math.exp(-((now - started) / 86400000.0) / tau)
    t.ok(abs(got - want) <= 1e-12 * max(1.0, want), "segue_decay(%d, %d, %g) = %g" % (started, now, tau, want),
         "got %r" % got)

# NOCASE: a name differing only in case is the same user; a genre compares without case.
def pg_cmd(*args, input=None):
    """A segue-server command on the PostgreSQL store, whatever the run's engine."""
    return st.run([st.SERVER_BIN] + list(args) + ["--data-dir", pg_dir, "--database", pg_url], input=input)


p = pg_cmd("user", "add", "Alice", input=b"password123\n")
t.ok(p.returncode == 0, "a user added on PostgreSQL", p.stderr.decode(errors="replace"))
p = pg_cmd("user", "add", "alice", input=b"password123\n")
t.ok(p.returncode != 0, "the same name in other case is taken, as on SQLite", p.stderr.decode(errors="replace"))
t.eq(pg("SELECT count(*) FROM users WHERE id = 'ALICE'"), [(1,)], "users.id compares without case")
t.eq(pg("SELECT 'Jazz' = 'jAZZ' COLLATE NOCASE, 'Jazz' = 'Jazz ' COLLATE NOCASE"), [(True, False)],
     "COLLATE NOCASE in shared SQL names the case-insensitive collation")

# The search change log: a writer outside any transaction waits for a transaction of
# store_begin's (which holds the write lock) to commit before it takes a seq, so seqs
# commit in order and a reader that saw seq N never finds a lower one committed later.
a = cl.connect(cl.dbname(pg_dir))
b = cl.connect(cl.dbname(pg_dir))
b.autocommit = True
ac = a.cursor()
ac.execute("SELECT pg_advisory_xact_lock(7310498117002)")  # what store_begin takes
ac.execute("INSERT INTO artists (id, name, created_at) VALUES ('seqAAAAAAAAAAAAAAAAAAA', 'A', 0)")
ac.execute("SELECT max(seq) FROM search_changes")
seq_a = ac.fetchone()[0]
done = {}


def writer():
    try:
        bc = b.cursor()
        bc.execute("INSERT INTO artists (id, name, created_at) VALUES ('seqBBBBBBBBBBBBBBBBBBB', 'B', 0)")
        bc.execute("SELECT seq FROM search_changes WHERE id = 'seqBBBBBBBBBBBBBBBBBBB'")
        done["seq"] = bc.fetchone()[0]
    except Exception as e:  # reported below
        done["error"] = e
    done["at"] = time.time()


th = threading.Thread(target=writer)
th.start()
time.sleep(1.0)
t.ok("at" not in done, "a second writer of the search log waits while a write transaction is open", done)
reader = cl.connect(cl.dbname(pg_dir))
reader.autocommit = True
rc = reader.cursor()
rc.execute("SELECT coalesce(max(seq), 0) FROM search_changes")
t.ok(rc.fetchone()[0] < seq_a, "a reader meanwhile sees neither change")
committed = time.time()
a.commit()
th.join(30)
t.ok(done.get("seq", 0) > seq_a and done.get("at", 0) >= committed,
     "it takes its seq after the first commits, so seqs commit in order", done)
rc.execute("SELECT id FROM search_changes WHERE seq > %s ORDER BY seq", (0,))
ids = [r[0] for r in rc.fetchall()]
t.ok(ids.index("seqAAAAAAAAAAAAAAAAAAA") < ids.index("seqBBBBBBBBBBBBBBBBBBB"), "and the log reads in commit order")
# A statement that changes nothing search shows (a play count) does not wait.
ac.execute("SELECT pg_advisory_xact_lock(7310498117002)")
t0 = time.time()
b.cursor().execute("UPDATE tracks SET play_count = play_count + 1 WHERE id = 'none'")
t.ok(time.time() - t0 < 0.5, "an update of columns search does not show takes no lock")
a.rollback()
for c in (a, b, reader):
    c.close()

# Several servers starting at once on a database another is still making the schema of:
# each waits for the migration lock and then sees the schema made, none fails on the
# half-made version table.
fresh = st.tmpdir()
fresh_url = cl.database(fresh)
m = cl.connect(cl.dbname(fresh))
mc = m.cursor()
mc.execute("SELECT pg_advisory_xact_lock(7310498117001)")
mc.execute("CREATE TABLE segue_schema (version INTEGER NOT NULL); INSERT INTO segue_schema VALUES (0)")
procs = [subprocess.Popen([st.SERVER_BIN, "user", "list", "--data-dir", st.tmpdir(), "--database", fresh_url],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(3)]
time.sleep(1.5)
m.commit()
m.close()
results = []
for p in procs:
    try:
        out, err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    results.append((p.returncode, err.decode(errors="replace")[-300:]))
t.ok(all(rc == 0 for rc, _ in results), "three servers migrating one new database at once all start", results)
# An album's track count, length and markets (store_albums_rows, store/catalog_batch.c) come
# from tracks_album alone, once VACUUM has marked the pages visible: at a million tracks the
# heap pages of a page of albums' tracks were most of a search's time.
pcur.execute("INSERT INTO artists (id, name, created_at) VALUES ('ioArtistAAAAAAAAAAAAAA', 'io', 0)")
pcur.execute("INSERT INTO albums (id, name, artist_id, created_at) VALUES ('ioAlbumAAAAAAAAAAAAAAA', 'io',"
   " 'ioArtistAAAAAAAAAAAAAA', 0)")
pcur.execute("INSERT INTO tracks (id, name, album_id, artist_id, created_at, duration_ms) VALUES ('ioTrackAAAAAAAAAAAAAAA', 'io',"
   " 'ioAlbumAAAAAAAAAAAAAAA', 'ioArtistAAAAAAAAAAAAAA', 0, 1000)")
pcur.execute("VACUUM tracks")
pcur.execute("SET enable_seqscan = off")
pcur.execute("SET enable_bitmapscan = off")
for what, q in (("count and length", "SELECT album_id, count(*), sum(duration_ms) FROM tracks"
                 " WHERE album_id IN ('ioAlbumAAAAAAAAAAAAAAA', 'x') AND available <> 0 GROUP BY album_id"),
                ("markets", "SELECT DISTINCT album_id, markets FROM tracks"
                 " WHERE album_id IN ('ioAlbumAAAAAAAAAAAAAAA', 'x') AND available <> 0")):
    plan = "\n".join(r[0] for r in pg("EXPLAIN " + q))
    t.ok("Index Only Scan using tracks_album" in plan, "albums' %s: an index-only scan of tracks_album" % what, plan)
pcur.execute("RESET enable_seqscan")
pcur.execute("RESET enable_bitmapscan")
pg("DELETE FROM tracks WHERE id = 'ioTrackAAAAAAAAAAAAAAA' RETURNING id")
pg("DELETE FROM albums WHERE id = 'ioAlbumAAAAAAAAAAAAAAA' RETURNING id")
pg("DELETE FROM artists WHERE id = 'ioArtistAAAAAAAAAAAAAA' RETURNING id")
f = cl.connect(cl.dbname(fresh))
fc = f.cursor()
fc.execute("SELECT version FROM segue_schema")
t.eq(fc.fetchall(), pg("SELECT version FROM segue_schema"), "and it has one version row, the newest")
f.close()

pdb.close()
ldb.close()
t.done()
