"""Audio requests on a kept-alive connection, which the server answers beside lws's parser
(server/http/quick.h): the same answers as a fresh connection gets from the slow path, header
for header and byte for byte (ranges, 416, 304, refusals); a reader slower than the socket,
with its next request sent while the answer is still going out; a reader that stops (cut
after http_send_timeout); and requests of any other shape on such a connection, which lws
still answers."""

import os
import socket
import time
import urllib.parse

from segue_test import TAP, Server, catalog_copy, long_track, sql

t = TAP()
data = catalog_copy()
track = sql(data, "SELECT id FROM tracks ORDER BY id LIMIT 1")[0][0]
long_size = long_track(data, track)


class Conn:
    """One raw keep-alive connection: requests written as given, answers read by length."""

    def __init__(self, port, rcvbuf=None, timeout=10):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.s.settimeout(timeout)
        self.s.connect(("127.0.0.1", port))
        self.buf = b""

    def send(self, raw):
        self.s.sendall(raw)

    def _more(self, n=65536):
        c = self.s.recv(n)
        if not c:
            raise EOFError("the server closed the connection")
        self.buf += c

    def answer(self, head_only=False, pace=None):
        """(status line, [(name, value)...] in order, body). pace: read 4 KiB at a time,
        waiting pace seconds before each, to read slower than the server writes."""
        while b"\r\n\r\n" not in self.buf:
            self._more()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        headers = [tuple(x.strip() for x in l.split(":", 1)) for l in lines[1:]]
        n = 0 if head_only else int(dict((k.lower(), v) for k, v in headers).get("content-length", 0))
        while len(self.buf) < n:
            if pace:
                time.sleep(pace)
            self._more(65536 if pace is None else 4096)
        body, self.buf = self.buf[:n], self.buf[n:]
        return lines[0], headers, body

    def close(self):
        self.s.close()


def req(path, extra=""):
    return ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n" % (path, extra)).encode()


def quick_count(srv):
    for line in srv.get("/metrics").body.decode().splitlines():
        if line.startswith("segue_http_quick_requests_total "):
            return int(line.split()[1])
    return -1


def metric(srv, name):
    for line in srv.get("/metrics").body.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


