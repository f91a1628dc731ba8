# hw_linux against a fake sysfs tree (a temp folder standing in for /sys) under
# CPython and the MicroPython unix port (run by host_tests/test_units.py). The
# chardev and watchdog parts need CPython: host_tests/test_fw_hw_linux.py.
import json
import os
import sys

_ROOT = __file__.rsplit("/", 3)[0]
for _p in (_ROOT + "/lib", _ROOT + "/host_tests", _ROOT + "/firmware"):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from dutil import read, tmpdir, write  # noqa: E402
from fakes import Log  # noqa: E402
from fakes.world import FakeClock  # noqa: E402

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
