"""Several segue-servers over one PostgreSQL database, with nginx in front if asked: the
harness of the tests that check they answer as one server (tests/cluster.py; Connect's
across instances reuse it).

    with multi.Service(instances=2, nginx=True) as svc:
        svc.servers[0], svc.servers[1]   # segue_test.Server objects, each on its own port
        svc.nginx.port                   # nginx on 127.0.0.1, in front of both
        svc.data                         # the catalog copy: media, pictures
        svc.shared                       # shared_dir: the recommendation model

The database is a clone of the test catalog in this test's throwaway cluster
(tests/pgcluster.py, whatever SEGUE_TEST_DATABASE says); every instance has a data directory
of its own whose media and images are the shared folder's (symbolic links: the "media folder
every instance sees"), so nothing but the database and that folder is shared. nginx runs from
contrib/nginx/segue-cluster.conf itself, its upstream, listen and cache lines rewritten for
loopback, with its prefix, pid, logs and temporary files in a folder of its own."""

import os
import re
import shutil
import signal
import socket
import subprocess
import time

import segue_test
from segue_test import Server, tmpdir


def unavailable(nginx=False):
    """Why the service cannot run here, or None."""
    import pgcluster
    why = pgcluster.unavailable()
    if why:
        return why
    if nginx and not nginx_bin():
        return "nginx is not installed (sh scripts/deps --bench)"
    return None


def nginx_bin():
    for p in ("/usr/sbin/nginx", shutil.which("nginx") or ""):
        if p and os.access(p, os.X_OK):
            return p
    return None


