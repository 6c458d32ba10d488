"""Playback authorization and signed audio streams: licences (market, tier), URL signing and
key rotation, Range/HEAD/ETag, path escapes, and slow readers that must not block others."""

import os
import socket
import sqlite3
import subprocess
import time
import urllib.parse

from segue_test import TAP, Server, catalog_copy, server_cmd, sql

t = TAP()
data = catalog_copy()
track_not_jp = next(tid for tid, m in sql(data, "SELECT id, markets FROM tracks ORDER BY id")
                    if m and "JP" not in m.split(","))
track = next(tid for tid, m in sql(data, "SELECT id, markets FROM tracks ORDER BY id")
             if not m or {"US", "JP"} <= set(m.split(",")))

with Server(data, {"rl_player": 100000}) as srv:
    prem, free, jp = srv.login("premium-us"), srv.login("free-us"), srv.login("premium-jp")

    # --- playback authorization
    r = srv.get("/v1/segue/playback/%s?quality=very_high" % track, token=prem)
    t.eq(r.status, 200, "premium may have very_high")
    doc = r.json() or {}
    t.eq(sorted(doc.get("urls", {})), ["high", "low", "normal", "very_high"],
         "very_high comes with every lower quality")
    t.ok(all(k in doc for k in ("track_id", "duration_ms", "gain_db", "quality", "expires_at")),
         "the answer carries track_id, duration_ms, gain_db, quality and expires_at")
    t.ok(abs(doc.get("expires_at", 0) - time.time() - 3600) < 10, "links last an hour by default")

    r = srv.get("/v1/segue/playback/%s?quality=very_high" % track, token=free)
    t.eq(r.status, 403, "free accounts may not have very_high")
    t.ok("premium" in r.body.decode() and b"urls" not in r.body, "the refusal says why and has no URL")
    r = srv.get("/v1/segue/playback/%s?quality=high" % track, token=free)
    t.eq(r.status, 200, "free accounts may have high")
    t.eq(sorted((r.json() or {}).get("urls", {})), ["high", "low", "normal"], "high and lower")
    r = srv.get("/v1/segue/playback/%s" % track, token=free)
    t.eq((r.json() or {}).get("quality"), "normal", "free accounts default to normal")

    r = srv.get("/v1/segue/playback/%s" % track_not_jp, token=jp)
    t.eq(r.status, 403, "a track missing from the user's market is 403")
    t.ok(b"market" in r.body and b"urls" not in r.body, "with the reason and no URL")
    t.eq(srv.get("/v1/segue/playback/%s?quality=ultra" % track, token=prem).status, 400,
         "an unknown quality is 400")
    t.eq(srv.get("/v1/segue/playback/0000000000000000000000", token=prem).status, 404,
         "an unknown track is 404")
    t.eq(srv.get("/v1/segue/playback/%s" % track).status, 401, "playback needs a token")

    url = srv.get("/v1/segue/playback/%s?quality=high" % track, token=prem).json()["urls"]["high"]
    u = urllib.parse.urlsplit(url)
    path = u.path + "?" + u.query
    q = dict(urllib.parse.parse_qsl(u.query))
    size = os.path.getsize(os.path.join(data, "media", track[:2], track, "high.ogg"))

    # --- the stream itself
    r = srv.get(path)
    t.eq(r.status, 200, "a signed URL streams")
    t.eq(len(r.body), size, "the whole file")
    t.ok(r.body[:4] == b"OggS", "it is an Ogg stream")
    t.eq(r.headers.get("content-type"), "audio/ogg", "audio/ogg")
    t.eq(r.headers.get("accept-ranges"), "bytes", "Accept-Ranges: bytes")
    t.ok("immutable" in r.headers.get("cache-control", ""), "long-lived immutable Cache-Control")
    etag = r.headers.get("etag")
    t.ok(etag and etag.startswith('"'), "a strong ETag")
    full = r.body

    r = srv.get(path, headers={"Range": "bytes=100-1099"})
    t.eq(r.status, 206, "a range is 206")
    t.eq(r.body, full[100:1100], "with exactly those bytes")
    t.eq(r.headers.get("content-range"), "bytes 100-1099/%d" % size, "and Content-Range")
    r = srv.get(path, headers={"Range": "bytes=-500"})
    t.ok(r.status == 206 and r.body == full[-500:], "a suffix range")
    r = srv.get(path, headers={"Range": "bytes=%d-" % (size - 10)})
    t.ok(r.status == 206 and r.body == full[-10:], "an open-ended range")
    r = srv.get(path, headers={"Range": "bytes=%d-" % size})
    t.eq(r.status, 416, "a range past the end is 416")
    t.eq(r.headers.get("content-range"), "bytes */%d" % size, "with Content-Range: bytes */size")
    r = srv.request("HEAD", path)
    t.ok(r.status == 200 and r.body == b"" and r.headers.get("content-length") == str(size),
         "HEAD gives the length and no body")
    r = srv.get(path, headers={"If-None-Match": etag})
    t.eq(r.status, 304, "If-None-Match with the ETag is 304")

    # Keep-alive: several ranges over one connection, as players do.
    s = socket.create_connection(("127.0.0.1", srv.port))
    got = b""
    for a in (0, 5000, 9000):
        s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nRange: bytes=%d-%d\r\n\r\n" % (path, a, a + 99)).encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            buf += s.recv(65536)
        head, _, body = buf.partition(b"\r\n\r\n")
        while len(body) < 100:
            body += s.recv(65536)
        got += body
    s.close()
    t.eq(got, full[0:100] + full[5000:5100] + full[9000:9100], "three ranges on one keep-alive connection")

    # A withdrawal written by another process (as ingest's is) holds from the very next
    # request, on a connection that was streaming the track and on a fresh one; a track
    # brought back plays again. (The server answers this from memory while the database is
    # unchanged: what it keeps must follow every write, whoever makes it.)
    def set_available(v):
        db = sqlite3.connect(os.path.join(data, "segue.db"))
        with db:
            db.execute("UPDATE tracks SET available = ?, withdrawn_at = ? WHERE id = ?",
                       (v, None if v else int(time.time() * 1000), track))
        db.close()

    def keepalive_status(conn):
        conn.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nRange: bytes=0-99\r\n\r\n" % path).encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            buf += chunk
        head, _, body = buf.partition(b"\r\n\r\n")
        length = next(int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:"))
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            body += chunk
        return int(head.split()[1])

    s = socket.create_connection(("127.0.0.1", srv.port))
    s.settimeout(10)
    seen = []
    for _ in range(3):
        seen.append(keepalive_status(s))
        set_available(0)
        seen += [keepalive_status(s), srv.get(path).status]
        set_available(1)
        seen += [keepalive_status(s), srv.get(path).status]
    s.close()
    t.eq(seen, [206, 410, 410, 206, 200] * 3,
         "a withdrawal by another process refuses the next request at once, and a return restores it")

    # --- refusals: not one byte of audio
    def refused(p, name):
        r = srv.get(p)
        t.ok(r.status == 403 and b"OggS" not in r.body, name, r)

    def with_(**kw):
        qq = dict(q)
        qq.update(kw)
        return u.path + "?" + urllib.parse.urlencode({k: v for k, v in qq.items() if v is not None})

    sig = q["sig"]
    refused(with_(sig=("A" if sig[0] != "A" else "B") + sig[1:]), "a tampered signature is 403")
    refused(with_(exp=str(int(q["exp"]) + 1)), "a changed expiry is 403")
    refused(with_(uid="free-us"), "another user's name is 403")
    refused(with_(kid="zzzzzzzz"), "an unknown key id is 403")
    refused(with_(sig=None), "a missing signature is 403")
    refused(u.path, "no query at all is 403")
    refused(u.path.replace("high.ogg", "very_high.ogg") + "?" + u.query, "another quality's path is 403")
    r = srv.get(with_(sig=None), headers={"Range": "bytes=0-10"})
    t.eq(r.status, 403, "a refused request with Range is still 403")

    refused(with_(exp="1"), "an expiry in the past with a non-matching MAC is 403")
    # The genuine expiry spelt otherwise (strtoll would read the same number, so the MAC would
    # match): refused as malformed, so that a signed link has one spelling.
    for spelt, why in (("+" + q["exp"], "a plus sign"), (" " + q["exp"], "a leading blank"),
                       (q["exp"] + " ", "a trailing blank"), ("9" * 20, "an overflow"), ("", "nothing")):
        r = srv.get(with_(exp=spelt))
        t.ok(r.status == 403 and b"malformed" in r.body and b"OggS" not in r.body,
             "the expiry with %s is 403 'malformed'" % why, r)

    # --- no path escapes
    for p in ("/audio/../segue.db", "/audio/%2e%2e/%2e%2e/segue.db", "/audio/" + track + "/..%2f..%2fsegue.db",
              "/audio/" + track + "/high.ogg/../../signing.keys", "/audio/" + track + "/%2e%2e%2fsigning.keys",
              "/audio/..%2f..%2f..%2fetc/passwd.ogg", "/audio/" + track + "/../../../signing.keys"):
        r = srv.get(p + "?" + u.query)
        t.ok(r.status in (403, 404) and b"OggS" not in r.body and b"SQLite" not in r.body
             and b"Keep secret" not in r.body,
             "no escape through %s (%d)" % (p, r.status))

    # --- key rotation: old links keep working, new links use the new key
    p = server_cmd("keys", "rotate", data_dir=data)
    t.eq(p.returncode, 0, "keys rotate")
    time.sleep(1.2)  # the server looks at the key file at most once a second
    t.eq(srv.get(path).status, 200, "a link signed before the rotation still plays")
    url2 = srv.get("/v1/segue/playback/%s?quality=high" % track, token=prem).json()["urls"]["high"]
    kid2 = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url2).query))["kid"]
    t.ok(kid2 != q["kid"], "new links carry the new key id")
    t.eq(srv.get(urllib.parse.urlsplit(url2).path + "?" + urllib.parse.urlsplit(url2).query).status, 200,
         "and play")
    keyfile = os.path.join(data, "signing.keys")
    t.eq(os.stat(keyfile).st_mode & 0o777, 0o600, "the key file stays 0600 after rotation")

    # --- slow readers never block anyone else: 200 connections that ask for the whole file
    # many times over (more than the socket buffers hold) and then read nothing; a fresh
    # request must still be answered at once.
    slow = []
    for i in range(200):
        c = socket.create_connection(("127.0.0.1", srv.port))
        c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        c.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path).encode() * 40)
        slow.append(c)
    time.sleep(0.5)
    t0 = time.time()
    r = srv.get(path, headers={"Range": "bytes=0-65535"})
    el = time.time() - t0
    t.ok(r.status == 206 and len(r.body) == 65536, "a request among 200 stalled readers is served")
    t.ok(el < 2.0, "and promptly (%.3f s)" % el)
    m = srv.get("/metrics").body.decode()
    started = [l for l in m.splitlines() if l.startswith("segue_streams_total ")]
    t.ok(started and int(started[0].split()[1]) >= 200,
         "every stalled reader had its stream started (%s)" % started)
    for c in slow:
        c.close()
    time.sleep(0.5)
    m = srv.get("/metrics").body.decode()
    t.ok("segue_stream_bytes_total" in m and "segue_http_request_duration_seconds_bucket" in m,
         "metrics carry bytes streamed and the latency histogram")
    t.ok('route="/audio/{id}/{file}"' in m, "requests are counted by route")
    t.ok(srv.proc.poll() is None, "the server survived all of it")

# An expired but otherwise genuine link: sign it with the server's key the way the server
# does (this is also an independent implementation of the signing scheme).
import base64, hashlib, hmac
line = [l for l in open(os.path.join(data, "signing.keys")) if not l.startswith("#")][-1].split()
key = base64.urlsafe_b64decode(line[2] + "=" * (-len(line[2]) % 4))
def sign(path, exp, uid):
    mac = hmac.new(key, path.encode() + b"\0" + str(exp).encode() + b"\0" + uid.encode() + b"\0",
                   hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")
with Server(data) as srv:
    p = "/audio/%s/normal.ogg" % track
    exp = int(time.time()) - 5
    r = srv.get("%s?exp=%d&uid=premium-us&kid=%s&sig=%s" % (p, exp, line[0], sign(p, exp, "premium-us")))
    t.ok(r.status == 403 and b"expired" in r.body and b"OggS" not in r.body, "an expired link is 403 'expired'", r)
    exp = int(time.time()) + 60
    r = srv.get("%s?exp=%d&uid=premium-us&kid=%s&sig=%s" % (p, exp, line[0], sign(p, exp, "premium-us")))
    t.eq(r.status, 200, "an independent HMAC-SHA256 implementation's signature verifies")
t.done()
