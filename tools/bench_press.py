#!/usr/bin/env python3
"""Benchmark the wall-button firmware (.mpy, unix board) against the in-process simulator.

Prints tables (no assertions on timing):
  1. memory: the smallest `-X heapsize` (4k steps) at which the firmware and the library,
     from .mpy, boot with stored tokens and deliver a click -> toggle by name and a
     hold -> dim steps; and the same from an empty token store (first login on the device);
  2. press feel (issue 15): for click-only, click+double, click+long and hold-to-dim, the
     time from the press edge in the waveform to the first byte of the request at the
     simulator (median, p95) and requests per gesture; for hold, steps asked vs sent, the
     final value and the lag after release. Beside each, in the same run, a baseline that
     decides every click at release plus the 400 ms double window and sends every step
     (the usual button library), and the ratio.

Run: .venv/bin/python tools/bench_press.py [--quick] [--only memory|feel] [--frozen BINARY]
(part of `make bench`). The memory table has a frozen row when MICROPY_DIR names a MicroPython
source tree: a unix port built from it with firmware/manifest.py (uhomey, gestures and
wallbutton frozen in; tools/mpybuild.frozen_port, cached under build/frozen-firmware), or
the binary --frozen names; without either the frozen row is skipped with the reason.
Everything listens on 127.0.0.1 only and is stopped at the end. Timings on a shared
machine are noisy: compare the columns of one run, not runs.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
for _p in (HERE, os.path.join(ROOT, "host_tests")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import fwdemo  # noqa: E402
import mpybuild  # noqa: E402
from bench import bisect, pct, table  # noqa: E402
from homeysim import Simulator  # noqa: E402

LIGHT = "Kitchen light"
KB_STEP = 4
T0 = re.compile(r"unix board: input clock starts at tick (\d+)")
BOUNCE = ((0, 1), (2, 0), (5, 1))  # a press as a contact makes it: closes, bounces once, closes
RELEASE_BOUNCE = ((0, 0), (2, 1), (4, 0))
CLICK_MS = 80
HOLD_STEP = 0.05
DIM_STALL_S = 0.5  # a slow Homey for the hold test: each dim request takes longer than a repeat (250 ms)

# ---- waveforms ------------------------------------------------------------------------------


def edge_lines(t, pattern, button=0):
    return ["%d %d %d" % (t + dt, button, lv) for dt, lv in pattern]


def click(t, button=0):
    return edge_lines(t, BOUNCE, button) + edge_lines(t + CLICK_MS, RELEASE_BOUNCE, button)


def clicks(n, start=1500, every=1500):
    """A warm-up click at 200 ms (it opens the connection), then n clicks; their press ticks."""
    lines = click(200)
    presses = []
    for i in range(n):
        t = start + i * every
        lines += click(t)
        presses.append(t)
    return "\n".join(lines) + "\n", presses


def hold(ms=3000, start=1500):
    lines = click(200) + edge_lines(start, BOUNCE) + edge_lines(start + ms, RELEASE_BOUNCE)
    return "\n".join(lines) + "\n", [start], start + ms


# ---- memory ---------------------------------------------------------------------------------

MEMORY_PRESSES = "\n".join(click(100) + edge_lines(1200, BOUNCE) + edge_lines(2600, RELEASE_BOUNCE)) + "\n"
MEMORY_BUTTONS = [{"click": {"do": "toggle", "device": LIGHT},
                   "hold": {"do": "dim", "device": LIGHT, "step": 0.1}}]


def memory_probe(sim, wd, tree, seed, interp=None, realtime=False):
    """probe(kb) -> (passed, tail): a boot (with the seeded token store, or none) and the presses;
    realtime: with homey.realtime on, the link up during them (tools/bench_realtime.py)."""
    def probe(kb, repeat=2):
        for _ in range(repeat):
            d = os.path.join(wd, "probe")
            shutil.rmtree(d, ignore_errors=True)
            os.makedirs(d)
            cfg = os.path.join(d, "config.json")
            written = fwdemo.write_config(sim, cfg, MEMORY_BUTTONS)
            if realtime:
                written["homey"]["realtime"] = True
                with open(cfg, "w") as f:
                    json.dump(written, f)
            if seed:
                shutil.copy(seed, os.path.join(d, "tokens.json"))
            rc, out = fwdemo.run(cfg, MEMORY_PRESSES, tree=tree, interp=interp, heap="%dk" % kb, timeout=60)
            ok = rc == 0 and "done toggle %s" % LIGHT in out and "done dim %s" % LIGHT in out
            ok = ok and (not realtime or "realtime: up" in out)
            ok = ok and "dropped" not in out and "MemoryError" not in out
            if not ok:
                why = [l for l in out.splitlines() if "MemoryError" in l or " E " in l or "out of memory" in l] or out.splitlines()[-1:]
                return False, why[0].strip().split("): ", 1)[-1]  # the error, not the press it hit
        return True, ""
    return probe


# What stays loaded through the presses (the run's sys.modules on a warm boot), by package, in
# the order the firmware loads it. Imported one group at a time in a fresh interpreter, with a
# full collection between: what each group holds in RAM after import.
RESIDENT = (
    ("uhomey session (errors, http, conn, store, auth, homey, dim)",
     "uhomey uhomey.http uhomey.store uhomey.auth uhomey.homey uhomey.dim"),
    ("gestures (debounce, decode, button)", "gestures gestures.button"),
    ("wallbutton app (log, board, feedback, actions, app)",
     "wallbutton.log wallbutton.ticks wallbutton.hw_unix wallbutton.feedback wallbutton.actions wallbutton.app"),
)
RESIDENT_SCRIPT = """import gc, sys
gc.collect()
for group in sys.stdin.read().split("|"):
    a = gc.mem_alloc()
    for m in group.split():
        __import__(m)
    gc.collect()
    print("resident", gc.mem_alloc() - a)
