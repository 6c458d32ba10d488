"""The demo catalog that README command (1) serves: its size and variety, checked on the
catalog made by scripts/demo-catalog (SEGUE_DEMO_DATA), or made here from scratch."""

import os

from segue_test import TAP, sql

t = TAP()
data = os.environ.get("SEGUE_DEMO_DATA")
if not data or not os.path.exists(os.path.join(data, "segue.db")):
    # Building the full demo takes minutes; scripts/test builds it once and points us at it.
    print("1..0 # SKIP no demo catalog (SEGUE_DEMO_DATA is not set; scripts/test sets it)")
    raise SystemExit(0)

n_tracks = sql(data, "SELECT count(*) FROM tracks")[0][0]
t.ok(n_tracks >= 120, "at least 120 tracks (%d)" % n_tracks)
t.ok(sql(data, "SELECT count(DISTINCT artist_id) FROM tracks")[0][0] >= 12, "at least 12 artists")
t.ok(sql(data, "SELECT count(*) FROM albums")[0][0] >= 24, "at least 24 albums")
t.ok(sql(data, "SELECT count(DISTINCT genre) FROM tracks")[0][0] >= 6, "at least 6 genres")
lo, hi = sql(data, "SELECT min(duration_ms), max(duration_ms) FROM tracks")[0]
t.ok(29500 <= lo and hi <= 90500, "every track lasts 30-90 s (%d-%d ms)" % (lo, hi))
t.ok(hi - lo > 30000, "durations vary")
years = {r[0][:4] for r in sql(data, "SELECT release_date FROM albums")}
t.ok(len(years) >= 8, "release dates vary (%d years)" % len(years))
restricted = sql(data, "SELECT count(*) FROM tracks WHERE markets IS NOT NULL AND markets <> ''")[0][0]
t.ok(0 < restricted < n_tracks, "some tracks are missing from some markets (%d)" % restricted)
gains = [r[0] for r in sql(data, "SELECT gain_db FROM tracks")]
t.ok(max(gains) - min(gains) > 3, "loudness differs between tracks, so gains do (%.1f..%.1f dB)" % (min(gains), max(gains)))
tempos = sorted(r[0] for r in sql(data, "SELECT tempo FROM tracks"))
t.ok(tempos[len(tempos) // 10] > 0 and tempos[-1] - tempos[0] > 30, "tempos were measured and vary")
by_genre = sql(data, "SELECT genre, avg(tempo), avg(energy), avg(brightness) FROM tracks GROUP BY genre")
t.ok(len({round(r[2], 2) for r in by_genre}) >= 4, "energy differs by genre")
missing = [tid for (tid,) in sql(data, "SELECT id FROM tracks")
           if not all(os.path.exists(os.path.join(data, "media", tid[:2], tid, q + ".ogg"))
                      for q in ("low", "normal", "high", "very_high"))]
t.eq(missing, [], "every track has its four encodings")
t.eq(len(sql(data, "SELECT id FROM users WHERE id IN ('demo', 'guest')")), 2, "the demo accounts exist")
t.done()
