#!/usr/bin/env python3
"""The PostgreSQL pg_trgm anchor of the search benchmark: loads a segue catalog's tracks into a
running PostgreSQL (bench/search.sh starts and stops it), indexes them with pg_trgm and times
the benchmark's queries over one persistent connection.

    bench/search-pg.py --host SOCKET_DIR --port P --catalog segue.db --queries Q.tsv
                       --raw OUT.tsv [--seconds S] [--plans PLANS.txt]

The table holds one row a track: title, artist and album names, genre, year, popularity, and
doc = the three names folded (NFKD without marks, lower case, punctuation to single spaces:
the fold done in the client, so no unaccent() runs per row). Indexes: GIN gin_trgm_ops on
doc, and b-trees on popularity, artist, album, genre and year. The formulation per class,
chosen as the most favourable reasonable use of pg_trgm:

  typeahead (prefix-*):  doc LIKE 'q%' OR doc LIKE '% q%'     (a word prefix anywhere in doc)
                         ORDER BY popularity DESC LIMIT 20
      the planner picks the trigram index (bitmap OR) or walks the popularity index and stops
      after 20 matches, whichever it estimates cheaper;
  full search:           q <% doc                             (word_similarity >= 0.6)
                         ORDER BY word_similarity(q, doc) DESC, popularity DESC LIMIT 20
      word similarity, not similarity(): doc has three names, so whole-string similarity
      falls under the 0.3 threshold for most real queries;
  filters:               artist:/album: as equality on the folded name, genre: equality,
                         year: BETWEEN, plus the remaining words as above (popularity order
                         when there are none).

Raw output, one line a timed query: track <TAB> CLASS <TAB> MS <TAB> ROWS <TAB> ERROR(0/1).
A statement over the timeout counts as an error at the timeout."""

import argparse
import re
import sqlite3
import sys
import time
import unicodedata

import psycopg2
import psycopg2.extensions

TIMEOUT_MS = 10000


def fold(s):
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[\W_]+", " ", s).split())


class CopySource:
    """A file-like object COPY reads from: tab-separated rows drawn from the sqlite catalog."""

    def __init__(self, path):
        db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
        self.rows = db.execute(
            "SELECT t.id, t.name, ar.name, al.name, t.genre, substr(al.release_date, 1, 4),"
            " t.popularity FROM tracks t JOIN albums al ON al.id = t.album_id"
            " JOIN artists ar ON ar.id = t.artist_id")
        self.buf = ""
        self.n = 0

    @staticmethod
    def clean(v):
        return str(v).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ").replace("\r", " ")

    def read(self, size=65536):
        while len(self.buf) < size:
            batch = self.rows.fetchmany(5000)
            if not batch:
                break
            out = []
            for tid, title, artist, album, genre, year, pop in batch:
                year = year if year and year.isdigit() else "\\N"
                out.append("\t".join((tid, self.clean(title), self.clean(artist), self.clean(album),
                                      fold(artist), fold(album), genre.lower(), year, str(pop),
                                      fold("%s %s %s" % (title, artist, album)))) + "\n")
            self.n += len(batch)
            self.buf += "".join(out)
        chunk, self.buf = self.buf[:size], self.buf[size:]
        return chunk

    readline = read


FILTER = re.compile(r"^(artist|album|genre|year):(\S+)$", re.I)


