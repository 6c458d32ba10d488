"""The Subsonic API's frame and credentials (issue #24): /rest/NAME and NAME.view, GET and form
POST, XML (the default) and JSON and JSONP, the envelope's fields; getOpenSubsonicExtensions
without credentials; API keys made, listed, used and revoked over the Web API (stored hashed,
another user's key not to be touched); the legacy u+t+s and u+p only for a user with a
Subsonic password (sealed, never in the clear), each refusal with the specification's code
(10, 40, 41, 42, 43, 44, 70); login throttling and the per-user rate limit on Subsonic calls."""

import hashlib
import os
import stat
import urllib.parse

from segue_test import TAP, Server, WriteLock, catalog_copy, db_connect, sql
from segue_client import Client
from subsonic_util import call, error_code, parse, same

t = TAP()
data = catalog_copy()


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


with Server(data, {"login_free_tries": 1000, "login_address_tries": 1000, "rl_standard": 1000}) as srv:
    tok = srv.login("free-us")
    other = srv.login("premium-us")

    # getOpenSubsonicExtensions: no credentials, both formats, the same list.
    st, js, r = call(srv, "getOpenSubsonicExtensions", client=False)
    t.eq(st, 200, "getOpenSubsonicExtensions answers without credentials")
    t.eq(js.get("status"), "ok", "status ok")
    for k, v in (("version", "1.16.1"), ("type", "segue"), ("openSubsonic", True)):
        t.eq(js.get(k), v, "the envelope says %s" % k)
    t.ok(isinstance(js.get("serverVersion"), str) and js["serverVersion"], "and serverVersion")
    t.eq(r.headers.get("content-type"), "application/json", "f=json is JSON")
    t.eq(sorted(e["name"] for e in js["openSubsonicExtensions"]), ["apiKeyAuthentication", "formPost", "songLyrics"],
         "exactly the extensions served")
    t.ok(all(e["versions"] == [1] for e in js["openSubsonicExtensions"]), "at version 1")
    st, xm, r = call(srv, "getOpenSubsonicExtensions", fmt=None, client=False)
    t.ok(r.headers.get("content-type", "").startswith("text/xml"), "no f is XML", r.headers)
    t.ok(xm is not None and same(js, xm), "the XML says what the JSON says", (js, xm))
    t.ok(r.body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>'), "with the XML declaration")

    # API keys over the Web API.
    r = srv.request("POST", "/v1/segue/api-keys", {"name": "phone"}, token=tok)
    t.eq(r.status, 201, "POST /v1/segue/api-keys makes a key", r)
    made = r.json() or {}
    t.eq(sorted(made), ["created_at", "id", "key", "name"], "id, name, key and created_at")
    t.eq(made.get("name"), "phone", "named as asked")
    key = made.get("key", "")
    t.ok(len(key) >= 43, "256 bits of key")
    stored = {bytes(h) for (h,) in sql(data, "SELECT hash FROM api_keys")}
    t.ok(hashlib.blake2b(key.encode(), digest_size=32).digest() in stored, "stored as its hash")
    cells = [v.encode() if isinstance(v, str) else bytes(v) for row in sql(data, "SELECT * FROM api_keys")
             for v in row if isinstance(v, (bytes, str))]
    t.ok(cells and not any(key.encode() in v for v in cells), "and nowhere in the clear")
    r = srv.request("POST", "/v1/segue/api-keys", {"name": "desktop"}, token=tok)
    key2 = r.json()["key"]
    r = srv.get("/v1/segue/api-keys", token=tok)
    items = r.json()["items"]
    t.eq([i["name"] for i in items], ["phone", "desktop"], "GET lists the user's keys, oldest first")
    t.ok(all("key" not in i for i in items), "without the keys")
    t.eq(items[0]["last_used_at"], None, "never used yet")
    for body, why in (({"name": ""}, "an empty name"), ({"name": "x" * 65}, "a long name"),
                      ({"name": "a\nb"}, "a control character"), ({}, "no name"), ({"name": 3}, "a number")):
        t.eq(srv.request("POST", "/v1/segue/api-keys", body, token=tok).status, 400, "400 for " + why)
    t.eq(srv.request("POST", "/v1/segue/api-keys", {"name": "x"}).status, 401, "keys need a bearer token")

    # ping in every form.
    for fmt in ("json", "xml"):
        for post in (False, True):
            for view in (False, True):
                st, env, r = call(srv, "ping", {"apiKey": key}, fmt=fmt, post=post, view=view)
                t.ok(st == 200 and env and env.get("status") == "ok",
                     "ping by API key: f=%s, %s, %s" % (fmt, "POST" if post else "GET",
                                                        "ping.view" if view else "ping"), r)
    st, env, r = call(srv, "ping", {"apiKey": key}, fmt=None)
    t.ok(env and env.get("status") == "ok" and r.body.lstrip().startswith(b"<?xml"), "XML is the default")
    r = srv.request("POST", "/rest/ping", body=urllib.parse.urlencode(
        {"apiKey": key, "v": "1.16.1", "c": "t", "f": "json"}),
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    t.ok(r.status == 200 and r.json() and r.json()["subsonic-response"]["status"] == "ok",
         "a form body alone carries credentials and f=json", r)
    r = srv.request("POST", "/rest/ping?f=json", body='{"apiKey": "%s"}' % key,
                    headers={"Content-Type": "application/json"})
    t.ok(r.status == 415 and parse(r, "json") and error_code(parse(r, "json")) == 0,
         "a POST body that is not a form is refused (415, code 0)", r)
    r = srv.get("/rest/ping?" + urllib.parse.urlencode({"apiKey": key, "v": "1", "c": "t", "f": "jsonp",
                                                        "callback": "cb_1"}))
    t.ok(r.body.startswith(b"cb_1({") and r.body.endswith(b"});"), "f=jsonp wraps in the callback", r)
    st, env, r = call(srv, "ping", {"apiKey": key, "callback": "alert(1)"}, fmt="jsonp")
    t.ok(r.body.startswith(b"{") and error_code(parse(r, "json")) == 10,
         "a callback that is not a name is refused", r)
    r = srv.get("/v1/segue/api-keys", token=tok)
    t.ok(r.json()["items"][0]["last_used_at"], "a used key says when it was used")

    # Refusals.
    def refused(params, code, name, fmt="json", client=True, endpoint="ping"):
        st, env, r = call(srv, endpoint, params, fmt=fmt, client=client)
        t.ok(st == 200 and env and env.get("status") == "failed" and error_code(env) == code,
             "%s: error %d (f=%s)" % (name, code, fmt), r)
        return env

    for fmt in ("json", "xml"):
        refused({}, 10, "no credentials", fmt)
        refused({"apiKey": key}, 10, "no v and c", fmt, client=False)
        refused({"apiKey": "x" * 43}, 44, "an unknown API key", fmt)
        refused({"apiKey": "x" * 3000}, 44, "an overlong API key", fmt)
        refused({"apiKey": key, "u": "free-us"}, 43, "u with apiKey", fmt)
        refused({"apiKey": key, "t": md5("x"), "s": "abc"}, 43, "t and s with apiKey", fmt)
        refused({"u": "free-us", "t": md5("password123abcdef"), "s": "abcdef"}, 41,
                "token auth for a user without a Subsonic password", fmt)
        refused({"u": "free-us", "p": "password123"}, 42,
                "the account password as p: not for Subsonic", fmt)
        refused({"u": "nobody", "t": md5("x"), "s": "abcdef"}, 41, "an unknown user looks the same", fmt)
        refused({"u": "free-us"}, 10, "u alone", fmt)
        refused({"u": "free-us", "t": md5("x")}, 10, "t without s", fmt)
        refused({"u": "free-us", "t": md5("x"), "s": "abc", "p": "x"}, 43, "t and p together", fmt)
    env = refused({"apiKey": key, "u": "free-us"}, 43, "43 (XML, as a client reads it)", "xml")
    st, env, r = call(srv, "noSuchThing", {"apiKey": key})
    t.ok(st == 404 and error_code(env) == 70, "an unknown endpoint: 404 with error 70", r)
    st, env, r = call(srv, "x<y>\"z'", {"apiKey": key}, fmt="xml")
    t.ok(st == 404 and env is not None and error_code(env) == 70 and "x<y>\"z'" in env["error"][0]["message"],
         "its name comes back escaped: the XML parses", r)
    r = srv.request("PUT", "/rest/ping")
    t.eq(r.status, 405, "PUT is not a Subsonic method")

    # Revocation: one's own key by id; another user's id is not found and stays.
    ids = {i["name"]: i["id"] for i in srv.get("/v1/segue/api-keys", token=tok).json()["items"]}
    t.eq(srv.request("DELETE", "/v1/segue/api-keys/" + ids["desktop"], token=other).status, 404,
         "another user's key id: 404")
    t.eq(call(srv, "ping", {"apiKey": key2})[1]["status"], "ok", "and the key still works")
    t.eq(srv.request("DELETE", "/v1/segue/api-keys/not-an-id", token=tok).status, 404, "a malformed id: 404")
    t.eq(srv.request("DELETE", "/v1/segue/api-keys/" + ids["desktop"], token=tok).status, 204, "revoke: 204")
    refused({"apiKey": key2}, 44, "a revoked key")
    t.eq(srv.request("DELETE", "/v1/segue/api-keys/" + ids["desktop"], token=tok).status, 404, "again: 404")
    t.eq([i["name"] for i in srv.get("/v1/segue/api-keys", token=tok).json()["items"]], ["phone"],
         "the list follows")
    # Another server adds the keys up to the limit while this one's request waits: counted
    # in the same transaction as the add, the hundred-and-first is refused.
    with WriteLock(data) as lock:
        for i in range(99):
            lock.execute("INSERT INTO api_keys (id, user_id, name, hash, created_at)"
                         " VALUES (?, 'free-us', 'filler', ?, 0)", ("0Filler%015d" % i, os.urandom(32)))
        waited = lock.waiting(lambda: srv.request("POST", "/v1/segue/api-keys", {"name": "late"}, token=tok))
    r = lock.answer()
    t.ok(waited and r and r.status == 409, "a key added while another server filled the account"
         " to its 100 keys is refused (409)", r and (r.status, r.body))
    t.eq(sql(data, "SELECT count(*) FROM api_keys WHERE user_id = 'free-us'")[0][0], 100,
         "the account holds 100 keys, not 101")
    db = db_connect(data)
    db.execute("DELETE FROM api_keys WHERE name = 'filler'")
    db.commit()
    db.close()
    # A Subsonic playlist edit that waited while another server changed the playlist is
    # refused, not made from the playlist as it was (which would drop one of the other's songs).
    songs = [r[0] for r in sql(data, "SELECT id FROM tracks ORDER BY id LIMIT 4")]
    _, env, _ = call(srv, "createPlaylist", [("apiKey", key), ("name", "waits")] +
                     [("songId", x) for x in songs[:1]])
    spl = ((env or {}).get("playlist") or {}).get("id", "")
    with WriteLock(data) as lock:
        for pos in (1, 2):
            lock.execute("INSERT INTO playlist_items (playlist_id, pos, track_id, added_at, added_by)"
                         " VALUES (?, ?, ?, 0, 'premium-us')", (spl, pos, songs[pos]))
        lock.execute("UPDATE playlists SET version = version + 1, length = 3 WHERE id = ?", (spl,))
        waited = lock.waiting(
            lambda: call(srv, "updatePlaylist", [("apiKey", key), ("playlistId", spl), ("songIdToAdd", songs[3])]))
    r = lock.answer()
    env = (r[1] if r else None) or {}
    items = [r[0] for r in sql(data, "SELECT track_id FROM playlist_items WHERE playlist_id = '%s' ORDER BY pos"
                                     % spl)]
    # (SQLite: the API key's use is a write, which waits for the lock before the playlist is
    # read, so the edit is made from the playlist as the other left it; on PostgreSQL it is
    # refused.)
    t.ok(spl and waited and (env.get("status") == "failed" and "changed" in str(env.get("error"))
                             and items == songs[:3] or env.get("status") == "ok" and items == songs),
         "updatePlaylist that waited while another server changed the playlist keeps the other's songs:"
         " refused, or made from the playlist as it left it", (env, items))
    t.eq(call(srv, "ping", {"apiKey": key})[1]["status"], "ok", "the other key is untouched")

    # A Subsonic password: opt in, use, remove.
    pw = "sub sonic&pw"
    for body, why in (({"password": "short"}, "under 8 bytes"), ({"password": "x" * 129}, "over 128 bytes"),
                      ({"password": "abcd\u0000efgh"}, "a NUL"), ({}, "none")):
        t.eq(srv.request("PUT", "/v1/segue/subsonic-password", body, token=tok).status, 400, "400 for " + why)
    t.eq(srv.request("DELETE", "/v1/segue/subsonic-password", token=tok).status, 404,
         "removing a password never set: 404")
    t.eq(srv.request("PUT", "/v1/segue/subsonic-password", {"password": pw}, token=tok).status, 204, "PUT: 204")
    blob = sql(data, "SELECT sealed FROM subsonic_passwords")
    t.ok(len(blob) == 1 and pw.encode() not in bytes(blob[0][0]), "kept sealed, not in the clear")
    import segue_test  # which engine this run's servers use
    if segue_test.POSTGRES:  # every instance over the database opens them (store/secrets.h)
        t.eq(len(sql(data, "SELECT 1 FROM server_secrets WHERE name = 'subsonic.key'")), 1,
             "the Subsonic key is in the database")
    else:
        mode = os.stat(os.path.join(data, "subsonic.key")).st_mode
        t.eq(stat.S_IMODE(mode), 0o600, "subsonic.key is 0600")
    for fmt in ("json", "xml"):
        st, env, r = call(srv, "ping", {"u": "free-us", "t": md5(pw + "s4lt!x"), "s": "s4lt!x"}, fmt=fmt)
        t.eq(env and env.get("status"), "ok", "u+t+s with the Subsonic password (f=%s)" % fmt, r)
    t.eq(call(srv, "ping", {"u": "free-us", "t": md5(pw + "abc").upper(), "s": "abc"})[1]["status"], "ok",
         "the token in upper case too")
    t.eq(call(srv, "ping", {"u": "free-us", "p": pw})[1]["status"], "ok", "u+p")
    t.eq(call(srv, "ping", {"u": "free-us", "p": "enc:" + pw.encode().hex()})[1]["status"], "ok", "u+p=enc:hex")
    t.eq(call(srv, "ping", {"u": "free-us", "p": pw}, post=True)[1]["status"], "ok", "u+p in a form body")
    refused({"u": "free-us", "t": md5(pw + "abc"), "s": "abd"}, 40, "a token of another salt")
    refused({"u": "free-us", "p": "password123"}, 40, "the account password is not the Subsonic one")
    refused({"u": "free-us", "p": "enc:zz"}, 40, "p=enc: with bad hex")
    refused({"u": "premium-us", "p": pw}, 42, "another user's Subsonic password")
    t.eq(srv.request("DELETE", "/v1/segue/subsonic-password", token=tok).status, 204, "DELETE: 204")
    t.eq(sql(data, "SELECT count(*) FROM subsonic_passwords")[0][0], 0, "the sealed password is gone")

# Login throttling (as sign-in's), and the per-user rate limit: two keys of one user share one
# budget, which the Web API calls that made them spent from.
with Server(data, {"rl_standard": 7, "rl_window": 60, "login_free_tries": 3}) as srv:
    tok = srv.login("premium-us")
    t.eq(srv.request("PUT", "/v1/segue/subsonic-password", {"password": "another-pw"}, token=tok).status,
         204, "premium-us sets a Subsonic password")
    for i in range(3):
        st, env, r = call(srv, "ping", {"u": "premium-us", "p": "guess%d" % i})
        t.eq(error_code(env), 40, "wrong guess %d: 40" % (i + 1))
    st, env, r = call(srv, "ping", {"u": "premium-us", "p": "another-pw"})
    t.ok(error_code(env) == 40 and "try again in" in env["error"]["message"] and r.headers.get("retry-after"),
         "after the free tries even the right password waits, and says for how long", r)
    k1 = srv.request("POST", "/v1/segue/api-keys", {"name": "a"}, token=tok).json()["key"]
    k2 = srv.request("POST", "/v1/segue/api-keys", {"name": "b"}, token=tok).json()["key"]
    seen = []
    for i in range(8):
        st, env, r = call(srv, "ping", {"apiKey": k1 if i % 2 else k2})
        seen.append(st)
    t.ok(seen[:4] == [200] * 4 and seen[4:] == [429] * 4,
         "an API key is not throttled by password guesses; the user's 8th call is 429, whichever key", seen)
    st, env, r = call(srv, "ping", {"apiKey": k1})
    t.ok(env and env["status"] == "failed" and r.headers.get("retry-after"), "a Subsonic error with Retry-After", r)

# The command line: segue apikey create|ls|rm and segue subsonic-password.
with Server(data) as srv:
    c = Client(srv.base)
    t.eq(c.login("free-us")[0], 0, "segue login")
    rc, out, err = c.run("apikey", "create", "cli phone")
    key = out.strip()
    t.ok(rc == 0 and len(key) >= 43 and "\n" not in key and "not shown again" in err,
         "apikey create prints the key alone on stdout, the note on stderr", (rc, out, err))
    t.eq(call(srv, "ping", {"apiKey": key})[1]["status"], "ok", "and the key works")
    rc, doc, err = c.json("apikey", "ls")
    mine = [k for k in (doc or {}).get("items", []) if k["name"] == "cli phone"]
    t.ok(rc == 0 and len(mine) == 1 and "key" not in mine[0] and mine[0]["last_used_at"],
         "apikey ls --json: the key's id, name and last use, not the key", doc)
    rc, out, err = c.run("apikey", "ls")
    t.ok(rc == 0 and "cli phone" in out and mine[0]["id"] in out and key not in out, "apikey ls for people", out)
    t.eq(c.run("apikey", "create", "")[0], 2, "an empty name: exit 2")
    c.run("apikey", "create", "twin")
    c.run("apikey", "create", "twin")
    rc, out, err = c.run("apikey", "rm", "twin")
    t.ok(rc == 2 and "give the id" in err, "rm of a name two keys have: exit 2, asking for the id", err)
    rc, doc, err = c.json("apikey", "rm", "cli phone")
    t.ok(rc == 0 and doc == {"id": mine[0]["id"], "revoked": True}, "apikey rm by name", (rc, doc, err))
    t.eq(error_code(call(srv, "ping", {"apiKey": key})[1]), 44, "the revoked key is refused")
    t.eq(c.run("apikey", "rm", mine[0]["id"])[0], 4, "rm of a revoked key: exit 4")
    t.eq(c.run("apikey", "rm")[0], 2, "rm without an id: exit 2")
    rc, out, err = c.run("subsonic-password", input=b"from-the-cli\n")
    t.ok(rc == 0 and "set" in out, "subsonic-password reads stdin", (rc, out, err))
    t.eq(call(srv, "ping", {"u": "free-us", "t": md5("from-the-cli" + "xyz123"), "s": "xyz123"})[1]["status"],
         "ok", "token auth with it")
    t.eq(c.run("subsonic-password", input=b"short\n")[0], 2, "a password under 8 bytes: exit 2")
    t.eq(c.run("subsonic-password", input=b"")[0], 2, "no password at all: exit 2")
    rc, doc, err = c.json("subsonic-password", "--remove")
    t.ok(rc == 0 and doc == {"subsonic_password": False}, "subsonic-password --remove", (rc, doc, err))
    t.eq(error_code(call(srv, "ping", {"u": "free-us", "t": md5("from-the-cli" + "xyz123"), "s": "xyz123"})[1]),
         41, "then token auth has no password to check")
    t.eq(c.run("subsonic-password", "--remove")[0], 4, "removing it again: exit 4")

# A looser subsonic.key is not used.
if segue_test.POSTGRES:
    t.ok(not os.path.exists(os.path.join(data, "subsonic.key")),
         "on PostgreSQL there is no subsonic.key file to loosen: the key is a row")
else:
    os.chmod(os.path.join(data, "subsonic.key"), 0o644)
    srv = Server(data)
    try:
        srv.start()
        t.ok(False, "the server starts with a world-readable subsonic.key")
        srv.stop()
    except RuntimeError:
        with open(os.path.join(data, "server.log")) as f:
            t.ok("subsonic.key: must be readable by its owner only" in f.read(), "it refuses, saying why")

t.done()
