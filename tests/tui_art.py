"""Cover art in the terminal: `segue show` on a terminal (a pty) draws the cover above the
details and never into a pipe or --json, caching the server's picture on disk; the TUI under
tmux draws an album's cover as coloured block symbols at 80x24 and 200x60, a different one for
a different cover, none with art = off or NO_COLOR; and a slow image server (a proxy on
loopback that holds pictures back) slows no key and holds up no command."""

import fcntl
import http.server
import os
import pty
import re
import select
import shutil
import struct
import subprocess
import termios
import threading
import time
import urllib.request

from segue_client import SEGUE_BIN, Client
from segue_test import TAP, Server, add_user, run, server_cmd, sql, tmpdir

t = TAP()
for tool in ("tmux", "ffmpeg", "sox"):
    if not shutil.which(tool):
        print("1..0 # SKIP %s is needed" % tool)
        raise SystemExit(0)

BIN = os.path.abspath(SEGUE_BIN)
BLOCKS = set(chr(c) for c in range(0x2580, 0x25A0))
work = tmpdir()
masters = os.path.join(work, "masters")
data = os.path.join(work, "data")


def track(folder, name, freq):
    os.makedirs(os.path.join(masters, folder), exist_ok=True)
    run(["sox", "-n", "-r", "22050", "-c", "1", "-b", "16", os.path.join(masters, folder, name + ".wav"),
         "synth", "8", "sine", str(freq), "vol", "0.5"], check=True)


def picture(path, colour):
    run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=%s:s=400x400" % colour,
         "-frames:v", "1", "-f", "image2", "-c:v", "mjpeg", path], check=True)


track("Crimson/Red Album", "01 - Ruby", 330)
track("Crimson/Red Album", "02 - Garnet", 370)
picture(os.path.join(masters, "Crimson/Red Album/cover.jpg"), "0xe02020")
track("Azure/Blue Album", "01 - Sapphire", 410)
track("Azure/Blue Album", "02 - Cobalt", 450)
track("Azure/Blue Album", "03 - Indigo", 490)
picture(os.path.join(masters, "Azure/Blue Album/cover.jpg"), "0x2040e0")
p = server_cmd("ingest", "--quiet", masters, data_dir=data)
if p.returncode != 0:
    t.bail("ingest failed: " + p.stderr.decode())
add_user(data, "listener", premium=True)
albums = dict(sql(data, "SELECT name, id FROM albums"))
image = dict(sql(data, "SELECT name, image FROM albums"))


class SlowImages:
    """An image CDN in front of the server, on loopback: /images/... is fetched from the
    server and handed on after delay seconds; pending counts requests held back."""

    def __init__(self):
        self.target = None
        self.delay = 0.0
        self.pending = 0
        self.served = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                with outer.lock:
                    outer.pending += 1
                    delay = outer.delay
                time.sleep(delay)
                try:
                    with urllib.request.urlopen(outer.target + self.path, timeout=10) as r:
                        body, status = r.read(), r.status
                except urllib.error.HTTPError as e:
                    body, status = b"", e.code
                with outer.lock:
                    outer.pending -= 1
                    outer.served += 1
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "image/jpeg")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()


