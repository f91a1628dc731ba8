# Device objects read off the Homey's stream (one device here, the whole list in devlist.py),
# keeping only the fields uhomey uses, so the memory needed does not grow with
# the size of the home. A lookup module: unloaded after each use (calls.LOOKUP).
from .stream import entries, fields, get

_DEVICE_KEYS = ("id", "name", "zone", "zoneName", "class")
_CAP_KEYS = ("type", "setable", "min", "max", "value", "units")


def _device(sc, caps):
    """One device object off the stream: {id, name, zone, zoneName, class, caps: {cap: {...}} or None}."""
    d = {"caps": None}

    def sub(k):
        if not caps or k != "capabilitiesObj" or sc.peek() != 123:
            return False
        c = d["caps"] = {}
        for cap in entries(sc):
            c[cap] = fields(sc, _CAP_KEYS, 64, {})
        return True

    return fields(sc, _DEVICE_KEYS, 200, d, sub)


def fetch(h, did):
    """One device object, streamed (API v2 has no per-capability GET). NotFound if it is gone."""
    r, sc = get(h, "devices/device/%s" % did, "reading device %s" % did, 256, "device %s" % did)
    try:
        d = _device(sc, True)
    finally:
        r.close()
    if not d.get("id"):
        d["id"] = did
    return d


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
