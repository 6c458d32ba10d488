#!/usr/bin/env python3
"""Write throughput at the HTTP API of a running segue-server (bench/writes.sh starts it).

    bench/writes.py --port P --token T --catalog segue.db [--seconds 10] [--clients 2] [--rounds 200]

Prints:
  play events: POST /v1/segue/events, batches of 100 new events, over 1 and then CLIENTS
    connections, for SECONDS each; events/s accepted, batch latency p50/p99;
  playlist changes, one connection, each on a fresh playlist of 1,000 items:
    add     POST /v1/playlists/{id}/tracks {"uris": [one track]} (appends; after every 1,000
            adds a fresh playlist of 1,000 items takes over, untimed, so it stays under 2,000)
    reorder PUT  /v1/playlists/{id}/tracks {"range_start": 0, "insert_before": 5}
  in changes/s and p50/p99 per change;
  library saves, one connection: PUT /v1/me/tracks?ids= of 50 tracks not saved, then DELETE
    of the same 50, ROUNDS (200) times each, in requests/s (of the time spent waiting for
    them) and p50/p99 per request.
Every loop stops at its time or count bound.

    bench/writes.py ... --statements PSQL_COMMAND

instead counts the statements PostgreSQL runs for each operation (its pg_stat_statements,
read with PSQL_COMMAND, e.g. "psql -h DIR -U segue -d writes"): 10 batches of 100 play events,
100 adds and 100 reorders, 10 saves and 10 removals of 50 tracks, untimed, each kind from a reset of the counters, and prints the
statements per event and per change with the most called ones and their mean time in the
server. The server's own background work in that window (Connect heartbeats, the search log)
is counted too."""

import argparse
import http.client
import json
import multiprocessing
import signal
import random
import sqlite3
import subprocess
import sys
import time
import uuid


def pcts(lat):
    lat = sorted(lat)
    n = len(lat)
    if not n:
        return float("nan"), float("nan")
    return lat[(n + 1) // 2 - 1], lat[max(0, -(-99 * n // 100) - 1)]


class Client:
    def __init__(self, port, token):
        self.port, self.token = port, token
        self.conn = http.client.HTTPConnection("127.0.0.1", port)

    def call(self, method, path, body=None):
        headers = {"Authorization": "Bearer " + self.token}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        self.conn.request(method, path, body=data, headers=headers)
        resp = self.conn.getresponse()
        raw = resp.read()
        if resp.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port)
        return resp.status, raw


def events_worker(args, track_ids, seed, queue):
    # seed also keeps the event ids of every run and client apart
    rnd = random.Random(seed)
    c = Client(args.port, args.token)
    accepted, batches, errors, lat = 0, 0, 0, []
    start = time.monotonic()
    while time.monotonic() - start < args.seconds and batches < 100000:
        now = int(time.time() * 1000)
        batch = [{"id": str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
                  "track_id": rnd.choice(track_ids), "started_at": now - 60000 - i,
                  "ms_played": 40000, "reason_end": "track_done"} for i in range(100)]
        t = time.perf_counter()
        status, raw = c.call("POST", "/v1/segue/events", {"events": batch})
        lat.append((time.perf_counter() - t) * 1e3)
        batches += 1
        if status == 200:
            accepted += json.loads(raw).get("accepted", 0)
        else:
            errors += 1
            if errors == 1:
                print("  events: HTTP %d %s" % (status, raw[:200].decode("utf-8", "replace")), file=sys.stderr)
    queue.put((accepted, batches, errors, lat, time.monotonic() - start))


def events(args, track_ids, clients):
    queue = multiprocessing.Queue()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # ends the daemon workers too
    procs = [multiprocessing.Process(daemon=True, target=events_worker, args=(args, track_ids, 1000 * clients + i, queue))
             for i in range(clients)]
    for p in procs:
        p.start()
    res = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    accepted = sum(r[0] for r in res)
    batches = sum(r[1] for r in res)
    errors = sum(r[2] for r in res)
    wall = max(r[4] for r in res)
    p50, p99 = pcts([x for r in res for x in r[3]])
    print("play events:      %8.0f events/s accepted (%d events in %d batches of 100, %.1f s, %d connection%s;"
          " batch p50 %.2f ms, p99 %.2f ms; %d failed batches)"
          % (accepted / wall, accepted, batches, wall, clients, "s" if clients > 1 else "", p50, p99, errors))
    return accepted


