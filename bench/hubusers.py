"""The accounts of bench/hubscale.sh: users u000, u001, ... (as bench/hubload.py names them)
and an access token for each, made straight in a data directory's database while no server runs. Logging in thousands of accounts
would cost the server an Argon2 hash (64 MiB, ~0.1 s) per account before the measurement; here
the first account is made by `segue-server user add` (the caller does it: it sets the schema
and the password hash), and the others copy its row under their own names. Each token is
stored as the server stores the ones it issues (the BLAKE2b-256 of the token, kind 'access', a
day to live), so the server checks them at the handshake exactly as it checks its own.

  python3 bench/hubusers.py DATA_DIR USERS TOKENS_FILE
The tokens file gets one "user token" line per account (bench/hubload.py run --tokens)."""

import hashlib
import os
import secrets
import sqlite3
import sys
import time


def main():
    data, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    db = sqlite3.connect(os.path.join(data, "segue.db"))
    first = db.execute("SELECT pw_hash, tier, country FROM users WHERE id = 'u000'").fetchone()
    if not first:
        sys.exit("hubusers: %s has no user u000 (segue-server user add u000 first)" % data)
    now = int(time.time() * 1000)
    names = ["u%03d" % i for i in range(n)]
    db.executemany("INSERT OR IGNORE INTO users (id, display_name, pw_hash, tier, country, created_at)"
                   " VALUES (?, ?, ?, ?, ?, ?)", [(u, u, first[0], first[1], first[2], now) for u in names[1:]])
    tokens = {u: secrets.token_urlsafe(32) for u in names}
    db.executemany("INSERT INTO tokens (hash, user_id, kind, family, expires_at, revoked, created_at)"
                   " VALUES (?, ?, 'access', ?, ?, 0, ?)",
                   [(hashlib.blake2b(t.encode(), digest_size=32).digest(), u, secrets.token_bytes(16),
                     now + 86400 * 1000, now) for u, t in tokens.items()])
    db.commit()
    db.close()
    with open(out, "w") as f:
        f.write("".join("%s %s\n" % (u, t) for u, t in tokens.items()))


if __name__ == "__main__":
    main()
