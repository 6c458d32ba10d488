"""The daemon's control socket under load and neglect: a client that pipelines 20,000
requests gets all 20,000 answers, in order (the daemon stops reading while 256 KiB of answers
wait); a subscriber that does not read is dropped at 8 MiB of unread events, not left open
with events silently lost; a connection that says nothing is closed after
control_idle_timeout; and 64 idle connections do not lock other commands out."""

import json
import select
import socket
import threading
import time

from segue_test import TAP, Server, catalog_copy, wait_for
from segue_client import Client

t = TAP()
data = catalog_copy()
IDLE = 5


def connect(c, timeout=30):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    for _ in range(100):  # a full listen backlog says EAGAIN: the daemon accepts soon
        try:
            s.connect(c.sock_path)
            return s
        except BlockingIOError:
            time.sleep(0.02)
    raise RuntimeError("cannot connect to the daemon")


def hung_up(s):
    """Whether the daemon has closed s, without reading what waits in it."""
    p = select.poll()
    p.register(s, select.POLLHUP)
    return any(ev & (select.POLLHUP | select.POLLERR) for _, ev in p.poll(0))


def closed_by_daemon(s, timeout):
    """Whether the daemon closes s within timeout seconds (what it sent first is read and
    dropped)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        s.settimeout(max(0.05, deadline - time.time()))
        try:
            if not s.recv(1 << 20):
                return True
        except socket.timeout:
            return False
        except OSError:
            return True
    return False


srv = Server(data).start()
c = Client(srv.base, conf={"control_idle_timeout": IDLE})
try:
    rc, out, err = c.login("premium-us")
    t.eq(rc, 0, "logged in", err)
    rc, out, err = c.start_daemon()
    t.eq(rc, 0, "the daemon starts", err)

    # --- pipelining: every answer comes, in order --------------------------------------------
    def pipeline(n, argv):
        s = connect(c)
        lines = b"".join(json.dumps({"id": i, "argv": argv}).encode() + b"\n" for i in range(n))
        wrote = threading.Event()
        failed = []

        def writer():
            try:
                s.sendall(lines)
            except OSError as e:
                failed.append(e)
            wrote.set()

        threading.Thread(target=writer, daemon=True).start()
        # The reader starts late: an old daemon read every request at once and let the
        # answers past 8 MiB fall; this one waits for them to be read. (Well within
        # control_idle_timeout: a client that takes nothing for that long is closed.)
        wrote.wait(2)
        ids, buf, size = [], b"", 0
        deadline = time.time() + 90
        s.settimeout(5)
        while len(ids) < n and time.time() < deadline:
            try:
                chunk = s.recv(1 << 20)
            except socket.timeout:
                break
            if not chunk:
                break
            size += len(chunk)
            buf += chunk
            *done, buf = buf.split(b"\n")
            ids += [json.loads(x)["id"] for x in done]
        s.close()
        what = " ".join(argv)
        t.eq(len(ids), n, "%d pipelined %s requests get %d answers (%.1f MiB)" % (n, what, len(ids), size / 2**20))
        t.ok(ids == list(range(len(ids))), "in request order")
        t.ok(not failed, "and the writer was never cut off", failed)

    pipeline(20000, ["status"])
    pipeline(3000, ["help"])  # 11 KiB answers: 32 MiB in all

    # --- a subscriber that does not read is dropped at the output bound -----------------------
    sub = connect(c)
    sub.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sub.sendall(b'{"id":1,"subscribe":true}\n')
    time.sleep(0.2)
    drv = c.connect()
    r = drv.call("help")
    t.ok(r.get("ok"), "another connection works beside it")
    # Volume changes publish the player state to subscribers: enough to pass 8 MiB.
    n = 0
    t0 = time.time()
    while time.time() - t0 < 60 and n < 60000:
        batch = b"".join(json.dumps({"id": n + k, "argv": ["volume", str((n + k) % 90 + 5)]}).encode() + b"\n"
                         for k in range(500))
        drv.send_raw(batch)
        for k in range(500):
            drv.read(30)
        n += 500
        if hung_up(sub):
            break
    gone = wait_for(lambda: hung_up(sub), 10)
    t.ok(gone, "a subscriber that reads nothing is dropped (after %d state changes)" % n)
    sub.close()
    drv.close()

    # --- an idle connection is closed after control_idle_timeout; a subscriber is not ----------
    quiet = connect(c)
    listener = c.connect()
    r = listener.request({"id": 1, "subscribe": True})
    t.ok(r.get("ok"), "a subscriber subscribes")
    t0 = time.time()
    t.ok(closed_by_daemon(quiet, IDLE + 3), "a silent connection is closed after %d s" % IDLE)
    t.ok(time.time() - t0 >= IDLE - 0.5, "not before (%.1f s)" % (time.time() - t0))
    r = listener.call("help")
    t.ok(r.get("ok"), "the subscriber, as silent, is still served after %.1f s" % (time.time() - t0))
    listener.close()
    quiet.close()

    # --- 64 idle connections do not lock commands out ----------------------------------------
    idle = [connect(c) for _ in range(64)]
    time.sleep(0.3)
    t0 = time.time()
    rc, doc, err = c.json("status")
    t.ok(rc == 0 and doc is not None, "with 64 idle connections open, a command still works", err)
    t.ok(time.time() - t0 < IDLE - 1, "at once, not after the idle timeout (%.1f s)" % (time.time() - t0))
    dropped = sum(closed_by_daemon(x, 0.05) for x in idle)
    t.ok(dropped >= 1, "the connection idle longest made room (%d closed)" % dropped)
    for x in idle:
        x.close()

    # At most 32 may subscribe; the 33rd is told so and the others still get commands through.
    subs = [c.connect() for _ in range(33)]
    answers = [x.request({"id": 1, "subscribe": True}) for x in subs]
    t.eq([a.get("ok") for a in answers].count(True), 32, "32 connections may subscribe")
    t.ok("too many subscribers" in json.dumps(answers[-1]), "the 33rd is told why", answers[-1])
    rc, doc, err = c.json("status")
    t.ok(rc == 0, "commands still work beside 32 subscribers", err)
    for x in subs:
        x.close()
finally:
    c.stop()
    srv.stop()

t.done()
