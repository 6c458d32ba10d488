"""OpenSubsonic stream and download: the stored Ogg as it is (Range, maxBitRate picking the
quality, the licence), and on-the-fly transcodes to MP3 and Ogg Opus checked with ffprobe and
ffmpeg as independent decoders (format, duration, bitrate, timeOffset, estimateContentLength),
the cap on transcodes at once (refused at once past it; a slot freed by a finished stream, a
client that leaves, and a client that stalls past http_send_timeout), and stored files that
are not audio (an error, and a server that carries on)."""

import os
import re
import socket
import subprocess
import time
import urllib.parse

from segue_test import TAP, Server, catalog_copy, db_connect, sql, tmpdir, wait_for
from subsonic_util import CLIENT, error_code

t = TAP()
data = catalog_copy()

# A private media tree (per-file symlinks to the shared one), so that renditions can be
# replaced: one long track (a stalled transcode then outlasts every buffer on the way), one
# that is not audio at all, one whose audio turns to noise after its first pages.
media = os.path.join(data, "media")
shared = os.path.realpath(media)
os.unlink(media)
subprocess.run(["cp", "-as", shared, media], check=True)

rows = sql(data, "SELECT id, markets, duration_ms FROM tracks ORDER BY id")
us = [(tid, d) for tid, m, d in rows if not m or {"US", "JP"} <= set(m.split(","))]
track, dur_ms = us[0]
long_track, corrupt_track, noisy_track, gone_track = us[1][0], us[2][0], us[3][0], us[4][0]
track_not_jp = next(tid for tid, m, d in rows if m and "JP" not in m.split(","))


def rendition(tid, q):
    return os.path.join(media, tid[:2], tid, q + ".ogg")


def replace(tid, q, content):
    p = rendition(tid, q)
    os.unlink(p)
    with open(p, "wb") as f:
        f.write(content)


scratch = tmpdir()
long_ogg = os.path.join(scratch, "long.ogg")
subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=330:duration=300",
                "-ac", "2", "-c:a", "libvorbis", "-q:a", "4", long_ogg], check=True, timeout=120)
with open(long_ogg, "rb") as f:
    replace(long_track, "very_high", f.read())
replace(corrupt_track, "very_high", os.urandom(200000))
with open(rendition(track, "very_high"), "rb") as f:
    head = f.read(6000)
replace(noisy_track, "very_high", head + os.urandom(200000))


def probe(path):
    p = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                        "format=format_name,duration,bit_rate:stream=codec_name,sample_rate",
                        "-of", "default=nw=1", path], capture_output=True, timeout=60)
    return dict(line.split("=", 1) for line in p.stdout.decode().split("\n") if "=" in line)


def decodes(path):
    p = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "null", "-"],
                       capture_output=True, timeout=60)
    return p.returncode == 0 and not p.stderr.strip(), p.stderr.decode()[:300]


def save(body, name):
    p = os.path.join(scratch, name)
    with open(p, "wb") as f:
        f.write(body)
    return p


def metric(srv, name):
    m = re.search(r"^%s (\d+)$" % name, srv.get("/metrics").body.decode(), re.M)
    return int(m.group(1)) if m else None


def plays():
    return sql(data, "SELECT count(*) FROM plays")[0][0]


