# The firmware app's parts with fakes (a Homey that records calls, a clock moved by hand,
# an LED that records colours): config checks, action mapping, folding, the queue bound,
# retries and drops, LED patterns. Plain Python for CPython and the MicroPython unix port
# (run by host_tests/test_units.py like every dual u_* module).
import sys

_FIRMWARE = __file__.rsplit("/", 3)[0] + "/firmware"  # <repo>/host_tests/dual/u_fw_app.py
if _FIRMWARE not in sys.path:
    sys.path.insert(0, _FIRMWARE)
# A fresh wallbutton, bound to the uhomey imported below: other tests reload uhomey (both.py), and
# a wallbutton left over from before would raise the old copies of its error classes.
for _name in [m for m in sys.modules if m == "wallbutton" or m.startswith("wallbutton.")]:
    del sys.modules[_name]

import uhomey  # noqa: E402
from wallbutton import cfg as config  # noqa: E402
from wallbutton.actions import Actions  # noqa: E402
from wallbutton.feedback import OFF, PATTERNS, Feedback  # noqa: E402
from wallbutton.log import Log  # noqa: E402

LIGHT = "Kitchen light"


class Clock:
    def __init__(self, t=1000):
        self.t = t

    def now(self):
        return self.t

    def diff(self, a, b):
        return a - b

    def add(self, a, ms):
        return a + ms


class Led:
    def __init__(self):
        self.shown = []

    def show(self, rgb):
        self.shown.append(rgb)


class Homey:
    """Records every call; `fail` holds exceptions the next calls raise."""

    live = None  # homey.realtime off: no pushed state (uhomey's Homey.live)

    def __init__(self):
        self.calls = []
        self.values = {}
        self.fail = []
        self.tends = 0  # h.tend() from the idle loop (kept apart from the calls a press makes)

    def _call(self, *call):
        self.calls.append(call)
        if self.fail:
            raise self.fail.pop(0)

    def toggle(self, dev, cap="onoff"):
        self._call("toggle", dev, cap)
        v = self.values[(dev, cap)] = not self.values.get((dev, cap), False)
        return v

    def set(self, dev, cap, value):
        self._call("set", dev, cap, value)
        self.values[(dev, cap)] = value
        return value

    def dim_step(self, dev, delta, cap="dim"):
        self._call("dim_step", dev, delta, cap)
        v = self.values[(dev, cap)] = round(min(1, max(0, self.values.get((dev, cap), 0.5) + delta)), 3)
        return v

    def tend(self):
        self.tends += 1

    def trigger(self, flow):
        self._call("trigger", flow)

    def set_variable(self, name, value):
        self._call("set_variable", name, value)
        return value

    def webhook(self, event, tag=None):
        self._call("webhook", event, tag)


def setup(buttons, **sections):
    raw = {"board": "unix", "buttons": buttons}
    raw.update(sections)
    cfg = config.check(raw)
    clock = Clock()
    lines = []
    log = Log("debug", clock, lines.append)
    led = Led()
    fb = Feedback(led, clock, log)
    h = Homey()
    return cfg, Actions(h, cfg, fb, log, clock), h, clock, lines, led


def press(acts, cfg, gesture="click", button=0):
    act = cfg["buttons"][button]["actions"][gesture]
    acts.add(act, "b%d %s" % (button, gesture), acts.clock.now())


def drain(acts, limit=50):
    while acts.jobs and limit:
        acts.run(acts.clock.now())
        limit -= 1


def loop(acts, clock, step_ms, passes):
    """The main loop's part for the queue, the clock moving step_ms a pass, until the queue is empty."""
    for _ in range(passes):
        acts.expire(clock.now())
        if acts.idle():
            return
        if acts.due(clock.now()) == 0:
            acts.run(clock.now())
        clock.t += step_ms


def config_error(raw):
    try:
        config.check(raw)
    except uhomey.ConfigError as e:
        return str(e)
    raise AssertionError("no ConfigError for %r" % (raw,))


# ---- config ---------------------------------------------------------------------------------

