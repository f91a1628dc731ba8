# hw_linux against a fake sysfs tree (a temp folder standing in for /sys) under
# CPython and the MicroPython unix port, and against a fake GPIO chardev (a pipe
# carrying kernel event records) under CPython. Run by host_tests/test_fw_hw.py.
import json
import os
import struct
import sys

_ROOT = __file__.rsplit("/", 3)[0]
for _p in (_ROOT + "/lib", _ROOT + "/host_tests", _ROOT + "/firmware"):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from dutil import read, tmpdir, write  # noqa: E402
from fakes.world import FakeClock  # noqa: E402

CPYTHON = sys.implementation.name == "cpython"


class Log:
    def __init__(self):
        self.lines = []

    def info(self, msg, *args):
        self.lines.append("I " + (msg % args if args else msg))

    def warning(self, msg, *args):
        self.lines.append("W " + (msg % args if args else msg))


def _tree(lines=(17,), leds=("ACT",)):
    """A temp folder laid out like /sys: class/gpio/gpioN/{value,direction,edge}, class/leds/X/..."""
    root = tmpdir()
    for p in ("/class", "/class/gpio", "/class/leds"):
        os.mkdir(root + p)
    write(root + "/class/gpio/export", "")
    for n in lines:
        _line(root, n)
    for name in leds:
        d = root + "/class/leds/" + name
        os.mkdir(d)
        write(d + "/trigger", "[mmc0] none heartbeat")
        write(d + "/max_brightness", "255\n")
        write(d + "/brightness", "0")
    return root


def _line(root, n, level="1"):
    d = "%s/class/gpio/gpio%d" % (root, n)
    os.mkdir(d)
    for name, text in (("value", level + "\n"), ("direction", "out"), ("edge", "none")):
        write(d + "/" + name, text)


def _board(root, **kw):
    b = {"name": "test pi", "platform": "linux",
         "buttons": [{"sysfs": 17, "active_low": True}],
         "led": {"kind": "sysfs", "path": "/sys/class/leds/ACT"},
         "safe_button": 0, "state_file": root + "/rtc.json"}
    b.update(kw)
    return b


def _make(root, clock=None, **kw):
    from wallbutton import hw_linux

    return hw_linux.make(_board(root, **kw), {}, Log(), clock=clock or FakeClock(), sysfs=root)


def test_sysfs_button_levels_and_edges():
    root = _tree()
    clock = FakeClock(start=500)
    hw = _make(root, clock)
    g = root + "/class/gpio/gpio17"
    assert read(g + "/direction") == "in" and read(g + "/edge") == "both"
    b = hw.buttons[0]
    assert b.level() == 1 and b.edges() == []
    write(g + "/value", "0\n")
    clock.advance(40)
    assert b.level() == 0 and b.edges() == [(540, 0)] and b.edges() == []
    write(g + "/value", "1\n")
    assert b.edges() == [(540, 1)]


def test_a_line_is_exported_when_missing_and_a_wrong_one_said():
    root = _tree(lines=())
    clock = FakeClock()
    clock.at(120, lambda: _line(root, 17))  # udev makes the folder a moment after the export
    hw = _make(root, clock)
    assert read(root + "/class/gpio/export") == "17" and hw.buttons[0].level() == 1
    try:
        _make(root, FakeClock(), buttons=[{"sysfs": 99}])
    except OSError as e:
        assert "gpio99/value" in str(e) and "boards/README.md" in str(e)
    else:
        raise AssertionError("no OSError")


def test_idle_waits_for_the_time_given_then_the_change_is_read():
    root = _tree()
    from wallbutton import hw_linux

    hw = hw_linux.make(_board(root), {}, Log(), sysfs=root)  # the real clock: poll() really waits
    t0 = hw.clock.now()
    hw.idle(60)
    waited = hw.clock.diff(hw.clock.now(), t0)
    assert 50 <= waited < 1000, waited
    write(root + "/class/gpio/gpio17/value", "0")
    got = hw.buttons[0].edges()
    assert len(got) == 1 and got[0][1] == 0


def test_sysfs_led_and_gpio_led():
    root = _tree(lines=(17, 27))
    hw = _make(root)
    led = root + "/class/leds/ACT"
    assert read(led + "/trigger") == "none"
    hw.led.show((0, 0, 1))
    assert read(led + "/brightness") == "255"
    hw.led.show((0, 0, 0))
    assert read(led + "/brightness") == "0"
    hw = _make(root, led={"kind": "plain", "sysfs": 27, "active_low": True})
    g = root + "/class/gpio/gpio27"
    assert read(g + "/direction") == "out" and read(g + "/value") == "1"
    hw.led.show((255, 0, 0))
    assert read(g + "/value") == "0"


def test_state_file_round_trip_and_damage():
    root = _tree()
    hw = _make(root)
    assert hw.rtc.load() == {}
    hw.rtc.save({"boots": 3})
    assert hw.rtc.load() == {"boots": 3} and json.loads(read(root + "/rtc.json")) == {"boots": 3}
    write(root + "/rtc.json", "{half")
    assert hw.rtc.load() == {}


