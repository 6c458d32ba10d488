"""Synced lyrics as a person and a script see them: the TUI's Lyrics page under tmux (the line
being sung lit, moving at its stamps, held by a pause, moved by a seek and by Enter on a line;
a long line wrapped; untimed lyrics as text; a track without lyrics said so; the page
following the track that plays), and `segue lyrics --follow` printing each line as it is
sung, as text and as JSON. A catalog of its own: sine-tone masters with .lrc files beside
them, stamps two seconds apart."""

import json
import os
import re
import shutil
import subprocess
import threading
import time

from segue_client import SEGUE_BIN, Client
from segue_test import TAP, Server, add_user, run, server_cmd, tmpdir

t = TAP()
if not shutil.which("tmux"):
    t.bail("tmux is needed (apt-get install tmux)")

SOCK = "segue-lyr-%d" % os.getpid()
BIN = os.path.abspath(SEGUE_BIN)
MARK = "\u25b6 "
LONG = ("Foxtrot " + "and the long line goes on " * 9).strip()

work = tmpdir()
album = os.path.join(work, "masters", "Lyric Band", "Timed Songs")
data = os.path.join(work, "data")
os.makedirs(album)


def master(name, tone, secs):
    run(["sox", "-n", "-r", "44100", "-c", "2", "-b", "16", os.path.join(album, name + ".flac"),
         "synth", str(secs), "sine", str(tone), "vol", "0.3"], check=True)


def lrc(name, text):
    with open(os.path.join(album, name + ".lrc"), "w") as f:
        f.write(text)


master("01 - Sung", 220, 45)
lrc("01 - Sung", "[ti:Sung]\n[00:01.00]Alpha line\n[00:03.00]Bravo line\n[00:05.00]Charlie line\n"
    "[00:07.00]Delta line\n[00:09.00]Echo line\n[00:11.00]\n[00:13.00]%s\n[00:20.00]Golf line\n"
    "[00:30.00]Hotel line\n" % LONG)
master("02 - Quiet", 330, 20)
master("03 - Plain", 440, 20)
lrc("03 - Plain", "Words without time\nSecond plain line\n")
p = server_cmd("ingest", os.path.join(work, "masters"), data_dir=data)
t.eq(p.returncode, 0, "the catalog is ingested", p.stderr.decode())
add_user(data, "listener", premium=True)


def tmux(*args, check=False):
    return subprocess.run(["tmux", "-L", SOCK] + list(args), capture_output=True, text=True, check=check)


def screen(attrs=False):
    return tmux("capture-pane", "-p", "-t", "lyr", *(["-e"] if attrs else [])).stdout


def keys(*k):
    tmux("send-keys", "-t", "lyr", *k)


def wait_for(pred, timeout=8.0, step=0.02):
    deadline = time.time() + timeout
    s = screen()
    while time.time() < deadline:
        if pred(s):
            return s
        time.sleep(step)
        s = screen()
    return s


def pane(s):
    return "\n".join(l.split("\u2502", 1)[1] for l in s.split("\n") if "\u2502" in l)


def lit(s):
    """The text of the line marked as being sung ('' when none)."""
    for l in pane(s).split("\n"):
        i = l.find(MARK)
        if i >= 0:
            return l[i + len(MARK):].strip()
    return ""


def paused(s):
    lines = s.rstrip("\n").split("\n")
    return "\u23f8" in "\n".join(lines[-3:-1])


