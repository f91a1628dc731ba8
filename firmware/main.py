# The wall button: /main.py on a board (after /boot.py's safe-mode check). On a PC,
# from the repo root:
#   micropython firmware/main.py config.json      (or python3 firmware/main.py config.json)
# It finds lib/ and firmware/ beside itself and reads boards/<config "board">.json.
# Anywhere else (a board, or a board-like tree of .mpy files on a PC) the modules
# come from the module path (/lib) and the board file is board.json.
import sys


def _repo():
    """The repo root when run from a checkout (firmware/main.py), else None (a board)."""
    f = globals().get("__file__") or ""
    i = max(f.rfind("/"), f.rfind("\\"))
    here = f[:i] if i > 0 else "."
    root = here + "/.."
    try:
        import os

        for p in ("/firmware/wallbutton", "/lib/uhomey", "/boards"):
            os.stat(root + p)
    except OSError:
        return None
    return root


def main(argv):
    root = _repo()
    if root:
        for p in (root + "/firmware", root + "/lib"):
            if p not in sys.path:
                sys.path.insert(0, p)
    from wallbutton.app import main as run

    return run(argv[1] if len(argv) > 1 else "config.json", root + "/boards" if root else None)


if __name__ == "__main__":
    rc = main(sys.argv)
    if _repo():  # on a PC the exit status tells scripts how the run went; a board goes to its REPL
        sys.exit(rc)
