# A device by its exact name, on a boot that knows the name: the id cached in
# the store is confirmed by one read of that device (which brings its values
# and capabilities too). A name that is new or moved is scanned for in the
# device list (lists.py). Loaded per lookup and dropped after (homey.py runs it
# through run_and_unload).
from .errors import NotFound, ProtocolError
from .jwalk import walk


def resolve(h, name):
    """Device id for an exact name: the cached id, confirmed; else a scan of the list."""
    did = (h.store.get("names") or {}).get(name)
    if did:
        try:
            d = read(h, did)
            if d.get("name") == name:
                h._learn(d)
                h._checked[name] = did
                return did
        except NotFound:
            pass
        from . import log

        log.info("device %r was renamed or removed; looking it up again", name)
    from .lists import find_device

    return find_device(h, name, did)


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


def read_v2(h, did, cap):
    """A capability's value on API v2, which has no per-capability GET: the device is read."""
    d = read(h, did)
    h._learn(d)
    caps = d["caps"] or {}
    if cap not in caps:
        raise h._lacks(did, cap, caps)
    hit = h._last.get((did, cap))
    return hit[0] if hit else None
