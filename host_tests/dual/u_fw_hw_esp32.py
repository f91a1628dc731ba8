# hw_esp32 and boot_guard against the fake ESP32 modules (host_tests/fakes),
# under CPython and the MicroPython unix port (run by host_tests/test_units.py).
# On MicroPython every pin IRQ runs with the heap locked: a handler that
# allocates fails these tests.
import json
import sys

_ROOT = __file__.rsplit("/", 3)[0]
for _p in (_ROOT + "/lib", _ROOT + "/host_tests", _ROOT + "/firmware"):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from fakes import Log, install, remove  # noqa: E402
from fakes.world import DeepSleep  # noqa: E402

ATOM = {"name": "M5Stack ATOM Lite", "platform": "esp32",
        "buttons": [{"pin": 39, "active_low": True, "pull": None}],
        "led": {"kind": "neopixel", "pin": 27, "count": 1},
        "wake": {"pins": [39], "mode": "ext0"}, "safe_button": 0}
TWO = {"name": "two active-high", "platform": "esp32",
       "buttons": [{"pin": 32, "active_low": False, "pull": "down"}, {"pin": 33, "active_low": False, "pull": "down"}],
       "led": {"kind": "plain", "pin": 2, "active_low": False},
       "wake": {"pins": [32, 33], "mode": "ext1"}, "safe_button": 0}
HOME = {"ssid": "Home", "password": "pw-home"}
ATTIC = {"ssid": "Attic", "password": "pw-attic"}
CFG = {"wifi": {"networks": [ATTIC, HOME], "static": None, "timeout_s": 15},
       "ntp": {"host": "ntp.example"}, "led": {"brightness": 0.5}}
B1 = b"\x11\x11\x11\x11\x11\x11"
B2 = b"\x22\x22\x22\x22\x22\x22"


def on_fakes(test):
    """The test runs on freshly installed fakes (see _hw) and leaves the real modules behind."""

    def run():
        try:
            test()
        finally:
            remove()

    return run


def _hw(board=ATOM, cfg=CFG, world=None, **state):
    """A fresh boot: fakes installed (keeping RTC memory from `world`), then hw_esp32.make."""
    w = install()
    if world is not None:
        w.rtc_mem = world.rtc_mem
        w.clock.epoch_ms = world.clock.epoch_ms
    for k in state:
        setattr(w, k, state[k])
    from wallbutton import hw_esp32

    log = Log()
    return hw_esp32.make(board, cfg, log, clock=w.clock), w, log


def _sleep_and_wake(w, **state):
    """What survives a deep sleep: RTC memory and the RTC's wall clock."""
    state.setdefault("reset_cause", w.DEEPSLEEP)
    return _hw(world=w, **state)


@on_fakes
def test_edges_land_in_the_ring_with_their_ticks():
    hw, w, _ = _hw()
    b = hw.buttons[0]
    assert b.level() == 1 and b.edges() == []
    w.clock.advance(1000)
    w.drive(39, 0)
    w.clock.advance(3)
    w.drive(39, 1)  # contact bounce: each edge with its own tick
    w.clock.advance(2)
    w.drive(39, 0)
    w.clock.advance(120)
    w.drive(39, 1)
    assert b.edges() == [(1000, 0), (1003, 1), (1005, 0), (1125, 1)]
    assert b.edges() == []


@on_fakes
def test_ticks_wrap_like_an_esp32():
    w = install()
    w.clock.t = (1 << 30) - 5
    from wallbutton import hw_esp32

    hw = hw_esp32.make(ATOM, CFG, Log(), clock=w.clock)
    w.drive(39, 0)
    w.clock.advance(10)
    w.drive(39, 1)
    (t0, _), (t1, _) = hw.buttons[0].edges()
    assert t0 == (1 << 30) - 5 and t1 == 5 and hw.clock.diff(t1, t0) == 10


@on_fakes
def test_a_repeated_level_is_not_an_edge():
    hw, w, _ = _hw()
    b = hw.buttons[0]
    w.drive(39, 0)
    b._irq(w.pins[39])  # a second IRQ for the same edge (the scheduler ran late)
    assert b.edges() == [(0, 0)]


