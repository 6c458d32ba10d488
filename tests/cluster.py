"""Several segue-servers over one PostgreSQL database answer as one server (issue #25,
section 2): a write through one is read through the other at once; a play batch sent to
both counts once; a user's rate-limit budget is the same over two instances as over one;
the keys are shared (a link signed by one streams from the other, a rotation by
`segue-server keys rotate --database` reaches both, licences and Subsonic passwords too);
a playlist made through one is found by search on the other; nginx (contrib/nginx/
segue-cluster.conf) spreads the API over both, caches audio and never serves a cached byte
to a link no instance accepted; an instance killed with kill -9 loses no write it
acknowledged, and nginx carries on with the other."""

import base64
import hashlib
import hmac
import os
import subprocess
import threading
import time
import urllib.parse
import uuid

import multi
import pgcluster
from segue_test import TAP, SERVER_BIN, wait_for

pgcluster.skip_if(multi.unavailable(nginx=True))

t = TAP()
LIMIT = 40
SETTINGS = {"rl_playlist": LIMIT, "rl_window": 60, "rl_standard": 100000, "rl_player": 100000}


def stream_url(srv, tok, track, quality="low"):
    r = srv.get("/v1/segue/playback/%s?quality=%s" % (track, quality), token=tok)
    if r.status != 200:
        raise RuntimeError("playback %s: %r" % (track, r))
    u = urllib.parse.urlsplit(r.json()["urls"][quality])
    return u.path + "?" + u.query


def query(path):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(path).query))


def signed(svc, path, exp, uid):
    """A link signed here with the ring's newest key read from the database, as an instance
    signs (accounts/sign.c: HMAC-SHA256 over path, expiry and user, each NUL-terminated)."""
    ring = svc.sql("SELECT body FROM server_secrets WHERE name = 'signing.keys'")[0][0]
    kid, _, key = [ln for ln in ring.splitlines() if ln and not ln.startswith("#")][-1].split()
    raw = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    mac = hmac.new(raw, b"%s\0%d\0%s\0" % (path.encode(), exp, uid.encode()), hashlib.sha256).digest()
    sig = base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    return "%s?%s" % (path, urllib.parse.urlencode({"exp": exp, "uid": uid, "kid": kid, "sig": sig}))


def playlist_budget(servers, user, tok):
    """Playlist edits (the playlist category) answered before the first 429, sent in turn to
    servers: one playlist made, then renamed until refused."""
    r = servers[0].request("POST", "/v1/users/%s/playlists" % user, body={"name": "budget"}, token=tok)
    if r.status != 201:
        raise RuntimeError("playlist: %r" % r)
    pid = r.json()["id"]
    for i in range(LIMIT * 2):
        r = servers[i % len(servers)].request("PUT", "/v1/playlists/%s" % pid,
                                              body={"name": "budget %d" % i}, token=tok)
        if r.status == 429:
            return i + 1
        if r.status != 200:
            raise RuntimeError("rename: %r" % r)
    return LIMIT * 2