def test_network_clock_and_sleep_belong_to_the_os():
    root = _tree()
    hw = _make(root)
    assert hw.wifi.up(10) is True and hw.wifi.ok() and hw.sync_time() is True and hw.wake() is None
    hw.wdt_start(30000)
    hw.feed()
    hw.feed()
    assert hw.feeds == 2
    try:
        hw.deepsleep(1000)
    except SystemExit as e:
        assert e.args[0] == 0 if e.args else True
    else:
        raise AssertionError("deepsleep returned")


def test_watchdog_device_fed_then_disarmed_on_a_clean_stop_cpython_only():
    if not CPYTHON:
        return  # MicroPython has no fcntl for the timeout ioctl
    from wallbutton import hw_linux

    root = _tree()
    dev = root + "/watchdog"
    write(dev, "")
    calls = []
    import fcntl

    real = fcntl.ioctl
    fcntl.ioctl = lambda fd, req, arg: calls.append((req, struct.unpack("i", arg)[0]))
    try:
        hw = hw_linux.make(_board(root, watchdog=dev), {}, Log(), clock=FakeClock(), sysfs=root)
        hw.wdt_start(30000)
    finally:
        fcntl.ioctl = real
    assert calls == [(hw_linux.WDIOC_SETTIMEOUT, 30)]
    hw.feed()
    hw.feed()
    with open(dev, "rb") as f:
        assert f.read() == b"\0\0"
    hw.stop()
    with open(dev, "rb") as f:
        assert f.read() == b"\0\0V"


def test_safe_mode_and_boot_loop_on_a_linux_board():
    from wallbutton import boot_guard

    root = _tree()
    write(root + "/class/gpio/gpio17/value", "0")  # active low: held
    hw = _make(root)
    assert "held at boot" in boot_guard.decide(hw, Log())
    write(root + "/class/gpio/gpio17/value", "1")
    reasons = [boot_guard.decide(_make(root), Log()) for _ in range(boot_guard.BOOT_LOOPS)]
    # every start of a Linux firmware counts (no reset cause): the 5th in a row is a loop
    assert reasons[:-1] == [""] * (boot_guard.BOOT_LOOPS - 1) and "resets in a row" in reasons[-1], reasons


class FakeChardev:
    """The OS side of a chardev line: the chip's LINEEVENT ioctl hands back the read end of a
    pipe, on which the test writes kernel gpioevent_data records."""

    def __init__(self, level=1):
        self.r, self.w = os.pipe()
        self.level = level
        self.requests = []
        self.closed = []

    def open(self, path):
        assert path == "/dev/gpiochip0", path
        return 1000

    def ioctl(self, fd, request, buf):
        from wallbutton import hw_linux

        if request == hw_linux.GPIO_GET_LINEEVENT_IOCTL:
            line, flags, events, label, _ = struct.unpack(hw_linux.EVENT_REQUEST, buf)
            self.requests.append((fd, line, flags, events, label.rstrip(b"\0")))
            return struct.pack(hw_linux.EVENT_REQUEST, line, flags, events, label, self.r)
        assert request == hw_linux.GPIOHANDLE_GET_LINE_VALUES_IOCTL and fd == self.r
        return bytes([self.level]) + bytes(63)

    def read(self, fd, n):
        try:
            return os.read(fd, n)
        except BlockingIOError:
            return b""

    def nonblocking(self, fd):
        os.set_blocking(fd, False)

    def close(self, fd):
        self.closed.append(fd)

    def event(self, ms, rising):
        os.write(self.w, struct.pack("=QI4x", ms * 1000000, 1 if rising else 2))


def test_chardev_line_events_cpython_only():
    if not CPYTHON:
        return
    from wallbutton import hw_linux

    root = _tree()
    dev = FakeChardev()
    clock = FakeClock(start=7000)
    hw = hw_linux.make(_board(root, buttons=[{"chip": "/dev/gpiochip0", "line": 17, "pull": "up"}]),
                       {}, Log(), clock=clock, sysfs=root, ops=dev)
    assert dev.requests == [(1000, 17, 1 | (1 << 5), 3, b"uhomey")] and dev.closed == [1000]
    b = hw.buttons[0]
    assert b.level() == 1 and b.edges() == []
    dev.event(6990, False)  # two bounces 2 ms apart, stamped by the kernel
    dev.event(6992, True)
    dev.event(6994, False)
    assert b.edges() == [(6990, 0), (6992, 1), (6994, 0)]
    dev.event(123456789, True)  # a wall-clock stamp (Linux < 5.7): replaced by the read time
    assert b.edges() == [(7000, 1)]
    import time

    dev.event(7001, True)
    t0 = time.monotonic()
    hw.idle(5000)  # the queued event ends the wait at once
    assert time.monotonic() - t0 < 1.0
    os.close(dev.w)
    os.close(dev.r)
