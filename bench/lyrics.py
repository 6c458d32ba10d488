"""The lyrics benchmark: the measuring half of bench/lyrics.sh, which makes the catalog (one
track with an .lrc), starts the server and makes the client home (its variables are in our
environment). Prints the figures.

What is measured: from the moment mpv's position passes a line's stamp to the moment the TUI's
Lyrics page shows that line lit, for every line of ROUNDS plays of the track (repeat track).

  the screen  the TUI runs on a pseudo-terminal of ours and its output is fed to a terminal
              emulator as it arrives (bench/tui.py's Term: pyte, reads timestamped on
              arrival); after each read, the lit line (the row marked with "\u25b6 " in the
              list) is read off the emulated screen. A change's time is the arrival of the
              read that made it show.
  mpv         the daemon's own account of mpv's position: `status` over the control socket
              (another connection than the TUI's), every SAMPLE_MS while the track plays;
              each answer pairs progress_ms (mpv's time-pos, read as the answer is made)
              with timestamp (the wall clock at that moment), so timestamp - progress_ms is
              when, by the wall clock, this play of the track was at 0. A stamp S was passed
              at that origin + S: the median origin of the samples of the same play is used
              mpv's time-pos is worked out at each turn of its play loop (the audio written,
              less what the output still holds) and read as it was then, so a sample is never
              ahead of the sound, only behind it by up to a turn: the origin of a play is the
              earliest of its samples' (their spread, printed, is how stale a reading can be).
  the events  the "state" events the TUI works from (a subscription of our own, the same
              events): how far each event's origin lies from the samples' (the event's
              position error, as the TUI would take it).

The clocks: the arrival times are time.perf_counter, turned into the wall clock by one offset
taken at the start (both are read within microseconds of each other); the daemon's
timestamps are the wall clock, in milliseconds. p50 and p99 by nearest rank."""

import argparse
import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tui as tb  # noqa: E402  (bench/tui.py: the terminal, the helpers)

MARK = "\u25b6 "
SAMPLE_MS = 200


