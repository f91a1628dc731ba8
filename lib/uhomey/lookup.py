# Ids or names, and `lookup`, which runs a lookup module (names, listings,
# JSON walking) and then unloads it, so the heap a press needs does not grow
# with what was looked up before. Small on purpose: every module the Homey
# layer compiles after a login must compile in a fragmented heap.
import sys

from .compat import collect, unload


def is_uuid(s):
    """A Homey device/flow id looks like a UUID; anything else is a name."""
    if not isinstance(s, str) or len(s) != 36:
        return False
    i = 0
    for c in s.encode():  # bytes: iterating a str would intern each character as a qstr
        if (c != 45) if i in (8, 13, 18, 23) else not (48 <= c <= 57 or 97 <= c | 32 <= 102):
            return False
        i += 1
    return True


def lookup(mod, fn, *args, **kw):
    """uhomey.mod.fn(*args, **kw), then every uhomey module it loaded is dropped from RAM."""
    collect()
    keys = list(sys.modules)
    try:
        m = __import__("uhomey." + mod, None, None, (fn,))
        return getattr(m, fn)(*args, **kw)
    finally:
        m = [k[7:] for k in list(sys.modules) if k not in keys and k.startswith("uhomey.")]
        unload(" ".join(m))
        keys = None
        collect()