@on_fakes
def test_a_full_ring_drops_edges_then_resynchronises_from_the_pin():
    hw, w, _ = _hw()
    from wallbutton.hw_esp32 import RING

    b = hw.buttons[0]
    for i in range(RING + 7):  # ends pressed (odd count of toggles from released)
        w.drive(39, i % 2)
        w.clock.advance(1)
    got = b.edges()
    assert len(got) == RING + 1, len(got)
    assert got[-1] == (w.clock.now(), b.level()) and b.level() == 0
    w.drive(39, 1)
    assert b.edges() == [(w.clock.now(), 1)]  # the ring works again after the overflow


@on_fakes
def test_plain_led_honours_its_level_and_neopixel_its_brightness():
    hw, w, _ = _hw()
    hw.led.show((200, 100, 0))
    assert w.pixels == [(100, 50, 0)]
    hw.led.show((0, 0, 0))
    assert w.pixels == [(0, 0, 0)]
    board = dict(ATOM, led={"kind": "plain", "pin": 5, "active_low": True})
    hw, w, _ = _hw(board)
    assert w.outputs[5] == 1  # off at start: an active-low LED is off when high
    hw.led.show((0, 0, 9))
    assert w.outputs[5] == 0
    hw, w, _ = _hw(dict(ATOM, led={"kind": "none"}))
    hw.led.show((255, 0, 0))
    assert w.pixels is None


@on_fakes
def test_wifi_tries_the_networks_in_order_and_keeps_no_password():
    hw, w, log = _hw()
    w.ap("Attic", "changed", B1, rssi=-50)
    w.ap("Home", "pw-home", B2, channel=11, rssi=-70)
    assert hw.wifi.up() is True
    connects = [e for e in w.log if e[0] == "connect"]
    assert connects == [("connect", "Attic", B1, False), ("connect", "Home", B2, False)], connects
    assert "Attic: wrong password" in log.text()
    info = hw.wifi.info()
    assert (info["ssid"], info["ip"], info["rssi"], info["channel"]) == ("Home", "192.168.1.77", -70, 11)
    assert info["bssid"] == "222222222222" and info["via"] == "scan"
    kept = json.loads(w.rtc_mem)["wifi"]
    assert kept["bssid"] == "222222222222" and kept["channel"] == 11 and kept["addr"][0] == "192.168.1.77"
    assert b"pw-" not in w.rtc_mem and "pw-" not in json.dumps(info) and "pw-" not in log.text()


@on_fakes
def test_a_network_the_scan_missed_is_still_tried_by_name():
    hw, w, _ = _hw()
    w.ap("Home", "pw-home", B2)
    from fakes import fake_network

    orig = fake_network._Station.scan
    fake_network._Station.scan = lambda self: []  # a hidden network, or a scan that missed it
    try:
        assert hw.wifi.up() is True
    finally:
        fake_network._Station.scan = orig
    connects = [e for e in w.log if e[0] == "connect"]
    assert connects == [("connect", "Attic", None, False), ("connect", "Home", None, False)], connects


@on_fakes
def test_wake_uses_the_kept_bssid_and_address_and_no_ntp():
    hw, w, _ = _hw()
    w.ap("Home", "pw-home", B2, channel=11)
    t0 = w.clock.ms
    assert hw.wifi.up() is True
    first_ms = w.clock.ms - t0
    assert ("ntp", "ntp.example", True) in w.log
    hw2, w2, _ = _sleep_and_wake(w)
    w2.ap("Home", "pw-home", B2, channel=11)
    t0 = w2.clock.ms
    assert hw2.wifi.up() is True and hw2.sync_time() is True
    fast_ms = w2.clock.ms - t0
    # joined by BSSID with the kept address: no scan, no DHCP, and no NTP (the RTC kept time)
    assert w2.log == [("connect", "Home", B2, True)], w2.log
    assert hw2.wifi.info()["via"] == "fast"
    assert fast_ms < 500 and first_ms > 3000, (fast_ms, first_ms)
    # the reused address keeps the age of its lease: fast connects never stretch it
    assert json.loads(w2.rtc_mem)["wifi"]["at"] == json.loads(w.rtc_mem)["wifi"]["at"]