def test_every_action_is_normalised():
    cfg = config.check({"board": "unix", "buttons": [
        {"click": {"do": "toggle", "device": LIGHT},
         "double": {"do": "on", "device": [LIGHT, "Hallway socket"]},
         "long": {"do": "off", "device": LIGHT},
         "hold": {"do": "dim_down", "device": LIGHT}},
        {"click": {"do": "set", "device": "Café thermostat", "capability": "target_temperature", "value": 21},
         "double": {"do": "flow", "flow": "Good night"},
         "long": {"do": "variable", "name": "Away", "value": True},
         "hold": "none"},
        {"click": {"do": "webhook", "event": "doorbell", "tag": "front"},
         "hold": {"do": "dim", "device": LIGHT, "step": 0.2}, "timing": {"long_ms": 600}, "fire": "release"}]})
    b0, b1, b2 = [b["actions"] for b in cfg["buttons"]]
    assert b0["click"] == {"do": "toggle", "devices": [LIGHT], "cap": "onoff"}
    assert b0["double"] == {"do": "set", "devices": [LIGHT, "Hallway socket"], "cap": "onoff", "value": True}
    assert b0["long"]["value"] is False
    assert b0["hold"] == {"do": "dim", "devices": [LIGHT], "cap": "dim", "step": -0.1}
    assert b1["click"]["cap"] == "target_temperature" and b1["click"]["value"] == 21
    assert b1["double"] == {"do": "flow", "flow": "Good night"}
    assert b1["long"] == {"do": "variable", "name": "Away", "value": True}
    assert "hold" not in b1  # "none" is no action: the gesture engine need not wait for it
    assert b2["click"] == {"do": "webhook", "event": "doorbell", "tag": "front"}
    assert cfg["buttons"][2]["timing"] == {"long_ms": 600} and cfg["buttons"][2]["fire"] == "release"
    assert cfg["queue"] == {"retry_s": 30, "max": 8, "coalesce": True}
    assert cfg["sleep"] == {"idle_s": 0, "toggle": "read"} and cfg["watchdog_s"] == 30


def test_config_errors_name_the_field():
    b = {"click": {"do": "toggle", "device": LIGHT}}
    cases = [
        ({"board": "unix"}, "config: buttons must be a list of 1 to 4 buttons"),
        ({"board": "unix", "buttons": [{"click": {"do": "toggle"}}]},
         "config: buttons[0].click.device must be a device name or id, or a list of them"),
        ({"board": "unix", "buttons": [b, {"hold": {"do": "dim", "device": LIGHT}}]},
         "config: buttons[1].hold.step must be a number between -1 and 1"),
        ({"board": "unix", "buttons": [{"double": {"do": "set", "device": LIGHT}}]},
         "config: buttons[0].double.value is missing"),
        ({"board": "unix", "buttons": [{"click": {"do": "flow"}}]}, "config: buttons[0].click.flow must be"),
        ({"board": "unix", "buttons": [{"clik": b["click"]}]}, "config: buttons[0].clik is unknown"),
        ({"board": "unix", "buttons": [dict(b, timing={"long_ms": "800"})]},
         "config: buttons[0].timing.long_ms must be a whole number"),
        # a step written as a percentage would jump the light to full at the first hold step
        ({"board": "unix", "buttons": [b, {"hold": {"do": "dim_up", "device": LIGHT, "step": 10}}]},
         "config: buttons[1].hold.step must be a number between -1 and 1"),
        # a misspelt timing must not leave the default in force without a word
        ({"board": "unix", "buttons": [dict(b, timing={"long": 800})]}, "config: buttons[0].timing.long is unknown"),
        ({"board": "unix", "buttons": [dict(b, fire="late")]}, "config: buttons[0].fire must be"),
        ({"board": "unix", "buttons": [b], "queue": {"max": 0}}, "config: queue.max must be a number >= 1"),
        ({"board": "unix", "buttons": [b], "watchdog_s": 1}, "config: watchdog_s must be 0 (off)"),
        ({"board": "unix", "buttons": [b], "sleep": {"toggle": "guess"}}, "config: sleep.toggle must be"),
        ({"buttons": [b]}, "config: board must name a board file"),
    ]
    for raw, start in cases:
        msg = config_error(raw)
        assert msg.startswith(start), (msg, start)


# ---- actions --------------------------------------------------------------------------------

