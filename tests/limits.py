"""Limits on every input, and rate limits: oversized bodies and headers, missing lengths,
invalid UTF-8, garbage on the wire, 429 with Retry-After per user and category."""

import json
import os
import re
import socket
import time

from segue_test import TAP, Server, catalog_copy, sql

t = TAP()
data = catalog_copy()
track = sql(data, "SELECT id FROM tracks ORDER BY id LIMIT 1")[0][0]


def raw(srv, data_bytes, read_timeout=5):
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=read_timeout)
    try:
        s.sendall(data_bytes)
        buf = b""
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            buf += chunk
            if b"\r\n\r\n" in buf:
                head, _, body = buf.partition(b"\r\n\r\n")
                cl = [l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
                if cl and len(body) >= int(cl[0].split(b":")[1]):
                    break
        return buf
    finally:
        s.close()


with Server(data, {"max_body": 4096, "rl_standard": 20, "rl_player": 5, "rl_window": 30,
                  "registration": "open"}) as srv:
    r = srv.request("POST", "/api/register", body=b"{" + b" " * 5000 + b"}",
                    headers={"Content-Type": "application/json"})
    t.eq(r.status, 413, "a body over max_body is 413")
    t.ok(b"too large" in r.body, "with a message")
    r = raw(srv, b"POST /api/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\r\n")
    t.ok(r.startswith(b"HTTP/1.1 411"), "a POST without Content-Length is 411", r[:80])
    r = srv.request("POST", "/api/register", body=b'{"username": "caf\xe9", "password": "password123"}',
                    headers={"Content-Type": "application/json"})
    t.eq(r.status, 400, "invalid UTF-8 in a JSON body is 400")
    t.ok(b"UTF-8" in r.body or b"utf-8" in r.body.lower(), "and says so", r)
    r = srv.request("POST", "/api/token", body=b"grant_type=password&username=%FF%FE&password=x",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    t.eq(r.status, 400, "a login with a non-UTF-8 name is refused")
    r = raw(srv, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
    t.ok(r == b"" or r.split(b" ")[1][:1] == b"4", "oversized headers are refused (%r)" % r[:40])
    r = raw(srv, b"\x16\x03\x01\x02\x00garbage that is not HTTP\r\n\r\n")
    t.ok(r == b"" or b" 4" in r[:13], "garbage on the wire is dropped or refused")
    r = srv.get("/healthz?" + "&".join("a%d=1" % i for i in range(40)))
    t.eq(r.status, 200, "40 query parameters are taken (Subsonic clients send ids so)")
    r = raw(srv, b"GET /healthz?" + b"&".join(b"a%d=1" % i for i in range(150)) + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    t.ok(r.startswith(b"HTTP/1.1 414 "), "more query parameters than the header table holds is 414 (%r)" % r[:40])
    r = srv.get("/v1/tracks/" + "A" * 5000)
    t.ok(r.status in (400, 401, 404, 414, 431), "a very long path is refused (%d)" % r.status)
    t.eq(srv.get("/healthz").status, 200, "the server is still healthy after all that")

    # Rate limits: 20 standard requests per 30 s per user.
    tok = srv.login("premium-us")
    other = srv.login("free-us")
    codes = [srv.get("/v1/tracks/%s" % track, token=tok).status for _ in range(25)]
    t.eq(codes[:20], [200] * 20, "the first 20 standard requests pass")
    t.eq(codes[20:], [429] * 5, "the rest are 429")
    r = srv.get("/v1/tracks/%s" % track, token=tok)
    ra = r.headers.get("retry-after")
    t.ok(ra is not None and 1 <= int(ra) <= 30, "429 carries Retry-After (%s)" % ra)
    t.ok((r.json() or {}).get("error", {}).get("status") == 429, "and an error object")
    t.eq(srv.get("/v1/tracks/%s" % track, token=other).status, 200, "another user is not limited")
    again = srv.login("premium-us")
    t.eq(srv.get("/v1/tracks/%s" % track, token=again).status, 429,
         "a new token of the same user shares the user's budget")
    codes = [srv.get("/v1/segue/playback/%s" % track, token=tok).status for _ in range(6)]
    t.eq(codes, [200] * 5 + [429], "the player category has its own budget (5 here)")
    t.eq(srv.get("/healthz").status, 200, "unauthenticated health checks are not limited")

# A tiny window shows the budget coming back.
with Server(data, {"rl_standard": 3, "rl_window": 1}) as srv:
    tok = srv.login("premium-us")
    codes = [srv.get("/v1/me", token=tok).status for _ in range(4)]
    t.eq(codes, [200, 200, 200, 429], "3 per second")
    time.sleep(2.1)
    t.eq(srv.get("/v1/me", token=tok).status, 200, "allowed again after the window passes")

# A request with a body pipelined behind another, both in one write: both are answered, and
# the server is idle afterwards (lws 4.1.6 went on spinning over the buffered bytes for good,
# at full CPU, deaf to SIGTERM).
with Server(data) as srv:
    form = b"grant_type=password&"
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=3)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
              b"POST /api/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
              b"Content-Length: %d\r\n\r\n%s" % (len(form), form))
    buf, deadline = b"", time.time() + 3
    while time.time() < deadline:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        buf += chunk
    s.close()
    t.eq(re.findall(rb"HTTP/1.1 (\d+)", buf), [b"200", b"400"], "a POST pipelined behind a GET: both answered")

    def cpu_s():
        f = open("/proc/%d/stat" % srv.proc.pid).read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
    c0 = cpu_s()
    time.sleep(1.0)
    used = cpu_s() - c0
    t.ok(used < 0.05, "and the server is idle after it (%.2f s of CPU in the next second)" % used)
    t.eq(srv.get("/healthz").status, 200, "and healthy")
t.done()
