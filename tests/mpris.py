"""The daemon on the desktop's session bus, driven by independent clients the way a desktop
drives it: playerctl (media keys, shell widgets), busctl (the interface's property types
against the MPRIS2 specification) and dbus-monitor (the signals, and the notifications the
daemon asks for). Everything runs on a private bus of its own (dbus-run-session), so the
suite never touches a real desktop's."""

import os
import shutil
import subprocess
import sys

# Our own bus, always: a desktop's must never see the test's players.
if os.environ.get("SEGUE_TEST_OWN_BUS") != "1":
    os.environ["SEGUE_TEST_OWN_BUS"] = "1"
    try:
        os.execvp("dbus-run-session", ["dbus-run-session", "--", sys.executable] + sys.argv)
    except OSError as e:
        print("Bail out! dbus-run-session cannot run (apt-get install dbus): %s" % e, flush=True)
        sys.exit(1)

from segue_client import Client, wait_gone
from segue_test import TAP, Server, add_user, run, server_cmd, tmpdir, wait_for

NAME = "org.mpris.MediaPlayer2.segue"
PATH = "/org/mpris/MediaPlayer2"
PLAYER = "org.mpris.MediaPlayer2.Player"

t = TAP()
for tool in ("playerctl", "busctl", "dbus-monitor", "ffmpeg"):
    if not shutil.which(tool):
        t.bail("%s is needed (scripts/deps installs it)" % tool)


def make_catalog():
    """An album with a cover (the shared test catalog has none) whose names need escaping
    as notification markup, and a track on another album; tracks long enough to outlast the
    test's seeks."""
    work = tmpdir()
    masters, data = os.path.join(work, "masters"), os.path.join(work, "data")
    songs = [("Night <Drive>", "Tom & Jerry", n, "Song %d" % n) for n in (1, 2, 3)]
    songs.append(("Elsewhere", "Someone Else", 1, "Another Song"))
    for i, (album, artist, n, title) in enumerate(songs):
        folder = os.path.join(masters, album.replace("<", "").replace(">", ""))
        os.makedirs(folder, exist_ok=True)
        run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
             "sine=frequency=%d:duration=100:sample_rate=22050" % (300 + 40 * i), "-ac", "1",
             "-metadata", "title=" + title, "-metadata", "artist=" + artist,
             "-metadata", "album=" + album, "-metadata", "album_artist=" + artist,
             "-metadata", "track=%d" % n, os.path.join(folder, "%02d.flac" % n)], check=True)
    run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=700x700", "-frames:v", "1",
         os.path.join(masters, "Night Drive", "cover.jpg")], check=True)
    p = server_cmd("ingest", "--quiet", masters, data_dir=data)
    if p.returncode != 0:
        t.bail("ingest failed: " + p.stderr.decode())
    add_user(data, "premium-us", premium=True, country="US")
    return data


data = make_catalog()
srv = Server(data, {"rl_player": 100000, "rl_standard": 100000}).start()
clients = []
monitors = []
children = []


def client(**conf):
    c = Client(srv.base, conf)
    clients.append(c)
    return c


