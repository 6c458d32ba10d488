"""The parts of bench/abuse.sh, each its own process so that one's load does not skew
another's clock:

  probe HOST PORT SECS              /healthz on one kept-alive connection every 10 ms;
                                    prints "p50_ms p99_ms max_ms count errors"
  load HOST PORT PATHS SECS READY   SLOW slowloris connections (a header line every 5 s,
                                    reopened when the server cuts them) and READERS slow
                                    audio readers (16 KB/s each, reopened at the end of a
                                    file); touches READY once all are open; prints
                                    "loris_open loris_cut readers_open reader_bytes_per_s reader_cut"
  flood HOST PORT SECS              wrong passwords to POST /api/token from FLOOD threads as
                                    fast as answers come; prints "attempts_per_s status:count..."
SLOW, READERS and FLOOD come from the environment (defaults 1000, 100 and 4)."""

import collections
import os
import resource
import selectors
import signal
import socket
import sys
import threading
import time


def probe(host, port, secs):
    lat, errors, s, end = [], 0, None, time.time() + secs
    req = b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n"
    while time.time() < end:
        try:
            if s is None:
                s = socket.create_connection((host, port), timeout=5)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            t0 = time.perf_counter()
            s.sendall(req)
            buf = b""
            while b"\r\n\r\n" not in buf:
                c = s.recv(4096)
                if not c:
                    raise ConnectionError("closed")
                buf += c
            head, _, body = buf.partition(b"\r\n\r\n")
            length = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0].split(b":")[1])
            while len(body) < length:
                c = s.recv(4096)
                if not c:
                    raise ConnectionError("closed")
                body += c
            if not head.startswith(b"HTTP/1.1 200"):
                raise ConnectionError(head[:20])
            lat.append((time.perf_counter() - t0) * 1000)
        except (OSError, ConnectionError, IndexError, ValueError):
            errors += 1
            if s is not None:
                s.close()
            s = None
        time.sleep(0.01)
    lat.sort()
    if not lat:
        print("nan nan nan 0 %d" % errors)
        return
    print("%.3f %.3f %.3f %d %d" % (lat[len(lat) // 2], lat[min(len(lat) - 1, int(len(lat) * 0.99))],
                                    lat[-1], len(lat), errors))


def load(host, port, paths_file, secs, ready):
    n_slow = int(os.environ.get("SLOW", "1000"))
    n_read = int(os.environ.get("READERS", "100"))
    paths = [l.split()[0] for l in open(paths_file) if l.strip()]
    sel = selectors.DefaultSelector()
    conns = {}  # socket -> {"kind", "out" (bytes still to send), "due" (loris), "got" (reader, this tick)}
    stats = collections.Counter()
    live = collections.Counter()  # open connections by kind
    rate, tick = 16 * 1024, 0.25  # each reader takes 16 KB/s, in quarter-second helpings
    budget = rate * tick

    def open_one(kind, i):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if kind == "reader":
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        s.setblocking(False)
        try:
            s.connect((host, port))
        except BlockingIOError:
            pass
        if kind == "loris":
            out = b"GET /healthz HTTP/1.1\r\n"
        else:
            out = ("GET %s HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n" % paths[i % len(paths)]).encode()
        conns[s] = {"kind": kind, "out": out, "due": time.time() + 5, "got": 0, "reading": True}
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
        live[kind] += 1

    def drop(s, cut):
        c = conns.pop(s)
        live[c["kind"]] -= 1
        if c["reading"]:
            sel.unregister(s)
        s.close()
        if cut:
            stats[c["kind"] + "_cut"] += 1

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))  # end early, and still report
    opened, announced = 0, False
    t_start = time.time()
    t_end = t_start + secs
    next_tick = t_start + tick
    while time.time() < t_end and not stop:
        for _ in range(min(50, n_slow - live["loris"])):
            open_one("loris", opened)
            opened += 1
        for _ in range(min(10, n_read - live["reader"])):
            open_one("reader", opened)
            opened += 1
        if not announced and live["loris"] >= n_slow and live["reader"] >= n_read:
            open(ready, "w").close()
            announced = True
            stats.clear()
            t_start = time.time()
        for key, ev in sel.select(timeout=0.05):
            s = key.fileobj
            c = conns.get(s)
            if c is None:
                continue
            if ev & selectors.EVENT_WRITE and c["out"]:
                try:
                    c["out"] = c["out"][s.send(c["out"]):]
                except OSError:
                    drop(s, True)
                    continue
                if not c["out"]:
                    sel.modify(s, selectors.EVENT_READ)
            if ev & selectors.EVENT_READ:
                try:
                    data = s.recv(4096)
                except BlockingIOError:
                    continue
                except OSError:
                    drop(s, True)
                    continue
                if not data:
                    # a reader at the end of its file is done, not cut; a loris is cut
                    drop(s, c["kind"] == "loris")
                    continue
                if c["kind"] == "reader":
                    c["got"] += len(data)
                    stats["reader_bytes"] += len(data)
                    if c["got"] >= budget:
                        sel.unregister(s)  # this helping is eaten: let the socket fill
                        c["reading"] = False
        now = time.time()
        if now >= next_tick:
            next_tick = now + tick
            for s, c in list(conns.items()):
                if c["kind"] == "reader":
                    c["got"] = 0
                    if not c["reading"]:
                        sel.register(s, selectors.EVENT_READ)
                        c["reading"] = True
                elif now >= c["due"] and not c["out"]:
                    c["due"] = now + 5
                    try:
                        s.send(b"X-Slow: %d\r\n" % int(now))
                    except OSError:
                        drop(s, True)
    span = max(0.001, time.time() - t_start)
    print("%d %d %d %.0f %d" % (live["loris"], stats["loris_cut"], live["reader"],
                                stats["reader_bytes"] / span, stats["reader_cut"]))


