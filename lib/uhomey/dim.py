# Hold-to-dim (h.dim_step): one step of a held button. Loaded by the first
# step and kept: a held button repeats it every few hundred milliseconds.
from .errors import NotFound, Rejected


def _number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def step(h, did, delta, cap):
    """Move `cap` of device `did` by delta, clamped to 0..1; returns the new level."""
    if not _number(delta):
        raise Rejected.of("dim_step_not_number", delta)
    cur = h._known(did, cap)
    if not _number(cur):
        cur = 0
    on = None
    meta = h._meta.get(did)
    if delta > 0 and (meta is None or "onoff" in meta):
        try:
            on = h._known(did, "onoff")
        except NotFound:
            on = None
        if on is False:
            cur = 0  # dimming up from off starts from dark, whatever level the device kept
    new = cur + delta
    new = 0.0 if new < 0 else 1.0 if new > 1 else round(new, 3)
    h._write(did, cap, new)
    if on is False and new > 0:
        h._write(did, "onoff", True)
    if new == 0:
        h._last.pop((did, "onoff"), None)  # many drivers switch off at 0
    return new
