"""Connect handoff latency: the measuring half of `bench/connect.sh handoff`, which starts the
server over a catalog and two segue daemons (A and B: one account, separate homes, null audio
output, each daemon's mpv serving mpv's JSON IPC) and hands their sockets here. Prints the
figures.

A plays an album (repeat context); then TRANSFERS handoffs alternate A->B->A... through the
REST door, PUT /v1/me/player {"device_ids": [target], "play": true}, a gap of 0.4-0.8 s of
playback after each. For each one:
  t0          just before the PUT's bytes are written (a fresh loopback TCP connection, made
              before t0)
  REST        t0 -> the 204 read back (the hub answers once the target confirmed transfer_in)
  source stop the source daemon's "state" event (control socket) with is_playing false: its
              progress_ms and timestamp (wall ms) are where and when it paused (transfer_out)
  start       t0 -> the "playback-restart" event of the target's own mpv (JSON IPC) after its
              "start-file": mpv has opened the track, done the start= seek to the handed-over
              position and resumed output. This is the moment audio starts. The daemon turns
              that event into a "state" on its control socket (the third after its "track"
              event, as in bench/tap.py); its arrival is shown too, as a check.
  position    right on that event the target mpv's time-pos is asked (IPC get_property; the
              wall time is the midpoint of ask and answer, ~0.1 ms apart):
              error = |time-pos - (source progress_ms at stop + (wall - source timestamp))|,
              i.e. how far the target is from where the song would be had it never stopped;
              "skipped" = time-pos - source progress_ms at stop: how much of the song was
              jumped over (the hub adds the time that passed until it sent transfer_in).
Each transfer checks that the target plays the track the source stopped on (the same audio
file in both mpvs' path, and the same item id when the source's state has one) and that the
source fell silent. Before a transfer the source's position is kept away from a track's ends
(>= 0.5 s in, >= 2.5 s before the end), so that a natural track change does not mix in.
Two warm-up transfers come first (A->B, B->A): the first one, to a daemon whose mpv has not
opened a track yet, is shown as "cold". p50 and p99 by nearest rank (with 50 transfers p99 is
the 50th value, the max)."""

import argparse
import json
import os
import random
import socket
import sys
import time
import urllib.error
import urllib.request

import tap  # its line socket and pump: bench/ is on the path when this script runs

WARMUP = 2          # transfers before the measured ones (the first is the cold one, shown)
XFER_TIMEOUT = 5.0   # s for one handoff to reach playback start on the target
TOTAL_TIMEOUT = 150  # s for the whole run
DEBUG = bool(os.environ.get("HANDOFF_DEBUG"))  # every message of each transfer, on stderr


def die(msg):
    print("handoff: " + msg, file=sys.stderr)
    sys.exit(1)


class Lines(tap.Lines):
    """tap.py's line-delimited JSON socket, named for messages."""

    def __init__(self, path, name):
        super().__init__(path)
        self.name = name


class Rest:
    """One HTTP/1.1 request on a fresh loopback connection, read in the same selector as the
    sockets (no thread between the request and its timing)."""

    def __init__(self, port, token, method, path, body):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        data = json.dumps(body).encode() if body is not None else b""
        self.req = ("%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAuthorization: Bearer %s\r\n"
                    "Content-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                    % (method, path, port, token, len(data))).encode() + data
        self.buf = b""
        self.status = None
        self.body = None
        self.finished = False
        self.name = "rest"

    def send(self):
        self.sock.sendall(self.req)
        self.sock.setblocking(False)

    def take(self):
        while True:
            try:
                chunk = self.sock.recv(1 << 16)
            except BlockingIOError:
                break
            if not chunk:
                self.finished = True  # EOF: nothing more to read (pump stops watching)
                break
            self.buf += chunk
        if self.status is None and b"\r\n\r\n" in self.buf:
            head, rest = self.buf.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split()[1])
            clen = 0
            for h in lines[1:]:
                k, _, v = h.partition(":")
                if k.strip().lower() == "content-length":
                    clen = int(v.strip())
            if len(rest) >= clen:
                self.status, self.body = status, rest[:clen].decode(errors="replace")
                self.finished = True
                return [{"status": status}]
        return []

    def close(self):
        self.sock.close()


pump, drain, pct = tap.pump, tap.drain, tap.pct


def api(port, token, path, method="GET", body=None):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        raw = r.read()
        return json.loads(raw) if raw else None


