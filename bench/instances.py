#!/usr/bin/python3
"""Connect routing across instances (doc/connect.md, Several instances): handoff and command
round trips between two devices of one user on ONE segue-server over PostgreSQL (the anchor)
and on TWO instances over the same database (each device on its own), same run, same
database, alternated in rounds so that the machine's load falls on both alike.

A throwaway PostgreSQL cluster (tests/pgcluster.py, as the tests make it) over the test
catalog (tests/.catalog, made by `make check`); fake devices (tests/ws_device.py) that answer
at once, so what is measured is the hubs' routing and the database's notifications, not a
player. Per round and per setup:
  handoff  the playing device sends `transfer` naming the other (play: true); timed from
           the send to its `result` (the hub answers once the target confirmed transfer_in:
           across instances that is transfer_out, its result, transfer_in and its result,
           each a notification, plus the state's write).
  command  the device that does not play sends `pause` then `resume` to the active one, each
           timed to its `result`.
Also the CPU time the servers used (utime + stime from /proc, all instances summed) per
handoff-and-two-commands round: a figure that the machine's load does not move.
Rounds are paced (30 ms apart): a session sending more than 200 messages a second is closed.
Goal: handoff p99 < 100 ms across instances. p50 and p99 by nearest rank.

usage: /usr/bin/python3 bench/instances.py [--rounds N]   (from the top of the build tree)"""

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

import pgcluster  # noqa: E402

why = pgcluster.unavailable()
if why:
    sys.exit("instances: " + why)

from segue_test import Server, catalog_copy, cluster  # noqa: E402
from ws_device import FakeDevice  # noqa: E402

# A session may send 200 messages a second (doc/connect.md): rounds are paced well under it.
PACE = 0.03
SETTINGS = {"rl_standard": 1000000, "rl_player": 1000000, "rl_playlist": 1000000,
            "connect_timeout_ms": 5000}


def pct(xs, p):
    xs = sorted(xs)
    return xs[max(0, min(len(xs) - 1, -(-len(xs) * p // 100) - 1))] if xs else float("nan")


def cpu_ms(srvs):
    tck = os.sysconf("SC_CLK_TCK")
    total = 0
    for s in srvs:
        with open("/proc/%d/stat" % s.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total * 1000.0 / tck


def timed(dev, msg):
    t0 = time.perf_counter()
    r = dev.request(msg, timeout=10)
    ms = (time.perf_counter() - t0) * 1000
    if not r or r.get("ok") is not True:
        sys.exit("instances: %s from %s failed after %.0f ms: %r (last messages %r)" % (
            msg.get("command") or msg.get("type"), dev.id, ms, r, dev.messages[-4:]))
    return ms


class Setup:
    def __init__(self, name, srv_a, srv_b, tok, tracks, tag):
        self.name = name
        self.servers = [srv_a] if srv_a is srv_b else [srv_a, srv_b]
        self.a = FakeDevice(srv_a.port, tok, tag + "-a").connect()
        self.b = FakeDevice(srv_b.port, tok, tag + "-b").connect()
        self.a.play_locally(tracks, index=0, position_ms=1000)
        deadline = time.time() + 5
        while time.time() < deadline and not any(d.get("is_active") for d in self.b.devices):
            time.sleep(0.01)
        self.playing, self.idle = self.a, self.b
        self.handoff, self.command, self.cpu = [], [], []

    def round(self):
        before = cpu_ms(self.servers)
        self.handoff.append(timed(self.playing, {"type": "transfer", "device_id": self.idle.id, "play": True}))
        self.playing, self.idle = self.idle, self.playing
        for c in ("pause", "resume"):
            self.command.append(timed(self.idle, {"type": "command", "command": c}))
        self.cpu.append(cpu_ms(self.servers) - before)

    def close(self):
        self.a.close()
        self.b.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=200)
    args = ap.parse_args()
    data = catalog_copy()
    url = cluster().database(data, seeded=True)
    srvs = [Server(data, SETTINGS, args=["--database", url]).start() for _ in range(2)]
    try:
        # Two users, so that the pairs share no state: one pair on one instance, one across;
        # their rounds alternate, never overlap.
        tok, tok2 = srvs[0].login("premium-us"), srvs[0].login("premium-jp")
        tracks = _tracks(data)
        one = Setup("one instance", srvs[0], srvs[0], tok, tracks, "one")
        two = Setup("two instances", srvs[0], srvs[1], tok2, tracks, "two")
        for _ in range(10):  # warm-up
            one.round()
            two.round()
            time.sleep(PACE)
        for s in (one, two):
            s.handoff, s.command, s.cpu = [], [], []
        for _ in range(args.rounds):
            one.round()
            two.round()
            time.sleep(PACE)
        print("Connect routing, %d rounds (handoff + pause + resume each), fake devices, PostgreSQL"
              % args.rounds)
        print("%-14s %10s %10s %10s %10s %14s" % ("", "handoff p50", "p99", "command p50", "p99",
                                                 "server CPU/round"))
        for s in (one, two):
            print("%-14s %9.1f ms %7.1f ms %9.1f ms %7.1f ms %11.2f ms" % (
                s.name, pct(s.handoff, 50), pct(s.handoff, 99), pct(s.command, 50),
                pct(s.command, 99), sum(s.cpu) / len(s.cpu)))
        print("ratio (two / one): handoff p99 %.2fx, command p99 %.2fx, CPU %.2fx" % (
            pct(two.handoff, 99) / pct(one.handoff, 99), pct(two.command, 99) / pct(one.command, 99),
            (sum(two.cpu) / len(two.cpu)) / max(1e-9, sum(one.cpu) / len(one.cpu))))
        print("goal: handoff p99 < 100 ms across instances: %s" %
              ("met" if pct(two.handoff, 99) < 100 else "NOT met"))
        one.close()
        two.close()
    finally:
        for s in srvs:
            s.stop()


def _tracks(data):
    c = cluster().connect(cluster().dbname(data))
    try:
        cur = c.cursor()
        cur.execute("SELECT id FROM tracks ORDER BY album_id, disc_number, track_number LIMIT 6")
        return [r[0] for r in cur.fetchall()]
    finally:
        c.close()


if __name__ == "__main__":
    main()
