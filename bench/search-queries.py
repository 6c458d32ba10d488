#!/usr/bin/env python3
"""Deterministic query mix for the search benchmark, drawn from real names in a catalog.

    bench/search-queries.py [--count N] [--seed S] DATA_DIR/segue.db > queries.tsv

One query a line: CLASS <TAB> QUERY. Classes (about a sixth of the mix each):
  prefix-short  1-4 letters of one word (typeahead)             "mi"
  prefix-word   one word and part of the next (typeahead)       "midnight sta"
  exact         a whole track, artist or album name              "Midnight Star Paris"
  two-words     two words of a title, or a title word and an artist word
  typo          a name with one edit (swap, delete, insert, substitute) in a word of 5+ letters
  filter        artist:NAME, album:NAME, genre:G, year:Y or year:Y1-Y2, with a title word
Typeahead is the two prefix classes; full search is the rest. The lines come shuffled, so a
run cut short by its time limit still samples every class. Filter values are single words
(names of one word, genres without punctuation) so that no quoting convention is assumed."""

import argparse
import random
import re
import sqlite3
import sys

CLASSES = ("prefix-short", "prefix-word", "exact", "two-words", "typo", "filter")
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def words(s):
    return [w for w in re.split(r"[^0-9A-Za-z]+", s) if w]


class Catalog:
    def __init__(self, path, rnd):
        self.db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
        self.rnd = rnd
        self.n = self.db.execute("SELECT max(rowid) FROM tracks").fetchone()[0] or 0
        if not self.n:
            sys.exit("search-queries: no tracks in %s" % path)
        # Every word the catalog has, so that a typo is never another real word.
        self.vocab = set()
        for table in ("artists", "albums"):
            for (name,) in self.db.execute("SELECT name FROM %s" % table):
                self.vocab.update(w.lower() for w in words(name))

    def track(self):
        """A random track: (title, artist, album, year, genre)."""
        while True:
            row = self.db.execute(
                "SELECT t.name, ar.name, al.name, substr(al.release_date, 1, 4), t.genre"
                " FROM tracks t JOIN albums al ON al.id = t.album_id"
                " JOIN artists ar ON ar.id = t.artist_id WHERE t.rowid = ?",
                (self.rnd.randint(1, self.n),)).fetchone()
            if row and words(row[0]):
                return row


def typo(word, rnd, vocab):
    for _ in range(50):
        i = rnd.randrange(len(word))
        kind = rnd.choice(("swap", "delete", "insert", "substitute"))
        if kind == "swap":
            i = min(i, len(word) - 2)
            w = word[:i] + word[i + 1] + word[i] + word[i + 2:]
        elif kind == "delete":
            w = word[:i] + word[i + 1:]
        elif kind == "insert":
            w = word[:i] + rnd.choice(LETTERS) + word[i:]
        else:
            w = word[:i] + rnd.choice(LETTERS.replace(word[i].lower(), "")) + word[i + 1:]
        if w.lower() != word.lower() and w.lower() not in vocab:
            return w
    return None


def make(cls, cat, rnd):
    title, artist, album, year, genre = cat.track()
    tw = words(title)
    if cls == "prefix-short":
        w = rnd.choice(tw + words(artist))
        return w[:rnd.randint(1, min(4, len(w)))].lower()
    if cls == "prefix-word":
        src = tw if len(tw) >= 2 or rnd.random() < 0.8 else words(artist)
        if len(src) < 2:
            return None
        i = rnd.randrange(len(src) - 1)
        nxt = src[i + 1]
        return (src[i] + " " + nxt[:rnd.randint(1, max(1, len(nxt) - 1))]).lower()
    if cls == "exact":
        r = rnd.random()
        return title if r < 0.7 else artist if r < 0.85 else album
    if cls == "two-words":
        if len(tw) >= 2 and rnd.random() < 0.5:
            i, j = sorted(rnd.sample(range(len(tw)), 2))
            return "%s %s" % (tw[i], tw[j])
        aw = [w for w in words(artist) if w.lower() != "the"]
        return "%s %s" % (rnd.choice(tw), rnd.choice(aw)) if aw else None
    if cls == "typo":
        name = title if rnd.random() < 0.75 else artist
        ws = words(name)[:3]
        long_ = [i for i, w in enumerate(ws) if len(w) >= 5]
        if not long_:
            return None
        i = rnd.choice(long_)
        t = typo(ws[i], rnd, cat.vocab)
        if not t:
            return None
        ws[i] = t
        return " ".join(ws)
    if cls == "filter":
        kind = rnd.choice(("artist", "album", "genre", "year"))
        word = rnd.choice(tw)
        if kind == "artist":
            if " " in artist.strip():
                return None
            return "artist:%s" % artist if rnd.random() < 0.4 else "artist:%s %s" % (artist, word)
        if kind == "album":
            if len(words(album)) != 1:
                return None
            return "album:%s %s" % (album, word)
        if kind == "genre":
            if not re.fullmatch(r"[a-z]+", genre):
                return None
            return "genre:%s %s" % (genre, word)
        if not year or not year.isdigit():
            return None
        if rnd.random() < 0.5:
            d = int(year) // 10 * 10
            return "year:%d-%d %s" % (d, d + 9, word)
        return "year:%s %s" % (year, word)
    raise ValueError(cls)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=1200)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("db")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    cat = Catalog(a.db, rnd)
    out = []
    for k in range(a.count):
        cls = CLASSES[k % len(CLASSES)]
        for _ in range(100):
            q = make(cls, cat, rnd)
            if q and "\t" not in q and len(q) <= 200:
                out.append((cls, q))
                break
    rnd.shuffle(out)
    for cls, q in out:
        sys.stdout.write("%s\t%s\n" % (cls, q))


if __name__ == "__main__":
    main()
