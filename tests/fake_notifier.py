"""A stand-in desktop notification server for the tests: it owns org.freedesktop.Notifications
on the session bus and answers Notify with a fresh id, writing one line per call
(replaces_id, summary, body) to a file, so a test sees what a desktop would have shown and
that each notification replaces the last. Python has no D-Bus binding on Debian's base
system, so this speaks the wire protocol itself (only what Notify needs: little-endian
messages, the EXTERNAL authentication, strings and integers).

    python3 fake_notifier.py OUT_FILE [CAPABILITIES]   (DBUS_SESSION_BUS_ADDRESS names the bus)

CAPABILITIES, comma-separated, is what GetCapabilities answers (default body,body-markup)."""

import os
import socket
import struct
import sys


def connect(address):
    for part in address.split(";"):
        kind, _, rest = part.partition(":")
        if kind != "unix":
            continue
        kv = dict(x.split("=", 1) for x in rest.split(",") if "=" in x)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if "path" in kv:
            s.connect(kv["path"])
        elif "abstract" in kv:
            s.connect("\0" + kv["abstract"])
        else:
            continue
        return s
    raise SystemExit("fake_notifier: no unix address in %r" % address)


class Writer:
    def __init__(self):
        self.b = bytearray()

    def pad(self, n):
        while len(self.b) % n:
            self.b.append(0)

    def u(self, v):
        self.pad(4)
        self.b += struct.pack("<I", v)

    def s(self, v):
        data = v.encode()
        self.u(len(data))
        self.b += data + b"\0"

    def g(self, v):
        self.b += bytes([len(v)]) + v.encode() + b"\0"


def message(kind, serial, fields, sig="", body=b""):
    """kind 1 call, 2 return; fields [(code, type, value)]."""
    w = Writer()
    w.b += b"l" + bytes([kind, 0, 1])
    w.u(len(body))
    w.u(serial)
    f = Writer()
    for code, typ, val in fields:
        f.pad(8)
        f.b.append(code)
        f.g(typ)
        getattr(f, typ if typ != "o" else "s")(val)
    if sig:
        f.pad(8)
        f.b.append(8)
        f.g("g")
        f.g(sig)
    w.u(len(f.b))
    w.b += f.b
    w.pad(8)
    return bytes(w.b) + body


class Reader:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def need(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk

    def message(self):
        self.need(16)
        if self.buf[0:1] != b"l":
            raise SystemExit("fake_notifier: big-endian messages are not handled")
        kind = self.buf[1]
        blen, serial, flen = struct.unpack_from("<III", self.buf, 4)
        hlen = 16 + flen + (-(16 + flen) % 8)
        self.need(hlen + blen)
        fields, pos = {}, 16
        while pos < 16 + flen:
            pos += -pos % 8
            code = self.buf[pos]
            glen = self.buf[pos + 1]
            typ = self.buf[pos + 2:pos + 2 + glen].decode()
            pos += 3 + glen
            if typ in ("s", "o"):
                pos += -pos % 4
                n = struct.unpack_from("<I", self.buf, pos)[0]
                val = self.buf[pos + 4:pos + 4 + n].decode()
                pos += 5 + n
            elif typ == "g":
                n = self.buf[pos]
                val = self.buf[pos + 1:pos + 1 + n].decode()
                pos += 2 + n
            else:  # u
                pos += -pos % 4
                val = struct.unpack_from("<I", self.buf, pos)[0]
                pos += 4
            fields[code] = val
        body = self.buf[hlen:hlen + blen]
        self.buf = self.buf[hlen + blen:]
        return kind, serial, fields, body


def strings_and_uint(body, sig):
    """The leading s and u values of a body (enough for Notify's first five)."""
    out, pos = [], 0
    for c in sig:
        pos += -pos % 4
        if c == "s":
            n = struct.unpack_from("<I", body, pos)[0]
            out.append(body[pos + 4:pos + 4 + n].decode())
            pos += 5 + n
        elif c == "u":
            out.append(struct.unpack_from("<I", body, pos)[0])
            pos += 4
    return out


def main():
    out_path = sys.argv[1]
    caps = (sys.argv[2] if len(sys.argv) > 2 else "body,body-markup").split(",")
    sock = connect(os.environ["DBUS_SESSION_BUS_ADDRESS"])
    sock.sendall(b"\0AUTH EXTERNAL " + str(os.getuid()).encode().hex().encode() + b"\r\n")
    reply = b""
    while b"\r\n" not in reply:
        reply += sock.recv(4096)
    if not reply.startswith(b"OK"):
        raise SystemExit("fake_notifier: the bus refused us: %r" % reply)
    sock.sendall(b"BEGIN\r\n")
    bus = [(1, "o", "/org/freedesktop/DBus"), (6, "s", "org.freedesktop.DBus"),
           (2, "s", "org.freedesktop.DBus")]
    sock.sendall(message(1, 1, bus + [(3, "s", "Hello")]))
    w = Writer()
    w.s("org.freedesktop.Notifications")
    w.u(4)  # DBUS_NAME_FLAG_DO_NOT_QUEUE
    sock.sendall(message(1, 2, bus + [(3, "s", "RequestName")], "su", bytes(w.b)))
    r = Reader(sock)
    serial, next_id = 3, 0
    while True:
        try:
            kind, ser, fields, body = r.message()
        except EOFError:
            return
        if kind == 2 and fields.get(5) == 2:
            # The name is ours: say so to whoever waits for the file.
            with open(out_path, "a") as f:
                f.write("ready\n")
            continue
        if kind != 1 or fields.get(2) != "org.freedesktop.Notifications":
            continue
        member, sender = fields.get(3), fields.get(7)
        if member == "GetCapabilities":
            items = Writer()
            for c in caps:
                items.s(c)
            w = Writer()
            w.u(len(items.b))
            w.b += items.b
            sock.sendall(message(2, serial, [(5, "u", ser), (6, "s", sender)], "as", bytes(w.b)))
            serial += 1
            with open(out_path, "a") as f:
                f.write("GetCapabilities\n")
        if member == "Notify":
            app, replaces, _icon, summary, body_text = strings_and_uint(body, "susss")
            next_id += 1
            with open(out_path, "a") as f:
                f.write("Notify replaces=%d app=%s summary=%s body=%s -> %d\n"
                        % (replaces, app, summary, body_text, next_id))
            w = Writer()
            w.u(next_id)
            sock.sendall(message(2, serial, [(5, "u", ser), (6, "s", sender)], "u", bytes(w.b)))
            serial += 1


if __name__ == "__main__":
    main()
