# Drives a whole uhomey session: connect, then a list of calls (CPython and MicroPython).
import uhomey
from dutil import plain as _plain
from dutil import start


def session(cfg_path, ops, eager=True, debug=False):
    """ops: [[method, arg, ...], ...] on the Homey session; ["sleep", ms] waits.
    Returns {"results": [{"ok": v} | {"error": cls, "msg": m}], "stats": {...}, "logs": [...]}"""
    h, logs = start(cfg_path, eager, debug, echo=True)
    if h is None:
        return logs
    results = []
    for op in ops:
        name = op[0]
        if name == "sleep":
            from uhomey.compat import sleep_ms

            sleep_ms(op[1])
            continue
        if name == "attr":  # ["attr", "auth.homey_id"]: read state, e.g. the Homey chosen
            v = h
            for part in op[1].split("."):
                v = getattr(v, part)
            results.append({"ok": _plain(v)})
            continue
        try:
            results.append({"ok": _plain(getattr(h, name)(*op[1:]))})
        except uhomey.HomeyError as e:
            results.append({"error": e.__class__.__name__, "msg": str(e)})
    http = h.http
    stats = {"requests": http.requests, "connects": http.connects, "handshakes": http.handshakes,
             "retries": http.retries}
    h.close()
    return {"results": results, "stats": stats, "logs": logs}
