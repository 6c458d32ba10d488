"""Runs the data-driven API cases in tests/api/*.t against one server over the small
catalog. Each case is a request and what the response must show; see tests/api/README."""

import glob
import json
import os
import re
import sys

from segue_test import TAP, Server, catalog_copy, sql, subset, SRCDIR

MISSING = object()


def lookup(doc, path):
    cur = doc
    for part in path.split("."):
        if isinstance(cur, list) and re.fullmatch(r"-?\d+", part):
            i = int(part)
            if -len(cur) <= i < len(cur):
                cur = cur[i]
                continue
            return MISSING
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
            continue
        return MISSING
    return cur


def parse(path):
    cases, cur = [], None
    with open(path, encoding="utf-8") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if line.startswith("=== "):
                cur = {"name": line[4:], "where": "%s:%d" % (os.path.basename(path), lineno),
                       "headers": {}, "checks": [], "as": "premium-us"}
                cases.append(cur)
                continue
            word, _, rest = line.partition(" ")
            if word in ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"):
                cur["method"], cur["path"] = word, rest
            elif word in ("as", "token", "body", "form"):
                cur[word] = rest
            elif word == "header":
                k, _, v = rest.partition(":")
                cur["headers"][k.strip()] = v.strip()
            else:
                cur["checks"].append((word, rest, lineno))
    return cases


def expand(text, env):
    return re.sub(r"\{([a-z_0-9]+)\}", lambda m: env.get(m.group(1), m.group(0)), text)


def main():
    t = TAP()
    data = catalog_copy()
    env = {}
    rows = sql(data, "SELECT t.id, t.album_id, t.artist_id FROM tracks t"
                     " ORDER BY t.album_id, t.disc_number, t.track_number")
    for i, (tid, alb, art) in enumerate(rows):
        env.setdefault("track%d" % i, tid)
    env["album0"], env["artist0"] = rows[0][1], rows[0][2]
    # A track that JP cannot play, and one everybody can.
    for tid, markets in sql(data, "SELECT id, markets FROM tracks ORDER BY id"):
        if markets and "JP" not in markets.split(","):
            env.setdefault("track_not_jp", tid)
        if not markets:
            env.setdefault("track_everywhere", tid)
    env["unknown_id"] = "0000000000000000000000"
    with Server(data, {"rl_standard": 100000, "rl_player": 100000, "registration": "open",
                       "register_tries": 1000}) as srv:
        tokens = {}
        for user in ("premium-us", "free-us", "premium-jp"):
            tokens[user] = srv.login(user)
        files = sorted(glob.glob(os.path.join(SRCDIR, "tests", "api", "*.t")))
        for path in files:
            for case in parse(path):
                run_case(t, srv, case, env, tokens)
    t.done()


def run_case(t, srv, case, env, tokens):
    headers = {k: expand(v, env) for k, v in case["headers"].items()}
    body = None
    if "body" in case:
        body = expand(case["body"], env).encode()
        headers.setdefault("Content-Type", "application/json")
    if "form" in case:
        body = expand(case["form"], env).encode()
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    token = None
    if "token" in case:
        token = expand(case["token"], env)
    elif case["as"] != "nobody":
        token = tokens[case["as"]]
    r = srv.request(case["method"], expand(case["path"], env), body=body, headers=headers, token=token)
    doc = r.json()
    problems = []
    for word, rest, lineno in case["checks"]:
        rest = expand(rest, env)
        if word == "status":
            if r.status != int(rest):
                problems.append("status %d, want %s" % (r.status, rest))
        elif word == "json":
            err = subset(json.loads(rest), doc)
            if err:
                problems.append(err)
        elif word == "has":
            for p in rest.split():
                if lookup(doc, p) is MISSING:
                    problems.append("missing %s" % p)
        elif word == "absent":
            for p in rest.split():
                if lookup(doc, p) is not MISSING:
                    problems.append("unexpected %s" % p)
        elif word == "count":
            p, n = rest.rsplit(" ", 1)
            v = lookup(doc, p)
            if not isinstance(v, list) or len(v) != int(n):
                problems.append("%s has %s items, want %s" % (p, len(v) if isinstance(v, list) else v, n))
        elif word == "error-contains":
            msg = lookup(doc, "error.message")
            if msg is MISSING:
                msg = lookup(doc, "error_description")
            if msg is MISSING or rest.lower() not in str(msg).lower():
                problems.append("error message %r lacks %r" % (msg, rest))
        elif word == "header-is":
            k, _, v = rest.partition(":")
            if r.headers.get(k.strip().lower()) != v.strip():
                problems.append("header %s is %r, want %r" % (k, r.headers.get(k.strip().lower()), v.strip()))
        elif word == "header-has":
            if rest.strip().lower() not in r.headers:
                problems.append("no %s header" % rest)
        elif word == "each":
            # each PATH KEY VALUE: every element of the array at PATH has KEY == VALUE (JSON)
            p, k, v = rest.split(" ", 2)
            arr = lookup(doc, p)
            want = json.loads(v)
            if not isinstance(arr, list) or any(lookup(x, k) != want for x in arr):
                problems.append("not every %s has %s == %s" % (p, k, v))
        else:
            problems.append("unknown check %r at line %d" % (word, lineno))
    t.ok(not problems, "%s (%s)" % (case["name"], case["where"]),
         "\n".join(problems + ["response: %d %s" % (r.status, r.body[:300])]))


if __name__ == "__main__":
    main()