@on_fakes
def test_a_failed_fast_connect_falls_back_to_a_scan_with_dhcp():
    hw, w, log = _hw()
    w.ap("Home", "pw-home", B1)
    assert hw.wifi.up()
    hw2, w2, log2 = _sleep_and_wake(w)
    w2.ap("Home", "pw-home", B2)  # the AP was replaced: the kept BSSID is gone
    assert hw2.wifi.up() is True
    kinds = [e[0] for e in w2.log]
    assert kinds == ["connect", "scan", "connect"], w2.log
    assert w2.log[0] == ("connect", "Home", B1, True)
    assert w2.log[2] == ("connect", "Home", B2, False)  # DHCP again, not the kept address
    assert json.loads(w2.rtc_mem)["wifi"]["bssid"] == "222222222222"
    assert "fast connect to Home failed" in log2.text()


@on_fakes
def test_a_kept_address_older_than_an_hour_is_asked_for_again():
    hw, w, _ = _hw()
    w.ap("Home", "pw-home", B2)
    assert hw.wifi.up()
    w.clock.epoch_ms += 2 * 3600 * 1000
    hw2, w2, _ = _sleep_and_wake(w)
    w2.ap("Home", "pw-home", B2)
    assert hw2.wifi.up()
    assert w2.log[0] == ("connect", "Home", B2, False), w2.log


@on_fakes
def test_static_address_from_the_config():
    static = {"ip": "10.0.0.9", "mask": "255.0.0.0", "gw": "10.0.0.1", "dns": "10.0.0.1"}
    cfg = dict(CFG, wifi={"networks": [HOME], "static": static})
    hw, w, _ = _hw(cfg=cfg)
    w.ap("Home", "pw-home", B2)
    assert hw.wifi.up()
    assert w.log[1] == ("connect", "Home", B2, True) and hw.wifi.info()["ip"] == "10.0.0.9"


@on_fakes
def test_backoff_is_bounded_and_each_attempt_keeps_its_timeout():
    hw, w, log = _hw(cfg=dict(CFG, wifi={"networks": [HOME], "timeout_s": 5}))
    waits = []
    for _ in range(8):
        t0 = w.clock.ms
        assert hw.wifi.up() is False
        assert w.clock.ms - t0 <= 5000 + 2000, w.clock.ms - t0  # the scan may end past the deadline
        n = len(w.log)
        assert hw.wifi.up() is False and len(w.log) == n  # backing off: nothing tried
        wait = hw.clock.diff(hw.wifi.next_try, hw.clock.now())
        waits.append(wait)
        w.clock.advance(wait)
    assert waits[:5] == sorted(waits[:5]) and waits[0] == 2000
    assert max(waits) == 300000 and waits[-1] == 300000
    assert "next try in 300 s" in log.text()
    w.ap("Home", "pw-home", B2)
    assert hw.wifi.up() is True and hw.wifi.fails == 0 and hw.wifi.next_try is None


@on_fakes
def test_ntp_runs_before_up_returns_and_its_failure_is_said():
    hw, w, log = _hw()
    w.ap("Home", "pw-home", B2)
    w.ntp_fail = 10
    assert hw.wifi.up() is True  # the link is up ...
    ntp = [e for e in w.log if e[0] == "ntp"]
    assert ntp == [("ntp", "ntp.example", True)] * 3, ntp  # ... after 3 bounded tries
    assert w.log.index(ntp[0]) > max(i for i, e in enumerate(w.log) if e[0] == "connect")
    assert "TLS will reject" in log.text() and "ntp.host" in log.text()
    assert hw.sync_time() is False  # asked again: another 3 tries, no more
    assert len([e for e in w.log if e[0] == "ntp"]) == 6
    w.ntp_fail = 0
    assert hw.sync_time() is True and hw.sync_time() is True
    assert len([e for e in w.log if e[0] == "ntp"]) == 7  # set once, then remembered
    assert "clock set over NTP" in log.text()


@on_fakes
def test_a_fresh_hw_reports_the_link_the_app_made():
    hw, w, _ = _hw()
    w.ap("Home", "pw-home", B2, channel=11)
    assert hw.wifi.up()
    from wallbutton import hw_esp32

    other = hw_esp32.make(ATOM, CFG, Log(), clock=w.clock)  # as repl.wifi() makes one
    info = other.wifi.info()
    assert info["connected"] and info["ssid"] == "Home" and info["channel"] == 11 and info["via"] is None
    assert info["ip"] == "192.168.1.77" and info["bssid"] is None


