# Flows and logic variables by name: their lists read from the Homey in one
# flat pass (jwalk.py), and the name caches in the store. A lookup module:
# unloaded after each use (lookup.lookup); flows.py and variables.py hold the
# press path.
from .errors import HomeyError, NotFound, fault
from .jwalk import walk

KINDS = ("flow", "advancedflow")
_KEYS = ("id", "name", "type", "value")
MAX_CACHED = 32


def cache(h, key, name, entry):
    """Store (or with None, drop) the cache entry of name under key ("flows" or "vars")."""
    c = dict(h.store.get(key) or {})
    if entry is None:
        if name not in c:
            return
        del c[name]
    else:
        if len(c) >= MAX_CACHED:
            c = {}
        c[name] = entry
    try:
        h.store.update(**{key: c})
    except HomeyError as e:
        from . import log

        log.warning("%s", e)


def _one(h, key, hits, what, name):
    if not hits:
        cache(h, key, name, None)
        raise fault(NotFound, 50, what, name)  # no %s named "%s" on the Homey (names match exactly)
    if len(hits) > 1:
        raise fault(HomeyError, 51, len(hits), what, name, ", ".join([x[1] for x in hits]))
    return hits[0]


def each(h, path, what, visit):
    """visit(id, fields) for every object of GET path ({id: object}), fields from _KEYS."""
    r = h.call("GET", path, what=what)
    walk(r, what, lambda d: visit(d["id"], d), 2, _KEYS)


def _flows(h, visit):
    for kind in KINDS:
        each(h, "flow/%s/" % kind, "listing the Homey's %ss" % kind, lambda fid, item: visit(kind, fid, item))


def find_flow(h, name):
    """(kind, id) of the flow named exactly `name`, cached."""
    hits = []
    _flows(h, lambda kind, fid, item: hits.append((kind, fid)) if item.get("name") == name else None)
    kind, fid = _one(h, "flows", hits, "flow", name)
    cache(h, "flows", name, [kind, fid])
    return kind, fid


def flows(h):
    out = []
    _flows(h, lambda kind, fid, item: out.append((fid, item.get("name"), kind)))
    return out


def find_var(h, name):
    """(id, type, value) of the logic variable named exactly `name`, cached."""
    hits = []
    each(h, "logic/variable/", "listing the Homey's logic variables",
         lambda vid, item: hits.append((item, vid)) if item.get("name") == name else None)
    item, vid = _one(h, "vars", hits, "variable", name)
    cache(h, "vars", name, [vid, item.get("type")])
    return vid, item.get("type"), item.get("value")
