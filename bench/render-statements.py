#!/usr/bin/env python3
"""bench/render-statements.sh's measuring half: sets up a playlist, saved tracks and plays
for the bench user, then for each request prints the statements PostgreSQL logged and the
CPU time (server + PostgreSQL backends) per request.

    bench/render-statements.py --port P --token T --log PG_LOG --server-pid PID [--repeat N] [--show]"""

import argparse
import http.client
import json
import os
import time
import uuid

TICK = os.sysconf("SC_CLK_TCK")


def cpu_ticks(pids):
    out = {}
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            out[pid] = int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return out


def cpu_spent(before, after):
    """Seconds of CPU between two readings, of the processes alive at both."""
    return sum(after[p] - before[p] for p in before if p in after) / TICK


def postgres_pids():
    pids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/comm" % d) as f:
                    if f.read().strip() == "postgres":
                        pids.append(int(d))
            except OSError:
                pass
    return pids


class Client:
    def __init__(self, port, token):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}

    def call(self, method, path, body=None):
        self.conn.request(method, path, json.dumps(body) if body is not None else None, self.headers)
        r = self.conn.getresponse()
        data = r.read()
        if r.status >= 300:
            raise SystemExit("bench: %s %s answered %d: %s" % (method, path, r.status, data[:200]))
        return json.loads(data) if data else None


def statements(log, start):
    """Statements logged from byte start (executions of prepared ones and plain ones), each
    cut to its first 90 characters, with the milliseconds PostgreSQL took for it: its parse
    and bind (where a plan is made) and its execution."""
    with open(log, "rb") as f:
        f.seek(start)
        text = f.read().decode("utf-8", "replace")
    out, pending = [], {}
    for line in text.splitlines():
        if "duration:" not in line:
            continue
        ms = float(line.split("duration: ", 1)[1].split(" ", 1)[0])
        what = line.split(" ms  ", 1)[-1]
        phase, _, rest = what.partition(" ")
        name = rest.split(":", 1)[0]
        if phase in ("parse", "bind"):
            pending[name] = pending.get(name, 0.0) + ms
        elif phase == "execute" or phase == "statement:":
            out.append((line.split(": ", 3)[-1][:90], ms + pending.pop(name, 0.0)))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--server-pid", type=int, required=True)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--show", action="store_true", help="list the statements of each request: how many, how long each")
    args = ap.parse_args()
    c = Client(args.port, args.token)

    hits = c.call("GET", "/v1/search?q=love&type=track&limit=50")["tracks"]["items"]
    if len(hits) < 50:
        raise SystemExit("bench: the catalog gave %d hits for 'love'; need 50" % len(hits))
    ids = [t["id"] for t in hits]
    album = hits[0]["album"]["id"]
    pl = c.call("POST", "/v1/me/playlists", {"name": "render bench"})["id"]
    uris = ["segue:track:" + i for i in ids]
    c.call("POST", "/v1/playlists/%s/tracks" % pl, {"uris": uris + uris})
    c.call("PUT", "/v1/me/tracks", {"ids": ids})
    now = int(time.time() * 1000) - 3600 * 1000
    c.call("POST", "/v1/segue/events", {"events": [
        {"id": str(uuid.uuid4()), "track_id": t, "started_at": now + 60000 * k, "ms_played": 40000,
         "reason_end": "track_done"} for k, t in enumerate(ids)]})
    requests = [
        ("search track limit=20", "/v1/search?q=love&type=track&limit=20"),
        ("search track limit=50", "/v1/search?q=love&type=track&limit=50"),
        ("search track,artist,album limit=20", "/v1/search?q=love&type=track,artist,album&limit=20"),
        ("search track,artist,album market", "/v1/search?q=love&type=track,artist,album&limit=20&market=US"),
        ("album tracks limit=50", "/v1/albums/%s/tracks?limit=50" % album),
        ("album", "/v1/albums/%s" % album),
        ("playlist items limit=100", "/v1/playlists/%s/tracks?limit=100" % pl),
        ("saved tracks limit=50", "/v1/me/tracks?limit=50"),
        ("recently played limit=50", "/v1/me/player/recently-played?limit=50"),
    ]
    for label, path in requests:
        c.call("GET", path)
        time.sleep(0.2)
        start = os.path.getsize(args.log)
        pg = postgres_pids()
        srv0, pg0 = cpu_ticks([args.server_pid]), cpu_ticks(pg)
        t0 = time.monotonic()
        for _ in range(args.repeat):
            c.call("GET", path)
        wall = time.monotonic() - t0
        srv_cpu, pg_cpu = cpu_spent(srv0, cpu_ticks([args.server_pid])), cpu_spent(pg0, cpu_ticks(pg))
        time.sleep(0.5)  # the log is written by another process
        run = statements(args.log, start)
        print("  %-36s %6.1f statements  CPU %6.2f ms (server %5.2f, PostgreSQL %5.2f)  %6.2f ms wall  per request"
              % (label, len(run) / args.repeat, 1000 * (srv_cpu + pg_cpu) / args.repeat,
                 1000 * srv_cpu / args.repeat, 1000 * pg_cpu / args.repeat, 1000 * wall / args.repeat))
        if args.show:
            counts = {}
            for text, ms in run:
                k, total = counts.get(text, (0, 0.0))
                counts[text] = (k + 1, total + ms)
            for text, (k, ms) in sorted(counts.items(), key=lambda kv: -kv[1][1]):
                print("      %5.2f x %7.3f ms  %s" % (k / args.repeat, ms / k, text))


if __name__ == "__main__":
    main()
