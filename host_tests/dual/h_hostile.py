# Drives uhomey's public API against a hostile server (CPython and MicroPython):
# connect, then calls, each timed, and ANY exception recorded by its class, so a
# test can tell a HomeyError from a raw one that escaped.
import uhomey
from dutil import plain
from uhomey.compat import ticks_diff, ticks_ms


def outcome(fn, *args):
    """{"ok": v} | {"error": HomeyError subclass, "msg", "status"} | {"raw": other class, "msg"},
    with "ms", the call's wall time."""
    t0 = ticks_ms()
    try:
        r = {"ok": plain(fn(*args))}
    except uhomey.HomeyError as e:
        r = {"error": e.__class__.__name__, "msg": str(e), "status": getattr(e, "status", None)}
    except Exception as e:  # noqa: BLE001 - what escapes is the finding
        r = {"raw": e.__class__.__name__, "msg": str(e)[:300]}
    r["ms"] = ticks_diff(ticks_ms(), t0)
    return r


def session(cfg_path, ops, eager=True):
    """ops: [[method, arg, ...], ...] on the Homey session.
    Returns {"connect": outcome of uhomey.connect, "results": [outcome], "logs": [...]}."""
    from uhomey import log

    logs = []
    log.sink = lambda level, msg: logs.append(msg)
    held = []

    def connect():
        held.append(uhomey.connect(cfg_path, eager))
        return True

    out = {"connect": outcome(connect), "results": [], "logs": logs}
    if not held:
        return out
    h = held[0]
    for op in ops:
        out["results"].append(outcome(getattr(h, op[0]), *op[1:]))
    h.close()
    return out
