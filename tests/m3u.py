"""Playlists in and out as M3U8: segue playlist export and import through the command line,
against a library ingested from real files, and the server's matching endpoint
(POST /v1/segue/tracks/match) behind them: by path (whole, or its last components under
another folder), by #EXTINF tags, by search, by URI; what matches nothing is reported by
line; a file where nothing matches makes no playlist."""

import os

from segue_client import Client
from segue_test import TAP, Server, add_user, db_connect, server_cmd, sql, tmpdir, tone_flac, wait_for

t = TAP()
work = tmpdir()
lib = os.path.join(work, "library")
data = os.path.join(work, "data")
freq = [300]


def flac(rel, secs=3, **tags):
    """A FLAC master at lib/rel with its own tone (the track id is the audio's hash)."""
    freq[0] += 41
    return tone_flac(os.path.join(lib, rel), freq[0], work, secs, **tags)


flac("Artist One/First Album/01 - Alpha.flac", title="Alpha", artist="Artist One",
     album="First Album", tracknumber="1")
flac("Artist One/First Album/02 - Beta.flac", title="Beta", artist="Artist One",
     album="First Album", tracknumber="2")
flac("Artist One/First Album/03 - Gamma.flac", title="Gamma", artist="Artist One",
     album="First Album", tracknumber="3")
flac("Björk/Début/01 - Café Noir.flac", title="Café Noir", artist="Björk", album="Début")
flac("Duo A & Duo B/Together/01 - Both.flac", title="Both", artist=["Duo A", "Duo B"],
     album="Together")
# Two files whose last two path components are the same: a path ending so is no match.
flac("Various/Comp/01 - Intro.flac", title="Intro", artist="Band X", album="Comp")
flac("Other/Comp/01 - Intro.flac", title="Intro", artist="Band Y", album="Comp B")
flac("Latin/Àéî/01 - Señor.flac", title="Señor", artist="José", album="Àéî")

p = server_cmd("ingest", "--quiet", lib, data_dir=data)
t.eq(p.returncode, 0, "the library ingests", p.stderr.decode(errors="replace"))
add_user(data, "ana", premium=True)
ids = {name: tid for tid, name in sql(data, "SELECT id, name FROM tracks")}
intro = dict(sql(data, "SELECT ar.name, t.id FROM tracks t JOIN artists ar ON ar.id = t.artist_id"
                       " WHERE t.name = 'Intro'"))
t.eq((len(ids), len(intro)), (7, 2), "eight tracks, two of them named Intro")
paths = dict(sql(data, "SELECT name, library_path FROM tracks"))


def lines(text):
    return text.replace("\r\n", "\n").split("\n")


def playlist_ids(c, uri):
    rc, doc, err = c.json("playlist", "show", uri)
    return [i["track"]["id"] for i in (doc or {}).get("tracks", {}).get("items", [])]


def write(name, content, mode="w", **kw):
    path = os.path.join(work, name)
    with open(path, mode, **kw) as f:
        f.write(content)
    return path


