"""Audio files kept open between requests (server/http/fdcache.h): a file replaced on disk is
served whole as it was or whole as it is, with its own ETag, never a mix, and as it is once
the keep time (1 s) is past; a removed file is closed by an idle server within about two
seconds, so its space comes back; two readers of one kept file get their own ranges."""

import glob
import http.client
import os
import shutil
import threading
import time
import urllib.parse

from segue_test import TAP, Server, catalog_copy, sql, wait_for

t = TAP()
data = catalog_copy()
track = sql(data, "SELECT id FROM tracks ORDER BY id LIMIT 1")[0][0]
# The catalog's media is shared by every test through a symlink: this one writes, so it gets a
# copy of its track's folder of its own.
shared = os.path.realpath(os.path.join(data, "media"))
os.unlink(os.path.join(data, "media"))
os.makedirs(os.path.join(data, "media", track[:2]))
shutil.copytree(os.path.join(shared, track[:2], track), os.path.join(data, "media", track[:2], track))
audio = os.path.join(data, "media", track[:2], track, "high.ogg")


def replace(path, content):
    """As ingest replaces a file: written beside it, then renamed over it."""
    tmp = path + ".new"
    with open(tmp, "wb") as f:
        f.write(content)
    os.rename(tmp, path)


def held_deleted(pid):
    """The server's descriptors on files removed from the media folder."""
    out = []
    for fd in glob.glob("/proc/%d/fd/*" % pid):
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if "/media/" in target and target.endswith("(deleted)"):
            out.append(target)
    return out


with Server(data, {"rl_player": 100000}) as srv:
    prem = srv.login("premium-us")
    url = srv.get("/v1/segue/playback/%s?quality=high" % track, token=prem).json()["urls"]["high"]
    u = urllib.parse.urlsplit(url)
    path = u.path + "?" + u.query
    old = open(audio, "rb").read()

    r = srv.get(path)
    t.ok(r.status == 200 and r.body == old, "the file streams", r.status)
    etag_old = r.headers.get("etag")

    # Two readers of the one kept descriptor, their ranges interleaved on kept-alive connections.
    conns = [http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10) for _ in range(2)]
    ok = True
    for k in range(6):
        for i, c in enumerate(conns):
            first = (k * 2 + i) * 1000
            c.request("GET", path, headers={"Range": "bytes=%d-%d" % (first, first + 999)})
            resp = c.getresponse()
            body = resp.read()
            ok = ok and resp.status == 206 and body == old[first:first + 1000]
    for c in conns:
        c.close()
    t.ok(ok, "two readers of one file, ranges interleaved: each gets its own bytes")

    # Replaced: whole as it was or whole as it is, and as it is once the keep time is past.
    new = old[: len(old) // 2] + b"replaced"
    replace(audio, new)
    r = srv.get(path)
    etag_now = r.headers.get("etag")
    t.ok(r.status == 200 and ((r.body == old and etag_now == etag_old) or (r.body == new and etag_now != etag_old)),
         "right after a replacement: the old file whole with its ETag, or the new one with another",
         (r.status, len(r.body), etag_now, etag_old))
    # Read all the while by other listeners, so that the kept file is seldom idle: the path is
    # looked at again all the same once the keep time is past.
    stop = threading.Event()

    def listener():
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
        while not stop.is_set():
            c.request("GET", path)
            c.getresponse().read()
        c.close()
    ths = [threading.Thread(target=listener) for _ in range(4)]
    for th in ths:
        th.start()
    time.sleep(1.5)
    r = srv.get(path)
    stop.set()
    for th in ths:
        th.join(10)
    t.ok(r.status == 200 and r.body == new and r.headers.get("etag") != etag_old,
         "a second later: the new file, with its own ETag", (r.status, len(r.body)))
    r = srv.get(path, headers={"If-None-Match": etag_old})
    t.eq(r.status, 200, "the old ETag no longer answers 304")

    # Removed: the idle server lets go of it, and the next request is 404.
    t.eq(srv.get(path).status, 200, "read once more (kept open)")
    os.unlink(audio)
    t.ok(wait_for(lambda: not held_deleted(srv.proc.pid), 5, 0.1),
         "a removed file is closed by the idle server (its space comes back)", held_deleted(srv.proc.pid))
    t.eq(srv.get(path).status, 404, "and the next request for it is 404")

t.done()
