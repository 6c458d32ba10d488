"""A newcomer's first five minutes: README command (1), scripts/demo, in a scratch home. It
starts the server, logs the client in as demo in the home's own XDG directories (a plain
`segue` then needs no flag or variable), starts something playing and, on a terminal, opens
the terminal interface. Run twice, it reuses what runs; --stop stops what it started."""

import json
import os
import pty
import shutil
import subprocess
import time

from segue_client import SEGUE_BIN
from segue_test import SRCDIR, TAP, add_user, catalog_copy, tmpdir

t = TAP()
DEMO_SCRIPT = os.path.join(SRCDIR, "scripts", "demo")
BIN = os.path.abspath(SEGUE_BIN)

root = tmpdir("segue-first-run-")
demo = os.path.join(root, "demo")
home = os.path.join(root, "home")
run_dir = os.path.join(root, "run")
os.makedirs(demo)
os.makedirs(run_dir, mode=0o700)
os.rename(catalog_copy(), os.path.join(demo, "data"))
add_user(os.path.join(demo, "data"), "demo", "demo-password", premium=True, country="US")

env = {k: v for k, v in os.environ.items()
       if not k.startswith("XDG_") and k not in ("SEGUE_SERVER", "SEGUE_CONFIG")}
env.update(HOME=home, XDG_RUNTIME_DIR=run_dir, SEGUE_DEMO_DIR=demo, SEGUE_LISTEN="127.0.0.1:0",
           SEGUE_BIN=BIN, LANG="C.UTF-8")
conf = os.path.join(home, ".config", "segue", "segue.conf")
os.makedirs(os.path.dirname(conf))
with open(conf, "w") as f:
    f.write("audio_output = null\n")  # no sound card in a test, whatever the machine has


def script(*args, timeout=60):
    p = subprocess.run(["sh", DEMO_SCRIPT, "--no-build"] + list(args), env=env, capture_output=True,
                       text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout + p.stderr


def segue(*args):
    """A plain `segue ARGS`, as the newcomer types it: no --server, no SEGUE_SERVER."""
    p = subprocess.run([BIN] + list(args), env=env, capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout, p.stderr


def pid_of(name):
    try:
        with open(name) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def running(pid):
    try:
        os.kill(pid, 0)
        return True
    except (OSError, TypeError):
        return False


def playing():
    st, out, _ = segue("status", "--json")
    try:
        return st == 0 and json.loads(out).get("is_playing") is True
    except ValueError:
        return False


def wait(pred, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return pred()


server_pid_file = os.path.join(demo, "server.pid")
daemon_pid_file = os.path.join(run_dir, "segue", "daemon.pid")
creds = os.path.join(home, ".local", "share", "segue", "credentials")
try:
    # First run: everything starts.
    st, out = script()
    t.eq(st, 0, "the demo script succeeds", out)
    server_pid, daemon_pid = pid_of(server_pid_file), pid_of(daemon_pid_file)
    t.ok(running(server_pid), "the demo server runs", out)
    t.ok("logged in as demo" in out and os.path.exists(creds),
         "the client is logged in as demo in the home's XDG data directory", out)
    t.ok("server = http://127.0.0.1:" in open(conf).read(),
         "segue.conf names the demo server (it listens on another port than the default)")
    t.eq(segue("whoami")[1].split(" ")[0], "demo", "a plain `segue whoami` reaches the demo server as demo")
    t.ok(wait(playing), "something plays: a plain `segue status` says so", segue("status")[1])
    t.ok("segue status" in out and "scripts/demo --stop" in out,
         "with no terminal, it prints the commands to try next", out)
    t.ok(oct(os.stat(creds).st_mode & 0o777) == "0o600", "the session is private (0600)")
    creds_before = os.stat(creds).st_mtime_ns, open(creds).read()

    # Second run: nothing restarted, the session kept, the music not interrupted.
    st, out = script()
    t.eq(st, 0, "the demo script succeeds a second time", out)
    t.eq(pid_of(server_pid_file), server_pid, "the second run reuses the running server", out)
    t.ok(running(server_pid) and "already runs" in out, "and says so", out)
    t.eq((os.stat(creds).st_mtime_ns, open(creds).read()), creds_before,
         "the second run reuses the session (no new login)")
    t.eq(pid_of(daemon_pid_file), daemon_pid, "the second run reuses the playing daemon", out)
    t.ok("already plays" in out and playing(), "and leaves the music playing", out)
    t.eq(open(conf).read().count("server ="), 1, "segue.conf is not written twice")

    # On a terminal: the terminal interface opens, something playing.
    if shutil.which("tmux"):
        sock = "segue-first-run-%d" % os.getpid()
        tmux = ["tmux", "-L", sock]
        envs = " ".join("%s='%s'" % (k, env[k]) for k in
                        ("HOME", "XDG_RUNTIME_DIR", "SEGUE_DEMO_DIR", "SEGUE_LISTEN", "SEGUE_BIN",
                         "SEGUE_SERVER_BIN") if k in env)
        subprocess.run(tmux + ["new-session", "-d", "-s", "demo", "-x", "120", "-y", "40",
                               "env %s LANG=C.UTF-8 TERM=xterm-256color sh %s --no-build; sleep 60"
                               % (envs, DEMO_SCRIPT)], check=True, env=env)

        def screen():
            return subprocess.run(tmux + ["capture-pane", "-p", "-t", "demo"], capture_output=True,
                                  text=True).stdout

        def bar(s):
            return "\n".join(s.rstrip("\n").split("\n")[-3:-1])

        deadline, s = time.time() + 15, screen()
        while time.time() < deadline and not ("Home" in s and "\u25b6" in bar(s)):
            time.sleep(0.1)
            s = screen()
        t.ok("Home" in s and "\u25b6" in bar(s),
             "on a terminal it ends in the terminal interface, something playing", s)
        subprocess.run(tmux + ["send-keys", "-t", "demo", "q"])
        subprocess.run(tmux + ["kill-server"], capture_output=True)
    else:
        t.bail("tmux is needed (apt-get install tmux)")

    # --stop stops what it started.
    st, out = script("--stop")
    t.eq(st, 0, "--stop succeeds", out)
    t.ok(wait(lambda: not running(server_pid)), "the demo server is stopped", out)
    t.ok(wait(lambda: not running(daemon_pid)), "the player daemon the demo started is stopped", out)
    st, out = script("--stop")
    t.ok(st == 0 and "nothing" in out, "a second --stop says nothing was running", out)

    # `segue` on a terminal with no server, then with no session: one line says what to run.
    def on_terminal():
        """(exit status, output) of a plain `segue` whose stdin and stdout are a terminal."""
        master, slave = pty.openpty()
        p = subprocess.Popen([BIN], env=dict(env, TERM="xterm"), stdin=slave, stdout=slave,
                             stderr=slave)
        os.close(slave)
        out = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        os.close(master)
        return p.wait(timeout=10), out.decode(errors="replace")

    st, out = on_terminal()
    t.ok(st == 5 and out.count("\n") == 1 and "segue-server serve" in out and "\x1b[" not in out,
         "`segue` with no server answering says in one line what to run (exit 5)", out)
    os.unlink(creds)
    st, out = on_terminal()
    t.ok(st == 3 and out.count("\n") == 1 and "segue login NAME" in out,
         "`segue` with no session says in one line what to run (exit 3)", out)
finally:
    for f in (server_pid_file, daemon_pid_file):
        p = pid_of(f)
        if running(p):
            os.kill(p, 9)
    shutil.rmtree(root, ignore_errors=True)
t.done()
