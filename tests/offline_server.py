"""Offline listening on the server: device registration and its limit, licences (signed with
Ed25519, verified here independently), the download URL and digest they carry, the per-device
track limit, markets, and check-ins that renew, or revoke on a removed device, a track
withdrawn from the market, or a downgrade to free."""

import base64
import hashlib
import os
import stat
import time
import urllib.request

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.exceptions import InvalidSignature

from segue_test import TAP, Server, WriteLock, catalog_copy, db_connect, server_cmd, sql

t = TAP()
data = catalog_copy()
TRACK_LIMIT = 4


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def verify(pk, lic):
    text = "segue-licence-1\n%s\n%s\n%s\n%s\n%d\n%d\n%s\n" % (
        lic["user_id"], lic["device_id"], lic["track_id"], lic["quality"], lic["issued_at"],
        lic["expires_at"], lic["key"])
    try:
        Ed25519PublicKey.from_public_bytes(b64d(pk)).verify(b64d(lic["signature"]), text.encode())
        return True
    except (InvalidSignature, ValueError):
        return False


everywhere = [r[0] for r in sql(data, "SELECT id FROM tracks WHERE markets IS NULL OR markets LIKE '%JP%'"
                                      " ORDER BY id")]
us_only = [r[0] for r in sql(data, "SELECT id FROM tracks WHERE markets IS NOT NULL"
                                   " AND markets NOT LIKE '%JP%' ORDER BY id")]