class Control:
    """A line-JSON connection to the daemon's control socket."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(10)
        self.s.connect(path)
        self.buf = b""
        self.n = 0

    def send(self, msg):
        self.s.sendall((json.dumps(msg) + "\n").encode())

    def line(self):
        while b"\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise EOFError("the daemon closed the connection")
            self.buf += d
        l, self.buf = self.buf.split(b"\n", 1)
        return json.loads(l)

    def call(self, *argv):
        self.n += 1
        self.send({"id": self.n, "argv": list(argv)})
        while True:
            m = self.line()
            if m.get("id") == self.n:
                if not m.get("ok"):
                    raise RuntimeError("%s: %s" % (argv, m.get("error")))
                return m.get("result")


def lit(lines):
    """The text of the lit line, '' when none (the list: right of the sidebar, above the bar)."""
    for l in lines[tb.LIST_Y:tb.ROWS - 4]:
        i = l.find(MARK, tb.SIDE_W + 1)
        if i >= 0:
            return l[i + len(MARK):].strip()
    return ""


def main():
    import atexit
    import signal
    atexit.register(tb.on_exit)
    for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(s, tb.on_signal)
    ap = argparse.ArgumentParser()
    ap.add_argument("--segue", required=True)
    ap.add_argument("--track", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()

    doc = json.loads(tb.segue(a, "--json", "lyrics", a.track))
    stamps = {l["text"]: l["start_ms"] for l in doc["lines"]}
    if not doc.get("synced") or len(stamps) != len(doc["lines"]):
        tb.die("the track's lyrics must be timed, each line's text its own")
    duration = json.loads(tb.segue(a, "--json", "show", "segue:track:" + a.track)).get("duration_ms", 0)
    tb.start_daemon(a)
    sock = os.path.join(os.environ["XDG_RUNTIME_DIR"], "segue", "control")
    term = tb.Term([a.segue], tb.term_env())
    term.wait(tb.ready, 30, "the TUI's first frame")
    tb.segue(a, "repeat", "track")
    tb.segue(a, "play", "segue:track:" + a.track)
    term.send(b"l")
    term.wait(lambda l: "Lyrics" in l[0] and lit(l) != "", 15, "the Lyrics page with a lit line")

    # The daemon's account: samples and events, on two connections of our own, in threads.
    samples, events, stop = [], [], threading.Event()

    def sampler():
        c = Control(sock)
        while not stop.is_set():
            st = c.call("status")
            if st and st.get("is_playing") and st.get("progress_ms") is not None:
                samples.append((st["timestamp"], st["progress_ms"]))
            stop.wait(SAMPLE_MS / 1000)

    def listener():
        c = Control(sock)
        c.send({"id": 0, "subscribe": True})
        c.s.settimeout(1)
        while not stop.is_set():
            try:
                m = c.line()
            except socket.timeout:
                continue
            if m.get("event") == "state" and (m.get("data") or {}).get("is_playing"):
                d = m["data"]
                events.append((d["timestamp"], d["progress_ms"]))

    # The threads' Python must not hold the reading of the screen back: the interpreter hands
    # its lock over every 0.5 ms instead of 5 (the reads' times are taken right after select
    # returns, but the read itself waits for the lock).
    sys.setswitchinterval(0.0005)
    threads = [threading.Thread(target=f, daemon=True) for f in (sampler, listener)]
    for th in threads:
        th.start()
    wall_of = time.time() - time.perf_counter()  # perf_counter -> wall clock, in s
    changes = []
    last = lit(term.lines())
    end = time.perf_counter() + a.rounds * duration / 1000 + 1
    while time.perf_counter() < end:
        t = term._read(end - time.perf_counter())
        if t is None:
            continue
        now = lit(term.lines())
        if now != last and now in stamps:
            changes.append(((t + wall_of) * 1000, now))
        last = now
    stop.set()
    for th in threads:
        th.join(3)
    term.close()

    # A change to the line with stamp S at wall time w: the play it belongs to is the one
    # whose origin puts w just after S; its origin is the median of that play's samples.
    origins = sorted(ts - pos for ts, pos in samples)
    plays = []
    for o in origins:
        if plays and o - plays[-1][-1] < 500:
            plays[-1].append(o)
        else:
            plays.append([o])
    play_origin = [min(p) for p in plays if len(p) >= 3]
    delays, by_stamp = [], []
    for w, text in changes:
        s = stamps[text]
        near = [o for o in play_origin if -2000 < w - (o + s) < 2000]
        if near:
            delays.append(w - (min(near, key=lambda o: abs(w - (o + s))) + s))
            by_stamp.append((s, delays[-1]))
    spread = [max(p) - min(p) for p in plays if len(p) >= 3]
    ev_err = []
    for ts, pos in events:
        o = ts - pos
        near = [po for po in play_origin if abs(o - po) < 2000]
        if near:
            ev_err.append(o - min(near, key=lambda po: abs(o - po)))

    frame = 1000 / 60
    print("lyrics line change to screen (ms after mpv's position passes the stamp): %d changes,"
          " %d plays of %.1f s, %d lines" % (len(delays), len(play_origin), duration / 1000, len(stamps)))
    if not delays:
        tb.die("no line change could be timed (changes %d, samples %d)" % (len(changes), len(samples)))
    p50, p99 = tb.pct(delays, 50), tb.pct(delays, 99)
    print("  p50 %.1f ms, p99 %.1f ms, min %.1f ms, max %.1f ms; early (before the stamp): %d"
          % (p50, p99, min(delays), max(delays), sum(d < 0 for d in delays)))
    print("  anchor: one display frame at 60 Hz, %.1f ms: p50 %.2fx, p99 %.2fx a frame; goal, within a"
          " frame: %s" % (frame, abs(p50) / frame, abs(p99) / frame,
                          "met" if max(abs(p50), abs(p99)) <= frame else "MISSED"))
    if ev_err:
        print("  the state events' position against mpv's (the samples'): p50 %+.1f ms, worst %+.1f ms"
              " over %d events" % (tb.pct(ev_err, 50), max(ev_err, key=abs), len(ev_err)))
    print("  the samples' origin within one play: spread p50 %.1f ms (%d samples, every %d ms)"
          % (tb.pct(spread, 50), len(samples), SAMPLE_MS))
    if os.environ.get("LYRICS_BENCH_DUMP"):
        for st, d in sorted(by_stamp):
            print("    stamp %6d ms: %+.1f ms" % (st, d))
    print("  emulator cost: %.2f ms a read" % (term.feed_s * 1000 / max(1, term.feeds)))


if __name__ == "__main__":
    main()
