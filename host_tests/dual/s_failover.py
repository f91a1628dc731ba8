# Drives a uhomey session across the Homey's addresses (CPython and MicroPython): connect with
# an injected clock, then steps; the test moves the simulator between steps through files.
import os

import uhomey
from dutil import plain
from uhomey import log
from uhomey.compat import sleep_ms, ticks_diff, ticks_ms

_AWAIT_MS = 20000  # the longest a step waits for the test's file


def _await(path):
    start = ticks_ms()
    while ticks_diff(ticks_ms(), start) < _AWAIT_MS:
        try:
            os.stat(path)
            return
        except OSError:
            sleep_ms(20)
    raise AssertionError("the test never wrote " + path)


def session(cfg_path, ops):
    """ops: ["call", method, arg...] on the session (result with its ms); ["advance", ms] moves the
    injected clock; ["url"] the stored address in use; ["touch", path] / ["await", path] signal the
    test and wait for it. Returns {"results": [...], "logs": [...]}."""
    now = [0]
    logs = []
    log.sink = lambda level, msg: logs.append(msg)
    h = uhomey.connect(cfg_path, False, lambda: now[0])
    results = []
    for op in ops:
        if op[0] == "advance":
            now[0] += op[1]
        elif op[0] == "url":
            results.append({"ok": h.store.get("homey_url")})
        elif op[0] == "touch":
            with open(op[1], "w") as f:
                f.write("1")
        elif op[0] == "await":
            _await(op[1])
        else:
            t = ticks_ms()
            try:
                res = {"ok": plain(getattr(h, op[1])(*op[2:]))}
            except uhomey.HomeyError as e:
                res = {"error": e.__class__.__name__, "msg": str(e)}
            res["ms"] = ticks_diff(ticks_ms(), t)
            results.append(res)
    h.close()
    return {"results": results, "logs": logs}
