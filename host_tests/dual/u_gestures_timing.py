# When a click is decided, through the engine with a simulated (wrapping) clock:
# the latency from the contact closing to the poll that returns ("click", 1),
# per fire mode and set of wanted gestures, for taps of several lengths with
# contact bounce. The press-to-request bench on the unix port is the firmware's
# (tools/bench_press.py); this is the engine's share of it, exact to the ms.
#
#   .venv/bin/python host_tests/dual/u_gestures_timing.py
#   MICROPYPATH=lib .venv/bin/micropython host_tests/dual/u_gestures_timing.py
import sys

if __name__ == "__main__":
    sys.path.insert(0, __file__.rsplit("/", 3)[0] + "/lib")
    sys.path.insert(0, __file__.rsplit("/", 1)[0])

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

if __name__ == "__main__":
    main()
