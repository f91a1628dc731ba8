# Short calls for the board's REPL (after Ctrl-C stops the app, or in safe mode):
#   from wallbutton import repl as r
#   r.help()                  this list
#   r.devices("light")        the Homey's devices (name, zone, class, id), filtered by name
#   r.toggle("Kitchen light") toggle one device, print its new state
#   r.tokens()                token status: what is stored and when it expires (never a token)
#   r.wifi()                  Wi-Fi link (ssid, ip, rssi, bssid, channel) and the last errors
#   r.press(0, "click")       run button 0's click action, as if pressed
#   r.login()                 log in to Athom again (keeps the old tokens if it fails)
# They print for a person and return None. The config is /config.json on a board
# (repl.CONFIG = "config.json" on a PC). They use uhomey's public API and read the
# token store file; main.py hands over the app it ran with attach(app).
import json

CONFIG = "/config.json"
BOARD = "/board.json"
WAIT_MS = 10000  # press(): the longest a simulated press may take to finish its action
EPOCH_2000 = 946684800  # seconds from 1970 to 2000 (an ESP32 counts from 2000)
STORED = (("refresh_token", "refresh token"), ("access_token", "access token"),
          ("homey_session", "Homey session"))

_app = None  # the app main.py ran (kept after Ctrl-C), if any
_homey = None  # a session these helpers opened themselves


def attach(app):
    """main.py calls this with its App, so the helpers reuse its Homey session and hardware."""
    global _app
    _app = app


HELP = """from wallbutton import repl as r
r.devices("light")         the Homey's devices (name, zone, class, id), filtered by name
r.toggle("Kitchen light")  toggle one device
r.tokens()                 token status and expiry (never a token)
r.wifi()                   Wi-Fi link and the last Wi-Fi / clock errors
r.press(0, "click")        run button 0's click action as if pressed
r.login()                  log in to Athom again (the old tokens stay if it fails)
config file: r.CONFIG (now %s)"""


def help():
    print(HELP % CONFIG)


def _config(path=None):
    with open(path or CONFIG) as f:
        return json.load(f)


def _session():
    global _homey
    if _app is not None:
        return _app.actions.h
    if _homey is None:
        import uhomey

        _homey = uhomey.connect(CONFIG)
    return _homey


def _tell(fn):
    """Run fn(); a uhomey error is printed for the person at the REPL, not raised at them."""
    import uhomey

    try:
        return fn()
    except uhomey.HomeyError as e:
        print("error:", e)
        return None


def devices(match=None):
    rows = _tell(lambda: _session().devices(match))
    if rows is None:
        return
    for did, name, zone, cls in rows:
        print("%-28s %-16s %-10s %s" % (name, zone or "-", cls or "-", did))
    print("%d device(s)" % len(rows))


def toggle(name):
    v = _tell(lambda: _session().toggle(name))
    if v is not None:
        print("%s is now %s" % (name, "on" if v else "off"))


def _now_epoch():
    import time

    t = time.time()
    if time.gmtime(0)[0] == 2000:
        t += EPOCH_2000
    return int(t) if t > 1700000000 else None  # None: the clock was never set


def _tokens_path(cfg_path=None):
    path = cfg_path or CONFIG
    name = _config(path).get("tokens", "tokens.json")
    if name.startswith("/"):
        return name
    base = path.rsplit("/", 1)[0] if "/" in path else "."
    return base + "/" + name


