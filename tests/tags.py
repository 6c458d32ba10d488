"""Tags read through TagLib, checked field by field through `segue-server tags --json`: MP3
with ID3v2.3 and ID3v2.4 (multi-valued frames, TXXX, UFID, USLT, SYLT, APIC), Latin-1 and
UTF-16 text, M4A atoms and freeform items, FLAC with a PICTURE block and repeated comments
(one not UTF-8), Opus with METADATA_BLOCK_PICTURE, Ogg Vorbis, WavPack with APE tags, WMA,
a picture over the limit, an untagged file named from its folders, and files that are not
audio at all. The files are made with ffmpeg and tagged with mutagen."""

import base64
import json
import os
import shutil
import struct

from segue_test import SERVER_BIN, TAP, run, tmpdir

from mutagen.apev2 import APEValue, BINARY
from mutagen.asf import ASF, ASFBoolAttribute, ASFByteArrayAttribute, ASFDWordAttribute
from mutagen.flac import FLAC, Picture
from mutagen.id3 import (APIC, ID3, SYLT, TALB, TCMP, TCON, TDAT, TDOR, TDRC, TIT2, TORY, TPE1, TPE2, TPOS,
                         TPUB, TRCK, TSRC, TSST, TXXX, TYER, UFID, USLT)
from mutagen.mp4 import MP4, MP4Cover, MP4FreeForm
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wavpack import WavPack

t = TAP()
work = tmpdir()
JPEG = b"\xff\xd8\xff\xe0" + b"front cover " * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"another picture " * 10


def audio(name, *codec):
    path = os.path.join(work, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=1",
         "-map_metadata", "-1", "-fflags", "+bitexact"] + list(codec) + [path], check=True)
    return path


def tags(*paths):
    p = run([SERVER_BIN, "tags", "--json"] + list(paths))
    try:
        return p.returncode, json.loads(p.stdout.decode()), p.stderr.decode()
    except ValueError:
        return p.returncode, None, p.stdout.decode() + p.stderr.decode()


def check(what, path, want):
    """Reads one file and compares the fields named in want, one test each."""
    rc, got, err = tags(path)
    t.eq(rc, 0, "%s: read" % what, err)
    got = got[0] if got else {}
    for k, v in want.items():
        t.eq(got.get(k), v, "%s: %s" % (what, k))
    return got


def flac_picture(data, mime, kind):
    p = Picture()
    p.type, p.mime, p.desc, p.data = kind, mime, "", data
    return p


MB = {"album": "b84ee12a-09ef-421b-82de-0441a926375b",
      "artist1": "0383dadf-2a4e-4d10-a46a-e9e041da8eb3", "artist2": "5441c29d-3602-4898-b1a1-b77fa23b8e50",
      "aartist": "89ad4ac3-39f7-470e-963a-56509c546377",
      "recording": "2d9b5dd5-b4e7-4ea1-8d8f-2a9e53ac3bd6", "track": "f5dd02b2-4d4d-3b6b-9c8e-0f3a1f2c4e5a"}


# ---- MP3, ID3v2.4 and ID3v2.3 -------------------------------------------------------------

