"""The TUI benchmark: the measuring half of bench/tui.sh, which starts the server, makes the
client home (its variables are in our environment) and hands over the rest. Prints the figures.

How it watches the screen: no tmux. Each program runs on a pseudo-terminal of ours (os.openpty,
120x40, TERM=xterm-256color, LANG=C.UTF-8), and everything it writes is read from the master
side as it comes, timestamped on arrival (time.perf_counter, right after the read) and fed to
a terminal emulator (pyte, with the few xterm sequences ncurses uses that pyte lacks: REP, SU,
SD). A condition on the emulated screen ("the sidebar and the status line are drawn", "the
search's rows are there") is checked after each read; the time of a figure is the arrival of
the read that made it true. That is when a terminal would have the bytes: a terminal's own
paint (its renderer, vsync) is not in it, the same for every program measured. Polling tmux's
capture-pane instead would add a fork and exec per look and quantise by the poll interval
(a few ms at best); reading the byte stream has no interval. The emulator's cost is paid
between reads, never inside a timestamp; its time per read is shown (emulator cost) as a bound
on how late a read can be taken. ncurses draws a frame top to bottom, so a condition that
includes the bottom rows of what it checks holds once the frame has arrived, not earlier.

Phases:
  start     spawn -> first frame, N starts: `segue` (the TUI) with the daemon running
            (attach) and with none (cold: the TUI starts one; q stops it again, and the next
            start waits until it is gone). First frame: the sidebar drawn down to "9 Recently
            played" and the status line non-blank (tui.c draws it before it attaches to or
            starts the daemon). Also: first byte (ncurses' set-up), and ready: the Home page
            loaded (no "loading...") and the key hints on the status line, which needs the
            daemon (and, cold, its start). Floors in the same harness: /bin/echo (spawn ->
            its byte) and `segue --version` (spawn -> its line): a process start, no TUI.
  search    one TUI (attach), Search page (key 2); per query: the keys one by one, KEY_GAP ms
            apart (a quick typist; less than the debounce, so only the last key's search
            runs: a query whose keys came too far apart, or whose prefix got searched, is
            typed again), each key's echo (the query line redrawn) timed; from the write of
            the last key to the results painted: the search's rows as `segue --json search
            --limit 20` gives them (run beforehand for each query), checked at the rows where
            tui.c puts them: the first header, the first item and the last row that fits.
            Raw, and less the 150 ms debounce (tui.c SEARCH_DEBOUNCE_MS). Then C-u, and the
            next query only once the page says "type to search" again. Queries: the words
            (3 letters or more) of the catalog's track, album and artist names, shuffled
            (--seed), those that find something. Next to it: the server's own search over
            HTTP (GET /v1/search, the same parameters), the part of the time that is the
            server's.
  idle      one TUI (attach) on Home; `segue play segue:album:ID` (repeat on) from the command
            line; once the bar shows the track playing and 2 s have passed, a window of WIN s:
            the TUI's CPU (utime+stime of /proc/PID/stat, all threads: ticks of 10 ms, so also
            the schedstat ns of its threads, and of its main thread alone), its wake-ups
            (voluntary context switches: of the main thread, its poll loop, and of all
            threads) and preemptions (involuntary ones, the main thread's), the bytes it wrote
            to the terminal and in how many bursts (reads more than 50 ms after the previous
            one); the daemon's over the same window, for context. Then paused (segue pause):
            the same over WIN/2 s, where nothing should happen at all.
  cmus      the anchor, when --cmus names it: cmus 2.x on the same kind of pty: spawn -> first
            frame (its top row and its status line drawn), N starts; and, when --jack names a
            JACK server (dummy driver: it takes audio in real time), playing the album's
            Ogg files (high, as the daemon plays them) for WIN s, then paused: the same
            counters; its main thread is its UI loop, the others decode and feed JACK.
p50 and p99 by nearest rank."""

import argparse
import atexit
import fcntl
import json
import math
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
import urllib.parse
import urllib.request

import pyte

ROWS, COLS = 40, 120
DEBOUNCE_MS = 150  # tui.c SEARCH_DEBOUNCE_MS
LIST_Y = 2         # tui.c layout(): list_y
SIDE_W = 22        # at 120 columns
CLK = os.sysconf("SC_CLK_TCK")


def die(msg):
    print("tui: " + msg, file=sys.stderr)
    sys.exit(1)


def pct(xs, p):
    xs = sorted(xs)
    return xs[max(0, math.ceil(p / 100 * len(xs)) - 1)] if xs else float("nan")


# --- the terminal ---------------------------------------------------------------------------

