"""Cover art: pictures beside the audio found at ingest (JPEG, PNG, WebP, any case, in order
of preference), refused ones noted without failing their tracks, each stored once by content
and served at /images/HASH/SIZE.jpg without credentials (sizes, ETag, 304, immutable, 404s);
artists' pictures; playlists' mosaics following their items; uploads by the owner."""

import base64
import hashlib
import os
import re
import shutil

from segue_test import TAP, Server, add_user, run, server_cmd, sql, tmpdir

t = TAP()
if not shutil.which("ffmpeg") or not shutil.which("sox"):
    print("1..0 # SKIP ffmpeg and sox are needed to make the pictures and the audio")
    raise SystemExit(0)
work = tmpdir()
masters = os.path.join(work, "masters")
data = os.path.join(work, "data")
freq = [300]


def track(folder, name):
    """A short WAV in masters/folder, its audio unlike any other's (tracks are content-named)."""
    os.makedirs(os.path.join(masters, folder), exist_ok=True)
    freq[0] += 37
    run(["sox", "-n", "-r", "22050", "-c", "1", "-b", "16", os.path.join(masters, folder, name + ".wav"),
         "synth", "1.5", "sine", str(freq[0]), "vol", "0.5"], check=True)


def picture(path, source, codec):
    run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", source, "-frames:v", "1", "-f", "image2",
         "-c:v", codec, path], check=True)


def blake(b):
    return hashlib.blake2b(b, digest_size=16).hexdigest()


def read(path):
    with open(path, "rb") as f:
        return f.read()


def jpeg_size(b):
    """(width, height) from a JPEG's start-of-frame marker, or None."""
    if b[:2] != b"\xff\xd8":
        return None
    i = 2
    while i + 4 <= len(b):
        if b[i] != 0xFF:
            return None
        while b[i] == 0xFF:
            i += 1
        m = b[i]
        i += 1
        if m == 0x01 or 0xD0 <= m <= 0xD7:
            continue
        if m in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            return int.from_bytes(b[i + 5:i + 7], "big"), int.from_bytes(b[i + 3:i + 5], "big")
        i += int.from_bytes(b[i:i + 2], "big")
    return None


