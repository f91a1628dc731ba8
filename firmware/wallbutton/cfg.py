# The firmware's sections of config.json (buttons, led, queue, sleep, watchdog,
# log), checked with messages that name the field and say what to put there.
# The uhomey sections (athom, homey, tls, tokens) are uhomey's to check; the
# wifi and ntp sections are read by the board's hw module.
from uhomey import ConfigError

GESTURES = ("click", "double", "long", "hold")
TIMINGS = ("debounce_ms", "click_ms", "double_ms", "long_ms", "repeat_ms")
DEVICE_ACTIONS = ("toggle", "on", "off", "set", "dim")
ACTIONS = DEVICE_ACTIONS + ("dim_up", "dim_down", "flow", "variable", "webhook", "none")
DIM_STEP = 0.1  # dim_up / dim_down without a step
FIRE_MODES = ("auto", "release", "eager")
MAX_BUTTONS = 4
DEFAULTS = (  # (section, key, default, lowest allowed)
    ("queue", "retry_s", 30, 0),
    ("queue", "max", 8, 1),
    ("sleep", "idle_s", 0, 0),
    ("led", "brightness", 0.2, 0),
)
LOG_LEVELS = ("debug", "info", "warning", "error")


def _fail(where, what):
    raise ConfigError("config: %s %s" % (where, what))


def _number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _text(act, key, where, default=None):
    v = act.get(key, default)
    if not isinstance(v, str) or not v:
        _fail(where + "." + key, "must be a non-empty string")
    return v


def _scalar(act, key, where):
    if key not in act:
        _fail(where + "." + key, "is missing")
    v = act[key]
    if not (v is None or isinstance(v, (bool, int, float, str))):
        _fail(where + "." + key, "must be true/false, a number or a string")
    return v


def _devices(act, where):
    d = act.get("device")
    if isinstance(d, str) and d:
        return [d]
    if isinstance(d, list) and d and all(isinstance(x, str) and x for x in d):
        return list(d)
    _fail(where + ".device", "must be a device name or id, or a list of them")


def action(act, where):
    """One gesture's action, normalised: {"do", "devices", "cap", "value", "step", ...}."""
    if isinstance(act, str):
        act = {"do": act}
    if not isinstance(act, dict):
        _fail(where, 'must be an object such as {"do": "toggle", "device": "Kitchen light"}')
    do = act.get("do")
    if do not in ACTIONS:
        _fail(where + ".do", "is %r: use one of %s" % (do, ", ".join(ACTIONS)))
    out = {"do": do}
    if do in ("dim_up", "dim_down"):
        step = act.get("step", DIM_STEP)
        if _number(step):
            act = dict(act, step=abs(step) if do == "dim_up" else -abs(step))
        out["do"] = do = "dim"
    if do in DEVICE_ACTIONS:
        out["devices"] = _devices(act, where)
        out["cap"] = _text(act, "capability", where, "dim" if do == "dim" else "onoff")
    if do in ("on", "off"):
        out["do"] = "set"
        out["value"] = do == "on"
    elif do == "set":
        out["value"] = _scalar(act, "value", where)
    elif do == "dim":
        step = act.get("step")
        if not _number(step) or not 0 < abs(step) <= 1:
            _fail(where + ".step", "must be a number between -1 and 1 other than 0 (e.g. 0.1 or -0.1)")
        out["step"] = step
    elif do == "flow":
        out["flow"] = _text(act, "flow", where)
    elif do == "variable":
        out["name"] = _text(act, "name", where)
        out["value"] = _scalar(act, "value", where)
    elif do == "webhook":
        out["event"] = _text(act, "event", where)
        tag = act.get("tag")
        if tag is not None and not isinstance(tag, str):
            _fail(where + ".tag", "must be a string")
        out["tag"] = tag
    return out


def _timing(raw, where):
    t = raw.get("timing") or {}
    if not isinstance(t, dict):
        _fail(where + ".timing", "must be an object such as {\"long_ms\": 800}")
    out = {}
    for key in t:
        v = t[key]
        if key not in TIMINGS:
            _fail(where + ".timing." + key, "is unknown: use %s" % ", ".join(TIMINGS))
        if not isinstance(v, int) or isinstance(v, bool) or not 0 < v <= 10000:
            _fail(where + ".timing." + key, "must be a whole number of milliseconds (1..10000)")
        out[key] = v
    return out


