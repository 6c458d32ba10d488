#!/usr/bin/env python3
"""The Web API endpoints of issue #24 on a large catalog: each endpoint asked N times over one
persistent loopback connection, timing each request from send to the last byte, and the
server's CPU time (user + system, from /proc/PID/stat) over the N, which the machine's load
does not change the way it changes wall time. The anchor is GET /v1/tracks?ids= with 50 ids,
an endpoint that was there before, on the same server; the ratio is CPU per request over the
anchor's.

    bench/webapi.py --port P --token T --pid PID --db DATA_DIR/segue.db [--n 200]"""

import argparse
import http.client
import json
import os
import random
import sqlite3
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid):
    """The service loop's CPU time: the main thread's alone, not the workers' (the search
    index and the recommender's model are built on threads of their own)."""
    with open("/proc/%d/task/%d/stat" % (pid, pid)) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--plays", type=int, default=5000)
    args = ap.parse_args()
    rnd = random.Random(24)
    db = sqlite3.connect("file:%s?mode=ro" % args.db, uri=True)
    tracks = [r[0] for r in db.execute("SELECT id FROM tracks ORDER BY random() LIMIT 3000")]
    artists = [r[0] for r in db.execute("SELECT id FROM artists ORDER BY random() LIMIT 500")]
    albums = db.execute("SELECT count(*) FROM albums").fetchone()[0]
    db.close()
    conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=120)
    headers = {"Authorization": "Bearer " + args.token, "Content-Type": "application/json"}

    def req(method, path, body=None):
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()

    # A year of listening for the bench account: plays spread over 2000 tracks, Zipf-like.
    now = int(time.time() * 1000)
    pool = tracks[:2000]
    events = []
    for i in range(args.plays):
        k = min(int(rnd.paretovariate(1.2)) - 1, len(pool) - 1)
        events.append({"id": "bench-%d" % i, "track_id": pool[k], "started_at": now - rnd.randrange(365 * 86400 * 1000),
                       "ms_played": 60000, "reason_end": "track_done"})
    for i in range(0, len(events), 500):
        st, body = req("POST", "/v1/segue/events", {"events": events[i:i + 500]})
        if st != 200:
            sys.exit("bench: events: %d %s" % (st, body[:200]))

    ids50 = lambda pool_: ",".join(rnd.choices(pool_, k=50))
    cases = [
        ("anchor: GET /v1/tracks?ids= (50)", lambda: "/v1/tracks?ids=" + ids50(tracks)),
        ("GET /v1/artists?ids= (50)", lambda: "/v1/artists?ids=" + ids50(artists)),
        ("GET /v1/browse/new-releases (first page of 50)", lambda: "/v1/browse/new-releases?limit=50"),
        ("GET /v1/browse/new-releases (offset 10000)", lambda: "/v1/browse/new-releases?limit=50&offset=10000"),
        ("GET /v1/markets", lambda: "/v1/markets"),
        ("GET /v1/me/top/tracks long_term (50)", lambda: "/v1/me/top/tracks?time_range=long_term&limit=50"),
        ("GET /v1/me/top/artists medium_term (50)", lambda: "/v1/me/top/artists?limit=50"),
        ("GET /v1/users/{id}", lambda: "/v1/users/bencher"),
        ("GET /v1/me/library/contains (40 URIs)",
         lambda: "/v1/me/library/contains?uris=" + ",".join("spotify:track:" + t for t in rnd.choices(tracks, k=40))),
    ]
    # Related artists need the recommender's first model: up to two minutes at this size.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and req("GET", "/v1/artists/%s/related-artists" % artists[0])[0] == 503:
        time.sleep(1)
    if req("GET", "/v1/artists/%s/related-artists" % artists[0])[0] == 200:
        cases.append(("GET /v1/artists/{id}/related-artists", lambda: "/v1/artists/%s/related-artists" % rnd.choice(artists)))
    else:
        print("  related-artists: no model within 120 s; not measured")

    print("catalog: %d albums; %d plays for the bench account; %d requests each" % (albums, args.plays, args.n))
    print("  %-48s %9s %9s %12s %7s" % ("endpoint", "p50 ms", "p99 ms", "CPU ms/req", "ratio"))
    anchor = None
    for name, path in cases:
        for _ in range(5):
            req("GET", path())
        walls = []
        c0 = cpu_s(args.pid)
        for _ in range(args.n):
            p = path()
            t = time.perf_counter()
            st, body = req("GET", p)
            walls.append((time.perf_counter() - t) * 1e3)
            if st != 200:
                sys.exit("bench: %s: %d %s" % (p, st, body[:200]))
        cpu = (cpu_s(args.pid) - c0) * 1e3 / args.n
        anchor = anchor or cpu
        walls.sort()
        print("  %-48s %9.2f %9.2f %12.3f %7.2f" % (name, walls[len(walls) // 2], walls[int(len(walls) * 0.99) - 1],
                                                   cpu, cpu / anchor if anchor else 0))


if __name__ == "__main__":
    main()
