#!/usr/bin/env python3
"""Serving latency of the recommendation surfaces at the HTTP API, per user: seeded
/v1/recommendations, a radio batch with session feedback, and made-for-you (its first call of
the day generates Discover Weekly, the Daily Mixes and Release Radar; later calls read them).
Each request is timed from send to the last byte of the body on a persistent loopback
connection; prints p50/p99 per surface and the goal.

    bench/recs-http.py --port P --tokens FILE [--rounds 5]
FILE: one line per user, TOKEN <TAB> a track id that user played."""

import argparse
import http.client
import json
import time


def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))] if v else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--tokens", required=True)
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    users = [l.rstrip("\n").split("\t") for l in open(a.tokens) if "\t" in l]
    conn = http.client.HTTPConnection("127.0.0.1", a.port)
    times = {"recommendations": [], "radio": [], "made-for-you first": [], "made-for-you": []}
    errors = 0

    def timed(kind, method, path, token, body=None):
        nonlocal errors
        t0 = time.perf_counter()
        conn.request(method, path, body=json.dumps(body) if body is not None else None,
                     headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
        r = conn.getresponse()
        data = r.read()
        times[kind].append((time.perf_counter() - t0) * 1000)
        if r.status != 200:
            errors += 1
        return json.loads(data) if r.status == 200 else {}

    for token, track in users:
        timed("made-for-you first", "GET", "/v1/segue/made-for-you", token)
    for _ in range(a.rounds):
        for token, track in users:
            timed("recommendations", "GET", "/v1/recommendations?seed_tracks=%s&limit=30" % track, token)
            got = timed("radio", "POST", "/v1/segue/radio", token, {"seed": "segue:track:" + track})
            ids = [t["id"] for t in got.get("tracks", [])]
            timed("radio", "POST", "/v1/segue/radio", token,
                  {"seed": "segue:track:" + track, "played": ids[:5], "skipped": ids[5:8], "queued": ids})
            timed("made-for-you", "GET", "/v1/segue/made-for-you", token)
    for kind, v in times.items():
        print("  %-20s n=%-4d p50 %7.2f ms  p99 %7.2f ms%s" % (kind, len(v), pct(v, 0.5), pct(v, 0.99),
              "   (goal p99 < 10 ms)" if kind in ("recommendations", "radio") else ""))
    print("  errors: %d" % errors)


if __name__ == "__main__":
    main()