def id3_full(path, version):
    tag = ID3()
    tag.add(TIT2(encoding=3, text="Everything Tagged"))
    tag.add(TPE1(encoding=3, text=["Alpha", "Beta"]))
    tag.add(TPE2(encoding=3, text=["Alpha", "Gamma"]))
    tag.add(TXXX(encoding=3, desc="ARTISTS", text=["Alpha One", "Beta Two"]))
    tag.add(TALB(encoding=3, text="The Album"))
    tag.add(TRCK(encoding=3, text="3/12"))
    tag.add(TPOS(encoding=3, text="2/2"))
    tag.add(TCMP(encoding=3, text="1"))
    if version == 4:
        tag.add(TDRC(encoding=3, text="2004-03-17"))
        tag.add(TDOR(encoding=3, text="1999-05-01"))
        tag.add(TSST(encoding=3, text="The Second Disc"))
    else:
        # ID3v2.3's own frames: year, day and month, original year; no TSST.
        tag.add(TYER(encoding=3, text="2004"))
        tag.add(TDAT(encoding=3, text="1703"))
        tag.add(TORY(encoding=3, text="1999"))
        tag.add(TXXX(encoding=3, desc="DISCSUBTITLE", text="The Second Disc"))
    tag.add(TCON(encoding=3, text=["Rock", "Pop"]))
    tag.add(TSRC(encoding=3, text="GBAYE0400123"))
    tag.add(TPUB(encoding=3, text="Some Label"))
    tag.add(TXXX(encoding=3, desc="MusicBrainz Album Id", text=MB["album"]))
    tag.add(TXXX(encoding=3, desc="MusicBrainz Artist Id", text=[MB["artist1"], MB["artist2"]]))
    tag.add(TXXX(encoding=3, desc="MusicBrainz Album Artist Id", text=MB["aartist"]))
    tag.add(TXXX(encoding=3, desc="MusicBrainz Release Track Id", text=MB["track"]))
    tag.add(TXXX(encoding=3, desc="MusicBrainz Album Type", text=["Album", "Soundtrack"]))
    tag.add(TXXX(encoding=3, desc="SEGUE_MARKETS", text="gb, us"))
    tag.add(TXXX(encoding=3, desc="SEGUE_EXPLICIT", text="1"))
    tag.add(UFID(owner="http://musicbrainz.org", data=MB["recording"].encode()))
    tag.add(USLT(encoding=3, lang="eng", desc="", text="Plain line one\r\nPlain line two"))
    tag.add(SYLT(encoding=3, lang="deu", format=2, type=1,
                 text=[("Eins", 1000), ("Zwei", 62500), ("Drei", 3723040)]))
    tag.add(APIC(encoding=3, mime="image/png", type=4, desc="back", data=PNG))
    tag.add(APIC(encoding=3, mime="image/jpeg", type=3, desc="front", data=JPEG))
    kw = {"v2_version": version}
    if version == 3:
        kw["v23_sep"] = None  # several values as ID3v2.4 writes them: NUL-separated
    tag.save(path, **kw)


mp3 = audio("src/plain.mp3", "-c:a", "libmp3lame")
for version in (4, 3):
    path = os.path.join(work, "v2%d.mp3" % version)
    shutil.copy(mp3, path)
    id3_full(path, version)
    want = {
        "title": "Everything Tagged", "artist": "Alpha; Beta", "artists": ["Alpha One", "Beta Two"],
        "album": "The Album", "album_artists": ["Alpha", "Gamma"], "track_number": 3, "track_total": 12,
        "disc_number": 2, "disc_total": 2, "disc_subtitle": "The Second Disc", "date": "2004-03-17",
        "genres": ["Rock", "Pop"],
        "compilation": True, "release_type": "album", "mb_track_id": MB["track"],
        "mb_recording_id": MB["recording"], "mb_album_id": MB["album"],
        "mb_artist_ids": [MB["artist1"], MB["artist2"]], "mb_album_artist_ids": [MB["aartist"]],
        "isrc": "GBAYE0400123", "label": "Some Label", "markets": "GB,US", "explicit": True,
        "lyrics": {"synced": True, "lang": "deu", "lines": 3,
                   "text": "[00:01.00]Eins\n[01:02.50]Zwei\n[62:03.04]Drei\n"},
        "picture": {"mime": "image/jpeg", "bytes": len(JPEG)}, "picture_note": None,
    }
    want["original_date"] = "1999-05-01" if version == 4 else "1999"
    check("ID3v2.%d" % version, path, want)