def pctl(*args, player="segue", timeout=15):
    """(exit status, stdout stripped) of playerctl -p PLAYER ARGS."""
    argv = ["playerctl"] + (["-p", player] if player else []) + list(args)
    p = subprocess.run(argv, capture_output=True, timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace").strip() + p.stderr.decode(errors="replace").strip()


def meta(key, player="segue"):
    rc, out = pctl("metadata", "--format", "{{%s}}" % key, player=player)
    return out if rc == 0 else None


def busctl(*args, timeout=15):
    p = subprocess.run(["busctl", "--user"] + list(args), capture_output=True, timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


class Monitor:
    """dbus-monitor in the background, its output in a file read back with bounded waits."""

    def __init__(self, *rules):
        self.path = os.path.join(tmpdir("segue-mon-"), "out")
        self.f = open(self.path, "w")
        self.p = subprocess.Popen(["dbus-monitor", "--session"] + list(rules), stdout=self.f,
                                  stderr=subprocess.DEVNULL)
        monitors.append(self)
        self.seen = 0
        # It says NameAcquired to itself once it is in place.
        wait_for(lambda: "NameAcquired" in self.text(), 5)

    def text(self):
        with open(self.path, errors="replace") as f:
            return f.read()

    def mark(self):
        self.seen = len(self.text())

    def wait(self, pred, timeout=10):
        """What arrived since the last mark once pred holds of it (bounded), else that text."""
        got = wait_for(lambda: pred(self.text()[self.seen:]), timeout)
        return self.text()[self.seen:] if got else ""

    def stop(self):
        self.p.terminate()
        try:
            self.p.wait(5)
        except subprocess.TimeoutExpired:
            self.p.kill()
        self.f.close()


def log_of(c):
    try:
        with open(os.path.join(c.root, "data", "segue", "daemon.log"), errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def status(c):
    rc, doc, err = c.json("status")
    return doc if rc == 0 and isinstance(doc, dict) else {}


def playing_id(c):
    return ((status(c).get("item")) or {}).get("id")


def find(token, kind, q):
    return srv.get("/v1/search?q=%s&type=%s&market=US" % (q, kind), token=token).json()[kind + "s"]["items"][0]


try:
    token = srv.login("premium-us")
    album = find(token, "album", "Night")["id"]
    album_doc = srv.get("/v1/albums/%s?market=US" % album, token=token).json()
    items = album_doc["tracks"]["items"]
    tracks = [i["id"] for i in items]
    album_uri = "segue:album:" + album
    other = find(token, "track", "Another")
    t.ok(len(tracks) == 3 and album_doc.get("images") and other, "the test's catalog: an album "
         "of three with a cover, and one more track", album_doc)

    # --- on the bus as org.mpris.MediaPlayer2.segue ----------------------------------------
    A = client(device_name="Desk")
    A.login("premium-us")
    rc, out, err = A.start_daemon()
    t.eq(rc, 0, "the daemon starts on a session bus", err)
    rc, out = pctl("-l", player=None)
    t.ok("segue" in out.split(), "playerctl -l lists segue", out)
    t.ok("mpris: on the session bus as %s" % NAME in log_of(A), "the log says which name it took",
         log_of(A))
    rc, out = pctl("status")
    t.eq(out, "Stopped", "with nothing played, the status is Stopped")

    # The interfaces as the specification types them.
    rc, out, err = busctl("introspect", NAME, PATH)
    types = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 3 and f[0].startswith("."):
            types[f[0][1:]] = (f[1], f[2])
    want = {
        "PlaybackStatus": ("property", "s"), "LoopStatus": ("property", "s"),
        "Rate": ("property", "d"), "Shuffle": ("property", "b"), "Metadata": ("property", "a{sv}"),
        "Volume": ("property", "d"), "Position": ("property", "x"),
        "MinimumRate": ("property", "d"), "MaximumRate": ("property", "d"),
        "CanGoNext": ("property", "b"), "CanGoPrevious": ("property", "b"),
        "CanPlay": ("property", "b"), "CanPause": ("property", "b"), "CanSeek": ("property", "b"),
        "CanControl": ("property", "b"),
        "Next": ("method", "-"), "Previous": ("method", "-"), "Pause": ("method", "-"),
        "PlayPause": ("method", "-"), "Stop": ("method", "-"), "Play": ("method", "-"),
        "Seek": ("method", "x"), "SetPosition": ("method", "ox"), "OpenUri": ("method", "s"),
        "Seeked": ("signal", "x"),
        "CanQuit": ("property", "b"), "CanRaise": ("property", "b"),
        "HasTrackList": ("property", "b"), "Identity": ("property", "s"),
        "DesktopEntry": ("property", "s"), "SupportedUriSchemes": ("property", "as"),
        "SupportedMimeTypes": ("property", "as"), "Quit": ("method", "-"), "Raise": ("method", "-"),
    }
    wrong = {k: (types.get(k), v) for k, v in want.items() if types.get(k) != v}
    t.ok(rc == 0 and not wrong, "busctl introspect: every member has the specification's type",
         wrong or err)
    rc, out, err = busctl("get-property", NAME, PATH, "org.mpris.MediaPlayer2", "Identity",
                          "SupportedUriSchemes", "CanRaise", "HasTrackList", "CanQuit", "DesktopEntry")
    t.eq(out.split("\n")[:6], ['s "Segue"', 'as 1 "segue"', "b false", "b false", "b true", 's "segue"'],
         "the root interface: Identity Segue, the segue: scheme, no raise or track list, can quit, "
         "desktop entry segue")
    srcdir = os.environ.get("SEGUE_SRCDIR", ".")
    with open(os.path.join(srcdir, "data", "segue.desktop")) as f:
        entry = f.read()
    t.ok("Exec=segue\n" in entry and "Terminal=true" in entry, "and data/segue.desktop is that entry", entry)
    # Position is read, never signalled (the spec's EmitsChangedSignal false).
    rc, out, err = busctl("introspect", NAME, PATH, PLAYER)
    pos_line = next((l for l in out.splitlines() if l.startswith(".Position")), "")
    meta_line = next((l for l in out.splitlines() if l.startswith(".Metadata")), "")
    t.ok("emits-change" not in pos_line and "emits-change" in meta_line,
         "Metadata is signalled on change, Position is not", out)

    # --- playing, as playerctl sees it ----------------------------------------------------
    props = Monitor("type='signal',interface='org.freedesktop.DBus.Properties',path='%s'" % PATH,
                    "type='signal',interface='%s',member='Seeked'" % PLAYER)
    props.mark()
    rc, out, err = A.run("play", album_uri)
    t.eq(rc, 0, "play an album with the command line", err)
    got = props.wait(lambda s: "Metadata" in s and '"Playing"' in s)
    t.ok(got, "PropertiesChanged carries the new Metadata and PlaybackStatus Playing",
         props.text()[props.seen:][-1500:])
    t.ok(wait_for(lambda: pctl("status")[1] == "Playing", 5), "playerctl status: Playing")
    first = items[0]
    t.eq(meta("xesam:title"), first["name"], "metadata: the title")
    t.eq(meta("xesam:artist"), ", ".join(a["name"] for a in first["artists"]), "metadata: the artists")
    t.eq(meta("xesam:album"), album_doc["name"], "metadata: the album")
    t.eq(meta("mpris:length"), str(first["duration_ms"] * 1000), "metadata: the length in microseconds")
    art = [i["url"] for i in album_doc["images"] if i.get("width") == 640]
    t.eq(meta("mpris:artUrl"), art[0] if art else None, "metadata: artUrl is the album's 640-pixel picture")
    t.eq((meta("mpris:trackid") or "").strip("'"), "/org/segue/track/" + first["id"], "metadata: trackid is an object path of the track's id")
    t.eq(meta("xesam:url"), "segue:track:" + first["id"], "metadata: url is the track's segue: URI")
    t.eq(meta("xesam:trackNumber"), str(first["track_number"]), "metadata: the track number")
    t.eq(meta("xesam:albumArtist"), ", ".join(a["name"] for a in album_doc["artists"]),
         "metadata: the album's artists")
    rc, out, err = busctl("get-property", NAME, PATH, PLAYER, "Metadata")
    t.ok('"mpris:trackid" o "/org/segue/track/%s"' % first["id"] in out and '"mpris:length" x ' in out
         and '"xesam:artist" as ' in out and '"xesam:trackNumber" i ' in out,
         "busctl: trackid is an o, length an x, artists an as, the track number an i", out)

    # play-pause both ways, with a signal each time.
    props.mark()
    rc, out = pctl("play-pause")
    got = props.wait(lambda s: '"Paused"' in s)
    t.ok(rc == 0 and got and not status(A).get("is_playing"),
         "play-pause pauses the daemon, PropertiesChanged says Paused", out)
    props.mark()
    rc, out = pctl("play-pause")
    got = props.wait(lambda s: '"Playing"' in s)
    t.ok(rc == 0 and got and status(A).get("is_playing"), "play-pause again plays, and says so", out)

    # next / previous.
    props.mark()
    rc, out = pctl("next")
    got = props.wait(lambda s: tracks[1] in s)
    t.ok(rc == 0 and wait_for(lambda: playing_id(A) == tracks[1], 10) and got,
         "next plays the album's second track; the new trackid is signalled", out)
    t.eq(meta("xesam:title"), items[1]["name"], "and playerctl shows its title")
    props.mark()
    rc, out = pctl("previous")
    got = props.wait(lambda s: tracks[0] in s)
    t.ok(rc == 0 and wait_for(lambda: playing_id(A) == tracks[0], 10) and got,
         "previous goes back to the first", out)

    # position: get, set (SetPosition with the trackid), relative (Seek).
    props.mark()
    rc, out = pctl("position", "20")
    got = props.wait(lambda s: "Seeked" in s)
    t.ok(rc == 0 and got and 19000 <= status(A).get("progress_ms", 0) <= 24000,
         "position 20 seeks the daemon, and Seeked is signalled", (out, status(A).get("progress_ms"), got))
    rc, out = pctl("position")
    t.ok(rc == 0 and 19.0 <= float(out or 0) <= 25.0, "position reads it back in seconds", out)
    props.mark()
    rc, out = pctl("position", "10+")
    got = props.wait(lambda s: "Seeked" in s)
    t.ok(rc == 0 and got and 29000 <= status(A).get("progress_ms", 0) <= 35000,
         "position 10+ moves by ten seconds (Seek), and Seeked is signalled",
         (out, status(A).get("progress_ms")))
    line = next((l for l in got.splitlines() if l.strip().startswith("int64")), "")
    t.ok(line and 29000000 <= int(line.split()[-1]) <= 35000000, "Seeked carries the new position in microseconds", got)
    # A seek from another face is a jump the desktop is told of too.
    props.mark()
    A.run("seek", "5")
    got = props.wait(lambda s: "Seeked" in s)
    t.ok(got, "a seek from the command line is signalled with Seeked", props.text()[props.seen:][-800:])
    # A stale SetPosition (another track's id) is ignored, as the spec says.
    rc, out, err = busctl("call", NAME, PATH, PLAYER, "SetPosition", "ox",
                          "/org/segue/track/" + other["id"], "60000000")
    t.ok(rc == 0 and status(A).get("progress_ms", 0) < 30000, "SetPosition for another track is ignored",
         (err, status(A).get("progress_ms")))

    # volume, shuffle, loop.
    props.mark()
    rc, out = pctl("volume", "0.4")
    got = props.wait(lambda s: "Volume" in s)
    t.ok(rc == 0 and got and status(A)["device"]["volume_percent"] == 40,
         "volume 0.4 sets the daemon's volume to 40%, and Volume is signalled", (out, status(A).get("device")))
    rc, out = pctl("volume")
    t.ok(out.startswith("0.4"), "volume reads back 0.4", out)
    props.mark()
    rc, out = pctl("shuffle", "On")
    got = props.wait(lambda s: "Shuffle" in s)
    t.ok(rc == 0 and got and status(A).get("shuffle_state") is True, "shuffle On, and Shuffle is signalled", out)
    t.eq(pctl("shuffle")[1], "On", "shuffle reads On")
    props.mark()
    rc, out = pctl("shuffle", "Off")
    got = props.wait(lambda s: "Shuffle" in s)
    t.ok(rc == 0 and got and status(A).get("shuffle_state") is False, "shuffle Off", out)
    for mode, repeat in (("Track", "track"), ("Playlist", "context"), ("None", "off")):
        props.mark()
        rc, out = pctl("loop", mode)
        got = props.wait(lambda s: "LoopStatus" in s and '"%s"' % mode in s)
        t.ok(rc == 0 and got and status(A).get("repeat_state") == repeat,
             "loop %s sets repeat %s, and LoopStatus is signalled" % (mode, repeat), (out, status(A).get("repeat_state")))
        t.eq(pctl("loop")[1], mode, "loop reads %s" % mode)
    rc, out, err = busctl("set-property", NAME, PATH, PLAYER, "LoopStatus", "s", "Sometimes")
    t.ok(rc != 0 and "None, Track or Playlist" in err, "a LoopStatus outside the spec's is refused", err)

    rc, out, err = busctl("set-property", NAME, PATH, PLAYER, "Rate", "d", "2")
    t.ok(rc != 0 and "1.0" in err, "a Rate other than 1.0 is refused", err)
    rc, out = pctl("volume", "1.5")
    t.ok(rc == 0 and wait_for(lambda: status(A)["device"]["volume_percent"] == 100, 5),
         "a volume above 1.0 is full volume", status(A).get("device"))
    # A seek past the end is the next track (spec).
    was = playing_id(A)
    rc, out, err = busctl("call", NAME, PATH, PLAYER, "Seek", "x", "999000000")
    t.ok(rc == 0 and was in tracks and wait_for(lambda: playing_id(A) not in (None, was), 10),
         "Seek past the end plays the next track", (err, was, playing_id(A)))

    # open segue:URI.
    props.mark()
    rc, out = pctl("open", "segue:track:" + other["id"])
    got = props.wait(lambda s: other["id"] in s)
    t.ok(rc == 0 and wait_for(lambda: playing_id(A) == other["id"], 10) and got,
         "open segue:track:ID plays that track", out)
    rc, out, err = busctl("call", NAME, PATH, PLAYER, "OpenUri", "s", "file:///etc/passwd")
    t.ok(rc != 0 and "segue:KIND:ID" in err, "OpenUri refuses what is not a segue: URI", err)
    rc, out, err = busctl("call", NAME, PATH, PLAYER, "OpenUri", "s", "segue:track:nosuchtrack0000000000000")
    t.ok(rc != 0 and playing_id(A) == other["id"], "OpenUri of a track that does not exist fails, "
         "and what played plays on", err)

    # stop: paused at the start, shown as Stopped.
    props.mark()
    rc, out = pctl("stop")
    got = props.wait(lambda s: '"Stopped"' in s)
    st = status(A)
    t.ok(rc == 0 and got and not st.get("is_playing") and st.get("progress_ms", 99999) < 1500,
         "stop pauses at the start and says Stopped", (out, st.get("progress_ms")))
    t.eq(pctl("status")[1], "Stopped", "status reads Stopped")
    rc, out = pctl("play")
    t.ok(rc == 0 and wait_for(lambda: pctl("status")[1] == "Playing", 5), "play plays again")

    changes = props.text()
    t.ok(changes.count("member=PropertiesChanged") >= 10 and '"Position"' not in changes,
         "through all of it, Position was never in PropertiesChanged (the spec's rule)",
         changes.count("member=PropertiesChanged"))

    # --- a second daemon: the instance name ------------------------------------------------
    B = client(device_name="Second")
    B.login("premium-us")
    rc, out, err = B.start_daemon()
    inst = "segue.instance%d" % B.daemon_pid()
    rc, out = pctl("-l", player=None)
    t.ok(inst in out.split() and "segue" in out.split(),
         "a second daemon takes %s beside segue" % "org.mpris.MediaPlayer2.segue.instancePID", out)
    # Both are devices of one account: the second shows what the first plays.
    t.ok(wait_for(lambda: meta("xesam:title", player=inst) == other["name"], 10),
         "and answers on it, showing the track the desk plays", meta("xesam:title", player=inst))
    pid = B.daemon_pid()
    rc, out, err = busctl("call", NAME + "." + inst.split(".", 1)[1], PATH, "org.mpris.MediaPlayer2", "Quit")
    t.ok(rc == 0 and wait_gone(pid, 10), "Quit stops that daemon", err)
    t.ok(wait_for(lambda: inst not in pctl("-l", player=None)[1].split(), 5),
         "and its name goes with it")

    # --- another device plays: MPRIS shows and controls it ---------------------------------
    A.run("pause")
    R = client(device_name="Kitchen", mpris="no")
    R.login("premium-us")
    R.start_daemon()
    rc, out, err = R.run("play", "segue:track:" + tracks[2])
    t.eq(rc, 0, "another device (the kitchen daemon) plays", err)
    t.ok(wait_for(lambda: meta("xesam:title") == items[2]["name"], 15),
         "the desk's MPRIS shows the kitchen's track", meta("xesam:title"))
    t.ok(wait_for(lambda: pctl("status")[1] == "Playing", 5), "and that it plays")
    rc, out = pctl("pause")
    t.ok(rc == 0 and wait_for(lambda: not status(R).get("is_playing"), 10),
         "pause through the desk's MPRIS pauses the kitchen", out)
    t.ok(wait_for(lambda: pctl("status")[1] == "Paused", 10), "and the desk shows it Paused")
    # The kitchen's own seek is a jump the desk's clients are told of.
    props.mark()
    rc, out, err = R.run("seek", "40")
    got = props.wait(lambda s: "Seeked" in s, 10)
    line = next((l for l in got.splitlines() if l.strip().startswith("int64")), "")
    t.ok(rc == 0 and line and 39000000 <= int(line.split()[-1]) <= 43000000,
         "a seek on the kitchen reaches the desk's MPRIS as Seeked, with the kitchen's position",
         (err, got[-600:]))
    rc, out = pctl("position")
    t.ok(rc == 0 and 39.0 <= float(out or 0) <= 43.0, "and position reads the kitchen's", out)
    rc, out = pctl("volume", "0.3")
    t.ok(rc == 0 and wait_for(lambda: status(R).get("device", {}).get("volume_percent") == 30, 10),
         "volume through the desk's MPRIS sets the kitchen's", (out, status(R).get("device")))
    rc, out = pctl("-l", player=None)
    t.ok("segue" in out.split() and not any(x.startswith("segue.instance") for x in out.split()),
         "mpris = no: the kitchen daemon is not on the bus", out)
    R.stop()

    # --- no session bus --------------------------------------------------------------------
    N = client()
    N.env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    N.login("premium-us")
    rc, out, err = N.start_daemon()
    rc2, out2, err2 = N.run("play", "segue:track:" + tracks[0])
    t.ok(rc == 0 and rc2 == 0 and wait_for(lambda: status(N).get("is_playing"), 10),
         "without a session bus the daemon starts and plays", err + err2)
    lines = [l for l in log_of(N).splitlines() if "no session bus" in l]
    t.eq(len(lines), 1, "and says so once in its log", log_of(N))
    N.stop()

    # --- notifications ---------------------------------------------------------------------
    notes = Monitor("type='method_call',interface='org.freedesktop.Notifications',member='Notify'")
    notes.mark()
    rc, out, err = A.run("play", "segue:track:" + tracks[1])
    t.ok(rc == 0 and not notes.wait(lambda s: "member=Notify" in s, 2),
         "notify off (the default): a track change asks for no notification", err)
    rc, out, err = A.run("set", "notify", "yes")
    notes.mark()
    A.run("play", "segue:track:" + tracks[0])
    got = notes.wait(lambda s: "member=Notify" in s and items[0]["name"] in s, 20)
    t.ok(rc == 0 and got, "segue set notify yes turns them on in the running daemon", err)
    A.run("set", "notify", "no")
    notes.mark()
    A.run("play", "segue:track:" + tracks[1])
    t.ok(not notes.wait(lambda s: "member=Notify" in s, 2), "and segue set notify no off again")
    A.stop()
    # A notification server of our own, which answers with ids (tests/fake_notifier.py).
    shown = os.path.join(tmpdir("segue-notes-"), "shown")

    def notifier(*caps):
        if os.path.exists(shown):
            os.unlink(shown)
        p = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                           "fake_notifier.py"), shown] + list(caps))
        children.append(p)
        return p

    def shown_lines():
        try:
            with open(shown) as f:
                return f.read().splitlines()
        except OSError:
            return []

    server = notifier()
    t.ok(wait_for(lambda: "ready" in shown_lines(), 10), "a stand-in notification server is on the bus",
         shown_lines())
    NN = client(notify="yes")
    NN.login("premium-us")
    NN.start_daemon()
    notes.mark()
    rc, out, err = NN.run("play", album_uri)
    got = notes.wait(lambda s: "member=Notify" in s and "image-path" in s, 20)
    t.ok(got and '"Segue"' in got and '"%s"' % items[0]["name"] in got,
         "notify = yes: a track change asks for a notification, app Segue, the title as summary",
         notes.text()[notes.seen:][-1500:])
    body = "%s \u2014 %s" % (", ".join(a["name"] for a in items[0]["artists"]), album_doc["name"])
    t.ok(('"%s"' % body.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")) in got, "the body is the artists and the album", got[-800:])
    cover = [l for l in got.splitlines() if "file://" in l]
    path = cover[0].split('"')[1][len("file://"):] if cover else ""
    t.ok(path.startswith(os.path.join(NN.root, "cache", "segue")) and os.path.isfile(path),
         "the cover is a file in the art cache, as a file:// image-path", cover)
    with open(path, "rb") as f:
        t.ok(f.read(3) == b"\xff\xd8\xff", "and it is the JPEG the server serves")
    first_note = wait_for(lambda: [l for l in shown_lines() if l.startswith("Notify")], 10)
    t.ok(first_note and first_note[0].startswith("Notify replaces=0 app=Segue summary=%s " % items[0]["name"]),
         "the notification server got it, replacing nothing", shown_lines())
    notes.mark()
    NN.run("next")
    got = notes.wait(lambda s: "member=Notify" in s and items[1]["name"] in s, 20)
    notes_now = wait_for(lambda: [l for l in shown_lines() if l.startswith("Notify")][1:], 10)
    t.ok(notes_now and notes_now[0].startswith("Notify replaces=1 app=Segue summary=%s " % items[1]["name"]),
         "the next track's notification replaces the first (replaces_id is the id the server gave)",
         shown_lines())
    cover2 = [l for l in got.splitlines() if "file://" in l]
    t.ok(cover2 and cover2[0].split('"')[1] == cover[0].split('"')[1],
         "and shows the same cover, from the cache", cover2)
    NN.stop()
    # A server that shows a body as it is gets the names unescaped.
    server.terminate()
    server.wait(5)
    server = notifier("body")
    wait_for(lambda: "ready" in shown_lines(), 10)
    NN = client(notify="yes")
    NN.login("premium-us")
    NN.start_daemon()
    t.ok(wait_for(lambda: "GetCapabilities" in shown_lines(), 10),
         "the daemon asks the server what it shows", shown_lines())
    notes.mark()
    NN.run("play", "segue:track:" + tracks[2])
    got = notes.wait(lambda s: "member=Notify" in s and items[2]["name"] in s, 20)
    t.ok('"%s"' % body in got, "without body-markup the body is plain: " + body, got[-800:])
    NN.stop()
finally:
    for m in monitors:
        m.stop()
    for p in children:
        p.terminate()
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
    for c in clients:
        c.stop()
    srv.stop()
t.done()
