"""WebSocket frames that lws handles without telling the hub are limited too: a flood of pings,
pongs or empty continuation fragments closes the session (1008), as a flood of messages does
(4008); an unmasked client frame closes it (1002, RFC 6455 5.1); frames sent before the
handshake was answered are refused (1002). A session within the limits is untouched: its pings
are answered and a message in fragments arrives whole. Driven over a raw socket, since a
WebSocket library will not send what a hostile client does."""

import base64
import json
import os
import socket
import sqlite3
import struct
import time

from segue_test import TAP, Server, catalog_copy
from ws_device import SUBPROTOCOL

t = TAP()
data = catalog_copy()


def frame(opcode, payload=b"", fin=True, masked=True):
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    m = 0x80 if masked else 0
    if n < 126:
        head += bytes([m | n])
    elif n < 65536:
        head += bytes([m | 126]) + struct.pack("!H", n)
    else:
        head += bytes([m | 127]) + struct.pack("!Q", n)
    if not masked:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i & 3] for i, b in enumerate(payload))


class Raw:
    def __init__(self, port, token, early=b""):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=5)
        key = base64.b64encode(os.urandom(16)).decode()
        req = ("GET /v1/connect HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
               "Sec-WebSocket-Protocol: %s\r\nAuthorization: Bearer %s\r\n\r\n"
               % (key, SUBPROTOCOL, token)).encode()
        self.s.sendall(req + early)
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.s.recv(4096)
            if not chunk:
                break
            self.buf += chunk
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        self.status = int(head.split(b" ")[1]) if head else 0

    def send(self, data):
        try:
            self.s.sendall(data)
            return True
        except OSError:
            return False

    def read_frame(self, timeout=5.0):
        """(opcode, payload), or None at the end of the stream or after timeout seconds."""
        deadline = time.time() + timeout
        while True:
            if len(self.buf) >= 2:
                n = self.buf[1] & 0x7f
                off = 2
                if n == 126:
                    n, off = (struct.unpack("!H", self.buf[2:4])[0], 4) if len(self.buf) >= 4 else (None, 0)
                elif n == 127:
                    n, off = (struct.unpack("!Q", self.buf[2:10])[0], 10) if len(self.buf) >= 10 else (None, 0)
                if n is not None and len(self.buf) >= off + n:
                    op, payload, self.buf = self.buf[0] & 0x0f, self.buf[off:off + n], self.buf[off + n:]
                    return op, payload
            left = deadline - time.time()
            if left <= 0:
                return None
            self.s.settimeout(left)
            try:
                chunk = self.s.recv(65536)
            except socket.timeout:
                return None
            except OSError:
                return None
            if not chunk:
                return None
            self.buf += chunk

    def close_code(self, timeout=5.0):
        """The code of the close frame the server sends (skipping others), or None."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            f = self.read_frame(deadline - time.time())
            if f is None:
                return None
            if f[0] == 8:
                return (struct.unpack("!H", f[1][:2])[0] if len(f[1]) >= 2 else 1005,
                        f[1][2:].decode(errors="replace"))
        return None

    def closed(self, timeout=5.0):
        """Whether the server closed the connection within timeout seconds."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.read_frame(deadline - time.time()) is None:
                return time.time() < deadline
        return False

    def close(self):
        self.s.close()


HELLO = json.dumps({"type": "hello", "device": {"id": "raw-1", "name": "Raw", "type": "computer",
                                               "volume_percent": 50}}).encode()

