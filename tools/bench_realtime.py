#!/usr/bin/env python3
"""Benchmark uhomey.realtime against the in-process simulator. Prints tables, asserts nothing.

  1. latency: (the Homey refusing connects for the first 0.5 s) a capability changed through the simulator's HTTP API (a PUT from
     here) until the client's on_change runs, on CPython and on the MicroPython
     unix port (source and .mpy); the PUT's own round trip is the baseline in the
     same run, and a change made by the simulator's switch (no HTTP) shows the
     socket alone; and the longest single poll() call of each run;
  2. heap: what the open, subscribed link holds after a collection, and the
     smallest -X heapsize at which `import + connect + subscribe + an event + a
     ~65 KB update` passes from .mpy, against the smallest for the import alone;
  3. the wired session (homey.realtime, h.live): the light switched by another
     client of the Homey's API until h.live knows it, and the toggle right after
     it: requests it took, and whether it went the right way; the session's heap
     before and with the link open;
  4. the firmware (bench_press.py's memory harness, .mpy): the smallest heap with
     and without homey.realtime (target: at most 8k more).

Run: .venv/bin/python tools/bench_realtime.py [--presses N] [--only 1|3|4] [--frozen BINARY]
Timings on a shared machine are noisy: read them as a range, not a number.
Everything listens on 127.0.0.1 only and is stopped at the end.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
for _p in (HERE, os.path.join(ROOT, "host_tests")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import mpybuild  # noqa: E402
from bench import bisect, pct, table  # noqa: E402
from homeysim import Simulator, probe  # noqa: E402
from mpyrun import run_mpy  # noqa: E402

MARK = "@@RT@@"
BIG_NAME = 65000      # characters of device name in the big `update` event
GAP_S = 0.05          # between two changes
WAIT_S = 15           # for the client to subscribe

# The device side, the same for CPython and MicroPython: subscribe, then stamp every
# change with the wall clock (shared by both processes on this machine).
DEVICE = """
import gc, json, time
from uhomey.compat import sleep_ms, ticks_diff, ticks_ms
try:
    from time import ticks_us
except ImportError:
    def ticks_us():
        return time.perf_counter_ns() // 1000
P = json.loads(%(params)r)
gc.collect()
base = gc.mem_alloc() if hasattr(gc, "mem_alloc") else 0
from uhomey.realtime import UP, Realtime
gc.collect()
loaded = gc.mem_alloc() if hasattr(gc, "mem_alloc") else 0
seen = []
rt = Realtime(P["url"], P["token"], P["homey"], ctx=None,
              on_change=lambda d, c, v, own: seen.append([v, time.time_ns()]))
rt.watch(P["dev"], ("onoff", "dim"))
heap = None
longest = 0
start = ticks_ms()
while len(seen) < P["n"] and ticks_diff(ticks_ms(), start) < P["ms"]:
    t = ticks_us()
    st = rt.poll()
    longest = max(longest, ticks_diff(ticks_us(), t))
    if st == UP and heap is None:
        gc.collect()
        heap = [loaded - base, gc.mem_alloc() - loaded] if hasattr(gc, "mem_alloc") else None
    sleep_ms(1)