def new_playlist(c, user, track_ids, size):
    status, raw = c.call("POST", "/v1/users/%s/playlists" % user, {"name": "bench"})
    if status not in (200, 201):
        sys.exit("writes: creating a playlist: HTTP %d %s" % (status, raw[:200]))
    pid = json.loads(raw)["id"]
    for i in range(0, size, 100):
        uris = ["segue:track:" + t for t in track_ids[i:i + 100]]
        status, raw = c.call("POST", "/v1/playlists/%s/tracks" % pid, {"uris": uris[:size - i]})
        if status not in (200, 201):
            sys.exit("writes: filling the playlist: HTTP %d %s" % (status, raw[:200]))
    return pid


def playlist_changes(args, user, track_ids):
    c = Client(args.port, args.token)
    rnd = random.Random(7)
    for kind in ("add", "reorder"):
        pid = new_playlist(c, user, track_ids, 1000)
        lat, errors, n, paused = [], 0, 0, 0.0
        start = time.monotonic()
        while time.monotonic() - start - paused < args.seconds and n < 100000:
            if kind == "add" and n and n % 1000 == 0:
                # Back to a fresh playlist of 1,000 items (untimed), so that adds stay on a
                # playlist of 1,000 to 2,000 items.
                t = time.monotonic()
                pid = new_playlist(c, user, track_ids, 1000)
                paused += time.monotonic() - t
            t = time.perf_counter()
            if kind == "add":
                status, raw = c.call("POST", "/v1/playlists/%s/tracks" % pid,
                                     {"uris": ["segue:track:" + rnd.choice(track_ids)]})
            else:
                status, raw = c.call("PUT", "/v1/playlists/%s/tracks" % pid,
                                     {"range_start": 0, "insert_before": 5})
            lat.append((time.perf_counter() - t) * 1e3)
            n += 1
            if status not in (200, 201):
                errors += 1
                if errors == 1:
                    print("  playlist %s: HTTP %d %s" % (kind, status, raw[:200].decode("utf-8", "replace")),
                          file=sys.stderr)
        wall = time.monotonic() - start - paused
        status, raw = c.call("GET", "/v1/playlists/%s/tracks?limit=1" % pid)
        length = json.loads(raw).get("total", "?") if status == 200 else "?"
        p50, p99 = pcts(lat)
        print("playlist %-7s   %8.0f changes/s (%d in %.1f s, 1 connection, playlist of 1000 items, last one at %s;"
              " p50 %.2f ms, p99 %.2f ms; %d failed)"
              % (kind + ":", (n - errors) / wall, n - errors, wall, length, p50, p99, errors))


LIBRARY_IDS = 50  # the most ids /v1/me/tracks takes at once


def library_saves(args, track_ids):
    """PUT /v1/me/tracks?ids= of 50 tracks not saved, then DELETE of the same 50, ROUNDS times
    each (bounded by SECONDS too)."""
    c = Client(args.port, args.token)
    rnd = random.Random(13)
    lat = {"save": [], "remove": []}
    errors = 0
    start = time.monotonic()
    while len(lat["save"]) < args.rounds and time.monotonic() - start < args.seconds * 4:
        ids = ",".join(rnd.sample(track_ids, LIBRARY_IDS))
        for kind, method in (("save", "PUT"), ("remove", "DELETE")):
            t = time.perf_counter()
            status, raw = c.call(method, "/v1/me/tracks?ids=" + ids)
            lat[kind].append((time.perf_counter() - t) * 1e3)
            if status != 200:
                errors += 1
                if errors == 1:
                    print("  library %s: HTTP %d %s" % (kind, status, raw[:200].decode("utf-8", "replace")),
                          file=sys.stderr)
    for kind in ("save", "remove"):
        p50, p99 = pcts(lat[kind])
        n = len(lat[kind])
        print("library %-7s    %8.0f requests/s (%d of %d ids each, 1 connection; p50 %.2f ms, p99 %.2f ms;"
              " %d failed in all)" % (kind + ":", n / (sum(lat[kind]) / 1e3) if n else 0, n, LIBRARY_IDS,
                                      p50, p99, errors))