def rgb_at(jpeg, x, y):
    """The colour of one pixel of a JPEG, decoded by ffmpeg."""
    path = os.path.join(work, "probe.jpg")
    with open(path, "wb") as f:
        f.write(jpeg)
    w, _ = jpeg_size(jpeg)
    raw = run(["ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]).stdout
    i = (y * w + x) * 3
    return tuple(raw[i:i + 3])


def near(c, want, tol=12):
    return len(c) == 3 and all(abs(a - b) <= tol for a, b in zip(c, want))


# The library: Artist/Album folders of short untagged WAVs, named by their folders.
track("Alpha/One", "01 - First")
track("Alpha/One", "02 - Second")
picture(os.path.join(masters, "Alpha/One/cover.jpg"), "testsrc2=s=1000x1000", "mjpeg")
picture(os.path.join(masters, "Alpha/One/Folder.PNG"), "color=c=red:s=400x400", "png")  # less preferred
picture(os.path.join(masters, "Alpha/artist.jpg"), "color=c=yellow:s=500x700", "mjpeg")
track("Beta/Two", "01 - Blue")
picture(os.path.join(masters, "Beta/Two/Folder.PNG"), "color=c=0x3366cc:s=800x800", "png")
track("Gamma/Three", "01 - Web")
picture(os.path.join(masters, "Gamma/Three/front.webp"), "testsrc=s=700x700", "libwebp")
track("Delta/Four", "01 - Wide")
picture(os.path.join(masters, "Delta/Four/Cover.JPG"), "color=c=0x20c040:s=1200x600", "mjpeg")
track("Eps/Huge", "01 - Thin")
track("Eps/Huge", "02 - Thinner")
picture(os.path.join(masters, "Eps/Huge/cover.png"), "color=c=white:s=9000x10", "png")
track("Zeta/Heavy", "01 - Heavy")
with open(os.path.join(masters, "Zeta/Heavy/cover.jpg"), "wb") as f:
    f.write(b"\xff\xd8\xff\xe0" + b"\0" * (17 << 20))
track("Eta/Broken", "01 - Broken")
with open(os.path.join(masters, "Eta/Broken/cover.jpg"), "wb") as f:
    f.write(b"\xff\xd8\xff\xe0" + b"this is not really a JPEG, only its first bytes are. " * 40)
track("Theta/Same", "01 - Twin")
shutil.copy(os.path.join(masters, "Alpha/One/cover.jpg"), os.path.join(masters, "Theta/Same/cover.jpg"))

p = server_cmd("ingest", masters, data_dir=data)
out, err = p.stdout.decode(), p.stderr.decode()
t.eq(p.returncode, 0, "a refused picture fails no track", err)
t.ok("10 added" in out and "0 failed" in out, "every track is ingested", out)
notes = [l for l in err.splitlines() if "picture ignored" in l]
for folder, why in (("Eps/Huge/cover.png", "over 8000 pixels"), ("Zeta/Heavy/cover.jpg", "over 16 MiB"),
                    ("Eta/Broken/cover.jpg", "cannot be decoded")):
    mine = [l for l in notes if folder in l]
    t.ok(len(mine) == 1 and why in mine[0] and mine[0].startswith("segue-server: ingest: "),
         "one line notes %s: %s" % (folder, why), err)
t.eq(len(notes), 3, "and no other picture is noted", err)

albums = dict(sql(data, "SELECT name, id FROM albums"))
artists = dict(sql(data, "SELECT name, id FROM artists"))
image = dict(sql(data, "SELECT name, image FROM albums"))
t.eq(image["One"], blake(read(os.path.join(masters, "Alpha/One/cover.jpg"))),
     "cover.jpg wins over Folder.PNG, named by its content's BLAKE2b-128")
t.eq(image["Two"], blake(read(os.path.join(masters, "Beta/Two/Folder.PNG"))), "Folder.PNG, any case")
t.eq(image["Three"], blake(read(os.path.join(masters, "Gamma/Three/front.webp"))), "front.webp")
t.eq(image["Four"], blake(read(os.path.join(masters, "Delta/Four/Cover.JPG"))), "Cover.JPG")
t.eq([image["Huge"], image["Heavy"], image["Broken"]], [None] * 3, "refused pictures give no cover")
t.eq(image["Same"], image["One"], "the same picture beside another album")
stored = [sorted(os.listdir(os.path.join(data, "images", h[:2], h))) for h in set(filter(None, image.values()))]
pictures = [os.path.join(a, b) for a in os.listdir(os.path.join(data, "images"))
            for b in os.listdir(os.path.join(data, "images", a))]
t.eq(len(pictures), 5, "five pictures stored, each once (four covers and an artist)", pictures)
t.ok(all(s == ["300.jpg", "64.jpg", "640.jpg"] for s in stored), "each in three sizes, no temporaries", stored)

add_user(data, "alice", premium=True)
add_user(data, "bob", premium=True)
with Server(data, {"rl_standard": 1000000, "rl_playlist": 1000000}) as srv:
    alice, bob = srv.login("alice"), srv.login("bob")

    def get(path, tok=alice):
        return srv.get(path, token=tok).json() or {}

    a = get("/v1/albums/%s" % albums["One"])
    imgs = a.get("images", [])
    t.eq([(i["width"], i["height"]) for i in imgs], [(640, 640), (300, 300), (64, 64)],
         "an album's images: three sizes, widest first")
    t.ok(all(i["url"] == "%s/images/%s/%d.jpg" % (srv.base, image["One"], i["width"]) for i in imgs),
         "at /images/HASH/SIZE.jpg on this server", imgs)
    for i in imgs:
        path = i["url"][len(srv.base):]
        r = srv.get(path)
        t.ok(r.status == 200 and r.headers.get("content-type") == "image/jpeg"
             and jpeg_size(r.body) == (i["width"], i["height"]),
             "%s: served without credentials, a %dx%d JPEG" % (path, i["width"], i["height"]),
             (r.status, r.headers, jpeg_size(r.body)))
    path = imgs[0]["url"][len(srv.base):] if imgs else "/images/x/640.jpg"
    r = srv.get(path)
    etag = r.headers.get("etag")
    t.eq(etag, '"%s-640"' % image["One"], "its ETag names the picture and the size")
    t.ok("immutable" in r.headers.get("cache-control", "") and "max-age=31536000" in r.headers.get("cache-control", ""),
         "cached for good", r.headers)
    r = srv.get(path, headers={"If-None-Match": etag})
    t.ok(r.status == 304 and not r.body, "If-None-Match: 304", r)
    r = srv.request("HEAD", path)
    t.ok(r.status == 200 and int(r.headers.get("content-length", 0)) > 1000 and not r.body, "HEAD", r)
    h = image["One"]
    for bad in ("/images/%s/100.jpg" % h, "/images/%s/640.png" % h, "/images/%s/640.jpg" % h.upper(),
                "/images/%s/640.jpg" % h[:-1], "/images/%s/640.jpg" % ("0" * 32), "/images/../../etc/passwd",
                "/images/..%2f..%2fetc/640.jpg", "/images/%s/..%%2f640.jpg" % h, "/images/%s" % h):
        t.eq(srv.get(bad).status, 404, "404 for %s" % bad)

    four = get("/v1/albums/%s" % albums["Four"])["images"]
    wide = srv.get(four[0]["url"][len(srv.base):]).body
    t.ok(near(rgb_at(wide, 320, 20), (40, 40, 40)) and near(rgb_at(wide, 320, 620), (40, 40, 40))
         and near(rgb_at(wide, 320, 320), (0x20, 0xc0, 0x40), 20),
         "a 2:1 cover is letterboxed on a neutral background",
         (rgb_at(wide, 320, 20), rgb_at(wide, 320, 320)))
    t.eq(get("/v1/albums/%s" % albums["Huge"]).get("images"), [], "an album without a cover: []")

    tr = sql(data, "SELECT id FROM tracks WHERE album_id = '%s'" % albums["Two"])[0][0]
    t.eq(len(get("/v1/tracks/%s" % tr)["album"]["images"]), 3, "a track's album has its images")
    al = get("/v1/artists/%s/albums" % artists["Alpha"])
    t.eq(len(al["items"][0]["images"]) if al.get("items") else 0, 3, "so do simplified albums")

    art = get("/v1/artists/%s" % artists["Alpha"])["images"]
    t.ok(art and art[0]["url"].endswith("/%s/640.jpg" % blake(read(os.path.join(masters, "Alpha/artist.jpg")))),
         "artist.jpg above the album's folder is its artist's picture", art)
    art = get("/v1/artists/%s" % artists["Beta"])["images"]
    t.ok(art and "/%s/" % image["Two"] in art[0]["url"], "without one, an artist shows its most played album's cover", art)
    t.eq(get("/v1/artists/%s" % artists["Eps"])["images"], [], "an artist with no picture at all: []")
    alpha_simple = get("/v1/albums/%s" % albums["One"])["artists"][0]
    t.ok("images" not in alpha_simple, "simplified artists carry no images, as in the Web API")

    # Playlists: a mosaic of the first four distinct album covers, following the items.
    def uris(*names):
        out = []
        for n in names:
            out += ["segue:track:" + x for (x,) in sql(data, "SELECT id FROM tracks WHERE album_id = '%s'"
                                                               " ORDER BY track_number, name" % albums[n])]
        return out

    def plimage(pid, tok=alice):
        imgs = get("/v1/playlists/%s" % pid, tok).get("images", [])
        m = re.search(r"/images/([0-9a-f]{32})/640\.jpg$", imgs[0]["url"]) if imgs else None
        return m.group(1) if m else None

    r = srv.request("POST", "/v1/users/alice/playlists", body={"name": "Covers"}, token=alice)
    pid = r.json()["id"]
    t.eq(r.json().get("images"), [], "a new playlist has no picture")
    srv.request("POST", "/v1/playlists/%s/tracks" % pid, body={"uris": uris("Huge", "One")}, token=alice)
    t.eq(plimage(pid), image["One"], "one cover among its items: that cover (art-less albums skipped)")
    srv.request("POST", "/v1/playlists/%s/tracks" % pid, body={"uris": uris("Same", "Two", "Three", "Four")},
                token=alice)
    mosaic = blake((image["One"] + image["Two"] + image["Three"] + image["Four"]).encode())
    t.eq(plimage(pid), mosaic, "four distinct covers: their mosaic, named by their names in order")
    m = srv.get("/images/%s/640.jpg" % mosaic).body
    t.eq(jpeg_size(m), (640, 640), "the mosaic is 640x640")
    t.ok(near(rgb_at(m, 480, 160), (0x33, 0x66, 0xcc)) and near(rgb_at(m, 480, 340), (40, 40, 40), 14)
         and near(rgb_at(m, 480, 480), (0x20, 0xc0, 0x40), 20),
         "second cover top right, fourth (letterboxed) bottom right",
         (rgb_at(m, 480, 160), rgb_at(m, 480, 340), rgb_at(m, 480, 480)))
    t.eq(srv.get("/images/%s/64.jpg" % mosaic).status, 200, "in every size")
    n = len(get("/v1/playlists/%s" % pid)["tracks"]["items"])
    r = srv.request("PUT", "/v1/playlists/%s/tracks" % pid, body={"range_start": n - 1, "insert_before": 0}, token=alice)
    t.eq(r.status, 200, "reorder: the last item first")
    t.eq(plimage(pid), blake((image["Four"] + image["One"] + image["Two"] + image["Three"]).encode()),
         "the mosaic follows the new order")
    lst = get("/v1/me/playlists")["items"]
    t.ok(any(p["id"] == pid and len(p["images"]) == 3 for p in lst), "simplified playlists have images too")
    t.eq(get("/v1/playlists/%s/images" % pid), get("/v1/playlists/%s" % pid)["images"],
         "GET /v1/playlists/{id}/images gives the same array")
    # Covers are read a few dozen items at a time: three of the four distinct ones past the
    # first 70 items, all of one album, are found all the same.
    r = srv.request("POST", "/v1/users/alice/playlists", body={"name": "Long"}, token=alice)
    lid = r.json()["id"]
    one = uris("One")
    srv.request("POST", "/v1/playlists/%s/tracks" % lid, body={"uris": (one * 70)[:70]}, token=alice)
    t.eq(plimage(lid), image["One"], "70 items of one album: its cover")
    r = srv.request("POST", "/v1/playlists/%s/tracks" % lid, body={"uris": uris("Two", "Three", "Four")}, token=alice)
    t.ok(r.status == 201 and plimage(lid) == mosaic, "three more albums after them: the mosaic of the four", r)

    # Uploads: the owner's JPEG sticks.
    up = os.path.join(work, "upload.jpg")
    picture(up, "color=c=0xaa22aa:s=320x240", "mjpeg")
    jpeg = read(up)

    def put(body, tok=alice, ctype="image/jpeg", target=pid):
        return srv.request("PUT", "/v1/playlists/%s/images" % target, body=body, token=tok,
                           headers={"Content-Type": ctype})

    t.eq(put(base64.b64encode(jpeg), tok=bob).status, 403, "another user's upload is 403")
    t.eq(put(b"%%% not base64 %%%").status, 400, "garbage is 400")
    r = put(base64.b64encode(read(os.path.join(masters, "Beta/Two/Folder.PNG"))))
    t.ok(r.status == 400 and "JPEG" in (r.json() or {}).get("error", {}).get("message", ""), "a PNG is 400", r)
    r = put(base64.b64encode(read(os.path.join(masters, "Eta/Broken/cover.jpg"))))
    t.ok(r.status == 400 and "decoded" in (r.json() or {}).get("error", {}).get("message", ""),
         "a corrupt JPEG is 400, saying why", r)
    t.eq(put(b"A" * (256 * 1024 + 4)).status, 413, "over 256 KB of base64 is 413")
    t.eq(plimage(pid), blake((image["Four"] + image["One"] + image["Two"] + image["Three"]).encode()),
         "refused uploads change nothing")
    r = put(base64.b64encode(jpeg))
    t.eq(r.status, 202, "the owner's base64 JPEG: 202", r)
    t.eq(plimage(pid), blake(jpeg), "GET shows it")
    t.eq(jpeg_size(srv.get("/images/%s/300.jpg" % blake(jpeg)).body), (300, 300), "resized like any picture")
    srv.request("POST", "/v1/playlists/%s/tracks" % pid, body={"uris": uris("Two"), "position": 0}, token=alice)
    t.eq(plimage(pid), blake(jpeg), "adding a track does not replace an uploaded picture")
    r = srv.request("POST", "/v1/users/bob/playlists", body={"name": "Secret", "public": False}, token=bob)
    t.eq(put(base64.b64encode(jpeg), target=r.json()["id"]).status, 404, "someone else's private playlist: 404")

# Re-ingest: a cover put beside unchanged files is found; a cover does not flip once set.
os.remove(os.path.join(masters, "Eps/Huge/cover.png"))
picture(os.path.join(masters, "Eps/Huge/cover.jpg"), "color=c=orange:s=300x300", "mjpeg")
picture(os.path.join(masters, "Alpha/One/cover.jpg"), "color=c=black:s=300x300", "mjpeg")
p = server_cmd("ingest", "--quiet", masters, data_dir=data)
t.eq(p.returncode, 0, "re-ingest", p.stderr)
image2 = dict(sql(data, "SELECT name, image FROM albums"))
t.eq(image2["Huge"], blake(read(os.path.join(masters, "Eps/Huge/cover.jpg"))),
     "a cover added later is found though the audio is unchanged")
t.eq(image2["One"], image["One"], "an album's cover does not flip")
t.done()
