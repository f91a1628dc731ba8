"""A device config checked on the PC before anything touches the board, with the same
code the board runs: uhomey's sections by lib/uhomey/config.py, the app's (buttons, led,
queue, sleep, watchdog_s, log) by firmware/wallbutton/cfg.py, each button on its own so
every broken button is named. On top, what the board could only find out after a
flash: the board file, the Wi-Fi networks, the files the config names, unknown keys.
Each problem reads "where: what; fix"."""
import difflib
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BOARDS = os.path.join(ROOT, "boards")
sys.path.insert(0, os.path.join(ROOT, "lib"))

FIRMWARE = os.path.join(ROOT, "firmware")
KNOWN = ("athom", "homey", "tls", "tokens", "timeout", "board", "wifi", "ntp", "buttons", "led", "queue", "sleep",
         "watchdog_s", "log")


def board_names():
    if not os.path.isdir(BOARDS):
        return []
    return sorted(n[:-5] for n in os.listdir(BOARDS) if n.endswith(".json"))


def board_path(name):
    return os.path.join(BOARDS, name + ".json")


def _number(v, low):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v >= low


class Problems:
    def __init__(self):
        self.errors = []
        self.warnings = []

    def error(self, where, what, fix):
        self.errors.append("%s: %s; %s" % (where, what, fix))

    def warn(self, where, what):
        self.warnings.append("%s: %s" % (where, what))


def check_file(path):
    """(config dict or None, Problems) for the config file at path."""
    p = Problems()
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
    except OSError as e:
        p.error(path, "cannot read it (%s)" % e.strerror, "give the path of your config.json")
        return None, p
    except ValueError as e:
        p.error(path, "not valid JSON (%s)" % e, "check commas and quotes around that line")
        return None, p
    check(raw, os.path.dirname(os.path.abspath(path)), p)
    return raw, p


def check(raw, base_dir, p):
    """Fill Problems p for the parsed config raw; relative paths are relative to base_dir."""
    if not isinstance(raw, dict):
        p.error("config", "the top level is not an object", "the file must hold one JSON object {...}")
        return
    _uhomey(raw, base_dir, p)
    for key in raw:
        if key not in KNOWN:
            near = difflib.get_close_matches(key, KNOWN, 1)
            p.warn(key, "not a key uhomey or the firmware reads" + (" (did you mean `%s`?)" % near[0] if near else ""))
    athom = raw.get("athom") if isinstance(raw.get("athom"), dict) else {}
    if athom.get("password"):
        p.warn("athom.password", "the board will hold your Athom password; tools/onboard.py logs in from this "
               "computer instead and leaves it out")
    board = raw.get("board")
    if board is None:
        return  # the library alone, for the REPL: no firmware sections to check
    on_board = _board(board, p)
    _app(raw, p)
    buttons = raw.get("buttons")
    if on_board is not None and isinstance(buttons, list) and len(buttons) > on_board:
        p.error("buttons", "%d entries but boards/%s.json has %d button(s)" % (len(buttons), board, on_board),
                "remove the extra entries or pick another board")
    for name, fn in (("wifi", _wifi), ("ntp", _ntp)):
        if raw.get(name) is not None:
            if not isinstance(raw[name], dict):
                p.error(name, "must be an object", "write it as {...} or leave it out")
            else:
                fn(raw[name], p)
    if _board_platform(board) == "esp32" and _no_trust(raw):
        p.error("tls.ca", "empty, so the board trusts no certificate and every HTTPS call fails (Athom is "
                "called at least once a day for a new Homey session)", "add the root CA certificates of "
                "api.athom.com and accounts.athom.com (README: TLS on the board)")
    if not raw.get("wifi") and _board_platform(board) == "esp32":
        p.error("wifi", "missing: an ESP32 needs a network", 'add "wifi": {"networks": [{"ssid": "...", '
                '"password": "..."}]}')


