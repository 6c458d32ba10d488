"""HTTP/1.1 pipelining with a body: a request with a body that comes on a connection behind
another request, already in the server's buffer. Found by fuzz/http.c: libwebsockets 4.1.6 read
such a body from the request's own head and then turned for ever inside one call (see
server/http/pipeline.h), so one connection of two short requests held a core and the server
answered no one else, for good. The server now answers the first request, refuses the second
with a 400 that says why, and closes; requests with bodies sent one after another's answer on a
kept-alive connection, and pipelined requests without bodies, are served as before."""

import socket
import time

from segue_test import TAP, Server, catalog_copy

t = TAP()
data = catalog_copy()


def pipelined(port, raw, wait=3.0):
    """Sends raw on one connection; returns (what came back, whether the server closed it)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=wait)
    got, closed = b"", False
    try:
        s.sendall(raw)
        deadline = time.time() + wait
        while time.time() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                closed = True
                break
            got += chunk
    finally:
        s.close()
    return got, closed


CASES = [
    ("a POST with its body behind a GET",
     b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
     b"POST /api/revoke HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
     b"Content-Length: 7\r\n\r\ntoken=x"),
    ("a GET with a Content-Length behind a GET, its body not sent",
     b"GET /healthz HTTP/1.1\r\n\r\nGET /x HTTP/1.1\r\nContent-Length: 5\r\n\r\n"),
    ("a PUT with a JSON body behind a GET",
     b"GET /healthz HTTP/1.1\r\n\r\nPUT /v1/me/tracks HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}"),
]

with Server(data) as srv:
    for name, raw in CASES:
        got, closed = pipelined(srv.port, raw)
        t.ok(got.startswith(b"HTTP/1.1 200"), "%s: the first request is answered" % name, got[:80])
        start = time.time()
        try:
            r = srv.get("/healthz", timeout=3)
            status = r.status
        except OSError as e:
            status = repr(e)
        t.ok(status == 200 and time.time() - start < 2,
             "%s: the server still answers others (GET /healthz: %s in %.1f s)" % (name, status, time.time() - start))
        t.ok(closed and got.count(b"HTTP/1.1 ") == 2 and b"HTTP/1.1 400" in got and b"pipelining" in got,
             "%s: the pipelined request is refused (400, naming pipelining) and its connection closed" % name,
             got[-200:])
    # The same requests one after another's answer, on one kept-alive connection, are served.
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=3)
    try:
        answers = []
        for raw in (b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
                    b"POST /api/revoke HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                    b"Content-Length: 7\r\n\r\ntoken=x",
                    b"PUT /v1/me/tracks HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}",
                    b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"):
            s.sendall(raw)
            got = b""
            deadline = time.time() + 3
            while time.time() < deadline and not (b"\r\n\r\n" in got and
                                                  len(got.split(b"\r\n\r\n", 1)[1]) >= int(
                                                      (got.lower().split(b"content-length: ", 1) + [b"0"])[1].split(b"\r\n")[0] or 0)):
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
            answers.append(got.split(b" ", 2)[1] if got.startswith(b"HTTP/1.1 ") else got[:40])
    finally:
        s.close()
    t.eq(answers, [b"200", b"200", b"401", b"200"],
         "a GET, a POST and a PUT with bodies and a GET, each sent once the answer before came, on one connection")
    got, closed = pipelined(srv.port, b"GET /healthz HTTP/1.1\r\n\r\nGET /healthz HTTP/1.1\r\n\r\n"
                            b"GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n")
    t.ok(got.count(b"HTTP/1.1 200") == 3, "three pipelined GETs are all answered", got[-120:])
    got, closed = pipelined(srv.port, b"GET /healthz HTTP/1.1\r\n\r\nPUT /v1/me/tracks HTTP/1.1\r\n"
                            b"Content-Length: 0\r\n\r\nGET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n")
    t.ok(got.count(b"HTTP/1.1 200") == 2 and got.count(b"HTTP/1.1 401") == 1 and b"pipelining" not in got,
         "a pipelined PUT with Content-Length: 0 frames no body: it and the GET behind it are answered",
         got[-160:])
    got, closed = pipelined(srv.port, b"POST /api/revoke HTTP/1.1\r\nContent-Length: 7\r\n"
                            b"Content-Type: application/x-www-form-urlencoded\r\n\r\ntoken=x"
                            b"GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n")
    t.ok(got.count(b"HTTP/1.1 200") == 2, "a GET pipelined behind a POST's body is answered too", got[-120:])
    # A request pipelined behind one whose answer is deferred (a login: argon2id on a worker)
    # waits for it: both are answered, in order.
    body = b"grant_type=password&username=premium-us&password=password123"
    got, closed = pipelined(srv.port, b"POST /api/token HTTP/1.1\r\nHost: x\r\n"
                            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n"
                            % len(body) + body + b"GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n", wait=5.0)
    t.ok(got.count(b"HTTP/1.1 200") == 2 and got.find(b"access_token") < got.find(b'"status":"ok"') and closed,
         "a GET pipelined behind a login (answered later, from a worker) is answered after it", got[-160:])
    # Requests with bodies one at a time on a kept-alive connection still work.
    got, closed = pipelined(srv.port, b"POST /api/revoke HTTP/1.1\r\nContent-Length: 7\r\n"
                            b"Content-Type: application/x-www-form-urlencoded\r\n\r\ntoken=x", wait=1.0)
    t.ok(got.startswith(b"HTTP/1.1 200") and not closed,
         "a POST with its body alone is answered and the connection kept", got[:80])
    t.done()