def build_sql(cls, query):
    """(sql, params) for one benchmark query."""
    if cls.startswith("prefix"):
        q = fold(query)
        return ("SELECT id FROM tracks WHERE doc LIKE %s OR doc LIKE %s"
                " ORDER BY popularity DESC LIMIT 20", (q + "%", "% " + q + "%"))
    where, params, rest = [], [], []
    for tok in query.split():
        m = FILTER.match(tok)
        if not m:
            rest.append(tok)
            continue
        key, val = m.group(1).lower(), m.group(2)
        if key in ("artist", "album"):
            where.append(key + "_l = %s")
            params.append(fold(val))
        elif key == "genre":
            where.append("genre = %s")
            params.append(val.lower())
        else:
            lo, _, hi = val.partition("-")
            where.append("year BETWEEN %s AND %s")
            params += [int(lo), int(hi or lo)]
    text = fold(" ".join(rest))
    if text:
        where.append("%s <%% doc")
        params.append(text)
        order, oparams = "word_similarity(%s, doc) DESC, popularity DESC", [text]
    else:
        order, oparams = "popularity DESC", []
    return ("SELECT id FROM tracks WHERE %s ORDER BY %s LIMIT 20" % (" AND ".join(where), order),
            tuple(params + oparams))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, default=5432)
    ap.add_argument("--catalog", required=True)
    ap.add_argument("--queries", required=True)
    ap.add_argument("--raw", required=True)
    ap.add_argument("--seconds", type=float, default=180)
    ap.add_argument("--plans")
    a = ap.parse_args()

    conn = psycopg2.connect(host=a.host, port=a.port, user="postgres", dbname="postgres")
    conn.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
    cur = conn.cursor()
    cur.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    cur.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
    cur.execute("DROP TABLE IF EXISTS tracks")
    cur.execute("CREATE UNLOGGED TABLE tracks (id text PRIMARY KEY, title text, artist text,"
                " album text, artist_l text, album_l text, genre text, year int, popularity int,"
                " doc text)")
    t0 = time.monotonic()
    src = CopySource(a.catalog)
    cur.copy_expert("COPY tracks FROM STDIN", src, size=65536)
    t1 = time.monotonic()
    cur.execute("CREATE INDEX tracks_doc_trgm ON tracks USING gin (doc gin_trgm_ops)")
    t2 = time.monotonic()
    for col in ("popularity DESC", "artist_l", "album_l", "genre, popularity DESC", "year"):
        cur.execute("CREATE INDEX ON tracks (%s)" % col)
    cur.execute("VACUUM ANALYZE tracks")
    t3 = time.monotonic()
    cur.execute("SELECT pg_size_pretty(pg_table_size('tracks')),"
                " pg_size_pretty(pg_relation_size('tracks_doc_trgm')),"
                " pg_size_pretty(pg_indexes_size('tracks'))")
    tsize, gsize, isize = cur.fetchone()
    cur.execute("SELECT sum(pg_prewarm(c.oid::regclass)) FROM pg_class c"
                " WHERE c.relname = 'tracks' OR c.oid IN"
                " (SELECT indexrelid FROM pg_index WHERE indrelid = 'tracks'::regclass)")
    print("postgres: %d tracks loaded in %.1f s; trigram index built in %.1f s, other indexes"
          " and ANALYZE %.1f s; table %s, trigram index %s, all indexes %s (prewarmed)"
          % (src.n, t1 - t0, t2 - t1, t3 - t2, tsize, gsize, isize), flush=True)

    queries = []
    for line in open(a.queries, encoding="utf-8"):
        parts = line.rstrip("\n").split("\t")
        if len(parts) >= 2:
            queries.append((parts[0], parts[1]))
    cur.execute("SET statement_timeout = %d" % TIMEOUT_MS)

    if a.plans:
        with open(a.plans, "w") as f:
            seen = set()
            for cls, q in queries:
                if cls in seen:
                    continue
                seen.add(cls)
                sql, params = build_sql(cls, q)
                cur.execute("EXPLAIN " + sql, params)
                f.write("-- %s: %s\n%s\n%s\n\n" % (cls, q, cur.mogrify(sql, params).decode(),
                                                  "\n".join(r[0] for r in cur.fetchall())))

    # Warm-up: a few queries untimed, so the first timed ones do not pay for catalog caches.
    for cls, q in queries[:10]:
        try:
            cur.execute(*build_sql(cls, q))
            cur.fetchall()
        except psycopg2.errors.QueryCanceled:
            pass

    start = time.monotonic()
    done = timeouts = 0
    with open(a.raw, "w") as out:
        for cls, q in queries:
            if time.monotonic() - start > a.seconds:
                break
            sql, params = build_sql(cls, q)
            err = 0
            t = time.perf_counter()
            try:
                cur.execute(sql, params)
                rows = len(cur.fetchall())
                ms = (time.perf_counter() - t) * 1e3
            except psycopg2.errors.QueryCanceled:
                rows, err, ms = 0, 1, float(TIMEOUT_MS)
                timeouts += 1
            out.write("track\t%s\t%.4f\t%d\t%d\n" % (cls, ms, rows, err))
            done += 1
    print("postgres: %d of %d queries in %.1f s (%d over the %d ms timeout)"
          % (done, len(queries), time.monotonic() - start, timeouts, TIMEOUT_MS), flush=True)
    conn.close()


if __name__ == "__main__":
    sys.exit(main())
