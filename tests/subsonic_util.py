"""Calling the Subsonic API (/rest/) of a test server as a client does: in JSON or XML, by GET
or form POST, and reading either answer into the same Python shape, so that one check covers
both formats. Shared by the tests/subsonic*.py files."""

import json
import urllib.parse
import xml.etree.ElementTree as ET

NS = "{http://subsonic.org/restapi}"
CLIENT = {"v": "1.16.1", "c": "segue-tests"}


def call(srv, name, params=None, fmt="json", post=False, view=False, client=True):
    """One call; returns (http status, the parsed envelope dict or None, raw Response).
    params may be a dict or a list of pairs (for repeated names)."""
    pairs = list(params.items()) if isinstance(params, dict) else list(params or [])
    if client:
        pairs += list(CLIENT.items())
    if fmt:
        pairs.append(("f", fmt))
    path = "/rest/" + name + (".view" if view else "")
    if post:
        r = srv.request("POST", path, body=urllib.parse.urlencode(pairs),
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    else:
        r = srv.get(path + "?" + urllib.parse.urlencode(pairs))
    return r.status, parse(r, fmt), r


def parse(r, fmt):
    """The envelope as a dict: JSON as it comes; XML mapped the way the specification maps
    the two (attributes and child elements by name; repeated elements become lists)."""
    try:
        if fmt == "xml" or fmt is None:
            root = ET.fromstring(r.body)
            if root.tag != NS + "subsonic-response":
                return None
            return element(root)
        return json.loads(r.body)["subsonic-response"]
    except (ValueError, KeyError, ET.ParseError):
        return None


def _scalar(v):
    if v in ("true", "false"):
        return v == "true"
    try:
        return int(v)
    except ValueError:
        pass
    try:
        return float(v)
    except ValueError:
        return v


def element(e):
    """An element as the JSON form writes it. XML cannot tell a list of one from one child:
    children are lists here, and the caller compares through same()."""
    d = {k: _scalar(v) for k, v in e.attrib.items()}
    for ch in e:
        tag = ch.tag[len(NS):] if ch.tag.startswith(NS) else ch.tag
        if not ch.attrib and not len(ch) and ch.text is not None:
            val = _scalar(ch.text)
        else:
            val = element(ch)
        d.setdefault(tag, []).append(val)
    if e.text and e.text.strip() and (e.attrib or len(e)):
        d["value"] = e.text
    return d


def same(js, xm):
    """Whether a JSON answer and an XML one (through element()) say the same: an object in
    JSON may be a list of one in the XML form, and an empty list has no XML form at all."""
    if isinstance(js, dict):
        js = {k: v for k, v in js.items() if v != []}
    if isinstance(js, dict) and isinstance(xm, list) and len(xm) == 1:
        xm = xm[0]
    if isinstance(js, dict) and isinstance(xm, dict):
        return set(js) == set(xm) and all(same(js[k], xm[k]) for k in js)
    if isinstance(js, list) and isinstance(xm, list):
        return len(js) == len(xm) and all(same(a, b) for a, b in zip(js, xm))
    if isinstance(js, float) or isinstance(xm, float):
        try:
            return abs(float(js) - float(xm)) < 1e-6
        except (TypeError, ValueError):
            return False
    if isinstance(js, str) and not isinstance(xm, str):
        return js == str(xm) or _scalar(js) == xm
    return js == xm


def error_code(env):
    return env.get("error", {}).get("code") if isinstance(env, dict) and isinstance(env.get("error"), dict) \
        else (env["error"][0]["code"] if isinstance(env, dict) and env.get("error") else None)
