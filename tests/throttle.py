"""Login throttling and who may sign up (issue #23): guesses wait, doubling, before any hash is
spent; another address with the right password still gets in; a good login clears its count;
one address trying many accounts waits too; registration closed, invite and open, invites
single-use and expiring, sign-ups limited per address. Clients come from several loopback
addresses (127.0.0.2, ...), as the server tells them apart by address."""

import http.client
import json
import os
import re
import threading
import time
import urllib.parse

from segue_test import POSTGRES, TAP, Server, catalog_copy, db_connect, server_cmd, sql
from segue_client import Client

t = TAP()
data = catalog_copy()


def post(srv, path, body, source="127.0.0.1", form=True, forwarded=None):
    """(status, headers, json) of a POST from the loopback address source (with an
    X-Forwarded-For of forwarded, as a reverse proxy sends it)."""
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30, source_address=(source, 0))
    if form:
        data, ctype = urllib.parse.urlencode(body), "application/x-www-form-urlencoded"
    else:
        data, ctype = json.dumps(body), "application/json"
    try:
        headers = {"Content-Type": ctype}
        if forwarded:
            headers["X-Forwarded-For"] = forwarded
        conn.request("POST", path, body=data, headers=headers)
        resp = conn.getresponse()
        raw = resp.read()
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, parsed
    finally:
        conn.close()


def login(srv, name, password, source="127.0.0.1", forwarded=None):
    return post(srv, "/api/token", {"grant_type": "password", "username": name,
                                    "password": password}, source, forwarded=forwarded)


def register(srv, body, source="127.0.0.1"):
    return post(srv, "/api/register", body, source, form=False)


def wait_out(headers):
    """Sleeps the Retry-After the server asked for (bounded: at most 10 s)."""
    time.sleep(min(int(headers.get("retry-after", "1")), 10) + 0.05)


limits = {"login_free_tries": 3, "login_address_tries": 8, "login_max_wait": 4}
with Server(data, limits) as srv:
    # Free tries, then 429 with Retry-After: 1, before the password is even looked at.
    got = [login(srv, "free-us", "wrong-%d" % i)[0] for i in range(3)]
    t.eq(got, [400, 400, 400], "three wrong passwords are checked (invalid_grant)")
    status, h, body = login(srv, "free-us", "wrong-3")
    t.eq(status, 429, "the fourth guess within a second is 429")
    t.eq(h.get("retry-after"), "1", "with Retry-After: 1", h)
    t.eq((body or {}).get("error"), "slow_down", "and an OAuth error body", body)
    status, h, _ = login(srv, "free-us", "password123")
    t.eq(status, 429, "even the right password waits: the answer comes before any check")
    with open(os.path.join(data, "server.log")) as f:
        log = f.read()
    t.ok("login: 3 tries for free-us from 127.0.0.1: further ones wait" in log,
         "the server's log says when an account and address begin to wait", log[-300:])

    # The wait doubles with each guess past the free ones, up to login_max_wait.
    waits = []
    for i in range(4):
        wait_out(h)
        status, _, _ = login(srv, "free-us", "again-%d" % i)
        h = login(srv, "free-us", "again-%d" % i)[1]
        waits.append(int(h.get("retry-after", "0")) if status == 400 else -status)
    t.eq(waits, [2, 4, 4, 4], "after each allowed guess the wait doubles, capped at login_max_wait",
         waits)

    # A throttled guess costs no hash: ten of them take less time than two real checks
    # (made from another address). Sent at once, inside the 4 s wait the last guess set.
    start = time.monotonic()
    codes = [login(srv, "free-us", "wrong", "127.0.0.1")[0] for _ in range(10)]
    ten_refusals = time.monotonic() - start
    start = time.monotonic()
    login(srv, "premium-us", "wrong-x", "127.0.0.9")
    login(srv, "premium-us", "wrong-y", "127.0.0.9")
    two_checks = time.monotonic() - start
    t.ok(codes == [429] * 10 and ten_refusals < two_checks,
         "10 throttled guesses take less time than 2 checked ones (no argon2id spent)",
         (codes.count(429), ten_refusals, two_checks))

    # The owner, from another address, is not locked out.
    status, _, body = login(srv, "free-us", "password123", "127.0.0.2")
    t.eq(status, 200, "the right password from 127.0.0.2 works while 127.0.0.1 waits on it", body)
    t.eq(login(srv, "free-us", "password123", "127.0.0.1")[0], 429, "127.0.0.1 still waits")
    rc, out, err = Client(srv.base).run("login", "free-us", input=b"password123\n")
    t.ok(rc != 0 and "try again in" in err, "segue login there says how long to wait", (rc, err))

    # A good login clears its pair's count.
    got = [login(srv, "premium-jp", "nope-%d" % i, "127.0.0.2")[0] for i in range(2)]
    got.append(login(srv, "premium-jp", "password123", "127.0.0.2")[0])
    got += [login(srv, "premium-jp", "nope-again-%d" % i, "127.0.0.2")[0] for i in range(3)]
    t.eq(got, [400, 400, 200, 400, 400, 400],
         "two misses, a success, then three misses are all checked: the success reset the count")
    t.eq(login(srv, "premium-jp", "nope", "127.0.0.2")[0], 429, "and the fourth miss after it waits")

    # An unknown name waits like a known one: throttling tells nothing of who exists.
    got = [login(srv, "no-such-user", "pw-%d" % i, "127.0.0.3")[0] for i in range(4)]
    t.eq(got, [400, 400, 400, 429], "an unknown name is throttled the same way")

    # One address spraying many accounts: after login_address_tries it waits on every name.
    names = ["spray-%d" % i for i in range(8)]
    got = [login(srv, n, "password-guess", "127.0.0.4")[0] for n in names]
    t.eq(got, [400] * 8, "eight accounts, one guess each, from one address are checked")
    status, h, _ = login(srv, "premium-us", "password123", "127.0.0.4")
    t.eq(status, 429, "then that address waits whatever the account")
    t.eq(login(srv, "premium-us", "password123", "127.0.0.5")[0], 200, "other addresses do not")

    # Guesses sent all at once are counted as they arrive, not when their checks end.
    results = []
    th = [threading.Thread(target=lambda i=i: results.append(
        login(srv, "premium-us", "burst-%d" % i, "127.0.0.6")[0])) for i in range(10)]
    [x.start() for x in th]
    [x.join(30) for x in th]
    t.eq(sorted(results), [400] * 3 + [429] * 7, "ten guesses at once: three checked, seven refused",
         results)

