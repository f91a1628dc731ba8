import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
for p in (ROOT / "tools", ROOT / "lib", ROOT / "host_tests"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from mpyrun import run_mpy  # noqa: E402


@pytest.fixture
def make_sim(tmp_path):
    """Factory: make_sim(**options) -> a started homeysim.Simulator; all stopped at teardown."""
    from homeysim import Simulator

    started = []

    def make(**kw):
        kw.setdefault("workdir", str(tmp_path / ("sim%d" % len(started))))
        s = Simulator(**kw)
        s.start()
        started.append(s)
        return s

    yield make
    for s in started:
        s.stop()


@pytest.fixture
def sim(make_sim):
    """A started simulator with the default home (one account, one Homey, 3 devices)."""
    return make_sim()


@pytest.fixture
def mpy():
    """run_mpy(code, heapsize=None, timeout=60, cwd=None, ...) -> MpyResult (rc, out, err)."""
    return run_mpy


@pytest.fixture
def serve():
    """Factory: serve(ServerClass, *args) -> a started loopback test server (canned.py,
    hostile.py); all stopped at teardown."""
    made = []

    def make(cls, *args):
        srv = cls(*args)
        made.append(srv)
        return srv

    yield make
    for srv in made:
        srv.stop()


@pytest.fixture(scope="session")
def mpy_build(tmp_path_factory):
    """lib/uhomey as it goes onto a board (.mpy, tools/mpybuild.py), built once per run: a
    folder to put ahead of lib/ on MicroPython's path."""
    import mpybuild

    out = tmp_path_factory.mktemp("mpy")
    mpybuild.build(str(out))
    return str(out)