class Screen(pyte.Screen):
    """pyte's screen, plus the xterm sequences ncurses uses with xterm-256color that pyte 0.8
    lacks: REP (CSI n b, the last character n more times), SU and SD (CSI n S / T)."""

    def __init__(self, cols, rows):
        super().__init__(cols, rows)
        self.last_char = " "

    def draw(self, data):
        super().draw(data)
        if data:
            self.last_char = data[-1]

    def repeat_last(self, n=1, *args, **kw):
        self.draw(self.last_char * max(1, n))

    def _scroll(self, n, up):
        top, bottom = self.margins or pyte.screens.Margins(0, self.lines - 1)
        x, y = self.cursor.x, self.cursor.y
        self.cursor.y = bottom if up else top
        for _ in range(max(1, n)):
            self.index() if up else self.reverse_index()
        self.cursor.x, self.cursor.y = x, y

    def scroll_up(self, n=1, *args, **kw):
        self._scroll(n, True)

    def scroll_down(self, n=1, *args, **kw):
        self._scroll(n, False)


class Stream(pyte.ByteStream):
    csi = dict(pyte.ByteStream.csi, b="repeat_last", S="scroll_up", T="scroll_down")


class Term:
    """A program on a pseudo-terminal of ours, its output fed to an emulated screen."""

    def __init__(self, argv, env, rows=ROWS, cols=COLS):
        self.screen = Screen(cols, rows)
        self.stream = Stream(self.screen)
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.nbytes = 0
        self.reads = []          # (arrival, bytes) while recording
        self.recording = False
        self.feed_s = 0.0        # time spent in the emulator
        self.feeds = 0
        self.first_byte = None
        self.t0 = time.perf_counter()
        # A session of its own, on the pty; not made its controlling terminal (a preexec_fn
        # would, at the cost of a full fork of this process: 5-10x the spawn time of the
        # vfork path). So closing the master does not hang the program up: every Term is
        # closed on the way out (LIVE, on_exit), a TERM to this process included.
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                                     start_new_session=True, close_fds=True)
        os.close(slave)
        self.dead = False
        LIVE.add(self)

    def lines(self):
        return self.screen.display

    def dump(self):
        return "\n".join(l.rstrip() for l in self.lines())

    def _read(self, timeout):
        """One read (after waiting up to timeout s); its arrival time, or None."""
        if self.dead:
            time.sleep(min(timeout, 0.05))
            return None
        r, _, _ = select.select([self.master], [], [], max(0.0, timeout))
        if not r:
            return None
        try:
            data = os.read(self.master, 1 << 16)
        except OSError:  # EIO: the program is gone and the slave closed
            data = b""
        t = time.perf_counter()
        if not data:
            self.dead = True
            return None
        if self.first_byte is None:
            self.first_byte = t
        self.nbytes += len(data)
        if self.recording:
            self.reads.append((t, len(data)))
        f0 = time.perf_counter()
        self.stream.feed(data)
        self.feed_s += time.perf_counter() - f0
        self.feeds += 1
        return t

    def wait(self, pred, timeout, what):
        """Reads until pred(lines) holds; the arrival of the read that made it hold."""
        deadline = time.perf_counter() + timeout
        if pred(self.lines()):
            return time.perf_counter()
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError("%s: not within %.0f s; the screen:\n%s" % (what, timeout, self.dump()))
            t = self._read(left)
            if t is not None and pred(self.lines()):
                return t

    def drain(self, seconds):
        end = time.perf_counter() + seconds
        while True:
            left = end - time.perf_counter()
            if left <= 0:
                return
            self._read(left)

    def send(self, data):
        """Writes keys; the time of the write."""
        t = time.perf_counter()
        os.write(self.master, data)
        return t

    def close(self, keys=b"q", timeout=10):
        """Quits with keys (reading on meanwhile; quit_ms: from the keys to the exit, as a
        pidfd tells it), else TERM, then KILL."""
        self.quit_ms = None
        if ABORTING:
            keys = None  # no waiting on the way out
        if self.proc.poll() is None and keys is not None:
            pidfd = os.pidfd_open(self.proc.pid)
            try:
                tq = self.send(keys) if keys else time.perf_counter()
                end = tq + timeout
                while time.perf_counter() < end:
                    r, _, _ = select.select([pidfd] + ([] if self.dead else [self.master]), [], [],
                                            max(0.0, end - time.perf_counter()))
                    if pidfd in r:
                        self.quit_ms = (time.perf_counter() - tq) * 1000
                        break
                    if r:
                        self._read(0)
            except OSError:
                pass
            finally:
                os.close(pidfd)
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        os.close(self.master)
        LIVE.discard(self)
        return self.proc.returncode


LIVE = set()
ABORTING = False


def on_signal(signum, frame):
    global ABORTING
    ABORTING = True
    sys.exit(128 + signum)