# Registration.
new = {"username": "newbie", "password": "password123", "country": "SE"}
taken = {"username": "premium-us", "password": "password123", "country": "SE"}
with Server(data, {"register_tries": 1000}) as srv:
    a, b = register(srv, new), register(srv, taken)
    t.ok(a[0] == b[0] == 403 and a[2] == b[2], "closed by default: 403, the same for a new and a "
         "taken name", (a, b))

with Server(data, {"registration": "invite", "register_tries": 1000}) as srv:
    a = register(srv, new)
    b = register(srv, dict(taken, invite="0" * 22))
    c = register(srv, dict(new, invite="0" * 22))
    t.ok(a[0] == b[0] == c[0] == 403, "invite: no code or a wrong one is 403", (a, b, c))
    t.ok(b[2] == c[2], "a wrong code says the same whether the name is taken or not", (b[2], c[2]))
    p = server_cmd("user", "invite", data_dir=data)
    code = p.stdout.decode().strip()
    t.ok(p.returncode == 0 and len(code) == 22, "segue-server user invite prints a code", p.stderr)
    if POSTGRES:
        held = "".join(r[0] for r in sql(data, "SELECT i::text FROM invites i"))
    else:
        held = open(os.path.join(data, "segue.db"), "rb").read().decode("latin-1")
    t.ok(code not in held and held, "the database does not hold the code itself")
    status, _, body = register(srv, dict(taken, invite=code))
    t.eq(status, 409, "a good code with a taken name is 409 (its holder may know)")
    status, _, body = register(srv, dict(new, invite=code))
    t.eq(status, 201, "the code signs one account up", body)
    status, _, body = register(srv, dict(new, username="second", invite=code))
    t.eq(status, 403, "and only one: used again it is refused", body)
    t.ok(srv.login("newbie"), "the new account logs in")

    p = server_cmd("user", "invite", "--uses", "2", "--expires", "1h", data_dir=data)
    two = p.stdout.decode().strip()
    got = [register(srv, dict(new, username="pair-%d" % i, invite=two))[0] for i in range(3)]
    t.eq(got, [201, 201, 403], "--uses 2: two sign-ups, then refused")

    p = server_cmd("user", "invite", "--expires", "60s", data_dir=data)
    old = p.stdout.decode().strip()
    db = db_connect(data)
    db.execute("UPDATE invites SET expires_at = ? WHERE uses = 1 AND uses_left = 1",
               (int(time.time() * 1000) - 1,))
    db.commit()
    db.close()
    t.eq(register(srv, dict(new, username="late", invite=old))[0], 403, "an expired code is refused")

    p = server_cmd("user", "invite", data_dir=data)
    rev = p.stdout.decode().strip()
    listing = server_cmd("user", "invite", "list", data_dir=data).stdout.decode().split("\n")
    states = sorted(l.split()[1] for l in listing if l.strip())
    t.eq(states, ["expired", "open", "used", "used"], "invite list tells used, expired and open",
         listing)
    rev_id = [l.split()[0] for l in listing if l.split()[1:2] == ["open"]][0]
    t.ok(re.fullmatch(r"[0-9a-f]{8}", rev_id), "an invite's id is 8 hex digits", rev_id)
    t.eq(server_cmd("user", "invite", "revoke", "zz" + rev_id[2:], data_dir=data).returncode, 4,
         "an id that is not hex names no invite")
    t.eq(server_cmd("user", "invite", "revoke", rev_id.upper(), data_dir=data).returncode, 0,
         "revoke it (its id in capitals)")
    t.eq(register(srv, dict(new, username="revoked", invite=rev))[0], 403, "a revoked code is refused")
    t.eq(server_cmd("user", "invite", "revoke", rev_id, data_dir=data).returncode, 4,
         "revoking it again: no such invite")
    t.eq(server_cmd("user", "invite", "--uses", "0", data_dir=data).returncode, 2, "--uses 0 is refused")
    t.eq(server_cmd("user", "invite", "--expires", "400d", data_dir=data).returncode, 2,
         "--expires beyond a year is refused")

    # The client's side: segue register NAME --invite CODE, then it is logged in.
    cli = Client(srv.base)
    code = server_cmd("user", "invite", data_dir=data).stdout.decode().strip()
    rc, out, err = cli.run("register", "cli-user", "--invite", code, "--country", "DE",
                           input=b"password123\n")
    t.ok(rc == 0 and "cli-user" in out, "segue register --invite signs up and logs in", (rc, out, err))
    rc, out, err = cli.run("whoami", "--json")
    t.ok(rc == 0 and json.loads(out or "{}").get("country") == "DE", "whoami: the new account", out)
    rc, out, err = cli.run("register", "cli-other", "--invite", code, input=b"password123\n")
    t.ok(rc != 0 and "invite" in err, "a used code: the client says why", (rc, err))

