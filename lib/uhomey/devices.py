# Devices by name, capability metadata and value checks. The device list is
# streamed through JsonScanner and only the device asked for is kept, so the
# memory needed does not grow with the size of the home.
from . import log
from .errors import HomeyError, NotFound, Rejected
from .jscan import TOO_LONG, JsonScanner

_DEVICE_KEYS = ("id", "name", "zone", "zoneName", "class")
_CAP_KEYS = ("type", "setable", "min", "max", "value", "units")
MAX_NAMES = 64


def _device(sc, caps):
    """One device object off the stream: {id, name, zone, zoneName, class, caps: {cap: {...}} or None}."""
    d = {"caps": None}
    for k in sc.keys():
        if k in _DEVICE_KEYS:
            v = sc.value(200)
            d[k] = None if v is TOO_LONG else v
        elif caps and k == "capabilitiesObj" and sc.peek() == 123:
            cobj = {}
            for cap in sc.keys():
                if sc.peek() != 123:
                    sc.skip()
                    continue
                m = {}
                for mk in sc.keys():
                    if mk in _CAP_KEYS:
                        v = sc.value(64)
                        m[mk] = None if v is TOO_LONG else v
                    else:
                        sc.skip()
                cobj[cap] = m
            d["caps"] = cobj
        else:
            sc.skip()
    return d


def scan(h, visit, caps=True):
    """Stream GET devices/device/ and call visit(device) for each one."""
    r = h.call("GET", "devices/device/", what="listing the Homey's devices")
    if not r.is_json():
        r.json()  # raises the content-type error
    sc = JsonScanner(r.readinto, 512, "the Homey's device list")
    try:
        for did in sc.keys():
            if sc.peek() != 123:
                sc.skip()
                continue
            d = _device(sc, caps)
            if not d.get("id"):
                d["id"] = did
            visit(d)
    finally:
        r.close()


def fetch(h, did):
    """One device object, streamed (API v2 has no per-capability GET). NotFound if it is gone."""
    r = h.call("GET", "devices/device/%s" % did, what="reading device %s" % did)
    if not r.is_json():
        r.json()
    try:
        d = _device(JsonScanner(r.readinto, 256, "device %s" % did), True)
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
    meta = {}
    for cap in caps:
        m = caps[cap]
        if "value" in m:
            h._remember(did, cap, m.pop("value"))
        meta[cap] = m
    if len(h._meta) >= 16 and did not in h._meta:
        h._meta.clear()
    h._meta[did] = meta


def resolve(h, name):
    """Device id for an exact name: confirmed once per boot, cached across boots."""
    did = h._checked.get(name)
    if did:
        return did
    cached = (h.store.get("names") or {}).get(name)
    if cached:
        try:
            d = fetch(h, cached)
        except NotFound:
            d = None
        if d is not None and d.get("name") == name:
            learn(h, d)
            h._checked[name] = cached
            return cached
        log.info("device %r was renamed or removed; looking it up again", name)
    return _lookup(h, name)


def _lookup(h, name):
    hits = []

    def visit(d):
        if d.get("name") == name:
            hits.append(d)

    scan(h, visit)
    if not hits:
        _drop(h, name)
        raise NotFound("no device named \"%s\" on the Homey (names match exactly); h.devices() lists them" % name)
    if len(hits) > 1:
        raise HomeyError("%d devices are named \"%s\": use the id of the one you mean (%s)"
                         % (len(hits), name, ", ".join(d["id"] for d in hits)))
    d = hits[0]
    learn(h, d)
    did = d["id"]
    h._checked[name] = did
    names = dict(h.store.get("names") or {})
    if len(names) >= MAX_NAMES:
        names = {}
    names[name] = did
    try:
        h.store.update(names=names)
    except HomeyError as e:
        log.warning("%s", e)
    return did


def _drop(h, name):
    h._checked.pop(name, None)
    names = h.store.get("names") or {}
    if name in names:
        names = dict(names)
        del names[name]
        try:
            h.store.update(names=names)
        except HomeyError as e:
            log.warning("%s", e)


def forget(h, name):
    """A name whose id stopped working: the next resolve scans again."""
    _drop(h, name)


def read_v2(h, did, cap):
    d = fetch(h, did)
    learn(h, d)
    caps = d.get("caps") or {}
    if cap not in caps:
        raise NotFound("device %s has no capability %r (it has: %s)" % (did, cap, ", ".join(caps) or "none"))
    hit = h._last.get((did, cap))
    return hit[0] if hit else None


def _number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def check_value(h, did, cap, value):
    """Refuse what the Homey would refuse, before a request is spent on it."""
    meta = h._meta.get(did)
    m = None
    if meta is not None:
        m = meta.get(cap)
        if m is None:
            raise NotFound("device %s has no capability %r (it has: %s)" % (did, cap, ", ".join(meta) or "none"))
        if m.get("setable") is False:
            raise Rejected("%s of device %s is read-only" % (cap, did))
        kind = m.get("type")
    else:
        kind = {"onoff": "boolean", "dim": "number"}.get(cap)
        if cap == "dim":
            m = {"min": 0, "max": 1}
    if kind == "boolean" and not isinstance(value, bool):
        raise Rejected("%s takes true or false, not %r" % (cap, value))
    if kind == "number":
        if not _number(value):
            raise Rejected("%s takes a number, not %r" % (cap, value))
        lo = m.get("min") if m else None
        hi = m.get("max") if m else None
        if (_number(lo) and value < lo) or (_number(hi) and value > hi):
            raise Rejected("%s must be between %s and %s, not %r" % (cap, lo, hi, value))
    if kind in ("string", "enum") and not isinstance(value, str):
        raise Rejected("%s takes text, not %r" % (cap, value))


def _known(h, did, cap):
    hit = h._fresh(did, cap)
    return hit[0] if hit else h._read(did, cap)


def dim_step(h, did, delta, cap):
    if not _number(delta):
        raise Rejected("dim_step takes a number such as 0.1 or -0.1, not %r" % (delta,))
    cur = _known(h, did, cap)
    if not _number(cur):
        cur = 0
    on = None
    meta = h._meta.get(did)
    if delta > 0 and (meta is None or "onoff" in meta):
        try:
            on = _known(h, did, "onoff")
        except NotFound:
            on = None
        if on is False:
            cur = 0
    new = cur + delta
    new = 0.0 if new < 0 else 1.0 if new > 1 else round(new, 3)
    h._write(did, cap, new)
    if on is False and new > 0:
        h._write(did, "onoff", True)
    if new == 0:
        h._last.pop((did, "onoff"), None)  # many drivers switch off at 0
    return new


def listing(h, match=None):
    out = []
    if match is not None:
        match = str(match).lower()

    def visit(d):
        name = d.get("name")
        if match is None or match in str(name).lower():
            out.append((d["id"], name, d.get("zoneName") or d.get("zone"), d.get("class")))

    try:
        scan(h, visit, caps=False)
    except MemoryError:
        n = len(out)
        out = None
        raise HomeyError("the list of devices does not fit in RAM (%d read so far): narrow it down, "
                         "e.g. h.devices(\"kitchen\")" % n)
    return out
