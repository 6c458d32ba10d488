"""Drives the segue client the way a user or a script does: its command line (with the XDG
directories of a private temporary home, so several run side by side) and its daemon's
control socket."""

import json
import os
import shutil
import signal
import socket
import subprocess
import time

from segue_test import tmpdir

SEGUE_BIN = os.environ.get("SEGUE_BIN", "src/segue")


class Client:
    def __init__(self, server_url, conf=None):
        self.root = tmpdir("segue-client-")
        self.env = dict(os.environ)
        for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"),
                         ("XDG_CACHE_HOME", "cache"), ("XDG_RUNTIME_DIR", "run")):
            self.env[var] = os.path.join(self.root, sub)
            os.makedirs(self.env[var], mode=0o700)
        self.env["SEGUE_SERVER"] = server_url
        self.env.pop("SEGUE_CONFIG", None)
        settings = {"audio_output": "null"}
        settings.update(conf or {})
        os.makedirs(os.path.join(self.root, "config", "segue"))
        with open(self.conf_path, "w") as f:
            for k, v in settings.items():
                f.write("%s = %s\n" % (k, v))

    @property
    def conf_path(self):
        return os.path.join(self.root, "config", "segue", "segue.conf")

    @property
    def sock_path(self):
        return os.path.join(self.root, "run", "segue", "control")

    @property
    def pid_path(self):
        return os.path.join(self.root, "run", "segue", "daemon.pid")

    @property
    def db_path(self):
        return os.path.join(self.root, "data", "segue", "segue.db")

    @property
    def creds_path(self):
        return os.path.join(self.root, "data", "segue", "credentials")

    def run(self, *args, input=None, timeout=60):
        """(exit status, stdout, stderr) of `segue ARGS`."""
        p = subprocess.run([SEGUE_BIN] + list(args), input=input, capture_output=True,
                           env=self.env, timeout=timeout)
        return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")

    def json(self, *args, **kw):
        """(exit status, parsed --json output or None, stderr)."""
        rc, out, err = self.run("--json", *args, **kw)
        try:
            doc = json.loads(out)
        except ValueError:
            doc = None
        return rc, doc, err

    def login(self, name, password="password123"):
        return self.run("login", name, input=(password + "\n").encode())

    def daemon_pid(self):
        try:
            with open(self.pid_path) as f:
                return int(f.read().strip() or 0)
        except (OSError, ValueError):
            return 0

    def start_daemon(self):
        return self.run("daemon", "--detach")

    def stop(self):
        """Stops the daemon (quit, then SIGKILL if it lingers) and removes the home."""
        pid = self.daemon_pid()
        if pid:
            self.run("quit", timeout=20)
            wait_gone(pid, 10)
        shutil.rmtree(self.root, ignore_errors=True)

    def kill9(self):
        pid = self.daemon_pid()
        if pid:
            os.kill(pid, signal.SIGKILL)
            wait_gone(pid, 10)
        return pid

    def connect(self):
        return Control(self.sock_path)

    def outbox(self):
        import sqlite3
        db = sqlite3.connect(self.db_path)
        try:
            return db.execute("SELECT id, track_id, ms_played, reason_end FROM outbox"
                              " ORDER BY seq").fetchall()
        finally:
            db.close()


def wait_gone(pid, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        # A child of ours that exited is a zombie until reaped; daemons are not our children.
        time.sleep(0.05)
    return False


class Control:
    """A control-socket connection: requests, responses and subscribed events."""

    def __init__(self, path, timeout=30):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""
        self.events = []
        self.next_id = 1

    def close(self):
        self.sock.close()

    def send_raw(self, data):
        self.sock.sendall(data)

    def read(self, timeout=None):
        if timeout is not None:
            self.sock.settimeout(timeout)
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("the daemon closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def request(self, msg):
        self.sock.sendall((json.dumps(msg) + "\n").encode())
        while True:
            m = self.read(30)
            if "event" in m:
                self.events.append(m)
                continue
            return m

    def call(self, *argv):
        self.next_id += 1
        return self.request({"id": self.next_id, "argv": list(argv)})

    def subscribe(self):
        return self.request({"id": 0, "subscribe": True})

    def wait_event(self, pred, timeout):
        """The first event (already received or arriving within timeout) for which pred is
        true, or None."""
        for i, e in enumerate(self.events):
            if pred(e):
                del self.events[:i + 1]
                return e
        self.events = []
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                m = self.read(max(0.05, deadline - time.time()))
            except socket.timeout:
                return None
            if "event" in m and pred(m):
                return m
        return None
