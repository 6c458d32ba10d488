"""Subsonic calls by GET as real clients make them (issue #24 follow-up): every id in the query.
savePlayQueue with 40 songs and star with 80 by GET are answered like the same calls by form
POST; a head past what lws's header table holds (too many parameters, bytes or headers)
gets an answer (414 or 431, a Subsonic error under /rest/), never a silent close; and a HEAD on a keep-alive connection, on a route answered at once and on one answered later
(a transcode's headers, http/feed), sends no body, so the next request's answer on the same
connection is read whole."""

import http.client
import socket
import time
import urllib.parse

from segue_test import TAP, Server, catalog_copy, sql
from subsonic_util import CLIENT, call, error_code

t = TAP()
data = catalog_copy()
songs = [r[0] for r in sql(data, "SELECT id FROM tracks WHERE markets IS NULL OR markets = '' "
                                 "OR ',' || markets || ',' LIKE '%,US,%' ORDER BY id")]


def raw_exchange(port, raw, timeout=10):
    """Sends raw bytes; returns all the server sent until it closed or went quiet."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    got = b""
    try:
        s.sendall(raw)
        while True:
            try:
                b = s.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not b:
                break
            got += b
    finally:
        s.close()
    return got


with Server(data, {"rl_standard": 1000000, "rl_player": 1000000}) as srv:
    r = srv.request("POST", "/v1/segue/api-keys", {"name": "phone"}, token=srv.login("premium-us"))
    key = (r.json() or {}).get("key", "")
    t.ok(len(songs) >= 2 and key, "a catalog with songs and an API key", (songs, r))

    # --- savePlayQueue with 40 songs by GET, then read back
    queue = [songs[i % len(songs)] for i in range(40)]
    pairs = [("apiKey", key)] + [("id", s) for s in queue] + [("current", queue[7]), ("position", "1234")]
    st, env, r = call(srv, "savePlayQueue", pairs)
    t.eq((st, env and env.get("status")), (200, "ok"), "savePlayQueue by GET with 40 ids (%d parameters)"
         % (len(pairs) + len(CLIENT) + 1), r)
    st, env, r = call(srv, "getPlayQueue", [("apiKey", key)])
    pq = (env or {}).get("playQueue") or {}
    t.eq([e.get("id") for e in pq.get("entry", [])], queue, "getPlayQueue gives the 40 songs back in order")
    t.eq((pq.get("current"), pq.get("position")), (queue[7], 1234), "with the current song and position")

    # --- star 80 ids by GET, as by POST
    many = [("apiKey", key)] + [("id", songs[i % len(songs)]) for i in range(80)]
    st, env, r = call(srv, "star", many)
    t.eq((st, env and env.get("status")), (200, "ok"), "star by GET with 80 ids", r)
    st, env, r = call(srv, "star", many, post=True)
    t.eq((st, env and env.get("status")), (200, "ok"), "and the same by form POST", r)
    st, env, r = call(srv, "getStarred2", [("apiKey", key)])
    starred = {e.get("id") for e in ((env or {}).get("starred2") or {}).get("song", [])}
    t.ok(set(songs) <= starred, "every song starred", starred)

    # --- past what a GET may carry: an answer (in the Subsonic shape under /rest/), then the close
    def head_of(got):
        head, _, body = got.partition(b"\r\n\r\n")
        return head.split(b"\r\n")[0], body

    for n, fmt in ((200, "json"), (1000, None)):
        q = "&".join(["apiKey=" + key, "c=t", "v=1.16.1"] + (["f=" + fmt] if fmt else []) + ["id=" + songs[0]] * n)
        got = raw_exchange(srv.port, b"GET /rest/star?%s HTTP/1.1\r\nHost: x\r\n\r\n" % q.encode())
        line, body = head_of(got)
        if fmt == "json":
            ok = b'"status":"failed"' in body and b'"code":0' in body
        else:
            ok = body.startswith(b"<?xml") and b'status="failed"' in body and b'code="0"' in body
        t.ok(line == b"HTTP/1.1 414 URI Too Long" and ok,
             "a GET with %d parameters is answered 414 with a Subsonic error in %s" % (n, fmt or "XML"), got[:600])
    got = raw_exchange(srv.port, b"GET /rest/ping?apiKey=%s&c=%s HTTP/1.1\r\nHost: x\r\n\r\n"
                       % (key.encode(), b"a" * 20000))
    t.eq(head_of(got)[0], b"HTTP/1.1 414 URI Too Long", "a GET whose query is 20 kB is answered 414", got[:300])
    got = raw_exchange(srv.port, b"GET /v1/me?" + b"&".join([b"x=1"] * 150) + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    line, body = head_of(got)
    t.ok(line == b"HTTP/1.1 414 URI Too Long" and b'"error":{"status":414' in body,
         "outside /rest/ in the Web API's shape", got[:300])
    got = raw_exchange(srv.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" +
                       b"".join(b"X-Pad-%d: y\r\n" % i for i in range(120)) + b"\r\n")
    t.eq(head_of(got)[0], b"HTTP/1.1 431 Request Header Fields Too Large", "120 headers are answered 431", got[:300])
    # A head that comes in pieces is counted across them: over the bound 414, under it served.
    def in_pieces(raw, pieces=4):
        c = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        step = len(raw) // pieces + 1
        got = b""
        try:
            for i in range(0, len(raw), step):
                c.sendall(raw[i:i + step])
                time.sleep(0.05)
            c.shutdown(socket.SHUT_WR)
            while True:
                chunk = c.recv(65536)
                if not chunk:
                    break
                got += chunk
        except OSError:
            pass
        finally:
            c.close()
        return got

    got = in_pieces(b"GET /healthz?" + b"&".join([b"x=1"] * 150) + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    t.eq(head_of(got)[0], b"HTTP/1.1 414 URI Too Long", "a long request line in pieces is answered 414", got[:200])
    got = in_pieces(b"GET /healthz?" + b"&".join([b"x=1"] * 60) + b" HTTP/1.1\r\nHost: x\r\n"
                    b"Connection: close\r\n\r\n")
    t.eq(head_of(got)[0], b"HTTP/1.1 200 OK", "one under the bound in pieces is served", got[:200])
    # Just under the bound, the request is served: 80 parameters with a client's headers.
    q = urllib.parse.urlencode([("apiKey", key), ("f", "json")] + list(CLIENT.items()) +
                               [("id", songs[i % len(songs)]) for i in range(80)])
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=20)
    c.request("GET", "/rest/star?" + q, headers={"User-Agent": "t", "Accept": "*/*"})
    a = c.getresponse()
    body = a.read()
    c.request("GET", "/rest/getStarred2?" + q[:q.index("&id=")])
    b = c.getresponse()
    b.read()
    c.close()
    t.ok(a.status == 200 and b'"status":"ok"' in body and b.status == 200,
         "80 parameters by GET are served, and the connection serves on", (a.status, body[:200], b.status))
    # A kept-alive connection's second head is bounded as its first.
    c = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    first = c.recv(65536)
    c.sendall(b"GET /healthz?" + b"&".join([b"x=1"] * 150) + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    second = b""
    try:
        while True:
            chunk = c.recv(65536)
            if not chunk:
                break
            second += chunk
    except OSError:
        pass
    c.close()
    t.ok(first.startswith(b"HTTP/1.1 200") and second.startswith(b"HTTP/1.1 414"),
         "on a kept-alive connection the next head too", (first[:40], second[:300]))
    st, env, r = call(srv, "ping", [("apiKey", key)])
    t.eq(st, 200, "the server serves on", r)

    # --- HEAD on a keep-alive connection: no body, the next answer read whole
    def keepalive(first_method, first_path, name):
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=20)
        try:
            c.request(first_method, first_path)
            a = c.getresponse()
            a.read()
            c.request("GET", "/rest/ping?" + urllib.parse.urlencode(dict(CLIENT, apiKey=key, f="json")))
            b = c.getresponse()
            body = b.read()
            t.ok(a.status == 200 and b.status == 200 and b'"status":"ok"' in body,
                 "after %s, the next answer on the connection is read whole" % name,
                 (a.status, b.status, body[:200]))
        except (http.client.HTTPException, OSError) as e:
            t.ok(False, "after %s, the next answer on the connection is read whole" % name, repr(e))
        finally:
            c.close()

    sq = urllib.parse.urlencode(dict(CLIENT, apiKey=key, f="json", id=songs[0]))
    keepalive("HEAD", "/rest/getSong?" + sq, "a HEAD answered at once")
    keepalive("HEAD", "/rest/stream?" + sq + "&format=mp3&maxBitRate=128", "a HEAD of a transcode (answered later)")
    got = raw_exchange(srv.port, b"HEAD /rest/ping HTTP/1.1\r\nHost: x\r\nContent-Length: x\r\n\r\n")
    t.ok(got.startswith(b"HTTP/1.1 400 ") and got.endswith(b"\r\n\r\n"),
         "a HEAD refused before any route has headers and no body", got[-200:])
t.done()