def on_exit():
    for t in list(LIVE):
        try:
            t.close(keys=None, timeout=0)
        except Exception:
            pass


# --- reading /proc ----------------------------------------------------------------------------

def task_sample(pid, tid):
    """One thread: its ticks, schedstat ns, voluntary and involuntary context switches."""
    with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
        sched = int(f.read().split()[0])
    vol = invol = 0
    with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
        for line in f:
            if line.startswith("voluntary_ctxt_switches"):
                vol = int(line.split()[1])
            elif line.startswith("nonvoluntary_ctxt_switches"):
                invol = int(line.split()[1])
    return {"ticks": int(fields[11]) + int(fields[12]), "sched": sched, "vol": vol, "invol": invol}


def proc_sample(pid):
    """The process's ticks (all threads, dead ones too) and each live thread's sample."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tasks = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            tasks[int(tid)] = task_sample(pid, tid)
        except (OSError, IndexError, ValueError):
            continue
    return {"pid": pid, "ticks": int(fields[11]) + int(fields[12]), "tasks": tasks}


def rates(a, b, secs):
    """Over a window, per s: CPU as % of one core (ticks of the process; schedstat of its
    threads), wake-ups (voluntary context switches: a sleep ended) and preemptions
    (involuntary ones) of the main thread and of all threads (those that ended inside the
    window are missed; those that began count from 0)."""
    zero = {"ticks": 0, "sched": 0, "vol": 0, "invol": 0}

    def d(tid, k):
        return b["tasks"][tid][k] - a["tasks"].get(tid, zero)[k]
    main = b["pid"]
    tids = list(b["tasks"])
    return {"cpu": (b["ticks"] - a["ticks"]) / CLK / secs * 100,
            "sched": sum(d(t, "sched") for t in tids) / 1e9 / secs * 100,
            "main_cpu": d(main, "ticks") / CLK / secs * 100 if main in b["tasks"] else float("nan"),
            "main_sched": d(main, "sched") / 1e9 / secs * 100 if main in b["tasks"] else float("nan"),
            "wake_main": d(main, "vol") / secs if main in b["tasks"] else float("nan"),
            "invol_main": d(main, "invol") / secs if main in b["tasks"] else float("nan"),
            "wake_all": sum(d(t, "vol") for t in tids) / secs,
            "threads": len(tids)}


def window(term, pids, seconds):
    """Reads the terminal for seconds s (so that the program never blocks on a full pty),
    sampling pids before and after: {"rates": {pid: rates}, "secs", "bytes" and "writes" per
    s, a write being a burst of output: reads more than 50 ms after the previous one}."""
    a = {p: proc_sample(p) for p in pids}
    t0 = time.perf_counter()
    term.reads = []
    term.recording = True
    term.drain(seconds)
    term.recording = False
    b = {p: proc_sample(p) for p in pids}
    secs = time.perf_counter() - t0
    bursts, last = 0, None
    for t, _ in term.reads:
        if last is None or t - last > 0.05:
            bursts += 1
        last = t
    return {"rates": {p: rates(a[p], b[p], secs) for p in pids}, "secs": secs,
            "bytes": sum(n for _, n in term.reads) / secs, "writes": bursts / secs}


# --- segue --------------------------------------------------------------------------------------

def term_env(extra=None):
    env = dict(os.environ, TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8")
    env.pop("TMUX", None)
    env.update(extra or {})
    return env


def first_frame(lines):
    return "9 Recently played" in lines[9] and lines[ROWS - 1].strip() != "" and lines[ROWS - 3].strip() != ""


def ready(lines):
    return first_frame(lines) and "? help" in lines[ROWS - 1] and "loading" not in "".join(lines[LIST_Y:LIST_Y + 4])


def daemon_pid(a):
    try:
        with open(os.path.join(os.environ["XDG_RUNTIME_DIR"], "segue", "daemon.pid")) as f:
            return int(f.read().strip() or 0)
    except (OSError, ValueError):
        return 0


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def segue(a, *args, check=True):
    p = subprocess.run([a.segue] + list(args), capture_output=True, timeout=60)
    if check and p.returncode != 0:
        die("segue %s: exit %d: %s" % (" ".join(args), p.returncode, p.stderr.decode(errors="replace").strip()))
    return p.stdout.decode(errors="replace")


def start_daemon(a):
    if not daemon_pid(a) or not alive(daemon_pid(a)):
        segue(a, "daemon", "--detach")
    pid = daemon_pid(a)
    if not pid:
        die("the daemon did not start")
    return pid


def stop_daemon(a):
    pid = daemon_pid(a)
    if pid and alive(pid):
        segue(a, "quit", check=False)
        wait_gone(pid, 10)


def wait_gone(pid, timeout):
    end = time.perf_counter() + timeout
    while alive(pid) and time.perf_counter() < end:
        time.sleep(0.01)
    if alive(pid):
        die("process %d did not go away within %.0f s" % (pid, timeout))


def floor_start(argv, n, env):
    """spawn -> first byte on the pty, for a program that prints at once."""
    out = []
    for _ in range(n):
        t = Term(argv, env)
        t.wait(lambda l: l[0].strip() != "", 10, " ".join(argv))
        out.append((t.first_byte - t.t0) * 1000)
        t.close(keys=b"")
    return out


def segue_starts(a, n, cold):
    """n starts of the TUI; ms from spawn to first byte, first frame, ready."""
    res = []
    for i in range(n):
        if cold:
            stop_daemon(a)
        else:
            start_daemon(a)
        t = Term([a.segue], term_env())
        try:
            f = t.wait(first_frame, 15, "first frame")
            r = t.wait(ready, 30, "ready")
        except TimeoutError as e:
            t.close(keys=b"q")
            die(str(e))
        started = daemon_pid(a) if cold else 0
        t.drain(0.1)  # the rest of what it draws on start (the devices, the playlists)
        rc = t.close(keys=b"q")
        if rc != 0 or t.quit_ms is None:
            die("the TUI exited %s%s" % (rc, "" if t.quit_ms is not None else ", not on q"))
        if cold:
            if not started:
                die("cold start: the TUI did not start a daemon")
            wait_gone(started, 10)  # q stops the daemon the TUI started
        res.append({"byte": (t.first_byte - t.t0) * 1000, "frame": (f - t.t0) * 1000,
                    "ready": (r - t.t0) * 1000, "quit": t.quit_ms,
                    "feed_ms": t.feed_s * 1000 / max(1, t.feeds)})
        time.sleep(a.gap / 1000)
    return res


# --- search -----------------------------------------------------------------------------------

HEADS = [("tracks", "Songs"), ("albums", "Albums"), ("artists", "Artists"), ("playlists", "Playlists")]


def search_rows(doc):
    """The rows tui.c's page_take builds for a search answer: (text to look for, is a header)."""
    rows = []
    if doc.get("did_you_mean"):
        rows.append(("did you mean: " + doc["did_you_mean"], False))
    for k, head in HEADS:
        items = ((doc.get(k) or {}).get("items")) or []
        if not items:
            continue
        rows.append((head, True))
        for it in items:
            if isinstance(it, dict):
                rows.append((it.get("name") or "", False))
    return rows