def count_statements(args, user, track_ids):
    psql = args.statements.split()

    def query(sql):
        p = subprocess.run(psql + ["-XAtF", "\t", "-c", sql], capture_output=True, text=True, timeout=60)
        if p.returncode:
            sys.exit("writes: %s: %s" % (" ".join(psql), p.stderr.strip()))
        return p.stdout.strip()

    mine = "query NOT LIKE '%pg_stat_statements%'"
    c = Client(args.port, args.token)
    rnd = random.Random(11)
    pid = new_playlist(c, user, track_ids, 1000)

    def events_op(i):
        now = int(time.time() * 1000)
        batch = [{"id": str(uuid.UUID(int=rnd.getrandbits(128), version=4)), "track_id": rnd.choice(track_ids),
                  "started_at": now - 60000 - k, "ms_played": 40000, "reason_end": "track_done"} for k in range(100)]
        return c.call("POST", "/v1/segue/events", {"events": batch})[0]

    def add_op(i):
        return c.call("POST", "/v1/playlists/%s/tracks" % pid, {"uris": ["segue:track:" + rnd.choice(track_ids)]})[0]

    def reorder_op(i):
        return c.call("PUT", "/v1/playlists/%s/tracks" % pid, {"range_start": 0, "insert_before": 5})[0]

    saved = []  # each save's ids, which the removal with the same number takes away

    def save_op(i):
        saved.append(rnd.sample(track_ids, LIBRARY_IDS))
        return c.call("PUT", "/v1/me/tracks?ids=" + ",".join(saved[i]))[0]

    def remove_op(i):
        return c.call("DELETE", "/v1/me/tracks?ids=" + ",".join(saved[i]))[0]

    for name, unit, ops, per, op in (("play events", "event", 10, 100, events_op),
                                     ("playlist add", "change", 100, 1, add_op),
                                     ("playlist reorder", "change", 100, 1, reorder_op),
                                     ("library save", "request", 10, 1, save_op),
                                     ("library remove", "request", 10, 1, remove_op)):
        query("SELECT pg_stat_statements_reset()")
        bad = sum(op(i) not in (200, 201) for i in range(ops))
        if bad:
            sys.exit("writes: %d of %d %s operations failed" % (bad, ops, name))
        total = int(query("SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE " + mine))
        top = query("SELECT calls, round(CAST(mean_exec_time AS numeric), 3),"
                    " left(regexp_replace(query, '\\s+', ' ', 'g'), 60) FROM pg_stat_statements"
                    " WHERE " + mine + " ORDER BY calls DESC, query LIMIT 8")
        print("statements, %-16s %7.2f per %s (%d for %d), PostgreSQL; most called (calls, mean ms):"
              % (name + ":", total / (ops * per), unit, total, ops * per))
        for line in top.splitlines():
            calls, mean, text = line.split("\t", 2)
            print("  %6s %8s  %s" % (calls, mean, text))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--catalog", required=True)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--clients", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=200)
    ap.add_argument("--statements", metavar="PSQL_COMMAND")
    args = ap.parse_args()
    db = sqlite3.connect("file:%s?mode=ro" % args.catalog, uri=True)
    track_ids = [r[0] for r in db.execute("SELECT id FROM tracks ORDER BY rowid LIMIT 20000")]
    db.close()
    if len(track_ids) < 1000:
        sys.exit("writes: the catalog needs at least 1,000 tracks")
    c = Client(args.port, args.token)
    status, raw = c.call("GET", "/v1/me")
    if status != 200:
        sys.exit("writes: GET /v1/me: HTTP %d" % status)
    user = json.loads(raw)["id"]
    if args.statements:
        count_statements(args, user, track_ids)
        return
    for clients in sorted({1, args.clients}):
        events(args, track_ids, clients)
    playlist_changes(args, user, track_ids)
    library_saves(args, track_ids)


if __name__ == "__main__":
    main()
