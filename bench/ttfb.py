"""Time to first byte of 64 KiB Range requests over fresh connections, p50/p99 (ms)."""
import random
import socket
import sys
import time

host, port, listfile, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
items = [l.split() for l in open(listfile) if l.strip()]
random.seed(7)
lat = []
for i in range(n):
    path, size = random.choice(items)
    first = random.randint(0, max(0, int(size) - 65537)) | 17
    s = socket.create_connection((host, port))
    t0 = time.perf_counter()
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nRange: bytes=%d-%d\r\nConnection: close\r\n\r\n"
               % (path, first, first + 65535)).encode())
    s.recv(1)
    lat.append((time.perf_counter() - t0) * 1000)
    while s.recv(65536):
        pass
    s.close()
lat.sort()
print("%.3f %.3f" % (lat[len(lat) // 2], lat[int(len(lat) * 0.99) - 1]))
