# Devices by exact name: confirmed once per boot (one GET of the cached id, in
# devices.resolve), cached across boots in the store; a scan of the whole list
# (devlist.py), here, only when the name is new or moved. A lookup module:
# unloaded after each use. Also the API v2 read of a capability (read_v2).
from .devices import learn
from .errors import HomeyError, NotFound, fault

MAX_NAMES = 64


def scan(h, name, cached=None):
    """Device id for an exact name that is new, or whose cached id (devices.resolve) failed."""
    from .devlist import find

    hits = find(h, name)
    if not hits:
        forget(h, name)
        raise fault(NotFound, 55, name)  # no device named "%s" on the Homey (names match exactly);...
    if len(hits) > 1:
        n = len(hits)
        hits = [x["id"] for x in hits]
        hits = ", ".join(hits)
        raise fault(HomeyError, 56, n, name, hits)
    d = hits[0]
    learn(h, d)
    did = h._checked[name] = d["id"]
    if did != cached:
        names = dict(h.store.get("names") or {})
        if len(names) >= MAX_NAMES:
            names = {}
        names[name] = did
        _save(h, names)
    return did


def forget(h, name):
    """A name whose id stopped working: the next resolve scans again."""
    h._checked.pop(name, None)
    names = h.store.get("names") or {}
    if name in names:
        names = dict(names)
        del names[name]
        _save(h, names)


def forget_all(h):
    """Drop every cached name, id and value (h.forget)."""
    h._last.clear()
    h._meta.clear()
    h._checked.clear()
    h.store.update(names=None, flows=None, vars=None)


def _save(h, names):
    try:
        h.store.update(names=names)
    except HomeyError as e:
        from . import log

        log.warning("%s", e)


def read_v2(h, did, cap):
    """A capability's value on API v2, which has no per-capability GET: the device is read."""
    from .devices import read

    d = read(h, did)
    learn(h, d)
    caps = d["caps"] or {}
    if cap not in caps:
        from .check import lacks

        raise lacks(did, cap, caps)
    hit = h._last.get((did, cap))
    return hit[0] if hit else None
