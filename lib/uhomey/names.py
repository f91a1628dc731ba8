# Devices by exact name: confirmed once per boot, cached across boots in the
# store. A lookup module: unloaded after each use (homey.LOOKUP).
from .devices import fetch, learn, scan
from .errors import HomeyError, NotFound

MAX_NAMES = 64


def resolve(h, name):
    """Device id for an exact name."""
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
        from . import log

        log.info("device %r was renamed or removed; looking it up again", name)
    hits = []
    scan(h, lambda d: hits.append(d) if d.get("name") == name else None)
    if not hits:
        forget(h, name)
        raise NotFound("no device named \"%s\" on the Homey (names match exactly); h.devices() lists them" % name)
    if len(hits) > 1:
        raise HomeyError("%d devices are named \"%s\": use the id of the one you mean (%s)"
                         % (len(hits), name, ", ".join([d["id"] for d in hits])))
    d = hits[0]
    learn(h, d)
    did = h._checked[name] = d["id"]
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
