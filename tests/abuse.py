"""Hostile and careless HTTP clients over raw sockets: early answers a client still sending
its body gets to read (lingering close), request framing that could smuggle a second request
(Content-Length with Transfer-Encoding, loose Content-Length), request text that is not
UTF-8 echoed into errors, and a deadline for every state a connection can be in (headers,
idle keep-alive, body, CONNECT, an unread response, a deferred answer, a silent WebSocket)
while a slow player that keeps reading is left alone."""

import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request

from segue_test import TAP, Server, catalog_copy, long_track, sql
from ws_device import FakeDevice

t = TAP()
data = catalog_copy()
track = sql(data, "SELECT id FROM tracks ORDER BY id LIMIT 1")[0][0]


def connect(srv, rcvbuf=None, timeout=5):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(timeout)
    s.connect(("127.0.0.1", srv.port))
    return s


def read_all(s, limit=10.0):
    """Everything until the server closes (or limit seconds): (bytes, closed, error)."""
    out, end = b"", time.time() + limit
    s.settimeout(0.5)
    while time.time() < end:
        try:
            c = s.recv(65536)
        except socket.timeout:
            continue
        except OSError as e:
            return out, True, e
        if not c:
            return out, True, None
        out += c
    return out, False, None


def exchange(srv, data_bytes, limit=5.0):
    s = connect(srv)
    try:
        s.sendall(data_bytes)
        return read_all(s, limit)
    finally:
        s.close()


def statuses(raw):
    """The status codes of the responses in raw, in order."""
    return [int(m.group(1)) for m in re.finditer(rb"HTTP/1\.[01] (\d{3}) ", raw)]


def closed_within(s, limit):
    """Seconds until the server closes s (reading and dropping whatever comes), or None."""
    t0 = time.time()
    _, closed, _ = read_all(s, limit)
    return time.time() - t0 if closed else None


def server_side_state(srv, s):
    """The TCP state of the server's end of s, from /proc/net/tcp: "ESTABLISHED", another
    state (the server closed its end: its queued bytes may still be on the way), or None.
    A client only learns of a close once it has read all that was queued before it."""
    names = {"01": "ESTABLISHED", "04": "FIN_WAIT1", "05": "FIN_WAIT2", "06": "TIME_WAIT",
             "07": "CLOSE", "08": "CLOSE_WAIT", "09": "LAST_ACK", "0B": "CLOSING"}
    me = s.getsockname()[1]
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            local, remote, st = fields[1], fields[2], fields[3]
            if int(local.split(":")[1], 16) == srv.port and int(remote.split(":")[1], 16) == me:
                return names.get(st, st)
    return None


def quick_count(srv):
    for line in srv.get("/metrics").body.decode().splitlines():
        if line.startswith("segue_http_quick_requests_total "):
            return int(line.split()[1])
    return -1


def count_5xx(srv):
    body = srv.get("/metrics").body.decode()
    return sum(int(line.rsplit(" ", 1)[1]) for line in body.splitlines()
               if line.startswith("segue_http_requests_total") and 'status="5xx"' in line)


