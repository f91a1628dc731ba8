# When a click is decided, through the engine with a simulated (wrapping) clock:
# the latency from the contact closing to the poll that returns ("click", 1),
# per fire mode and set of wanted gestures, for taps of several lengths with
# contact bounce. The press-to-request bench on the unix port is the firmware's
# (tools/bench_press.py); this is the engine's share of it, exact to the ms.
#
#   .venv/bin/python host_tests/dual/u_gestures_timing.py
#   MICROPYPATH=lib .venv/bin/micropython host_tests/dual/u_gestures_timing.py
# and the engine's heap on MicroPython (run it with lib/gestures as .mpy on the path to
# judge it in the form a board runs; see the package README):
#   .venv/bin/micropython host_tests/dual/u_gestures_timing.py mem
import sys

if __name__ == "__main__":
    sys.path.append(__file__.rsplit("/", 3)[0] + "/lib")  # after MICROPYPATH: a built .mpy wins
    sys.path.insert(0, __file__.rsplit("/", 1)[0])
    if sys.argv[-1] == "mem":
        import gc

        gc.collect()
        at_start = gc.mem_alloc()
        import gestures  # noqa: F401 - measured: the package's import cost

        gc.collect()
        IMPORT_BYTES = gc.mem_alloc() - at_start

from u_gestures import D, run, tap  # noqa: E402

WINDOW = 400
TAPS = (80, 120, 200)  # ms the finger stays down
CASES = (
    # name, cfg, latency as a function of the tap length
    ("click only (auto)", {"wants": ("click",)}, lambda held: D),
    ("click + double (auto)", {"wants": ("click", "double")}, lambda held: held + WINDOW),
    ("click + long (auto)", {"wants": ("click", "long")}, lambda held: held + D),
    ("click + double + long + hold (auto)", {"wants": ("click", "double", "long", "hold")},
     lambda held: held + WINDOW),
    ("click + double (eager, optimistic)", {"wants": ("click", "double"), "fire": "eager"}, lambda held: D),
    ("baseline: any wants (release)", {"wants": ("click",), "fire": "release"}, lambda held: held + WINDOW),
)
PRESS_AT = 100


def click_latency(cfg, held):
    cfg = dict(cfg)
    cfg["double_ms"] = WINDOW
    tr = run(tap(PRESS_AT, held), cfg)
    clicks = [ms for ms, g, _ in tr if g == "click"]
    assert len(clicks) == 1, tr
    return clicks[0] - PRESS_AT


def table():
    """[(name, [latency per tap length], [expected per tap length])]"""
    return [(name, [click_latency(cfg, h) for h in TAPS], [want(h) for h in TAPS]) for name, cfg, want in CASES]


def test_click_decision_latency_per_mode():
    for name, got, want in table():
        assert got == want, (name, got, want)


def test_the_first_hold_step_comes_at_long_ms_in_every_mode():
    for fire in ("auto", "eager", "release"):
        tr = run(tap(PRESS_AT, 1000), {"wants": ("click", "hold"), "fire": fire})
        assert [ms - PRESS_AT for ms, g, _ in tr if g == "hold"] == [800], (fire, tr)


def main():
    base = dict((h, h + WINDOW) for h in TAPS)
    print("click decided, ms after the contact closed (x the release baseline);")
    print("debounce %d ms, double window %d ms, simulated clock wrapping at 2**30" % (D, WINDOW))
    print("| button | %s |" % " | ".join("tap %d ms" % h for h in TAPS))
    print("|---|%s" % ("---:|" * len(TAPS)))
    for name, got, _ in table():
        cells = ["%d (x%.2f)" % (ms, ms / base[h]) for ms, h in zip(got, TAPS)]
        print("| %s | %s |" % (name, " | ".join(cells)))
    print("(\"press\" for the LED comes %d ms after the contact in every mode)" % D)

def heap():
    """Heap bytes (MicroPython): the package imported, one Button, and after 1000 presses."""
    import gc

    from gestures import Button
    from u_gestures import WrapClock

    clock = WrapClock(0)
    gc.collect()
    before = gc.mem_alloc()
    b = Button(cfg={"wants": ("click", "double", "long", "hold")}, clock=clock)
    gc.collect()
    one = gc.mem_alloc() - before
    for k in range(1000):
        for at, pressed in tap(k * 1000, 100 if k % 3 else 900):
            b.edge(1 - pressed, at)
            b.poll(at)
        b.poll(k * 1000 + 999)
    gc.collect()
    grown = gc.mem_alloc() - before - one
    print("| heap (bytes) | import gestures | one Button | growth after 1000 presses |")
    print("|---|---:|---:|---:|")
    print("| %s | %d | %d | %d |" % (gestures.__file__.rsplit("/", 1)[-1], IMPORT_BYTES, one, grown))


if __name__ == "__main__":
    if sys.argv[-1] == "mem":
        heap()
    else:
        main()