def test_each_action_makes_its_call():
    cfg, acts, h, clock, lines, led = setup([
        {"click": {"do": "toggle", "device": LIGHT}, "double": {"do": "off", "device": LIGHT},
         "hold": {"do": "dim_up", "device": LIGHT, "step": 0.1}},
        {"click": {"do": "set", "device": "Café thermostat", "capability": "target_temperature", "value": 21},
         "double": {"do": "flow", "flow": "Good night"}, "long": {"do": "variable", "name": "Away", "value": True}},
        {"click": {"do": "webhook", "event": "doorbell", "tag": "front"}}])
    for b, g in ((0, "click"), (0, "double"), (0, "hold"), (1, "click"), (1, "double"), (1, "long"), (2, "click")):
        press(acts, cfg, g, b)
        drain(acts)
    assert h.calls == [("toggle", LIGHT, "onoff"), ("set", LIGHT, "onoff", False), ("dim_step", LIGHT, 0.1, "dim"),
                       ("set", "Café thermostat", "target_temperature", 21), ("trigger", "Good night"),
                       ("set_variable", "Away", True), ("webhook", "doorbell", "front")]
    assert len([x for x in lines if " I done " in x]) == 7


def test_a_toggle_of_several_devices_moves_them_together():
    cfg, acts, h, clock, lines, led = setup([{"click": {"do": "toggle", "device": [LIGHT, "Hallway socket"]}}])
    h.values[("Hallway socket", "onoff")] = True  # out of step with the light
    press(acts, cfg)
    acts.run(clock.now())
    assert len(acts.jobs) == 1  # one call per run: the loop feeds the watchdog in between
    acts.run(clock.now())
    assert h.calls == [("toggle", LIGHT, "onoff"), ("set", "Hallway socket", "onoff", True)]


def test_a_press_during_a_group_toggle_is_a_toggle_of_its_own():
    # the first device of the group is switched already: folding the new press into that job
    # would skip the others and leave the group split
    cfg, acts, h, clock, lines, led = setup([{"click": {"do": "toggle", "device": [LIGHT, "Hallway socket"]}}])
    press(acts, cfg)
    acts.run(clock.now())
    press(acts, cfg)
    assert len(acts.jobs) == 2
    drain(acts)
    assert h.calls == [("toggle", LIGHT, "onoff"), ("set", "Hallway socket", "onoff", True),
                       ("toggle", LIGHT, "onoff"), ("set", "Hallway socket", "onoff", False)]
    assert h.values[(LIGHT, "onoff")] is h.values[("Hallway socket", "onoff")] is False


def test_presses_that_wait_fold_into_one_job():
    cfg, acts, h, clock, lines, led = setup([
        {"click": {"do": "toggle", "device": LIGHT}, "hold": {"do": "dim", "device": LIGHT, "step": 0.1},
         "double": {"do": "set", "device": LIGHT, "capability": "dim", "value": 0.3}}])
    for _ in range(5):
        press(acts, cfg)
    assert len(acts.jobs) == 1 and acts.jobs[0].presses == 5
    drain(acts)
    assert h.calls == [("toggle", LIGHT, "onoff")]  # five toggles: one
    h.calls = []
    for _ in range(4):
        press(acts, cfg)
    drain(acts)
    assert h.calls == []  # four toggles: no change, no request
    for _ in range(3):
        press(acts, cfg, "hold")
    drain(acts)
    assert h.calls == [("dim_step", LIGHT, 0.3, "dim")]
    h.calls = []
    acts.add(dict(cfg["buttons"][0]["actions"]["double"], value=0.9), "b0 double", clock.now())
    press(acts, cfg, "double")
    drain(acts)
    assert h.calls == [("set", LIGHT, "dim", 0.3)]  # the last press wins


def test_folding_keeps_the_order_of_different_actions_on_a_device():
    cfg, acts, h, clock, lines, led = setup([
        {"click": {"do": "toggle", "device": LIGHT}, "double": {"do": "off", "device": LIGHT}},
        {"click": {"do": "toggle", "device": "Hallway socket"}}])
    press(acts, cfg)
    press(acts, cfg, "click", 1)
    press(acts, cfg)
    assert [j.presses for j in acts.jobs] == [2, 1]  # a job for another device is no barrier
    press(acts, cfg, "double")
    press(acts, cfg)  # the off in between is: toggle, off, toggle stay in order
    drain(acts)
    assert h.calls == [("toggle", "Hallway socket", "onoff"), ("set", LIGHT, "onoff", False),
                       ("toggle", LIGHT, "onoff")]
    assert h.values[(LIGHT, "onoff")] is True


