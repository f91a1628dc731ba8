# Refuse what the Homey would refuse, before a request is spent on it. On the
# press path (every write), so it stays loaded once used.
from .errors import NotFound, Rejected, fault


def number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def lacks(did, cap, meta):
    return fault(NotFound, 2, did, cap, ", ".join(meta) or "none")  # device %s has no capability %r (it...


def check_value(h, did, cap, value):
    meta = h._meta.get(did)
    m = None
    if meta is not None:
        m = meta.get(cap)
        if m is None:
            raise lacks(did, cap, meta)
        if m.get("setable") is False:
            raise fault(Rejected, 3, cap, did)  # %s of device %s is read-only
        kind = m.get("type")
    elif cap == "dim":
        kind, m = "number", {"min": 0, "max": 1}
    else:
        kind = "boolean" if cap == "onoff" else None
    if kind == "boolean" and not isinstance(value, bool):
        raise fault(Rejected, 4, cap, value)  # %s takes true or false, not %r
    if kind == "number":
        if not number(value):
            raise fault(Rejected, 5, cap, value)  # %s takes a number, not %r
        lo = m.get("min") if m else None
        hi = m.get("max") if m else None
        if (number(lo) and value < lo) or (number(hi) and value > hi):
            raise fault(Rejected, 6, cap, lo, hi, value)  # %s must be between %s and %s, not %r
    if kind in ("string", "enum") and not isinstance(value, str):
        raise fault(Rejected, 7, cap, value)  # %s takes text, not %r