with Server(data) as srv:
    tok = srv.login("ana")
    c = Client(srv.base)
    c.login("ana")

    def match(entries, token=tok):
        return srv.request("POST", "/v1/segue/tracks/match", body={"entries": entries}, token=token)

    def my_playlists():
        return srv.get("/v1/me/playlists?limit=50", token=tok).json()["items"]

    # The search index is built in the background after a start.
    t.ok(wait_for(lambda: match([]).status == 200, 20), "the match endpoint answers once search is up")

    r = srv.get("/v1/tracks/%s" % ids["Alpha"], token=tok).json()
    t.eq(r.get("segue", {}).get("path"), "Artist One/First Album/01 - Alpha.flac",
         "a track object tells its path under the library folder (segue.path)")

    # --- the endpoint -------------------------------------------------------------------------
    entries = [
        {"path": "Artist One/First Album/02 - Beta.flac"},
        {"path": "/home/x/Music/Artist One/First Album/03 - Gamma.flac"},
        {"path": "/mnt/First Album/01 - Alpha.flac"},
        {"path": "somewhere/else/intro.mp3", "artist": "Band X", "title": "Intro", "duration_ms": 3000},
        {"artist": "Duo A, Duo B", "title": "Both"},
        {"artist": "Bjork", "title": "CAFÉ NOIR", "duration_ms": 200000},
        {"artist": "Bjrok", "title": "cafe noir"},
        {"path": "/x/Comp/01 - Intro.flac"},
        {"path": "/x/Comp/01 - Intro.flac", "artist": "Band Y", "title": "intro"},
        {"artist": "Band X", "title": "Outro"},
        {"path": "C:\\Music\\Latin\\Àéî\\01 - Señor.flac"},
        {"title": "Nothing At All"},
        {},
    ]
    r = match(entries)
    got = [(m["by"], m["track"]["id"] if m["track"] else None) for m in (r.json() or {}).get("matches", [])]
    want = [("path", ids["Beta"]), ("path", ids["Gamma"]), ("path", ids["Alpha"]),
            ("tags", intro["Band X"]), ("tags", ids["Both"]),
            ("search", ids["Café Noir"]), ("search", ids["Café Noir"]), (None, None),
            ("tags", intro["Band Y"]), (None, None), ("path", ids["Señor"]), (None, None), (None, None)]
    t.eq(r.status, 200, "the match endpoint answers 200")
    names = ["a library path", "another folder's path (last three components)",
             "the last two components", "#EXTINF tags where the path fails",
             "tags listing every artist", "search where tags fail (length off by minutes)",
             "search with a misspelt artist", "a path ending two tracks share: no match",
             "tags where the path is ambiguous", "search's best track must bear the title",
             "a Windows path", "a title alone that nothing has", "an empty entry"]
    for i, name in enumerate(names):
        t.eq(got[i] if i < len(got) else None, want[i], "match: " + name)
    t.ok(r.json() and r.json()["matches"][0]["track"]["segue"]["path"] == paths["Beta"],
         "matches are full track objects")

    r = match([{"path": "x/%d.flac" % i} for i in range(1000)])
    t.ok(r.status == 200 and len(r.json()["matches"]) == 1000, "1000 entries are taken")
    r = match([{"path": "x/%d.flac" % i} for i in range(1001)])
    t.ok(r.status == 400 and "1000" in r.json()["error"]["message"], "1001 are refused (400)", r)
    r = srv.request("POST", "/v1/segue/tracks/match", body="{\"entries\": [", token=tok,
                    headers={"Content-Type": "application/json"})
    t.eq(r.status, 400, "a malformed body is refused (400)")
    t.eq(srv.request("POST", "/v1/segue/tracks/match", body={"entries": {}}, token=tok).status,
         400, "entries that are not an array (400)")
    r = match([{"path": "a"}, {"path": 7}])
    t.ok(r.status == 400 and "entries[1].path" in r.json()["error"]["message"],
         "an entry's path that is not a string is named (400)", r)
    t.eq(match([{"title": "x" * 1025}]).status, 400, "a title over 1024 bytes (400)")
    t.eq(match([{"path": "x" * 4097}]).status, 400, "a path over 4096 bytes (400)")
    t.eq(match([{"duration_ms": -5}]).status, 400, "a negative length (400)")
    t.eq(match([{"path": "a"}], token=None).status, 401, "a token is needed (401)")

    # --- export -------------------------------------------------------------------------------
    rc, doc, err = c.json("playlist", "create", "Road Trip")
    road = (doc or {}).get("uri", "")
    rc2, _, err2 = c.run("playlist", "add", road, ids["Alpha"], ids["Café Noir"], ids["Both"])
    t.ok(rc == 0 and rc2 == 0, "a playlist of three tracks", err + err2)
    rc, out, err = c.run("playlist", "export", road)
    t.eq(rc, 0, "export exits 0", err)
    t.eq(lines(out), ["#EXTM3U", "#PLAYLIST:Road Trip",
                      "#EXTINF:3,Artist One - Alpha", "Artist One/First Album/01 - Alpha.flac",
                      "#EXTINF:3,Björk - Café Noir", "Björk/Début/01 - Café Noir.flac",
                      "#EXTINF:3,Duo A, Duo B - Both", "Duo A & Duo B/Together/01 - Both.flac", ""],
         "export writes #EXTM3U, #PLAYLIST and per track #EXTINF and its library path")
    outdir = os.path.join(work, "out")
    os.makedirs(outdir)
    exported = os.path.join(outdir, "road.m3u8")
    write("out/road.m3u8", "old content\n")
    rc, out, err = c.run("playlist", "export", road, "--output", exported, "--base", "/srv/music/")
    t.ok(rc == 0 and "exported 3 tracks of Road Trip to " + exported in out, "export --output says where", out + err)
    with open(exported, encoding="utf-8") as f:
        body = f.read()
    t.eq(lines(body)[2:4], ["#EXTINF:3,Artist One - Alpha", "/srv/music/Artist One/First Album/01 - Alpha.flac"],
         "--base goes before each path")
    t.eq(sorted(os.listdir(outdir)), ["road.m3u8"], "the file is replaced whole, no temporary left")
    rc, doc, err = c.json("playlist", "export", road)
    t.ok(rc == 0 and doc and doc["tracks"] == 3 and doc["m3u8"].startswith("#EXTM3U\n"),
         "export --json carries the text", err)
    rc, out, err = c.run("playlist", "export", road, "--output", os.path.join(work, "no", "such", "dir.m3u8"))
    t.ok(rc == 1 and "cannot write" in err, "export to a folder that is not there: exit 1", err)
    # A track the server has no path for goes out as its URI.
    db = db_connect(data)
    db.execute("UPDATE tracks SET library_path = NULL WHERE id = ?", (ids["Both"],))
    db.commit()
    db.close()
    rc, out, err = c.run("playlist", "export", road)
    t.eq(lines(out)[7], "segue:track:" + ids["Both"], "a track without a path is written as its URI")
    db = db_connect(data)
    db.execute("UPDATE tracks SET library_path = ? WHERE id = ?", (paths["Both"], ids["Both"]))
    db.commit()
    db.close()

    # --- import what was exported -------------------------------------------------------------
    rc, out, err = c.run("playlist", "import", exported, "--name", "Road Trip Again")
    t.eq(rc, 0, "import of the exported file exits 0", err)
    first = out.strip().split("\n")[0] if out.strip() else ""
    t.ok(first.startswith("imported 3 of 3 entries into Road Trip Again (segue:playlist:"),
         "import says what it made", out + err)
    uri = first[first.rfind("(") + 1:-1]
    t.eq(playlist_ids(c, uri), [ids["Alpha"], ids["Café Noir"], ids["Both"]],
         "the same tracks in the same order (paths under another folder)")
    t.eq(err, "", "nothing left out, nothing on standard error")
    rc, doc, err = c.json("playlist", "import", exported, "--private")
    t.ok(rc == 0 and doc and doc["playlist"]["name"] == "Road Trip" and doc["playlist"]["public"] is False,
         "the name comes from #PLAYLIST; --private makes it private", doc)

    # --- a hand-written M3U8 --------------------------------------------------------------------
    mixed = "\ufeff" + "\n".join([
        "#EXTM3U",                                                     # 1
        "#PLAYLIST:Mixed Bag",                                         # 2
        "Artist One/First Album/02 - Beta.flac",                       # 3 path
        "/home/x/Music/Artist One/First Album/03 - Gamma.flac",        # 4 path, another prefix
        "#EXTINF:3,Band X - Intro",                                    # 5
        "somewhere/else/intro.mp3",                                    # 6 tags
        "#EXTINF:200,Bjork - CAFÉ NOIR",                               # 7
        "music/cafe.mp3",                                              # 8 search
        "C:\\Users\\x\\Music\\nothing.mp3",                            # 9 nothing
        "segue:track:" + ids["Beta"],                                  # 10 URI
        "",                                                            # 11
        "https://open.spotify.com/track/%s?si=abc" % ids["Alpha"],     # 12 URL
        "segue:track:0000000000000000000000",                          # 13 unknown id
        "#EXTINF:10,Nobody - Nothing At All",                          # 14
        "/nowhere/nothing.flac",                                       # 15 nothing
        "/x/Comp/01 - Intro.flac",                                     # 16 ambiguous
        "file:///home/x/Music/Duo%20A%20&%20Duo%20B/Together/01%20-%20Both.flac",  # 17 file URL
    ]) + "\n"
    path = write("mixed.m3u8", mixed, encoding="utf-8")
    rc, out, err = c.run("playlist", "import", path)
    t.eq(rc, 0, "a partly matched file imports (exit 0)", err)
    first = out.strip().split("\n")[0] if out.strip() else ""
    t.ok(first.startswith("imported 7 of 11 entries into Mixed Bag (segue:playlist:"), "7 of 11", out)
    uri = first[first.rfind("(") + 1:-1]
    t.eq(playlist_ids(c, uri), [ids["Beta"], ids["Gamma"], intro["Band X"], ids["Café Noir"], ids["Beta"],
                                ids["Alpha"], ids["Both"]],
         "the matched tracks in the file's order")
    t.eq(err.strip().split("\n"), [
        "not matched: line 9: C:\\Users\\x\\Music\\nothing.mp3",
        "not matched: line 13: segue:track:0000000000000000000000",
        "not matched: line 15: Nobody - Nothing At All (/nowhere/nothing.flac)",
        "not matched: line 16: /x/Comp/01 - Intro.flac"], "each entry left out, by line, on standard error")
    rc, doc, err = c.json("playlist", "import", path, "--name", "Mixed JSON")
    t.ok(rc == 0 and doc and doc["imported"] == 7 and doc["entries"] == 11 and
         [u["line"] for u in doc["unmatched"]] == [9, 13, 15, 16] and
         doc["unmatched"][2]["entry"] == "Nobody - Nothing At All (/nowhere/nothing.flac)" and
         doc["playlist"]["name"] == "Mixed JSON", "--json: playlist, imported, entries, unmatched", doc)

    # A Windows player's .m3u: Latin-1, CRLF, backslashes.
    latin = ("#EXTM3U\r\n#EXTINF:3,Jos\xe9 - Se\xf1or\r\nD:\\Musik\\Latin\\\xc0\xe9\xee\\01 - Se\xf1or.flac\r\n"
             "#EXTINF:3,Jos\xe9 - Se\xf1or\r\nD:\\elsewhere\\x.mp3\r\n").encode("latin-1")
    path = write("Latin Mix.m3u", latin, mode="wb")
    rc, doc, err = c.json("playlist", "import", path)
    t.ok(rc == 0 and doc and doc["imported"] == 2 and doc["playlist"]["name"] == "Latin Mix",
         "a Latin-1 .m3u with CRLF imports; its name is the file's", (doc, err))
    if doc:
        t.eq(playlist_ids(c, doc["playlist"]["uri"]), [ids["Señor"], ids["Señor"]],
             "by its Windows path, then by its Latin-1 tags")

    # Nothing matched, nothing there.
    before = len(my_playlists())
    path = write("none.m3u8", "#EXTINF:5,No One - Nothing\nnothing.mp3\n/also/nothing.flac\n")
    rc, out, err = c.run("playlist", "import", path)
    t.ok(rc == 4 and "none of the 2 entries" in err and "no playlist was made" in err,
         "nothing matched: exit 4, said so", (rc, err))
    t.eq(len(my_playlists()), before, "and no playlist was made")
    rc, out, err = c.run("playlist", "import", write("empty.m3u8", "#EXTM3U\n"))
    t.ok(rc == 4 and "no entries" in err, "a file without entries: exit 4", (rc, err))
    rc, out, err = c.run("playlist", "import", os.path.join(work, "missing.m3u8"))
    t.ok(rc == 1 and "No such file or directory" in err and "missing.m3u8" in err,
         "a missing file: exit 1 with the reason", (rc, err))
    big = os.path.join(work, "big.m3u8")
    with open(big, "wb") as f:
        f.write(b"#" * (10 * 1024 * 1024 + 1))
    rc, out, err = c.run("playlist", "import", big)
    t.ok(rc == 1 and "larger than" in err, "a file over 10 MiB: exit 1", (rc, err))
    rc, out, err = c.run("playlist", "import", write("bin.m3u8", "a\0b\n"))
    t.ok(rc == 1 and "NUL" in err, "a binary file: exit 1", (rc, err))
    rc, out, err = c.run("playlist", "import", path, "--public", "--private")
    t.eq(rc, 2, "--public with --private is a usage error")
    t.eq(len(my_playlists()), before, "no playlist made by any of the failures")
    c.stop()
t.done()
