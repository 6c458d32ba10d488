"""Signed paths for the stream benchmarks (bench/stream.sh, bench/stream-cost.sh): for every
track the bencher may play and every quality, segue's own signed URL and an nginx secure_link
one over the same file, one "path size" line each in WORK/segue.paths and WORK/nginx.paths.
Also WORK/segue-fresh.paths: the same files under 20,000 links that differ by their expiry,
signed here with the ring's newest key (WORK/signing.keys), so that a run over them verifies
a link it has not seen on nearly every request.
usage: stream-paths.py WORK PORT (a segue-server on 127.0.0.1:PORT over WORK, user bencher)."""
import base64, hashlib, hmac, json, os, sqlite3, sys, time, urllib.parse, urllib.request

work, port = sys.argv[1], int(sys.argv[2])
base = "http://127.0.0.1:%d" % port
tok = json.load(urllib.request.urlopen(base + "/api/token", data=urllib.parse.urlencode(
    {"grant_type": "password", "username": "bencher", "password": "bench-password"}).encode()))["access_token"]
ids = [r[0] for r in sqlite3.connect(os.path.join(work, "segue.db")).execute("SELECT id FROM tracks")]
seg, ngx = open(os.path.join(work, "segue.paths"), "w"), open(os.path.join(work, "nginx.paths"), "w")
exp = int(time.time()) + 3600
for tid in ids:
    req = urllib.request.Request(base + "/v1/segue/playback/%s?quality=very_high" % tid,
                                 headers={"Authorization": "Bearer " + tok})
    try:
        urls = json.load(urllib.request.urlopen(req))["urls"]
    except Exception:
        continue  # not licensed in the bencher's market
    for q, url in urls.items():
        u = urllib.parse.urlsplit(url)
        size = os.path.getsize(os.path.join(work, "media", tid[:2], tid, q + ".ogg"))
        seg.write("%s?%s %d\n" % (u.path, u.query, size))
        md5 = base64.urlsafe_b64encode(hashlib.md5(("%d%s bench-secret" % (exp, u.path)).encode()).digest())
        ngx.write("%s?md5=%s&expires=%d %d\n" % (u.path, md5.decode().rstrip("="), exp, size))
seg.close()
ngx.close()

# Fresh links: HMAC-SHA256 over "path\0exp\0uid\0" (accounts/sign.c), base64url unpadded.
ring = [l.split() for l in open(os.path.join(work, "signing.keys")) if l.strip() and not l.startswith("#")]
kid, key = ring[-1][0], base64.urlsafe_b64decode(ring[-1][2] + "=" * (-len(ring[-1][2]) % 4))
links = [l.split() for l in open(os.path.join(work, "segue.paths"))]
with open(os.path.join(work, "segue-fresh.paths"), "w") as out:
    for i in range(20000):
        url, size = links[i % len(links)]
        u = urllib.parse.urlsplit(url)
        q = dict(urllib.parse.parse_qsl(u.query))
        e = exp + i
        mac = hmac.new(key, b"%s\0%d\0%s\0" % (u.path.encode(), e, q["uid"].encode()), hashlib.sha256).digest()
        q.update(exp=str(e), kid=kid, sig=base64.urlsafe_b64encode(mac).decode().rstrip("="))
        out.write("%s?%s %s\n" % (u.path, urllib.parse.urlencode(q), size))
