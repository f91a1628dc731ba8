"""The firmware's hardware layer (hw_esp32 with boot_guard, hw_linux) under CPython and
MicroPython: the test functions live in host_tests/dual/fw_hw_*.py, run against the
fakes in host_tests/fakes/ (fake ESP32 modules) and a fake sysfs / gpio chardev."""
import importlib
import sys

import pytest

from both import DUAL, run_all_mpy

sys.path.insert(0, str(DUAL))
MODULES = ("fw_hw_esp32", "fw_hw_linux")


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


@pytest.mark.parametrize("module,name", [c for c in CASES if not c[1].endswith("_cpython_only")],
                         ids=["%s.%s" % c for c in CASES if not c[1].endswith("_cpython_only")])
def test_micropython(module, name):
    if module not in _mpy_results:
        _mpy_results[module] = run_all_mpy(module)
    res, out = _mpy_results[module]
    assert name in res, "not run under micropython:\n" + out[-2000:]
    assert res[name] is None, res[name] + "\n" + out[-3000:]
