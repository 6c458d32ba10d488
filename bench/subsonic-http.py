#!/usr/bin/env python3
"""The Subsonic API's search3 and getAlbumList2 next to the Web API doing the same work, over
one persistent loopback connection each, timing every request from send to the body's last
byte.

    bench/subsonic-http.py --port P --token T --key K --queries Q.tsv --db DATA_DIR/segue.db
                           [--seconds 60] [--seed 1]

Pairs (the same inputs, one after the other):
  search3           query=Q, 20 artists, 20 albums, 20 songs
  /v1/search        q=Q, type=artist,album,track, limit 20, market US
  getAlbumList2     type in every type, size 20, offsets drawn in [0, 5000)
  /v1/albums?ids=   the same 20 albums by id (the Web API has no album list of its own to
                    compare: this is the objects' cost without the listing query)
Prints one line per endpoint (and getAlbumList2's p50 and p99 by type): requests, p50, p99, max (ms), errors, the service loop's CPU
time per request (its thread's schedstat, which other load on the machine does not inflate as
it does wall time), and the ratios of p99 and CPU to the Web API anchor."""

import argparse
import http.client
import json
import random
import sqlite3
import time
import urllib.parse

TYPES = ("newest", "alphabeticalByName", "alphabeticalByArtist", "byYear", "byGenre", "random",
         "frequent", "recent", "starred")


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))] if xs else float("nan")


PID = None


def loop_cpu_ns():
    """CPU time of the server's service loop (its main thread), in ns."""
    with open("/proc/%d/schedstat" % PID) as f:
        return int(f.read().split()[0])


class Timer:
    def __init__(self, port, headers=None):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = headers or {}
        self.ms = []
        self.cpu_ns = 0
        self.errors = 0

    def get(self, path):
        c = loop_cpu_ns()
        t = time.perf_counter()
        self.conn.request("GET", path, headers=self.headers)
        r = self.conn.getresponse()
        body = r.read()
        self.ms.append((time.perf_counter() - t) * 1e3)
        self.cpu_ns += loop_cpu_ns() - c
        ok = r.status == 200
        if ok and path.startswith("/rest/"):
            ok = json.loads(body)["subsonic-response"]["status"] == "ok"
        self.errors += not ok
        return body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--queries", required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pid", type=int, required=True, help="the server's process id")
    a = ap.parse_args()
    global PID
    PID = a.pid
    rnd = random.Random(a.seed)
    auth = {"apiKey": a.key, "v": "1.16.1", "c": "bench", "f": "json"}
    sub = Timer(a.port)
    web = Timer(a.port, {"Authorization": "Bearer " + a.token})
    lists, albums = Timer(a.port), Timer(a.port, {"Authorization": "Bearer " + a.token})
    db = sqlite3.connect("file:%s?mode=ro" % a.db, uri=True)
    genres = [g for (g,) in db.execute("SELECT DISTINCT genre FROM tracks WHERE genre <> '' LIMIT 50")]
    db.close()

    queries = [l.rstrip("\n").split("\t")[1] for l in open(a.queries, encoding="utf-8")
               if "\t" in l and not l.startswith("filter")]
    start = time.monotonic()
    for q in queries:
        if time.monotonic() - start > a.seconds:
            break
        sub.get("/rest/search3?" + urllib.parse.urlencode(dict(auth, query=q, artistCount=20,
                                                                 albumCount=20, songCount=20)))
        web.get("/v1/search?" + urllib.parse.urlencode({"q": q, "type": "artist,album,track",
                                                        "limit": 20, "market": "US"}))
    by_type = {t: [] for t in TYPES}
    start = time.monotonic()
    i = 0
    while time.monotonic() - start < a.seconds:
        typ = TYPES[i % len(TYPES)]
        i += 1
        p = dict(auth, type=typ, size=20, offset=rnd.randrange(0, 5000) if typ != "random" else 0)
        if typ == "byYear":
            y = rnd.randrange(1960, 2024)
            p.update(fromYear=y, toYear=y + 5)
        elif typ == "byGenre":
            p["genre"] = rnd.choice(genres)
            p["offset"] = rnd.randrange(0, 200)
        body = lists.get("/rest/getAlbumList2?" + urllib.parse.urlencode(p))
        by_type[typ].append(lists.ms[-1])
        ids = [x["id"] for x in json.loads(body)["subsonic-response"].get("albumList2", {}).get("album", [])]
        if ids:
            albums.get("/v1/albums?" + urllib.parse.urlencode({"ids": ",".join(ids), "market": "US"}))

    print("%-34s %8s %8s %8s %8s %6s %9s %s" % ("endpoint", "requests", "p50 ms", "p99 ms", "max ms", "errors",
                                                "cpu us/req", "ratios (p99, cpu)"))
    for name, t, anchor in (("search3 (20+20+20)", sub, web), ("/v1/search (anchor)", web, None),
                            ("getAlbumList2 (size 20, all types)", lists, albums),
                            ("/v1/albums?ids= (anchor)", albums, None)):
        cpu = t.cpu_ns / 1e3 / len(t.ms) if t.ms else float("nan")
        ratio = ""
        if anchor and anchor.ms and t.ms:
            ratio = "%.2f x, %.2f x" % (pct(t.ms, 99) / pct(anchor.ms, 99),
                                        cpu / (anchor.cpu_ns / 1e3 / len(anchor.ms)))
        print("%-34s %8d %8.2f %8.2f %8.2f %6d %10.0f %s" % (name, len(t.ms), pct(t.ms, 50), pct(t.ms, 99),
                                                           max(t.ms) if t.ms else float("nan"), t.errors,
                                                           cpu, ratio))
    print("getAlbumList2 by type, p50 / p99 ms: " + ", ".join(
        "%s %.1f / %.1f" % (t, pct(v, 50), pct(v, 99)) for t, v in by_type.items() if v))


if __name__ == "__main__":
    main()