def pty_run(cl, args, env_extra, cols=100, rows=40, timeout=30):
    """(status, output) of segue ARGS with its standard output (and input) a terminal."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    env = dict(cl.env)
    env.update(env_extra)
    p = subprocess.Popen([BIN] + args, stdin=slave, stdout=slave, stderr=subprocess.PIPE, env=env)
    os.close(slave)
    out = b""
    deadline = time.time() + timeout
    while time.time() < deadline:
        r, _, _ = select.select([master], [], [], 0.2)
        if r:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        elif p.poll() is not None:
            break
    os.close(master)
    try:
        p.wait(timeout=max(1, deadline - time.time()))
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    return p.returncode, out.decode(errors="replace"), p.stderr.read().decode(errors="replace")


def blocks(text):
    return sum(1 for c in text if c in BLOCKS)


def xterm_rgb(n):
    """The RGB of xterm's colour n (16..255)."""
    if n >= 232:
        v = 8 + 10 * (n - 232)
        return (v, v, v)
    n -= 16
    level = [0, 95, 135, 175, 215, 255]
    return (level[n // 36], level[n // 6 % 6], level[n % 6])


proxy = SlowImages()
with Server(data, {"public_url": proxy.base, "rl_standard": 100000}) as srv:
    proxy.target = srv.base
    red, blue = "segue:album:" + albums["Red Album"], "segue:album:" + albums["Blue Album"]

    # --- segue show ---------------------------------------------------------------------
    A = Client(srv.base)
    A.login("listener")
    status, out, err = pty_run(A, ["show", red], {"TERM": "xterm-256color", "TMUX": "/tmp/fake,1,0"})
    lines = out.split("\n")
    first_text = next((i for i, l in enumerate(lines) if "Red Album" in l), -1)
    art_lines = [i for i, l in enumerate(lines) if blocks(l) >= 10]
    t.ok(status == 0 and not err.strip(), "segue show on a terminal succeeds, with nothing on standard error", err)
    t.ok(len(art_lines) >= 8 and first_text > max(art_lines or [99]),
         "on a terminal (auto under tmux: symbols) the cover comes first, as %d rows of blocks, "
         "the details below" % len(art_lines), out[-2000:])
    codes = [int(n) for n in re.findall(r"\x1b\[38;5;(\d+)m", out)]
    t.ok(codes and all(xterm_rgb(n)[0] > 150 and xterm_rgb(n)[2] < 100 for n in codes if n >= 16),
         "in the cover's red (xterm colours %s)" % sorted(set(codes))[:8])
    cached = os.path.join(A.env["XDG_CACHE_HOME"], "segue", "images", image["Red Album"], "640.jpg")
    served = srv.get("/images/%s/640.jpg" % image["Red Album"])
    t.ok(os.path.isfile(cached) and open(cached, "rb").read() == served.body,
         "the picture is cached under XDG_CACHE_HOME/segue/images/HASH/640.jpg, as the server sent it")
    st = os.stat(cached)
    t.ok(st.st_mode & 0o777 == 0o644 and os.stat(os.path.dirname(cached)).st_mode & 0o777 == 0o700,
         "the file is 0644 in a 0700 folder (%o, %o)" % (st.st_mode & 0o777,
                                                          os.stat(os.path.dirname(cached)).st_mode & 0o777))
    before = proxy.served
    status, out2, err = pty_run(A, ["show", red], {"TERM": "xterm-256color", "TMUX": "/tmp/fake,1,0"})
    t.ok(status == 0 and blocks(out2) >= 80 and proxy.served == before,
         "shown again from the cache: the image server is not asked", (proxy.served, before))

    status, piped, err = A.run("show", red)
    t.ok(status == 0 and "Ruby" in piped and blocks(piped) == 0 and "\x1b" not in piped,
         "through a pipe: the details, no art", piped)
    status, js, err = pty_run(A, ["--json", "show", red], {"TERM": "xterm-256color", "TMUX": "x"})
    t.ok(status == 0 and blocks(js) == 0 and js.lstrip().startswith("{"), "--json on a terminal: JSON only", js[:300])
    status, nc, err = pty_run(A, ["show", red], {"TERM": "xterm-256color", "TMUX": "x", "NO_COLOR": "1"})
    t.ok(status == 0 and "Ruby" in nc and blocks(nc) == 0, "NO_COLOR: no art", nc[:500])
    K = Client(srv.base, {"art": "kitty"})
    K.login("listener")
    status, kitty, err = pty_run(K, ["show", blue], {"TERM": "xterm-256color"})
    t.ok(status == 0 and "\x1b_G" in kitty and "Cobalt" in kitty and blocks(kitty) == 0,
         "art = kitty: the cover as a kitty graphics sequence", kitty[:200] + err)
    off = Client(srv.base, {"art": "off"})
    off.login("listener")
    status, o, err = pty_run(off, ["show", blue], {"TERM": "xterm-256color", "TMUX": "x"})
    t.ok(status == 0 and "Cobalt" in o and blocks(o) == 0 and "\x1b_G" not in o, "art = off: none", o[:500])

    # --- the TUI under tmux -------------------------------------------------------------
    SOCK = "segue-art-%d" % os.getpid()

    def tmux(*args, check=False):
        return subprocess.run(["tmux", "-L", SOCK] + list(args), capture_output=True, text=True, check=check)

    def screen(escapes=False):
        return tmux("capture-pane", "-p", *(["-e"] if escapes else []), "-t", "tui").stdout

    def keys(*k):
        tmux("send-keys", "-t", "tui", *k)

    def wait_for(pred, timeout=8.0):
        deadline = time.time() + timeout
        s = screen()
        while time.time() < deadline and not pred(s):
            time.sleep(0.05)
            s = screen()
        return s

    def pane(s):
        return "\n".join(l.split("\u2502", 1)[1] for l in s.split("\n") if "\u2502" in l)

    def art_region(s):
        """(rows, widest row) of the block symbols on the page."""
        rows = [blocks(l) for l in pane(s).split("\n") if blocks(l)]
        return len(rows), max(rows or [0])

    def start(cl, w, h, extra=""):
        keys("Q")
        deadline = time.time() + 5
        while time.time() < deadline and tmux("has-session", "-t", "tui").returncode == 0:
            tmux("kill-server")
            time.sleep(0.1)
        env = " ".join("%s=%s" % (k, cl.env[k]) for k in
                       ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR", "SEGUE_SERVER"))
        tmux("new-session", "-d", "-s", "tui", "-x", str(w), "-y", str(h),
             "env %s %s LANG=C.UTF-8 TERM=xterm-256color %s; sleep 60" % (env, extra, BIN), check=True)
        return wait_for(lambda s: "? help" in s and "1 Home" in s)

    def open_album(name, first_track):
        keys("2")
        tmux("send-keys", "-t", "tui", "-l", name)
        wait_for(lambda s: "Albums" in pane(s) and name in pane(s))
        keys("Enter")  # from the query to the results
        keys("/")
        tmux("send-keys", "-t", "tui", "-l", name)
        keys("Enter")
        time.sleep(0.2)
        keys("Enter")
        # Not the search page, whose title and rows say as much.
        return wait_for(lambda s: first_track in pane(s) and name in s.split("\n")[0]
                        and "Search:" not in s.split("\n")[0])

    def bar(s):
        return "\n".join(s.rstrip("\n").split("\n")[-3:-1])

    def colours(s):
        """The xterm colours used on the lines with block symbols."""
        out = set()
        for line in s.split("\n"):
            if blocks(line):
                out |= {int(n) for n in re.findall(r"\x1b\[(?:3|4)8;5;(\d+)m", line)}
        return out

    T = Client(srv.base)
    T.login("listener")
    sizes = {}
    for w, h in ((80, 24), (200, 60)):
        s = start(T, w, h)
        s = open_album("Red Album", "Garnet")
        s = wait_for(lambda s: art_region(s)[0] >= 4)
        sizes[w] = art_region(s)
        t.ok(sizes[w][0] >= 4 and "Garnet" in pane(s),
             "%dx%d: the album page shows its cover as blocks (%d rows, %d columns) above its tracks"
             % (w, h, sizes[w][0], sizes[w][1]), s)
        t.ok(abs(sizes[w][1] - 2 * sizes[w][0]) <= 1, "%dx%d: a square cover is twice as wide in cells as high" % (w, h))
        red_colours = colours(screen(True))
        if not red_colours:
            t.diag(repr([l for l in screen(True).split("\n") if blocks(l)][:2]))
        keys("Escape")
        s = open_album("Blue Album", "Cobalt")
        s = wait_for(lambda s: art_region(s)[0] >= 4)
        blue_colours = colours(screen(True))
        t.ok(red_colours and blue_colours and red_colours != blue_colours
             and any(xterm_rgb(n)[0] > 150 and xterm_rgb(n)[2] < 100 for n in red_colours if n >= 16)
             and any(xterm_rgb(n)[2] > 150 and xterm_rgb(n)[0] < 100 for n in blue_colours if n >= 16),
             "%dx%d: the red cover in red, the blue one in blue (%s / %s)"
             % (w, h, sorted(red_colours)[:6], sorted(blue_colours)[:6]))
        keys("i")
        s = wait_for(lambda s: "Now playing" in s)
        t.ok("nothing is playing" in pane(s), "%dx%d: i opens the now-playing view" % (w, h), s)
        keys("i")
        s = wait_for(lambda s: "Cobalt" in pane(s))
        t.ok("Cobalt" in pane(s), "%dx%d: i again goes back" % (w, h), s)
    t.ok(sizes[200][0] > sizes[80][0] and sizes[200][1] > sizes[80][1],
         "the cover grows with the terminal (%s at 80x24, %s at 200x60)" % (sizes[80], sizes[200]))

    # The now-playing view shows the playing track's cover, fetched when the track began.
    s = start(T, 120, 40)
    s = open_album("Red Album", "Garnet")
    big = os.path.join(T.env["XDG_CACHE_HOME"], "segue", "images", image["Red Album"], "640.jpg")
    if os.path.exists(big):
        os.unlink(big)
    keys("Enter")
    s = wait_for(lambda s: "\u25b6" in bar(s) and ("Ruby" in bar(s) or "Garnet" in bar(s)))
    t.ok("\u25b6" in bar(s), "Enter on the album page plays its track", bar(s))
    deadline = time.time() + 5
    while time.time() < deadline and not os.path.exists(big):
        time.sleep(0.05)
    t.ok(os.path.exists(big), "when the track starts its large cover is fetched for the now-playing view")
    keys("i")
    s = wait_for(lambda s: "Now playing" in s and art_region(s)[0] >= 8)
    t.ok(art_region(s)[0] >= 8 and ("Ruby" in pane(s) or "Garnet" in pane(s)),
         "the now-playing view: the playing track's cover, large, and the track", s)
    keys("Q")
    time.sleep(0.5)

    for label, cl, extra in (("art = off", Client(srv.base, {"art": "off"}), ""),
                             ("NO_COLOR", Client(srv.base), "NO_COLOR=1")):
        cl.login("listener")
        start(cl, 100, 30, extra)
        s = open_album("Red Album", "Garnet")
        time.sleep(1.0)
        s = screen()
        t.ok("Garnet" in pane(s) and art_region(s)[0] == 0, "%s: no art on the album page" % label, s)
        keys("Q")
        time.sleep(0.3)

    # --- a pixel protocol, on a terminal of our own (tmux would swallow it) -----------------
    P = Client(srv.base, {"art": "kitty"})
    P.login("listener")
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    penv = dict(P.env, TERM="xterm-256color", LANG="C.UTF-8")
    penv.pop("TMUX", None)
    tui = subprocess.Popen([BIN], stdin=slave, stdout=slave, stderr=slave, env=penv, start_new_session=True)
    os.close(slave)
    seen = [b""]

    def read_until(want, timeout=8.0):
        """Reads the terminal until want appears in what came since the call; True if it did."""
        start = len(seen[0])
        deadline = time.time() + timeout
        while time.time() < deadline:
            if want in seen[0][start:]:
                return True
            r, _, _ = select.select([master], [], [], 0.1)
            if r:
                try:
                    seen[0] += os.read(master, 65536)
                except OSError:
                    return False
        return want in seen[0][start:]

    def type_in(text):
        os.write(master, text.encode())

    read_until(b"? help")
    type_in("2")
    type_in("Red Album")
    read_until(b"Albums")
    type_in("\r/Red Album\r")
    time.sleep(0.3)
    type_in("\r")
    got = read_until(b"\x1b_G")
    t.ok(got, "art = kitty: the album page's cover is sent as a kitty graphics picture after the screen")
    type_in("\x1b")
    t.ok(read_until(b"\x1b_Ga=d"), "going back deletes it")
    type_in("Q")
    try:
        tui.wait(timeout=10)
    except subprocess.TimeoutExpired:
        tui.kill()
        tui.wait()
    os.close(master)

    # --- a slow image server --------------------------------------------------------------
    S = Client(srv.base)
    S.login("listener")
    proxy.delay = 5.0
    start(S, 100, 30)
    s = open_album("Blue Album", "Indigo")
    held = wait_for(lambda s: proxy.pending > 0, 3) is not None and proxy.pending > 0
    t.ok(held and art_region(screen())[0] == 0,
         "the album page is shown while its cover is held back by the image server", screen())

    def line_of(s, word):
        return next((l for l in s.split("\n") if word in l), "")

    moved_ms = []
    for word_from, word_to in (("Sapphire", "Cobalt"), ("Cobalt", "Indigo")):
        before = line_of(screen(True), word_to)
        t0 = time.time()
        keys("j")
        s = screen(True)
        while time.time() - t0 < 3 and line_of(s, word_to) == before:
            time.sleep(0.01)
            s = screen(True)
        moved_ms.append((time.time() - t0) * 1000)
    t.ok(all(m < 500 for m in moved_ms) and proxy.pending > 0,
         "keys move the selection at once while the picture is pending (%s ms; still pending: %d)"
         % ([round(m) for m in moved_ms], proxy.pending))
    # Commands do not queue behind the picture either: another page loads meanwhile.
    t0 = time.time()
    keys("9")
    s = wait_for(lambda s: "Recently played" in s.split("\n")[0] and "loading" not in pane(s), 3)
    took = time.time() - t0
    t.ok("Recently played" in s.split("\n")[0] and "loading" not in pane(s) and took < 1.5
         and proxy.pending > 0,
         "a page that runs a command loads meanwhile (%.0f ms; still pending: %d)" % (took * 1000, proxy.pending), s)
    s = open_album("Blue Album", "Indigo")
    s = wait_for(lambda s: art_region(s)[0] >= 4, 10)
    t.ok(art_region(s)[0] >= 4, "the cover appears when the image server answers", s)
    keys("Q")
    time.sleep(0.3)
    tmux("kill-server")
    proxy.close()
t.done()