def test_coalesce_off_sends_every_press():
    cfg, acts, h, clock, lines, led = setup([{"hold": {"do": "dim", "device": LIGHT, "step": 0.1}}],
                                           queue={"coalesce": False})
    for _ in range(3):
        press(acts, cfg, "hold")
    drain(acts)
    assert len(h.calls) == 3


def test_the_queue_is_bounded_and_says_what_it_dropped():
    cfg, acts, h, clock, lines, led = setup([{"click": {"do": "flow", "flow": "Good night"}},
                                            {"click": {"do": "webhook", "event": "bell"}}], queue={"max": 2})
    press(acts, cfg)
    press(acts, cfg, "click", 1)
    acts.add({"do": "variable", "name": "Away", "value": True}, "b1 long", clock.now())
    assert len(acts.jobs) == 2
    assert [x for x in lines if " E dropped flow Good night (b0 click, 1 press): the queue is full" in x]
    assert acts.fb.shot[0] == "error"  # the LED plays the error pattern


def test_an_outage_is_retried_with_backoff_then_delivered():
    cfg, acts, h, clock, lines, led = setup([{"click": {"do": "toggle", "device": LIGHT}}])
    h.fail = [uhomey.Unreachable("cannot reach the Homey"), uhomey.NetworkError("timed out")]
    press(acts, cfg)
    acts.run(clock.now())
    assert acts.due(clock.now()) == 500
    clock.t += 500
    acts.run(clock.now())
    assert acts.due(clock.now()) == 1000  # doubled
    clock.t += 1000
    acts.run(clock.now())
    assert acts.idle() and h.values[(LIGHT, "onoff")] is True
    assert len([x for x in lines if "retrying in" in x]) == 2
    assert [x for x in lines if "led: unreachable" in x] and [x for x in lines if "led: status clear" in x]


def test_a_press_not_delivered_within_the_window_is_dropped_with_error_feedback():
    cfg, acts, h, clock, lines, led = setup([{"click": {"do": "toggle", "device": LIGHT}}], queue={"retry_s": 2})
    h.fail = [uhomey.Unreachable("down")] * 10
    press(acts, cfg)
    loop(acts, clock, 250, 10)
    assert acts.idle()
    assert [x for x in lines if "E dropped toggle Kitchen light (b0 click, 1 press): not delivered within" in x]
    assert acts.fb.shot[0] == "error"  # the LED plays the error pattern


def test_presses_queued_behind_an_outage_wait_no_longer_than_the_window():
    cfg, acts, h, clock, lines, led = setup([{"click": {"do": "toggle", "device": LIGHT}},
                                            {"click": {"do": "flow", "flow": "Good night"}}], queue={"retry_s": 2})
    h.fail = [uhomey.Unreachable("down")] * 10
    press(acts, cfg)
    clock.t += 1000
    press(acts, cfg, "click", 1)  # behind the failing toggle, never tried itself
    loop(acts, clock, 100, 40)
    assert acts.idle() and clock.t <= 1000 + 1000 + 2000 + 200
    assert [x for x in lines if "E dropped flow Good night" in x]


def test_errors_that_waiting_cannot_heal_drop_at_once():
    cfg, acts, h, clock, lines, led = setup([{"click": {"do": "toggle", "device": LIGHT},
                                             "double": {"do": "flow", "flow": "Good night"}}])
    h.fail = [uhomey.NotFound("no device named \"Kitchen light\"")]
    press(acts, cfg)
    acts.run(clock.now())
    assert acts.idle() and [x for x in lines if "E dropped toggle Kitchen light" in x and "NotFound" in x]
    h.fail = [uhomey.AuthError("log in again", 400)]
    press(acts, cfg)
    press(acts, cfg, "double")
    acts.run(clock.now())
    assert acts.idle()  # the flow behind it would fail alike
    assert len([x for x in lines if "E dropped" in x]) == 3
    assert [x for x in lines if "led: needs_login" in x]


