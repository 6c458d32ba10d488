"""segue-server serve's service loop (server/cli/loop.c), on each setting of event_loop: it
serves HTTP and Connect, its timers fire on time even while a later one is armed (a command
timeout behind an idle keep-alive connection's 30 s timeout: the libev plugin of lws 4.1.6
alone would leave it waiting for that one), and SIGTERM and SIGINT stop it cleanly with
sessions open. An unknown event_loop is refused at start."""

import http.client
import os
import signal
import time

from segue_test import TAP, Server, add_user, server_cmd, tmpdir
from ws_device import FakeDevice

t = TAP()
data = tmpdir()
add_user(data, "loopuser", premium=True)

p = server_cmd("serve", "--listen", "127.0.0.1:0", "--set", "event_loop=kqueue", data_dir=data, timeout=20)
err = p.stderr.decode(errors="replace")
t.ok(p.returncode == 2 and "event_loop" in err and "kqueue" in err,
     "event_loop=kqueue is refused at start, naming the setting (exit %d)" % p.returncode, err)

SETTINGS = {"rl_player": 1000000, "connect_timeout_ms": 100, "connect_heartbeat_ms": 5000, "log_level": "info"}

for loop, sig in (("libev", signal.SIGTERM), ("poll", signal.SIGINT)):
    srv = Server(data, dict(SETTINGS, event_loop=loop)).start()
    tok = srv.login("loopuser")
    t.eq(srv.get("/healthz").status, 200, "%s: /healthz answers" % loop)
    # An idle keep-alive connection: lws arms its 30 s keep-alive timeout, the latest timer.
    idle = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    idle.request("GET", "/healthz")
    idle.getresponse().read()
    dev = FakeDevice(srv.port, tok, "loop-dev", answer=False).connect()
    # 100 ms to answer, then 504; late means the timer waited for a later one: lws's sweep of
    # HTTP deadlines, due within the second (so a late answer comes at a random point of it),
    # or the keep-alive's 30 s. Three tries, each well under the sweep's second.
    for i in range(3):
        t0 = time.time()
        r = srv.request("PUT", "/v1/me/player/volume?volume_percent=20&device_id=loop-dev", token=tok,
                        timeout=15)
        el = time.time() - t0
        t.ok(r.status == 504 and 0.08 <= el < 0.5, "%s: a command the device never answers times out "
             "on time, try %d (%d after %.2f s)" % (loop, i + 1, r.status, el), r)
    other = FakeDevice(srv.port, tok, "loop-dev-2").connect()
    t.ok(other.ping() is True, "%s: a second device connects and its ping is answered" % loop)
    with open(os.path.join(data, "server.log"), "rb") as f:
        log = f.read().decode(errors="replace")
    want = "on libev (epoll)" if loop == "libev" else "on poll,"
    t.ok(want in log, "%s: the log names the loop (%r)" % (loop, want))
    t0 = time.time()
    rc = srv.stop(sig)
    el = time.time() - t0
    t.ok(rc == 0 and el < 5, "%s: %s stops it cleanly with sessions open (exit %s in %.2f s)"
         % (loop, signal.Signals(sig).name, rc, el))
    with open(os.path.join(data, "server.log"), "rb") as f:
        t.ok(f.read().decode(errors="replace").rstrip().endswith("stopping"), "%s: its last words are \"stopping\"" % loop)
    for d in (dev, other):
        d.abort()
    idle.close()
    os.unlink(os.path.join(data, "server.log"))

t.done()