# ID3v2.3 as most taggers write it: several values joined with '/', which is kept as tagged
# (AC/DC is one artist), but ids, which never hold a '/', are split.
path = os.path.join(work, "v23slash.mp3")
shutil.copy(mp3, path)
tag = ID3()
tag.add(TPE1(encoding=1, text=["AC", "DC"]))
tag.add(TXXX(encoding=1, desc="MusicBrainz Artist Id", text=[MB["artist1"], MB["artist2"]]))
tag.add(USLT(encoding=1, lang="fra", desc="", text="Une ligne"))
tag.save(path, v2_version=3)
check("ID3v2.3 with '/'", path, {"artists": ["AC/DC"], "artist": "AC/DC",
                                 "mb_artist_ids": [MB["artist1"], MB["artist2"]],
                                 "lyrics": {"synced": False, "lang": "fra", "lines": 1, "text": "Une ligne\n"},
                                 "picture": None})

# Text encodings: Latin-1, UTF-16 with a BOM, UTF-16BE without (ID3v2.4 only), UTF-8; and
# control characters in a title.
path = os.path.join(work, "encodings.mp3")
shutil.copy(mp3, path)
tag = ID3()
tag.add(TPE1(encoding=0, text="Café Müller"))
tag.add(TIT2(encoding=1, text="日本 über\x07 alles\tnow"))
tag.add(TALB(encoding=2, text="日本語のアルバム"))
tag.add(TCON(encoding=3, text="Électronique"))
tag.save(path, v2_version=4)
check("ID3 text encodings", path, {"artist": "Café Müller", "artists": ["Café Müller"],
                                   "title": "日本 über alles now", "album": "日本語のアルバム",
                                   "genres": ["Électronique"]})
path = os.path.join(work, "latin1v23.mp3")
shutil.copy(mp3, path)
tag = ID3()
tag.add(TIT2(encoding=0, text="Ça va, ünd"))
tag.add(TALB(encoding=1, text="日本"))
tag.save(path, v2_version=3)
check("ID3v2.3 Latin-1 and UTF-16", path, {"title": "Ça va, ünd", "album": "日本"})

# A picture over the 16 MiB limit is ignored, and says so.
path = os.path.join(work, "bigpicture.mp3")
shutil.copy(mp3, path)
tag = ID3()
tag.add(TIT2(encoding=3, text="Big"))
tag.add(APIC(encoding=3, mime="image/jpeg", type=3, desc="", data=JPEG + b"\0" * (17 << 20)))
tag.save(path, v2_version=4)
check("17 MiB picture", path, {"title": "Big", "picture": None, "picture_note": "picture over 16 MiB"})

# ---- M4A ----------------------------------------------------------------------------------
path = audio("tagged.m4a", "-c:a", "aac", "-b:a", "64k")
m = MP4(path)
m["\xa9nam"] = ["M4A Song"]
m["\xa9ART"] = ["Delta feat. Echo"]
m["aART"] = ["Delta"]
m["\xa9alb"] = ["M4A Album"]
m["\xa9day"] = ["2011"]
m["\xa9gen"] = ["Jazz"]
m["trkn"] = [(5, 10)]
m["disk"] = [(1, 2)]
m["cpil"] = True
m["rtng"] = [1]
m["\xa9lyr"] = ["First line\rSecond line"]
m["covr"] = [MP4Cover(PNG, imageformat=MP4Cover.FORMAT_PNG), MP4Cover(JPEG, imageformat=MP4Cover.FORMAT_JPEG)]
ff = "----:com.apple.iTunes:"
m[ff + "MusicBrainz Album Id"] = [MP4FreeForm(MB["album"].encode())]
m[ff + "MusicBrainz Artist Id"] = [MP4FreeForm(MB["artist1"].encode()), MP4FreeForm(MB["artist2"].encode())]
m[ff + "MusicBrainz Track Id"] = [MP4FreeForm(MB["recording"].encode())]
m[ff + "MusicBrainz Album Type"] = [MP4FreeForm(b"EP")]
m[ff + "ARTISTS"] = [MP4FreeForm(b"Delta"), MP4FreeForm(b"Echo")]
m[ff + "DISCSUBTITLE"] = [MP4FreeForm(b"Side A")]
m[ff + "originaldate"] = [MP4FreeForm(b"2010-02-03")]
m[ff + "LABEL"] = [MP4FreeForm(b"M Label")]
m[ff + "ISRC"] = [MP4FreeForm(b"USRC17607839")]
m[ff + "SEGUE_MARKETS"] = [MP4FreeForm(b"de")]
m.save()
check("M4A", path, {
    "title": "M4A Song", "artist": "Delta feat. Echo", "artists": ["Delta", "Echo"], "album": "M4A Album",
    "album_artists": ["Delta"], "track_number": 5, "track_total": 10, "disc_number": 1, "disc_total": 2,
    "disc_subtitle": "Side A", "date": "2011", "original_date": "2010-02-03", "genres": ["Jazz"],
    "compilation": True, "release_type": "ep", "mb_album_id": MB["album"], "mb_recording_id": MB["recording"],
    "mb_artist_ids": [MB["artist1"], MB["artist2"]], "label": "M Label", "isrc": "USRC17607839",
    "markets": "DE", "explicit": True,
    "lyrics": {"synced": False, "lang": None, "lines": 2, "text": "First line\nSecond line\n"},
    "picture": {"mime": "image/png", "bytes": len(PNG)},
})

