"""The command line's tables with names that are not ASCII: accents (precomposed and as
combining marks), CJK and emoji. Every column must begin at the same display cell on every row,
and a name too long for its column is cut with "…" as the TUI cuts it -- whatever LANG says,
since the server's names are UTF-8 in any case."""

import re
import sqlite3
import time
import unicodedata

from segue_test import TAP, Server, catalog_copy, sql
from segue_client import Client

t = TAP()
data = catalog_copy()

# The small catalog's two artists, each with an album of three tracks, get these names; the
# second album's tracks keep theirs (ASCII).
ARTIST = "Sigur O\u0301sk"                                   # a combining acute
ALBUM = "\u5742\u672c\u9f8d\u4e00\u306e\u97f3\u697d\u4f5c\u54c1\u96c6\u7b2c\u4e00\u5dfb"  # 26 cells
TRACKS = [
    "Can\u00e7\u00e3o do Mar",                               # precomposed
    "\u00c9t\u00e9 \u00e0 S\u00e3o Paulo, ou la tr\u00e8s longue chanson d'amour",  # cut at 32
    "\u6771\u4eac Night \U0001f3b5",                         # wide and an emoji
]
ARTIST2 = "Sigur R\u00f3s with \u5742\u672c\u9f8d\u4e00"    # 23 cells: cut at 22 on an edge
ALBUM2 = "Canc\u0327a\u0303o do Mar (ao vivo)"               # combining cedilla and tilde
# The layouts of render_tracks and render_named (src/cmd/render.c): the number, then columns of
# these widths two cells apart.
TRACK_COLS = [32, 22, 22]
NAMED_COLS = [36, 24]


def cells(s):
    """Display cells as a terminal counts them: combining marks none, East Asian wide and
    fullwidth (CJK, emoji) two."""
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
               for c in s)


def by_cell(line):
    """[(first cell, text)] of the line's characters, a combining mark joined to its letter."""
    out, at = [], 0
    for c in line:
        if unicodedata.combining(c) and out:
            out[-1] = (out[-1][0], out[-1][1] + c)
            continue
        out.append((at, c))
        at += cells(c)
    return out


def field(line, start, width):
    """What the line shows in cells [start, start + width), or None when a character straddles
    either edge (the columns are not where they should be)."""
    chars = by_cell(line)
    for at, c in chars:
        if at < start < at + cells(c) or at < start + width < at + cells(c):
            return None
    return "".join(c for at, c in chars if start <= at < start + width)


def check_table(lines, names, widths, what):
    """lines are a table's rows, names each row's names in column order. Each column must start
    at its cell and hold its name whole and padded, or cut with "…"."""
    t.eq(len(lines), len(names), "%s: a row per item" % what, lines)
    for line, row in zip(lines, names):
        at = 5
        for width, name in zip(widths, row):
            got = field(line, at, width)
            ok = got is not None and cells(got) == width
            if ok and cells(name) <= width:
                ok = got == name + " " * (width - cells(name))
            elif ok:
                shown = got.rstrip(" ")
                # The cut leaves out a wide character that would straddle the edge: one cell short.
                ok = (shown.endswith("\u2026") and name.startswith(shown[:-1])
                      and cells(shown) in (width, width - 1))
            t.ok(ok, "%s: %r in cells %d-%d" % (what, name, at, at + width - 1), line)
            at += width + 2
        t.ok(field(line, at - 2, 2) == "  ", "%s: the row goes on at cell %d" % (what, at), line)


def rows(out, section):
    """The numbered rows under "section:" in segue search's output."""
    lines, inside = [], False
    for line in out.split("\n"):
        if line.endswith(":") and not line.startswith(" "):
            inside = line == section + ":"
        elif inside and re.match(r"^ *\d+  ", line):
            lines.append(line)
    return lines