with Server(data, {"transcode_max": 1, "http_send_timeout": 3, "rl_standard": 100000}) as srv:
    keys = {}
    for user in ("premium-us", "free-us", "premium-jp"):
        r = srv.request("POST", "/v1/segue/api-keys", {"name": "t"}, token=srv.login(user))
        keys[user] = (r.json() or {}).get("key", "")

    def url(endpoint, user="premium-us", **params):
        q = dict(params, apiKey=keys[user], f="json", **CLIENT)
        return "/rest/%s?%s" % (endpoint, urllib.parse.urlencode(q))

    def get(endpoint, user="premium-us", headers=None, method="GET", **params):
        return srv.request(method, url(endpoint, user, **params), headers=headers, timeout=60)

    def envelope(r):
        try:
            import json
            return json.loads(r.body)["subsonic-response"]
        except (ValueError, KeyError):
            return None

    def stored(tid, q):
        with open(rendition(tid, q), "rb") as f:
            return f.read()

    plays_before = plays()

    # --- raw: the stored file as it is
    r = get("stream", id=track, format="raw")
    t.eq(r.status, 200, "format=raw streams", r)
    t.eq(r.headers.get("content-type"), "audio/ogg", "as audio/ogg")
    t.ok(r.body == stored(track, "very_high"), "the best quality a premium account may have, byte for byte")
    r = get("stream", id=track, format="raw", headers={"Range": "bytes=100-1099"})
    t.eq(r.status, 206, "raw takes a Range (206)")
    t.ok(r.body == stored(track, "very_high")[100:1100], "with exactly those bytes")
    t.eq(r.headers.get("content-range"), "bytes 100-1099/%d" % len(stored(track, "very_high")),
         "and Content-Range")
    t.ok(get("stream", id=track).body == stored(track, "very_high"), "no format is raw")

    # --- maxBitRate: the stored quality at or under it, within the licence
    for user, kbps, q in (("premium-us", 320, "very_high"), ("premium-us", 200, "high"),
                          ("premium-us", 160, "high"), ("premium-us", 100, "normal"),
                          ("premium-us", 10, "low"), ("free-us", 0, "high"),
                          ("free-us", 320, "high")):
        r = get("stream", user=user, id=track, maxBitRate=kbps)
        t.ok(r.status == 200 and r.body == stored(track, q),
             "%s, maxBitRate=%d: the %s rendition" % (user, kbps, q))
    r = get("download", user="free-us", id=track)
    t.ok(r.status == 200 and r.body == stored(track, "high") and r.body != stored(track, "very_high"),
         "very high is refused a free account: its download is the high rendition")

    # --- download
    r = get("download", id=track)
    t.ok(r.status == 200 and r.body == stored(track, "very_high"), "download: the best allowed file")
    cd = r.headers.get("content-disposition", "")
    t.ok(cd.startswith("attachment; filename=\"") and cd.endswith(".ogg\""),
         "with Content-Disposition: attachment and a file name", cd)
    r = get("download", id=track, headers={"Range": "bytes=-300"})
    t.ok(r.status == 206 and r.body == stored(track, "very_high")[-300:], "download takes a Range")

    # --- transcodes
    r = get("stream", id=track, format="mp3", maxBitRate=128)
    t.eq(r.status, 200, "format=mp3 transcodes", r)
    t.eq(r.headers.get("content-type"), "audio/mpeg", "as audio/mpeg")
    t.eq(r.headers.get("transfer-encoding"), "chunked", "streamed as it is encoded (chunked)")
    p = save(r.body, "a.mp3")
    info = probe(p)
    t.eq(info.get("format_name"), "mp3", "ffprobe reads MP3", info)
    t.ok(abs(float(info.get("duration", 0)) - dur_ms / 1000) < 0.3, "of the song's duration", info)
    t.ok(abs(int(info.get("bit_rate", 0)) - 128000) < 4000, "at 128 kbit/s", info)
    ok, err = decodes(p)
    t.ok(ok, "ffmpeg decodes it without a complaint", err)

    # An HTTP/1.0 client knows no chunked encoding: the transcode comes as it is, and the
    # connection's close ends it.
    s10 = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
    s10.sendall(("GET %s HTTP/1.0\r\nHost: x\r\n\r\n" %
                 url("stream", id=track, format="mp3", maxBitRate=128)).encode())
    raw, deadline = b"", time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            got = s10.recv(65536)
        except socket.timeout:
            break
        if not got:
            break
        raw += got
    closed = not got
    s10.close()
    head, _, body10 = raw.partition(b"\r\n\r\n")
    heads = {l.split(b":", 1)[0].strip().lower(): l.split(b":", 1)[1].strip()
             for l in head.split(b"\r\n")[1:] if b":" in l}
    t.ok(head.startswith(b"HTTP/1.1 200"), "HTTP/1.0: a transcode is answered", head[:60])
    t.ok(b"transfer-encoding" not in heads and b"content-length" not in heads,
         "HTTP/1.0: neither chunked nor a length", heads)
    t.eq(heads.get(b"connection"), b"close", "HTTP/1.0: Connection: close")
    t.ok(closed, "HTTP/1.0: the server closes the connection at the body's end")
    p10 = save(body10, "a10.mp3")
    t.ok(probe(p10).get("format_name") == "mp3" and decodes(p10)[0],
         "HTTP/1.0: the body is the MP3 itself, no chunk framing in it")
    t.ok(abs(float(probe(p10).get("duration", 0)) - dur_ms / 1000) < 0.3,
         "HTTP/1.0: the whole song", probe(p10))

    r = get("stream", id=track, format="opus", maxBitRate=96)
    t.eq(r.headers.get("content-type"), "audio/ogg", "format=opus is Ogg")
    p = save(r.body, "a.opus")
    info = probe(p)
    t.ok(info.get("format_name") == "ogg" and info.get("codec_name") == "opus" and
         info.get("sample_rate") == "48000", "Ogg Opus at 48 kHz", info)
    t.ok(abs(float(info.get("duration", 0)) - dur_ms / 1000) < 0.3, "of the song's duration", info)
    t.ok(70000 < int(info.get("bit_rate", 0)) < 125000, "near 96 kbit/s (Opus is VBR)", info)
    ok, err = decodes(p)
    t.ok(ok, "ffmpeg decodes it without a complaint", err)

    r = get("stream", id=track, format="mp3", maxBitRate=128, timeOffset=4)
    info = probe(save(r.body, "b.mp3"))
    t.ok(abs(float(info.get("duration", 0)) - (dur_ms / 1000 - 4)) < 0.3,
         "timeOffset=4 starts 4 s in", info)
    r = get("stream", id=track, format="opus", timeOffset=3)
    info = probe(save(r.body, "b.opus"))
    t.ok(abs(float(info.get("duration", 0)) - (dur_ms / 1000 - 3)) < 0.3,
         "and in Opus (timeOffset=3)", info)
    r = get("stream", id=track, format="mp3", timeOffset=3600)
    t.eq(error_code(envelope(r)), 0, "a timeOffset past the end is an error")

    for fmt, kbps in (("mp3", 128), ("opus", 64)):
        r = get("stream", id=track, format=fmt, maxBitRate=kbps, estimateContentLength="true")
        want = int(kbps * 1000 / 8 * dur_ms / 1000)
        t.eq(r.headers.get("content-length"), str(want),
             "%s: estimateContentLength announces bitrate x duration" % fmt)
        t.eq(len(r.body), want, "%s: and exactly that many bytes come" % fmt)
        ok, err = decodes(save(r.body, "c." + fmt))
        t.ok(ok, "%s: and it decodes (the padding is passed over)" % fmt, err)
    r = get("stream", id=track, format="mp3", maxBitRate=128, method="HEAD")
    t.ok(r.status == 200 and not r.body and r.headers.get("content-type") == "audio/mpeg",
         "HEAD: the headers alone")
    r = get("stream", id=track, format="flac")
    t.eq(error_code(envelope(r)), 0, "an unknown format is an error")

    # --- licences hold as on the Web API
    for endpoint, params in (("stream", {}), ("stream", {"format": "mp3"}), ("download", {})):
        r = get(endpoint, user="premium-jp", id=track_not_jp, **params)
        t.eq(error_code(envelope(r)), 50, "%s %s: a market-blocked song is error 50" % (endpoint, params))
    db = db_connect(data)
    with db:
        db.execute("UPDATE tracks SET available = 0, withdrawn_at = ? WHERE id = ?",
                   (int(time.time() * 1000), gone_track))
    db.close()
    for endpoint, params in (("stream", {}), ("stream", {"format": "opus"}), ("download", {})):
        r = get(endpoint, id=gone_track, **params)
        t.eq(error_code(envelope(r)), 70, "%s %s: a withdrawn song is error 70" % (endpoint, params))
    t.eq(error_code(envelope(get("stream", id="0000000000000000000000"))), 70, "an unknown id is 70")
    t.eq(error_code(envelope(get("stream"))), 10, "no id is 10")

    # --- stored files that are not audio
    r = get("stream", id=corrupt_track, format="mp3")
    env = envelope(r)
    t.ok(error_code(env) == 0 and "transcode" in env["error"]["message"],
         "a stored file that is not audio: the specification's error, before any audio", r)
    # With transcode_max = 1, each failed transcode's slot must be free by the time its
    # client has read the error: asked again at once, back to back, none is refused.
    codes = []
    for _ in range(30):
        r = get("stream", id=corrupt_track, format="mp3")
        codes.append((r.status, error_code(envelope(r))))
    t.eq(sorted(set(codes)), [(200, 0)], "30 failed transcodes back to back: each its error, none refused as busy")
    r = get("stream", id=noisy_track, format="opus")
    t.ok(r.status == 200, "a stored file that turns to noise: answered (an error, or what decoded)")
    whole = stored(track, "very_high")
    flipped = bytearray(whole)
    for i in range(200, len(flipped), 997):
        flipped[i] ^= 0x55
    for name, content in (("with bytes flipped all through it", bytes(flipped)),
                          ("cut in half", whole[:len(whole) // 2]),
                          ("of its Ogg headers alone", whole[:4000])):
        with open(rendition(noisy_track, "very_high"), "wb") as f:
            f.write(content)
        for fmt in ("mp3", "opus"):
            try:
                r = get("stream", id=noisy_track, format=fmt)
                answered = r.status == 200
            except Exception as e:  # a body cut short (the decode failed part-way) is fine too
                answered = "IncompleteRead" in type(e).__name__
            t.ok(answered and srv.get("/healthz").status == 200,
                 "a stored file %s, to %s: answered, and the server carries on" % (name, fmt))
    t.eq(srv.get("/healthz").status, 200, "the server carries on")
    t.ok(wait_for(lambda: metric(srv, "segue_transcodes_running") == 0, 5), "and has no transcode left")

    # --- the cap (transcode_max = 1)
    def stalled():
        """A client that asks for a long transcode, reads its headers and then nothing."""
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(10)
        s.connect(("127.0.0.1", srv.port))
        s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" %
                   url("stream", id=long_track, format="mp3", maxBitRate=320)).encode())
        got = s.recv(1024)
        return s, got

    a, first = stalled()
    t.ok(first.startswith(b"HTTP/1.1 200"), "a transcode that its client stops reading", first[:40])
    t.ok(wait_for(lambda: metric(srv, "segue_transcodes_running") == 1, 5), "holds its slot")
    t0 = time.monotonic()
    r = get("stream", id=track, format="mp3")
    took = time.monotonic() - t0
    env = envelope(r)
    t.ok(r.status == 503 and error_code(env) == 0, "past the cap: 503 with the specification's error",
         (r.status, r.body[:200]))
    t.ok(took < 1.0, "at once (%.3f s), not a stalled stream" % took)
    t.eq(metric(srv, "segue_transcodes_refused_total"), 1, "counted as refused")
    t.ok(get("stream", id=track, format="raw").status == 200, "raw streams are not capped")
    t0 = time.monotonic()
    a.close()
    freed = wait_for(lambda: metric(srv, "segue_transcodes_running") == 0, 5, step=0.02)
    took = time.monotonic() - t0
    t.ok(freed and took < 1.5, "a client that leaves mid-transcode frees its slot at once (%.2f s)" % took)
    r = get("stream", id=track, format="mp3")
    t.ok(r.status == 200 and probe(save(r.body, "d.mp3")).get("format_name") == "mp3",
         "the next transcode runs")
    t.ok(wait_for(lambda: metric(srv, "segue_transcodes_running") == 0, 5), "a finished one frees its slot")
    t.eq(get("stream", id=track, format="opus").status, 200, "and the next runs too")
    t.ok(wait_for(lambda: metric(srv, "segue_transcodes_running") == 0, 5), "(and ends)")

    b, first = stalled()
    t.ok(first.startswith(b"HTTP/1.1 200"), "another stalled client")
    t0 = time.monotonic()
    freed = wait_for(lambda: metric(srv, "segue_transcodes_running") == 0, 15, step=0.1)
    took = time.monotonic() - t0
    t.ok(freed and took < 10, "is cut by http_send_timeout (3 s), which frees the slot (%.1f s)" % took)
    b.close()

    t.eq(plays(), plays_before, "streams and downloads count no play (scrobble does)")
    t.eq(srv.get("/healthz").status, 200, "the server survived all of it")

t.done()