# ---- FLAC ---------------------------------------------------------------------------------
path = audio("tagged.flac", "-c:a", "flac")
f = FLAC(path)
f["TITLE"] = "FLAC Song"
f["ARTIST"] = ["Foxtrot", "Golf"]
f["ALBUM"] = "FLAC Album"
f["ALBUMARTISTS"] = ["Foxtrot", "Golf"]
f["ALBUMARTIST"] = "Foxtrot & Golf"
f["TRACKNUMBER"] = "4"
f["TRACKTOTAL"] = "9"
f["DISCNUMBER"] = "1"
f["TOTALDISCS"] = "3"
f["DATE"] = "2020-01-01"
f["GENRE"] = ["Ambient", "Drone"]
f["RELEASETYPE"] = "Single"
f["MUSICBRAINZ_ALBUMARTISTID"] = [MB["artist1"], MB["artist2"]]
f["MUSICBRAINZ_RELEASETRACKID"] = MB["track"]
f["LABEL"] = "ZZZZZZZZ"
f["COMPILATION"] = "0"
f["LYRICS"] = "[ti:FLAC Song]\n[00:00.50]Hello\n[00:01.00]World"
f.add_picture(flac_picture(PNG, "image/png", 0))
f.add_picture(flac_picture(JPEG, "image/jpeg", 3))
f.save()
# A comment that is not UTF-8 (a Latin-1 tagger's): TagLib drops it, Segue repairs it.
data = open(path, "rb").read()
assert data.count(b"LABEL=ZZZZZZZZ") == 1
open(path, "wb").write(data.replace(b"LABEL=ZZZZZZZZ", b"LABEL=Caf\xe9 Bar"))
check("FLAC", path, {
    "title": "FLAC Song", "artist": "Foxtrot; Golf", "artists": ["Foxtrot", "Golf"], "album": "FLAC Album",
    "album_artists": ["Foxtrot", "Golf"], "track_number": 4, "track_total": 9, "disc_number": 1,
    "disc_total": 3, "date": "2020-01-01", "genres": ["Ambient", "Drone"], "compilation": False,
    "release_type": "single", "mb_album_artist_ids": [MB["artist1"], MB["artist2"]],
    "mb_track_id": MB["track"], "label": "Caf\ufffd Bar",
    "lyrics": {"synced": True, "lang": None, "lines": 3, "text": "[ti:FLAC Song]\n[00:00.50]Hello\n[00:01.00]World\n"},
    "picture": {"mime": "image/jpeg", "bytes": len(JPEG)},
})

