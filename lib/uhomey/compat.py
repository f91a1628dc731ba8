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

def collect():
    """A full garbage collection (MicroPython; CPython's is automatic enough)."""
    if MICROPYTHON:
        import gc

        gc.collect()


def run_and_unload(mod, fn, *args, **kw):
    """uhomey.<mod>.<fn>(*args, **kw), then every uhomey module loaded for it is dropped from
    RAM again. The lazy boundaries of the library all go through here (the error texts, the
    password login, the name lookups): a loaded module holds its code and names until then."""
    # Garbage is collected before the code loads and after it goes, so that what loads next
    # fills the holes instead of splitting the free space: 16 KB less heap needed from .mpy.
    before = list(sys.modules)
    collect()
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
        collect()