"""


def resident(wd, tree, interp=None):
    """Bytes each RESIDENT group holds after import: [(label, bytes)]."""
    script = os.path.join(wd, "resident.py")
    with open(script, "w") as f:
        f.write(RESIDENT_SCRIPT)
    env = dict(os.environ, MICROPYPATH=os.path.join(os.path.abspath(tree), "lib") + ":.frozen")
    cmd = [interp or fwdemo.micropython(), "-X", "heapsize=512k", script]
    out = subprocess.run(cmd, input="|".join(g for _, g in RESIDENT), capture_output=True, text=True,
                         timeout=60, env=env, cwd=tree).stdout
    sizes = [int(l.split()[1]) for l in out.splitlines() if l.startswith("resident ")]
    if len(sizes) != len(RESIDENT):
        raise SystemExit("measuring the resident code failed:\n" + out[-2000:])
    return [(label, n) for (label, _), n in zip(RESIDENT, sizes)]


def print_resident(wd, tree, frozen):
    """The table that shows where a press's heap goes: code loaded from .mpy lives in RAM,
    frozen code in flash (only its module objects and classes are in RAM)."""
    mpy = resident(wd, tree)
    fro = resident(wd, fwdemo.build_tree(os.path.join(wd, "frozen-resident"), frozen=True), frozen) if frozen else None
    rows = []
    for i, (label, n) in enumerate(mpy):
        rows.append([label, "%.1f KB" % (n / 1024), "%.1f KB" % (fro[i][1] / 1024) if fro else "-"])
    rows.append(["all of it", "%.1f KB" % (sum(n for _, n in mpy) / 1024),
                 "%.1f KB" % (sum(n for _, n in fro) / 1024) if fro else "-"])
    print("\n  what stays loaded through the presses: KB held after import (a fresh interpreter, "
          "a full collection after each group)")
    table(["loaded for the presses", ".mpy", "frozen"], rows)
    return {label: n for label, n in mpy}


NAMES_SCRIPT = """import sys, micropython
sys.argv.pop(0)
import main
rc = main.main(sys.argv)
micropython.qstr_info()
sys.exit(rc)
"""
NAMES = re.compile(r"n_qstr=(\d+)")


def names_interned(wd, tree, config, seed):
    """How many names a run from .mpy interns (micropython.qstr_info()): with `config`, and the
    token store `seed` (a warm boot) or none (a first login), then the memory presses."""
    with open(os.path.join(tree, "names.py"), "w") as f:
        f.write(NAMES_SCRIPT)
    d = os.path.join(wd, "names")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    cfg = os.path.join(d, "config.json")
    shutil.copy(config, cfg)
    if seed:
        shutil.copy(seed, os.path.join(d, "tokens.json"))
    cmd, cwd, env = fwdemo.command(cfg, tree, None, "512k")
    cmd.insert(cmd.index("main.py"), "names.py")
    p = subprocess.run(cmd, input=MEMORY_PRESSES, capture_output=True, text=True, timeout=60, cwd=cwd, env=env)
    m = NAMES.search(p.stdout)
    if p.returncode or not m:
        raise SystemExit("counting the interned names failed:\n" + (p.stdout + p.stderr)[-2000:])
    return int(m.group(1))


def frozen_port(given=None):
    """(binary, None) of a MicroPython with the firmware frozen in, or (None, why there is none)."""
    if given:
        return given, None
    return mpybuild.frozen_port(os.path.join(ROOT, "build", "frozen-firmware"), firmware=True)


def bench_memory(wd, tree, frozen=None, why_not="", lo=32, hi=160):
    """Rows for the .mpy tree, and for a MicroPython with the packages frozen in (if given)."""
    builds = [(".mpy", tree, None)]
    if frozen:
        builds.append(("frozen", fwdemo.build_tree(os.path.join(wd, "frozen"), frozen=True), frozen))
    rows = []
    names = None  # (warm, first login): counted on the .mpy tree, where names take heap
    with Simulator(workdir=os.path.join(wd, "sim")) as sim:
        for build, where, interp in builds:
            seed_dir = os.path.join(wd, "seed")
            shutil.rmtree(seed_dir, ignore_errors=True)
            os.makedirs(seed_dir)
            cfg = os.path.join(seed_dir, "config.json")
            fwdemo.write_config(sim, cfg, MEMORY_BUTTONS)
            rc, out = fwdemo.run(cfg, MEMORY_PRESSES, tree=where, interp=interp, heap="512k", timeout=60)
            if rc:
                raise SystemExit("seeding the token store failed:\n" + out[-2000:])
            seed = os.path.join(seed_dir, "tokens.json")
            kept = os.path.join(wd, "seed-tokens.json")
            shutil.copy(seed, kept)
            if interp is None:
                names = (names_interned(wd, where, cfg, kept), names_interned(wd, where, cfg, None))
            for label, tokens in (("boot with stored tokens, click -> toggle by name, hold -> dim", kept),
                                  ("first login on the device, then the same presses", None)):
                t = time.monotonic()
                probe = memory_probe(sim, wd, where, tokens, interp)
                best = bisect(probe, lo, hi, KB_STEP)
                below = probe(best - KB_STEP, repeat=1) if best and best > lo else (True, "")
                rows.append([label, build, "%dk" % best if best else "> %dk" % hi,
                             "fails: " + below[1][-70:] if not below[0] and below[1] else "",
                             "%.0f s" % (time.monotonic() - t)])
    print("\n1. Memory: smallest MicroPython -X heapsize that works, firmware + gestures + uhomey "
          "(%dk steps; each passes twice in a row)" % KB_STEP)
    table(["scenario", "packages", "smallest heap", "one step below", "took"], rows)
    if frozen:
        print("  frozen: %s, a unix port with firmware/manifest.py frozen in" % frozen)
    else:
        print("  frozen: skipped (%s)" % why_not)
    if names:
        print("  names interned from .mpy (micropython.qstr_info()): warm boot + presses %d, first login + "
              "presses %d. MicroPython 1.29 keeps them in tables that double: 20, 40, 80, 160 and 320 "
              "entries\n  (620 names), then 640 more in one ~7 KB block; a run that passes 620 mid-press "
              "needs about 24k more heap (firmware/README.md)" % names)
    print_resident(wd, tree, frozen)
    return rows


# ---- press feel ---------------------------------------------------------------------------------

VARIANTS = (  # (name, button config)
    ("click only", {"click": {"do": "toggle", "device": LIGHT}}),
    ("click + double", {"click": {"do": "toggle", "device": LIGHT}, "double": {"do": "flow", "flow": "Good night"}}),
    ("click + long", {"click": {"do": "toggle", "device": LIGHT}, "long": {"do": "off", "device": LIGHT}}),
)
HOLD_BUTTON = {"click": {"do": "toggle", "device": LIGHT}, "hold": {"do": "dim", "device": LIGHT, "step": HOLD_STEP}}
MODES = (("uhomey", {"fire": "auto"}, {}),
         ("baseline", {"fire": "release"}, {"coalesce": False}))
EAGER = ("uhomey, eager", {"fire": "eager"}, {})  # opt-in: the click fires at the press even with a double


def run_presses(wd, tree, button, queue, presses, prepare=None):
    """One firmware run; returns (output, tick of the waveform's zero in ms, homey requests)."""
    with Simulator(workdir=os.path.join(wd, "sim")) as sim:
        if prepare:
            prepare(sim)
        cfg = os.path.join(wd, "config.json")
        for stale in ("tokens.json",):
            if os.path.exists(os.path.join(wd, stale)):
                os.remove(os.path.join(wd, stale))
        fwdemo.write_config(sim, cfg, [button], queue=queue)
        rc, out = fwdemo.run(cfg, presses, tree=tree, heap="256k", timeout=120)
        if rc:
            raise SystemExit("the firmware run failed:\n" + out[-3000:])
        zero = int(T0.search(out).group(1))
        reqs = [r for r in sim.requests if r.role == "homey"]
        final = sim.homey(0).device_by_name(LIGHT)["values"]
        return out, zero, reqs, final


def latencies(zero, presses, reqs):
    """Per press: ms from the press edge to the first request's first byte, and requests until the next press."""
    lat, counts = [], []
    edges = [(zero + t) / 1000.0 for t in presses] + [float("inf")]
    for i, edge in enumerate(edges[:-1]):
        mine = [r for r in reqs if edge <= r.first_byte < edges[i + 1]]
        counts.append(len(mine))
        if mine:
            lat.append((mine[0].first_byte - edge) * 1000)
    return lat, counts


def bench_feel(wd, tree, n):
    rows = []
    raw = {}
    for name, button in VARIANTS:
        presses, ticks = clicks(n)
        got = {}
        for mode, fire, queue in MODES + ((EAGER,) if "double" in button else ()):
            out, zero, reqs, final = run_presses(wd, tree, dict(button, **fire), queue, presses)
            got[mode] = latencies(zero, ticks, reqs)
            raw["%s/%s" % (name, mode)] = got[mode][0]
        base = pct(got["baseline"][0], 50)
        for mode in sorted(got, key=lambda m: m == "baseline"):
            lat, counts = got[mode]
            med = pct(lat, 50)
            ratio = "" if mode == "baseline" or not med else "%.1fx" % (base / med)
            rows.append([name, mode, "%.0f" % med, "%.0f" % pct(lat, 95),
                         "%.2f" % (sum(counts) / len(counts)), "%d/%d" % (len(lat), n), ratio, ""])
    presses, ticks, release = hold()

    def slow_dim(sim):
        did = sim.homey(0).device_by_name(LIGHT)["id"]
        sim.homey(0).set_value(did, "onoff", False)  # the warm-up click turns it on
        sim.homey(0).set_value(did, "dim", 0.2)
        sim.fault("stall", path="/api/manager/devices/device/%s/capability/dim" % did, role="homey",
                  count=1000, seconds=DIM_STALL_S)

    med = {}
    for mode, fire, queue in MODES:
        out, zero, reqs, final = run_presses(wd, tree, dict(HOLD_BUTTON, **fire), queue, presses, slow_dim)
        asked = len(re.findall(r"b0 hold \d+ (?:->|folds)", out))
        dims = [r for r in reqs if r.method == "PUT" and r.path.endswith("/capability/dim")]
        lat, _ = latencies(zero, ticks, dims)
        after = (dims[-1].first_byte - (zero + release) / 1000.0) * 1000 if dims else float("nan")
        med[mode] = after
        want = min(1.0, round(0.2 + HOLD_STEP * asked, 3))
        rows.append(["hold-to-dim", mode, "%.0f" % pct(lat, 50), "%.0f" % pct(lat, 95),
                     "%d sent / %d asked" % (len(dims), asked), "", "",
                     "final %.2f (want %.2f), last step %+.0f ms after release" % (final["dim"], want, after)])
    print("\n2. Press feel: press edge in the waveform -> first byte of the request at the simulator (ms); "
          "%d presses per row after a warm-up press; hold: one 3 s hold, each dim request slowed to %.1f s"
          % (n, DIM_STALL_S))
    print("   uhomey: clicks decided as soon as the configured gestures allow, held steps folded; baseline: every "
          "click decided at release + 400 ms double window, every step its own request;\n   eager: the click "
          "fires at the press and a double fires too (opt-in); ratio: baseline median / this row's median")
    table(["gestures", "mode", "median", "p95", "requests/gesture", "delivered", "ratio", "hold"], rows)
    return rows, raw


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="5 presses per row instead of 12")
    ap.add_argument("--only", choices=("memory", "feel"))
    ap.add_argument("--workdir", default=os.path.join(ROOT, "build", "bench_press"))
    ap.add_argument("--json", help="write the figures to this file")
    ap.add_argument("--frozen", help="a MicroPython binary with uhomey, gestures and wallbutton frozen in, "
                    "for the memory table (default: built from MICROPY_DIR, if set)")
    args = ap.parse_args(argv)
    shutil.rmtree(args.workdir, ignore_errors=True)
    os.makedirs(args.workdir)
    tree = fwdemo.build_tree(os.path.join(args.workdir, "board"))
    print("firmware bench: MicroPython unix port, firmware + uhomey + gestures as .mpy (%s)" % tree)
    res = {}
    if args.only in (None, "memory"):
        frozen, why_not = frozen_port(args.frozen)
        # Under one fixed-length temporary path: module file names and the config's paths are
        # kept in RAM, so under the checkout's own path the heap would differ between machines.
        short = tempfile.mkdtemp(prefix="uhomey-")
        try:
            print("  memory runs under %s (one path length on every machine)" % short)
            res["memory"] = bench_memory(short, fwdemo.build_tree(os.path.join(short, "board")), frozen, why_not)
        finally:
            shutil.rmtree(short, ignore_errors=True)
    if args.only in (None, "feel"):
        res["feel"], res["latencies_ms"] = bench_feel(args.workdir, tree, 5 if args.quick else 12)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