with multi.Service(instances=2, nginx=True, settings=SETTINGS) as svc:
    a, b = svc.servers
    edge = svc.nginx.server()
    # The tracks premium-us may stream (no markets named, or the US among them).
    tracks = [r[0] for r in svc.sql("SELECT id FROM tracks WHERE available = 1 AND"
                                    " (markets = '' OR markets LIKE '%%US%%') ORDER BY id")]
    tok = a.login("premium-us")
    me = a.get("/v1/me", token=tok).json()["id"]

    # --- one database: a write through one is read through the other at once
    name = "Cluster %s" % uuid.uuid4().hex[:8]
    r = a.request("POST", "/v1/users/%s/playlists" % me, body={"name": name}, token=tok)
    t.eq(r.status, 201, "a playlist made through instance A")
    pid = (r.json() or {}).get("id")
    r = b.get("/v1/playlists/%s" % pid, token=tok)
    t.ok(r.status == 200 and (r.json() or {}).get("name") == name,
         "read through instance B at once, with the token A issued", r)
    r = b.request("POST", "/v1/playlists/%s/tracks" % pid,
                  body={"uris": ["segue:track:" + tracks[0]]}, token=tok)
    r2 = a.get("/v1/playlists/%s/tracks" % pid, token=tok)
    t.ok(r.status == 201 and [i["track"]["id"] for i in (r2.json() or {}).get("items", [])] == tracks[:1],
         "a track added through B is in the playlist A reads", (r, r2))

    # --- search on the other instance follows the database's change log
    found = wait_for(lambda: any(p and p.get("id") == pid for p in (b.get(
        "/v1/search?" + urllib.parse.urlencode({"q": name, "type": "playlist"}), token=tok).json()
        or {}).get("playlists", {}).get("items", [])), timeout=10, step=0.2)
    t.ok(found, "the playlist made through A is found by search on B within 10 s")

    # --- plays: one batch delivered to both instances (a retry, or nginx) counts once
    now = int(time.time() * 1000)
    batch = [{"id": str(uuid.uuid4()), "track_id": tracks[1], "started_at": now - 90000 + i * 1000,
              "ms_played": 45000, "reason_end": "track_done"} for i in range(5)]
    before = svc.sql("SELECT play_count FROM tracks WHERE id = %s", (tracks[1],))[0][0]
    results = []

    def deliver(srv):
        results.append(srv.request("POST", "/v1/segue/events", body={"events": batch}, token=tok))

    threads = [threading.Thread(target=deliver, args=(s,)) for s in (a, b, a, b)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    after = svc.sql("SELECT play_count FROM tracks WHERE id = %s", (tracks[1],))[0][0]
    t.ok(all(r.status == 200 for r in results) and
         sum((r.json() or {}).get("accepted", 0) for r in results) == 5,
         "the batch sent four times to two instances at once is accepted once in all",
         [(r.status, r.body[:80]) for r in results])
    t.eq(after - before, 5, "five plays counted, not twenty")
    t.eq(svc.sql("SELECT count(*) FROM plays WHERE event_id = ANY(%s)", ([e["id"] for e in batch],))[0][0],
         5, "one row per event id")

    # --- rate limits: the same budget over two instances as over one
    one = playlist_budget([a], "free-us", a.login("free-us"))
    two = playlist_budget([a, b], "premium-jp", a.login("premium-jp"))
    t.eq(one, LIMIT, "one instance takes %d playlist requests, then 429" % LIMIT)
    t.ok(abs(two - one) <= one // 10, "two instances in turn take as many (%d, %d)" % (two, one))
    # An instance may still hold part of a share it took (http/ratelimit.h): it spends that,
    # then refuses; the user never gets more than the budget in all.
    fresh, extra = a.login("premium-jp"), 0
    for _ in range(LIMIT // 20 + 2):
        r = b.request("POST", "/v1/users/premium-jp/playlists", body={"name": "x"}, token=fresh)
        if r.status != 201:
            break
        extra += 1
    t.ok(r.status == 429 and int(r.headers.get("retry-after", "0")) >= 1 and two + extra <= LIMIT,
         "a fresh token of that user is refused on B too, with Retry-After, within the budget"
         " (%d + %d)" % (two, extra), r)

    # --- keys: what one instance signs, the other accepts
    link = stream_url(a, tok, tracks[0])
    direct = b.get(link)
    t.ok(direct.status == 200 and len(direct.body) > 1000, "a link signed by A streams from B", direct)
    oa = a.get("/v1/segue/offline/devices", token=tok).json() or {}
    ob = b.get("/v1/segue/offline/devices", token=tok).json() or {}
    t.ok(oa.get("public_key") and oa.get("public_key") == ob.get("public_key"),
         "both instances sign offline licences with one key")
    t.eq(a.request("PUT", "/v1/segue/subsonic-password", {"password": "cluster-pw-1"}, token=tok).status,
         204, "a Subsonic password set through A")
    r = b.get("/rest/ping?" + urllib.parse.urlencode({"u": "premium-us", "p": "cluster-pw-1", "v": "1.16.1",
                                                      "c": "test", "f": "json"}))
    t.ok(r.status == 200 and (r.json() or {}).get("subsonic-response", {}).get("status") == "ok",
         "B opens it (the Subsonic key is shared)", r)
    secrets = dict(svc.sql("SELECT name, body FROM server_secrets"))
    t.eq(sorted(secrets), ["offline.key", "signing.keys", "subsonic.key"], "the keys are in the database")
    logs = b"".join(open(s.log_path(), "rb").read() for s in svc.servers)
    leaked = [n for n, body in secrets.items()
              for ln in body.splitlines() if not ln.startswith("#")
              for word in ln.split() if len(word) >= 32 and word.encode() in logs]
    t.eq(leaked, [], "no key appears in either instance's log")

    # A rotation by segue-server keys reaches both instances.
    old_kid = query(link)["kid"]
    p = subprocess.run([SERVER_BIN, "keys", "rotate", "--data-dir", svc.data, "--database", svc.url],
                       capture_output=True, timeout=60)
    t.ok(p.returncode == 0 and b"(signing)" in p.stdout and old_kid.encode() in p.stdout,
         "keys rotate --database: the old key stays beside the new one", p.stdout + p.stderr)
    t.ok(not any(w.encode() in p.stdout + p.stderr for body in secrets.values()
                 for w in body.split() if len(w) >= 32), "it prints no key")
    fresh = wait_for(lambda: (lambda u: u if query(u)["kid"] != old_kid else None)(stream_url(b, tok, tracks[0])),
                     timeout=5, step=0.1)
    t.ok(fresh, "B signs with the new key within seconds")
    r = a.get(fresh) if fresh else None
    t.ok(r is not None and r.status == 200, "A accepts a link signed with the new key at once", r)
    t.eq(a.get(link).status, 200, "a link signed before the rotation still streams")
    # A write of the ring the database refuses is logged without the row PostgreSQL quotes.
    svc.sql("ALTER TABLE server_secrets ADD CONSTRAINT short_secrets CHECK (length(body) < 10) NOT VALID")
    p = subprocess.run([SERVER_BIN, "keys", "rotate", "--data-dir", svc.data, "--database", svc.url],
                       capture_output=True, timeout=60)
    svc.sql("ALTER TABLE server_secrets DROP CONSTRAINT short_secrets")
    ring = svc.sql("SELECT body FROM server_secrets WHERE name = 'signing.keys'")[0][0]
    t.ok(p.returncode != 0 and b"short_secrets" in p.stderr and b"Failing row" not in p.stderr and
         b"signing keys: kid" not in p.stderr and
         not any(w.encode() in p.stderr for w in ring.split() if len(w) >= 32),
         "a rotation the database refuses says why, and quotes neither the row nor a key", p.stderr)
    bad = link.replace("kid=" + old_kid, "kid=unknown1")
    t.eq(b.get(bad).status, 403, "a link with an unknown kid is refused")

    # --- nginx: the API spread over both, audio cached without the signature in its key
    r = edge.get("/v1/me", token=tok)
    t.ok(r.status == 200 and (r.json() or {}).get("id") == me, "the API through nginx", r)
    link = stream_url(edge, tok, tracks[2])
    first = edge.get(link)
    second = edge.get(stream_url(edge, a.login("premium-us"), tracks[2]))
    t.ok(first.status == 200 and first.body == b.get(link).body, "audio through nginx is the instance's bytes")
    t.eq([first.headers.get("x-cache-status"), second.headers.get("x-cache-status")], ["MISS", "HIT"],
         "the second listener's link, signed otherwise, is served from the cache")
    t.eq(second.body, first.body, "the same bytes")
    r = edge.get(link, headers={"Range": "bytes=100-199"})
    t.ok(r.status == 206 and r.body == first.body[100:200] and r.headers.get("x-cache-status") == "HIT",
         "a range of it from the cache", r)
    q = query(link)
    tampered = link.replace("sig=" + q["sig"], "sig=" + ("A" if q["sig"][0] != "A" else "B") + q["sig"][1:])
    r = edge.get(tampered)
    t.ok(r.status == 403 and len(r.body) < 1000 and first.body[:64] not in r.body,
         "a bad signature is refused by nginx though the file is cached", r)
    path = urllib.parse.urlsplit(link).path
    past = int(time.time()) - 10
    r = edge.get(signed(svc, path, past, me))
    t.ok(r.status == 403 and first.body[:64] not in r.body, "an expired link is refused though cached", r)
    r = edge.get(signed(svc, path, int(time.time()) + 600, me))
    t.ok(r.status == 200 and r.body == first.body and r.headers.get("x-cache-status") == "HIT",
         "a link signed with the database's key (as any instance signs) is served from the cache", r)
    t.eq(edge.get(path).status, 403, "no signature at all: refused")
    svc.sql("UPDATE tracks SET available = 0 WHERE id = %s", (tracks[2],))
    r = wait_for(lambda: (lambda r: r if r.status != 200 else None)(edge.get(signed(svc, path, int(time.time()) + 600, me))),
                 timeout=5, step=0.2)
    t.ok(r is not None and r.status == 410 and first.body[:64] not in r.body,
         "a track withdrawn after it was cached: the instance's 410 through nginx, no cached byte", r)
    svc.sql("UPDATE tracks SET available = 1 WHERE id = %s", (tracks[2],))
    r = edge.get("/_segue_audio_check")
    t.eq(r.status, 404, "the check's own location is not reachable from outside")

    # --- recommendations: one instance trains, every instance serves its model
    users = {"premium-us": tok, "free-us": a.login("free-us"), "premium-jp": a.login("premium-jp")}
    for n, (user, utok) in enumerate(users.items()):
        evs = [{"id": str(uuid.uuid4()), "track_id": tr, "started_at": now - 3600000 + j * 60000,
                "ms_played": 40000, "reason_end": "track_done"} for j, tr in enumerate(tracks[n:n + 3])]
        (a if n % 2 else b).request("POST", "/v1/segue/events", body={"events": evs}, token=utok)

    def log_text(srv):
        with open(srv.log_path(), errors="replace") as f:
            return f.read()

    marks = [len(log_text(s)) for s in (a, b)]
    p = subprocess.run([SERVER_BIN, "recs", "train", "--data-dir", svc.data, "--database", svc.url],
                       capture_output=True, timeout=60)
    t.eq(p.returncode, 0, "recs train --database asks every instance", p.stderr)

    def trained():
        at = svc.sql("SELECT value FROM meta WHERE key = 'recs_trained_at'")
        return int(at[0][0]) if at else 0

    def after_request():
        news = [log_text(s)[m:] for s, m in zip((a, b), marks)]
        at = trained()
        loaded = "loaded the model trained at %d by another instance" % at
        trainers = [i for i, x in enumerate(news) if "recommendations: training\n" in x]
        return (news, at) if len(trainers) == 1 and loaded in news[1 - trainers[0]] else None

    got = wait_for(after_request, timeout=20, step=0.2)
    news = got[0] if got else [log_text(s)[m:] for s, m in zip((a, b), marks)]
    t.ok(got, "one instance trained for the request, the other loaded its model from shared_dir",
         "\n".join(ln for x in news for ln in x.splitlines() if "recommendations" in ln))
    t.ok(os.path.exists(os.path.join(svc.shared, "recs.model")), "the model is in shared_dir")
    seed = tracks[0]
    ra = a.get("/v1/recommendations?seed_tracks=%s&limit=10" % seed, token=tok)
    rb = b.get("/v1/recommendations?seed_tracks=%s&limit=10" % seed, token=tok)
    ids = [[x["id"] for x in (r.json() or {}).get("tracks", [])] for r in (ra, rb)]
    t.ok(ra.status == 200 and ids[0] and ids[0] == ids[1], "both instances recommend alike", ids)
    c = svc.add()
    loaded = wait_for(lambda: "loaded the model trained at %d" % trained() in log_text(c), timeout=10, step=0.1)
    rc = c.get("/v1/recommendations?seed_tracks=%s&limit=10" % seed, token=tok)
    t.ok(loaded and [x["id"] for x in (rc.json() or {}).get("tracks", [])] == ids[0] and
         "recommendations: training" not in log_text(c) and
         "recommendations: loading the catalog" not in log_text(c),
         "an instance started beside them serves that model at once, without training",
         log_text(c)[-1500:])
    c.stop()

    # --- kill -9: no acknowledged write is lost, and nginx carries on with the other
    acked, stop = [], threading.Event()

    def writer():
        i = 0
        while not stop.is_set() and i < 5000:
            e = {"id": "kill9-%s" % uuid.uuid4(), "track_id": tracks[3], "ms_played": 40000,
                 "started_at": int(time.time() * 1000) - 60000, "reason_end": "track_done"}
            try:
                r = a.request("POST", "/v1/segue/events", body={"events": [e]}, token=tok, timeout=5)
            except OSError:
                return
            if r.status == 200 and (r.json() or {}).get("accepted") == 1:
                acked.append(e["id"])
            i += 1

    th = threading.Thread(target=writer)
    th.start()
    wait_for(lambda: len(acked) >= 50, timeout=20, step=0.02)
    a.kill9()
    stop.set()
    th.join(30)
    have = {r[0] for r in svc.sql("SELECT event_id FROM plays WHERE event_id LIKE 'kill9-%%'")}
    t.ok(len(acked) >= 50 and all(x in have for x in acked),
         "every one of the %d plays A acknowledged before kill -9 is in the database" % len(acked),
         [x for x in acked if x not in have][:5])
    r = b.get("/v1/me/player/recently-played?limit=1", token=tok)
    t.ok(r.status == 200 and [i["track"]["id"] for i in (r.json() or {}).get("items", [])] == tracks[3:4],
         "B reads them (recently played)", r)
    ok_through = [edge.get("/v1/me", token=tok).status for _ in range(6)]
    t.eq(ok_through, [200] * 6, "nginx answers every request with A dead")

t.done()