# A server started on the edited database builds its search index from it.
(album_id, artist_id), (album2_id, artist2_id) = sql(data, "SELECT id, artist_id FROM albums ORDER BY id")[:2]
db = sqlite3.connect(data + "/segue.db")
with db:
    db.execute("UPDATE artists SET name = ? WHERE id = ?", (ARTIST, artist_id))
    db.execute("UPDATE albums SET name = ? WHERE id = ?", (ALBUM, album_id))
    db.execute("UPDATE artists SET name = ? WHERE id = ?", (ARTIST2, artist2_id))
    db.execute("UPDATE albums SET name = ? WHERE id = ?", (ALBUM2, album2_id))
    ids = [r[0] for r in db.execute("SELECT id FROM tracks WHERE album_id = ?"
                                    " ORDER BY disc_number, track_number", (album_id,))]
    for name, tid in zip(TRACKS, ids):
        db.execute("UPDATE tracks SET name = ? WHERE id = ?", (name, tid))
db.close()

with Server(data, {"rl_search": 100000, "rl_standard": 100000}) as srv:
    c = Client(srv.base)
    try:
        for var in ("LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "LC_NUMERIC"):
            c.env.pop(var, None)
        rc, out, err = c.login("premium-us")
        t.eq(rc, 0, "login", err)
        rc, doc, err = c.json("search", "--limit", "20", "sigur")
        for _ in range(50):  # the first index is built in the background
            if rc == 0 and doc and doc["tracks"]["items"]:
                break
            time.sleep(0.1)
            rc, doc, err = c.json("search", "--limit", "20", "sigur")
        items = (doc or {}).get("tracks", {}).get("items", [])
        t.ok(rc == 0 and {i["name"] for i in items} >= set(TRACKS), "search finds the renamed tracks", doc)
        track_names = [[i["name"], ", ".join(a["name"] for a in i["artists"]), i["album"]["name"]]
                       for i in items]
        albums = [[a["name"], ", ".join(x["name"] for x in a["artists"])] for a in doc["albums"]["items"]]
        artists = [[a["name"], "%d followers" % a["followers"]["total"]] for a in doc["artists"]["items"]]
        t.ok([ALBUM, ARTIST] in albums and [ALBUM2, ARTIST2] in albums
             and {ARTIST, ARTIST2} <= {a[0] for a in artists}, "and the albums and the artists", doc)

        for env in ({}, {"LANG": "C.UTF-8"}, {"LC_ALL": "C"}, {"LANG": "POSIX"}):
            label = " ".join("%s=%s" % kv for kv in env.items()) or "LANG and LC_ALL unset"
            c.env.update(env)
            rc, out, err = c.run("search", "--limit", "20", "sigur")
            for var in env:
                del c.env[var]
            t.eq(rc, 0, "%s: segue search" % label, err)
            check_table(rows(out, "tracks"), track_names, TRACK_COLS, "%s: tracks" % label)
            check_table(rows(out, "albums"), albums, NAMED_COLS, "%s: albums" % label)
            check_table(rows(out, "artists"), artists, NAMED_COLS, "%s: artists" % label)
            long_rows = [l for l in rows(out, "tracks") if "S\u00e3o Paulo" in l]
            t.ok(long_rows and all(field(l, 5, 32).endswith("\u2026") for l in long_rows),
                 "%s: a long title is cut with an ellipsis" % label, long_rows)
            # 22 cells: ten wide characters and the ellipsis; the eleventh would straddle the edge.
            cut = [field(l, 63, 22) for l in rows(out, "tracks") if ALBUM[:5] in l]
            t.ok(len(cut) == 3 and all(f == ALBUM[:10] + "\u2026 " for f in cut),
                 "%s: a wide name is cut on a character's edge, a space pads" % label, cut)
            cut = [field(l, 39, 22) for l in rows(out, "tracks") if "R\u00f3s" in l]
            t.ok(len(cut) == 3 and all(f == ARTIST2[:-1] + "\u2026" for f in cut),
                 "%s: a name of wide and narrow characters cut to the cell" % label, cut)
    finally:
        c.stop()

t.done()