# ---------------------------------------------------------------------------------------
# 1. Early answers reach a client that sends its whole body first.
with Server(data, {"max_body": 4096, "http_linger": 2}) as srv:
    big = b"{" + b" " * (2 << 20) + b"}"
    outcomes = []
    for _ in range(20):
        req = urllib.request.Request(srv.base + "/api/register", data=big,
                                     headers={"Content-Type": "application/json"})
        try:
            urllib.request.urlopen(req, timeout=10)
            outcomes.append("no error")
        except urllib.error.HTTPError as e:
            outcomes.append(e.code)
        except (urllib.error.URLError, OSError) as e:
            outcomes.append(type(getattr(e, "reason", e)).__name__)
    t.eq(outcomes, [413] * 20, "urllib sending 2 MB without 100-continue reads 413 every time")

    s = connect(srv)
    s.sendall(b"POST /api/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\n\r\n" % len(big) + big)
    raw, closed, err = read_all(s, 8)
    s.close()
    t.ok(statuses(raw) == [413] and b"too large" in raw and err is None and closed,
         "a raw client that sent all 2 MB reads the 413, then the server's close", (raw[:200], err))

    chunked = b"".join(b"%x\r\n%s\r\n" % (1000, b"a" * 1000) for _ in range(1000)) + b"0\r\n\r\n"
    s = connect(srv)
    s.sendall(b"POST /api/register HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked)
    raw, closed, err = read_all(s, 8)
    s.close()
    t.ok(statuses(raw) == [411] and err is None, "a chunked 1 MB upload reads its 411", (raw[:200], err))

    # The lingering is bounded in time...
    s = connect(srv)
    s.sendall(b"POST /api/register HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n")
    t0, got, failed = time.time(), b"", None
    s.settimeout(0.2)
    while time.time() - t0 < 10 and failed is None:
        try:
            s.send(b"a" * 1000)
            got += s.recv(4096)
        except socket.timeout:
            pass
        except OSError as e:
            failed = time.time() - t0
        time.sleep(0.1)
    s.close()
    t.ok(statuses(got) == [413] and failed is not None and failed < 6,
         "a client that trickles its body on read the 413 and was cut after http_linger (2 s): %s"
         % failed, got[:100])
    # ... and in bytes.
    s = connect(srv)
    s.sendall(b"POST /api/register HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n")
    sent, failed = 0, False
    s.settimeout(5)
    try:
        while sent < 64 << 20:
            sent += s.send(b"a" * 65536)
    except OSError:
        failed = True
    s.close()
    t.ok(failed and sent < 48 << 20, "a client that pours its body on is cut after 16 MiB (%d MiB sent)"
         % (sent >> 20))
    t.eq(srv.get("/healthz").status, 200, "the server is healthy after the early answers")

# ---------------------------------------------------------------------------------------
# 2. Request framing: one request per framing, never a second one smuggled in.
with Server(data, {"http_linger": 2}) as srv:
    smuggled = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    raw, closed, _ = exchange(srv, b"POST /api/register HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                              b"Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
                              b"0\r\n\r\n" + smuggled)
    t.ok(statuses(raw) == [400] and b"Transfer-Encoding" in raw and closed,
         "Content-Length with Transfer-Encoding: 400, closed, nothing more answered", raw)
    raw, closed, _ = exchange(srv, b"GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                              b"0\r\n\r\n" + smuggled)
    t.ok(statuses(raw) == [411] and closed,
         "Transfer-Encoding alone (even on a GET): 411, closed, the chunk is not a request", raw)
    for value in (b"+5", b"5 ", b"0x5", b"5,5", b"-5", b"5.0", b"05a", b"99999999999999999999999"):
        raw, closed, _ = exchange(srv, b"POST /api/register HTTP/1.1\r\nHost: x\r\n"
                                  b"Content-Type: application/json\r\nContent-Length: " + value +
                                  b"\r\n\r\n{}   " + smuggled)
        t.ok(statuses(raw) == [400] and b"Content-Length" in raw and closed,
             "Content-Length %r: 400 and closed" % value.decode(), raw)
    raw, closed, _ = exchange(srv, b"POST /api/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                              b"Content-Length: 2\r\nContent-Length: 7\r\n\r\n{}     " + smuggled)
    t.ok(statuses(raw) == [400] and closed, "two differing Content-Length headers: 400 and closed", raw)
    raw, closed, _ = exchange(srv, b"POST /api/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                              b"Content-Length: 2\r\nConnection: close\r\n\r\n{}")
    t.ok(len(statuses(raw)) == 1 and statuses(raw)[0] in (201, 400, 403) and b"Content-Length" not in raw,
         "a plain Content-Length still frames the body (the handler answered)", raw)
    raw, closed, _ = exchange(srv, smuggled + smuggled.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
    t.eq(statuses(raw), [200, 200], "pipelined plain requests are still both answered")

# ---------------------------------------------------------------------------------------
# 3. Request text that is not UTF-8, echoed into errors: 400, never 500.
with Server(data) as srv:
    tok = srv.login("premium-us")
    cases = [("/v1/tracks/%ff", tok), ("/v1/albums/%c0%af", tok), ("/v1/search?q=%ff&type=track", tok),
             ("/v1/me/playlists?limit=%ed%a0%80", tok), ("/nothing/here/%ff", None),
             ("/healthz?x=%fe", None), ("/v1/tracks/%ff", None), ("/audio/%ff/x.ogg", None)]
    for path, token in cases:
        r = srv.get(path, token=token)
        msg = ((r.json() or {}).get("error") or {}).get("message", "")
        t.ok(r.status == 400 and "\\x" in msg and "UTF-8" in msg,
             "%s%s: 400 naming the bytes escaped" % (path, " (signed in)" if token else ""), r)
    r = srv.get("/v1/tracks/caf%c3%a9", token=tok)
    t.ok(r.status in (400, 404) and "UTF-8" not in r.body.decode(),
         "a UTF-8 id goes on to its handler", r)
    raw, _, _ = exchange(srv, b"GET /v1/me HTTP/1.1\r\nHost: \xff\xfe\r\nAuthorization: Bearer " +
                         tok.encode() + b"\r\nConnection: close\r\n\r\n")
    t.ok(statuses(raw) == [400] and b"Host" in raw, "a Host that is not a host name: 400", raw[:200])
    raw, _, _ = exchange(srv, b"GET /v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xff\xfe\r\n"
                         b"Connection: close\r\n\r\n")
    t.eq(statuses(raw), [401], "a token that is not text: 401")
    t.eq(count_5xx(srv), 0, "/metrics counts no 5xx after all that")

# ---------------------------------------------------------------------------------------
# 4. A deadline for every state.


data = catalog_copy()
long_size = long_track(data, track)
settings = {"http_header_timeout": 2, "http_keepalive": 2, "http_body_timeout": 3,
            "http_send_timeout": 3, "http_deferred_timeout": 2, "http_linger": 2,
            "connect_timeout_ms": 20000, "connect_heartbeat_ms": 500, "rl_player": 100000}
with Server(data, settings) as srv:
    tok = srv.login("premium-us")

    s = connect(srv)
    s.sendall(b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
    raw, closed, _ = read_all(s, 5)
    s.close()
    t.ok(statuses(raw) == [405] and closed, "CONNECT: 405 and closed at once", raw)

    s = connect(srv)
    s.sendall(b"FOO / HTTP/1.1\r\nHost: x\r\n\r\n")
    el = closed_within(s, 5)
    s.close()
    t.ok(el is not None and el < 1, "an unknown method is refused and closed at once (%s)" % el)

    # slowloris: a header line every half second
    s = connect(srv)
    s.sendall(b"GET /healthz HTTP/1.1\r\n")
    t0, cut = time.time(), None
    while time.time() - t0 < 10 and cut is None:
        try:
            s.send(b"X-Slow: %d\r\n" % int(time.time()))
            s.settimeout(0.5)
            if s.recv(4096) == b"":
                cut = time.time() - t0
        except socket.timeout:
            pass
        except OSError:
            cut = time.time() - t0
    s.close()
    t.ok(cut is not None and cut < 4.5, "headers sent slowly: closed after http_header_timeout (%s s)" % cut)

    s = connect(srv)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.3)
    first = s.recv(65536)
    el = closed_within(s, 8)
    s.close()
    t.ok(statuses(first) == [200] and el is not None and el < 4.5,
         "an idle kept-alive connection is closed after http_keepalive (%s s)" % el)

    s = connect(srv)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.3)
    s.recv(65536)
    s.sendall(b"GET /healthz HTTP/1.1\r\n")
    el = closed_within(s, 8)
    s.close()
    t.ok(el is not None and el < 4.5, "a second request's headers left unfinished: closed (%s s)" % el)

    # a body trickling in, one byte every 0.4 s (each gap well under http_header_timeout)
    s = connect(srv)
    s.sendall(b"POST /api/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: 100\r\n\r\n")
    t0, got = time.time(), b""
    s.settimeout(0.4)
    while time.time() - t0 < 10 and not got:
        try:
            s.send(b" ")
            got = s.recv(4096)
        except socket.timeout:
            pass
        except OSError:
            break
    el = time.time() - t0
    s.close()
    t.ok(statuses(got) == [408] and el < 6.5,
         "a body that trickles in is answered 408 after http_body_timeout (%.1f s)" % el, got)

    # a response nobody reads
    r = srv.get("/v1/segue/playback/%s?quality=very_high" % track, token=tok)
    audio = urllib.parse.urlparse((r.json() or {})["urls"]["very_high"])
    path = (audio.path + "?" + audio.query).encode()
    size = len(srv.get(path.decode()).body)
    t.eq(size, long_size, "the long track is served whole to a client that reads")

    # Audio ranges on one kept-alive connection (the quick path, whose keep-alive timeout is
    # armed again only when 200 ms old, http/quick.c): one every 50 ms for 3 s, longer than
    # http_keepalive, keeps it open; then idle, it closes on time, not before.
    quick0 = quick_count(srv)
    s = connect(srv)
    sent = answered = 0
    t0 = last = time.time()
    try:
        while time.time() - t0 < 3:
            s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nRange: bytes=0-99\r\n\r\n")
            sent += 1
            got = b""
            while not (b"\r\n\r\n" in got and len(got.split(b"\r\n\r\n", 1)[1]) >= 100):
                c = s.recv(65536)
                if not c:
                    raise OSError("closed")
                got += c
            last = time.time()
            answered += got.startswith(b"HTTP/1.1 206")
            time.sleep(0.05)
        kept = True
    except OSError:
        kept = False
    closed_within(s, 8)
    el = time.time() - last
    s.close()
    quick = quick_count(srv) - quick0
    t.ok(kept and sent > 10 and answered == sent and quick >= sent - 1,
         "ranges every 50 ms for 3 s on one connection: all answered (%d of %d, %d on the quick path), "
         "never cut" % (answered, sent, quick))
    t.ok(1.75 < el < 3.5, "then idle, it is closed after http_keepalive (2 s), not before (%.2f s after "
         "its last answer)" % el)
    s = connect(srv, rcvbuf=4096)
    s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(1)
    t.eq(server_side_state(srv, s), "ESTABLISHED", "a client that stopped reading a second ago is kept")
    time.sleep(5.5)
    st = server_side_state(srv, s)
    raw, closed, _ = read_all(s, 10)
    s.close()
    t.ok(st != "ESTABLISHED" and closed and len(raw) < size,
         "a client that reads nothing is cut after http_send_timeout (server side %s; %d of %d bytes "
         "were queued)" % (st, len(raw), size))

    # a slow player that keeps reading: 16 KB/s for 9 s (three send timeouts)
    s = connect(srv, rcvbuf=4096)
    s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    t0, got, cut = time.time(), 0, False
    s.settimeout(3)
    while time.time() - t0 < 9:
        try:
            c = s.recv(4096)
        except OSError:
            cut = True
            break
        if not c:
            cut = True
            break
        got += len(c)
        time.sleep(0.25)
    st = server_side_state(srv, s)
    s.close()
    t.ok(not cut and st == "ESTABLISHED" and got > 64 * 1024,
         "a player reading 16 KB/s is never cut (%d bytes in 9 s; server side %s)" % (got, st))

    # a deferred answer that never comes: a Connect device that does not answer
    dev = FakeDevice(srv.port, tok, "dev-mute", answer=False).connect()
    t0 = time.time()
    r = srv.request("PUT", "/v1/me/player/volume?volume_percent=20&device_id=dev-mute", token=tok)
    el = time.time() - t0
    t.ok(r.status == 503 and el < 4.5, "an answer a device never gives: 503 after "
         "http_deferred_timeout (%.1f s)" % el, r)
    dev.close()

    # the WebSocket handshake done, then silence: the heartbeat ends it
    s = connect(srv)
    s.sendall(b"GET /v1/connect HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
              b"Sec-WebSocket-Protocol: segue-connect.v1\r\nAuthorization: Bearer " + tok.encode() + b"\r\n\r\n")
    el = closed_within(s, 8)
    s.close()
    t.ok(el is not None and el < 5, "a WebSocket that says nothing after its handshake is closed (%s s)" % el)

    t.eq(srv.get("/healthz").status, 200, "the server is healthy after all that")
t.done()