with Server(data) as srv:
    tok = srv.login("premium-us")

    # --- within the limits: pings answered, a fragmented hello arrives whole --------------
    c = Raw(srv.port, tok)
    t.eq(c.status, 101, "a raw client completes the handshake")
    third = len(HELLO) // 3
    c.send(frame(1, HELLO[:third], fin=False) + frame(0, HELLO[third:2 * third], fin=False) +
           frame(0, HELLO[2 * third:]))
    f = c.read_frame()
    t.ok(f and f[0] == 1 and json.loads(f[1]).get("type") == "welcome",
         "a hello in three fragments is welcomed", f)
    pongs = 0
    for i in range(3):  # 30 pings a second for three seconds: well within 200
        for k in range(30):
            c.send(frame(9, b"p%d" % k))
        deadline = time.time() + 1
        while time.time() < deadline:
            f = c.read_frame(deadline - time.time())
            if f is None:
                break
            pongs += f[0] == 10
    t.ok(pongs >= 3, "pings within the budget are answered (%d pongs)" % pongs)
    c.send(frame(1, b'{"type":"ping"}'))
    f = c.read_frame()
    while f and f[0] != 1:
        f = c.read_frame()
    t.ok(f and json.loads(f[1]).get("type") == "pong", "and the session is still open", f)
    c.close()

    # --- a ping flood -------------------------------------------------------------------------
    c = Raw(srv.port, tok)
    t0 = time.time()
    c.send(b"".join(frame(9, b"x") for _ in range(2000)))
    code = c.close_code()
    t.ok(code and code[0] == 1008, "2,000 pings at once close the session with 1008", code)
    t.ok(code and "200 a second" in code[1], "saying what the limit is", code)
    t.ok(c.closed(), "and the connection ends")
    t.ok(time.time() - t0 < 5, "promptly")
    c.close()

    # Pongs count as well: they are control frames nobody asked for.
    c = Raw(srv.port, tok)
    c.send(b"".join(frame(10) for _ in range(500)))
    code = c.close_code()
    t.ok(code and code[0] == 1008, "500 unsolicited pongs close the session with 1008", code)
    c.close()

    # --- empty continuation frames -------------------------------------------------------------
    c = Raw(srv.port, tok)
    c.send(frame(1, HELLO))
    c.read_frame()
    c.send(frame(1, b'{"type":', fin=False) + b"".join(frame(0, b"", fin=False) for _ in range(1000)))
    code = c.close_code()
    t.ok(code and code[0] == 1008, "1,000 empty continuation fragments close the session with 1008", code)
    c.close()

    # --- an unmasked frame ----------------------------------------------------------------------
    c = Raw(srv.port, tok)
    c.send(frame(1, HELLO, masked=False))
    code = c.close_code()
    t.ok(code and code[0] == 1002, "an unmasked client frame closes the session with 1002", code)
    t.ok(code and "masked" in code[1], "saying why", code)
    c.close()
    c = Raw(srv.port, tok)
    c.send(frame(9, b"", masked=False))
    code = c.close_code()
    t.ok(code and code[0] == 1002, "an unmasked ping too", code)
    c.close()

    # --- frames before the handshake's answer ---------------------------------------------------
    c = Raw(srv.port, tok, early=frame(1, HELLO))
    code = c.close_code()
    t.ok(code and code[0] == 1002, "frames sent with the handshake request are refused with 1002",
         (c.status, code))
    c.close()

    # --- a WebSocket on a connection that was kept alive for HTTP first -----------------------
    # The audio quick path (http/quick.c) reads a kept-alive connection's requests before lws
    # does; once the connection is a WebSocket, its bytes are frames (connect/wsguard.c reads
    # them instead, and the upgrade also takes the connection off the quick path): bytes
    # spelling a request are a bad frame, never answered with audio.
    track = sqlite3.connect(os.path.join(data, "segue.db")).execute(
        "SELECT id FROM tracks WHERE markets IS NULL OR markets = '' OR markets LIKE '%US%' LIMIT 1").fetchone()[0]
    url = (srv.get("/v1/segue/playback/%s?quality=low" % track, token=tok).json() or {})["urls"]["low"]
    audio = url[url.index("/audio/"):].encode()
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    got = b""
    while b"\r\n\r\n" not in got:
        got += s.recv(4096)
    head, _, body = got.partition(b"\r\n\r\n")
    length = int(next(ln.split(b":")[1] for ln in head.split(b"\r\n") if ln.lower().startswith(b"content-length:")))
    while len(body) < length:
        body += s.recv(4096)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET /v1/connect HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
               "Sec-WebSocket-Protocol: %s\r\nAuthorization: Bearer %s\r\n\r\n"
               % (key, SUBPROTOCOL, tok)).encode())
    got = b""
    while b"\r\n\r\n" not in got:
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
    upgraded = got.startswith(b"HTTP/1.1 101")
    s.sendall(b"GET " + audio + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nRange: bytes=0-99\r\n\r\n")
    after = got.partition(b"\r\n\r\n")[2]
    s.settimeout(2)
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            after += chunk
    except OSError:
        pass
    s.close()
    t.ok(upgraded and b"HTTP/1.1 2" not in after and b"OggS" not in after,
         "a WebSocket after an HTTP exchange on its connection: a request spelt into it is not "
         "answered with audio", (got[:40], after[:80]))

    # The flood hurt no one else: a normal session still works.
    c = Raw(srv.port, tok)
    c.send(frame(1, HELLO))
    f = c.read_frame()
    t.ok(f and f[0] == 1 and json.loads(f[1]).get("type") == "welcome", "a new session is welcomed", f)
    c.close()

t.done()
