# The one place where MicroPython and CPython differ. CPython-only shims sit
# in _cpy.py so the device never compiles them.
import sys

MICROPYTHON = sys.implementation.name == "micropython"

if MICROPYTHON:
    from time import sleep_ms, ticks_add, ticks_diff, ticks_ms
else:
    from ._cpy import sleep_ms, ticks_add, ticks_diff, ticks_ms  # noqa: F401


def wall_time():
    """Seconds since the Unix epoch, or None when the clock was never set.

    An ESP32 without NTP starts in 2000; such a clock cannot judge a token's
    expiry across reboots, so callers fall back to asking the server.
    """
    import time

    t = time.time()
    if MICROPYTHON and time.gmtime(0)[0] == 2000:
        t += 946684800
    return int(t) if t > 1700000000 else None


def unload(names):
    """Forget the uhomey submodules named in `names` (one string, space-separated) that one
    phase used (login, discovery), freeing their RAM. One string, not a tuple of names: a
    short string constant is interned for good, a longer one is not."""
    pkg = sys.modules.get("uhomey")
    for n in names.split():
        sys.modules.pop("uhomey." + n, None)
        if pkg is not None and n in pkg.__dict__:
            delattr(pkg, n)


def collect():
    """A full collection from a shallow stack, before a compile. MicroPython's GC is
    conservative: left to run when an allocation fails deep inside an import, stale
    pointers on the stack keep garbage (an earlier compile's) alive, and a heap with
    room enough fails."""
    if MICROPYTHON:
        import gc

        gc.collect()
