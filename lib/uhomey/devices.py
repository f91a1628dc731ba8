# Device objects off the Homey's answers: one device (GET devices/device/<id>, which
# confirms a cached name and brings its values) or the whole list (devlist.py), and
# the name check of a warm boot (resolve; a new or moved name is names.py's).
# One flat walk over the bytes through a small buffer keeps only the fields uhomey
# uses, so memory stays flat whatever the Homey sends, and this one small module
# is all a warm boot's name check compiles (jscan.py is for flows and variables).
# A lookup module: unloaded after each use (calls.LOOKUP).
from .errors import NotFound, ProtocolError
from .jbytes import Bytes

_TOP = ("id", "name", "zone", "zoneName", "class")
_CAP = ("type", "setable", "min", "max", "value")
_WS = b" \t\r\n"


def walk(h, path, what, label, visit, top, caps=True):
    """GET path; visit(device) for each object at depth `top` (1: the answer is one device,
    2: {id: device}), a dict of _TOP's fields and "caps": {cap: {_CAP's fields}} (None without caps).
    `what` names the request in errors, `label` the answer."""
    r = h.call("GET", path, what=what)
    try:
        if not r.is_json():
            r.json()  # raises the content-type error
        w = Bytes(r, label)
        keys = []  # per open container: the key it sits under; None for an array
        key = ""  # the key of the value that comes next
        expect = False  # the next string is a key
        d = c = None  # the device and the capability being read
        while True:
            b = w._raw()
            n = len(keys)
            if b == 123 or b == 91:  # { [
                keys.append(key if b == 123 else None)
                expect = b == 123
                if not expect:
                    pass
                elif n + 1 == top:
                    d = {"caps": None, "id": key or None}  # the list's key, unless the object says
                elif d and caps and n == top and key == "capabilitiesObj":
                    d["caps"] = {}
                elif d and n == top + 1 and keys[top] == "capabilitiesObj" and d["caps"] is not None:
                    c = d["caps"][key] = {}
                continue
            if b == 125 or b == 93:  # } ]
                if not n:
                    raise w._bad("unexpected %r" % chr(b))
                if n == top and d:
                    visit(d)
                    d = None
                elif n == top + 2:
                    c = None
                keys.pop()
                if n == 1:
                    return
                continue
            if b == 44:  # ,
                expect = n and keys[-1] is not None
                continue
            if b == 58 or b in _WS:  # : or whitespace
                continue
            keep = -1
            if expect or (d and n == top and key in _TOP):
                keep = 200
            elif c is not None and n == top + 2 and key in _CAP:
                keep = 64
            v = w.text(keep) if b == 34 else w.word(keep >= 0)
            if expect:
                key = v or ""
                expect = False
            elif keep >= 0:
                (d if n == top else c)[key] = v
            if not n:
                return
    finally:
        r.close()


def fetch(h, did):
    """One device (API v2 has no per-capability GET). NotFound if it is gone."""
    got = []
    walk(h, "devices/device/%s" % did, "reading device %s" % did, "device %s" % did, got.append, 1)
    if not got:
        raise ProtocolError("device %s: the Homey's answer is not an object" % did)
    d = got[0]
    if not d.get("id"):
        d["id"] = did
    return d


def resolve(h, name):
    """Device id for an exact name: the id cached in the store, confirmed by one read of
    that device (which brings its values too); names.py scans the list when it fails."""
    did = (h.store.get("names") or {}).get(name)
    if did:
        try:
            d = fetch(h, did)
            if d.get("name") == name:
                learn(h, d)
                h._checked[name] = did
                return did
        except NotFound:
            pass
        from . import log

        log.info("device %r was renamed or removed; looking it up again", name)
    from .names import scan

    return scan(h, name, did)


def learn(h, d):
    """Keep a device's capability metadata and current values from a read of it."""
    caps = d.get("caps")
    if caps is None:
        return
    did = d["id"]
    for cap in caps:
        m = caps[cap]
        if "value" in m:
            h._remember(did, cap, m.pop("value"))
    if len(h._meta) >= 16 and did not in h._meta:
        h._meta.clear()
    h._meta[did] = caps


def read_v2(h, did, cap):
    d = fetch(h, did)
    learn(h, d)
    caps = d.get("caps") or {}
    if cap not in caps:
        from .check import lacks

        raise lacks(did, cap, caps)
    hit = h._last.get((did, cap))
    return hit[0] if hit else None