def button(raw, where):
    """One button: {"actions": {gesture: action}, "timing": {...}, "fire": "auto"|"release"}."""
    if not isinstance(raw, dict):
        _fail(where, 'must be an object such as {"click": {"do": "toggle", "device": "Kitchen light"}}')
    for key in raw:
        if key not in GESTURES and key not in ("timing", "fire"):
            _fail(where + "." + key, "is unknown: a button has %s, timing, fire" % ", ".join(GESTURES))
    acts = {}
    for g in GESTURES:
        if g in raw:
            a = action(raw[g], where + "." + g)
            if a["do"] != "none":
                acts[g] = a
    fire = raw.get("fire", "auto")
    if fire not in FIRE_MODES:
        _fail(where + ".fire", 'must be "auto" (a click fires as soon as it is certain), "release" (always after '
              'the release and the double-click window) or "eager" (at the press, even with a double)')
    return {"actions": acts, "timing": _timing(raw, where), "fire": fire}


def _section(cfg, name):
    sec = cfg.get(name)
    if sec is None:
        return {}
    if not isinstance(sec, dict):
        _fail(name, "must be an object")
    return dict(sec)


def _show_state(cfg):
    show = cfg["led"].get("show_state")
    if show is None:
        return
    if not isinstance(show, str) or not show:
        _fail("led.show_state", "must be a device name or id (the LED rests lit while it is on), or null")
    if (cfg.get("homey") or {}).get("realtime") is not True:
        _fail("led.show_state", 'needs "homey": {"realtime": true}: the state comes from the Homey\'s pushes')


def check(cfg):
    """The firmware's view of a config dict: the same dict with its sections checked and
    defaults filled in (buttons normalised, see button())."""
    cfg = dict(cfg)
    raw = cfg.get("buttons")
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_BUTTONS:
        _fail("buttons", "must be a list of 1 to %d buttons, one per button of the board" % MAX_BUTTONS)
    cfg["buttons"] = [button(b, "buttons[%d]" % i) for i, b in enumerate(raw)]
    for name in ("queue", "sleep", "led"):
        cfg[name] = _section(cfg, name)
    for sec, key, default, low in DEFAULTS:
        v = cfg[sec].get(key, default)
        if not _number(v) or v < low:
            _fail("%s.%s" % (sec, key), "must be a number >= %s" % low)
        cfg[sec][key] = v
    if cfg["led"]["brightness"] > 1:
        _fail("led.brightness", "must be between 0 and 1 (e.g. 0.2)")
    _show_state(cfg)
    cfg["queue"]["coalesce"] = cfg["queue"].get("coalesce", True) is not False
    toggle = cfg["sleep"].get("toggle", "read")
    if toggle not in ("read", "remember"):
        _fail("sleep.toggle", 'must be "read" (ask the light first) or "remember" (the value this button set)')
    cfg["sleep"]["toggle"] = toggle
    wd = cfg.get("watchdog_s", 30)
    if not _number(wd) or not (wd == 0 or 4 <= wd <= 3600):
        _fail("watchdog_s", "must be 0 (off) or a number of seconds from 4 to 3600")
    cfg["watchdog_s"] = wd
    level = cfg.get("log", "info")
    if level not in LOG_LEVELS:
        _fail("log", "must be one of %s" % ", ".join(LOG_LEVELS))
    cfg["log"] = level
    board = cfg.get("board")
    if not isinstance(board, str) or not board:
        _fail("board", 'must name a board file in boards/ (e.g. "m5stack-atom-lite" or "unix")')
    return cfg


def absolute(cfg, config_dir):
    """Relative file names in uhomey's sections made relative to the config's folder (uhomey
    does this itself when it reads the file; the firmware hands it a dict)."""
    def join(name):
        if not isinstance(name, str) or not name or name[0] == "/" or not config_dir:
            return name
        return config_dir.rstrip("/") + "/" + name

    cfg["tokens"] = join(cfg.get("tokens", "tokens.json"))
    tls = cfg.get("tls")
    if isinstance(tls, dict) and tls.get("ca"):
        ca = tls["ca"]
        tls = dict(tls)
        tls["ca"] = [join(c) for c in ca] if isinstance(ca, list) else join(ca)
        cfg["tls"] = tls
    return cfg


def load(path):
    """The config file at path, checked (raises ConfigError naming the field)."""
    import json

    try:
        with open(path) as f:
            raw = json.load(f)
    except OSError:
        raise ConfigError("config: cannot read %s: does the file exist?" % path)
    except ValueError:
        raise ConfigError("config: %s is not valid JSON: check commas and quotes" % path)
    if not isinstance(raw, dict):
        raise ConfigError("config: the top level of %s must be a JSON object" % path)
    i = path.rfind("/")
    cfg = absolute(check(raw), path[:i] if i > 0 else ("/" if i == 0 else ""))
    cfg["dir"] = path[:i] if i > 0 else ("/" if i == 0 else ".")
    return cfg
