"""Unit tests in host_tests/dual/u_*.py, each run under CPython and MicroPython."""
import importlib
import sys

import pytest

from both import DUAL, run_all_mpy

sys.path.insert(0, str(DUAL))
MODULES = sorted(p.stem for p in DUAL.glob("u_*.py"))


def _cases():
    for m in MODULES:
        mod = importlib.import_module(m)
        for name in sorted(dir(mod)):
            if name.startswith("test_"):
                yield m, name


CASES = list(_cases())
_mpy_results = {}


@pytest.mark.parametrize("module,name", CASES, ids=["%s.%s" % c for c in CASES])
def test_cpython(module, name):
    getattr(importlib.import_module(module), name)()


@pytest.mark.parametrize("module,name", CASES, ids=["%s.%s" % c for c in CASES])
def test_micropython(module, name):
    if module not in _mpy_results:
        _mpy_results[module] = run_all_mpy(module)
    res, out = _mpy_results[module]
    assert name in res, "not run under micropython:\n" + out[-2000:]
    assert res[name] is None, res[name] + "\n" + out[-3000:]