def token_status(store, now):
    """Lines that say what the token store holds and when the access token expires,
    never a token's value."""
    lines = []
    for key, label in STORED:
        lines.append("%s: %s" % (label, "stored" if store.get(key) else "none"))
    exp = store.get("access_expires") or 0
    if store.get("access_token"):
        if not exp:
            lines.append("access token expiry: unknown (asked of the server on first use)")
        elif now is None:
            lines.append("access token expiry: epoch %d (this board's clock is not set)" % exp)
        else:
            t = _utc(exp)
            left = exp - now
            lines.append("access token expires %s UTC (%s)" % (t, "in %d min" % (left // 60) if left > 0
                                                             else "expired; the refresh token renews it"))
    for key in ("homey_id", "homey_url", "api_version"):
        if store.get(key):
            lines.append("%s: %s" % (key, store[key]))
    return lines


def _utc(epoch):
    import time

    shift = EPOCH_2000 if time.gmtime(0)[0] == 2000 else 0
    y, mo, d, h, mi = time.gmtime(epoch - shift)[:5]
    return "%04d-%02d-%02d %02d:%02d" % (y, mo, d, h, mi)


def tokens():
    path = _tokens_path()
    try:
        with open(path) as f:
            store = json.load(f)
    except OSError:
        print("no token store at %s: log in with repl.login() (or deploy one from the PC)" % path)
        return
    except ValueError:
        print("%s is not valid JSON: repl.login() writes a new one" % path)
        return
    print("token store %s" % path)
    for line in token_status(store, _now_epoch()):
        print("  " + line)


def _board():
    with open(BOARD) as f:
        return json.load(f)


def _make_hw(board, cfg, log):
    mod = __import__("wallbutton.hw_" + board["platform"], None, None, ("make",))
    return mod.make(board, cfg, log)


def _hw():
    return _app.hw if _app is not None else _make_hw(_board(), _config(), _Quiet())


class _Quiet:
    def info(self, msg, *args):
        pass

    warning = info


def wifi():
    info = _hw().wifi.info()
    errors = info.pop("errors", [])
    for k in sorted(info):
        print("%-10s %s" % (k, info[k]))
    print("last errors:" if errors else "no errors since boot")
    for e in errors:
        print("  " + e)


def press(button=0, gesture="click"):
    """Run the action of button `button` for `gesture` ("click", "double", "long", "hold")
    through the app (the attached one, else one made for this call) and wait for its result."""
    app = _app or _one_shot_app()
    if app is None:
        return
    now = app.clock.now()
    app.gesture(button, gesture, 1 if gesture != "long" else 0, now)
    end = app.clock.add(now, WAIT_MS)
    while not app.actions.idle() and app.clock.diff(end, app.clock.now()) > 0:
        now = app.clock.now()
        app.hw.feed()
        if app.actions.due(now) == 0:
            app.actions.run(now)
        else:
            app.hw.idle(min(100, max(1, app.actions.due(now) or 100)))
        app.actions.expire(app.clock.now())
    print("done" if app.actions.idle() else "still queued after %d s (see the log above)" % (WAIT_MS // 1000))


def _one_shot_app():
    import uhomey

    from . import app as appmod
    from . import cfg as config
    from .log import Log

    try:
        cfg = config.load(CONFIG)
        log = Log(cfg["log"])
        hw = _make_hw(_board(), cfg, log)
        if not hw.wifi.up():
            print("no Wi-Fi: see repl.wifi()")
            return None
        h = uhomey.connect(appmod.homey_config(cfg), eager=False)
        return appmod.App(cfg, _board(), hw, log, h)
    except (uhomey.HomeyError, OSError) as e:
        print("error:", e)
        return None


def login():
    """Log in again from the config's credentials: the old token store is put aside first
    and put back if the login fails."""
    import os

    import uhomey

    global _homey
    cfg = _config()
    if (cfg.get("homey") or {}).get("api_key"):
        print("this config uses a Homey API key: there is no Athom login to run")
        return
    path = _tokens_path()
    kept = path + ".old"
    try:
        os.rename(path, kept)
    except OSError:
        kept = None  # no store yet
    try:
        _homey = uhomey.connect(CONFIG)
    except uhomey.HomeyError as e:
        print("login failed:", e)
        if kept:
            os.rename(kept, path)
            print("the previous token store is back in place")
        return
    if kept:
        os.remove(kept)
    print("logged in: %r; tokens saved to %s" % (_homey, path))
