# The one place where MicroPython and CPython differ, and the one way uhomey
# drops code it no longer needs. CPython's stand-ins live in cpython.py, which
# the device never imports.
import sys

MICROPYTHON = sys.implementation.name == "micropython"

if MICROPYTHON:
    from micropython import const
    from time import sleep_ms, ticks_add, ticks_diff, ticks_ms
else:
    from .cpython import const, sleep_ms, ticks_add, ticks_diff, ticks_ms  # noqa: F401

_EPOCH_2000 = const(946684800)  # an ESP32's time.time() counts from 2000, not 1970
_SANE_TIME = const(1700000000)  # a clock before late 2023 was never set


def wall_time():
    """Seconds since the Unix epoch, or None when the clock was never set.

    An ESP32 without NTP starts in 2000; such a clock cannot judge a token's
    expiry across reboots, so callers fall back to asking the server.
    """
    import time

    t = time.time()
    if MICROPYTHON and time.gmtime(0)[0] == 2000:
        t += _EPOCH_2000
    return int(t) if t > _SANE_TIME else None


def collect():
    """A full garbage collection (MicroPython; CPython's is automatic enough)."""
    if MICROPYTHON:
        import gc

        gc.collect()


def run_and_unload(mod, fn, *args, **kw):
    """uhomey.<mod>.<fn>(*args, **kw), then every uhomey module loaded for it is dropped from
    RAM again. The lazy boundaries of the library all go through here (the error texts, the
    password login, the name lookups): a loaded module holds its code and names until then."""
    before = list(sys.modules)
    collect()  # the last call's garbage freed first: measured 12 KB less heap needed from .mpy
    try:
        m = __import__("uhomey." + mod, None, None, (fn,))
        return getattr(m, fn)(*args, **kw)
    finally:
        m = None
        pkg = sys.modules.get("uhomey")
        for name in [n for n in sys.modules if n not in before and n.startswith("uhomey.")]:
            del sys.modules[name]
            short = name[len("uhomey."):]
            if pkg is not None and short in pkg.__dict__:
                delattr(pkg, short)
