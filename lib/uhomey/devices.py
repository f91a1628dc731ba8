# Device objects off the Homey's answers: one device (GET devices/device/<id>, which
# confirms a cached name and brings its values: resolve, the name check of a warm
# boot) or the whole list (devlist.py). One flat pass over the bytes (jbytes.py)
# keeps only the fields asked for, so memory stays flat whatever the Homey sends.
# A lookup module: unloaded after each use (calls.lookup). Compiled on every boot
# that presses by name, so it stays small and reuses names the firmware holds.
from .errors import NotFound, ProtocolError
from .jbytes import Bytes


def parse(h, path, what, fn, top, names):
    """GET path; fn(device) for each object at depth `top` (1: the answer is one device,
    2: {id: device}): a dict of the fields in `names`, and "caps": {cap: {type, setable,
    min, max, value}} from its capabilitiesObj (None without one)."""
    r = h.call("GET", path, what=what)
    try:
        if not r.is_json():
            r.json()  # raises the content-type error
        stream = Bytes(r, what)
        keys = []  # per open container: the key it sits under; None for an array
        key = ""  # the key of the value that comes next; None: the next string is a key
        d = cap = None  # the device, the capability being read
        while True:
            s = stream.read()
            n = len(keys)
            if s == 123 or s == 91:  # { [
                keys.append(key if s == 123 else None)
                if s == 91:
                    pass
                elif n + 1 == top:
                    d = {"caps": None, "id": key or None}  # the list's key, unless the object says
                elif d and n == top and key == "capabilitiesObj":
                    d["caps"] = {}
                elif d and n == top + 1 and keys[top] == "capabilitiesObj" and d["caps"] is not None:
                    cap = d["caps"][key] = {}
                key = None if s == 123 else ""
                continue
            if s == 125 or s == 93:  # } ]
                if not n:
                    raise ProtocolError("%s: the answer is not valid JSON" % what)
                if n == top and d:
                    fn(d)
                    d = None
                elif n == top + 2:
                    cap = None
                keys.pop()
                if n == 1:
                    return
                continue
            if s == 44:  # ,
                key = None if n and keys[-1] is not None else ""
                continue
            if s == 58 or s in b" \t\r\n":  # : or whitespace
                continue
            if key is None:
                key = stream.value(s, 200) or ""
                continue
            n = 200 if d and n == top and key in names else \
                64 if cap is not None and n == top + 2 and key in ("type", "setable", "min", "max", "value") else -1
            s = stream.value(s, n)
            if n > 0:
                (cap if n == 64 else d)[key] = s
            if not keys:
                return
    finally:
        r.close()


def read(h, did):
    """One device (API v2 has no per-capability GET). NotFound if it is gone."""
    d = []
    parse(h, "devices/device/%s" % did, "reading device %s" % did, d.append, 1, ("id", "name"))
    if not d:
        raise ProtocolError("reading device %s: the answer is not an object" % did)
    d = d[0]
    d["id"] = d["id"] or did
    return d


def resolve(h, name):
    """Device id for an exact name: the id cached in the store, confirmed by one read of
    that device (which brings its values too); names.py scans the list when it fails."""
    did = (h.store.get("names") or {}).get(name)
    if did:
        try:
            d = read(h, did)
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
    if d["caps"] is None:
        return
    for key in d["caps"]:
        cap = d["caps"][key]
        if "value" in cap:
            h._remember(d["id"], key, cap.pop("value"))
    if len(h._meta) >= 16 and d["id"] not in h._meta:
        h._meta.clear()
    h._meta[d["id"]] = d["caps"]
