# Hold-to-dim (h.dim_step). Stays loaded once used: a held button repeats it.
from .check import number
from .errors import NotFound, Rejected, fault


def _known(h, did, cap):
    hit = h._fresh(did, cap)
    return hit[0] if hit else h._read(did, cap)


def dim_step(h, device, delta, capability="dim"):
    """Move dim by delta, clamped to 0..1; dimming up from off turns the device on, starting
    from dark. Returns the new level."""
    return h._retry_renamed(device, lambda did: _step(h, did, delta, capability))


def _step(h, did, delta, cap):
    if not number(delta):
        raise fault(Rejected, 30, delta)  # dim_step takes a number such as 0.1 or -0.1, not %r
    cur = _known(h, did, cap)
    if not number(cur):
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
