#!/usr/bin/env python3
"""A playlist's first four distinct covers (store_playlist_covers, what its mosaic is made
of on every change of its items): the one recursive statement of server/store/images.c
against the walk it replaced (the anchor: items with a cover read 64 at a time, a
statement each, until the fourth new cover or the end), and a GROUP BY over every item.

Each on PostgreSQL (a throwaway cluster, tests/pgcluster.py; every statement a round trip
on its unix socket) and on SQLite (Python's sqlite3 in memory), over a catalog of 20,000
tracks on 2,000 albums with a cover each and two playlists of ITEMS items: one over three
albums (fewer than four covers: the whole playlist is read) and one over many (four covers
in its first items). The statement's text is the one images.c compiles (its macros, through
the C preprocessor), not a copy. Prints the mean time of a call, the statements it ran, the
ratio to the anchor, and whether all three found the same covers.

usage: /usr/bin/python3 bench/playlist-covers.py [ITEMS] [REPEATS]   (from the top of the tree)"""

import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.join(HERE, "..")
sys.path.insert(0, os.path.join(TOP, "tests"))

import pgcluster  # noqa: E402

ITEMS = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
REPEATS = int(sys.argv[2]) if len(sys.argv) > 2 else 20
if not 1 <= ITEMS <= 1000000 or not 1 <= REPEATS <= 1000:
    sys.exit("playlist-covers: ITEMS from 1 to 1,000,000, REPEATS from 1 to 1,000")


def compiled_statement(find):
    """PLAYLIST_COVERS(find) as images.c's macros make it."""
    src = open(os.path.join(TOP, "server", "store", "images.c")).read()
    defs = re.findall(r"^#define (?:COVER_OF_T|NEXT_COVER|PLAYLIST_COVERS)\b.*?(?<!\\)\n", src, re.S | re.M)
    if len(defs) != 3:
        sys.exit("playlist-covers: images.c's PLAYLIST_COVERS macros were not found")
    out = subprocess.run(["cpp", "-P"], input="".join(defs) + 'PLAYLIST_COVERS("%s")\n' % find,
                         capture_output=True, text=True, check=True).stdout
    return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', out))


CHUNK = ("SELECT pi.pos, al.image FROM playlist_items pi JOIN tracks t ON t.id = pi.track_id"
         " JOIN albums al ON al.id = t.album_id WHERE pi.playlist_id = ? AND pi.pos >= ?"
         " AND al.image IS NOT NULL ORDER BY pi.pos LIMIT 64")
GROUP = ("SELECT al.image FROM playlist_items pi JOIN tracks t ON t.id = pi.track_id"
         " JOIN albums al ON al.id = t.album_id WHERE pi.playlist_id = ? AND al.image IS NOT NULL"
         " GROUP BY al.image ORDER BY min(pi.pos) LIMIT 4")


def setup(run):
    run("CREATE TABLE albums (id TEXT PRIMARY KEY, image TEXT)")
    run("CREATE TABLE tracks (id TEXT PRIMARY KEY, album_id TEXT NOT NULL)")
    run("CREATE TABLE playlist_items (playlist_id TEXT NOT NULL, pos BIGINT NOT NULL,"
        " track_id TEXT NOT NULL, PRIMARY KEY (playlist_id, pos))")


def measure(engine, execute, new_sql):
    def chunks(p):
        found, nxt, stmts = [], 0, 0
        while True:
            rows = execute(CHUNK, (p, nxt))
            stmts += 1
            for pos, h in rows:
                nxt = pos + 1
                if h not in found:
                    found.append(h)
                    if len(found) == 4:
                        return found, stmts
            if len(rows) < 64:
                return found, stmts

    def recursive(p):
        return [r[0] for r in execute(new_sql, (p, 4))], 1

    def group(p):
        return [r[0] for r in execute(GROUP, (p,))], 1

    for p, what in (("few", "3 albums"), ("many", "many albums")):
        anchor = ref = None
        for name, f in (("chunks of 64", chunks), ("one statement", recursive), ("GROUP BY", group)):
            f(p)
            t0 = time.perf_counter()
            for _ in range(REPEATS):
                got, stmts = f(p)
            ms = (time.perf_counter() - t0) / REPEATS * 1000
            anchor = anchor or ms
            ref = ref or got
            print("%-10s %6d items, %-11s  %-13s %8.2f ms  %3d statements  x%-6.2f same covers: %s"
                  % (engine, ITEMS, what, name, ms, stmts, ms / anchor, "yes" if got == ref else "NO"),
                  flush=True)


def fill(run):
    """The catalog and the two playlists, from a table s of the integers 0..max(ITEMS, 20000)."""
    n = str(ITEMS)
    run("INSERT INTO albums SELECT 'al' || i, 'c' || i FROM s WHERE i < 2000")
    run("INSERT INTO tracks SELECT 'tr' || i, 'al' || (i % 2000) FROM s WHERE i < 20000")
    run("INSERT INTO playlist_items SELECT 'few', i, 'tr' || (i % 3) FROM s WHERE i < " + n)
    run("INSERT INTO playlist_items SELECT 'many', i, 'tr' || (i * 7 % 20000) FROM s WHERE i < " + n)


def sqlite():
    db = sqlite3.connect(":memory:")
    setup(db.execute)
    db.execute("CREATE TEMP TABLE s AS WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s"
               " WHERE i < %d) SELECT i FROM s" % max(ITEMS, 20000))
    fill(db.execute)
    db.execute("ANALYZE")
    measure("SQLite", lambda sql, args: db.execute(sql, args).fetchall(), compiled_statement("instr"))


def postgres():
    why = pgcluster.unavailable()
    if why:
        print("PostgreSQL: skipped: " + why)
        return
    import psycopg2
    c = pgcluster.Cluster().start(None)
    scratch = tempfile.mkdtemp(prefix="segue-covers-")
    try:
        conn = psycopg2.connect(c.database(scratch))
        conn.autocommit = True
        cur = conn.cursor()

        def run(sql, args=None):
            cur.execute(sql, args)
            return cur.fetchall() if cur.description else None

        setup(run)
        run("CREATE TEMP TABLE s AS SELECT i FROM generate_series(0, %d) i" % max(ITEMS, 20000))
        fill(run)
        run("ANALYZE")
        new = compiled_statement("strpos")

        def pg(sql, args):
            """?N as psycopg2's %(aN)s, a bare ? as %s."""
            sql = sql.replace("%", "%%")
            if re.search(r"\?\d", sql):
                return run(re.sub(r"\?(\d+)", r"%(a\1)s", sql), {"a%d" % (i + 1): v for i, v in enumerate(args)})
            return run(sql.replace("?", "%s"), args)
        measure("PostgreSQL", pg, new)
    finally:
        c.stop()


sqlite()
postgres()
