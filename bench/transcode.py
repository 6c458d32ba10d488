"""The measuring half of bench/transcode.sh (which starts the server and prepares the input).
    python3 bench/transcode.py PORT APIKEY TRACK SERVER_PID INPUT SECONDS RUNS MAXN
For each format (mp3 at 192 kbit/s, opus at 128): time to first byte of Subsonic's stream
(median of RUNS), and CPU per stream as x real time per core (the server's user+system time
for whole transcodes read as fast as they come), each next to the ffmpeg command doing the same
transcode of the same stored file (INPUT, SECONDS long) at the same bitrate, and the ratio.
Then how many mp3 transcodes at once keep real time: N = 1, 2, 4, ... up to MAXN, all started
together and read as fast as they come; N keep real time when the slowest of them still comes
faster than it plays."""

import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

port, key, track, spid, src = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
secs, runs, maxn = float(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8])
HZ = os.sysconf("SC_CLK_TCK")
FORMATS = (("mp3", 192, ["-c:a", "libmp3lame", "-b:a", "192k", "-id3v2_version", "0", "-write_xing", "0",
                         "-f", "mp3"]),
           ("opus", 128, ["-c:a", "libopus", "-b:a", "128k", "-ar", "48000", "-f", "ogg"]))


def server_cpu():
    with open("/proc/%d/stat" % spid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / HZ


def stream(fmt, kbps, first_only=False):
    """One transcode read to its end (or, first_only, to its first body byte, then dropped):
    (seconds to the first body byte, bytes, seconds)."""
    q = urllib.parse.urlencode({"id": track, "format": fmt, "maxBitRate": kbps, "apiKey": key,
                                "v": "1.16.1", "c": "bench", "f": "json"})
    s = socket.create_connection(("127.0.0.1", port), timeout=600)
    t0 = time.monotonic()
    s.sendall(("GET /rest/stream?%s HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n" % q).encode())
    buf, first, n = b"", None, 0
    while True:
        d = s.recv(262144)
        if not d:
            break
        if first is None:
            buf += d
            i = buf.find(b"\r\n\r\n")
            if i < 0:
                continue
            if not buf.startswith(b"HTTP/1.1 200"):
                raise SystemExit("bench/transcode: the stream was refused: %r" % buf[:300])
            # chunked: the first chunk's size line, then audio
            body = buf[i + 4:]
            if b"\r\n" not in body:
                continue
            first = time.monotonic() - t0
            n += len(body)
            if first_only:
                break
        else:
            n += len(d)
    s.close()
    return first, n, time.monotonic() - t0


def ffmpeg(args, first_only=False):
    """The anchor: (seconds to its first output byte, CPU seconds, bytes); first_only: ended
    at its first byte."""
    t0 = time.monotonic()
    r0 = os.times()
    p = subprocess.Popen(["ffmpeg", "-v", "error", "-nostdin", "-threads", "1", "-i", src, "-vn",
                          "-map_metadata", "-1"] + args + ["pipe:1"], stdout=subprocess.PIPE)
    first = None
    n = 0
    while True:
        d = p.stdout.read1(262144)
        if not d:
            break
        if first is None:
            first = time.monotonic() - t0
            if first_only:
                p.kill()
                break
        n += len(d)
    p.stdout.close()
    p.wait()
    r1 = os.times()
    return first, (r1.children_user - r0.children_user) + (r1.children_system - r0.children_system), n


print("input: %s, %.0f s of stored Ogg Vorbis (%d kbit/s)" %
      (os.path.basename(src), secs, os.path.getsize(src) * 8 / secs / 1000))
print("\n%-22s %12s %12s %10s" % ("", "segue", "ffmpeg", "ratio"))
for fmt, kbps, args in FORMATS:
    stream(fmt, kbps)  # warm: the file in the page cache, the encoder's tables
    ffmpeg(args)
    ttfb = [stream(fmt, kbps, True)[0] * 1000 for _ in range(runs)]
    fttfb = [ffmpeg(args, True)[0] * 1000 for _ in range(runs)]
    cpu_s, cpu_f = [], []
    for _ in range(max(1, runs // 3)):
        c0 = server_cpu()
        _, n, _ = stream(fmt, kbps)
        cpu_s.append(server_cpu() - c0)
        cpu_f.append(ffmpeg(args)[1])
    ts, tf = statistics.median(ttfb), statistics.median(fttfb)
    xs, xf = secs / statistics.median(cpu_s), secs / statistics.median(cpu_f)
    print("%-22s %10.1f ms %10.1f ms %9.2fx" % ("%s %d: first byte" % (fmt, kbps), ts, tf, tf / ts))
    print("%-22s %11.0fx %11.0fx %9.2fx" % ("%s %d: x real time/core" % (fmt, kbps), xs, xf, xs / xf))
print("(first byte: segue's from the request over HTTP, ffmpeg's from its start, median of %d;\n"
      " x real time per core: seconds of audio per CPU second, the server's user+system time\n"
      " against ffmpeg's own, -threads 1; ratio > 1: segue ahead)" % runs)

print("\nmp3 192 transcodes at once on %d cores (each read as fast as it comes):" % os.cpu_count())
print("%6s %14s %14s %12s" % ("N", "slowest (s)", "x real time", "keeps up"))
n = 1
best = 0
while n <= maxn:
    results = [None] * n

    def one(i):
        results[i] = stream("mp3", 192)[2]

    th = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for x in th:
        x.start()
    for x in th:
        x.join()
    slowest = max(results)
    ok = slowest < secs
    print("%6d %14.2f %14.1f %12s" % (n, slowest, secs / slowest, "yes" if ok else "no"))
    if not ok:
        break
    best = n
    n *= 2
print("%d transcodes at once kept real time (bounded at %d)" % (best, maxn))
