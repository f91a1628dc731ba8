# Logic variables: h.variable / h.set_variable by id or exact name. A name's
# [id, type] is cached in the store; finding it is lists.py's (unloaded after).
from . import log
from .errors import NotFound, Rejected, fault
from .lookup import is_uuid, lookup


def _get(h, vid):
    r = h.call("GET", "logic/variable/%s" % vid, what="reading variable %s" % vid)
    v = r.json(4096)
    if not isinstance(v, dict):
        raise fault(Rejected, 70, vid)  # variable %s: the Homey's answer is not an object
    return v


def _find(h, name, need_value):
    """(id, type, value or None). By id: one GET. By name: the cache, else a scan."""
    if is_uuid(name):
        v = _get(h, name)
        return name, v.get("type"), v.get("value")
    hit = (h.store.get("vars") or {}).get(name)
    if hit:
        try:
            if not need_value:
                return hit[0], hit[1], None
            v = _get(h, hit[0])
            if v.get("name") == name:
                return hit[0], v.get("type"), v.get("value")
        except NotFound:
            pass
        log.info("variable %r was renamed or removed; looking it up again", name)
    return lookup("lists", "find_var", h, name)


def variable(h, name):
    return _find(h, name, True)[2]


def set_variable(h, name, value):
    import json

    vid, kind, _ = _find(h, name, False)
    ok = {
        "boolean": isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
        "string": isinstance(value, str),
    }.get(kind, True)
    if not ok:
        raise fault(Rejected, 71, name, kind, value)  # variable %r is a %s; %r does not fit
    # The body IS the variable: a real Homey answers a {"variable": {...}} wrapper 200 and changes nothing
    body = '{"value":%s}' % json.dumps(value)
    try:
        r = h.call("PUT", "logic/variable/%s" % vid, body, what="setting variable %r" % name)
    except NotFound:
        if is_uuid(name):
            raise
        vid = lookup("lists", "find_var", h, name)[0]
        r = h.call("PUT", "logic/variable/%s" % vid, body, what="setting variable %r" % name)
    h._ok(r)
    return value