@on_fakes
def test_no_wifi_section_is_said_and_backs_off_like_a_failure():
    hw, w, log = _hw(cfg={})
    assert hw.wifi.up() is False and hw.wifi.up() is False
    assert log.text().count("no Wi-Fi configured") == 1 and w.log == []
    w.clock.advance(2000)
    assert hw.wifi.up() is False and log.text().count("no Wi-Fi configured") == 2


@on_fakes
def test_no_clock_without_a_link():
    hw, w, log = _hw()
    assert hw.sync_time() is False and w.log == []
    assert "no Wi-Fi yet" in hw.wifi.errors()[-1]


@on_fakes
def test_the_watchdog_is_fed_by_feed_alone():
    hw, w, _ = _hw()
    w.ap("Home", "pw-home", B2)
    hw.wdt_start(30000)
    assert w.wdt_timeout == 30000
    hw.idle(60000)
    hw.wifi.up()
    assert w.feeds == 0 and w.timers_made == 0
    for _ in range(3):
        hw.feed()
    assert w.feeds == 3
    hw.stop()  # Ctrl-C: the REPL gets an hour before the watchdog bites
    assert w.wdt_timeout == 3600000 and w.feeds == 4


@on_fakes
def test_idle_returns_at_the_first_edge():
    hw, w, _ = _hw()
    w.clock.at(130, lambda: w.drive(39, 0))
    t0 = w.clock.ms
    hw.idle(5000)
    assert 130 <= w.clock.ms - t0 <= 140, w.clock.ms - t0
    t0 = w.clock.ms
    hw.idle(5000)  # the edge is still unread: no wait
    assert w.clock.ms == t0
    hw.buttons[0].edges()
    hw.idle(300)
    assert w.clock.ms - t0 == 300


@on_fakes
def test_the_waking_button_comes_from_the_wake_reason():
    from fakes import fake_machine as m

    hw, w, _ = _hw(TWO, reset_cause=4, wake_reason=m.EXT1_WAKE, wake_pins=(33,), levels={33: 1})
    assert hw.wake() == (1, 0)
    hw, w, _ = _hw(ATOM, reset_cause=4, wake_reason=m.EXT0_WAKE, levels={39: 0})
    assert hw.wake() == (0, 0) and hw.buttons[0].edges() == []  # still held: its release will come
    hw, w, _ = _hw(ATOM, reset_cause=4, wake_reason=m.TIMER_WAKE)
    assert hw.wake() is None
    c3 = {"platform": "esp32", "buttons": [{"pin": 9}, {"pin": 3}], "wake": {"pins": [3], "mode": "gpio"}}
    hw, w, _ = _hw(c3, reset_cause=4, wake_reason=7, wake_pins=(3,), levels={3: 0})  # ESP_SLEEP_WAKEUP_GPIO
    assert hw.wake() == (1, 0)
    hw, w, _ = _hw(ATOM, reset_cause=1, wake_reason=m.EXT0_WAKE)
    assert hw.wake() is None  # a power-on, not a wake


@on_fakes
def test_a_click_over_before_boot_ended_is_still_whole():
    from fakes import fake_machine as m

    hw, w, log = _hw(ATOM, reset_cause=4, wake_reason=m.EXT0_WAKE, levels={39: 1})
    assert hw.wake() == (0, 0)
    assert hw.buttons[0].edges() == [(0, 1)]  # pressed at the wake, released by now
    assert "woke by button 0" in log.text()


@on_fakes
def test_deep_sleep_arms_the_pressed_level_of_the_wake_pins():
    hw, w, _ = _hw()
    w.ap("Home", "pw-home", B2)
    hw.wifi.up()
    hw.led.show((9, 9, 9))
    try:
        hw.deepsleep()
        raise AssertionError("deepsleep returned")
    except DeepSleep:
        pass
    assert w.wake_cfg == ("ext0", [39], 0) and w.slept == 0 and w.pixels == [(0, 0, 0)]
    hw, w, _ = _hw(TWO)
    try:
        hw.deepsleep(60000)
    except DeepSleep:
        pass
    assert w.wake_cfg == ("ext1", [32, 33], 1) and w.slept == 60000
    c3 = {"platform": "esp32", "buttons": [{"pin": 9}, {"pin": 3, "pull": "up"}],
          "led": {"kind": "neopixel", "pin": 8}, "wake": {"pins": [3], "mode": "gpio"}}
    hw, w, _ = _hw(c3)
    try:
        hw.deepsleep()
    except DeepSleep:
        pass
    assert w.wake_cfg == ("gpio", [3], 0)