def test_any_other_failure_drops_the_press_and_the_loop_goes_on():
    cfg, acts, h, clock, lines, led = setup([{"click": {"do": "toggle", "device": LIGHT}}])
    h.fail = [MemoryError("memory allocation failed, allocating 640 bytes")]
    press(acts, cfg)
    acts.run(clock.now())
    assert acts.idle() and acts.fb.shot[0] == "error"
    assert [x for x in lines if "E dropped toggle Kitchen light (b0 click, 1 press): MemoryError" in x]


def test_a_stored_id_that_vanished_is_asked_by_name():
    cfg, acts, h, clock, lines, led = setup([{"click": {"do": "on", "device": LIGHT}}])
    acts.ids[LIGHT] = "0" * 8 + "-0000-0000-0000-" + "0" * 12
    h.fail = [uhomey.NotFound("gone", 404)]
    press(acts, cfg)
    acts.run(clock.now())
    assert h.calls[-1] == ("set", LIGHT, "onoff", True) and LIGHT not in acts.ids


# ---- LED ------------------------------------------------------------------------------------

def test_led_patterns_play_without_blocking():
    clock = Clock(0)
    led = Led()
    fb = Feedback(led, clock)
    fb.status("unreachable", 0)
    assert led.shown[-1] == PATTERNS["unreachable"][0][0]
    assert fb.due(0) == 150
    fb.flash("ok", 100)
    assert led.shown[-1] == OFF
    clock.t = 180
    fb.tick(180)
    assert led.shown[-1] == PATTERNS["ok"][1][0]
    ok_ms = sum(ms for _, ms in PATTERNS["ok"])
    fb.tick(100 + ok_ms)  # the one-shot is over: back to the status pattern, in its rhythm
    period = sum(ms for _, ms in PATTERNS["unreachable"])
    assert fb.due(100 + ok_ms) <= period
    fb.status(None, 2000)
    assert fb.due(2000) is None and led.shown[-1] == OFF


# ---- the app's loop parts, on a board of fakes --------------------------------------------------

WHITE = PATTERNS["ack"][0][0]


class Pin:
    """A board button: the edges captured since the last look, as (tick, pin level)."""

    def __init__(self):
        self.captured = []

    def edges(self):
        out, self.captured = self.captured, []
        return out


class Hw:
    """What App's boot and button reading touch of a board's hw module."""

    def __init__(self, clock, pins):
        self.clock = clock
        self.led = Led()
        self.buttons = [Pin() for _ in range(pins)]
        self.wifi = self
        self.asked = []  # the connect budgets the app gave Wi-Fi, ms

    def wake(self):
        return None

    def up(self, timeout_ms):
        self.asked.append(timeout_ms)
        return True

    def info(self):
        return {"connected": True}

    def sync_time(self):
        return True


def app_setup(board_buttons, **sections):
    from wallbutton.app import App

    raw = {"board": "unix", "buttons": [{"click": {"do": "toggle", "device": LIGHT}}]}
    raw.update(sections)
    cfg = config.check(raw)
    clock = Clock()
    hw = Hw(clock, len(board_buttons))
    h = Homey()
    return App(cfg, {"buttons": board_buttons}, hw, Log("debug", clock, [].append), h), hw, h


def test_a_press_is_acknowledged_on_the_led_before_its_call():
    for active_low, pressed in ((True, 0), (False, 1)):  # both wirings of a board's button
        app, hw, h = app_setup([{"active_low": active_low}])
        t = app.clock.now()
        hw.buttons[0].captured = [(t, pressed)]
        app.clock.t = t + 100  # past the debounce
        app.read_buttons(app.clock.now())
        assert hw.led.shown[-1] == WHITE, (active_low, hw.led.shown)
        assert h.calls == [] and len(app.actions.jobs) == 1, (active_low, app.actions.jobs)


def test_a_wifi_connect_attempt_ends_inside_the_watchdog():
    # an access point that is down must cost a connect attempt, not a watchdog reset
    app, hw, h = app_setup([{}], watchdog_s=8, wifi={"timeout_s": 15})
    app.boot()
    assert hw.asked and max(hw.asked) <= 8000 // 2, hw.asked
