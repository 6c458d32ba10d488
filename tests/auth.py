"""Token life cycle: issue, use, refresh with rotation, reuse detection, revocation, expiry,
password change; tokens stored only as hashes; durability of acknowledged writes."""

import hashlib
import os
import time

from segue_test import TAP, Server, add_user, catalog_copy, db_connect, server_cmd, sql

t = TAP()
data = catalog_copy()

with Server(data, {"access_ttl": 60, "registration": "open"}) as srv:
    r = srv.form("/api/token", {"grant_type": "password", "username": "premium-us", "password": "password123"})
    tok = r.json()
    access, refresh = tok["access_token"], tok["refresh_token"]
    t.ok(len(access) >= 43 and len(refresh) >= 43, "tokens carry at least 256 bits")
    t.eq(srv.get("/v1/me", token=access).status, 200, "the access token works")
    t.eq(srv.get("/v1/me", token=refresh).status, 401, "a refresh token is not an access token")

    rows = sql(data, "SELECT hash FROM tokens")
    stored = {bytes(h) for (h,) in rows}
    t.ok(access.encode() not in b"".join(stored) and
         hashlib.blake2b(access.encode(), digest_size=32).digest() in stored,
         "the database holds only the token's hash")

    r = srv.form("/api/token", {"grant_type": "refresh_token", "refresh_token": refresh})
    t.eq(r.status, 200, "refresh")
    tok2 = r.json()
    t.ok(tok2["access_token"] != access and tok2["refresh_token"] != refresh, "a refresh rotates both tokens")
    t.eq(srv.get("/v1/me", token=tok2["access_token"]).status, 200, "the new access token works")
    t.eq(srv.get("/v1/me", token=access).status, 200, "the old access token lives until it expires")

    r = srv.form("/api/token", {"grant_type": "refresh_token", "refresh_token": refresh})
    t.eq(r.status, 400, "a used refresh token is refused")
    t.eq(r.json().get("error"), "invalid_grant", "as invalid_grant")
    t.eq(srv.get("/v1/me", token=tok2["access_token"]).status, 401,
         "reusing a refresh token revokes its whole family")
    r = srv.form("/api/token", {"grant_type": "refresh_token", "refresh_token": tok2["refresh_token"]})
    t.eq(r.status, 400, "including the newest refresh token")

    # Revocation (RFC 7009)
    a = srv.login("free-us")
    t.eq(srv.get("/v1/me", token=a).status, 200, "a fresh token works")
    t.eq(srv.form("/api/revoke", {"token": a}).status, 200, "revoke it")
    r = srv.get("/v1/me", token=a)
    t.ok(r.status == 401 and b"revoked" in r.body, "a revoked token is 401 'revoked'")

    r = srv.form("/api/token", {"grant_type": "password", "username": "free-us", "password": "password123"})
    pair = r.json()
    t.eq(srv.form("/api/revoke", {"token": pair["refresh_token"], "token_type_hint": "refresh_token"}).status,
         200, "revoke a refresh token")
    t.eq(srv.get("/v1/me", token=pair["access_token"]).status, 401,
         "revoking a refresh token ends its access tokens too")

    # A password change ends every session.
    b = srv.login("premium-jp")
    p = server_cmd("user", "set", "premium-jp", "password", data_dir=data, input=b"another-password\n")
    t.eq(p.returncode, 0, "change a password from the command line")
    t.eq(srv.get("/v1/me", token=b).status, 401, "old sessions end with the password change")
    t.eq(srv.login("premium-jp", "another-password") is not None, True, "the new password works")

    # Register, then log in: the acknowledged write must survive kill -9.
    r = srv.request("POST", "/api/register", body={"username": "durable", "password": "password123", "country": "DE"})
    t.eq(r.status, 201, "register")
    d_tok = srv.login("durable")
    srv.kill9()

with Server(data, {"access_ttl": 60}) as srv:
    t.eq(srv.get("/v1/me", token=d_tok).status, 200, "after kill -9 the account and its token survive")
    t.eq((srv.get("/v1/me", token=d_tok).json() or {}).get("country"), "DE", "with its data")

# Expiry: a token issued with a one-second lifetime stops working.
with Server(data, {"access_ttl": 60}) as srv:
    e = srv.login("free-us")
    # Age the token in the database rather than waiting a minute.
    db = db_connect(data)
    db.execute("UPDATE tokens SET expires_at = ? WHERE hash = ?",
               (int(time.time() * 1000) - 1, hashlib.blake2b(e.encode(), digest_size=32).digest()))
    db.commit()
    db.close()
    r = srv.get("/v1/me", token=e)
    t.ok(r.status == 401 and b"expired" in r.body, "an expired token is 401 'expired'")

# Password hashing (argon2id, ~90 ms each) runs off the service loop: while several logins
# are being checked, other requests are answered at once. Logins in flight count as tries
# until they succeed (tests/throttle.py), so six at once need more than five free ones.
import threading
with Server(data, {"login_free_tries": 10}) as srv:
    done, finished = [], []

    def login():
        done.append(srv.form("/api/token", {"grant_type": "password", "username": "free-us",
                                            "password": "password123"}).status)
        finished.append(("login", time.monotonic()))
    th = [threading.Thread(target=login) for _ in range(6)]
    [x.start() for x in th]
    time.sleep(0.02)
    srv.get("/healthz")
    finished.append(("health", time.monotonic()))
    [x.join() for x in th]
    t.eq(done, [200] * 6, "six concurrent logins succeed")
    # Ordering, not a clock: were hashing on the loop, the health check would wait behind it.
    order = [k for k, _ in sorted(finished, key=lambda x: x[1])]
    t.ok(order[0] == "health", "a health check sent during them is answered before any of them", order)
    r = srv.form("/api/token", {"grant_type": "password", "username": "free-us", "password": "nope-nope"})
    t.eq(r.status, 400, "a wrong password is still refused")

# Command-line account management
p = server_cmd("user", "add", "premium-us", data_dir=data, input=b"password123\n")
t.eq(p.returncode, 5, "user add of a taken name exits 5")
p = server_cmd("user", "add", "nopass", data_dir=data, input=b"")
t.eq(p.returncode, 2, "user add without a password on stdin exits 2")
p = server_cmd("user", "set", "free-us", "tier", "premium", data_dir=data)
t.eq(p.returncode, 0, "user set tier")
p = server_cmd("user", "list", data_dir=data)
t.ok(p.returncode == 0 and any(l.split()[:2] == ["free-us", "premium"] for l in p.stdout.decode().splitlines()),
     "user list shows the new tier")
for name in ("a_b", "A1b", "b.c", "Zed"):
    add_user(data, name)
names = [l.split()[0] for l in server_cmd("user", "list", data_dir=data).stdout.decode().splitlines() if l.strip()]
t.ok(set(names) >= {"a_b", "A1b", "b.c", "Zed"} and names == sorted(names, key=lambda n: n.lower().encode()),
     "user list is in name order, case aside, \"1\" before \"_\" (on either database)", names)
p = server_cmd("user", "del", "durable", data_dir=data)
t.eq(p.returncode, 0, "user del")
p = server_cmd("user", "del", "durable", data_dir=data)
t.eq(p.returncode, 4, "deleting a missing user exits 4")
t.eq(sql(data, "SELECT count(*) FROM tokens WHERE user_id = 'durable'")[0][0], 0,
     "a deleted user's tokens go with it")
t.done()
