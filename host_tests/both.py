"""Run the same MicroPython-compatible code under CPython and the unix port.

Modules in host_tests/dual/ are plain Python that both interpreters can run
(no pytest, no CPython-only imports). `call(interp, module, func, *args)`
runs module.func(*args) in-process under CPython, or in a fresh `micropython`
process, and returns {"ok": result} or {"error": class name, "msg": text},
plus "out": everything the code printed (logs included).
"""
import importlib
import io
import json
import sys
import traceback
from contextlib import redirect_stdout
from pathlib import Path

from mpyrun import run_mpy

HERE = Path(__file__).resolve().parent
DUAL = HERE / "dual"
INTERPS = ("cpython", "mpy")
MARK = "@@RESULT@@"

_DRIVER = """
import sys, json
sys.path.insert(0, %(dual)r)
import %(mod)s as m
args = json.loads(%(args)r)
try:
    r = {"ok": getattr(m, %(fn)r)(*args)}
except Exception as e:
    sys.print_exception(e)
    r = {"error": e.__class__.__name__, "msg": str(e)}
print(%(mark)r + json.dumps(r))
"""


def _reset_uhomey():
    """A fresh uhomey (and fresh dual modules bound to it), as a new process would have."""
    for name, mod in list(sys.modules.items()):
        f = str(getattr(mod, "__file__", "") or "")
        # wallbutton imports uhomey: a kept copy would raise the old uhomey's error classes
        if name.split(".")[0] in ("uhomey", "wallbutton") or f.startswith(str(DUAL)):
            del sys.modules[name]


def call(interp, module, func, *args, heapsize=None, timeout=60, path=()):
    if str(DUAL) not in sys.path:
        sys.path.insert(0, str(DUAL))
    if interp == "cpython":
        _reset_uhomey()
        mod = importlib.import_module(module)
        buf = io.StringIO()
        with redirect_stdout(buf):
            try:
                res = {"ok": getattr(mod, func)(*args)}
            except Exception as e:  # noqa: BLE001 - reported like the MicroPython side
                traceback.print_exc(file=buf)
                res = {"error": e.__class__.__name__, "msg": str(e)}
        res["out"] = buf.getvalue()
        # the same JSON round trip as the MicroPython side, so results compare alike
        return json.loads(json.dumps(res))
    code = _DRIVER % {"dual": str(DUAL), "mod": module, "fn": func, "args": json.dumps(list(args)), "mark": MARK}
    r = run_mpy(code, heapsize=heapsize, timeout=timeout, path=path)
    out = r.out
    i = out.rfind(MARK)
    if i < 0:
        return {"error": "Crash", "msg": "rc=%s\n%s\n%s" % (r.rc, out[-3000:], r.err[-3000:]), "out": out}
    res = json.loads(out[i + len(MARK):].strip().splitlines()[0])
    res["out"] = out[:i] + r.err
    return res


def ok(res):
    """The result of a call that must succeed (shows the error and output otherwise)."""
    assert "error" not in res, "%s: %s\n%s" % (res.get("error"), res.get("msg"), res.get("out", "")[-3000:])
    return res["ok"]


def err(res, cls):
    """The message of a call that must fail with uhomey error class `cls` (a name)."""
    assert res.get("error") == cls, "expected %s, got %r" % (cls, res)
    return res["msg"]


_ALL_DRIVER = """
import sys, json
sys.path.insert(0, %(dual)r)
import %(mod)s as m
res = {}
for name in sorted(dir(m)):
    if name.startswith("test_"):
        try:
            getattr(m, name)()
            res[name] = None
        except Exception as e:
            sys.print_exception(e)
            res[name] = "%%s: %%s" %% (e.__class__.__name__, e)
print(%(mark)r + json.dumps(res))
"""


def run_all_mpy(module, timeout=120):
    """Every test_* function of a dual module in one micropython process: {name: None or error}."""
    code = _ALL_DRIVER % {"dual": str(DUAL), "mod": module, "mark": MARK}
    r = run_mpy(code, timeout=timeout)
    i = r.out.rfind(MARK)
    if i < 0:
        raise AssertionError("micropython crashed running %s: rc=%s\n%s\n%s" % (module, r.rc, r.out[-3000:], r.err[-3000:]))
    res = json.loads(r.out[i + len(MARK):].strip().splitlines()[0])
    return res, r.out[:i] + r.err
