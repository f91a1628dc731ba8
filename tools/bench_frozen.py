"""What freezing saves: the smallest MicroPython heap for a first login + toggle and for a
warm boot + toggle, with uhomey frozen into the image, from .mpy and from source, all
three on ONE build of the unix port (so the rows compare), against the simulator.

    .venv/bin/python tools/bench_frozen.py --mpy-src ~/micropython [--devices 3,1000]

Needs a MicroPython source tree (git clone https://github.com/micropython/micropython,
then `make -C mpy-cross` and `make -C ports/unix submodules`); builds its unix port with
firmware/manifest.py into build/frozen-unix once (about a minute, then reused). Not part
of `make test` or `make bench`, which need no source tree."""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from bench import bisect, table  # noqa: E402
import mpybuild  # noqa: E402
from homeysim import Simulator  # noqa: E402

CODE = "import uhomey\nh = uhomey.connect(%r)\nh.toggle('Kitchen light')\nprint('@@OK@@')\n"
STEP_KB, LO_KB, HI_KB = 2, 8, 160
PASSES = 3  # runs in a row that must pass at a size (the need varies a little with the network)


def build(src, out):
    """The unix port with uhomey (and whatever of the firmware exists) frozen in; reused if built."""
    binary = os.path.join(out, "micropython")
    if os.path.exists(binary):
        return binary
    os.makedirs(out, exist_ok=True)
    manifest = os.path.join(out, "manifest.py")
    with open(manifest, "w") as f:
        f.write('include("$(PORT_DIR)/variants/standard/manifest.py")\n'
                'include(%r, port_manifest=None)\n' % os.path.join(ROOT, "firmware", "manifest.py"))
    print("building the unix port with uhomey frozen in (about a minute)...", flush=True)
    subprocess.run(["make", "-j2", "-C", os.path.join(src, "ports", "unix"), "BUILD=" + out, "MICROPY_PY_BTREE=0",
                    "MICROPY_PY_FFI=0", "FROZEN_MANIFEST=" + manifest], check=True, stdout=subprocess.DEVNULL,
                   timeout=1800)
    return binary


def probe(binary, path, cfg, seed, wd):
    """probe(kb) -> (passed,): PASSES runs in a row at -X heapsize=kb, uhomey found on `path`."""

    def once(kb):
        d = os.path.join(wd, "run")
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        shutil.copy(cfg, os.path.join(d, "config.json"))
        if seed:
            shutil.copy(seed, os.path.join(d, "tokens.json"))
        r = subprocess.run([binary, "-X", "heapsize=%dk" % kb, "-c", CODE % os.path.join(d, "config.json")],
                           capture_output=True, text=True, timeout=120, cwd=d, env={"MICROPYPATH": path})
        return r.returncode == 0 and "@@OK@@" in r.stdout

    def run(kb, repeat=None):
        return (all(once(kb) for _ in range(repeat or PASSES)),)

    return run


def measure(binary, forms, devices, wd):
    rows = []
    for n in devices:
        with Simulator(devices=n) as sim:
            cfg = os.path.join(wd, "config.json")
            sim.write_config(cfg)
            seed_dir = os.path.join(wd, "seed")
            shutil.rmtree(seed_dir, ignore_errors=True)
            os.makedirs(seed_dir)
            shutil.copy(cfg, seed_dir)
            subprocess.run([binary, "-c", CODE % os.path.join(seed_dir, "config.json")], capture_output=True,
                           timeout=120, env={"MICROPYPATH": forms[0][1]})
            seed = os.path.join(seed_dir, "tokens.json")
            for label, path in forms:
                login = bisect(probe(binary, path, cfg, None, wd), LO_KB, HI_KB, STEP_KB)
                warm = bisect(probe(binary, path, cfg, seed, wd), LO_KB, HI_KB, STEP_KB)
                rows.append((n, label, login, warm))
                print("  %d devices, %s: login %sk, warm %sk" % (n, label, login, warm), flush=True)
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mpy-src", required=True, help="a MicroPython source tree")
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "frozen-unix"))
    ap.add_argument("--devices", default="3,1000")
    args = ap.parse_args(argv)
    binary = build(os.path.abspath(args.mpy_src), os.path.abspath(args.build))
    wd = tempfile.mkdtemp(prefix="uhomey-frozen-")
    try:
        mpy = mpybuild.build(os.path.join(wd, "mpy"))["dir"]
        src = mpybuild.build(os.path.join(wd, "src"), source=True)["dir"]
        # MICROPYPATH is the module path: a folder before ".frozen" hides the frozen copy
        forms = [("frozen", ".frozen"), (".mpy", mpy + ":.frozen"), ("source", src + ":.frozen")]
        rows = measure(binary, forms, [int(x) for x in args.devices.split(",")], wd)
    finally:
        shutil.rmtree(wd, ignore_errors=True)
    base = dict(((n, label), (login, warm)) for n, label, login, warm in rows)
    out = []
    for n, label, login, warm in rows:
        ref = base[(n, ".mpy")]
        ratio = "%.2f / %.2f" % (login / ref[0], warm / ref[1]) if None not in (login, warm) + ref else "-"
        out.append([n, label, "%sk" % login, "%sk" % warm, ratio])
    print("\nSmallest -X heapsize (%dk steps, %d passes in a row), one unix build, loopback:" % (STEP_KB, PASSES))
    table(["devices", "uhomey as", "first login + toggle", "warm boot + toggle", "vs .mpy (login / warm)"], out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
