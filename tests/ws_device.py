"""A fake Segue Connect device (doc/connect.md) for the integration tests.

One asyncio loop runs in a background thread; FakeDevice exposes blocking methods on top of
it, so tests stay plain sequential code. Every wait has a timeout and every loop ends with its
connection.

A FakeDevice behaves like a small player: it keeps a track, a position, playing or not, a volume
and a queue snapshot; it answers the hub's `command` messages (reporting a `state` after acting,
then a `result`), answers `transfer_out` with its state and queue and adopts them on
`transfer_in`, and sends `ping` every heartbeat_ms from the welcome. It can be told not to
answer (answer=False), to answer late (answer_delay), to fail (fail=True), to stay silent
(heartbeat=False), to put its state only in transfer_in's result (report_transfer_in=False),
to report with a skewed clock (clock_skew_ms), or to die abruptly (abort(): the TCP connection
closes without a close frame).

It keeps the user's device list as a client does: the welcome's, then each change applied
(device_added, device_removed, device_changed, asked for with the capability device_deltas),
or each whole `devices` list when it says hello without it (deltas=False, as a client older
than the deltas). Every message that touches the list carries the list as it stands after it,
in "_devices" (.devices is the latest), so a test can wait for a list whatever way it came."""

import asyncio
import json
import threading
import time

import websockets
import websockets.exceptions as wse

SUBPROTOCOL = "segue-connect.v1"
TIMEOUT = 3.0
DEVICE_MESSAGES = ("welcome", "devices", "device_added", "device_removed", "device_changed")

_loop = None
_loop_lock = threading.Lock()


def loop():
    """The shared event loop, started on first use in a daemon thread."""
    global _loop
    with _loop_lock:
        if _loop is None:
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="ws-device-loop", daemon=True).start()
    return _loop


def run(coro, timeout=10):
    """Runs coro on the loop and waits (bounded) for its result."""
    return asyncio.run_coroutine_threadsafe(coro, loop()).result(timeout)


def now_ms():
    return int(time.time() * 1000)


def url(port, path="/v1/connect"):
    return "ws://127.0.0.1:%d%s" % (port, path)


async def _open(port, token, subprotocols=(SUBPROTOCOL,), max_size=4 << 20, path="/v1/connect"):
    headers = {"Authorization": "Bearer " + token} if token else {}
    return await websockets.connect(url(port, path), subprotocols=list(subprotocols) if subprotocols else None,
                                    extra_headers=headers, max_size=max_size, compression=None,
                                    ping_interval=None, open_timeout=5, close_timeout=2)


def handshake(port, token, subprotocols=(SUBPROTOCOL,)):
    """Tries a handshake and closes at once. Returns (status, detail): 101 and the chosen
    subprotocol when it succeeded, the HTTP status when refused, -1 and the error otherwise."""
    try:
        ws = run(_open(port, token, subprotocols))
    except wse.InvalidStatusCode as e:
        return e.status_code, str(e)
    except (wse.InvalidHandshake, OSError, asyncio.TimeoutError) as e:
        return -1, "%s: %s" % (type(e).__name__, e)
    proto = ws.subprotocol
    try:
        run(ws.close(), timeout=5)
    except Exception:
        pass
    return 101, proto


def empty_queue():
    return {"context_uri": None, "tracks": [], "order": [], "pos": 0, "user": [], "current": None,
            "current_is_user": False, "shuffle": False, "repeat": "off"}


def device_ids(devs):
    """The ids of a device list, in its order."""
    return [d.get("id") for d in devs or []]


def active_ids(devs):
    """The ids of the active devices of a list (one at most, if the hub is right)."""
    return [d.get("id") for d in devs or [] if d.get("is_active")]


def reason(res):
    """A command's answer as one word: "ok", the error's reason, or None for no answer."""
    if not res:
        return None
    return "ok" if res.get("ok") is True else (res.get("error") or {}).get("reason")


