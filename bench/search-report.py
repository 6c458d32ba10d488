#!/usr/bin/env python3
"""The search benchmark's table, from the raw timings of its phases (LABEL CLASS MS HITS ERR).

    bench/search-report.py --fn FN.tsv --http HTTP.tsv --pg PG.tsv

Missing or empty files leave their columns blank. Percentiles are nearest-rank."""

import argparse
import math
import os

ORDER = ("prefix-short", "prefix-word", "exact", "two-words", "typo", "filter")
FLOOR = {"TYPEAHEAD": 50.0, "SEARCH": 200.0}
GOAL = 10.0


def load(path):
    rows = {}
    if path and os.path.exists(path):
        for line in open(path):
            f = line.rstrip("\n").split("\t")
            if len(f) >= 5:
                rows.setdefault(f[0], []).append((f[1], float(f[2]), int(f[3]), int(f[4])))
    return rows


def pick(rows, group):
    if group == "ALL":
        return rows
    if group == "TYPEAHEAD":
        return [r for r in rows if r[0].startswith("prefix")]
    if group == "SEARCH":
        return [r for r in rows if not r[0].startswith("prefix")]
    return [r for r in rows if r[0] == group]


def pct(v, p):
    return v[max(0, math.ceil(p * len(v)) - 1)] if v else None


def stats(rows, group):
    sel = pick(rows or [], group)
    v = sorted(r[1] for r in sel)
    return {"n": len(v), "p50": pct(v, 0.5), "p99": pct(v, 0.99),
            "empty": sum(1 for r in sel if not r[3] and r[2] == 0), "err": sum(r[3] for r in sel)}


def ms(x):
    return "%8s" % ("-" if x is None else "%.2f" % x if x < 100 else "%.0f" % x)


def ratio(a, b):
    return "%7s" % ("-" if a is None or not b else "%.0fx" % (a / b) if a / b >= 10 else "%.1fx" % (a / b))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fn")
    ap.add_argument("--http")
    ap.add_argument("--pg")
    a = ap.parse_args()
    fn, http, pg = load(a.fn), load(a.http), load(a.pg)
    classes = [c for c in ORDER] + sorted({r[0] for d in (fn, http, pg) for rows in d.values()
                                           for r in rows} - set(ORDER))
    groups = ["TYPEAHEAD"] + [c for c in classes if c.startswith("prefix")] + ["SEARCH"] + \
             [c for c in classes if not c.startswith("prefix")] + ["ALL"]

    print("\nSearch, type=track, limit 20 (ms; nearest-rank percentiles; ratio = PostgreSQL / segue HTTP)")
    print("%-14s %5s | %-17s | %-17s | %5s %-17s | %-15s" %
          ("", "", "segue in-function", "segue HTTP", "", "PostgreSQL trgm", "ratio PG/HTTP"))
    print("%-14s %5s | %8s %8s | %8s %8s | %5s %8s %8s | %7s %7s" %
          ("class", "n", "p50", "p99", "p50", "p99", "n", "p50", "p99", "p50", "p99"))
    for g in groups:
        f, h, p = stats(fn.get("track"), g), stats(http.get("track"), g), stats(pg.get("track"), g)
        if not (f["n"] or h["n"] or p["n"]):
            continue
        label = g if g.isupper() else "  " + g
        print("%-14s %5d | %s %s | %s %s | %5d %s %s | %s %s" %
              (label, max(f["n"], h["n"]), ms(f["p50"]), ms(f["p99"]), ms(h["p50"]), ms(h["p99"]),
               p["n"], ms(p["p50"]), ms(p["p99"]), ratio(p["p50"], h["p50"]), ratio(p["p99"], h["p99"])))

    empties = []
    for name, d, label in (("in-function", fn, "track"), ("HTTP", http, "track"), ("PostgreSQL", pg, "track")):
        parts = []
        for g in ("TYPEAHEAD", "SEARCH"):
            s = stats(d.get(label), g)
            if s["n"]:
                parts.append("%s %d/%d" % (g.lower(), s["empty"], s["n"]))
                if s["err"]:
                    parts.append("%d errors/timeouts" % s["err"])
        if parts:
            empties.append("%s: %s" % (name, ", ".join(parts)))
    if empties:
        print("queries with no results: " + "; ".join(empties))

    others = [(n, d, l) for n, d in (("in-function", fn), ("HTTP", http)) for l in sorted(d) if l != "track"]
    if others:
        print("\nOther configurations (ms; ta = typeahead, s = full search; best of 3 = each query's"
              " fastest of three runs, its cost without the machine's scheduling noise)")
        print("%-46s | %5s %8s %8s | %5s %8s %8s" % ("", "n", "ta p50", "ta p99", "n", "s p50", "s p99"))
        for name, d, label in others:
            t, s = stats(d[label], "TYPEAHEAD"), stats(d[label], "SEARCH")
            print("%-46s | %5d %s %s | %5d %s %s" % ("%s, type=%s" % (name, label), t["n"], ms(t["p50"]),
                                                       ms(t["p99"]), s["n"], ms(s["p50"]), ms(s["p99"])))

    print("\nTargets (p99): floor typeahead < 50 ms, search < 200 ms; goal < %g ms for both" % GOAL)
    for name, d in (("in-function", fn), ("HTTP", http)):
        for label in sorted(d):
            verdict = []
            for g in ("TYPEAHEAD", "SEARCH"):
                p99 = stats(d[label], g)["p99"]
                if p99 is None:
                    continue
                verdict.append("%s %.2f ms: %s" % (g.lower(), p99, "goal met" if p99 < GOAL else
                                                  "floor met, goal missed" if p99 < FLOOR[g] else "FLOOR MISSED"))
            print("  %-48s %s" % ("%s, type=%s:" % (name, label), "; ".join(verdict)))


if __name__ == "__main__":
    main()