settings = {"http_send_timeout": 3, "http_keepalive": 5, "rl_player": 100000}
with Server(data, settings) as srv:
    tok = srv.login("premium-us")
    urls = srv.get("/v1/segue/playback/%s?quality=very_high" % track, token=tok).json()["urls"]
    u = urllib.parse.urlsplit(urls["very_high"])
    path = u.path + "?" + u.query
    q = dict(urllib.parse.parse_qsl(u.query))
    whole = srv.get(path).body
    t.eq(len(whole), long_size, "the long file is served whole on a fresh connection")
    etag = srv.get(path).headers.get("etag")

    # --- the same answers as the slow path
    other_sig = q["sig"][:-2] + ("AA" if q["sig"][-2:] != "AA" else "BB")
    cases = [
        ("a whole file", path, ""),
        ("a range", path, "Range: bytes=100-1099\r\n"),
        ("a suffix range", path, "Range: bytes=-500\r\n"),
        ("an open-ended range", path, "Range: bytes=%d-\r\n" % (long_size - 10)),
        ("a range past the end (416)", path, "Range: bytes=%d-\r\n" % long_size),
        ("a malformed range", path, "Range: bytes=abc\r\n"),
        ("a matching If-None-Match (304)", path, "If-None-Match: %s\r\n" % etag),
        ("a bad signature (403)", path.replace(q["sig"], other_sig), ""),
        ("a link without its signature (403)", u.path, ""),
        ("an unknown quality (404)", u.path.replace("very_high", "ultra") + "?" + u.query, ""),
        ("another track's path (403: the signature covers it)", u.path.replace(track, "0" * 22) + "?"
         + u.query, ""),
        ("an unknown route under /audio/ (404)", "/audio/x", ""),
        ("more headers, in other cases", path, "user-agent: test/1.0\r\nACCEPT: */*\r\n"
         "Connection: keep-alive\r\nrange: bytes=5-9\r\n"),
    ]
    c = Conn(srv.port)
    c.send(req(path, "Range: bytes=0-0\r\n"))
    c.answer()  # a connection's first request is lws's
    before = quick_count(srv)
    for name, p, extra in cases:
        fresh = Conn(srv.port)
        fresh.send(req(p, extra + "Connection: close\r\n"))
        want = fresh.answer()
        fresh.close()
        c.send(req(p, extra))
        got = c.answer()
        want_h = [h for h in want[1] if h[0].lower() != "connection"]
        t.ok(got[0] == want[0] and got[1] == want_h and got[2] == want[2],
             "kept alive, %s: the same status, headers and body as on a fresh connection (%s)"
             % (name, got[0]), (got[0], got[1], want[0], want_h, len(got[2]), len(want[2])))
    t.eq(quick_count(srv) - before, len(cases),
         "each of those was answered on the quick path (segue_http_quick_requests_total)")

    # --- other shapes on a kept-alive connection: lws answers them, as before
    others = [
        ("a HEAD", b"HEAD %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode(), True),
        ("a percent-escaped path", req(path.replace(track, track[:-1] + "%%%02X" % ord(track[-1]), 1)),
         False),
        ("a query with an escaped sig", req(path.replace("sig=" + q["sig"], "sig=%%%02X" % ord(q["sig"][0])
                                                         + q["sig"][1:])), False),
        ("a Host that is not a host name (400)", req(path).replace(b"Host: 127.0.0.1", b"Host: a/b"),
         False),
        ("an HTTP/1.0 request", b"GET %s HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n"
         % path.encode(), False),
    ]
    before = quick_count(srv)
    for name, raw, head_only in others:
        fresh = Conn(srv.port)
        fresh.send(raw.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1)
                   if b"HTTP/1.1" in raw.split(b"\r\n")[0] else raw)
        want = fresh.answer(head_only)
        fresh.close()
        c.send(raw)
        got = c.answer(head_only)
        t.ok(got[0] == want[0] and got[2] == want[2],
             "kept alive, %s: answered as on a fresh connection (%s)" % (name, got[0]),
             (got[0], want[0]))
        if b"HTTP/1.0" in raw or ("connection", "close") in [(k.lower(), v) for k, v in got[1]]:
            c.close()
            c = Conn(srv.port)
            c.send(req(path, "Range: bytes=0-0\r\n"))
            c.answer()
    t.eq(quick_count(srv) - before, 0, "none of those went the quick path")
    c.send(req(path, "Range: bytes=0-9\r\n") + req(path, "Range: bytes=10-19\r\n"))
    a, b = c.answer(), c.answer()
    t.ok(a[2] == whole[:10] and b[2] == whole[10:20], "two requests in one write (lws's) are both answered")
    c.send(req(path, "Range: bytes=0-3\r\nConnection: close\r\n"))
    got = c.answer()
    try:
        c._more()
        closed = False
    except (EOFError, OSError):
        closed = True
    t.ok(got[2] == whole[:4] and closed, "Connection: close is answered, then the connection closes")
    c.close()

    # --- a reader slower than the socket, its next request sent while the answer goes out:
    # the kernel queues about 2 MiB for it (tests/abuse.py), so the rest of 3 MiB waits for
    # the socket to be writeable
    c = Conn(srv.port, rcvbuf=4096)
    c.send(req(path, "Range: bytes=0-0\r\n"))
    c.answer()
    before = quick_count(srv)
    span = 3 << 20
    c.send(req(path, "Range: bytes=0-%d\r\n" % (span - 1)))
    time.sleep(0.5)
    c.send(req(path, "Range: bytes=1000-1099\r\n"))
    start = time.time()
    h = srv.get("/healthz")
    t.ok(h.status == 200 and time.time() - start < 2, "others are served meanwhile")
    t0 = time.time()
    first = c.answer(pace=0)
    second = c.answer()
    t.ok(first[0].endswith("206 Partial Content") and first[2] == whole[:span],
         "the slow reader gets all of a 3 MiB range, every byte (%.1f s)" % (time.time() - t0))
    t.ok(second[0].endswith("206 Partial Content") and second[2] == whole[1000:1100],
         "and then the answer to the request it sent meanwhile")
    t.ok(quick_count(srv) - before >= 1, "the long answer went the quick path")
    c.send(req(path, "Range: bytes=7-8\r\n"))
    t.eq(c.answer()[2], whole[7:9], "the connection carries on after it")
    c.close()

    # --- a reader that stops: cut after http_send_timeout, and its stream is closed
    c = Conn(srv.port, rcvbuf=4096)
    c.send(req(path, "Range: bytes=0-0\r\n"))
    c.answer()
    c.send(req(path))
    time.sleep(1)
    t.eq(metric(srv, "segue_streams_open"), 1.0, "the unread answer is an open stream")
    time.sleep(5)
    got, closed = b"", False
    c.s.settimeout(0.5)
    end = time.time() + 10
    while time.time() < end:
        try:
            chunk = c.s.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            closed = True
            break
        if not chunk:
            closed = True
            break
        got += chunk
    c.close()
    t.ok(closed and len(got) < long_size, "a reader that stopped is cut after http_send_timeout "
         "(%d of %d bytes were queued)" % (len(got), long_size))
    t.eq(metric(srv, "segue_streams_open"), 0.0, "and its stream is closed")
    t.eq(srv.get("/healthz").status, 200, "the server is well")

t.done()
