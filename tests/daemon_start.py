"""Starting the daemon while another process starts one: `segue daemon &` followed at once by
`segue play`, two `segue play` at the same moment, `segue play` right after `segue quit`, a
daemon that holds the lock but never answers, and commands that must still fail at once when
no daemon runs or starts."""

import fcntl
import os
import signal
import subprocess
import threading
import time

from segue_client import SEGUE_BIN, Client, wait_gone
from segue_test import TAP, Server, catalog_copy, wait_for

t = TAP()
data = catalog_copy()
srv = Server(data).start()
EXE = os.path.realpath(SEGUE_BIN)
c = Client(srv.base)


def daemons():
    """The pids of this client's daemon processes (the command line's own are not counted)."""
    want = ("XDG_RUNTIME_DIR=" + c.env["XDG_RUNTIME_DIR"]).encode()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            if os.path.realpath("/proc/%s/exe" % name) != EXE:
                continue
            with open("/proc/%s/cmdline" % name, "rb") as f:
                argv = f.read().split(b"\0")
            with open("/proc/%s/environ" % name, "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            continue
        if b"daemon" in argv and want in env:
            found.append(int(name))
    return sorted(found)


def one_daemon():
    """The one daemon's pid once exactly one runs and it is the pid file's (a loser of the
    race for the lock takes up to half a second to give up), else the pids found."""
    got = wait_for(lambda: daemons() == [c.daemon_pid()] and c.daemon_pid() > 0, 3)
    return c.daemon_pid() if got else daemons()


def playing(track):
    rc, doc, err = c.json("status")
    return rc == 0 and doc and doc.get("is_playing") and (doc.get("item") or {}).get("id") == track


def quit_daemon(child=None):
    """quit, and the daemon is gone (child: the Popen of a `segue daemon` of ours, which
    stays a zombie until reaped)."""
    pid = c.daemon_pid()
    rc, out, err = c.run("quit", timeout=20)
    if child and child.pid == pid:
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            return False
    return rc == 0 and wait_gone(pid, 10) and not daemons()


def segue(*args, stderr=subprocess.PIPE):
    return subprocess.Popen([SEGUE_BIN] + list(args), env=c.env, stdout=subprocess.PIPE,
                            stderr=stderr)


try:
    rc, out, err = c.login("premium-us")
    t.eq(rc, 0, "login", err)
    token = srv.login("premium-us")
    found = srv.get("/v1/search?q=a&type=track&limit=20&market=US", token=token).json()
    track = [x["id"] for x in found["tracks"]["items"] if x.get("is_playable", True)][0]
    uri = "segue:track:" + track

    # --- nothing runs, nothing starts: no waiting -------------------------------------------
    started = time.time()
    rc, out, err = c.run("pause")
    took = time.time() - started
    t.ok(rc == 7 and took < 1.0, "pause with no daemon fails at once with no player (%.2f s)" % took,
         (rc, err))

    # --- segue daemon & segue play ----------------------------------------------------------
    for i in range(10):
        log = open(os.path.join(c.root, "daemon-%d.log" % i), "w+")
        d = subprocess.Popen([SEGUE_BIN, "daemon"], env=c.env, stdout=subprocess.DEVNULL, stderr=log)
        rc, out, err = c.run("play", uri)
        t.ok(rc == 0 and err == "", "round %d: play right after segue daemon & succeeds" % (i + 1),
             (rc, err))
        pid = one_daemon()
        t.ok(isinstance(pid, int) and pid > 0, "round %d: one daemon runs" % (i + 1), pid)
        t.ok(wait_for(lambda: playing(track), 5), "round %d: and it plays the track" % (i + 1))
        if pid != d.pid:
            t.diag("round %d: play's own daemon won the lock" % (i + 1))
        t.ok(quit_daemon(d), "round %d: quit stops it" % (i + 1))
        try:
            d.wait(10)
        except subprocess.TimeoutExpired:
            d.kill()
            d.wait()
        log.seek(0)
        text = log.read()
        log.close()
        # The background daemon is the one that ran (exit 0 after quit), or it lost the lock
        # to the one play started and says so.
        t.ok(d.returncode == 0 or (d.returncode == 1 and "already running" in text),
             "round %d: segue daemon & ran, or said another runs" % (i + 1), (d.returncode, text))

    # --- two plays at the same moment -------------------------------------------------------
    for i in range(3):
        a, b = segue("play", uri), segue("play", uri)
        (_, ea), (_, eb) = a.communicate(timeout=60), b.communicate(timeout=60)
        t.ok(a.returncode == 0 and b.returncode == 0,
             "round %d: two plays at once with no daemon both succeed" % (i + 1),
             (a.returncode, ea, b.returncode, eb))
        t.ok(ea == b"" and eb == b"", "round %d: and neither says anything on stderr" % (i + 1),
             (ea, eb))
        pid = one_daemon()
        t.ok(isinstance(pid, int) and pid > 0, "round %d: one daemon runs" % (i + 1), pid)
        t.ok(wait_for(lambda: playing(track), 5), "round %d: and it plays" % (i + 1))
        t.ok(quit_daemon(), "round %d: quit stops it" % (i + 1))

    # --- a daemon that holds the lock but does not answer (yet) -----------------------------
    os.makedirs(os.path.dirname(c.pid_path), mode=0o700, exist_ok=True)
    lock = open(c.pid_path, "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    lock.write("%d\n" % os.getpid())
    lock.flush()
    started = time.time()
    rc, out, err = c.run("pause")
    took = time.time() - started
    t.ok(rc == 1 and 4.5 < took < 8, "a daemon that never answers is waited for 5 s (%.1f s)" % took,
         (rc, err))
    t.ok("(pid %d) is starting or stopping but did not answer within 5 s" % os.getpid() in err,
         "and the error says so in one line", err)
    t.ok(len(err.strip().splitlines()) == 1, "one line", err)

    # The lock goes away (the daemon failed, or stopped) while play waits: play starts one.
    p = segue("play", uri)
    time.sleep(1)
    t.ok(p.poll() is None, "play waits while the lock is held")
    os.unlink(c.pid_path)
    lock.close()
    _, err = p.communicate(timeout=60)
    t.ok(p.returncode == 0, "once it is let go, play starts a daemon of its own", err)
    t.ok(isinstance(one_daemon(), int), "one daemon runs")
    t.ok(quit_daemon(), "quit stops it")

    # A probe's shared lock held at the moment a daemon takes the lock does not keep it out.
    lock = open(c.pid_path, "w")
    fcntl.flock(lock, fcntl.LOCK_SH)
    d = segue("daemon", "--detach")
    time.sleep(0.2)
    lock.close()
    _, err = d.communicate(timeout=30)
    t.ok(d.returncode == 0, "a daemon starting during a probe's shared lock starts", err)
    t.ok(quit_daemon(), "quit stops it")

    # --- quit, then play at once, while that daemon is still stopping ------------------------
    rc, out, err = c.run("play", uri)
    t.eq(rc, 0, "play starts a daemon", err)
    time.sleep(1)  # a play for the outbox: the daemon delivers it on its way out
    old = c.daemon_pid()
    # The delivery, and so the stop, waits for the server until it is let go again.
    os.kill(srv.proc.pid, signal.SIGSTOP)
    cont = threading.Timer(1.5, os.kill, (srv.proc.pid, signal.SIGCONT))
    try:
        rc, out, err = c.run("quit")
        t.eq(rc, 0, "quit", err)
        cont.start()
        started = time.time()
        rc, out, err = c.run("play", uri)
        took = time.time() - started
    finally:
        cont.join()
    t.ok(rc == 0 and took >= 1.0, "play right after quit waits for the daemon to stop, then starts "
         "the next (%.1f s)" % took, (rc, err))
    pid = one_daemon()
    t.ok(isinstance(pid, int) and pid != old, "one daemon runs, a new one", (old, pid))
    t.ok(quit_daemon(), "quit stops it")

    # --- a daemon killed: its pid file and socket stay, and mean nothing ---------------------
    rc, out, err = c.run("play", uri)
    t.eq(rc, 0, "play starts a daemon", err)
    c.kill9()
    t.ok(os.path.exists(c.pid_path), "kill -9 leaves the pid file behind")
    started = time.time()
    rc, out, err = c.run("pause")
    took = time.time() - started
    t.ok(rc == 7 and took < 1.0, "pause after kill -9 fails at once with no player (%.2f s)" % took,
         (rc, err))
finally:
    c.stop()
    srv.stop()
t.done()