rt.close()
print(%(mark)r + json.dumps({"seen": seen, "heap": heap, "longest_us": longest}))
"""

IMPORT_ONLY = "import uhomey.realtime\nprint(%r)" % MARK


def device_code(sim, dev, n, ms):
    h = sim.homey()
    params = {"url": h.local_url, "token": h.create_api_key(), "homey": h.id, "dev": dev, "n": n, "ms": ms}
    return DEVICE % {"params": json.dumps(params), "mark": MARK}


def run_device(kind, code, mpy_dir=None, heapsize=None):
    """kind: cpython | mpy (source) | mpy-mpy (.mpy from mpy_dir) -> (rc, stdout + stderr)."""
    if kind == "cpython":
        env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "lib"))
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
        return p.returncode, p.stdout + p.stderr
    r = run_mpy(code, heapsize=heapsize, timeout=120, path=[mpy_dir] if kind == "mpy-mpy" else ())
    return r.rc, r.out + r.err


def in_thread(fn):
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("r", fn()))
    t.start()
    return t, out


def subscribed(sim, dev, thread):
    deadline = time.monotonic() + WAIT_S
    while sim.realtime.subscribed("homey:device:" + dev) < 1:
        if time.monotonic() > deadline or not thread.is_alive():
            return False
        time.sleep(0.005)
    return True


def result(thread, out):
    thread.join(130)
    rc, text = out["r"]
    i = text.rfind(MARK)
    if rc != 0 or i < 0:
        raise RuntimeError("the device side failed:\n" + text[-2000:])
    return json.loads(text[i + len(MARK):].strip().splitlines()[0])


def latency(sim, dev, kind, n, mpy_dir):
    """-> ([PUT round trips ms], [PUT start -> client ms], [switch -> client ms], heap, longest
    poll() in ms). The Homey is unreachable for the first half second: connects are refused."""
    key = sim.homey().create_api_key()
    sim.set_unreachable(0, "local")
    thread, out = in_thread(lambda: run_device(kind, device_code(sim, dev, 2 * n, 60000), mpy_dir))
    time.sleep(0.5)
    sim.set_unreachable(0, "local", False)
    if not subscribed(sim, dev, thread):
        return result(thread, out)  # raises with the device's output
    sent, trips = [], []
    c = probe.connection(sim, sim.homey().local_url)
    for i in range(n):
        t0 = time.time_ns()
        c.request("PUT", "/api/manager/devices/device/%s/capability/dim" % dev,
                  body=json.dumps({"value": round(0.01 * (i + 1), 2)}),
                  headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
        c.getresponse().read()
        trips.append((time.time_ns() - t0) / 1e6)
        sent.append((round(0.01 * (i + 1), 2), t0))
        time.sleep(GAP_S)
    c.close()
    for i in range(n):
        value = bool(i % 2 == 0)
        sent.append((value, time.time_ns()))
        sim.homey().set_value(dev, "onoff", value)
        time.sleep(GAP_S)
    res = result(thread, out)
    got = [(v, t) for v, t in res["seen"]]
    put_ms = [(t - t0) / 1e6 for (v0, t0), (v, t) in zip(sent[:n], got[:n])]
    switch_ms = [(t - t0) / 1e6 for (v0, t0), (v, t) in zip(sent[n:], got[n:])]
    return trips, put_ms, switch_ms, res["heap"], res["longest_us"] / 1000


def heap_probe(sim, dev, mpy_dir):
    """probe(kb) for bench.bisect: connect + subscribe + one event + the big update at -X heapsize=kb."""

    def probe_kb(kb):
        code = device_code(sim, dev, 2, 20000)
        thread, out = in_thread(lambda: run_device("mpy-mpy", code, mpy_dir, "%dk" % kb))
        if subscribed(sim, dev, thread):
            sim.homey().set_value(dev, "onoff", True)
            sim.homey().set_value(dev, "dim", 0.9, event=False)
            sim.homey().rename_device(dev, "Lamp " + "x" * BIG_NAME)
        thread.join(130)
        rc, text = out["r"]
        return rc == 0 and MARK in text and '"seen": [[true' in text, text[-300:]

    return probe_kb


def import_probe(mpy_dir):
    def probe_kb(kb):
        r = run_mpy(IMPORT_ONLY, heapsize="%dk" % kb, timeout=60, path=[mpy_dir])
        return r.rc == 0 and MARK in r.out, r.err[-300:]

    return probe_kb


# ---- 3. the wired session -------------------------------------------------------------------

SESSION = """
import gc, json, time
import uhomey
from uhomey.compat import sleep_ms, ticks_diff, ticks_ms
P = json.loads(%(params)r)

def heap():
    gc.collect()
    return gc.mem_alloc() if hasattr(gc, "mem_alloc") else None

h = uhomey.connect(P["config"])
h.live.watch(P["name"])
before = heap()
seen, cur, open_heap = [], None, None
start = ticks_ms()
while len(seen) < P["n"] and ticks_diff(ticks_ms(), start) < P["ms"]:
    h.live.poll()
    v = h.live.state(P["name"])
    if v is not None and cur is None:
        cur, open_heap = v, heap()
    elif v is not None and v != cur:
        t = time.time_ns()
        n0 = h.http.requests
        cur = h.toggle(P["name"])
        seen.append([v, t, cur, h.http.requests - n0])
    sleep_ms(1)