srv = Server(data, {"rl_player": 100000, "rl_standard": 100000}).start()
A = Client(srv.base, {"device_name": "Laptop"})
C = Client(srv.base, {"device_name": "Phone"})
follower, followers = None, []
try:
    A.login("listener")
    tracks = {}
    for q in ("Sung", "Quiet", "Plain"):
        rc, doc, err = A.json("search", "--type", "track", q)
        items = ((doc or {}).get("tracks") or {}).get("items") or []
        tracks[q] = items[0]["id"] if items else ""
    t.ok(all(tracks.values()), "the three tracks are found", tracks)
    env = " ".join("%s=%s" % (k, A.env[k]) for k in
                   ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR", "SEGUE_SERVER"))
    tmux("new-session", "-d", "-s", "lyr", "-x", "110", "-y", "30",
         "env %s LANG=C.UTF-8 TERM=xterm-256color %s; sleep 60" % (env, BIN), check=True)
    s = wait_for(lambda s: "1 Home" in s and "nothing is playing" in s, 15)
    t.ok("nothing is playing" in s, "the TUI is up", s)

    # Nothing plays: the page says so; l again goes back.
    keys("l")
    s = wait_for(lambda s: "Nothing is playing" in s)
    t.ok("Nothing is playing" in pane(s) and "Lyrics" in s.split("\n")[0], "l opens the Lyrics page", s)
    keys("l")
    s = wait_for(lambda s: "Lyrics" not in s.split("\n")[0])
    t.ok("Lyrics" not in s.split("\n")[0], "l again goes back", s.split("\n")[0])

    # The ':' line runs no follow: lyrics --follow, all of whose output is its following, is
    # refused there (the page above is the TUI's way), not answered with nothing.
    keys(":")
    tmux("send-keys", "-t", "lyr", "-l", "lyrics --follow")
    keys("Enter")
    s = wait_for(lambda s: "command line" in s.rstrip("\n").split("\n")[-1], 5)
    t.ok("lyrics --follow works only from the command line" in s.rstrip("\n").split("\n")[-1],
         "':lyrics --follow' is refused, saying where it works", s.rstrip("\n").split("\n")[-1])

    # A timed song: the lit line moves at its stamps, on time.
    rc, doc, err = A.json("play", "segue:track:" + tracks["Sung"])
    t.eq(rc, 0, "play the timed song", err)
    keys("l")
    s = wait_for(lambda s: lit(s) in ("Alpha line", "Bravo line"))
    t.ok(lit(s) in ("Alpha line", "Bravo line"), "the line being sung is lit and marked", pane(s))
    t.ok("Lyrics \u00b7 Sung" in s.split("\n")[0], "the title names the track", s.split("\n")[0])
    colored = [l for l in screen(attrs=True).split("\n") if MARK in l]
    t.ok(colored and "\x1b[1m" in colored[0] or "1;" in colored[0] or ";1m" in colored[0],
         "the lit line is drawn bold", colored)
    lines = pane(s).split("\n")
    mid = [i for i, l in enumerate(lines) if MARK in l]
    t.ok(mid and abs(mid[0] - len(lines) // 2) <= 2, "and held in the middle of the list", (mid, len(lines)))

    # Each change, timed against the daemon's own position (status through the control socket).
    def status():
        rc, doc, err = A.json("status")
        return doc or {}

    lags = []
    for want, stamp in (("Charlie line", 5000), ("Delta line", 7000), ("Echo line", 9000)):
        s = wait_for(lambda s: lit(s) == want, 4, 0.01)
        seen = time.time()
        st = status()
        got = time.time()
        # The position when the screen changed: the status's, minus the time since.
        pos = st.get("progress_ms", 0) - (got - seen) * 1000
        lags.append(pos - stamp)
        t.ok(lit(s) == want, "%s is lit at its stamp" % want, pane(s))
    t.ok(all(-60 <= l <= 300 for l in lags),
         "within a few frames of the player's position: %s ms after the stamps" % [int(l) for l in lags], lags)

    # A long line wraps: all of its words are on screen, over several rows.
    s = wait_for(lambda s: lit(s).startswith("Foxtrot"), 6)
    flat = " ".join(x.strip() for x in pane(s).split("\n"))
    t.ok(lit(s).startswith("Foxtrot") and "goes on" in flat and flat.count("long line goes on") >= 5,
         "a long line is wrapped, not cut", pane(s))
    t.ok("\u266a" in pane(s), "a line without words shows as a note", pane(s))

    # Pause holds the light; resume moves it on. (Well inside Foxtrot's seven seconds, so
    # that the pause lands in it whatever the machine's load.)
    time.sleep(1.0)
    keys("Space")
    s = wait_for(paused)
    held = lit(s)
    time.sleep(2.5)
    s = screen()
    t.ok(paused(s) and lit(s) == held and held.startswith("Foxtrot"), "a pause holds the line (%s)" % held[:10], pane(s))
    keys("Space")
    s = wait_for(lambda s: not paused(s))
    # Seek: the light follows at once.
    keys(":")
    tmux("send-keys", "-t", "lyr", "-l", "seek 29")
    keys("Enter")
    s = wait_for(lambda s: lit(s) == "Golf line", 3)
    t.ok(lit(s) == "Golf line", "a seek moves the light", pane(s))
    s = wait_for(lambda s: lit(s) == "Hotel line", 3)
    t.ok(lit(s) == "Hotel line", "and it moves on from there at the next stamp", pane(s))

    # Enter on a line seeks there: the cursor goes to Charlie (found with /), Enter, and
    # Charlie is sung.
    keys("/")
    tmux("send-keys", "-t", "lyr", "-l", "charlie")
    keys("Enter")
    s = wait_for(lambda s: "Charlie line" in pane(s))
    t.ok(lit(s) == "Hotel line" and "Charlie line" in pane(s), "/ finds a line: the view goes to it, the light stays",
         pane(s))
    keys("Enter")
    s = wait_for(lambda s: lit(s) == "Charlie line", 4)
    st = status()
    t.ok(lit(s) == "Charlie line" and 5000 <= st.get("progress_ms", 0) < 7000,
         "Enter on a line seeks to it (%s ms)" % st.get("progress_ms"), pane(s))
    s = wait_for(lambda s: lit(s) == "Delta line", 4)
    t.ok(lit(s) == "Delta line", "and the page follows the song again", pane(s))

    # segue lyrics --follow: the lines as they are sung, in order, at about their times.
    def follow(client, *args):
        p = subprocess.Popen([SEGUE_BIN] + list(args) + ["lyrics", "--follow"], env=client.env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines = []

        def reader():
            for line in p.stdout:
                lines.append((time.time(), line))

        threading.Thread(target=reader, daemon=True).start()
        followers.append(p)
        return p, lines

    # As JSON and as text, from the daemon; and as text from another home of the account with
    # no daemon, following what the server says plays.
    follower, got = follow(A, "--json")
    _, text_got = follow(A)
    C.login("listener")
    _, hub_got = follow(C)
    A.run("seek", "4.5")
    time.sleep(0.3)
    t0 = time.time()
    deadline = time.time() + 8
    while time.time() < deadline and not (any('"Echo line"' in l for _, l in got) and
                                          any(l == "Echo line\n" for _, l in text_got)):
        time.sleep(0.05)
    docs = [(w, json.loads(l)) for w, l in got]
    texts = [d.get("text") for _, d in docs if d.get("type") == "line"]
    t.eq(docs[0][1].get("type") if docs else None, "track", "--follow --json: first, the track", docs[:1])
    t.ok(docs and docs[0][1].get("track_id") == tracks["Sung"] and docs[0][1].get("synced") is True
         and docs[0][1].get("lines") == 9, "its id, timed, nine lines", docs[:1])
    t.ok(texts[-3:] == ["Charlie line", "Delta line", "Echo line"], "then each line in order", texts)
    when = {d.get("text"): w for w, d in docs}
    if "Delta line" in when and "Echo line" in when:
        gap = when["Echo line"] - when["Delta line"]
        t.ok(1.8 <= gap <= 2.2, "at its time: two seconds apart (%.3f s)" % gap)
    else:
        t.ok(False, "at its time", texts)
    line = [d for _, d in docs if d.get("text") == "Delta line"]
    t.ok(line and line[0].get("start_ms") == 7000 and line[0].get("index") == 3,
         "each line with its stamp and index", line)
    texts = [l.rstrip("\n") for _, l in text_got]
    t.ok(texts[-3:] == ["Charlie line", "Delta line", "Echo line"], "as text: each line as it is sung", texts)
    deadline = time.time() + 6
    while time.time() < deadline and not any(l == "Echo line\n" for _, l in hub_got):
        time.sleep(0.05)
    when = {l.rstrip("\n"): w for w, l in hub_got}
    t.ok("Delta line" in when and "Echo line" in when and 1.7 <= when["Echo line"] - when["Delta line"] <= 2.3,
         "with no daemon here, from the server's view of the device that plays (%s)" % [l for _, l in hub_got],
         hub_got)

    # A track without lyrics: the page says so, following the track change; --follow says
    # the track has none.
    A.run("play", "segue:track:" + tracks["Quiet"])
    s = wait_for(lambda s: "No lyrics for this track" in s)
    t.ok("No lyrics for this track" in pane(s) and "Quiet" in s.split("\n")[0],
         "a track without lyrics: said plainly, the page following the track", pane(s))
    deadline = time.time() + 5
    while time.time() < deadline and not any('"track_id": "%s"' % tracks["Quiet"] in l or
                                              '"track_id":"%s"' % tracks["Quiet"] in l for _, l in got):
        time.sleep(0.05)
    quiet = [json.loads(l) for _, l in got if tracks["Quiet"] in l]
    t.eq(quiet[:1], [{"type": "track", "track_id": tracks["Quiet"], "lyrics": False, "synced": False, "lines": 0}],
         "--follow: the next track, with no lyrics", quiet)

    # Untimed lyrics: text to read, nothing lit.
    A.run("play", "segue:track:" + tracks["Plain"])
    s = wait_for(lambda s: "Words without time" in s)
    t.ok("Words without time" in pane(s) and "Second plain line" in pane(s) and lit(s) == ""
         and "not timed" in s.split("\n")[0], "untimed lyrics: shown as text, nothing lit", s)
    keys("Enter")
    status_line = lambda s: s.rstrip("\n").split("\n")[-1]
    s = wait_for(lambda s: "not timed" in status_line(s))
    t.ok("not timed" in status_line(s), "Enter on them says they are not timed", status_line(s))

    # What all of this stands on: once a track has started, the daemon's last state says where
    # mpv is. Its origin (timestamp - progress_ms: when, by the wall clock, the track was at
    # 0) against that of status answers taken afterwards (a reading is never ahead of the
    # sound, only behind by up to one of mpv's updates: the earliest origin is the truest).
    ev = A.connect()
    ev.subscribe()
    A.run("play", "segue:track:" + tracks["Quiet"])
    states, deadline = [], time.time() + 1.5
    while time.time() < deadline:
        e = ev.wait_event(lambda e: e.get("event") == "state", max(0.05, deadline - time.time()))
        d = (e or {}).get("data") or {}
        if d.get("is_playing") and (d.get("item") or {}).get("id") == tracks["Quiet"]:
            states.append(d)
    ctl = A.connect()
    origins = []
    for _ in range(40):  # at intervals out of step with mpv's updates, to catch one fresh
        st = (ctl.call("status") or {}).get("result") or {}
        if st.get("is_playing"):
            origins.append(st["timestamp"] - st["progress_ms"])
        time.sleep(0.023)
    ev.close()
    ctl.close()
    off = states[-1]["timestamp"] - states[-1]["progress_ms"] - min(origins) if states and origins else None
    t.ok(off is not None and -8 <= off <= 8,
         "a track started: the last state's position agrees with mpv's to within 8 ms (%s ms)" % off,
         (states[-1:], origins))

    # The player stops: --follow ends, exit status 7.
    A.run("quit")
    try:
        rc = follower.wait(10)
    except subprocess.TimeoutExpired:
        follower.kill()
        rc = follower.wait()
    t.eq(rc, 7, "--follow ends when the player stops (exit status 7)", follower.stderr.read())

    # Text form, and a URI with --follow is refused.
    rc, out, err = A.run("lyrics", "--follow", "segue:track:" + tracks["Sung"])
    t.eq(rc, 2, "--follow with a URI is a usage error", err)
finally:
    for f in followers:
        if f.poll() is None:
            f.kill()
        f.wait()
    tmux("kill-server")
    A.stop()
    C.stop()
    srv.stop()
t.done()
