#!/usr/bin/env python3
"""Benchmark uhomey.realtime against the in-process simulator. Prints tables, asserts nothing.

  1. latency: (the Homey refusing connects for the first 0.5 s) a capability changed through the simulator's HTTP API (a PUT from
     here) until the client's on_change runs, on CPython and on the MicroPython
     unix port (source and .mpy); the PUT's own round trip is the baseline in the
     same run, and a change made by the simulator's switch (no HTTP) shows the
     socket alone; and the longest single poll() call of each run;
  2. heap: what the open, subscribed link holds after a collection, and the
     smallest -X heapsize at which `import + connect + subscribe + an event + a
     ~65 KB update` passes from .mpy, against the smallest for the import alone.

Run: .venv/bin/python tools/bench_realtime.py [--presses N]
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


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--presses", type=int, default=30, help="changes per row (default 30)")
    args = ap.parse_args(argv)
    n = args.presses
    with tempfile.TemporaryDirectory(prefix="bench-rt-") as wd, Simulator(workdir=wd) as sim:
        mpy_dir = os.path.join(wd, "mpy")
        sizes = mpybuild.build(mpy_dir)
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
        print("  library: %d files, %d bytes of .mpy (realtime.mpy %d bytes)"
              % (sizes["files"], sizes["mpy_bytes"], os.path.getsize(os.path.join(mpy_dir, "uhomey", "realtime.mpy"))))


if __name__ == "__main__":
    main()