class Device:
    def __init__(self, name, ctl, mpv):
        self.name = name
        self.ctl = Lines(ctl, name + " control socket")
        self.mpv = Lines(mpv, name + " mpv IPC")
        self.rid = 100

    def mpv_get(self, prop, others=()):
        """A property of the daemon's mpv (None when it has none now)."""
        self.rid += 1
        rid = self.rid
        got = {}
        self.mpv.send({"command": ["get_property", prop], "request_id": rid})

        def on_msg(s, m, t):
            if s is self.mpv and m.get("request_id") == rid:
                got["r"] = m

        if not pump([self.ctl, self.mpv] + list(others), time.perf_counter() + 10, on_msg, lambda: "r" in got):
            die("%s: mpv did not answer" % self.name)
        return got["r"].get("data") if got["r"].get("error") == "success" else None

    def request(self, argv, others=()):
        """A control-socket request; its result (events in between are dropped). argv None:
        a subscribe again, whose result is the daemon's own player state (`status` shows the
        hub's state, that of the device playing, when this one is not the active device)."""
        self.rid += 1
        rid = self.rid
        got = {}
        self.ctl.send({"id": rid, "argv": argv} if argv else {"id": rid, "subscribe": True})

        def on_msg(s, m, t):
            if s is self.ctl and m.get("id") == rid and "ok" in m:
                got["r"] = m

        if not pump([self.ctl, self.mpv] + list(others), time.perf_counter() + 10, on_msg, lambda: "r" in got):
            die("%s: no answer to %s" % (self.name, argv))
        if not got["r"]["ok"]:
            die("%s: %s failed: %s" % (self.name, argv, json.dumps(got["r"].get("error"))))
        return got["r"].get("result")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctl-a", required=True)
    ap.add_argument("--ctl-b", required=True)
    ap.add_argument("--mpv-a", required=True)
    ap.add_argument("--mpv-b", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--album", required=True, help="the album to play (bench_pick_album's)")
    ap.add_argument("--tracks", type=int, required=True, help="how many tracks it has")
    ap.add_argument("--transfers", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    end_all = time.perf_counter() + TOTAL_TIMEOUT
    rnd = random.Random(a.seed)

    A = Device("A", a.ctl_a, a.mpv_a)
    B = Device("B", a.ctl_b, a.mpv_b)
    socks = [A.ctl, A.mpv, B.ctl, B.mpv]
    ids = {}
    for d in (A, B):
        d.ctl.send({"id": 0, "subscribe": True})
        got = {}
        pump([d.ctl], time.perf_counter() + 10, lambda s, m, t: got.setdefault("r", m) if m.get("id") == 0 else None,
             lambda: "r" in got)
        if "r" not in got:
            die("%s: no answer to subscribe" % d.name)
        d.id = got["r"]["result"]["device"]["id"]
        ids[d.id] = d.name

    # Both daemons online at the hub.
    deadline = time.time() + 15
    while True:
        devs = api(a.port, a.token, "/v1/me/player/devices")["devices"]
        if {A.id, B.id} <= {x["id"] for x in devs}:
            break
        if time.time() > deadline:
            die("the daemons did not both come online at the hub (listed: %s)" % [x["name"] for x in devs])
        time.sleep(0.1)

    album = a.album

    print("handoff: album segue:album:%s (%d tracks), devices A=%s B=%s, %d transfers over"
          " PUT /v1/me/player" % (album, a.tracks, A.id, B.id, a.transfers))
    sys.stdout.flush()

    # Play on A, repeat the album, and wait until the hub knows A plays.
    A.request(["play", "segue:album:" + album], [B.ctl, B.mpv])
    A.request(["repeat", "context"], [B.ctl, B.mpv])
    deadline = time.time() + 10
    while True:
        st = api(a.port, a.token, "/v1/me/player")
        if st and st.get("is_playing") and (st.get("device") or {}).get("id") == A.id and st["progress_ms"] > 500:
            break
        if time.time() > deadline:
            die("A did not start playing (hub state %s)" % json.dumps(st)[:300])
        drain(socks, 0.1)
    drain(socks, 0.5)

    rows = []
    cur = A
    for i in range(WARMUP + a.transfers):
        if time.perf_counter() > end_all:
            die("the run took longer than %d s" % TOTAL_TIMEOUT)
        src, dst = (A, B) if cur is A else (B, A)
        # Keep away from the track's ends: the source's mpv says where it is (the daemon's
        # state may lack the item, see the report).
        for _ in range(40):
            pos, dur, path = (src.mpv_get(p, [dst.ctl, dst.mpv]) for p in ("time-pos", "duration", "path"))
            if pos is not None and dur is not None and 0.5 <= pos <= dur - 2.5:
                break
            drain(socks, 0.25)
        else:
            die("transfer %d: the source %s is not playing away from a track's end" % (i, src.name))
        src_file = path.split("?")[0]

        r = {"src": src.name, "stop": None, "dst_start_file": None, "dst_restart": None,
             "tpos_ask": None, "tpos": None, "rest": None, "dst_states": [], "dst_track": None, "dst_file": None,
             "src_state_after": None, "error": None}
        rest = Rest(a.port, a.token, "PUT", "/v1/me/player", {"device_ids": [dst.id], "play": True})
        drain(socks, 0.02)
        TP = 7000 + i

        def on_msg(s, m, t):
            if DEBUG:
                log.append((round((t - t0) * 1000, 2), s.name, m.get("event") or m.get("status") or m.get("request_id"),
                            (m.get("data") or {}).get("is_playing") if isinstance(m.get("data"), dict) else None,
                            (m.get("data") or {}).get("progress_ms") if isinstance(m.get("data"), dict) else None))
            if s is rest:
                r["rest"] = t
                return
            if s is src.ctl and m.get("event") == "state":
                d = m["data"]
                if r["stop"] is None and not d.get("is_playing"):
                    r["stop"] = (d.get("progress_ms"), d.get("timestamp"), (d.get("item") or {}).get("id"), t)
                elif r["stop"] is not None:
                    r["src_state_after"] = d
            elif s is dst.mpv:
                ev = m.get("event")
                if ev == "start-file" and r["dst_start_file"] is None:
                    r["dst_start_file"] = t
                elif ev == "playback-restart" and r["dst_start_file"] is not None and r["dst_restart"] is None:
                    r["dst_restart"] = t
                    r["tpos_ask"] = time.time()
                    dst.mpv.send({"command": ["get_property", "time-pos"], "request_id": TP})
                elif m.get("request_id") == TP:
                    if m.get("error") != "success":
                        r["error"] = "time-pos: %s" % m.get("error")
                    else:
                        r["tpos"] = (m["data"] * 1000.0, (r["tpos_ask"] + time.time()) / 2 * 1000.0)
                        dst.mpv.send({"command": ["get_property", "path"], "request_id": TP + 100000})
                elif m.get("request_id") == TP + 100000:
                    r["dst_file"] = (m.get("data") or "").split("?")[0]
                elif ev == "end-file" and m.get("reason") == "error":
                    r["error"] = "the target's mpv could not open the track"
            elif s is dst.ctl:
                if m.get("event") == "track" and r["dst_track"] is None:
                    r["dst_track"] = (m.get("data") or {}).get("id")
                elif m.get("event") == "state" and r["dst_track"] is not None:
                    r["dst_states"].append(t)
                elif m.get("event") == "error":
                    r["error"] = "target: %s" % json.dumps(m.get("data"))

        def done():
            if r["error"]:
                return True
            if r["rest"] is None or r["tpos"] is None or r["stop"] is None or r["dst_file"] is None:
                return False
            # The daemon's states after the "track" event: START_FILE's, paused-for-cache's,
            # PLAYBACK_RESTART's (as in bench/tap.py); should mpv fold the middle one away,
            # only two come.
            return len(r["dst_states"]) >= 3 or (len(r["dst_states"]) == 2
                                                 and time.perf_counter() - r["dst_restart"] > 0.3)

        log = []
        t0 = time.perf_counter()
        rest.send()
        ok = pump(socks + [rest], t0 + XFER_TIMEOUT, on_msg, done)
        rest.close()
        if DEBUG:
            drain(socks, 0.3)
            print("transfer %d: %s" % (i, log), file=sys.stderr)
        if r["error"]:
            die("transfer %d %s->%s: %s" % (i, src.name, dst.name, r["error"]))
        if not ok:
            die("transfer %d %s->%s: not complete within %.0f s (REST status %s %s; %r)"
                % (i, src.name, dst.name, XFER_TIMEOUT, rest.status, rest.body, r))
        if rest.status != 204:
            die("transfer %d: PUT /v1/me/player answered %s %s" % (i, rest.status, rest.body))
        p_stop, ts_stop, track_stop, t_stop = r["stop"]
        if r["dst_file"] != src_file:
            die("transfer %d: the target plays %s, the source played %s" % (i, r["dst_file"], src_file))
        if track_stop is not None and r["dst_track"] != track_stop:
            die("transfer %d: the target plays %s, the source stopped on %s" % (i, r["dst_track"], track_stop))
        tpos, twall = r["tpos"]
        expected = p_stop + (twall - ts_stop)
        ms = lambda t: (t - t0) * 1000.0
        rows.append({"src": src.name, "latency": ms(r["dst_restart"]), "rest": ms(r["rest"]),
                     "stop": ms(r["stop"][3]), "start_file": ms(r["dst_start_file"]),
                     "state": ms(r["dst_states"][min(2, len(r["dst_states"]) - 1)]),
                     "err": abs(tpos - expected), "signed": tpos - expected,
                     "skip": tpos - p_stop, "no_item": track_stop is None})
        # The source must be silent: its mpv paused/stopped (its last state not playing).
        gap = rnd.uniform(0.4, 0.8)
        drain(socks, gap)
        st = src.request(None, [dst.ctl, dst.mpv])
        if st and st.get("is_playing"):
            die("transfer %d: the source %s still plays after the handoff" % (i, src.name))
        cur = dst

    # Quiet at the end.
    try:
        api(a.port, a.token, "/v1/me/player/pause", "PUT")
    except urllib.error.HTTPError:
        pass
    report(rows)


def report(all_rows):
    rows, cold = all_rows[WARMUP:], all_rows[0]

    def line(name, key, goal=None):
        xs = [r[key] for r in rows]
        s = "  %-58s %8.1f %8.1f %8.1f %8.1f" % (name, pct(xs, 50), pct(xs, 99), max(xs), cold[key])
        if goal is not None:
            s += "   goal p99 < %d ms: %s" % (goal, "met" if pct(xs, 99) < goal else "MISSED")
        print(s)

    print("  %-58s %8s %8s %8s %8s" % ("%d transfers (A->B %d, B->A %d) after %d warm-up" % (
        len(rows), sum(r["src"] == "A" for r in rows), sum(r["src"] == "B" for r in rows), WARMUP),
        "p50 ms", "p99 ms", "max ms", "cold ms"))
    line("transfer -> target playback start (its mpv playback-restart)", "latency", 100)
    line("   ... -> source paused (its state event)", "stop")
    line("   ... -> target's mpv start-file", "start_file")
    line("   ... -> REST 204 (PUT /v1/me/player round trip)", "rest")
    line("   ... -> the target daemon's PLAYBACK_RESTART state event", "state")
    line("position error at the target's start |got - expected|", "err", 250)
    signed = [r["signed"] for r in rows]
    print("  position error signed (negative: behind where the song would be): p50 %.1f ms, min %.1f, max %.1f"
          % (pct(signed, 50), min(signed), max(signed)))
    skip = [r["skip"] for r in rows]
    print("  music skipped (target start - source stop position): p50 %.1f ms, min %.1f, max %.1f"
          % (pct(skip, 50), min(skip), max(skip)))
    no_item = sum(1 for r in all_rows if r["no_item"])
    print("  the source's state had no item (a track playing without its metadata) in %d of %d transfers"
          % (no_item, len(all_rows)))
    before = sum(1 for r in rows if r["rest"] < r["latency"])
    print("  the 204 came before the target's playback start in %d of %d transfers" % (before, len(rows)))
    print("  (cold: the first transfer, A->B, the first track B's mpv opens; p99 by nearest rank%s)"
          % (": with %d transfers, the max" % len(rows) if len(rows) <= 100 else ""))
    lat, err = pct([r["latency"] for r in rows], 99), pct([r["err"] for r in rows], 99)
    print("goals: handoff p99 < 100 ms: %.1f ms, %s (cold %.1f ms); position error p99 < 250 ms: %.1f ms, %s"
          " (cold %.1f ms)" % (lat, "met" if lat < 100 else "MISSED", cold["latency"], err,
                              "met" if err < 250 else "MISSED", cold["err"]))


if __name__ == "__main__":
    main()
