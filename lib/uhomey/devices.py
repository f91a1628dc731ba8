# Device objects off the Homey's answers: one device (GET devices/device/<id>, which
# confirms a cached name and brings its values: resolve, the name check of a warm
# boot) or the whole list (devlist.py), each read in one flat pass (jwalk.py).
# A lookup module: unloaded after each use (lookup.lookup). Compiled on every boot
# that presses by name, so it stays small and reuses names the firmware holds.
from .errors import NotFound, ProtocolError, fault
from .jwalk import walk


def read(h, did):
    """One device (API v2 has no per-capability GET). NotFound if it is gone."""
    d = []
    what = "reading device %s" % did
    walk(h.call("GET", "devices/device/%s" % did, what=what), what, d.append, 1, ("id", "name"))
    if not d:
        raise fault(ProtocolError, 28, did)  # reading device %s: the answer is not an object
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
