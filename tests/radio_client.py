"""The client's recommendation commands against a real server: a radio station started from
the command line plays in the daemon and fills its queue from the server, `segue discover`
plays Discover Weekly, `segue mixes` lists what was made for the user, `segue taste` sets the
onboarding picks, and `segue home` shows the made-for-you shelf."""

from segue_client import Client, wait_gone
from segue_test import TAP, Server, catalog_copy, sql, wait_for

t = TAP()
data = catalog_copy()
rows = sql(data, "SELECT id, genre, artist_id, name FROM tracks ORDER BY id")
house = [r[0] for r in rows if r[1] == "House"]

with Server(data, {"rl_standard": 100000}) as srv:
    c = Client(srv.base)
    try:
        rc, out, err = c.login("premium-us")
        t.eq(rc, 0, "logged in", err)

        # Onboarding picks.
        rc, doc, err = c.json("taste", "--genres", "house")
        t.ok(rc == 0 and doc and doc.get("genres") == ["house"], "taste --genres sets the picks", (rc, doc, err))
        rc, out, err = c.run("taste")
        t.ok(rc == 0 and "genres: house" in out, "taste shows them", out)
        rc, out, err = c.run("taste", "--genres", "polka")
        t.ok(rc != 0 and "no such genre" in err, "an unknown genre is refused with the server's reason", (rc, err))
        rc, out, err = c.run("taste", "--artists", "not-an-artist")
        t.eq(rc, 2, "a malformed artist is a usage error")

        # Made for you.
        rc, doc, err = c.json("mixes")
        names = [p.get("name") for p in (doc or {}).get("items", [])]
        t.ok(rc == 0 and "Discover Weekly" in names, "mixes lists Discover Weekly", (rc, doc, err))
        dw = [p for p in doc["items"] if p["name"] == "Discover Weekly"][0] if rc == 0 and names else {}
        t.ok(dw.get("owner", {}).get("id") == "_segue", "owned by the system user", dw.get("owner"))
        rc, out, err = c.run("mixes")
        t.ok(rc == 0 and "Discover Weekly" in out and "segue:playlist:" in out, "and prints it for people", out)
        rc, doc, err = c.json("home")
        t.ok(rc == 0 and [p["name"] for p in doc.get("made_for_you", [])][:1] == ["Discover Weekly"],
             "home has the made-for-you shelf first", doc and doc.get("made_for_you"))

        # Radio: a station that plays in the daemon.
        seed = house[0]
        rc, doc, err = c.json("radio", "segue:track:" + seed)
        t.eq(rc, 0, "radio starts a station (and the daemon)", err)
        ctx = ((doc or {}).get("context") or {}).get("uri", "")
        t.eq(ctx, "segue:radio:segue:track:" + seed, "the context names the station", doc)
        rc, q, err = c.json("queue")
        upnext = [x.get("id") for x in (q or {}).get("queue", [])]
        cur = ((q or {}).get("currently_playing") or {}).get("id")
        t.ok(cur and cur != seed and seed not in upnext, "the station plays tracks like the seed, not the seed", (cur, upnext))
        station = [cur] + upnext
        t.ok(len(station) == len(set(station)), "no track twice", station)
        artists = {}
        for i in station:
            a = [r[2] for r in rows if r[0] == i][0]
            artists[a] = artists.get(a, 0) + 1
        t.ok(max(artists.values()) <= 2, "at most two tracks of one artist", artists)
        rc, doc, err = c.json("next")
        t.eq(rc, 0, "skipping within the station works", err)
        rc, out, err = c.run("radio", "segue:album:nope")
        t.ok(rc != 0, "a malformed seed is refused", (rc, out, err))
        rc, out, err = c.run("radio", "segue:track:" + "0" * 22)
        t.ok(rc != 0 and err, "an unknown seed is refused with a message", (rc, err))
        rc, doc, err = c.json("radio", rows[-1][3])
        t.ok(rc == 0 and ((doc or {}).get("context") or {}).get("uri", "").startswith("segue:radio:segue:track:"),
             "a query seeds a station with its best match", (rc, doc, err))

        # Discover Weekly plays.
        rc, doc, err = c.json("discover")
        t.ok(rc == 0 and ((doc or {}).get("context") or {}).get("uri") == dw.get("uri"),
             "discover plays this week's Discover Weekly", (rc, doc, err))

        # With no daemon running, discover starts one, as radio and play do.
        pid = c.daemon_pid()
        c.run("quit", timeout=20)
        t.ok(pid and wait_gone(pid, 10), "the daemon quits", pid)
        rc, doc, err = c.json("discover")
        t.ok(rc == 0 and ((doc or {}).get("context") or {}).get("uri") == dw.get("uri") and c.daemon_pid(),
             "discover alone starts the daemon", (rc, doc, err))
    finally:
        c.stop()
t.done()
