"""hw_linux's CPython-only parts: buttons on the GPIO character device (uAPI v1 line
events through ioctl) against a fake chip whose event fd is a real pipe carrying kernel
gpioevent_data records, and /dev/watchdog (timeout ioctl, feeds, the magic close).
The sysfs parts run on both interpreters in dual/u_fw_hw_linux.py."""
import os
import struct
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "firmware"))
sys.path.insert(0, str(ROOT / "host_tests" / "dual"))

from fakes import Log  # noqa: E402
from fakes.world import FakeClock  # noqa: E402
from u_fw_hw_linux import _board, _tree  # noqa: E402
from wallbutton import hw_linux  # noqa: E402


class FakeChip(hw_linux.DevOps):
    """The kernel side of one gpiochip: LINEEVENT hands back the read end of a pipe (so reads
    and poll are the real DevOps calls on a real fd); the test writes event records into it."""

    def __init__(self, level=1):
        self.r, self.w = os.pipe()
        self.level = level
        self.requests = []
        self.closed = []

    def open(self, path):
        assert path == "/dev/gpiochip0", path
        return 1000

    def ioctl(self, fd, request, buf):
        if request == hw_linux.GPIO_GET_LINEEVENT_IOCTL:
            line, flags, events, label, _ = struct.unpack(hw_linux.EVENT_REQUEST, buf)
            self.requests.append((fd, line, flags, events, label.rstrip(b"\0")))
            return struct.pack(hw_linux.EVENT_REQUEST, line, flags, events, label, self.r)
        assert request == hw_linux.GPIOHANDLE_GET_LINE_VALUES_IOCTL and fd == self.r
        return bytes([self.level]) + bytes(63)

    def close(self, fd):
        self.closed.append(fd)

    def event(self, ms, rising):
        os.write(self.w, struct.pack("=QI4x", ms * 1000000, 1 if rising else 2))


@pytest.fixture
def chip():
    c = FakeChip()
    yield c
    os.close(c.w)
    os.close(c.r)


def test_chardev_line_events_keep_the_kernel_timestamps(chip):
    root = _tree()
    clock = FakeClock(start=7000)
    board = _board(root, buttons=[{"chip": "/dev/gpiochip0", "line": 17, "pull": "up"}])
    hw = hw_linux.make(board, {}, Log(), clock=clock, sysfs=root, ops=chip)
    assert chip.requests == [(1000, 17, 1 | (1 << 5), 3, b"uhomey")] and chip.closed == [1000]
    b = hw.buttons[0]
    assert b.level() == 1 and b.edges() == []
    chip.event(6990, False)  # contact bounce 2 ms apart, each edge stamped by the kernel
    chip.event(6992, True)
    chip.event(6994, False)
    assert b.edges() == [(6990, 0), (6992, 1), (6994, 0)]
    chip.event(123456789, True)  # a wall-clock stamp (Linux < 5.7): replaced by the read time
    assert b.edges() == [(7000, 1)]


def test_idle_ends_at_a_queued_event(chip):
    root = _tree()
    board = _board(root, buttons=[{"chip": "/dev/gpiochip0", "line": 17}])
    hw = hw_linux.make(board, {}, Log(), sysfs=root, ops=chip)
    chip.event(1, True)
    t0 = time.monotonic()
    hw.idle(5000)
    assert time.monotonic() - t0 < 1.0
    assert len(hw.buttons[0].edges()) == 1


def test_watchdog_device_fed_then_disarmed_on_a_clean_stop(monkeypatch):
    import fcntl

    root = _tree()
    dev = root + "/watchdog"
    Path(dev).write_bytes(b"")
    calls = []
    monkeypatch.setattr(fcntl, "ioctl", lambda fd, req, arg: calls.append((req, struct.unpack("i", arg)[0])))
    hw = hw_linux.make(_board(root, watchdog=dev), {}, Log(), clock=FakeClock(), sysfs=root)
    hw.wdt_start(30000)
    assert calls == [(hw_linux.WDIOC_SETTIMEOUT, 30)]
    hw.feed()
    hw.feed()
    assert Path(dev).read_bytes() == b"\0\0"
    hw.stop()
    assert Path(dev).read_bytes() == b"\0\0V"
