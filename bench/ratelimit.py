#!/usr/bin/env python3
"""What sharing rate limits through PostgreSQL costs the service loop (issue #25).

Two instances over one throwaway PostgreSQL database (tests/multi.py): one counts rate
limits in the database (rl_shared = 1, the default on PostgreSQL: one conditional upsert per
share of a user's budget it takes, http/ratelimit.h), the anchor in its memory (rl_shared =
0). The limit is set so that every request of the run fits, which makes the share the
largest, 16 requests a statement; the default limits make shares of 1 (rl_search,
rl_playlist) to 5 (rl_standard) requests, whose cost per request lies between this figure
and one statement's (git log of this file: 66 us against 45 at one a request). Each gets the same authenticated
GET /v1/me, one after another on a kept-alive connection, in alternating rounds; the figure is
the service loop's CPU time per request (its thread's time on a CPU from /proc, load-independent as wall
time on a shared machine is not), with the wall time's median and p99 beside it, and the
ratio to the anchor.

    PYTHONPATH=tests python3 bench/ratelimit.py [requests per round] [rounds]"""

import http.client
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import multi  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid):
    """The service loop's CPU time: the main thread's, not the workers' (search, recs), in
    nanoseconds from schedstat where the kernel has it (the ticks of stat are 10 ms)."""
    try:
        with open("/proc/%d/task/%d/schedstat" % (pid, pid)) as f:
            return int(f.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        with open("/proc/%d/task/%d/stat" % (pid, pid)) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK


def round_of(srv, tok):
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    walls = []
    before = cpu_s(srv.proc.pid)
    for _ in range(N):
        t0 = time.perf_counter()
        conn.request("GET", "/v1/me", headers={"Authorization": "Bearer " + tok})
        r = conn.getresponse()
        r.read()
        walls.append(time.perf_counter() - t0)
        if r.status != 200:
            raise SystemExit("GET /v1/me: %d" % r.status)
    cpu = cpu_s(srv.proc.pid) - before
    conn.close()
    walls.sort()
    return cpu / N, walls[len(walls) // 2], walls[int(len(walls) * 0.99)]


def main():
    why = multi.unavailable()
    if why:
        raise SystemExit("ratelimit bench: " + why)
    svc = multi.Service(instances=0)
    base = {"rl_standard": 1000000, "rl_window": 60}
    shared = multi.Instance(svc.instance_dir(0), svc.url, dict(base, rl_shared=1), "shared")
    local = multi.Instance(svc.instance_dir(1), svc.url, dict(base, rl_shared=0), "memory")
    svc.servers = [shared.start(), local.start()]
    try:
        tok = shared.login("premium-us")
        for srv in svc.servers:  # warm both: statement caches, the token's row
            srv.get("/v1/me", token=tok)
        best = {}
        for _ in range(ROUNDS):
            for srv in svc.servers:
                got = round_of(srv, tok)
                best[srv.name] = min(best.get(srv.name, got), got)
        (sc, s50, s99), (mc, m50, m99) = best["shared"], best["memory"]
        print("ratelimit: %d authenticated GET /v1/me a round, best of %d rounds, shares of 16"
              % (N, ROUNDS))
        print("  counted in PostgreSQL: %7.1f us CPU/request  wall p50 %6.1f us  p99 %6.1f us"
              % (sc * 1e6, s50 * 1e6, s99 * 1e6))
        print("  anchor, in memory:     %7.1f us CPU/request  wall p50 %6.1f us  p99 %6.1f us"
              % (mc * 1e6, m50 * 1e6, m99 * 1e6))
        print("  ratio (shared/anchor): CPU %.2f  wall p50 %.2f" % (sc / mc if mc else float("inf"),
                                                                  s50 / m50 if m50 else float("inf")))
    finally:
        svc.stop()


if __name__ == "__main__":
    main()
