#!/usr/bin/env python3
"""API requests per second and p99 through nginx in front of one instance and of two, in the
same run (issue #25, "Tests and figures"): two segue-servers over one throwaway PostgreSQL
database (tests/multi.py), one nginx from contrib/nginx/segue-cluster.conf with both in its
upstream and another with the first alone; wrk drives each with the same authenticated
GET /v1/me and GET /v1/tracks/ID. The anchor is the one-instance figure; the ratio is two
over one. Wall-clock throughput: on a machine whose cores are shared, two instances gain
only what the cores they get allow, so the ratio says as much about the machine as about
Segue (the load average is printed with it).

    PYTHONPATH=tests python3 bench/cluster.py [seconds] [connections]"""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import multi  # noqa: E402

SECONDS = int(sys.argv[1]) if len(sys.argv) > 1 else 10
CONNS = int(sys.argv[2]) if len(sys.argv) > 2 else 16


def wrk(port, path, tok):
    p = subprocess.run(["wrk", "-t2", "-c%d" % CONNS, "-d%ds" % SECONDS, "--latency",
                        "-H", "Authorization: Bearer " + tok, "http://127.0.0.1:%d%s" % (port, path)],
                       capture_output=True, text=True, timeout=SECONDS + 60)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", p.stdout)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", p.stdout)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", p.stdout)
    if not rps or not p99:
        raise SystemExit("wrk: %s%s" % (p.stdout, p.stderr))
    scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}[p99.group(2)]
    return float(rps.group(1)), float(p99.group(1)) * scale, int(non2xx.group(1)) if non2xx else 0


def main():
    why = multi.unavailable(nginx=True)
    if why:
        raise SystemExit("cluster bench: " + why)
    if not subprocess.run(["sh", "-c", "command -v wrk"], capture_output=True).returncode == 0:
        raise SystemExit("cluster bench: wrk is not installed (sh scripts/deps --bench)")
    settings = {"rl_standard": 1000000, "rl_window": 60}
    with multi.Service(instances=2, nginx=True, settings=settings) as svc:
        one = multi.Nginx([svc.servers[0].port]).start()
        try:
            tok = svc.servers[0].login("premium-us")
            track = svc.sql("SELECT id FROM tracks ORDER BY id LIMIT 1")[0][0]
            print("cluster: wrk -t2 -c%d -d%ds through nginx, load average %s"
                  % (CONNS, SECONDS, open("/proc/loadavg").read().split()[0]))
            for path in ("/v1/me", "/v1/tracks/" + track):
                r1, p1, e1 = wrk(one.port, path, tok)
                r2, p2, e2 = wrk(svc.nginx.port, path, tok)
                print("  GET %-32s one instance (anchor): %8.0f req/s  p99 %7.2f ms%s"
                      % (path, r1, p1, "  (%d errors)" % e1 if e1 else ""))
                print("  GET %-32s two instances:         %8.0f req/s  p99 %7.2f ms%s"
                      % (path, r2, p2, "  (%d errors)" % e2 if e2 else ""))
                print("  ratio (two/one): req/s %.2f  p99 %.2f" % (r2 / r1, p2 / p1))
        finally:
            one.stop()


if __name__ == "__main__":
    main()
