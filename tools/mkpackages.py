"""Writes the mip package files from the tree (run it after adding or removing a module;
a test fails while they are stale):

    .venv/bin/python tools/mkpackages.py [--check]

package.json           the library:  mpremote mip install github:<owner>/<repo>
package-firmware.json  the library, the gesture engine and the wall-button app:
                       mpremote mip install github:<owner>/<repo>/package-firmware.json

Both sit at the top of the repo so every URL in them is relative (any fork works)
and none has to climb out of a folder. mip installs into the board's /lib; the
firmware's main.py, boot.py, board file and config are what tools/deploy.py adds."""
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "lib"))

# (file, [(folder in the repo, name under the board's /lib)])
PACKAGES = (
    ("package.json", [("lib/uhomey", "uhomey")]),
    ("package-firmware.json", [("lib/uhomey", "uhomey"), ("lib/gestures", "gestures"),
                               ("firmware/wallbutton", "wallbutton")]),
)
SKIP = (".md", ".pyc", ".tmp", ".mpy")


def urls(folder, name):
    """[[path under /lib, URL relative to the repo's top]] for every file in folder, walked."""
    out = []
    top = os.path.join(ROOT, folder)
    for here, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
        for f in sorted(files):
            if f.startswith(".") or f.endswith(SKIP):
                continue
            rel = os.path.relpath(os.path.join(here, f), top).replace(os.sep, "/")
            out.append(["%s/%s" % (name, rel), "%s/%s" % (folder, rel)])
    return out


def render(parts):
    from uhomey import __version__

    entries = []
    for folder, name in parts:
        if os.path.isdir(os.path.join(ROOT, folder)):
            entries += urls(folder, name)
    lines = ",\n".join("    " + json.dumps(e) for e in entries)  # one file a line: readable diffs
    return '{\n  "urls": [\n%s\n  ],\n  "deps": [],\n  "version": %s\n}\n' % (lines, json.dumps(__version__))


def main(argv):
    check = "--check" in argv
    stale = []
    for name, parts in PACKAGES:
        path = os.path.join(ROOT, name)
        text = render(parts)
        try:
            with open(path, encoding="utf-8") as f:
                current = f.read()
        except OSError:
            current = None
        if current == text:
            continue
        stale.append(name)
        if not check:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            print("wrote %s" % name)
    if check and stale:
        print("stale: %s; run .venv/bin/python tools/mkpackages.py" % ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