class Instance(Server):
    """segue_test.Server over a given database URL, logging to its own file."""

    def __init__(self, data_dir, url, settings=None, name="segue"):
        super().__init__(data_dir, settings)
        self.url = url
        self.name = name

    def start(self, timeout=15):
        args = [segue_test.SERVER_BIN, "serve", "--listen", "127.0.0.1:%d" % (self.port or 0),
                "--data-dir", self.data_dir, "--database", self.url]
        for k, v in self.settings.items():
            args += ["--set", "%s=%s" % (k, v)]
        self.log = open(os.path.join(self.data_dir, self.name + ".log"), "ab")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log)
        deadline = time.time() + timeout
        line = self.proc.stdout.readline().decode()
        if not line.startswith("listening on ") or time.time() > deadline:
            self.stop()
            raise RuntimeError("%s did not start: %r (see %s)" % (self.name, line, self.log_path()))
        self.port = int(line.strip().rsplit(":", 1)[1])
        return self

    def log_path(self):
        return os.path.join(self.data_dir, self.name + ".log")


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Nginx:
    """nginx from contrib/nginx/segue-cluster.conf in front of ports, on 127.0.0.1."""

    def __init__(self, ports):
        self.ports = list(ports)
        self.dir = tmpdir("segue-nginx-")
        self.port = None
        self.proc = None

    def config(self):
        """The shipped configuration rewritten for this machine: each rewrite must apply,
        so the test fails rather than test something else when the file changes."""
        with open(os.path.join(segue_test.SRCDIR, "contrib", "nginx", "segue-cluster.conf")) as f:
            text = f.read()
        upstream = "".join("    server 127.0.0.1:%d max_fails=2 fail_timeout=5s;\n" % p
                           for p in self.ports)
        rewrites = [
            (r"(upstream segue \{\n    least_conn;\n)(?:    server [^\n]*\n)+", r"\g<1>" + upstream),
            (r"proxy_cache_path /var/cache/nginx/segue ", "proxy_cache_path %s/cache " % self.dir),
            (r"server \{\n    listen 80;.*?\n\}\n", ""),
            (r"    listen 443 ssl http2;\n    listen \[::\]:443 ssl http2;\n",
             "    listen 127.0.0.1:%d;\n" % self.port),
            (r"    ssl_[a-z_]+ [^\n]*\n", ""),
        ]
        for pattern, repl in rewrites:
            text, n = re.subn(pattern, repl, text, flags=re.S)
            if not n:
                raise RuntimeError("segue-cluster.conf: no match for %r" % pattern)
        return text

    def start(self, timeout=10):
        self.port = _free_port()
        for sub in ("logs", "tmp", "cache"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        with open(os.path.join(self.dir, "segue.conf"), "w") as f:
            f.write(self.config())
        d = self.dir
        main = ["worker_processes 1;", "daemon off;", "pid %s/nginx.pid;" % d,
                "error_log %s/logs/error.log info;" % d,
                "events { worker_connections 256; }",
                "http {",
                "  access_log %s/logs/access.log;" % d,
                "  client_body_temp_path %s/tmp/body;" % d,
                "  proxy_temp_path %s/tmp/proxy;" % d,
                "  fastcgi_temp_path %s/tmp/fastcgi;" % d,
                "  uwsgi_temp_path %s/tmp/uwsgi;" % d,
                "  scgi_temp_path %s/tmp/scgi;" % d,
                "  include %s/segue.conf;" % d,
                "}"]
        # As root nginx's workers would run as nobody, who cannot enter this folder.
        if os.geteuid() == 0:
            main.insert(0, "user root;")
        with open(os.path.join(d, "nginx.conf"), "w") as f:
            f.write("\n".join(main) + "\n")
        self.proc = subprocess.Popen([nginx_bin(), "-p", d, "-c", os.path.join(d, "nginx.conf"),
                                      "-e", os.path.join(d, "logs", "error.log")],
                                     stdout=subprocess.DEVNULL, stderr=open(os.path.join(d, "logs", "stderr"), "ab"))
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("nginx exited: %s" % self.errors())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("nginx did not start: %s" % self.errors())

    def errors(self):
        out = []
        for name in ("stderr", "error.log"):
            try:
                with open(os.path.join(self.dir, "logs", name), errors="replace") as f:
                    out.append(f.read()[-2000:])
            except OSError:
                pass
        return "\n".join(out)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def server(self):
        """A segue_test.Server-like client of nginx (request, get, form, login)."""
        s = Server(self.dir)
        s.port = self.port
        return s


class Service:
    """n instances over one database (a clone of the test catalog), nginx if asked."""

    def __init__(self, instances=2, nginx=False, settings=None):
        self.n = instances
        self.want_nginx = nginx
        self.settings = dict(settings or {})
        self.data = segue_test.catalog_copy()
        self.url = segue_test.cluster().database(self.data, seeded=True)
        # The folder every instance sees besides the media: where the model is shared.
        self.shared = os.path.join(self.data, "shared")
        os.makedirs(self.shared, exist_ok=True)
        self.settings.setdefault("shared_dir", self.shared)
        # nginx runs on this machine: its X-Forwarded-For names the client (doc/deploy.md).
        self.settings.setdefault("trusted_proxies", "127.0.0.1")
        self.servers = []
        self.nginx = None

    def instance_dir(self, i):
        d = os.path.join(self.data, "instance-%d" % i)
        if not os.path.isdir(d):
            os.makedirs(d)
            for name in ("media", "images"):
                os.makedirs(os.path.join(self.data, name), exist_ok=True)
                os.symlink(os.path.realpath(os.path.join(self.data, name)), os.path.join(d, name))
        return d

    def start(self):
        for i in range(self.n):
            self.servers.append(Instance(self.instance_dir(i), self.url, self.settings,
                                         name="instance-%d" % i).start())
        if self.want_nginx:
            self.nginx = Nginx([s.port for s in self.servers]).start()
        return self

    def add(self):
        """One more instance, started (nginx does not know it)."""
        s = Instance(self.instance_dir(len(self.servers)), self.url, self.settings,
                     name="instance-%d" % len(self.servers)).start()
        self.servers.append(s)
        return s

    def stop(self):
        if self.nginx:
            self.nginx.stop()
        for s in self.servers:
            s.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def sql(self, query, params=()):
        c = segue_test.cluster().connect(segue_test.cluster().dbname(self.data))
        try:
            c.autocommit = True
            cur = c.cursor()
            cur.execute(query, params)
            return cur.fetchall() if cur.description else None
        finally:
            c.close()
