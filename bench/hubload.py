"""Connect hub capacity: the measuring half of `bench/connect.sh hub`, which makes the users and
starts the server, then runs this (Debian's python3: python3-websockets). Prints the figures.

  hubload.py run --port P --pid SERVER_PID --users U --per-user D --workdir DIR [...]
  hubload.py run --port P1,P2,... --pid PID1,PID2,... ...   (several instances, one database)
  hubload.py worker SPEC_FILE          (started by run: one load-generator process)

run logs every user in (POST /api/token, password grant), splits the U x D fake devices over
--workers processes (whole users to each; RLIMIT_NOFILE raised to the hard limit in each),
each opening at most --concurrency handshakes at a time, and waits until every device has its
welcome, --connect-timeout s at the most: past that it stops connecting and takes the figures
with the devices connected by then (said so in the output). A fake device (one WebSocket
connection, no compression, see Dev and DevProto) says hello (asking for device_deltas, as
segue does; --whole-lists: not, as an older client, which the hub sends the whole device list on
every change), then sends {"type": "ping"}
every heartbeat_ms of the welcome (the first at a random point of the first interval, then
every 0.9-1.0 interval: jitter, never late for the hub's three-interval timeout) and times each
pong. Device 0 of the first --active users also reports a playing state (so it is the active
device: the hub routes commands to it and broadcasts each of its states to the user's D
devices) and answers the hub's commands like a player: pause/resume -> a state, then the result.

Then, all connected:
  steady   --window s of heartbeats only (after --settle s): the server's CPU (utime+stime of
           /proc/PID/stat over the window, % of one core; the hub runs on one service thread),
           its VmRSS (/proc/PID/status) before any device, all connected and at the window's
           end, the ping -> pong round trips in the devices, the sessions that closed, and the
           load generators' own CPU (they must not be what sets the pace).
  commands under that load (heartbeats go on): one observer session per active user
           (python3-websockets) sends --commands `command` messages (pause / resume in turn, no
           device_id: to the active device), one at a time round-robin over the users, timing
           send -> `result`; then --rest REST round trips, PUT /v1/me/player/pause and PUT
           /v1/me/player/play in turn (a keep-alive connection per user), timing request -> 204.
           The server's CPU over this phase too. (Each phase stops after 20 s / 15 s.)
p50/p99 by nearest rank. Every phase is bounded; the workers end with run (killed if they
linger).

Several instances (--port and --pid lists, alike in length): user number i connects all its
devices, its observer and its REST calls to instance i mod N (a user's devices together, as a
load balancer that keeps a user on one instance would have them: Connect across instances is
bench/instances.py's measure); the CPU, RSS and descriptors are the instances' summed."""

import argparse
import asyncio
import base64
import hashlib
import json
import math
import os
import random
import resource
import signal
import sys
import time
import urllib.parse
import urllib.request

import websockets
import websockets.exceptions as wse

SUBPROTOCOL = "segue-connect.v1"
PASSWORD = "bench-password"


