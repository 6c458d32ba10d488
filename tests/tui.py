"""The terminal interface, driven under tmux the way a person would use it: keys in, the
screen read back. A real server, the TUI's own daemon (null audio output) and a second daemon
as another Connect device."""

import json
import os
import re
import shutil
import signal
import subprocess
import time

from segue_client import SEGUE_BIN, Client
from segue_test import TAP, Server, catalog_copy, sql

t = TAP()
if not shutil.which("tmux"):
    t.bail("tmux is needed (apt-get install tmux)")

SOCK = "segue-test-%d" % os.getpid()
BIN = os.path.abspath(SEGUE_BIN)


def tmux(*args, check=False):
    return subprocess.run(["tmux", "-L", SOCK] + list(args), capture_output=True, text=True, check=check)


def screen():
    return tmux("capture-pane", "-p", "-t", "tui").stdout


def keys(*k):
    tmux("send-keys", "-t", "tui", *k)


def typed(text):
    tmux("send-keys", "-t", "tui", "-l", text)


def wait_for(pred, timeout=15.0):
    """The screen once pred(screen) holds (or the last one, after timeout)."""
    deadline = time.time() + timeout
    s = screen()
    while time.time() < deadline:
        if pred(s):
            return s
        time.sleep(0.05)
        s = screen()
    return s


def has(text):
    return lambda s: text in s


def results(query, text):
    """The Search page once it lists query's own results and they hold text. The rows of the
    query before stay on screen, under the new query, until the new ones come: wait for both
    the title and the end of "(searching...)", never for a row alone."""
    def pred(s):
        title = s.split("\n")[0]
        return ("Search: " + query) in title and "searching" not in title and text in pane(s)
    return pred


def find(text):
    """Selects the first row matching text, as a user does with '/'."""
    keys("/")
    typed(text)
    keys("Enter")
    time.sleep(0.1)


def pane(s):
    """The main pane: what is right of the sidebar's line."""
    return "\n".join(l.split("\u2502", 1)[1] for l in s.split("\n") if "\u2502" in l)


def bar(s):
    """The now-playing bar's two lines (the third and second from the bottom)."""
    lines = s.rstrip("\n").split("\n")
    return "\n".join(lines[-3:-1])


def elapsed(s):
    m = re.search(r"^\s*(\d+):(\d\d)\s", bar(s).split("\n")[-1])
    return int(m.group(1)) * 60 + int(m.group(2)) if m else -1