with Server(data, {"registration": "open", "register_tries": 3}) as srv:
    got = [register(srv, dict(new, username="open-%d" % i), "127.0.0.7") for i in range(3)]
    t.eq([g[0] for g in got], [201, 201, 201], "open: anyone signs up")
    status, h, _ = register(srv, dict(new, username="open-3"), "127.0.0.7")
    t.ok(status == 429 and int(h.get("retry-after", "0")) >= 1,
         "the fourth sign-up from one address is 429 with Retry-After", (status, h))
    t.eq(register(srv, dict(new, username="open-4"), "127.0.0.8")[0], 201,
         "another address may still sign up")
    t.eq(register(srv, dict(taken), "127.0.0.8")[0], 409, "open: a taken name is 409 (after a hash)")

# Behind a reverse proxy (trusted_proxies): the address failed logins count against is the
# client's from X-Forwarded-For when the proxy sends it, and only then.
with Server(data, dict(limits, trusted_proxies="127.0.0.9, 10.0.0.0/8")) as srv:
    via = "127.0.0.9"
    got = [login(srv, "free-us", "nope", via, forwarded="203.0.113.5")[0] for _ in range(4)]
    t.eq(got, [400, 400, 400, 429], "through a trusted proxy: one client's fourth miss waits")
    t.eq(login(srv, "free-us", "password123", via, forwarded="203.0.113.6")[0], 200,
         "another client behind the same proxy is not held up by it")
    t.eq(login(srv, "free-us", "password123", via, forwarded="198.51.100.7, 203.0.113.5")[0], 429,
         "the rightmost address the proxy added is the client's, whatever the client put before it")
    t.eq(login(srv, "free-us", "password123", via, forwarded="203.0.113.5, 10.1.2.3")[0], 429,
         "a chain of trusted proxies is walked back to the client")
    got = [login(srv, "premium-jp", "nope", "127.0.0.10", forwarded="192.0.2.%d" % i)[0] for i in range(4)]
    t.eq(got, [400, 400, 400, 429], "from a peer that is no trusted proxy the header is not believed")
    t.eq(login(srv, "premium-jp", "password123", "127.0.0.9")[0], 200,
         "a trusted proxy's request without the header counts as the proxy's own")
p = server_cmd("serve", "--set", "trusted_proxies=10.0.0.0/33", data_dir=data, timeout=30)
t.ok(p.returncode == 2 and b"10.0.0.0/33" in p.stderr, "a bad network in trusted_proxies: serve says which",
     p.stderr[-300:])

t.done()