def pct(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[max(0, math.ceil(p / 100 * len(xs)) - 1)]


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def now_ms():
    return int(time.time() * 1000)


async def ws_open(port, token):
    return await websockets.connect("ws://127.0.0.1:%d/v1/connect" % port, subprotocols=[SUBPROTOCOL],
                                    extra_headers={"Authorization": "Bearer " + token}, max_size=8 << 20,
                                    compression=None, ping_interval=None, open_timeout=60, close_timeout=2,
                                    max_queue=256)


def fake_track(n):
    tid = ("benchtrack%012d" % n)[:22]
    return {"id": tid, "uri": "segue:track:" + tid, "type": "track", "name": "Bench track %d" % n,
            "duration_ms": 240000, "artists": [{"id": "benchartist0000000000", "name": "Bench"}],
            "album": {"id": "benchalbum0000000000000", "name": "Bench album"}}


# --- worker: the fake devices -------------------------------------------------------------
#
# The devices speak WebSocket themselves (RFC 6455 over an asyncio Protocol): the bulk of what
# the hub sends them (the `devices` and `player` broadcasts) is counted and skipped by its first
# bytes without being decoded, so that 2,500 of them per process cost little CPU next to the
# server's. (python3-websockets decodes every message into a str and costs several times more:
# with it the load generators, not the hub, set the pace of the connect phase.) The controller
# in `run`, whose round trips are the figures, uses python3-websockets.

class HandshakeError(Exception):
    pass


def ws_frame(payload, opcode=1):
    """A masked client frame (RFC 6455 5.3)."""
    n = len(payload)
    key = os.urandom(4)
    if n < 126:
        head = bytes((0x80 | opcode, 0x80 | n))
    elif n < 65536:
        head = bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 0x80 | 127)) + n.to_bytes(8, "big")
    if n:
        k = (key * (n // 4 + 1))[:n]
        payload = (int.from_bytes(payload, "big") ^ int.from_bytes(k, "big")).to_bytes(n, "big")
    return head + key + payload


class Dev:
    __slots__ = ("user", "token", "id", "active", "proto", "welcomed", "ping_at", "rtts", "msgs", "bytes",
                 "playing", "pos", "pos_ts", "item", "closed", "commands", "hb", "timer")

    def __init__(self, spec):
        self.user, self.token, self.id, self.active = spec["user"], spec["token"], spec["id"], spec["active"]
        self.proto = None
        self.welcomed = False
        self.ping_at = None
        self.rtts = []
        self.msgs = 0
        self.bytes = 0
        self.playing = True
        self.pos = 1000
        self.pos_ts = now_ms()
        self.item = fake_track(int(self.user[1:]) if self.user[1:].isdigit() else 0)
        self.closed = None
        self.commands = 0
        self.hb = 5.0
        self.timer = None

    def position(self):
        return self.pos + (now_ms() - self.pos_ts if self.playing else 0)

    def state(self):
        return {"device": {"id": self.id, "name": self.id, "type": "speaker", "is_active": True,
                           "is_private_session": False, "is_restricted": False, "volume_percent": 50,
                           "supports_volume": True},
                "repeat_state": "off", "shuffle_state": False, "context": None, "timestamp": now_ms(),
                "progress_ms": self.position(), "is_playing": self.playing, "item": self.item,
                "currently_playing_type": "track"}

    def queue(self):
        return {"context_uri": None, "tracks": [self.item["id"]], "order": [0], "pos": 0, "user": [],
                "current": self.item["id"], "current_is_user": False, "shuffle": False, "repeat": "off"}

    def send(self, obj):
        if self.proto is not None:
            self.proto.send_text(obj if isinstance(obj, str) else json.dumps(obj))


class DevProto(asyncio.Protocol):
    """One device's WebSocket connection."""

    def __init__(self, worker, dev):
        self.w, self.d = worker, dev
        loop = asyncio.get_running_loop()
        self.handshake = loop.create_future()
        self.welcome = loop.create_future()
        self.key = base64.b64encode(os.urandom(16)).decode()
        self.buf = bytearray()
        self.upgraded = False
        self.tr = None
        self.close_code = None
        self.close_reason = ""

    def connection_made(self, tr):
        self.tr = tr
        tr.write(("GET /v1/connect HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: %s\r\n"
                  "Authorization: Bearer %s\r\n\r\n" % (self.w.port, self.key, SUBPROTOCOL, self.d.token)).encode())

    def send_text(self, text):
        if self.tr is not None and not self.tr.is_closing():
            self.tr.write(ws_frame(text.encode()))

    def fail(self, exc):
        for f in (self.handshake, self.welcome):
            if not f.done():
                f.set_exception(exc)
                f.exception()  # retrieved: no "never retrieved" noise when the other is awaited

    def connection_lost(self, exc):
        self.fail(ConnectionError("closed %s %s" % (self.close_code, self.close_reason) if self.close_code
                                  else "the connection was lost (%s)" % (exc or "EOF")))
        d = self.d
        if d.proto is self and d.welcomed and d.closed is None:
            d.closed = (self.close_code or 1006, self.close_reason)
            self.w.closed += 1
            if d.timer:
                d.timer.cancel()

    def data_received(self, data):
        self.d.bytes += len(data)
        buf = self.buf
        buf += data
        if not self.upgraded:
            i = buf.find(b"\r\n\r\n")
            if i < 0:
                if len(buf) > 65536:
                    self.fail(HandshakeError("no end of the handshake answer"))
                    self.tr.abort()
                return
            head = bytes(buf[:i]).decode("latin-1").split("\r\n")
            del buf[:i + 4]
            hdr = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in head[1:])}
            want = base64.b64encode(hashlib.sha1((self.key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode())
                                    .digest()).decode()
            status = head[0].split(" ", 2)
            if len(status) < 2 or status[1] != "101":
                self.fail(HandshakeError("HTTP %s" % (status[1] if len(status) > 1 else head[0][:40])))
                self.tr.abort()
                return
            if hdr.get("sec-websocket-accept") != want or hdr.get("sec-websocket-protocol") != SUBPROTOCOL:
                self.fail(HandshakeError("a bad 101 (accept or subprotocol)"))
                self.tr.abort()
                return
            self.upgraded = True
            self.handshake.set_result(time.time())
        pos, n = 0, len(buf)
        while n - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            ln, hl = b1 & 0x7F, 2
            if ln == 126:
                if n - pos < 4:
                    break
                ln, hl = int.from_bytes(buf[pos + 2:pos + 4], "big"), 4
            elif ln == 127:
                if n - pos < 10:
                    break
                ln, hl = int.from_bytes(buf[pos + 2:pos + 10], "big"), 10
            if n - pos < hl + ln:
                break
            start = pos + hl
            pos = start + ln
            self.frame(b0 & 0x0F, b0 & 0x80, buf, start, ln)
        del buf[:pos]

    def frame(self, op, fin, buf, start, ln):
        d = self.d
        if op == 1 or op == 0:
            if fin:
                d.msgs += 1
            if op == 0:
                return  # a continuation: the hub sends whole messages; nothing we need is long
            head = bytes(buf[start:start + 24])
            if head.startswith(b'{"type":"pong"'):
                if d.ping_at is not None:
                    d.rtts.append((time.perf_counter() - d.ping_at) * 1000)
                    d.ping_at = None
            elif head.startswith(b'{"type":"device') or head.startswith(b'{"type":"player"'):
                pass
            elif head.startswith(b'{"type":"welcome"'):
                if not self.welcome.done():
                    self.welcome.set_result((time.time(), json.loads(bytes(buf[start:start + ln]))))
            else:
                m = json.loads(bytes(buf[start:start + ln]))
                if m.get("type") == "command":
                    self.w.on_command(d, m)
        elif op == 8:
            self.close_code = int.from_bytes(buf[start:start + 2], "big") if ln >= 2 else 1005
            self.close_reason = bytes(buf[start + 2:start + ln]).decode(errors="replace")
            if self.tr and not self.tr.is_closing():
                self.tr.write(ws_frame(bytes(buf[start:start + min(ln, 2)]), 8))
                self.tr.close()
        elif op == 9:
            if self.tr and not self.tr.is_closing():
                self.tr.write(ws_frame(bytes(buf[start:start + ln]), 10))


class Worker:
    def __init__(self, spec):
        self.port = spec["port"]
        self.concurrency = spec["concurrency"]
        self.capabilities = spec.get("capabilities", [])
        self.devs = [Dev(d) for d in spec["devices"]]
        self.failures = {}
        self.attempts = 0
        self.connected = 0
        self.closed = 0
        self.t_first = None
        self.t_last = None
        self.handshake_ms = []
        self.welcome_ms = []
        self.rnd = random.Random(spec["seed"])
        self.connecting = None

    def out(self, **kw):
        sys.stdout.write(json.dumps(kw) + "\n")
        sys.stdout.flush()

    async def connect_one(self, d, sem):
        loop = asyncio.get_running_loop()
        for attempt in range(5):
            async with sem:
                self.attempts += 1
                t0 = time.time()
                if self.t_first is None:
                    self.t_first = t0
                try:
                    _, proto = await asyncio.wait_for(
                        loop.create_connection(lambda: DevProto(self, d), "127.0.0.1", self.port), 60)
                    d.proto = proto
                    t1 = await asyncio.wait_for(proto.handshake, 60)
                    d.send({"type": "hello", "device": {"id": d.id, "name": d.id, "type": "speaker",
                                                        "volume_percent": 50},
                            "capabilities": self.capabilities})
                    t2, w = await asyncio.wait_for(proto.welcome, 60)
                except asyncio.CancelledError:
                    # halted (run's connect time is up): this one is not made
                    if d.proto is not None and d.proto.tr is not None:
                        d.proto.tr.abort()
                    d.proto = None
                    raise
                except Exception as e:  # noqa: BLE001 - every failure is counted by its kind
                    why = "%s: %s" % (type(e).__name__, str(e)[:120])
                    self.failures[why] = self.failures.get(why, 0) + 1
                    if d.proto is not None and d.proto.tr is not None:
                        d.proto.tr.abort()
                    d.proto = None
                    await asyncio.sleep(0.5 * (attempt + 1))
                    continue
            d.hb = (w.get("heartbeat_ms") or 5000) / 1000.0
            d.welcomed = True
            self.handshake_ms.append((t1 - t0) * 1000)
            self.welcome_ms.append((t2 - t0) * 1000)
            self.connected += 1
            self.t_last = t2
            if d.active:
                d.send({"type": "state", "state": d.state(), "queue": d.queue()})
            d.timer = loop.call_later(self.rnd.uniform(0, d.hb), self.ping, d)
            return
        self.out(ev="gave_up", id=d.id)

    def ping(self, d):
        if d.closed or d.proto is None:
            return
        d.ping_at = time.perf_counter()
        d.send('{"type":"ping"}')
        d.timer = asyncio.get_running_loop().call_later(d.hb * self.rnd.uniform(0.9, 1.0), self.ping, d)

    def on_command(self, d, m):
        c, cid = m.get("command"), m.get("id")
        d.commands += 1
        if c == "stop":
            d.pos, d.pos_ts, d.playing = d.position(), now_ms(), False
            return
        if c in ("pause", "resume"):
            d.pos, d.pos_ts, d.playing = d.position(), now_ms(), c == "resume"
        elif c == "transfer_out":
            was = d.playing
            d.pos, d.pos_ts, d.playing = d.position(), now_ms(), False
            d.send({"type": "result", "id": cid, "ok": True, "state": dict(d.state(), is_playing=was),
                    "queue": d.queue()})
            return
        elif c == "transfer_in":
            d.pos, d.pos_ts, d.playing = m.get("position_ms") or 0, now_ms(), bool(m.get("play"))
        # The state that reflects it before the result (doc/connect.md, Ordering).
        d.send({"type": "state", "state": d.state()})
        d.send({"type": "result", "id": cid, "ok": True})

    async def control(self):
        """Lines from run on stdin: halt (stop connecting: the time is up), mark (forget the
        pong times so far), report, quit."""
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        while True:
            line = (await reader.readline()).decode().strip()
            if line in ("", "quit"):
                return
            if line == "halt":
                if self.connecting is not None and not self.connecting.done():
                    self.connecting.cancel()
            elif line == "mark":
                for d in self.devs:
                    d.rtts = []
                self.out(ev="marked")
            elif line == "report":
                rtts = [x for d in self.devs for x in d.rtts]
                reasons = {}
                for d in self.devs:
                    if d.closed:
                        k = "%s %s" % d.closed
                        reasons[k] = reasons.get(k, 0) + 1
                self.out(ev="report", rtts=[round(x, 3) for x in rtts], closed=self.closed, close_reasons=reasons,
                         msgs=sum(d.msgs for d in self.devs), bytes=sum(d.bytes for d in self.devs),
                         commands=sum(d.commands for d in self.devs),
                         open=sum(1 for d in self.devs if d.welcomed and not d.closed))

    async def connect_all(self):
        sem = asyncio.Semaphore(self.concurrency)
        prog = asyncio.ensure_future(self.progress())
        self.connecting = asyncio.gather(*(self.connect_one(d, sem) for d in self.devs))
        try:
            await self.connecting
        except asyncio.CancelledError:
            pass  # halted: the devices connected so far stay
        prog.cancel()
        self.out(ev="ready", halted=self.connected < len(self.devs), connected=self.connected,
                 wanted=len(self.devs), attempts=self.attempts, failures=self.failures, t_first=self.t_first,
                 t_last=self.t_last, handshake_ms=[round(x, 2) for x in self.handshake_ms],
                 welcome_ms=[round(x, 2) for x in self.welcome_ms], msgs=sum(d.msgs for d in self.devs),
                 bytes=sum(d.bytes for d in self.devs))

    async def main(self):
        conn = asyncio.ensure_future(self.connect_all())
        await self.control()  # until quit (or run's end: EOF), connected or not
        conn.cancel()
        for d in self.devs:
            if d.timer:
                d.timer.cancel()
            if d.proto is not None and d.proto.tr is not None:
                d.proto.tr.abort()

    async def progress(self):
        while True:
            await asyncio.sleep(2)
            self.out(ev="progress", connected=self.connected, failures=self.failures)


def worker_main(path):
    nofile = raise_nofile()
    with open(path) as f:
        spec = json.load(f)
    if nofile[0] < len(spec["devices"]) + 64:
        print(json.dumps({"ev": "fatal", "error": "RLIMIT_NOFILE %d is too low for %d connections"
                                                   % (nofile[0], len(spec["devices"]))}), flush=True)
        sys.exit(1)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    asyncio.run(Worker(spec).main())


# --- run: the orchestrator -----------------------------------------------------------------

def proc_sample(pid):
    """One process's CPU ticks, RSS, peak RSS and descriptors; a list of pids: summed."""
    if isinstance(pid, list):
        ss = [proc_sample(p) for p in pid]
        return {"ticks": sum(x["ticks"] for x in ss), "rss_kb": sum(x["rss_kb"] for x in ss),
                "hwm_kb": sum(x["hwm_kb"] for x in ss), "t": ss[-1]["t"], "fds": sum(x["fds"] for x in ss)}
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    rss = hwm = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    return {"ticks": ticks, "rss_kb": rss, "hwm_kb": hwm, "t": time.perf_counter(),
            "fds": len(os.listdir("/proc/%d/fd" % pid))}


def cpu_pct(a, b):
    return (b["ticks"] - a["ticks"]) / os.sysconf("SC_CLK_TCK") / (b["t"] - a["t"]) * 100.0


def login(port, user):
    data = urllib.parse.urlencode({"grant_type": "password", "username": user, "password": PASSWORD}).encode()
    with urllib.request.urlopen("http://127.0.0.1:%d/api/token" % port, data=data, timeout=30) as r:
        return json.load(r)["access_token"]


class Run:
    def port_of(self, user):
        """The instance a user's devices, observer and REST calls go to (users are u000, u001...)."""
        return self.a.ports[int(user[1:]) % len(self.a.ports)]

    def __init__(self, a):
        self.a = a
        self.procs = []
        self.lines = []   # (worker index, message)
        self.cond = asyncio.Condition()

    def die(self, msg):
        print("hub: " + msg, file=sys.stderr)
        raise SystemExit(1)

    async def read_worker(self, i, p):
        while True:
            line = await p.stdout.readline()
            if not line:
                break
            try:
                m = json.loads(line)
            except ValueError:
                m = {"ev": "noise", "line": line.decode(errors="replace")[:200]}
            async with self.cond:
                self.lines.append((i, m))
                self.cond.notify_all()
        async with self.cond:
            self.lines.append((i, {"ev": "exit", "rc": await p.wait()}))
            self.cond.notify_all()

    async def wait_all(self, ev, since, timeout, on_progress=None):
        """The last message of kind ev from every worker after index since."""
        deadline = time.monotonic() + timeout
        async with self.cond:
            while True:
                got = {}
                for i, m in self.lines[since:]:
                    if m.get("ev") == ev:
                        got[i] = m
                    elif m.get("ev") in ("exit", "fatal"):
                        self.die("worker %d ended: %s (stderr in the work directory)" % (i, json.dumps(m)))
                if len(got) == len(self.procs):
                    return [got[i] for i in range(len(self.procs))]
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                try:
                    await asyncio.wait_for(self.cond.wait(), min(left, 2))
                except asyncio.TimeoutError:
                    pass
                if on_progress:
                    on_progress()

    def tell(self, what):
        for p in self.procs:
            try:
                p.stdin.write((what + "\n").encode())
            except (BrokenPipeError, ConnectionResetError):
                pass

    def connected_now(self):
        last = {}
        for i, m in self.lines:
            if m.get("ev") in ("progress", "ready"):
                last[i] = m["connected"]
        return sum(last.values())

    async def observers(self, users, tokens):
        """One observer session per user, opened side by side, each pinging every heartbeat (the
        hub drops a session silent for three); [ws, result queue, reader task, ping task]."""
        async def one(u):
            ws = await ws_open(self.port_of(u), tokens[u])
            await ws.send(json.dumps({"type": "hello", "observer": True}))
            while json.loads(await asyncio.wait_for(ws.recv(), 30)).get("type") != "welcome":
                pass
            q = asyncio.Queue()

            async def reader():
                try:
                    async for raw in ws:
                        if raw.startswith('{"type":"result"'):
                            await q.put((time.perf_counter(), json.loads(raw)))
                except wse.ConnectionClosed:
                    pass
                await q.put((time.perf_counter(), {"type": "closed", "code": ws.close_code, "reason": ws.close_reason}))

            async def beat():
                try:
                    while True:
                        await asyncio.sleep(self.a.heartbeat_ms / 1000.0 * 0.9)
                        await ws.send('{"type":"ping"}')
                except (wse.ConnectionClosed, asyncio.CancelledError):
                    pass

            return [ws, q, asyncio.ensure_future(reader()), asyncio.ensure_future(beat())]

        return await asyncio.gather(*(one(u) for u in users))

    async def commands(self, sessions, n):
        """n command round trips over WS, one at a time, round-robin over the sessions."""
        rtts, fails = [], {}
        playing = [True] * len(sessions)
        deadline = time.monotonic() + 20
        k = 0
        while k < n and time.monotonic() < deadline and any(s[0] is not None for s in sessions):
            j = k % len(sessions)
            ws, q = sessions[j][0], sessions[j][1]
            k += 1
            if ws is None:
                continue
            cmd = "pause" if playing[j] else "resume"
            cid = "c%d" % k
            t0 = time.perf_counter()
            try:
                await ws.send(json.dumps({"type": "command", "id": cid, "command": cmd}))
            except wse.ConnectionClosed:
                pass
            while True:
                try:
                    t1, m = await asyncio.wait_for(q.get(), 10)
                except asyncio.TimeoutError:
                    fails["no result in 10 s"] = fails.get("no result in 10 s", 0) + 1
                    break
                if m.get("type") == "closed":
                    why = "session closed %s %s" % (m.get("code"), m.get("reason") or "")
                    fails[why] = fails.get(why, 0) + 1
                    sessions[j][0] = None
                    break
                if m.get("id") == cid:
                    if m.get("ok"):
                        rtts.append((t1 - t0) * 1000)
                        playing[j] = not playing[j]
                    else:
                        r = (m.get("error") or {}).get("reason", "?")
                        fails[r] = fails.get(r, 0) + 1
                    break
        return rtts, fails

    async def close_observers(self, sessions):
        for ws, q, rd, bt in sessions:
            bt.cancel()
            rd.cancel()
        await asyncio.gather(*(s[0].close() for s in sessions if s[0] is not None), return_exceptions=True)

    def rest(self, users, tokens, n):
        """n REST round trips (pause / play in turn), a keep-alive connection per user."""
        import http.client
        conns = {u: http.client.HTTPConnection("127.0.0.1", self.port_of(u), timeout=15) for u in users}
        playing = {u: False for u in users}  # the WS phase ended each in some state: ask the hub
        for u in users:
            conns[u].request("GET", "/v1/me/player", headers={"Authorization": "Bearer " + tokens[u]})
            r = conns[u].getresponse()
            body = r.read()
            playing[u] = r.status == 200 and json.loads(body).get("is_playing", False)
        rtts, fails = [], {}
        deadline = time.monotonic() + 15
        for k in range(n if users else 0):  # --active 0: no device plays, nothing to command
            if time.monotonic() > deadline:
                break
            u = users[k % len(users)]
            path = "/v1/me/player/pause" if playing[u] else "/v1/me/player/play"
            t0 = time.perf_counter()
            try:
                conns[u].request("PUT", path, headers={"Authorization": "Bearer " + tokens[u], "Content-Length": "0"})
                r = conns[u].getresponse()
                r.read()
            except (OSError, http.client.HTTPException) as e:
                why = type(e).__name__
                fails[why] = fails.get(why, 0) + 1
                conns[u].close()
                conns[u] = http.client.HTTPConnection("127.0.0.1", self.port_of(u), timeout=15)
                continue
            t1 = time.perf_counter()
            if r.status == 204:
                rtts.append((t1 - t0) * 1000)
                playing[u] = not playing[u]
            else:
                fails[r.status] = fails.get(r.status, 0) + 1
        for c in conns.values():
            c.close()
        return rtts, fails

    async def main(self):
        a = self.a
        t_begin = time.monotonic()
        nofile = raise_nofile()
        users = ["u%03d" % i for i in range(a.users)]
        total = a.users * a.per_user

        # Tokens: the server checks passwords on its two worker threads.
        loop = asyncio.get_running_loop()
        t0 = time.perf_counter()
        sem = asyncio.Semaphore(8)

        async def one(u):
            async with sem:
                return await loop.run_in_executor(None, login, a.port, u)

        tokens = {}
        if a.tokens and os.path.exists(a.tokens):
            # "user token" lines from an earlier run over the same data directory
            with open(a.tokens) as f:
                tokens = dict(line.split() for line in f if line.strip())
        missing = [u for u in users if u not in tokens]
        tokens.update(zip(missing, await asyncio.gather(*(one(u) for u in missing))))
        if a.tokens and missing:
            with open(a.tokens, "w") as f:
                f.write("".join("%s %s\n" % (u, t) for u, t in tokens.items()))
        t_login = time.perf_counter() - t0
        srv0 = proc_sample(a.pid)

        # Whole users to each worker; device 0 of the first --active users plays.
        W = max(1, min(a.workers, a.users))
        specs = [[] for _ in range(W)]
        for ui, u in enumerate(users):
            for j in range(a.per_user):
                specs[ui % W].append({"user": u, "token": tokens[u], "id": "%s-d%03d" % (u, j),
                                      "active": j == 0 and ui < a.active, "port": self.port_of(u)})
        # Interleave each worker's devices by user, so that users fill up side by side.
        for w in range(W):
            specs[w].sort(key=lambda d: (d["id"].rsplit("-d", 1)[1], d["user"]))
            path = os.path.join(a.workdir, "worker%d.json" % w)
            with open(path, "w") as f:
                json.dump({"port": a.port, "concurrency": a.concurrency, "seed": w + 1, "sources": a.sources,
                           "devices": specs[w], "capabilities": [] if a.whole_lists else ["device_deltas"]}, f)
            err = open(os.path.join(a.workdir, "worker%d.err" % w), "w")
            cmd = [a.worker_cmd, path] if a.worker_cmd else [sys.executable, os.path.abspath(__file__), "worker", path]
            p = await asyncio.create_subprocess_exec(*cmd,
                                                     stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                                                     stderr=err, limit=1 << 26)
            self.procs.append(p)
            asyncio.ensure_future(self.read_worker(w, p))

        print("hub: %d devices = %d users x %d, %d load-generator processes (RLIMIT_NOFILE %d), heartbeat %d ms,"
              " %d active devices; logins took %.1f s" % (total, a.users, a.per_user, W, nofile[0], a.heartbeat_ms,
                                                           min(a.active, a.users), t_login))
        if len(a.ports) > 1:
            print("  %d server instances over one database, users spread round-robin; the servers' CPU, RSS and"
                  " descriptors below are their sums" % len(a.ports))
        sys.stdout.flush()
        last_print = [time.monotonic()]

        def progress():
            if time.monotonic() - last_print[0] >= 10:
                last_print[0] = time.monotonic()
                s = proc_sample(a.pid)
                print("  ... %d of %d connected (server RSS %.0f MiB, %d fds)"
                      % (self.connected_now(), total, s["rss_kb"] / 1024, s["fds"]))
                sys.stdout.flush()

        ready = await self.wait_all("ready", 0, a.connect_timeout, progress)
        halted = ready is None
        if halted:
            # The time is up: the devices connected so far stay, the rest are not made, and the
            # figures are taken with those (printed as such).
            mark = len(self.lines)
            self.tell("halt")
            ready = await self.wait_all("ready", mark, 30)
            if ready is None:
                self.die("the workers did not stop connecting")
        connected = sum(r["connected"] for r in ready)
        failures = {}
        for r in ready:
            for k, v in r["failures"].items():
                failures[k] = failures.get(k, 0) + v
        t_first = min(r["t_first"] for r in ready if r["t_first"])
        t_last = max(r["t_last"] for r in ready if r["t_last"])
        connect_s = t_last - t_first
        hs = [x for r in ready for x in r["handshake_ms"]]
        wel = [x for r in ready for x in r["welcome_ms"]]
        conn_bytes = sum(r["bytes"] for r in ready)
        conn_msgs = sum(r["msgs"] for r in ready)
        srv1 = proc_sample(a.pid)
        wk_ready = [proc_sample(p.pid) for p in self.procs]
        if connected < total:
            print("hub: only %d of %d devices connected%s; failures: %s; the figures below are with those %d"
                  % (connected, total, " within the %d s allowed (--connect-timeout)" % a.connect_timeout
                     if halted else "", json.dumps(failures) if failures else "none", connected))

        # The controller's sessions (for the command phase), then steady: heartbeats only.
        act = users[:min(a.active, a.users)]
        try:
            sessions = await asyncio.wait_for(self.observers(act, tokens), 60)
        except (asyncio.TimeoutError, OSError, wse.WebSocketException) as e:
            self.die("the controller's sessions could not be opened: %r" % e)
        await asyncio.sleep(a.settle)
        mark = len(self.lines)
        self.tell("mark")
        if await self.wait_all("marked", mark, 20) is None:
            self.die("the workers did not answer")
        w0 = proc_sample(a.pid)
        wk0 = [proc_sample(p.pid) for p in self.procs]
        await asyncio.sleep(a.window)
        w1 = proc_sample(a.pid)
        wk1 = [proc_sample(p.pid) for p in self.procs]
        mark = len(self.lines)
        self.tell("report")
        rep = await self.wait_all("report", mark, 30)
        if rep is None:
            self.die("the workers did not report")
        ping = [x for r in rep for x in r["rtts"]]
        open_after = sum(r["open"] for r in rep)
        closes = {}
        for r in rep:
            for k, v in r["close_reasons"].items():
                closes[k] = closes.get(k, 0) + v

        # Commands under that load.
        c0 = proc_sample(a.pid)
        ws_rtt, ws_fail = await self.commands(sessions, a.commands)
        await self.close_observers(sessions)
        rest_rtt, rest_fail = await loop.run_in_executor(None, self.rest, act, tokens, a.rest)
        c1 = proc_sample(a.pid)
        mark = len(self.lines)
        self.tell("report")
        rep2 = await self.wait_all("report", mark, 30)
        open_end = sum(r["open"] for r in rep2) if rep2 else -1
        cmds_seen = sum(r["commands"] for r in rep2) if rep2 else -1
        closes2 = {}
        for r in rep2 or []:
            for k, v in r["close_reasons"].items():
                closes2[k] = closes2.get(k, 0) + v
        self.tell("quit")

        # --- figures ---
        mib = lambda kb: kb / 1024.0
        clk = os.sysconf("SC_CLK_TCK")
        none = lambda d: json.dumps(d) if d else "none"

        def row(name, text):
            print("  %-56s %s" % (name, text))

        def dist(name, xs, what, fails=None, prec=2):
            f = "p50 %%.%df ms, p99 %%.%df ms, max %%.%df ms (%%d %%s%%s)" % (prec, prec, prec)
            row(name, f % (pct(xs, 50), pct(xs, 99), max(xs) if xs else float("nan"), len(xs), what,
                           ", failed: " + json.dumps(fails) if fails else ""))

        row("devices connected (welcome received)", "%d of %d%s" % (
            connected, total, ", then stopped: the %d s allowed were up" % a.connect_timeout if halted else ""))
        row("connect time, first handshake -> last welcome", "%.1f s (%.0f per s); %d attempts, failures: %s"
            % (connect_s, connected / connect_s if connect_s else 0, sum(r["attempts"] for r in ready), none(failures)))
        dist("   one device: TCP+handshake", hs, "devices", prec=1)
        dist("   one device: TCP -> welcome", wel, "devices", prec=1)
        row("   received by the devices while connecting", "%.1f MiB in %d messages (%.1f KiB per device; %s)"
            % (conn_bytes / 1048576.0, conn_msgs, conn_bytes / 1024.0 / max(connected, 1),
               "whole device lists" if a.whole_lists else "device-list deltas"))
        row("server RSS (VmRSS)", "%.1f MiB before any device, %.1f MiB all connected (%.1f KiB per device), %.1f MiB"
            " at the window's end (peak VmHWM %.1f MiB, counting the logins' password hashing: 64 MiB each); %d fds"
            " open" % (mib(srv0["rss_kb"]), mib(srv1["rss_kb"]), (srv1["rss_kb"] - srv0["rss_kb"]) / max(connected, 1),
                       mib(w1["rss_kb"]), mib(w1["hwm_kb"]), w1["fds"]))
        row("server CPU while connecting", "%.1f %% of a core over the whole connect phase (%.1f s of CPU; the load"
            " generators %.1f s)" % (cpu_pct(srv0, srv1), (srv1["ticks"] - srv0["ticks"]) / clk,
                                     sum(x["ticks"] for x in wk_ready) / clk))
        win = w1["t"] - w0["t"]
        steady = cpu_pct(w0, w1)
        row("server CPU, steady (heartbeats only)", "%.2f %% of a core (%.1f s window, %d pings/s: %.1f us of CPU"
            " per ping); load generators %.1f %% (all %d)"
            % (steady, win, round(len(ping) / win), (w1["ticks"] - w0["ticks"]) / clk * 1e6 / max(len(ping), 1),
               sum(cpu_pct(x, y) for x, y in zip(wk0, wk1)), len(wk0)))
        dist("ping -> pong in the devices, steady", ping, "pings")
        row("sessions", "%d open at the window's end; closed: %s" % (open_after, none(closes)))
        dist("WS command -> result (pause/resume to %d active devices)" % len(act), ws_rtt, "ok", ws_fail)
        dist("REST PUT /v1/me/player/pause|play -> 204", rest_rtt, "ok", rest_fail)
        row("server CPU during the command phase", "%.1f %% of a core over %.1f s (%d commands reached the devices)"
            % (cpu_pct(c0, c1), c1["t"] - c0["t"], cmds_seen))
        if open_end >= 0:
            row("sessions at the end", "%d open; closed: %s" % (open_end, none(closes2)))
        print("goal, %d devices connected and steady: %s (%d connected%s; steady, the server's one service thread"
              " at %.0f %% of a core, ping p99 %.0f ms)"
              % (total, "met" if connected == total and not closes and pct(ping, 99) < 1000 else "MISSED",
                 connected, ", the rest not within %d s" % a.connect_timeout if halted else "", steady, pct(ping, 99)))
        print("  (the whole hub run took %.0f s; the WS and REST phases stop after 20 s and 15 s: fewer round"
              " trips than asked then)" % (time.monotonic() - t_begin))


async def run_main(a):
    r = Run(a)
    try:
        await r.main()
    finally:
        for p in r.procs:
            if p.returncode is None:
                try:
                    p.stdin.write(b"quit\n")
                except (BrokenPipeError, ConnectionResetError):
                    pass
        deadline = time.monotonic() + 5
        for p in r.procs:
            try:
                await asyncio.wait_for(p.wait(), max(0.1, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                p.kill()
                await p.wait()


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "worker":
        worker_main(sys.argv[2])
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["run"])
    ap.add_argument("--port", required=True, help="the server's port; several instances: a comma-separated list")
    ap.add_argument("--pid", required=True, help="the server's pid; several instances: theirs, in --port's order")
    ap.add_argument("--users", type=int, default=100)
    ap.add_argument("--per-user", type=int, default=100)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--active", type=int, default=10, help="users whose device 0 plays")
    ap.add_argument("--whole-lists", action="store_true",
                    help="devices do not ask for device_deltas: the whole list on every change, as older clients")
    ap.add_argument("--commands", type=int, default=500)
    ap.add_argument("--rest", type=int, default=300)
    ap.add_argument("--window", type=float, default=20)
    ap.add_argument("--settle", type=float, default=3)
    ap.add_argument("--heartbeat-ms", type=int, default=5000)
    ap.add_argument("--concurrency", type=int, default=50, help="handshakes in flight per worker")
    ap.add_argument("--connect-timeout", type=int, default=60,
                    help="s to connect them all; past it, go on with those connected")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--worker-cmd", help="a program that speaks the worker protocol (bench/hubload.c) instead of"
                    " this file's asyncio worker")
    ap.add_argument("--tokens", help="a file of \"user token\" lines: read if it exists (those users are not"
                    " logged in again), written with the new ones")
    ap.add_argument("--sources", type=int, default=1, help="127.0.0.x source addresses (--worker-cmd only)")
    a = ap.parse_args()
    try:
        a.ports = [int(x) for x in a.port.split(",")]
        pids = [int(x) for x in a.pid.split(",")]
    except ValueError:
        ap.error("--port and --pid: numbers, comma-separated")
    if len(a.ports) != len(pids):
        ap.error("--port and --pid: as many pids as ports")
    a.port = a.ports[0]  # logins: any instance
    a.pid = pids[0] if len(pids) == 1 else pids
    asyncio.run(run_main(a))


if __name__ == "__main__":
    main()