data = catalog_copy()
albums = dict(sql(data, "SELECT name, id FROM albums"))
with Server(data, {"rl_player": 100000, "rl_standard": 100000, "rl_playlist": 100000,
                   "rl_search": 100000}) as srv:
    A = Client(srv.base, {"device_name": "Laptop", "download_rate": 150})
    B = Client(srv.base, {"device_name": "Speaker"})
    A.login("premium-us")
    B.login("premium-us")
    B.start_daemon()
    env = " ".join("%s=%s" % (k, A.env[k]) for k in
                   ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR", "SEGUE_SERVER"))

    started = time.time()
    tmux("new-session", "-d", "-s", "tui", "-x", "120", "-y", "40",
         "env %s LANG=C.UTF-8 TERM=xterm-256color %s; sleep 60" % (env, BIN), check=True)
    s = wait_for(lambda s: "9 Recently played" in s and "Home" in s.split("\n")[0])
    t.ok("1 Home" in s and "9 Recently played" in s and "Home" in s.split("\n")[0],
         "the first frame: sidebar and page (%.0f ms)" % ((time.time() - started) * 1000), s)
    s = wait_for(has("? help"))
    t.ok("? help" in s.split("\n")[-2] or "? help" in s, "the status line shows the key hints", s.split("\n")[-2:])
    s = wait_for(lambda s: "Popular" in pane(s) and "Mr. Bright" in pane(s))
    t.ok("Popular" in pane(s) and "Recently played" not in pane(s),
         "Home: the server's popular tracks (nothing played yet)", s)
    t.ok("nothing is playing" in s, "with nothing playing, the bar says so", s)
    t.ok(wait_for(lambda s: A.daemon_pid() > 0, 5) is not None and A.daemon_pid() > 0,
         "the TUI started a daemon to play with")

    # Search as you type, then play a result.
    keys("2")
    typed("golden")
    # Home lists Golden Echo too: only the Search page's title tells the results.
    s = wait_for(results("golden", "Golden Echo"))
    t.ok("Search: golden" in s and "Songs" in s and "Golden Echo (Club Mix)" in s,
         "search results appear while typing", s)
    keys("Enter")
    keys("Enter")
    s = wait_for(lambda s: "Golden Echo" in bar(s) and "\u25b6" in bar(s))
    t.ok("Golden Echo (Club Mix)" in bar(s) and "Mr. Bright" in bar(s) and "Laptop" in bar(s),
         "Enter plays it: the bar shows title, artist and device", bar(s))
    first = elapsed(s)
    s = wait_for(lambda s: elapsed(s) >= first + 2, 5)
    t.ok(elapsed(s) >= first + 2, "the bar's clock advances (%d s -> %d s)" % (first, elapsed(s)))

    # An album from search, played from its page.
    keys("2")
    keys("C-u")
    typed("strobe")
    wait_for(results("strobe", "Albums"))
    keys("Enter")
    find("Strobe & Shadow")
    keys("Enter")
    s = wait_for(lambda s: "Strobe & Shadow" in s.split("\n")[0] and "24/7" in s)
    t.ok("24/7" in s, "Enter on an album opens its page", s)
    keys("g")
    keys("Enter")
    s = wait_for(lambda s: "Golden Echo" in bar(s) and elapsed(s) == 0)

    # Pause, resume, seek, volume, next.
    keys("Space")
    s = wait_for(lambda s: "\u23f8" in bar(s))
    t.ok("\u23f8" in bar(s), "Space pauses", bar(s))
    keys("Space")
    s = wait_for(lambda s: "\u25b6" in bar(s))
    t.ok("\u25b6" in bar(s), "Space resumes", bar(s))
    keys("-")
    s = wait_for(lambda s: "vol 95%" in bar(s))
    t.ok("vol 95%" in bar(s), "- turns the volume down", bar(s))
    keys("Right")
    s = wait_for(lambda s: elapsed(s) >= 5)
    t.ok(elapsed(s) >= 5, "Right seeks forward", bar(s))
    keys(">")
    s = wait_for(lambda s: "Harbor & Letter" in bar(s))
    t.ok("Harbor & Letter" in bar(s), "> skips to the album's next track", bar(s))
    # The album (under a minute) must still be playing at the transfer below, however long
    # the download in between takes on a loaded machine.
    A.run("repeat", "context")

    # The queue: add from the album page, see it, move, remove.
    find("24/7")
    keys("a")
    wait_for(has("queued 24/7"))
    find("Golden Echo")
    keys("a")
    wait_for(has("queued Golden Echo"))
    keys("7")
    s = wait_for(lambda s: "Up next" in s and "Golden Echo" in s.split("Up next")[1])
    up = s.split("Up next")[1] if "Up next" in s else ""
    t.ok(0 <= up.find("24/7") < up.find("Golden Echo"), "the Queue page lists the hand-queued tracks in order", s)
    find("24/7")
    keys("J")
    s = wait_for(lambda s: "Up next" in s and 0 <= s.split("Up next")[1].find("Golden Echo") < s.split("Up next")[1].find("24/7"))
    up = s.split("Up next")[1] if "Up next" in s else ""
    t.ok(0 <= up.find("Golden Echo") < up.find("24/7"), "J moves it down", s)
    find("24/7")
    keys("d")
    s = wait_for(lambda s: "Up next" in s and s.split("Up next")[1].count("24/7") < up.count("24/7"))
    t.ok("Up next" in s and s.split("Up next")[1].count("24/7") < up.count("24/7"), "d removes it", s)

    # A playlist made from ':' and filled from search with A.
    keys(":")
    typed("playlist create 'Road Trip'")
    keys("Enter")
    s = wait_for(has("Road Trip"))
    t.ok("Road Trip" in s, "':playlist create' runs the command and says what it did", s.split("\n")[-2:])
    keys("2")
    keys("C-u")
    typed("strobe")
    wait_for(results("strobe", "Albums"))
    # A search under way (the server stopped for the while) leaves the rows of the query
    # before on screen, and the title says they are not yet the new query's.
    os.kill(srv.proc.pid, signal.SIGSTOP)
    try:
        keys("C-u")
        typed("echo")
        s = wait_for(lambda s: "Search: echo" in s.split("\n")[0] and "Strobe & Shadow" in pane(s) and
                     "searching" in s.split("\n")[0], 5)
    finally:
        os.kill(srv.proc.pid, signal.SIGCONT)
    t.ok("searching" in s.split("\n")[0] and "Strobe & Shadow" in pane(s),
         "while a search is under way, the title says so over the rows of the query before", s)
    s = wait_for(results("echo", "Golden Echo"))
    t.ok("Golden Echo" in pane(s) and "searching" not in s.split("\n")[0], "and not once its results are in", s)
    keys("Enter")  # to the list
    # Typed ahead in one burst, as a fast typist or a paste does: the playlists A asks for
    # (Road Trip was made a moment ago) are still on their way when Tab and Enter come.
    keys("A", "R", "o", "a", "d", "Tab", "Enter")
    s = wait_for(lambda s: "added to Road Trip" in s or "no playlist" in s)
    t.ok("added to Road Trip" in s, "A, Tab and Enter typed ahead wait for the playlists they complete from",
         s.split("\n")[-2:])
    keys("A")
    typed("Road")
    keys("Tab")
    s = wait_for(has("add to playlist: Road Trip"))
    t.ok("add to playlist: Road Trip" in s, "A asks which playlist, Tab completes its name", s.split("\n")[-1])
    keys("Escape")
    keys("6")
    s = wait_for(lambda s: "Road Trip" in s and "1 tracks" in s)
    t.ok("Road Trip" in s and "1 tracks" in s, "the Playlists page shows it with its track", s)
    keys("c")
    typed("Late Night")
    keys("Enter")
    s = wait_for(lambda s: "Late Night" in pane(s))
    t.ok("Late Night" in pane(s), "c creates a playlist in place", s)
    find("Late Night")
    keys("R")
    s = wait_for(has("rename to: Late Night"))
    keys("BSpace", "BSpace", "BSpace", "BSpace", "BSpace")
    typed("Drive")
    keys("Enter")
    s = wait_for(lambda s: "Late Drive" in pane(s))
    t.ok("Late Drive" in pane(s) and "Late Night" not in pane(s), "R renames it", s)
    find("Road Trip")
    keys("Enter")
    s = wait_for(lambda s: "Road Trip" in s.split("\n")[0] and "Golden Echo" in s)
    t.ok("Road Trip" in s.split("\n")[0] and "Golden Echo" in s, "Enter opens the playlist", s)

    # Artist -> album -> back.
    keys("2")
    keys("C-u")
    typed("bright")
    s = wait_for(results("bright", "Artists"))
    keys("Enter")
    find("Mr. Bright")
    keys("Enter")
    s = wait_for(lambda s: "Popular" in s and "Albums" in s)
    t.ok("Mr. Bright" in s.split("\n")[0] and "Popular" in s, "an artist's page: top tracks and albums", s)
    keys("G")
    keys("Enter")
    s = wait_for(lambda s: s.split("\n")[0].rstrip().endswith("Strobe & Shadow") and "24/7" in pane(s))
    t.ok("Strobe & Shadow" in s.split("\n")[0] and "24/7" in s, "its album's page", s)
    keys("BSpace")
    s = wait_for(lambda s: "Popular" in s)
    t.ok("Popular" in s and "Mr. Bright" in s.split("\n")[0], "Backspace goes back to the artist", s)

    # Download the album from the artist's page: progress at the bottom, then the marks.
    find("Strobe & Shadow")
    keys("D")
    s = wait_for(lambda s: re.search(r"\u2193 .* \d+%", s.split("\n")[-2]) is not None, 10)
    t.ok(re.search(r"\u2193 .* \d+%", s.split("\n")[-2]), "D downloads the album; the bottom line shows the progress",
         s.split("\n")[-2:])
    s = wait_for(lambda s: "\u2193Strobe & Shadow" in pane(s), 60)
    t.ok("\u2193Strobe & Shadow" in pane(s), "once downloaded, the album is marked", s)
    t.ok(not re.search(r"\u2193 .* \d+%", s.split("\n")[-2]), "and the progress is gone", s.split("\n")[-2:])
    keys("Enter")
    s = wait_for(lambda s: s.split("\n")[0].rstrip().endswith("Strobe & Shadow") and "24/7" in pane(s))
    rows = [l for l in pane(s).split("\n") if re.match(r"\s+\d+\S?\s", l)]
    t.ok(rows and all(re.match(r"\s+\d+\u2193", l) for l in rows), "and so is each of its tracks", s)
    keys("BSpace")
    wait_for(lambda s: "Popular" in s)

    # Help overlay.
    keys("?")
    s = wait_for(has("bind.ACTION"))
    t.ok("bind.ACTION" in s and "pause or resume" in s, "? shows the keys", s)
    keys("Escape")

    # Devices: transfer to the speaker from the Devices page.
    keys("8")
    s = wait_for(lambda s: "Speaker" in s and "Laptop" in s)
    t.ok("Speaker" in s and "(this device)" in s, "the Devices page lists both devices", s)
    find("Speaker")
    keys("Enter")
    s = wait_for(lambda s: "Speaker" in bar(s))
    rc, st, err = B.json("status")
    t.ok("Speaker" in bar(s) and st and st.get("is_playing"), "Enter transfers playback; the bar follows it", bar(s))

    # A remote command from the command line shows at once.
    rc, out, err = B.run("pause")
    s = wait_for(lambda s: "\u23f8" in bar(s))
    t.ok("\u23f8" in bar(s), "a pause from another device's command line shows in the TUI", bar(s))

    # Non-ASCII names keep the columns straight.
    tok = srv.login("premium-us")
    srv.request("POST", "/v1/users/premium-us/playlists", body={"name": "Café 東京 🎵 Nights"}, token=tok)
    keys("6")
    s = wait_for(has("Café 東京"))
    line = next((l for l in s.split("\n") if "Café" in l), "")
    road = next((l for l in s.split("\n") if "Road Trip" in l), "")
    t.ok("Café 東京 🎵 Nights" in line, "wide and accented names are drawn", line)
    t.ok(line.rstrip().endswith("tracks") and road.rstrip().endswith("tracks"),
         "and the columns after them stay aligned", s)

    # Resizing.
    tmux("resize-window", "-t", "tui", "-x", "80", "-y", "24")
    s = wait_for(lambda s: len(s.split("\n")) <= 25 and "? help" in s)
    lines = s.rstrip("\n").split("\n")
    t.ok(len(lines) == 24 and all(len(l) <= 80 for l in lines) and "1 Home" in s and "Speaker" in bar(s),
         "at 80x24 everything is drawn again to fit", s)
    tmux("resize-window", "-t", "tui", "-x", "200", "-y", "60")
    s = wait_for(lambda s: len(s.rstrip("\n").split("\n")) == 60)
    t.ok(len(s.rstrip("\n").split("\n")) == 60 and "9 Recently played" in s and "Speaker" in bar(s),
         "and at 200x60", bar(s))

    # The server goes away and comes back.
    srv.stop()
    keys("2")
    keys("C-u")
    typed("lua")
    s = wait_for(lambda s: "Search: lua" in s and
                 ("reach" in s.lower() or "connect" in s.lower() or "server" in s.lower()), 10)
    t.ok("Search: lua" in s, "with the server down the TUI keeps working and says so", s.split("\n")[-1])
    srv.start()
    keys("C-r")
    s = wait_for(lambda s: "Lua de Mar" in pane(s), 15)
    t.ok("Lua de Mar" in s, "when it is back, the same search finds", s)

    # Quit: the TUI started its daemon, so it stops it.
    pid = A.daemon_pid()
    keys("Escape")  # out of the search box, where q is a letter
    keys("q")
    deadline = time.time() + 10
    while time.time() < deadline and A.daemon_pid():
        time.sleep(0.1)
    t.ok(A.daemon_pid() == 0, "q quits, and stops the daemon it had started")

    tmux("kill-server")
    A.stop()
    B.stop()

t.done()
