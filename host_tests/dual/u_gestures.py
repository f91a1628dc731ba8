# The button gesture engine (lib/gestures) under CPython and MicroPython.
# A simulated clock that wraps at 2**30 like an ESP32's ticks_ms moves 1 ms at
# a time; edges are fed when the simulated time reaches them (as an IRQ ring
# drained every loop would) and poll() runs every `every` ms. Times in the
# traces are ms since the simulation started.
from gestures import Button
from gestures.settings import MAX_EVENTS, SAMPLE_MS

PERIOD = 1 << 30
NEAR_WRAP = PERIOD - 700  # the clock wraps 700 ms into a run: inside most gestures
D = 20  # the default debounce_ms


class WrapClock:
    """ticks_ms of an ESP32: 30 bits, wrap-safe diff/add; moves only when told."""

    def __init__(self, t=0):
        self.t = t

    def now(self):
        return self.t

    def add(self, t, ms):
        return (t + ms) & (PERIOD - 1)

    def diff(self, a, b):
        return ((a - b + PERIOD // 2) & (PERIOD - 1)) - PERIOD // 2


def tap(at, held, close=(1, 2, 3), open_=(1, 3, 4)):
    """Pressed-level edges (ms, 1/0) of one press with contact bounce both ways: the
    contact flips at each offset in `close` after it first touches, ending closed,
    and likewise when it opens."""
    e = [(at, 1)]
    level = 1
    for dt in close:
        level = 1 - level
        e.append((at + dt, level))
    if not level:
        e.append((at + close[-1] + 1, 1))
    r = at + held
    e.append((r, 0))
    level = 0
    for dt in open_:
        level = 1 - level
        e.append((r + dt, level))
    if level:
        e.append((r + open_[-1] + 1, 0))
    return e


def load(name):
    """A waveform file from host_tests/waveforms: [(ms, pressed)] of button 0."""
    path = __file__.rsplit("/", 2)[0] + "/waveforms/" + name
    edges = []
    with open(path) as f:
        for line in f:
            ms, button, level = line.split()
            if button == "0":
                edges.append((int(ms), int(level)))
    return edges


def run(edges, cfg=None, start=NEAR_WRAP, until=None, every=1, block=None, sleepy=False):
    """Simulate a main loop: [(ms, gesture, n)] with ms = the poll that returned it.

    edges: [(ms, pressed)]; the raw level fed is the pin's (cfg active_low applies).
    block=(a, b): the loop is stuck from a to b ms (a blocking network call): no
    edges fed and no poll until b, then the edges captured meanwhile come at once.
    sleepy: the loop sleeps exactly b.due() ms between polls (forever when None,
    woken by the next edge), as a firmware main loop does.
    """
    clock = WrapClock(start)
    b = Button(cfg=cfg, clock=clock)
    low = (cfg or {}).get("active_low", True)
    end = until if until is not None else edges[-1][0] + 2000
    out = []
    i = 0
    wake = 0
    for ms in range(end + 1):
        clock.t = clock.add(start, ms)
        if block and block[0] <= ms < block[1]:
            continue
        fed = False
        while i < len(edges) and edges[i][0] <= ms:
            at, pressed = edges[i]
            b.edge(1 - pressed if low else pressed, clock.add(start, at))
            i += 1
            fed = True
        if sleepy and not fed and ms < wake:
            continue
        if ms % every and not sleepy:
            continue
        for g, n in b.poll(clock.t):
            out.append((ms, g, n))
        due = b.due(clock.t)
        wake = end + 1 if due is None else ms + max(1, due)
    return out


def gestures(trace):
    return [(g, n) for _, g, n in trace]


def at(trace, gesture):
    """The ms each `gesture` event was returned at."""
    return [ms for ms, g, _ in trace if g == gesture]


ONE_CLICK = tap(100, 120)  # contact at 100, released at 220


def test_a_click_only_button_fires_on_the_debounced_press_edge():
    tr = run(ONE_CLICK, {"wants": ("click",)})
    assert gestures(tr) == [("press", 0), ("click", 1), ("release", 120)], tr
    assert at(tr, "click") == [100 + D], tr
    assert at(tr, "press") == [100 + D], tr
    # a press longer than click_ms is still a click: it was decided on the press edge
    tr = run(tap(100, 2000), {"wants": ("click",)})
    assert gestures(tr) == [("press", 0), ("click", 1), ("release", 2000)], tr


def test_every_press_of_a_click_only_button_is_a_click():
    edges = tap(100, 80) + tap(300, 80) + tap(500, 80)
    tr = run(edges, {"wants": ("click",)})
    assert at(tr, "click") == [120, 320, 520], tr


def test_click_and_double_decide_the_click_at_the_end_of_the_window():
    tr = run(ONE_CLICK, {"wants": ("click", "double")})
    assert gestures(tr) == [("press", 0), ("release", 120), ("click", 1)], tr
    assert at(tr, "click") == [220 + 400], tr  # released at 220, window 400 ms


def test_click_and_long_decide_the_click_at_release():
    tr = run(ONE_CLICK, {"wants": ("click", "long")})
    assert gestures(tr) == [("press", 0), ("click", 1), ("release", 120)], tr
    assert at(tr, "click") == [220 + D], tr


def test_a_double_click():
    edges = tap(100, 110) + tap(400, 95)
    tr = run(edges)
    assert gestures(tr) == [("press", 0), ("release", 110), ("press", 0), ("double", 2), ("release", 95)], tr
    assert at(tr, "double") == [495 + D], tr


def test_a_second_press_after_the_window_is_a_new_click():
    edges = tap(100, 110) + tap(700, 95)  # released at 210, next press at 700 > 210 + 400
    tr = run(edges, {"wants": ("click", "double")})
    assert gestures(tr) == [("press", 0), ("release", 110), ("click", 1), ("press", 0), ("release", 95), ("click", 1)], tr
    assert at(tr, "click") == [610, 795 + 400], tr


def test_three_quick_taps_are_a_double_then_a_click():
    edges = tap(100, 90) + tap(300, 90) + tap(500, 90)
    tr = run(edges, {"wants": ("click", "double")})
    assert [g for g in gestures(tr) if g[0] in ("click", "double")] == [("double", 2), ("click", 1)], tr


def test_long_press_and_hold_repeats():
    tr = run(tap(100, 1800))  # long at 900, holds at 900, 1150, 1400, 1650, 1900; released at 1900
    assert gestures(tr) == [("press", 0), ("long", 800), ("hold", 1), ("hold", 2), ("hold", 3), ("hold", 4),
                            ("hold", 5), ("release", 1800)], tr
    assert at(tr, "long") == [900], tr
    assert at(tr, "hold") == [900, 1150, 1400, 1650, 1900], tr


def test_hold_repeats_follow_repeat_ms_from_the_config():
    tr = run(tap(0, 3000), {"wants": ("hold",), "repeat_ms": 100, "long_ms": 500})
    holds = [n for _, g, n in tr if g == "hold"]
    assert holds == list(range(1, 27)), holds  # 500, 600, ... 3000
    assert "long" not in [g for _, g, _ in tr], tr
    assert at(tr, "hold")[:3] == [500, 600, 700], tr


def test_a_press_between_click_ms_and_long_ms_is_neither():
    tr = run(tap(100, 500))
    assert gestures(tr) == [("press", 0), ("release", 500)], tr


def test_a_click_then_a_long_press_in_the_window_is_a_click_then_a_long_press():
    edges = tap(100, 100) + tap(400, 1000)
    tr = run(edges)
    assert [g for g in gestures(tr) if g[0] in ("click", "double", "long")] == [("click", 1), ("long", 800)], tr
    assert at(tr, "click") == at(tr, "long") == [1200], tr
    # the second press too short for a long press and too long for a click
    tr = run(tap(100, 100) + tap(400, 500))
    assert [g for g in gestures(tr) if g[0] in ("click", "double", "long")] == [("click", 1)], tr
    assert at(tr, "click") == [900 + D], tr


def test_only_the_wanted_gestures_are_reported():
    edges = tap(100, 100) + tap(300, 100) + tap(1000, 1000)
    tr = run(edges, {"wants": ("long",)})
    assert gestures(tr) == [("press", 0), ("release", 100), ("press", 0), ("release", 100), ("press", 0),
                            ("long", 800), ("release", 1000)], tr
    tr = run(edges, {"wants": ()})
    assert [g for _, g, _ in tr] == ["press", "release"] * 3, tr


def test_release_mode_is_the_classic_baseline():
    # every gesture decoded and every click waits for release plus the double window,
    # whatever the button's actions
    for wants in (("click",), ("click", "long"), ("click", "double")):
        tr = run(ONE_CLICK, {"wants": wants, "fire": "release"})
        assert gestures(tr) == [("press", 0), ("release", 120), ("click", 1)], (wants, tr)
        assert at(tr, "click") == [220 + 400], (wants, tr)
    tr = run(tap(100, 100) + tap(300, 100) + tap(1000, 1000), {"wants": ("click",), "fire": "release"})
    assert [g for g in gestures(tr) if g[0] not in ("press", "release")] == [
        ("double", 2), ("long", 800), ("hold", 1)], tr


def test_eager_fires_the_first_click_on_the_press_edge_and_still_decodes_the_rest():
    cfg = {"wants": ("click", "double", "long"), "fire": "eager"}
    tr = run(ONE_CLICK, cfg)
    assert gestures(tr) == [("press", 0), ("click", 1), ("release", 120)], tr
    assert at(tr, "click") == [120], tr
    tr = run(tap(100, 110) + tap(400, 95), cfg)
    assert gestures(tr) == [("press", 0), ("click", 1), ("release", 110), ("press", 0), ("double", 2),
                            ("release", 95)], tr
    tr = run(tap(100, 1000), cfg)
    assert gestures(tr) == [("press", 0), ("click", 1), ("long", 800), ("release", 1000)], tr


def test_both_active_levels_give_the_same_gestures():
    edges = tap(100, 110) + tap(400, 95) + tap(1500, 1000)
    low = run(edges, {"active_low": True})
    high = run(edges, {"active_low": False})
    assert low == high, (low, high)
    assert [g for _, g, _ in low].count("double") == 1, low


def test_the_clock_wrapping_mid_gesture_changes_nothing():
    edges = tap(100, 110) + tap(400, 95) + tap(1500, 1000) + tap(3000, 120)
    plain = run(edges, start=0)
    # the wrap lands inside the double click, the long press, the last click's window
    for wrap_at in (450, 1900, 3300):
        assert run(edges, start=PERIOD - wrap_at) == plain, wrap_at
    assert [g for _, g, _ in plain].count("double") == 1, plain


def test_contact_bounce_on_both_edges_makes_one_press():
    heavy = tap(100, 150, close=(1, 1, 2, 4, 5, 5, 7, 9), open_=(1, 2, 2, 3, 6, 8))
    tr = run(heavy)
    assert gestures(tr) == [("press", 0), ("release", 150), ("click", 1)], tr
    assert at(tr, "press") == [120], tr


def test_glitches_shorter_than_the_debounce_are_ignored():
    spikes = [(100, 1), (101, 0), (300, 1), (319, 0), (600, 1), (600, 0)]
    assert run(spikes) == [], run(spikes)
    # an open glitch while held neither releases nor restarts the press
    held = [(100, 1), (1000, 0), (1015, 1), (1500, 0)]
    tr = run(held, {"wants": ("long",)})
    assert gestures(tr) == [("press", 0), ("long", 800), ("release", 1400)], tr


def test_a_glitch_delays_a_decision_by_at_most_the_debounce():
    held = [(100, 1), (1145, 0), (1146, 1), (1500, 0)]  # glitch just before the 2nd hold (1150)
    tr = run(held, {"wants": ("hold",)})
    assert at(tr, "hold") == [900, 1145 + D, 1400], tr


def test_bounce_longer_than_the_debounce_still_makes_one_press():
    tr = run(load("slow_bounce.txt"))
    assert gestures(tr) == [("press", 0), ("release", 135), ("click", 1)], tr
    assert at(tr, "press") == [425 + D], tr


WAVEFORMS = {
    "click.txt": [("press", 0), ("click", 1), ("release", 120)],
    "double.txt": [("press", 0), ("release", 110), ("press", 0), ("double", 2), ("release", 95)],
    "long_hold.txt": [("press", 0), ("long", 800), ("hold", 1), ("hold", 2), ("hold", 3), ("hold", 4),
                      ("release", 1700)],
    "glitches.txt": [("press", 0), ("click", 1), ("release", 100)],
    "slow_bounce.txt": [("press", 0), ("click", 1), ("release", 135)],
}


def test_recorded_waveforms():
    cfg = {"wants": ("click", "double", "long", "hold")}
    for name, want in WAVEFORMS.items():
        if name == "click.txt" or name == "glitches.txt" or name == "slow_bounce.txt":
            # no double wanted there would decide at release; with it, the click waits
            got = gestures(run(load(name), {"wants": ("click", "long", "hold")}))
        else:
            got = gestures(run(load(name), cfg))
        assert got == want, (name, got)


def test_recorded_waveforms_fed_late_after_a_blocking_call():
    for name, want in WAVEFORMS.items():
        edges = load(name)
        cfg = {"wants": ("click", "long", "hold")} if "double" not in name else None
        fine = gestures(run(edges, cfg))
        late = gestures(run(edges, cfg, block=(edges[0][0] - 5, edges[-1][0] + 50)))
        assert late == fine, (name, late, fine)


def test_edges_fed_late_decode_from_their_timestamps():
    edges = tap(100, 110) + tap(400, 95) + tap(1000, 1300)
    fine = run(edges)
    late = run(edges, block=(90, 3000))  # one 2.9 s blocking call covers everything
    assert gestures(late) == gestures(fine), (late, fine)
    assert set(at(late, "release")) == {3000}, late  # all delivered at the first poll after the call
    # the press lengths come from the edges' ticks, not from when they were read
    assert [n for _, g, n in late if g == "release"] == [110, 95, 1300], late


def test_a_blocking_call_in_the_middle_of_a_hold_delivers_the_missed_repeats():
    tr = run(tap(0, 2000), {"wants": ("hold",)}, block=(900, 1700))
    assert [n for _, g, n in tr if g == "hold"] == [1, 2, 3, 4, 5], tr
    assert at(tr, "hold") == [800, 1700, 1700, 1700, 1800], tr


def test_a_slow_loop_decides_the_same_gestures():
    edges = tap(100, 110) + tap(400, 95) + tap(1000, 1300) + tap(3000, 100)
    assert gestures(run(edges, every=97)) == gestures(run(edges)), run(edges, every=97)


def test_busy_and_due():
    clock = WrapClock(NEAR_WRAP)
    b = Button(cfg={"wants": ("click", "double")}, clock=clock)
    t0 = clock.t
    assert not b.busy() and b.due(t0) is None and b.poll(t0) == []
    b.edge(0, t0)  # contact (active low)
    assert b.busy() and b.due(t0) == D
    assert b.due(clock.add(t0, 5)) == D - 5
    t = clock.add(t0, D)
    assert b.poll(t) == [("press", 0)] and b.busy() and b.due(t) is None  # pressed, nothing timed
    r = clock.add(t0, 100)
    b.edge(1, r)
    assert b.due(r) == D
    t = clock.add(r, D)
    assert b.poll(t) == [("release", 100)]
    assert b.busy() and b.due(t) == 400 - D  # the double window runs from the release's first edge
    late = clock.add(r, 1000)
    assert b.due(late) == 0  # overdue: poll now
    assert b.poll(late) == [("click", 1)]
    assert not b.busy() and b.due(late) is None


def test_a_loop_that_sleeps_for_due_decides_on_time():
    edges = tap(100, 110) + tap(400, 95) + tap(1000, 1300) + tap(3000, 100)
    for wants in (("click",), ("click", "double"), ("click", "long"), ("click", "double", "long", "hold")):
        cfg = {"wants": wants}
        assert run(edges, cfg, sleepy=True) == run(edges, cfg), wants


def test_woke_recognises_the_waking_press():
    clock = WrapClock(PERIOD - 10)
    b = Button(cfg={"wants": ("click",)}, clock=clock)
    b.woke(clock.t)
    assert b.poll(clock.t) == [("press", 0), ("click", 1)]
    # with several gestures the waking press is timed from the wake tick
    clock = WrapClock(PERIOD - 10)
    b = Button(cfg={"wants": ("click", "long")}, clock=clock)
    b.woke(clock.t)
    b.edge(1, clock.add(clock.t, 90))  # released (active low) 90 ms after the wake
    assert b.poll(clock.add(clock.t, 90 + D)) == [("press", 0), ("click", 1), ("release", 90)]
    b = Button(cfg={"wants": ("click", "long")}, clock=clock)
    b.woke(clock.t)
    assert b.poll(clock.add(clock.t, 800)) == [("press", 0), ("long", 800)]


def test_woke_with_the_release_already_captured():
    # the chip boots after the finger lifted: the IRQ ring holds a release older than the wake tick
    clock = WrapClock(1000)
    b = Button(cfg={"wants": ("click", "long")}, clock=clock)
    b.woke(1000)
    b.edge(1, 990)
    assert b.poll(1000 + D) == [("press", 0), ("click", 1), ("release", 0)]


class FakePin:
    """A pin read by poll(): level() of a scripted waveform at the clock's time."""

    def __init__(self, clock, start, edges, low=True):
        self.clock = clock
        self.start = start
        self.edges = edges
        self.low = low

    def __call__(self):
        ms = self.clock.diff(self.clock.t, self.start)
        pressed = 0
        for at, level in self.edges:
            if at <= ms:
                pressed = level
        return 1 - pressed if self.low else pressed


def test_a_button_with_only_a_pin_is_sampled_by_poll():
    clock = WrapClock(NEAR_WRAP)
    start = clock.t
    pin = FakePin(clock, start, tap(100, 110) + tap(400, 95) + tap(1000, 1000))
    b = Button(pin=pin, clock=clock)
    assert b.due(start) == SAMPLE_MS and not b.busy()
    got = []
    for ms in range(0, 3000, 5):  # a 5 ms loop
        clock.t = clock.add(start, ms)
        got += b.poll()
        assert b.due() <= SAMPLE_MS
    assert [g for g, _ in got if g not in ("press", "release")] == ["double", "long", "hold"], got


def test_a_button_held_when_the_engine_starts_gives_no_gesture():
    clock = WrapClock(0)
    level = [0]  # active low: pressed
    b = Button(pin=lambda: level[0], cfg={"wants": ("click",)}, clock=clock)
    assert b.busy()
    b.edge(1, 100)
    assert b.poll(200) == [] and not b.busy()
    b.edge(0, 300)
    assert b.poll(320) == [("press", 0), ("click", 1)]


def test_an_edge_older_than_a_decision_counts_from_that_decision():
    for start in (0, PERIOD - 700):  # and with the clock wrapping between the edge and the decision
        clock = WrapClock(start)
        b = Button(cfg={"wants": ("click", "long")}, clock=clock)
        b.edge(0, clock.add(start, 100))
        assert b.poll(clock.add(start, 1000)) == [("press", 0), ("long", 800)], start
        b.edge(1, clock.add(start, 500))  # fed out of order: the release cannot come before the long press
        assert b.poll(clock.add(start, 1100)) == [("release", 900)], start


def test_memory_stays_bounded_when_nobody_polls():
    clock = WrapClock(NEAR_WRAP)
    b = Button(cfg={"wants": ("click",)}, clock=clock)
    ms = 0
    for _ in range(500):
        for at, pressed in tap(ms, 60):
            b.edge(1 - pressed, clock.add(NEAR_WRAP, at))
        ms += 200
    ev = b.poll(clock.add(NEAR_WRAP, ms))
    assert len(ev) == MAX_EVENTS, len(ev)
    assert b.dropped == 500 * 3 - MAX_EVENTS, b.dropped
    assert ev[-1] == ("release", 60) and ev[-2] == ("click", 1)  # the newest are kept
    assert b.poll(clock.add(NEAR_WRAP, ms + 1)) == [] and not b.busy()


def test_state_does_not_grow_with_presses():
    clock = WrapClock(0)
    b = Button(clock=clock)

    def size():
        """attributes and the length of every list among them (tick values grow in digits)"""
        n = 0
        for obj in (b, b._dec, b._db):
            for v in obj.__dict__.values():
                n += 1 + (len(v) if isinstance(v, list) else 0)
        return n

    def presses(first, n):
        for k in range(n):
            for at, pressed in tap(first + k * 1500, 100):
                b.edge(1 - pressed, at)
                b.poll(at)
        b.poll(first + n * 1500 + 1000)

    presses(0, 3)
    before = size()
    presses(10000, 200)
    assert size() == before, (before, size())


def test_settings_are_checked_with_messages_naming_the_button():
    def message(cfg):
        try:
            Button(cfg=cfg, clock=WrapClock(), name="hall")
        except ValueError as e:
            return str(e)
        raise AssertionError("accepted %r" % cfg)

    assert "hall" in message({"long_m": 900}) and "'long_m'" in message({"long_m": 900})
    assert "fire" in message({"fire": "sometimes"})
    assert "'tripple'" in message({"wants": ("click", "tripple")})
    assert "click_ms < long_ms" in message({"click_ms": 900})
    assert "repeat_ms" in message({"repeat_ms": 0})
    assert "debounce_ms" in message({"debounce_ms": "20"})
    Button(cfg={"wants": ["click", "hold"], "long_ms": 600, "fire": "release"}, clock=WrapClock())
    # one gesture named alone, as a JSON config may say it
    assert at(run(ONE_CLICK, {"wants": "click"}), "click") == [100 + D]


def test_the_default_clock():
    from gestures.clock import Ticks

    c = Ticks()
    t = c.now()
    assert c.diff(c.add(t, 5), t) == 5 and c.diff(t, c.add(t, 5)) == -5
    b = Button()
    assert b.poll() == [] and not b.busy() and b.due() is None


def test_due_waits_for_the_debounce_when_a_deadline_falls_in_a_glitch():
    clock = WrapClock(0)
    b = Button(cfg={"wants": ("hold",)}, clock=clock)
    b.edge(0, 100)
    assert b.poll(900) == [("press", 0), ("hold", 1)]
    b.edge(1, 1145)  # opens just before the next repeat (1150) ...
    b.edge(0, 1146)  # ... and closes again: a glitch, known only at 1165
    assert b.poll(1150) == [] and b.due(1150) == 15  # not 0: polling now decides nothing
    assert b.poll(1165) == [("hold", 2)] and b.due(1165) == 1400 - 1165


def test_the_double_window_boundary():
    # released at 200: the window is [200, 600); a press starting inside it is a double,
    # even though its debounce ends after the window
    tr = run(tap(100, 100) + tap(595, 100), {"wants": ("click", "double")})
    assert [g for g in gestures(tr) if g[0] in ("click", "double")] == [("double", 2)], tr
    assert at(tr, "double") == [695 + D], tr
    tr = run(tap(100, 100) + tap(600, 100), {"wants": ("click", "double")})
    assert [g for g in gestures(tr) if g[0] in ("click", "double")] == [("click", 1), ("click", 1)], tr
    assert at(tr, "click") == [600, 1100], tr


def test_the_click_and_long_boundaries():
    def kinds(held):
        return [g for g, _ in gestures(run(tap(100, held))) if g in ("click", "long")]

    assert kinds(350) == ["click"] and kinds(351) == []
    assert kinds(799) == [] and kinds(800) == ["long"]


def test_a_stuck_button_stops_repeating_and_lets_the_loop_sleep():
    from gestures.settings import HOLD_LIMIT_MS

    clock = WrapClock(NEAR_WRAP)
    b = Button(cfg={"wants": ("hold",), "repeat_ms": 1000}, clock=clock)
    b.edge(0, NEAR_WRAP)
    holds = []
    for s in range(1, HOLD_LIMIT_MS // 1000 + 6):
        t = clock.add(NEAR_WRAP, s * 1000)
        holds += [n for g, n in b.poll(t) if g == "hold"]
    assert holds == list(range(1, (HOLD_LIMIT_MS - 800) // 1000 + 2)), holds
    assert b.busy() and b.due(t) is None  # still pressed, but nothing to wait for
    b.edge(1, t)
    assert b.poll(clock.add(t, D)) == [("release", HOLD_LIMIT_MS + 5000)]
