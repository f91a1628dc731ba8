"""A device config checked on the PC before anything touches the board: uhomey's own
section check (lib/uhomey/config.py, the same code the board runs), then the firmware's
sections (wifi, buttons, led, ...; see firmware/README.md) and the files the config
names. Every problem is reported, not just the first, each as "where: what; fix"."""
import difflib
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BOARDS = os.path.join(ROOT, "boards")
sys.path.insert(0, os.path.join(ROOT, "lib"))

GESTURES = ("click", "double", "long", "hold")
TIMINGS = ("debounce_ms", "click_ms", "double_ms", "long_ms", "repeat_ms")
# action -> the keys it needs besides "do"
ACTIONS = {"toggle": ("device",), "on": ("device",), "off": ("device",), "set": ("device", "capability", "value"),
           "dim": ("device",), "dim_up": ("device",), "dim_down": ("device",), "flow": ("flow",),
           "variable": ("name", "value"), "webhook": ("event",), "none": ()}
LOG_LEVELS = ("debug", "info", "warning", "error")
KNOWN = ("athom", "homey", "tls", "tokens", "timeout", "board", "wifi", "ntp", "buttons", "led", "queue", "sleep",
         "watchdog_s", "log")


def board_names():
    if not os.path.isdir(BOARDS):
        return []
    return sorted(n[:-5] for n in os.listdir(BOARDS) if n.endswith(".json"))


def board_path(name):
    return os.path.join(BOARDS, name + ".json")


def _number(v, low=0, high=None, whole=False):
    if isinstance(v, bool) or not isinstance(v, int if whole else (int, float)):
        return False
    return v >= low and (high is None or v <= high)


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
    buttons_on_board = None
    if board is not None:
        buttons_on_board = _board(board, p)
    for name, fn in (("wifi", _wifi), ("ntp", _ntp), ("led", _led), ("queue", _queue), ("sleep", _sleep)):
        if raw.get(name) is not None:
            sec = raw[name]
            if not isinstance(sec, dict):
                p.error(name, "must be an object", "write it as {...} or leave it out")
            else:
                fn(sec, p)
    if raw.get("buttons") is not None:
        _buttons(raw["buttons"], buttons_on_board, p)
    if raw.get("watchdog_s") is not None and not _number(raw["watchdog_s"]):
        p.error("watchdog_s", "must be a number of seconds (0 turns the watchdog off)", "e.g. 30")
    if raw.get("log") is not None and raw["log"] not in LOG_LEVELS:
        p.error("log", "%r is not a log level" % (raw["log"],), "use one of " + ", ".join(LOG_LEVELS))
    if board is not None and not raw.get("wifi") and _board_platform(board) == "esp32":
        p.error("wifi", "missing: an ESP32 needs a network", 'add "wifi": {"networks": [{"ssid": "...", '
                '"password": "..."}]}')


def _uhomey(raw, base_dir, p):
    """uhomey's own check (the first problem it finds) and the files it names."""
    from uhomey import HomeyError
    from uhomey.config import check as uhomey_check

    try:
        cfg = uhomey_check(raw, base_dir, "config")
    except HomeyError as e:
        msg = str(e)
        p.errors.append(msg[len("config: "):] if msg.startswith("config: ") else msg)
        return
    for ca in cfg["tls"]["ca"]:
        if not os.path.isfile(ca):
            p.error("tls.ca", "the file %s does not exist" % ca, "give the path of the CA certificate (DER or PEM), "
                    "relative to the config file")
    if not cfg["tls"]["verify"]:
        p.warn("tls.verify", "false: certificates are not checked")


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


def _led(led, p):
    if led.get("brightness") is not None and not _number(led["brightness"], 0, 1):
        p.error("led.brightness", "must be a number from 0 to 1", "e.g. 0.2")
    if led.get("show_state") is not None and not isinstance(led["show_state"], str):
        p.error("led.show_state", "must be a device name or null", 'e.g. "Kitchen light"')


def _queue(q, p):
    if q.get("retry_s") is not None and not _number(q["retry_s"], 1):
        p.error("queue.retry_s", "must be a number of seconds, at least 1", "e.g. 30")
    if q.get("max") is not None and not _number(q["max"], 0, whole=True):
        p.error("queue.max", "must be a whole number, 0 or more", "e.g. 8")


def _sleep(s, p):
    if s.get("idle_s") is not None and not _number(s["idle_s"]):
        p.error("sleep.idle_s", "must be a number of seconds", "0 never sleeps")


def _buttons(buttons, on_board, p):
    if not isinstance(buttons, list):
        p.error("buttons", "must be a list, one entry per button", 'e.g. [{"click": {"do": "toggle", "device": '
                '"Kitchen light"}}]')
        return
    if on_board is not None and len(buttons) > on_board:
        p.error("buttons", "%d entries but the board has %d button(s)" % (len(buttons), on_board),
                "remove the extra entries or pick another board")
    for i, b in enumerate(buttons):
        where = "buttons[%d]" % i
        if not isinstance(b, dict):
            p.error(where, "must be an object of gestures", 'e.g. {"click": {"do": "toggle", "device": "..."}}')
            continue
        for g, action in b.items():
            if g == "timing":
                _timing(action, where + ".timing", p)
            elif g in GESTURES:
                _action(action, "%s.%s" % (where, g), p)
            else:
                p.error("%s.%s" % (where, g), "not a gesture", "use " + ", ".join(GESTURES) + " (or timing)")


def _timing(t, where, p):
    if not isinstance(t, dict):
        p.error(where, "must be an object", 'e.g. {"long_ms": 800}')
        return
    for k, v in t.items():
        if k not in TIMINGS:
            p.error("%s.%s" % (where, k), "not a timing", "use " + ", ".join(TIMINGS))
        elif not _number(v, 1, 60000, whole=True):
            p.error("%s.%s" % (where, k), "must be a whole number of milliseconds", "e.g. 400")


def _action(a, where, p):
    if not isinstance(a, dict):
        p.error(where, "must be an object", '{"do": "toggle", "device": "Kitchen light"}')
        return
    do = a.get("do")
    if do not in ACTIONS:
        p.error(where + ".do", "%r is not an action" % (do,), "use one of " + ", ".join(ACTIONS))
        return
    for key in ACTIONS[do]:
        if key not in a:
            p.error("%s.%s" % (where, key), "missing for %r" % do, _NEEDS.get(key, "add it"))
    dev = a.get("device")
    if dev is not None and not (isinstance(dev, str) and dev or isinstance(dev, list) and dev
                                and all(isinstance(d, str) and d for d in dev)):
        p.error(where + ".device", "must be a device name (or id), or a list of them",
                "tools/onboard.py list prints the names")
    step = a.get("step", 0.1)
    if do.startswith("dim") and (not _number(step, -1, 1) or step == 0):
        p.error(where + ".step", "must be a number between -1 and 1, not 0", "e.g. 0.1 (or -0.1 to dim down)")


_NEEDS = {"device": "the device's name as the Homey app shows it (tools/onboard.py list prints them)",
          "capability": 'e.g. "dim" or "target_temperature"', "value": "the value to set",
          "flow": "the flow's name as the Homey app shows it", "name": "the logic variable's name",
          "event": "the webhook's event name"}
