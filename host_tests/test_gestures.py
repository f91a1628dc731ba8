"""The gesture engine beyond the example cases in dual/u_gestures.py: properties over
random bouncy waveforms (CPython, hypothesis), the package as a board runs it
(.mpy), and the timing table script on both interpreters."""
import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from both import DUAL
from mpyrun import LIB, ROOT, micropython_binary, run_mpy

sys.path.insert(0, str(DUAL))
sys.path.insert(0, str(ROOT / "tools"))

from u_gestures import PERIOD, gestures, run  # noqa: E402

LONG, REPEAT = 800, 250  # the defaults

# contact bounce offsets (ms after the first edge), all well inside the 20 ms debounce
bounce = st.lists(st.integers(0, 3), max_size=5).map(lambda steps: [sum(steps[:i + 1]) for i in range(len(steps))])
taps = st.lists(st.tuples(st.integers(40, 900), st.integers(40, 2200), bounce, bounce), min_size=1, max_size=5)


def waveform(spec):
    """[(gap, held, close bounce, open bounce)] -> [(ms, pressed)] in time order."""
    edges, t = [], 0
    for gap, held, close, open_ in spec:
        p = t + gap
        for k, dt in enumerate([0] + close):
            edges.append((p + dt, 1 - k % 2))
        if len(close) % 2:
            edges.append((p + (close[-1] if close else 0) + 1, 1))
        r = max(p + held, edges[-1][0] + 1)
        for k, dt in enumerate([0] + open_):
            edges.append((r + dt, k % 2))
        if len(open_) % 2:
            edges.append((r + (open_[-1] if open_ else 0) + 1, 0))
        t = edges[-1][0] + 25
    return edges


def press_lengths(spec):
    lengths, t = [], 0
    for gap, held, close, open_ in spec:
        p = t + gap
        close_end = p + (close[-1] if close else 0) + (1 if len(close) % 2 else 0)
        r = max(p + held, close_end + 1)
        lengths.append(r - p)
        t = r + (open_[-1] if open_ else 0) + (1 if len(open_) % 2 else 0) + 25
    return lengths


@settings(max_examples=40, deadline=None)
@given(taps, st.integers(1, 5000))
def test_every_tap_is_one_press_and_one_release_of_its_true_length(spec, wrap_at):
    edges = waveform(spec)
    tr = run(edges, start=PERIOD - wrap_at)
    assert [g for _, g, _ in tr if g in ("press", "release")] == ["press", "release"] * len(spec)
    assert [n for _, g, n in tr if g == "release"] == press_lengths(spec)


@settings(max_examples=40, deadline=None)
@given(taps)
def test_long_presses_and_hold_repeats_are_counted_from_the_press_length(spec):
    tr = run(waveform(spec))
    lengths = press_lengths(spec)
    assert sum(1 for _, g, _ in tr if g == "long") == sum(1 for h in lengths if h >= LONG)
    want = [list(range(1, (h - LONG) // REPEAT + 2)) for h in lengths if h >= LONG]
    got, ks = [], []
    for _, g, n in tr:
        if g == "hold":
            ks.append(n)
        elif g == "release" and ks:
            got.append(ks)
            ks = []
    assert got == want


@settings(max_examples=40, deadline=None)
@given(taps)
def test_a_click_only_button_clicks_once_per_tap_on_its_press_edge(spec):
    tr = run(waveform(spec), {"wants": ("click",)})
    assert [g for _, g, _ in tr if g != "release"] == ["press", "click"] * len(spec)
    assert [ms for ms, g, _ in tr if g == "click"] == [ms for ms, g, _ in tr if g == "press"]


@settings(max_examples=30, deadline=None)
@given(taps, st.integers(1, 3000), st.integers(0, 4000))
def test_wrap_late_feeding_and_sleeping_on_due_change_no_gesture(spec, wrap_at, stall_from):
    edges = waveform(spec)
    fine = run(edges, start=0)
    assert run(edges, start=PERIOD - wrap_at) == fine
    assert run(edges, {"active_low": False}) == run(edges)
    assert run(edges, sleepy=True) == fine
    stalled = run(edges, block=(stall_from, stall_from + 1500))
    assert gestures(stalled) == gestures(fine)


def test_the_package_runs_as_mpy_the_form_a_board_runs(tmp_path):
    from mpybuild import build

    sizes = build(str(tmp_path), pkg=str(LIB / "gestures"))
    assert sizes["mpy_bytes"] > 0
    code = """
import gestures
assert gestures.__file__.endswith(".mpy"), gestures.__file__
from u_gestures import run, tap
print(run(tap(100, 120), {"wants": ("click",)}))
"""
    r = run_mpy(code, path=[tmp_path, DUAL]).check()
    assert r.out.strip() == "[(120, 'press', 0), (120, 'click', 1), (240, 'release', 120)]", r


def test_the_timing_table_prints_the_same_on_both_interpreters():
    script = str(DUAL / "u_gestures_timing.py")
    cpy = subprocess.run([sys.executable, script], capture_output=True, text=True, timeout=120, check=True).stdout
    mpy = subprocess.run([micropython_binary(), script], capture_output=True, text=True, timeout=120,
                         check=True).stdout
    assert cpy == mpy
    assert "| click only (auto) | 20 (x0.04) |" in cpy, cpy
    mem = subprocess.run([micropython_binary(), script, "mem"], capture_output=True, text=True, timeout=120,
                         check=True, env={"MICROPYPATH": str(LIB)}).stdout
    assert mem.startswith("| heap (bytes) | import gestures | one Button |"), mem