h.close()
print(%(mark)r + json.dumps({"seen": seen, "heap": [before, open_heap]}))
"""


def session_run(sim, kind, n, mpy_dir, wd):
    """-> [(switch -> h.live ms, requests of the toggle, went the right way)], (heap before, with link)."""
    h = sim.homey()
    dev = h.device_by_name("Kitchen light")["id"]
    path = os.path.join(wd, "live-%s.json" % kind)
    cfg = sim.write_config(path, mode="apikey")
    cfg["homey"].update(url=h.local_url, realtime=True)
    with open(path, "w") as f:
        json.dump(cfg, f)
    params = {"config": path, "name": "Kitchen light", "n": n, "ms": 60000}
    code = SESSION % {"params": json.dumps(params), "mark": MARK}
    thread, out = in_thread(lambda: run_device(kind, code, mpy_dir))
    if not subscribed(sim, dev, thread):
        return result(thread, out)
    time.sleep(0.5)  # the value re-read after UP
    key = h.create_api_key(name="the app")
    c = probe.connection(sim, h.local_url)
    sent = []
    for i in range(n):
        cur = h.value(dev, "onoff")
        t0 = time.time_ns()
        c.request("PUT", "/api/manager/devices/device/%s/capability/onoff" % dev,
                  body=json.dumps({"value": not cur}),
                  headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
        c.getresponse().read()
        sent.append(t0)
        deadline = time.monotonic() + 5
        while h.value(dev, "onoff") != cur and time.monotonic() < deadline:  # the client's toggle back
            time.sleep(0.002)
        time.sleep(GAP_S)
    c.close()
    res = result(thread, out)
    rows = [((t - t0) / 1e6, reqs, new == (not v)) for t0, (v, t, new, reqs) in zip(sent, res["seen"])]
    return rows, res["heap"]


def bench_session(sim, n, mpy_dir, wd):
    rows, heaps = [], []
    for kind, label in (("cpython", "CPython (source)"), ("mpy-mpy", "MicroPython (.mpy)")):
        got, heap = session_run(sim, kind, n, mpy_dir, wd)
        ms = [g[0] for g in got]
        rows.append([label, len(got), "%.1f" % pct(ms, 50), "%.1f" % pct(ms, 90), "%.1f" % max(ms),
                     "%d of %d" % (sum(1 for g in got if g[1] == 1), len(got)),
                     "%d of %d" % (sum(1 for g in got if g[2]), len(got))])
        if heap[0] is not None:
            heaps.append([label, "%.1f" % (heap[0] / 1024), "%.1f" % (heap[1] / 1024),
                          "%.1f" % ((heap[1] - heap[0]) / 1024)])
    print("\n3. The wired session (homey.realtime): the light switched by another API client -> h.live, "
          "then h.toggle (loopback, plain HTTP; target < 50 ms)")
    table(["client", "n", "median ms", "p90 ms", "max ms", "toggles of 1 request", "toggles the right way"],
          rows)
    table(["heap after gc.collect, KB", "connected, link not yet polled", "link up, light watched",
           "the link's share"], heaps)


# ---- 4. the firmware with and without homey.realtime ---------------------------------------------


def bench_firmware(sim, wd, frozen=None, lo=32, hi=192):
    """Rows for the .mpy tree, and for a MicroPython with the packages frozen in (if given)."""
    import fwdemo
    from bench_press import KB_STEP, MEMORY_BUTTONS, MEMORY_PRESSES, memory_probe

    builds = [(".mpy", fwdemo.build_tree(os.path.join(wd, "board")), None)]
    if frozen:
        builds.append(("frozen", fwdemo.build_tree(os.path.join(wd, "frozen"), frozen=True), frozen))
    rows = []
    for build, tree, interp in builds:
        seed_dir = os.path.join(wd, "seed")
        os.makedirs(seed_dir, exist_ok=True)
        cfg = os.path.join(seed_dir, "config.json")
        fwdemo.write_config(sim, cfg, MEMORY_BUTTONS)
        rc, out = fwdemo.run(cfg, MEMORY_PRESSES, tree=tree, interp=interp, heap="512k", timeout=60)
        if rc:
            raise SystemExit("seeding the token store failed:\n" + out[-2000:])
        seed = os.path.join(wd, "seed-%s.json" % build)
        os.replace(os.path.join(seed_dir, "tokens.json"), seed)
        best = {}
        for realtime in (False, True):
            probe_kb = memory_probe(sim, wd, tree, seed, interp, realtime=realtime)
            best[realtime] = kb = bisect(probe_kb, lo, hi, KB_STEP)
            below = probe_kb(kb - KB_STEP, repeat=1) if kb and kb > lo else (True, "")
            rows.append([build, "on, link up" if realtime else "off (baseline)",
                         "%dk" % kb if kb else "> %dk" % hi,
                         "fails: " + below[1][-60:] if not below[0] and below[1] else ""])
        if best[False] and best[True]:
            rows.append([build, "difference (target <= 8k)", "%+dk" % (best[True] - best[False]), ""])
    print("\n4. The firmware (unix board, stored tokens, click -> toggle, hold -> dim): smallest "
          "-X heapsize (%dk steps, each passing twice in a row)" % KB_STEP)
    table(["packages", "homey.realtime", "smallest heap", "one step below"], rows)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--presses", type=int, default=30, help="changes per row (default 30)")
    ap.add_argument("--only", choices=("1", "3", "4"), help="one part: 1 (latency and heap of the link), "
                    "3 (the wired session), 4 (the firmware's heap)")
    ap.add_argument("--frozen", help="part 4 also for a MicroPython binary built with uhomey, gestures and "
                    "wallbutton frozen in (bench_press.py's docstring has the manifest)")
    args = ap.parse_args(argv)
    n = args.presses
    with tempfile.TemporaryDirectory(prefix="bench-rt-") as wd, Simulator(workdir=wd) as sim:
        mpy_dir = os.path.join(wd, "mpy")
        sizes = mpybuild.build(mpy_dir)
        if args.only in (None, "3"):
            bench_session(sim, n, mpy_dir, wd)
        if args.only in (None, "4"):
            bench_firmware(sim, wd, args.frozen)
        if args.only not in (None, "1"):
            return
        dev = sim.homey().device_by_name("Kitchen light")["id"]
        rows, heaps, polls = [], {}, []
        for kind, label in (("cpython", "CPython (source)"), ("mpy", "MicroPython (source)"),
                            ("mpy-mpy", "MicroPython (.mpy)")):
            trips, put_ms, switch_ms, heap, longest = latency(sim, dev, kind, n, mpy_dir)
            heaps[label] = heap
            polls.append([label, "%.1f" % longest])
            for what, v in (("PUT round trip (baseline)", trips), ("PUT start -> client state", put_ms),
                            ("switch -> client state", switch_ms)):
                rows.append([label, what, len(v), "%.1f" % pct(v, 50), "%.1f" % pct(v, 90), "%.1f" % max(v)])
        print("1. Latency, ms (loopback, plain HTTP, %d changes each, %d ms apart; target < 50 ms)"
              % (n, GAP_S * 1000))
        table(["client", "what", "n", "median", "p90", "max"], rows)
        print("\n   The longest poll() call in each run (refused connects, retries, setup, events), ms")
        table(["client", "longest poll()"], polls)

        print("\n2. Heap (MicroPython unix port, 64-bit: about twice an ESP32's figures)")
        table(["after gc.collect", "module loaded", "+ open, subscribed link"],
              [[k, v[0], v[1]] for k, v in heaps.items() if v is not None])
        full = bisect(heap_probe(sim, dev, mpy_dir), 16, 128, 2)
        bare = bisect(import_probe(mpy_dir), 8, 128, 2)
        table(["smallest -X heapsize that passes (.mpy, 2k steps)", "KB"],
              [["import uhomey.realtime (baseline)", bare],
               ["+ connect, subscribe, an event, a %d KB update" % (BIG_NAME // 1000 + 4), full],
               ["difference", full - bare if full and bare else "-"]])
        link = sum(os.path.getsize(os.path.join(mpy_dir, "uhomey", m + ".mpy")) for m in ("realtime", "ws", "live"))
        print("  library: %d files, %d bytes of .mpy (realtime.mpy + ws.mpy + live.mpy: %d bytes)"
              % (sizes["files"], sizes["mpy_bytes"], link))


if __name__ == "__main__":
    main()