def apply_devices(devices, msg):
    """The device list after msg (a new list; the one given is left as it was). A delta that
    does not fit the list (an added id it has, a changed or removed id it lacks) is applied
    anyway and marks the message "_misfit", so a test can see that the hub's deltas and its
    list disagreed."""
    t = msg.get("type")
    if t in ("welcome", "devices"):
        return list(msg.get("devices") or [])
    out = list(devices)
    d = msg.get("device") if t != "device_removed" else None
    did = msg.get("id") if t == "device_removed" else (d or {}).get("id")
    at = next((i for i, x in enumerate(out) if x.get("id") == did), None)
    fits = (at is None) == (t == "device_added")
    if t == "device_removed":
        if at is not None:
            del out[at]
    elif at is None:
        out.append(d)
    else:
        out[at] = d
    if not fits:
        msg["_misfit"] = True
    return out


class FakeDevice:
    """A Connect session. connect() opens it and (unless hello=False) says hello and waits for
    the welcome. Everything the hub sends is appended to .messages (dicts; text that is not
    JSON is kept as {"type": "<not json>", "raw": ...})."""

    def __init__(self, port, token, device_id=None, name=None, type="computer", volume=50,
                 observer=False, catalog=None, contexts=None, answer=True, answer_delay=0.0,
                 fail=False, heartbeat=True, report_transfer_in=True, deltas=True, wants_queue=True):
        self.port = port
        self.token = token
        self.id = device_id
        self.name = device_id if name is None else name
        self.type = type
        self.volume = volume
        self.observer = observer
        self.catalog = catalog or {}      # track id -> track object (for `item`)
        self.contexts = contexts or {}    # context uri -> [track ids]
        self.answer = answer
        self.answer_delay = answer_delay
        self.fail = fail
        self.heartbeat = heartbeat
        self.report_transfer_in = report_transfer_in  # False: the state only in transfer_in's result
        self.deltas = deltas              # says hello with the capability device_deltas
        self.wants_queue = wants_queue    # False: with player_without_queue
        self.devices = []                 # the user's devices as this session knows them
        self.clock_skew_ms = 0            # added to the timestamps this device reports
        self.messages = []
        self.sent = []                    # what this device sent (dicts or raw)
        self.answers = []                 # the results it sent for hub commands
        self.answered = []                # (command, result) pairs
        self.cond = threading.Condition()
        self.ws = None
        self.welcome = None
        self.closed = threading.Event()
        self.close_code = None
        self.close_reason = None
        # player
        self.queue = empty_queue()
        self.playing = False
        self.pos_ms = 0
        self.pos_ts = now_ms()

    def __repr__(self):
        return "<FakeDevice %s>" % self.id

    # --- connection -------------------------------------------------------------------

    def connect(self, hello=True, with_state=False, timeout=TIMEOUT):
        """Opens the session (again, after a close: messages keep accumulating)."""
        if self.ws is not None:
            self.closed.wait(3)
            self.closed.clear()
            self.close_code = self.close_reason = None
        since = self.mark()
        self.ws = run(_open(self.port, self.token))
        asyncio.run_coroutine_threadsafe(self._reader(), loop())
        if hello:
            self.hello(with_state)
            self.welcome = self.wait_type("welcome", timeout=timeout, since=since)
            if self.welcome is None:
                raise RuntimeError("%s: no welcome (closed %s %s; got %r)"
                                   % (self.id, self.close_code, self.close_reason, self.messages[-3:]))
        return self

    def hello(self, with_state=False):
        """Says hello; with_state: as the device that was active (active, state and queue)."""
        msg = {"type": "hello"}
        if self.observer:
            msg["observer"] = True
        if self.id is not None:
            msg["device"] = {"id": self.id, "name": self.name, "type": self.type, "volume_percent": self.volume}
        caps = (["device_deltas"] if self.deltas else []) + ([] if self.wants_queue else ["player_without_queue"])
        if caps:
            msg["capabilities"] = caps
        if with_state:
            msg["active"] = True
            msg["state"] = self.state()
            msg["queue"] = self.queue_snapshot()
        self.send(msg)

    async def _reader(self):
        ws = self.ws
        hb = None
        try:
            async for raw in ws:
                if isinstance(raw, bytes):
                    msg = {"type": "<binary>", "raw": raw}
                else:
                    try:
                        msg = json.loads(raw)
                    except ValueError:
                        msg = {"type": "<not json>", "raw": raw}
                    if not isinstance(msg, dict):
                        msg = {"type": "<not an object>", "raw": raw}
                msg["_at"] = time.time()
                msg["_len"] = len(raw)  # bytes as sent (text: characters, ASCII here)
                if msg.get("type") in DEVICE_MESSAGES:
                    self.devices = apply_devices(self.devices, msg)
                    msg["_devices"] = self.devices
                with self.cond:
                    self.messages.append(msg)
                    self.cond.notify_all()
                t = msg.get("type")
                if t == "welcome" and hb is None:
                    ms = msg.get("heartbeat_ms")
                    if isinstance(ms, int) and ms > 0:
                        hb = asyncio.ensure_future(self._heartbeat(ws, ms / 1000.0))
                elif t == "command":
                    if self.answer_delay:
                        asyncio.ensure_future(self._on_command(msg))
                    else:
                        await self._on_command(msg)
        except wse.ConnectionClosed:
            pass
        except Exception as e:  # keep the test going; record what happened
            with self.cond:
                self.messages.append({"type": "<reader error>", "error": repr(e)})
        finally:
            if hb:
                hb.cancel()
            self.close_code = ws.close_code
            self.close_reason = ws.close_reason
            with self.cond:
                self.closed.set()
                self.cond.notify_all()

    async def _heartbeat(self, ws, interval):
        try:
            while not self.closed.is_set():
                await asyncio.sleep(interval)
                if self.heartbeat and not self.closed.is_set():
                    await ws.send(json.dumps({"type": "ping"}))
        except (wse.ConnectionClosed, asyncio.CancelledError):
            pass

    async def _send(self, obj):
        text = obj if isinstance(obj, (str, bytes)) else json.dumps(obj)
        self.sent.append(obj)
        await self.ws.send(text)

    def send(self, obj, timeout=5):
        """Sends a dict as JSON, or a str/bytes as it is. False if the session is closed."""
        try:
            run(self._send(obj), timeout=timeout)
            return True
        except (wse.ConnectionClosed, OSError):
            return False

    def close(self, code=1000):
        if self.ws is not None and not self.closed.is_set():
            try:
                run(self.ws.close(code), timeout=5)
            except Exception:
                pass
        self.closed.wait(3)

    def abort(self):
        """Dies abruptly: the TCP connection goes away without a close frame."""
        def _abort():
            self.ws.transport.abort()
        loop().call_soon_threadsafe(_abort)
        self.closed.wait(3)

    def wait_closed(self, timeout=TIMEOUT):
        """The close code once the hub closed the session (None: still open after timeout)."""
        if self.closed.wait(timeout):
            return self.close_code
        return None

    @property
    def is_open(self):
        return self.ws is not None and not self.closed.is_set()

    # --- what arrived -----------------------------------------------------------------

    def mark(self):
        with self.cond:
            return len(self.messages)

    def wait(self, pred, timeout=TIMEOUT, since=0):
        """The first message at index >= since that pred accepts, waiting up to timeout."""
        deadline = time.time() + timeout
        i = since
        with self.cond:
            while True:
                while i < len(self.messages):
                    m = self.messages[i]
                    i += 1
                    try:
                        if pred(m):
                            return m
                    except (KeyError, TypeError, AttributeError, IndexError):
                        pass
                left = deadline - time.time()
                if left <= 0 or (self.closed.is_set() and i >= len(self.messages)):
                    return None
                self.cond.wait(left)

    def wait_type(self, type, timeout=TIMEOUT, since=0, **match):
        return self.wait(lambda m: m.get("type") == type and all(m.get(k) == v for k, v in match.items()),
                         timeout, since)

    def received(self, type=None, since=0):
        with self.cond:
            return [m for m in self.messages[since:] if type is None or m.get("type") == type]

    def commands(self, since=0, name=None):
        return [m for m in self.received("command", since) if name is None or m.get("command") == name]

    def answer_to(self, command):
        """The last result this device sent for a hub command of that name ({} if none)."""
        return next((r for c, r in reversed(self.answered) if c.get("command") == command), {})

    def last(self, type, since=0):
        got = self.received(type, since)
        return got[-1] if got else None

    # --- asking the hub -----------------------------------------------------------------

    _ids = 0

    def request(self, msg, timeout=TIMEOUT):
        """Sends a command/transfer with a fresh id and waits for its result (None if none)."""
        FakeDevice._ids += 1
        msg = dict(msg)
        msg.setdefault("id", "%s-%d" % (self.id or "obs", FakeDevice._ids))
        since = self.mark()
        self.send(msg)
        return self.wait(lambda m: m.get("type") == "result" and m.get("id") == msg["id"], timeout, since)

    def command(self, command, timeout=TIMEOUT, **args):
        return self.request(dict(args, type="command", command=command), timeout)

    def transfer(self, device_id, play=None, timeout=TIMEOUT):
        msg = {"type": "transfer", "device_id": device_id}
        if play is not None:
            msg["play"] = play
        return self.request(msg, timeout)

    def ping(self, timeout=TIMEOUT):
        since = self.mark()
        if not self.send({"type": "ping"}):
            return False
        return self.wait_type("pong", timeout, since) is not None

    # --- the player -------------------------------------------------------------------

    def duration(self):
        item = self.catalog.get(self.queue["current"]) if self.queue["current"] else None
        return item.get("duration_ms") if item else None

    def position(self):
        p = self.pos_ms + (now_ms() - self.pos_ts if self.playing else 0)
        d = self.duration()
        return min(p, d) if d else p

    def _set_pos(self, ms):
        self.pos_ms = int(ms)
        self.pos_ts = now_ms()

    def _set_playing(self, playing):
        self._set_pos(self.position())
        self.playing = bool(playing)

    def item(self):
        cur = self.queue["current"]
        if not cur:
            return None
        return self.catalog.get(cur) or {"id": cur, "uri": "segue:track:" + cur, "type": "track",
                                         "name": cur, "duration_ms": 180000}

    def state(self):
        ctx = self.queue["context_uri"]
        return {"device": {"id": self.id, "name": self.name, "type": self.type, "is_active": True,
                           "is_private_session": False, "is_restricted": False,
                           "volume_percent": self.volume, "supports_volume": True},
                "repeat_state": self.queue["repeat"], "shuffle_state": self.queue["shuffle"],
                "context": {"uri": ctx, "type": ctx.split(":")[1]} if ctx else None,
                "timestamp": now_ms() + self.clock_skew_ms, "progress_ms": self.position(), "is_playing": self.playing,
                "item": self.item(), "currently_playing_type": "track"}

    def queue_snapshot(self):
        return json.loads(json.dumps(self.queue))

    def load(self, tracks, index=0, position_ms=0, context_uri=None, playing=True):
        """Loads a list of track ids (or a context) locally, without telling the hub."""
        self.queue = dict(self.queue, context_uri=context_uri, tracks=list(tracks),
                          order=list(range(len(tracks))), pos=index, current=tracks[index] if tracks else None,
                          current_is_user=False)
        self._set_pos(position_ms)
        self.playing = playing

    def report(self, with_queue=True):
        """Sends a `state` (and the queue)."""
        msg = {"type": "state", "state": self.state()}
        if with_queue:
            msg["queue"] = self.queue_snapshot()
        self.send(msg)
        return msg

    def play_locally(self, tracks, index=0, position_ms=0, context_uri=None):
        """The user pressed play on this device: load, play, report."""
        self.load(tracks, index, position_ms, context_uri, True)
        return self.report()

    def _apply(self, msg):
        """Does what a command asks. Returns None when done, else an error reason."""
        c = msg.get("command")
        q = self.queue
        if c == "play":
            uris, ctx, off = msg.get("uris"), msg.get("context_uri"), msg.get("offset") or {}
            if uris or ctx:
                tracks = [u.split(":")[-1] for u in uris] if uris else list(self.contexts.get(ctx, q["tracks"]))
                idx = 0
                if isinstance(off.get("position"), int):
                    idx = off["position"]
                elif isinstance(off.get("uri"), str) and off["uri"].split(":")[-1] in tracks:
                    idx = tracks.index(off["uri"].split(":")[-1])
                if not 0 <= idx < len(tracks):
                    return "bad_request"
                self.load(tracks, idx, msg.get("position_ms") or 0, None if uris else ctx, True)
            else:
                if isinstance(msg.get("position_ms"), int):
                    self._set_pos(msg["position_ms"])
                self._set_playing(True)
        elif c == "resume":
            self._set_playing(True)
        elif c == "pause":
            self._set_playing(False)
        elif c == "seek":
            self._set_pos(msg["position_ms"])
        elif c == "volume":
            self.volume = msg["volume_percent"]
        elif c == "shuffle":
            q["shuffle"] = bool(msg["state"])
        elif c == "repeat":
            q["repeat"] = msg["state"]
        elif c == "queue_add":
            q["user"].append(msg["uri"].split(":")[-1])
        elif c == "next":
            if q["user"]:
                q["current"], q["current_is_user"] = q["user"].pop(0), True
            elif q["pos"] + 1 < len(q["order"]):
                q["pos"] += 1
                q["current"], q["current_is_user"] = q["tracks"][q["order"][q["pos"]]], False
            self._set_pos(0)
        elif c == "previous":
            if q["order"]:
                q["pos"] = max(0, q["pos"] - 1)
                q["current"], q["current_is_user"] = q["tracks"][q["order"][q["pos"]]], False
            self._set_pos(0)
        else:
            return "bad_request"
        return None

    async def _on_command(self, msg):
        if not self.answer:
            return
        if self.answer_delay:
            await asyncio.sleep(self.answer_delay)
        c, cid = msg.get("command"), msg.get("id")
        try:
            if c == "stop":
                self._set_playing(False)
                return
            if self.fail:
                res = {"type": "result", "id": cid, "ok": False,
                       "error": {"reason": "failed", "message": "the fake device was told to fail"}}
            elif c == "transfer_out":
                # the state as of the moment it paused: is_playing says whether it was playing
                was = self.playing
                self._set_playing(False)
                st = dict(self.state(), is_playing=was)
                res = {"type": "result", "id": cid, "ok": True, "state": st, "queue": self.queue_snapshot()}
            elif c == "transfer_in":
                st, q = msg.get("state") or {}, msg.get("queue")
                if isinstance(q, dict):
                    self.queue = dict(empty_queue(), **json.loads(json.dumps(q)))
                elif isinstance(st.get("item"), dict):
                    self.queue = dict(empty_queue(), current=st["item"].get("id"))
                pos = msg.get("position_ms", st.get("progress_ms", 0)) or 0
                self._set_pos(pos)
                self.playing = bool(msg.get("play"))
                if self.report_transfer_in:
                    # the state that reflects it goes before the result (doc: Ordering)
                    await self._send({"type": "state", "state": self.state(), "queue": self.queue_snapshot()})
                res = {"type": "result", "id": cid, "ok": True, "state": self.state(), "queue": self.queue_snapshot()}
            else:
                before = json.dumps(self.queue, sort_keys=True)
                err = self._apply(msg)
                if err:
                    res = {"type": "result", "id": cid, "ok": False, "error": {"reason": err, "message": "cannot " + str(c)}}
                else:
                    st = {"type": "state", "state": self.state()}
                    if json.dumps(self.queue, sort_keys=True) != before:
                        st["queue"] = self.queue_snapshot()
                    await self._send(st)
                    res = {"type": "result", "id": cid, "ok": True}
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            res = {"type": "result", "id": cid, "ok": False, "error": {"reason": "bad_request", "message": repr(e)}}
        self.answers.append(res)
        self.answered.append((msg, res))
        try:
            await self._send(res)
        except wse.ConnectionClosed:
            pass