@on_fakes
def test_ext1_refuses_several_active_low_pins():
    board = dict(TWO, buttons=[{"pin": 32}, {"pin": 33}])
    hw, w, _ = _hw(board)
    try:
        hw.deepsleep()
    except ValueError as e:
        assert "active-high" in str(e)
    else:
        raise AssertionError("no ValueError")
    assert w.slept is None


@on_fakes
def test_rtc_state_round_trip_and_damage():
    hw, w, _ = _hw()
    assert hw.rtc.load() == {}
    hw.rtc.save({"boots": 2})
    assert hw.rtc.load() == {"boots": 2}
    w.rtc_mem = b"\x00\xff{garbage"
    assert hw.rtc.load() == {}
    try:
        hw.rtc.save({"x": "y" * 3000})
    except ValueError as e:
        assert "RTC memory holds 2048" in str(e)
    else:
        raise AssertionError("no ValueError")


@on_fakes
def test_safe_mode_when_the_safe_button_is_held():
    from wallbutton import boot_guard

    hw, w, log = _hw(levels={39: 0})
    t0 = w.clock.ms
    assert "held at boot" in boot_guard.decide(hw, log)
    assert w.clock.ms - t0 >= boot_guard.SAFE_HOLD_MS
    assert w.pixels == [(0, 0, 127)] and "SAFE MODE" in log.text()
    hw, w, log = _hw(levels={39: 0})
    w.clock.at(300, lambda: w.drive(39, 1))  # let go early: a press, not safe mode
    assert boot_guard.decide(hw, log) == ""
    hw, w, log = _hw(levels={39: 0}, reset_cause=4)  # the press that woke it from deep sleep
    assert boot_guard.decide(hw, log) == ""


@on_fakes
def test_boot_loop_falls_back_to_safe_mode_then_tries_again():
    from wallbutton import boot_guard

    boot_guard._settled = False
    w = None
    reasons = []
    for cause in (1, 3, 5, 4, 3, 2, 3):  # power, wdt, soft, deepsleep, wdt, hard, wdt
        hw, w, log = _hw(world=w, reset_cause=cause)
        reasons.append(boot_guard.decide(hw, log))
    assert reasons[:6] == [""] * 6, reasons  # soft and deep-sleep boots are not counted
    assert "5 resets in a row" in reasons[6]
    hw, w, log = _hw(world=w, reset_cause=3)
    assert boot_guard.decide(hw, log) == ""  # the counter restarted after safe mode
    assert boot_guard.settle(hw, boot_guard.STABLE_MS - 1) is False
    assert json.loads(w.rtc_mem)["boots"] == 1
    assert boot_guard.settle(hw, boot_guard.STABLE_MS) is True
    assert json.loads(w.rtc_mem)["boots"] == 0


def test_at_boot_reads_the_board_file_and_never_raises():
    from dutil import tmpdir, write

    try:
        from wallbutton import boot_guard

        d = tmpdir()
        write(d + "/board.json", json.dumps(ATOM))
        w = install()
        w.levels[39] = 0
        boot_guard._decision = None
        assert "held at boot" in boot_guard.at_boot(d + "/board.json", Log(), w.clock)
        from wallbutton import hw_esp32

        hw = hw_esp32.make(ATOM, CFG, Log(), clock=w.clock)
        w.pixels = None
        assert "held at boot" in boot_guard.check(hw, Log())
        assert w.pixels == [(0, 0, 127)]  # main.py's hw shows safe mode again
        write(d + "/bad.json", "{")
        boot_guard._decision = None
        log = Log()
        assert "boot check failed" in boot_guard.at_boot(d + "/bad.json", log, w.clock)
        assert "SAFE MODE" in log.text()
    finally:
        boot_guard._decision = None
        remove()