def _uhomey(raw, base_dir, p):
    """uhomey's own check (the first problem it finds) and the files it names."""
    from uhomey import HomeyError
    from uhomey.config import check as uhomey_check

    try:
        cfg = uhomey_check(raw, base_dir, "config")
    except HomeyError as e:
        p.errors.append(_plain(e))
        return
    for ca in cfg["tls"]["ca"]:
        if not os.path.isfile(ca):
            p.error("tls.ca", "the file %s does not exist" % ca, "give the path of the CA certificate (DER or PEM), "
                    "relative to the config file")
    if not cfg["tls"]["verify"]:
        p.warn("tls.verify", "false: certificates are not checked")


def _no_trust(raw):
    """True when the config calls HTTPS hosts but gives no CA: CPython would use the system's
    certificates, MicroPython has none."""
    tls = raw.get("tls") if isinstance(raw.get("tls"), dict) else {}
    if tls.get("ca") or tls.get("verify") is False:
        return False
    homey = raw.get("homey") if isinstance(raw.get("homey"), dict) else {}
    return not homey.get("api_key") or str(homey.get("url", "")).startswith("https:")


def _app(raw, p):
    """The app's own check (firmware/wallbutton/cfg.py): each button alone, then the rest."""
    if not os.path.isfile(os.path.join(FIRMWARE, "wallbutton", "cfg.py")):
        p.warn("buttons", "firmware/wallbutton is not in this checkout: the app's sections are not checked")
        return
    if FIRMWARE not in sys.path:
        sys.path.insert(0, FIRMWARE)
    from uhomey import ConfigError
    from wallbutton import cfg

    seen, good = set(), []
    buttons = raw.get("buttons")
    for i, b in enumerate(buttons if isinstance(buttons, list) else ()):
        try:
            cfg.button(b, "buttons[%d]" % i)
            good.append(b)
        except ConfigError as e:
            seen.add(_plain(e))
    try:  # with the good buttons only, so the sections after them are checked too
        cfg.check(dict(raw, buttons=good) if good else raw)
    except ConfigError as e:
        seen.add(_plain(e))
    p.errors += sorted(seen)


def _plain(e):
    msg = str(e)
    return msg[len("config: "):] if msg.startswith("config: ") else msg


def _board_platform(name):
    try:
        with open(board_path(name), encoding="utf-8") as f:
            return json.load(f).get("platform")
    except (OSError, ValueError, AttributeError):
        return None


def _board(name, p):
    """The number of buttons the board has, or None when unknown."""
    names = board_names()
    if not isinstance(name, str) or name not in names:
        fix = ("use one of: " + ", ".join(names)) if names else "boards/ holds no board file yet"
        p.error("board", "no board file boards/%s.json" % (name,), fix)
        return None
    try:
        with open(board_path(name), encoding="utf-8") as f:
            spec = json.load(f)
    except ValueError as e:
        p.error("board", "boards/%s.json is not valid JSON (%s)" % (name, e), "repair that file")
        return None
    buttons = spec.get("buttons") if isinstance(spec, dict) else None
    return len(buttons) if isinstance(buttons, list) else None


def _wifi(w, p):
    nets = w.get("networks")
    if not isinstance(nets, list) or not nets:
        p.error("wifi.networks", "must be a list of at least one network", 'e.g. [{"ssid": "Home", "password": "..."}]')
        nets = []
    for i, n in enumerate(nets):
        where = "wifi.networks[%d]" % i
        if not isinstance(n, dict):
            p.error(where, "must be an object", 'write {"ssid": "...", "password": "..."}')
            continue
        if not isinstance(n.get("ssid"), str) or not n.get("ssid"):
            p.error(where + ".ssid", "missing", "the network's name, exactly as your phone shows it")
        if not isinstance(n.get("password", ""), str):
            p.error(where + ".password", "must be a string", 'use "" for an open network')
    if w.get("static") is not None and not isinstance(w["static"], dict):
        p.error("wifi.static", "must be an object or null", "null asks the router for an address (DHCP)")
    if w.get("timeout_s") is not None and not _number(w["timeout_s"], 1):
        p.error("wifi.timeout_s", "must be a number of seconds, at least 1", "e.g. 15")


def _ntp(n, p):
    if not isinstance(n.get("host", ""), str):
        p.error("ntp.host", "must be a host name", 'e.g. "pool.ntp.org"')