def flood(host, port, secs):
    counts = collections.Counter()
    lock = threading.Lock()
    end = time.time() + secs
    body = b"grant_type=password&username=bencher&password=wrong-password"
    req = (b"POST /api/token HTTP/1.1\r\nHost: bench\r\nContent-Type: application/x-www-form-urlencoded\r\n"
           b"Content-Length: %d\r\n\r\n" % len(body)) + body

    def worker():
        s = None
        while time.time() < end:
            try:
                if s is None:
                    s = socket.create_connection((host, port), timeout=10)
                s.sendall(req)
                buf = b""
                while b"\r\n\r\n" not in buf:
                    c = s.recv(4096)
                    if not c:
                        raise ConnectionError()
                    buf += c
                head, _, rest = buf.partition(b"\r\n\r\n")
                status = head.split(b" ")[1].decode()
                length = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0].split(b":")[1])
                while len(rest) < length:
                    c = s.recv(4096)
                    if not c:
                        raise ConnectionError()
                    rest += c
                if b"connection: close" in head.lower():
                    s.close()
                    s = None
            except (OSError, ConnectionError, IndexError, ValueError):
                status = "error"
                if s is not None:
                    s.close()
                s = None
            with lock:
                counts[status] += 1

    threads = [threading.Thread(target=worker) for _ in range(int(os.environ.get("FLOOD", "4")))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    total = sum(counts.values())
    if not threads:
        print("0 none")
        return
    print("%.0f %s" % (total / secs, " ".join("%s:%d" % kv for kv in sorted(counts.items()))))


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "probe":
        probe(host, port, float(sys.argv[4]))
    elif mode == "load":
        load(host, port, sys.argv[4], float(sys.argv[5]), sys.argv[6])
    elif mode == "flood":
        flood(host, port, float(sys.argv[4]))
    else:
        sys.exit("bench/abuse.py: unknown mode %s" % mode)


main()
