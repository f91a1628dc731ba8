"""Every board file in boards/ (but unix.json, the app's) is whole and its pins can do what
it asks of them: wake pins are buttons and pins of the chip that can wake it (ESP32: RTC
GPIOs with ext0/ext1; ESP32-C3: GPIO0-5 with its GPIO wake), and each board builds and arms
its deep-sleep wake on the fake ESP32 or a fake Linux tree."""
import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "firmware"))
sys.path.insert(0, str(ROOT / "host_tests" / "dual"))

BOARDS = sorted(p for p in (ROOT / "boards").glob("*.json") if p.name != "unix.json")
RTC_GPIOS = {0, 2, 4, 12, 13, 14, 15, 25, 26, 27, 32, 33, 34, 35, 36, 37, 38, 39}  # ESP32: ext0/ext1 pins
C3_WAKE_GPIOS = set(range(6))  # ESP32-C3: deep-sleep GPIO wake
STRAPPING = {"esp32": {0, 2, 5, 12, 15}, "esp32c3": {2, 8, 9}}


def load(p):
    return json.loads(p.read_text())


def test_the_boards_the_issue_asks_for_are_there():
    names = {p.stem for p in BOARDS}
    assert {"esp32-devkitc", "m5stack-atom-lite", "esp32-c3-devkitm-1", "raspberry-pi"} <= names


@pytest.mark.parametrize("path", BOARDS, ids=[p.stem for p in BOARDS])
def test_board_file_is_whole(path):
    b = load(path)
    assert b["name"] and b["notes"] and b["platform"] in ("esp32", "linux")
    assert 1 <= len(b["buttons"]) <= 4
    assert b["safe_button"] is None or 0 <= b["safe_button"] < len(b["buttons"])
    assert b["led"]["kind"] in ("plain", "neopixel", "sysfs", "none")
    if b["platform"] == "linux":
        for btn in b["buttons"]:
            assert ("chip" in btn and "line" in btn) or "sysfs" in btn, btn


ESP = [p for p in BOARDS if load(p)["platform"] == "esp32"]


@pytest.mark.parametrize("path", ESP, ids=[p.stem for p in ESP])
def test_esp32_wake_pins_can_wake_and_safe_button_is_no_strapping_pin(path):
    b = load(path)
    pins = [btn["pin"] for btn in b["buttons"]]
    wake = b["wake"]
    assert wake["pins"] and set(wake["pins"]) <= set(pins)
    if b["chip"] == "esp32":
        assert wake["mode"] in ("ext0", "ext1") and set(wake["pins"]) <= RTC_GPIOS
    else:
        assert b["chip"] == "esp32c3" and wake["mode"] == "gpio" and set(wake["pins"]) <= C3_WAKE_GPIOS
    # held through a reset, a strapping pin starts the ROM downloader instead of safe mode
    assert pins[b["safe_button"]] not in STRAPPING[b["chip"]]
    assert b["led"].get("pin") not in pins


@pytest.mark.parametrize("path", ESP, ids=[p.stem for p in ESP])
def test_esp32_board_builds_and_arms_its_wake(path):
    from fakes import install, remove
    from fakes.world import DeepSleep
    from fakes import Log

    b = load(path)
    try:
        w = install()
        from wallbutton import hw_esp32

        hw = hw_esp32.make(b, {"led": {"brightness": 0.2}}, Log(), clock=w.clock)
        assert len(hw.buttons) == len(b["buttons"])
        hw.led.show((255, 255, 255))
        with pytest.raises(DeepSleep):
            hw.deepsleep()
        assert w.wake_cfg[0] == b["wake"]["mode"] and w.wake_cfg[1] == b["wake"]["pins"]
    finally:
        remove()


LINUX = [p for p in BOARDS if load(p)["platform"] == "linux"]


@pytest.mark.parametrize("path", LINUX, ids=[p.stem for p in LINUX])
def test_linux_board_builds_on_a_fake_tree(path, tmp_path):
    import u_fw_hw_linux as t
    from fakes import Log
    from test_fw_hw_linux import FakeChip
    from wallbutton import hw_linux

    b = load(path)
    lines = [btn["sysfs"] for btn in b["buttons"] if "sysfs" in btn]
    root = t._tree(lines=lines)
    b["state_file"] = str(tmp_path / "rtc.json")
    dev = FakeChip()
    hw = hw_linux.make(b, {}, Log(), sysfs=root, ops=dev)
    assert [x.level() for x in hw.buttons] == [1] * len(b["buttons"])
    assert len(dev.requests) == len(b["buttons"]) - len(lines)
    hw.led.show((1, 1, 1))
    os.close(dev.r)
    os.close(dev.w)


def test_a_linux_led_without_permission_leaves_the_buttons_working(tmp_path):
    import u_fw_hw_linux as t
    from fakes import Log
    from wallbutton import hw_linux

    root = t._tree()
    log = Log()
    board = t._board(root, led={"kind": "sysfs", "path": "/sys/class/leds/missing"})
    hw = hw_linux.make(board, {}, log, sysfs=root)
    hw.led.show((1, 0, 0))
    assert isinstance(hw.led, hw_linux.NullLed) and "not usable" in log.lines[-1]
    assert hw.buttons[0].level() == 1