def needle(s):
    # Cut short of any column: a long name is drawn cut (text_fit) with an ellipsis.
    return s[:24].rstrip()


def results_pred(query, rows):
    list_h = ROWS - 3 - 1 - LIST_Y
    checks = []
    if rows:
        checks.append(0)
    first_item = next((i for i, (_, h) in enumerate(rows) if not h), None)
    if first_item is not None:
        checks.append(first_item)
    last = min(len(rows), list_h) - 1
    if last >= 0:
        checks.append(last)
    title = "Search: " + query + "_"

    def pred(lines):
        if title not in lines[0]:
            return False
        if not rows:
            return "nothing found" in lines[LIST_Y + 1]
        return all(needle(rows[i][0]) in lines[LIST_Y + i] for i in checks)
    return pred


def words_of(db):
    import sqlite3
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    names = []
    for table in ("tracks", "albums", "artists"):
        names += [r[0] for r in c.execute("SELECT name FROM %s ORDER BY rowid" % table)]
    c.close()
    seen, words = set(), []
    for n in names:
        for w in re.findall(r"\w+", n.lower()):
            if len(w) >= 3 and not w.isdigit() and w not in seen:
                seen.add(w)
                words.append(w)
    return words


def pick_queries(a, n):
    """n queries drawn from the catalog's words (and two-word phrases of its names), each
    with its expected rows; only queries that find something."""
    import random
    rng = random.Random(a.seed)
    words = words_of(a.db)
    if not words:
        die("no words in the catalog's names")
    cands = list(words)
    rng.shuffle(cands)
    queries = []
    i = 0
    while len(queries) < n and i < 4 * n + 40:
        q = cands[i % len(cands)]
        if i >= len(cands):  # more than the catalog has words: prefixes, then pairs
            w = cands[i % len(cands)]
            q = w[:max(3, len(w) - 1 - (i // len(cands)))] if i < 2 * len(cands) else \
                w + " " + rng.choice(words)
        i += 1
        if any(q == x for x, _ in queries):
            continue
        doc = json.loads(segue(a, "--json", "search", "--limit", "20", "--", q))
        rows = search_rows(doc)
        if any(not h for _, h in rows):
            queries.append((q, rows))
    if len(queries) < n:
        # A small catalog: the same queries again.
        base = list(queries)
        while len(queries) < n:
            queries.append(base[len(queries) % len(base)])
    return queries


def server_search(a, q):
    url = "http://127.0.0.1:%d/v1/search?%s" % (a.port, urllib.parse.urlencode(
        {"q": q, "type": "track,album,artist,playlist", "limit": 20, "offset": 0}))
    req = urllib.request.Request(url, headers={"Authorization": "Bearer " + a.token})
    t0 = time.perf_counter()
    urllib.request.urlopen(req, timeout=10).read()
    return (time.perf_counter() - t0) * 1000


def idle_list(lines):
    """The Search page's list holds no rows and no search is loading. (While a query is
    typed, before its search runs, tui.c says "nothing found".)"""
    first = lines[LIST_Y + 1][SIDE_W + 1:].strip()
    return first in ("type to search", "nothing found") and \
        not any(l[SIDE_W + 1:].strip() for l in lines[LIST_Y + 2:ROWS - 4])


def search_phase(a, queries):
    start_daemon(a)
    t = Term([a.segue], term_env())
    try:
        t.wait(ready, 30, "ready")
        t.send(b"2")
        t.wait(lambda l: "Search: _" in l[0] and "type to search" in l[LIST_Y + 1], 10, "the Search page")
        res = []
        retries = 0
        for q, rows in queries:
            pred = results_pred(q, rows)
            for attempt in range(4):
                echo = []
                last = None
                early = False
                for k in range(len(q)):
                    prefix = q[:k + 1]
                    if k + 1 == len(q) and not idle_list(t.lines()):
                        early = True  # a prefix's search ran: its rows may be the query's
                    tk = t.send(q[k].encode())
                    if last is not None and tk - last >= (DEBOUNCE_MS - 15) / 1000:
                        early = True  # so slow an echo that the debounce may have run out
                    te = t.wait(lambda l: ("Search: " + prefix + "_") in l[0], 10, "echo of %r" % prefix)
                    echo.append((te - tk) * 1000)
                    last = tk
                    if k + 1 < len(q):
                        # The next key GAP ms after this one (the echo included).
                        t.drain(max(0.0, tk + a.key_gap / 1000 - time.perf_counter()))
                tr = t.wait(pred, 15, "results for %r" % q)
                t.drain(0.05)
                t.send(b"\x15")  # C-u
                t.wait(lambda l: "Search: _" in l[0] and "type to search" in l[LIST_Y + 1], 10,
                       "the cleared query")
                t.drain(a.gap / 1000)
                if not early:
                    break
                retries += 1
            else:
                die("%r: the keys could not be typed within the debounce in 4 tries" % q)
            res.append({"q": q, "raw": (tr - last) * 1000, "echo": echo})
        feed = t.feed_s * 1000 / max(1, t.feeds)
    except TimeoutError as e:
        t.close(keys=b"\x03")
        die(str(e))
    t.close(keys=b"\x03")
    srv = [server_search(a, q) for q, _ in queries]
    return res, srv, feed, retries


# --- idle playing -----------------------------------------------------------------------------

def bar_line(lines):
    return lines[ROWS - 3]


def clock_of(lines):
    m = re.match(r"\s*(\d+):(\d\d)", lines[ROWS - 2])
    return int(m.group(1)) * 60 + int(m.group(2)) if m else -1


def idle_phase(a):
    dpid = start_daemon(a)
    t = Term([a.segue], term_env())
    out = {}
    try:
        t.wait(ready, 30, "ready")
        segue(a, "repeat", "context", check=False)
        segue(a, "play", "segue:album:" + a.album)
        segue(a, "repeat", "context")
        t.wait(lambda l: "\u25b6" in bar_line(l), 15, "the bar playing")
        t.drain(2.0)
        c0 = clock_of(t.lines())
        w = window(t, [t.proc.pid, dpid], a.win)
        c1 = clock_of(t.lines())
        if "\u25b6" not in bar_line(t.lines()):
            die("the TUI's bar did not show playing at the end of the window:\n" + t.dump())
        out["playing"] = dict(w, tui=w["rates"][t.proc.pid], daemon=w["rates"][dpid], clock=(c0, c1))
        segue(a, "pause")
        t.wait(lambda l: "\u23f8" in bar_line(l), 10, "the bar paused")
        t.drain(1.0)
        w = window(t, [t.proc.pid, dpid], a.win / 2)
        out["paused"] = dict(w, tui=w["rates"][t.proc.pid], daemon=w["rates"][dpid])
        segue(a, "stop", check=False)
    except TimeoutError as e:
        t.close(keys=b"q")
        die(str(e))
    t.close(keys=b"q")
    return out


# --- cmus -------------------------------------------------------------------------------------

def cmus_env(a):
    return term_env({"CMUS_HOME": a.cmus_home, "HOME": a.cmus_home, "XDG_RUNTIME_DIR": a.cmus_home,
                     "CMUS_SOCKET": a.cmus_socket, "JACK_DEFAULT_SERVER": a.jack or "default",
                     "JACK_NO_START_SERVER": "1"})


def cmus_frame(lines):
    # cmus's view: its title row at the top, and its status line (" . 00:00 - 00:00 ...")
    # second from the bottom (the last row is its command line, empty).
    return lines[0].strip() != "" and re.match(r" \S \d\d:\d\d", lines[ROWS - 2]) is not None


def cmus_remote(a, *args):
    p = subprocess.run([a.cmus_remote, "--server", a.cmus_socket] + list(args), capture_output=True,
                       timeout=10)
    if p.returncode != 0:
        raise RuntimeError("cmus-remote %s: %s" % (" ".join(args), p.stderr.decode(errors="replace").strip()))
    return p.stdout.decode(errors="replace")


def cmus_wait_socket(a, timeout=10):
    end = time.perf_counter() + timeout
    while time.perf_counter() < end:
        try:
            cmus_remote(a, "-Q")
            return True
        except RuntimeError:
            time.sleep(0.02)
    return False


def cmus_rc(a, jack):
    """cmus's rc, read at its start: no MPRIS (no D-Bus session here: cmus would stop at its
    start to say so); the output: JACK to play, libao's null driver (the cheapest to set up,
    as nothing plays) to be started only."""
    with open(os.path.join(a.cmus_home, "rc"), "w") as f:
        f.write("set mpris=false\n")
        f.write("set output_plugin=jack\n" if jack else "set output_plugin=ao\nset dsp.ao.driver=null\n")


def cmus_starts(a, n):
    cmus_rc(a, False)
    res = []
    for i in range(n):
        t = Term([a.cmus], cmus_env(a))
        try:
            f = t.wait(cmus_frame, 15, "cmus's first frame")
        except TimeoutError as e:
            t.close(keys=None)
            raise RuntimeError(str(e))
        cmus_wait_socket(a)
        t.drain(0.1)
        try:
            cmus_remote(a, "-C", "quit")
        except RuntimeError:
            pass
        t.close(keys=b"")  # (it quits of itself)
        res.append({"byte": (t.first_byte - t.t0) * 1000, "frame": (f - t.t0) * 1000,
                    "feed_ms": t.feed_s * 1000 / max(1, t.feeds)})
        time.sleep(a.gap / 1000)
    return res


def cmus_idle(a, files):
    cmus_rc(a, True)
    t = Term([a.cmus], cmus_env(a))
    out = {}
    try:
        t.wait(cmus_frame, 15, "cmus's first frame")
        if not cmus_wait_socket(a):
            raise RuntimeError("no cmus socket")
        for cmd in ("set repeat=true", "set continue=true", "view 3", "clear"):
            cmus_remote(a, "-C", cmd)
        cmus_remote(a, "-P", *files)  # to the playlist, played in order, repeated
        cmus_remote(a, "-C", "view 3")
        cmus_remote(a, "-C", "win-top")
        cmus_remote(a, "-C", "win-activate")
        end = time.perf_counter() + 10
        st = ""
        while time.perf_counter() < end:
            st = cmus_remote(a, "-Q")
            if "status playing" in st:
                break
            t.drain(0.05)
        if "status playing" not in st:
            raise RuntimeError("cmus did not play: %s; its screen ends: %s"
                               % (st.strip().split("\n")[0], " / ".join(l.strip() for l in t.lines()[-3:])))
        t.drain(2.0)
        pos0 = cmus_pos(cmus_remote(a, "-Q"))
        main = t.proc.pid
        w = window(t, [main], a.win)
        pos1 = cmus_pos(cmus_remote(a, "-Q"))
        st = cmus_remote(a, "-Q")
        out["playing"] = dict(w, cmus=w["rates"][main], pos=(pos0, pos1), still="status playing" in st)
        cmus_remote(a, "-u")  # pause
        t.drain(1.0)
        w = window(t, [main], a.win / 2)
        out["paused"] = dict(w, cmus=w["rates"][main])
        cmus_remote(a, "-s")
        cmus_remote(a, "-C", "quit")
    finally:
        t.close(keys=b"")
    return out


def cmus_pos(st):
    m = re.search(r"^position (\d+)", st, re.M)
    return int(m.group(1)) if m else -1


# --- the run ----------------------------------------------------------------------------------

def main():
    atexit.register(on_exit)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    ap = argparse.ArgumentParser()
    ap.add_argument("--segue", required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--album", required=True)
    ap.add_argument("--starts", type=int, default=20)
    ap.add_argument("--queries", type=int, default=50)
    ap.add_argument("--win", type=float, default=20)
    ap.add_argument("--gap", type=float, default=100, help="ms between starts/queries")
    ap.add_argument("--key-gap", type=float, default=60, help="ms between the keys of a query")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cmus", help="the cmus binary (the anchor); none: no anchor")
    ap.add_argument("--cmus-remote")
    ap.add_argument("--cmus-home")
    ap.add_argument("--cmus-files", nargs="*", default=[])
    ap.add_argument("--jack", help="the JACK server (dummy driver) cmus plays to; none: cmus is"
                    " only started, not played")
    ap.add_argument("--phases", default="start,search,idle,cmus")
    a = ap.parse_args()
    a.cmus_socket = os.path.join(a.cmus_home or "/nonexistent", "socket")
    a.load0 = loadavg()
    phases = a.phases.split(",")
    R = {}

    if "start" in phases:
        R["floor_echo"] = floor_start(["/bin/echo", "x"], 20, term_env())
        R["floor_version"] = floor_start([a.segue, "--version"], 20, term_env())
        start_daemon(a)
        segue_starts(a, 2, False)  # warm-up (page cache, the daemon's first answers)
        R["attach"] = segue_starts(a, a.starts, False)
        R["cold"] = segue_starts(a, a.starts, True)
    if "search" in phases:
        queries = pick_queries(a, a.queries)
        R["search"], R["server_search"], R["search_feed"], R["search_retries"] = search_phase(a, queries)
        R["distinct_queries"] = len(set(q for q, _ in queries))
    if "idle" in phases:
        R["idle"] = idle_phase(a)
    if "cmus" in phases and a.cmus:
        try:
            cmus_starts(a, 2)
            R["cmus_start"] = cmus_starts(a, a.starts)
            if a.jack and a.cmus_files:
                R["cmus_idle"] = cmus_idle(a, a.cmus_files)
            else:
                R["cmus_idle_skipped"] = True
        except (RuntimeError, TimeoutError, subprocess.TimeoutExpired) as e:
            R["cmus_error"] = str(e).split("\n")[0]
    stop_daemon(a)
    report(a, R)


def loadavg():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def report(a, R):
    print("method: each program on a pty of this script's own, its output read as it comes and fed"
          " to a terminal emulator (pyte); a time is the arrival of the read that completed what"
          " is looked for (no tmux polling). Load average %s at the start, %s at the end (the"
          " floors below show what the machine costs a process start)" % (a.load0, loadavg()))
    def row(name, xs, unit="ms"):
        print("  %-58s %8.1f %8.1f %8.1f %8.1f" % (name, pct(xs, 50), pct(xs, 99), min(xs), max(xs)))

    print("  %-58s %8s %8s %8s %8s" % ("", "p50 ms", "p99 ms", "min", "max"))
    if "attach" in R or "cmus_start" in R:
        print("start to first frame (%d starts each, %dx%d pty):" % (a.starts, COLS, ROWS))
    if "attach" in R:
        at, co = R["attach"], R["cold"]
        row("segue, daemon running (attach): spawn -> first frame", [x["frame"] for x in at])
        row("   ... -> first byte (ncurses set-up)", [x["byte"] for x in at])
        row("   ... -> ready (Home loaded, key hints)", [x["ready"] for x in at])
        row("segue, no daemon (cold): spawn -> first frame", [x["frame"] for x in co])
        row("   ... -> first byte", [x["byte"] for x in co])
        row("   ... -> ready (daemon started, Home loaded)", [x["ready"] for x in co])
        row("q -> the TUI's exit, attach (the daemon plays on)", [x["quit"] for x in at])
        row("q -> the TUI's exit, cold (it stops the daemon it started)", [x["quit"] for x in co])
        row("floor: /bin/echo, spawn -> its byte", R["floor_echo"])
        row("floor: segue --version, spawn -> its line", R["floor_version"])
    if "cmus_start" in R:
        row("cmus: spawn -> first frame (its status line drawn)", [x["frame"] for x in R["cmus_start"]])
        row("   ... -> first byte", [x["byte"] for x in R["cmus_start"]])
    if "attach" in R:
        p99 = pct([x["frame"] for x in at + co], 99)
        print("goal, first frame within 100 ms: p99 %.1f ms (attach and cold together): %s"
              % (p99, "met" if p99 <= 100 else "MISSED"))
        if "cmus_start" in R:
            c = pct([x["frame"] for x in R["cmus_start"]], 50)
            print("ratio segue / cmus, first frame p50: attach %.2fx, cold %.2fx"
                  % (pct([x["frame"] for x in at], 50) / c, pct([x["frame"] for x in co], 50) / c))
    if "search" in R:
        s = R["search"]
        raw = [x["raw"] for x in s]
        echo = [e for x in s for e in x["echo"]]
        print("keystroke to search results painted (%d queries, %d distinct, keys %d ms apart):"
              % (len(s), R["distinct_queries"], a.key_gap))
        row("last key -> results painted (raw)", raw)
        row("   less the %d ms debounce" % DEBOUNCE_MS, [x - DEBOUNCE_MS for x in raw])
        row("   the server's search alone (HTTP, same parameters)", R["server_search"])
        row("each key -> its echo in the query line (%d keys)" % len(echo), echo)
        print("  slowest queries: %s" % ", ".join("%r %.0f ms" % (x["q"], x["raw"]) for x in
                                                   sorted(s, key=lambda x: -x["raw"])[:3]))
    if "idle" in R or "cmus_idle" in R:
        print("idle while playing (a %s s window; then paused, %s s): CPU as %% of one core, per s:"
              " wake-ups (voluntary context switches), preemptions, terminal output"
              % (a.win, a.win / 2))
        print("  %-42s %7s %9s %8s %8s %8s %8s %9s %8s" % (
            "", "CPU %", "(sched %)", "main %", "wake", "preempt", "wake all", "bytes", "writes"))

        def irow(name, r, w=None):
            print("  %-42s %7.2f %9.3f %8.3f %8.2f %8.2f %8.2f %9s %8s" % (
                name, r["cpu"], r["sched"], r["main_sched"], r["wake_main"], r["invol_main"], r["wake_all"],
                "%.0f" % w["bytes"] if w else "-", "%.2f" % w["writes"] if w else "-"))

        for st in ("playing", "paused"):
            if "idle" in R:
                x = R["idle"][st]
                irow("segue TUI, %s" % st, x["tui"], x)
                irow("   its daemon (and mpv), same window", x["daemon"])
        if "cmus_idle" in R:
            for st in ("playing", "paused"):
                x = R["cmus_idle"][st]
                irow("cmus, %s (UI, decoder, JACK client)" % st, x["cmus"], x)
        print("  (CPU %: utime+stime ticks of all threads; sched %: their schedstat; main %: the main"
              " thread's schedstat, for both programs the UI loop; wake, preempt: the main thread's;"
              " wake all: every thread's; writes: bursts of terminal output)")
        if "idle" in R:
            p = R["idle"]["playing"]
            print("  (segue: the bar's clock went %d s -> %d s in the %.1f s window; %d threads)"
                  % (p["clock"][0], p["clock"][1], p["secs"], p["tui"]["threads"]))
        if "cmus_idle" in R:
            c = R["cmus_idle"]["playing"]
            print("  (cmus: its position went %d s -> %d s in the %.1f s window, %s at its end; %d threads)"
                  % (c["pos"][0], c["pos"][1], c["secs"], "still playing" if c["still"] else "NOT playing",
                     c["cmus"]["threads"]))
        if "cmus_idle" in R and "idle" in R:
            u, v = R["idle"]["playing"]["tui"], R["cmus_idle"]["playing"]["cmus"]

            def ratio(x, y):
                return "%.2fx" % (x / y) if y > 0 else "n/a (cmus 0)"
            print("ratio segue TUI / cmus's UI thread, playing: CPU (schedstat) %s, wake-ups %s"
                  % (ratio(u["sched"], v["main_sched"]), ratio(u["wake_main"], v["wake_main"])))
        elif "cmus_idle_skipped" in R:
            print("  (cmus was not played: no JACK server to play to)")
    if "idle" in R:
        p = R["idle"]["playing"]
        t, q = p["tui"], R["idle"]["paused"]["tui"]
        ok = t["sched"] < 0.5 and t["wake_all"] <= 1.5 and q["wake_all"] < 0.2
        print("goal, ~0 idle but a redraw a second: playing %.3f%% CPU, %.2f wake-ups/s (all threads),"
              " %.2f writes/s; paused %.3f%% CPU, %.2f wake-ups/s: %s"
              % (t["sched"], t["wake_all"], p["writes"], q["sched"], q["wake_all"], "met" if ok else "MISSED"))
    if "cmus_error" in R:
        print("cmus (the anchor): not measured: %s" % R["cmus_error"])
    feeds = [x["feed_ms"] for x in R.get("attach", []) + R.get("cold", [])]
    if feeds or "search_feed" in R:
        print("emulator cost (pyte, per read; a bound on how late the next read is taken): starts"
              " p50 %.2f ms%s" % (pct(feeds, 50) if feeds else float("nan"),
                                   ", search %.2f ms" % R["search_feed"] if "search_feed" in R else ""))


if __name__ == "__main__":
    main()
