# Devices by exact name, and the device list. A name is confirmed once per boot
# by one GET of its cached id (which brings the device's values too); the
# whole list (about 2 MB for 1000 devices, streamed through jwalk.py) is read
# only when a name is new or moved, or for h.devices(). Loaded per lookup and
# dropped after (homey.py runs it through run_and_unload).
from . import log
from .compat import const
from .errors import HomeyError, NotFound, ProtocolError
from .jwalk import walk

_MAX_NAMES = const(64)  # names cached in the store; past this the cache starts over
_MAX_DEVICES_KNOWN = const(16)  # devices whose capabilities are kept in RAM
_LIST_FIELDS = ("id", "name", "zone", "zoneName", "class")


def resolve(h, name):
    """Device id for an exact name: the id cached in the store, confirmed by one read of that
    device; a scan of the whole list when that fails."""
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
        log.info("device %r was renamed or removed; looking it up again", name)
    return scan(h, name, did)


def scan(h, name, cached=None):
    """Device id for an exact name that is new, or whose cached id failed: the list is read."""
    hits = []
    each(h, lambda d: hits.append(d) if d.get("name") == name else None)
    if not hits:
        forget(h, name)
        raise NotFound.of("no_device", name)
    if len(hits) > 1:
        raise HomeyError.of("several_devices", len(hits), name, ", ".join([x["id"] for x in hits]))
    d = hits[0]
    learn(h, d)
    did = h._checked[name] = d["id"]
    if did != cached:
        names = dict(h.store.get("names") or {})
        if len(names) >= _MAX_NAMES:
            names = {}
        names[name] = did
        h._save(names=names)
    return did


def forget(h, name):
    """A name whose id stopped working: the next resolve scans again."""
    h._checked.pop(name, None)
    names = h.store.get("names") or {}
    if name in names:
        names = dict(names)
        del names[name]
        h._save(names=names)


def read(h, did):
    """One device, with its capabilities and values. NotFound if it is gone."""
    d = []
    what = "reading device %s" % did
    walk(h.call("GET", "devices/device/%s" % did, what=what), what, d.append, 1, ("id", "name"))
    if not d:
        raise ProtocolError.of("device_not_object", did)
    d = d[0]
    d["id"] = d["id"] or did
    return d


def learn(h, d):
    """Keep a device's capability metadata and current values from a read of it."""
    if d["caps"] is None:
        return
    for key in d["caps"]:
        cap = d["caps"][key]
        if "value" in cap:
            h._remember(d["id"], key, cap.pop("value"))
    if len(h._meta) >= _MAX_DEVICES_KNOWN and d["id"] not in h._meta:
        h._meta.clear()
    h._meta[d["id"]] = d["caps"]


def read_v2(h, did, cap):
    """A capability's value on API v2, which has no per-capability GET: the device is read."""
    d = read(h, did)
    learn(h, d)
    caps = d["caps"] or {}
    if cap not in caps:
        raise h._lacks(did, cap, caps)
    hit = h._last.get((did, cap))
    return hit[0] if hit else None


def each(h, visit):
    """Stream GET devices/device/ and call visit(device) for each one (each has its "id")."""
    what = "listing the Homey's devices"
    walk(h.call("GET", "devices/device/", what=what), what, visit, 2, _LIST_FIELDS)


def listing(h, match=None):
    """h.devices(match): [(id, name, zone, class)], only names containing match."""
    out = []
    if match is not None:
        match = str(match).lower()

    def visit(d):
        name = d.get("name")
        if match is None or match in str(name).lower():
            out.append((d["id"], name, d.get("zoneName") or d.get("zone"), d.get("class")))

    try:
        each(h, visit)
    except MemoryError:
        n = len(out)
        out = None  # its RAM back before the error is worded
        raise HomeyError.of("device_list_too_big", n)
    return out
