"""The firmware app's parts (host_tests/dual/u_fw_app.py) under CPython and the MicroPython unix port."""
import importlib
import json
import sys

import pytest

from both import DUAL, MARK
from conftest import ROOT
from mpyrun import run_mpy

FIRMWARE = ROOT / "firmware"
MODULE = "u_fw_app"

_DRIVER = """
import sys, json
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


def _module():
    for p in (str(FIRMWARE), str(DUAL)):
        if p not in sys.path:
            sys.path.insert(0, p)
    return importlib.import_module(MODULE)


def _names():
    return sorted(n for n in dir(_module()) if n.startswith("test_"))


@pytest.fixture(scope="module")
def mpy_results():
    r = run_mpy(_DRIVER % {"mod": MODULE, "mark": MARK}, timeout=120, path=(FIRMWARE, DUAL))
    i = r.out.rfind(MARK)
    assert i >= 0, "micropython crashed: rc=%s\n%s\n%s" % (r.rc, r.out[-3000:], r.err[-3000:])
    return json.loads(r.out[i + len(MARK):].strip().splitlines()[0]), r.out[:i] + r.err


@pytest.mark.parametrize("name", _names())
def test_cpython(name):
    getattr(_module(), name)()


@pytest.mark.parametrize("name", _names())
def test_micropython(name, mpy_results):
    res, out = mpy_results
    assert name in res, out[-3000:]
    assert res[name] is None, "%s\n%s" % (res[name], out[-3000:])