with Server(data, {"offline_tracks": TRACK_LIMIT, "rl_standard": 100000}) as srv:
    free = srv.login("free-us")
    tok = srv.login("premium-us")

    import segue_test  # which engine this run's servers use
    if segue_test.POSTGRES:  # every instance over the database signs with them (store/secrets.h)
        t.eq(len(sql(data, "SELECT 1 FROM server_secrets WHERE name = 'offline.key'")), 1,
             "the licence keys are in the database")
    else:
        mode = stat.S_IMODE(os.stat(os.path.join(data, "offline.key")).st_mode)
        t.eq(mode, 0o600, "the licence keys are private (0600)")

    r = srv.request("PUT", "/v1/segue/offline/devices/laptop1", body={"name": "Laptop"}, token=free)
    t.eq(r.status, 403, "a free account cannot register an offline device")
    t.ok("premium" in (r.json() or {}).get("error", {}).get("message", ""), "and is told it needs premium")
    r = srv.get("/v1/segue/offline/devices", token=free)
    t.eq((r.status, r.json()["devices"]), (200, []), "but may list (none)")

    r = srv.request("PUT", "/v1/segue/offline/devices/laptop1", body={"name": "Laptop"}, token=tok)
    t.eq(r.status, 201, "a premium account registers a device")
    dev = r.json()
    pk = dev.get("public_key", "")
    t.eq((dev["id"], dev["name"], dev["tracks"], dev["device_limit"], dev["track_limit"], dev["licence_days"]),
         ("laptop1", "Laptop", 0, 5, TRACK_LIMIT, 30), "the device, the limits and the licence lifetime")
    t.eq(len(b64d(pk)), 32, "with the server's Ed25519 public key")
    r = srv.request("PUT", "/v1/segue/offline/devices/laptop1", body={"name": "Work laptop"}, token=tok)
    t.eq((r.status, r.json()["name"]), (200, "Work laptop"), "registering again renames (200)")
    for bad, why in [("/v1/segue/offline/devices/bad%20id", "a malformed device id"),
                     ("/v1/segue/offline/devices/" + "x" * 65, "a device id over 64 characters")]:
        r = srv.request("PUT", bad, body={"name": "x"}, token=tok)
        t.eq(r.status, 400, "400 for " + why)
    r = srv.request("PUT", "/v1/segue/offline/devices/d9", body={"name": ""}, token=tok)
    t.eq(r.status, 400, "400 for an empty name")
    r = srv.request("PUT", "/v1/segue/offline/devices/d9", body="{nope", token=tok)
    t.eq(r.status, 400, "400 for a malformed body")

    for i in range(2, 6):
        r = srv.request("PUT", "/v1/segue/offline/devices/dev%d" % i, body={"name": "Device %d" % i}, token=tok)
        t.eq(r.status, 201, "device %d registered" % i)
    r = srv.request("PUT", "/v1/segue/offline/devices/dev6", body={"name": "Sixth"}, token=tok)
    msg = (r.json() or {}).get("error", {}).get("message", "")
    t.eq(r.status, 403, "the sixth device is refused")
    t.ok("Remove one" in msg and "Work laptop" in msg and "segue offline devices --remove" in msg,
         "naming the devices and how to remove one", msg)
    r = srv.request("DELETE", "/v1/segue/offline/devices/dev5", token=tok)
    t.eq(r.status, 204, "a device is removed")
    r = srv.request("DELETE", "/v1/segue/offline/devices/dev5", token=tok)
    t.eq(r.status, 404, "removing it again is 404")
    # Another server registers the same device at the same moment: this registration waits
    # for the other's and renames the device it made (200), one registration, no error.
    with WriteLock(data) as lock:
        lock.execute("INSERT INTO offline_devices (user_id, device_id, name, registered_at, last_checkin)"
                     " VALUES ('premium-us', 'dev6', 'Sixth elsewhere', ?, ?)", (int(time.time() * 1000),) * 2)
        waited = lock.waiting(
            lambda: srv.request("PUT", "/v1/segue/offline/devices/dev6", body={"name": "Sixth"}, token=tok))
    r = lock.answer()
    t.ok(waited and r and r.status == 200 and r.json()["name"] == "Sixth",
         "then the sixth fits, though another server registered it at the same moment", r and (r.status, r.body))
    r = srv.get("/v1/segue/offline/devices", token=tok)
    t.eq([d["id"] for d in r.json()["devices"]], ["laptop1", "dev2", "dev3", "dev4", "dev6"],
         "five devices listed, oldest first")
    # Another server registers the fifth device while this one's request for a fifth waits:
    # counted in the same transaction as the add, it is refused.
    t.eq(srv.request("DELETE", "/v1/segue/offline/devices/dev6", token=tok).status, 204, "down to four")
    with WriteLock(data) as lock:
        lock.execute("INSERT INTO offline_devices (user_id, device_id, name, registered_at, last_checkin)"
                     " VALUES ('premium-us', 'dev7', 'Elsewhere', ?, ?)", (int(time.time() * 1000),) * 2)
        waited = lock.waiting(
            lambda: srv.request("PUT", "/v1/segue/offline/devices/dev8", body={"name": "Late"}, token=tok))
    r = lock.answer()
    t.ok(waited and r and r.status == 403, "a device registered while another server took the fifth"
         " place is refused", r and (r.status, r.body))
    t.eq(sql(data, "SELECT count(*) FROM offline_devices WHERE user_id = 'premium-us'")[0][0], 5,
         "the account has five devices, not six")
    db = db_connect(data)
    db.execute("DELETE FROM offline_devices WHERE device_id = 'dev7'")
    db.commit()
    db.close()
    t.eq(srv.request("PUT", "/v1/segue/offline/devices/dev6", body={"name": "Sixth"}, token=tok).status, 201,
         "the fifth place back for dev6")

    # Licences.
    path = "/v1/segue/offline/devices/laptop1/licences"
    r = srv.request("POST", path, body={"ids": everywhere[:2], "quality": "normal"}, token=tok)
    t.eq(r.status, 200, "licences for two tracks")
    body = r.json() or {}
    lics = body.get("licences", [])
    t.eq(len(lics), 2, "two licences")
    t.eq(body.get("refused"), [], "none refused")
    lic = lics[0]
    t.eq((lic["user_id"], lic["device_id"], lic["track_id"], lic["quality"]),
         ("premium-us", "laptop1", everywhere[0], "normal"), "the licence names user, device, track, quality")
    t.eq(lic["expires_at"] - lic["issued_at"], 30 * 86400, "it lasts 30 days")
    t.ok(all(verify(pk, x) for x in lics), "each is signed by the server's key (verified independently)")
    forged = dict(lic, expires_at=lic["expires_at"] + 86400)
    t.ok(not verify(pk, forged), "an extended expiry breaks the signature")
    t.eq(len(b64d(lic["key"])), 32, "with 32 bytes of key material")
    t.ok(lics[0]["key"] != lics[1]["key"], "different for each track")
    audio = urllib.request.urlopen(lic["url"], timeout=10).read()
    t.eq((len(audio), hashlib.blake2b(audio, digest_size=32).hexdigest()), (lic["bytes"], lic["digest"]),
         "the download URL serves the bytes the licence's size and digest describe")
    t.ok("/normal.ogg" in lic["url"], "at the licensed quality")
    t.eq(sql(data, "SELECT count(*) FROM audio_digests")[0][0], 2, "digests are kept for next time")
    r = srv.request("POST", path, body={"ids": everywhere[:1], "quality": "normal"}, token=tok)
    t.eq(r.json()["licences"][0]["key"], lic["key"], "asking again gives the same key (no re-download)")

    r = srv.request("POST", "/v1/segue/offline/devices/dev2/licences", body={"ids": everywhere[:1]}, token=tok)
    t.ok(r.json()["licences"][0]["key"] != lic["key"], "another device gets other key material")
    t.eq(r.json()["licences"][0]["quality"], "high", "quality defaults to high")

    for body_, why in [({"ids": "x"}, "ids not an array"), ({"ids": []}, "no ids"),
                       ({"ids": ["x" * 22] * 51}, "51 ids"), ({"ids": ["nope"]}, "a malformed id"),
                       ({"ids": everywhere[:1], "quality": "lossless"}, "an unknown quality")]:
        r = srv.request("POST", path, body=body_, token=tok)
        t.eq(r.status, 400, "400 for " + why)
    r = srv.request("POST", "/v1/segue/offline/devices/ghost/licences", body={"ids": everywhere[:1]}, token=tok)
    t.eq(r.status, 404, "404 for an unregistered device")
    r = srv.request("POST", path, body={"ids": everywhere[:1]}, token=free)
    t.eq(r.status, 403, "403 for a free account")
    r = srv.request("POST", path, body={"ids": ["0" * 22]}, token=tok)
    t.eq([x["status"] for x in r.json()["refused"]], [404], "an unknown track is refused (404), the rest goes on")

    # Another server fills the device to its limit while this one makes a licence past it:
    # the limit is counted again where the licences are written, and it is refused.
    with WriteLock(data) as lock:
        for x in everywhere[2:4]:
            lock.execute("INSERT INTO offline_licences (user_id, device_id, track_id, quality, issued_at, expires_at)"
                         " VALUES ('premium-us', 'laptop1', ?, 'high', ?, ?)",
                         (x, int(time.time()), int(time.time()) + 86400))
        waited = lock.waiting(lambda: srv.request("POST", path, body={"ids": everywhere[4:5]}, token=tok))
    r = lock.answer()
    t.ok(waited and r and r.status == 403 and "at most %d" % TRACK_LIMIT in r.body.decode(),
         "a licence made while another server filled the device to its limit is refused",
         r and (r.status, r.body))
    t.eq(sql(data, "SELECT count(*) FROM offline_licences WHERE device_id = 'laptop1'")[0][0], TRACK_LIMIT,
         "the device holds %d licences, not %d" % (TRACK_LIMIT, TRACK_LIMIT + 1))

    # The per-device limit (4 in this test).
    r = srv.request("POST", path, body={"ids": everywhere[2:4]}, token=tok)
    t.eq(len(r.json()["licences"]), 2, "up to the device's limit")
    r = srv.request("POST", path, body={"ids": everywhere[4:5]}, token=tok)
    t.eq(r.status, 403, "one more track than the limit is refused")
    t.ok("at most %d" % TRACK_LIMIT in r.json()["error"]["message"], "saying the limit")
    r = srv.request("POST", path, body={"ids": everywhere[:1]}, token=tok)
    t.eq(r.status, 200, "a track already held is renewed at the limit")
    r = srv.get("/v1/segue/offline/devices", token=tok)
    t.eq(r.json()["devices"][0]["tracks"], TRACK_LIMIT, "the device list counts its tracks")

    # Check-in.
    ck = "/v1/segue/offline/devices/laptop1/checkin"
    held = [{"id": x, "quality": "normal"} for x in everywhere[:2]]
    r = srv.request("POST", ck, body={"tracks": held}, token=tok)
    body = r.json() or {}
    t.eq((r.status, len(body.get("licences", [])), body.get("revoked")), (200, 2, []),
         "a check-in renews what the device holds")
    t.ok(all(verify(pk, x) for x in body["licences"]), "renewed licences are signed")
    t.eq(body["licences"][0]["key"], lic["key"], "with the same key material")
    t.eq(sql(data, "SELECT count(*) FROM offline_licences WHERE device_id = 'laptop1'")[0][0], 2,
         "what the device no longer reports is dropped from its count")
    for body_, why in [({"tracks": "x"}, "tracks not an array"), ({"tracks": [{"id": "nope", "quality": "normal"}]},
                                                                  "a malformed id"),
                       ({"tracks": [{"id": everywhere[0]}]}, "no quality"),
                       ({"tracks": [{"id": everywhere[0], "quality": "x"}] * (TRACK_LIMIT + 1)}, "more than the limit")]:
        r = srv.request("POST", ck, body=body_, token=tok)
        t.eq(r.status, 400, "check-in: 400 for " + why)

    # A track withdrawn from the user's market is revoked at the next check-in.
    sql_w = "UPDATE tracks SET markets = 'JP' WHERE id = '%s'" % everywhere[1]
    db = db_connect(data)
    db.execute(sql_w)
    db.commit()
    db.close()
    r = srv.request("POST", ck, body={"tracks": held}, token=tok)
    body = r.json()
    t.eq([x["track_id"] for x in body["licences"]], [everywhere[0]], "check-in: the available track is renewed")
    t.eq([(x["id"], x["reason"]) for x in body["revoked"]], [(everywhere[1], "unavailable")],
         "the withdrawn one is revoked (unavailable)")

    # Market at issue time.
    if us_only:
        jp = srv.login("premium-jp")
        srv.request("PUT", "/v1/segue/offline/devices/jp1", body={"name": "JP"}, token=jp)
        r = srv.request("POST", "/v1/segue/offline/devices/jp1/licences", body={"ids": us_only[:1]}, token=jp)
        t.eq([x["status"] for x in r.json()["refused"]], [403], "a track outside the user's market is refused (403)")
    else:
        t.ok(False, "the test catalog has a track outside JP")

    # A removed device: everything revoked.
    srv.request("DELETE", "/v1/segue/offline/devices/dev2", token=tok)
    r = srv.request("POST", "/v1/segue/offline/devices/dev2/checkin",
                    body={"tracks": [{"id": everywhere[0], "quality": "high"}]}, token=tok)
    t.eq([(x["id"], x["reason"]) for x in r.json()["revoked"]], [(everywhere[0], "device_removed")],
         "a removed device's check-in revokes all it holds")
    t.eq(r.json()["licences"], [], "and renews nothing")

    # A downgrade to free: revoked at the next check-in.
    p = server_cmd("user", "set", "premium-us", "tier", "free", data_dir=data)
    t.eq(p.returncode, 0, "premium-us goes back to free")
    tok = srv.login("premium-us")
    r = srv.request("POST", ck, body={"tracks": held[:1]}, token=tok)
    t.eq([(x["id"], x["reason"]) for x in r.json()["revoked"]], [(everywhere[0], "premium_required")],
         "after a downgrade, check-in revokes (premium_required)")
    t.eq(sql(data, "SELECT count(*) FROM offline_licences WHERE user_id = 'premium-us' AND device_id = 'laptop1'")[0][0],
         0, "and the server forgets the device's licences")
    r = srv.get("/v1/segue/offline/devices", token=tok)
    t.eq(r.status, 200, "a free account can still list its devices")
    r = srv.request("DELETE", "/v1/segue/offline/devices/dev3", token=tok)
    t.eq(r.status, 204, "and remove them")

t.done()
