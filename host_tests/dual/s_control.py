# Drives the control API (CPython and MicroPython): connect, then calls, with
# the number of HTTP requests each call made, so a test can slice the
# simulator's request log per call and check what a single press costs.
import gc

import uhomey
from dutil import plain as _plain
from dutil import start

try:
    _mem_alloc = gc.mem_alloc  # MicroPython only
except AttributeError:
    _mem_alloc = None


def _mem():
    if _mem_alloc is None:
        return None
    gc.collect()
    return _mem_alloc()


def _touch(path):
    with open(path, "w") as f:
        f.write("1")


def _wait_file(path, timeout_ms):
    import os

    from uhomey.compat import sleep_ms

    for _ in range(timeout_ms // 10 + 1):
        try:
            os.stat(path)
            return
        except OSError:
            sleep_ms(10)
    raise OSError("timed out waiting for " + path)


def session(cfg_path, ops, eager=True):
    """ops: [[method, arg, ...], ...]; ["sleep", ms] waits and ["pause", ready, go, ms]
    writes file `ready` then waits for file `go` (neither is a call, nor has a result).

    Returns {"boot": requests made by connect, "results": [{"ok": v, "n": k} |
    {"error": cls, "msg": m, "n": k}], "mem": [heap in use after each call
    (MicroPython) or None], "connects": TCP connections made, "logs": [...]}"""
    h, logs = start(cfg_path, eager)
    if h is None:
        return logs
    http = h.http
    boot = http.requests
    results = []
    mem = []
    for op in ops:
        name = op[0]
        if name == "sleep":
            from uhomey.compat import sleep_ms

            sleep_ms(op[1])
            continue
        if name == "pause":  # ["pause", ready_path, go_path, timeout_ms]: let the test change the home
            _touch(op[1])
            _wait_file(op[2], op[3])
            continue
        before = http.requests
        try:
            r = {"ok": _plain(getattr(h, name)(*op[1:]))}
        except uhomey.HomeyError as e:
            r = {"error": e.__class__.__name__, "msg": str(e)}
        r["n"] = http.requests - before
        results.append(r)
        mem.append(_mem())
    out = {"boot": boot, "results": results, "mem": mem, "connects": http.connects, "logs": logs}
    h.close()
    return out