# ---- Ogg Opus and Ogg Vorbis --------------------------------------------------------------
path = audio("tagged.opus", "-c:a", "libopus")
o = OggOpus(path)
o["TITLE"] = "Opus Song"
o["ARTIST"] = "Hotel"
o["ALBUM ARTIST"] = "Hotel Band"
o["ALBUM"] = "Opus Album"
o["TRACKNUMBER"] = "7/8"
o["DISCNUMBER"] = "1/1"
o["LYRICS"] = "Just words\nno times"
o["SEGUE_EXPLICIT"] = "yes"
o["METADATA_BLOCK_PICTURE"] = [base64.b64encode(flac_picture(JPEG, "image/jpeg", 3).write()).decode()]
o.save()
check("Opus", path, {
    "title": "Opus Song", "artist": "Hotel", "artists": ["Hotel"], "album": "Opus Album",
    "album_artists": ["Hotel Band"], "track_number": 7, "track_total": 8, "disc_number": 1, "disc_total": 1,
    "explicit": True, "lyrics": {"synced": False, "lang": None, "lines": 2, "text": "Just words\nno times\n"},
    "picture": {"mime": "image/jpeg", "bytes": len(JPEG)},
})

path = audio("tagged.ogg", "-c:a", "libvorbis")
v = OggVorbis(path)
v["TITLE"] = "Vorbis Song"
v["ARTIST"] = "India"
v["ALBUM"] = "Vorbis Album"
v["ALBUM_ARTIST"] = "India Group"
v["DATE"] = "1987"
v["ORIGINALYEAR"] = "1980"
v["ORGANIZATION"] = "Vorbis Records"
v["COMPILATION"] = "1"
v["UNSYNCEDLYRICS"] = "Only\tplain"
v["SEGUE_MARKETS"] = ["fr", "be"]
v.save()
check("Ogg Vorbis", path, {
    "title": "Vorbis Song", "artists": ["India"], "album": "Vorbis Album", "album_artists": ["India Group"],
    "date": "1987", "original_date": "1980", "label": "Vorbis Records", "compilation": True,
    "markets": "FR,BE", "track_number": 0, "disc_number": 1,
    "lyrics": {"synced": False, "lang": None, "lines": 1, "text": "Only plain\n"}, "picture": None,
})

# ---- WavPack with APE tags ----------------------------------------------------------------
path = audio("tagged.wv", "-c:a", "wavpack")
w = WavPack(path)
w.add_tags()
w["Title"] = "WavPack Song"
w["Artist"] = ["Juliet", "Kilo"]
w["Album"] = "APE Album"
w["Album Artist"] = "Juliet"
w["Track"] = "2/5"
w["Disc"] = "1/2"
w["Year"] = "2001"
w["Genre"] = "Folk"
w["Compilation"] = "1"
w["Cover Art (Back)"] = APEValue(b"back.png\x00" + PNG, BINARY)
w["Cover Art (Front)"] = APEValue(b"front.jpg\x00" + JPEG, BINARY)
w.save()
check("WavPack/APE", path, {
    "title": "WavPack Song", "artists": ["Juliet", "Kilo"], "album": "APE Album", "album_artists": ["Juliet"],
    "track_number": 2, "track_total": 5, "disc_number": 1, "disc_total": 2, "date": "2001",
    "genres": ["Folk"], "compilation": True, "picture": {"mime": "image/jpeg", "bytes": len(JPEG)},
})

# ---- WMA ----------------------------------------------------------------------------------
def asf_picture(kind, mime, data):
    return (struct.pack("<BI", kind, len(data)) + (mime + "\0").encode("utf-16-le") + "\0".encode("utf-16-le")
            + data)


