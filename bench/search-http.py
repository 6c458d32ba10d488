#!/usr/bin/env python3
"""The search benchmark at the HTTP API: GET /v1/search for every query of a file over
persistent loopback connections, timing each request from send to the last byte of the body.

    bench/search-http.py --port P --token T --queries Q.tsv --raw OUT.tsv
                         [--types track] [--clients 1] [--seconds 120] [--label NAME]
    bench/search-http.py --port P --token T --wait SECONDS   (until search answers with hits)
    bench/search-http.py --port P --token T --freshness N --db DATA_DIR/segue.db

--freshness adds N tracks to the running server's catalog one at a time, each with a word no
other track has, and times each from its commit until search finds it; the tracks are removed
again afterwards.

With --clients N, N processes (one connection each) share the queries, interleaved, and the
line printed adds the throughput. Raw output, one line a timed request, appended:
LABEL <TAB> CLASS <TAB> MS <TAB> HITS <TAB> ERROR(0/1)."""

import argparse
import http.client
import json
import multiprocessing
import random
import signal
import sqlite3
import sys
import time
import urllib.parse


def count_hits(body):
    try:
        doc = json.loads(body)
    except ValueError:
        return 0
    return sum(len(v.get("items", [])) for v in doc.values() if isinstance(v, dict))


def run(args, part, nparts, queue):
    conn = http.client.HTTPConnection("127.0.0.1", args.port)
    headers = {"Authorization": "Bearer " + args.token}
    queries = []
    for line in open(args.queries, encoding="utf-8"):
        f = line.rstrip("\n").split("\t")
        if len(f) >= 2:
            queries.append((f[0], f[1]))
    queries = queries[part::nparts]
    out, errors = [], {}
    start = time.monotonic()
    for cls, q in queries:
        if time.monotonic() - start > args.seconds:
            break
        path = "/v1/search?" + urllib.parse.urlencode(
            {"q": q, "type": args.types, "limit": 20, "offset": 0, "market": "US"})
        t = time.perf_counter()
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        ms = (time.perf_counter() - t) * 1e3
        err = resp.status != 200
        if err:
            errors.setdefault(resp.status, (q, body[:200]))
        out.append((cls, ms, 0 if err else count_hits(body), int(err)))
        if resp.getheader("Connection", "").lower() == "close":
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", args.port)
    queue.put((out, errors, time.monotonic() - start))


def wait_ready(args):
    """Polls a search until it answers 200 with hits: the server builds its index after start."""
    start = time.monotonic()
    last = None
    while time.monotonic() - start < args.wait:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=10)
            conn.request("GET", "/v1/search?q=love&type=track&limit=1",
                         headers={"Authorization": "Bearer " + args.token})
            resp = conn.getresponse()
            body = resp.read()
            conn.close()
            if resp.status == 200 and count_hits(body) > 0:
                print("%.1f" % (time.monotonic() - start))
                return 0
            last = "%d %s" % (resp.status, body[:200].decode("utf-8", "replace"))
        except OSError as e:
            last = str(e)
        time.sleep(0.25)
    print("search-http: no search results after %d s (last: %s)" % (args.wait, last), file=sys.stderr)
    return 1


def freshness(args):
    db = sqlite3.connect(args.db, timeout=30)
    album, artist = db.execute("SELECT album_id, artist_id FROM tracks LIMIT 1").fetchone()
    conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=10)
    headers = {"Authorization": "Bearer " + args.token}
    lat, missed = [], 0
    try:
        for i in range(args.freshness):
            # Twelve random letters: no probe is within the typo distance of another.
            rng = random.Random(i)
            word = "".join(rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(12))
            db.execute("INSERT INTO tracks (id, name, album_id, artist_id, duration_ms, created_at)"
                       " VALUES (?, ?, ?, ?, 1000, 0)", ("Fp%020d" % i, "Probe " + word, album, artist))
            db.commit()
            t0 = time.perf_counter()
            while True:
                conn.request("GET", "/v1/search?q=%s&type=track&limit=1" % word, headers=headers)
                resp = conn.getresponse()
                body = resp.read()
                if resp.status == 200 and count_hits(body):
                    lat.append((time.perf_counter() - t0) * 1e3)
                    break
                if time.perf_counter() - t0 > 30:
                    missed += 1
                    break
                time.sleep(0.005)
    finally:
        db.execute("DELETE FROM tracks WHERE id LIKE 'Fp%'")
        db.commit()
    lat.sort()
    if lat:
        print("  freshness: a new track is found by search %.0f ms (p50), %.0f ms (max) after its commit,"
              " over %d inserts into the running server's catalog; %d not found within 30 s"
              % (lat[(len(lat) + 1) // 2 - 1], lat[-1], len(lat), missed))
    return 1 if missed else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--queries")
    ap.add_argument("--raw")
    ap.add_argument("--types", default="track")
    ap.add_argument("--clients", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=120)
    ap.add_argument("--label")
    ap.add_argument("--wait", type=float)
    ap.add_argument("--freshness", type=int)
    ap.add_argument("--db")
    args = ap.parse_args()
    if args.wait:
        return wait_ready(args)
    if args.freshness:
        return freshness(args)
    label = args.label or args.types
    queue = multiprocessing.Queue()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # ends the daemon workers too
    procs = [multiprocessing.Process(daemon=True, target=run, args=(args, i, args.clients, queue))
             for i in range(args.clients)]
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    wall = max([r[2] for r in results] + [1e-9])
    for p in procs:
        p.join()
    samples = [s for r in results for s in r[0]]
    errors = {}
    for r in results:
        errors.update(r[1])
    with open(args.raw, "a") as f:
        for cls, ms, hits, err in samples:
            f.write("%s\t%s\t%.4f\t%d\t%d\n" % (label, cls, ms, hits, err))
    lat = sorted(s[1] for s in samples)
    n = len(lat)
    if n:
        print("  HTTP %-24s %5d requests, %d client(s): p50 %.2f ms, p99 %.2f ms, %.0f req/s, %d errors"
              % (label, n, args.clients, lat[(n + 1) // 2 - 1], lat[max(0, -(-99 * n // 100) - 1)],
                 n / wall, sum(s[3] for s in samples)))
    for status, (q, body) in sorted(errors.items()):
        print("  HTTP %d for %r: %s" % (status, q, body.decode("utf-8", "replace")), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