path = audio("tagged.wma", "-c:a", "wmav2")
a = ASF(path)
a["Title"] = "WMA Song"
a["Author"] = "Lima"
a["WM/AlbumTitle"] = "WMA Album"
a["WM/AlbumArtist"] = "Lima Ensemble"
a["WM/TrackNumber"] = [ASFDWordAttribute(6)]
a["WM/PartOfSet"] = "2/3"
a["WM/Year"] = "1995"
a["WM/Genre"] = "Classical"
a["WM/IsCompilation"] = [ASFBoolAttribute(True)]
a["MusicBrainz/Album Id"] = MB["album"]
a["SEGUE_MARKETS"] = "NL"
a["WM/Picture"] = [ASFByteArrayAttribute(asf_picture(3, "image/jpeg", JPEG))]
a.save()
check("WMA", path, {
    "title": "WMA Song", "artists": ["Lima"], "album": "WMA Album", "album_artists": ["Lima Ensemble"],
    "track_number": 6, "disc_number": 2, "disc_total": 3, "date": "1995", "genres": ["Classical"],
    "compilation": True, "mb_album_id": MB["album"], "markets": "NL",
    "picture": {"mime": "image/jpeg", "bytes": len(JPEG)},
})

# ---- No tags, and not audio ---------------------------------------------------------------
path = os.path.join(work, "Folder Artist", "Folder Album", "01 - Folder Title.mp3")
os.makedirs(os.path.dirname(path))
shutil.copy(mp3, path)
check("untagged", path, {
    "title": "Folder Title", "artist": "Folder Artist", "artists": ["Folder Artist"], "album": "Folder Album",
    "album_artists": [], "track_number": 1, "track_total": 0, "disc_number": 1, "disc_total": 0,
    "genres": [], "compilation": False, "explicit": False, "lyrics": None, "picture": None,
    "picture_note": None,
})

garbage = os.path.join(work, "Some Artist", "Some Album", "02 Garbage.m4a")
os.makedirs(os.path.dirname(garbage))
with open(garbage, "wb") as fh:
    fh.write(b"\x00\x00\x00\x20ftypM4A " + os.urandom(5000))
truncated = os.path.join(work, "truncated.flac")
with open(truncated, "wb") as fh:
    fh.write(open(os.path.join(work, "tagged.flac"), "rb").read()[:3000])
rc, got, err = tags(garbage, truncated, os.path.join(work, "missing.mp3"), work)
t.eq(rc, 1, "a file that cannot be opened: exit 1, the others still read", err)
t.ok(got is not None and len(got) == 4, "one entry per file", err)
if got and len(got) == 4:
    t.eq((got[0]["title"], got[0]["artist"], got[0]["album"], got[0]["track_number"]),
         ("Garbage", "Some Artist", "Some Album", 2), "a file TagLib cannot read is named from its path")
    t.eq(got[1]["title"], "truncated", "a truncated FLAC reads without its comments")
    t.ok("cannot open" in got[2].get("error", ""), "a missing file has an error", got[2])
    t.ok(got[3].get("error") == "not a regular file", "a folder is not a file", got[3])
t.eq(len([l for l in err.splitlines() if "tags:" in l]), 2, "one line on stderr per unreadable file", err)

# ---- The text form ------------------------------------------------------------------------
p = run([SERVER_BIN, "tags", os.path.join(work, "v24.mp3"), os.path.join(work, "bigpicture.mp3")])
out = p.stdout.decode()
t.eq(p.returncode, 0, "text form: exit 0", p.stderr)
lines = out.splitlines()
t.ok("album artists:        Alpha; Gamma" in lines, "aligned field: value lines, lists joined with '; '", out)
t.ok("lyrics:               synced, 3 lines (deu)" in lines, "lyrics summarised", out)
t.ok("picture:              image/jpeg, %d bytes" % len(JPEG) in lines, "picture summarised", out)
t.ok("picture:              picture over 16 MiB" in lines, "an ignored picture's note", out)
t.ok("" in lines and lines.count("") == 1, "files separated by a blank line", out)
p = run([SERVER_BIN, "tags"])
t.eq(p.returncode, 2, "no file is a usage error")
p = run([SERVER_BIN, "tags", "--bogus", mp3])
t.eq(p.returncode, 2, "an unknown option is a usage error")

shutil.rmtree(work, ignore_errors=True)
t.done()
