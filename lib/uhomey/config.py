# Reads and checks the config file, and the token store's contents: all that
# connect() takes in, checked once there (and this module dropped after).
# Every complaint names the key and says what to put there; none repeats a
# secret's value.
from .errors import ConfigError


def path_join(base_dir, name):
    if not name or name[0] == "/" or not base_dir:
        return name
    return base_dir.rstrip("/") + "/" + name


def load(path):
    """The config at `path`, checked, with defaults filled and paths made absolute."""
    import json

    try:
        with open(path) as f:
            raw = json.load(f)
    except OSError:
        raise ConfigError.of("config_unreadable", path)
    except ValueError:
        raise ConfigError.of("config_not_json", path)
    except (RuntimeError, MemoryError):  # nested deeper than the parser's stack (or the heap) allows
        raise ConfigError.of("config_too_deep", path)
    i = path.rfind("/")
    return check(raw, "" if i < 0 else (path[:i] or "/"), path)


def _section(raw, name, defaults, where):
    sec = raw.get(name)
    if sec is None:
        sec = {}
    if not isinstance(sec, dict):
        raise ConfigError.of("config_not_object", where, name)
    out = dict(sec)
    for key, default in defaults:
        v = out.get(key)
        if v is None:
            out[key] = default
        elif not isinstance(v, str):
            raise ConfigError.of("config_not_string", where, name, key)
    return out


def _url(where, key, value):
    """The URL without its trailing slash; a ConfigError naming the key, never the value (an API
    key or a password pasted into the wrong field must not end up in a log)."""
    from .http import split_url

    if value:
        try:
            split_url(value)
        except ValueError:
            raise ConfigError.of("config_bad_url", where, key)
    return value.rstrip("/")


def check(raw, base_dir="", where="config"):
    """Validate a config dict (as read from JSON). Returns a new, normalised dict."""
    if not isinstance(raw, dict):
        raise ConfigError.of("config_top_not_object", where)
    cfg = dict(raw)
    athom = _section(raw, "athom", (
        ("email", ""),
        ("password", ""),
        ("otp", ""),
        ("client_id", ""),
        ("client_secret", ""),
        ("client_auth", "basic"),
        ("redirect_uri", "http://localhost"),
        ("accounts_url", "https://accounts.athom.com"),
        ("api_url", "https://api.athom.com"),
    ), where)
    homey = _section(raw, "homey", (
        ("id", ""),
        ("url", ""),
        ("api_key", ""),
        ("webhook_url", "https://webhook.homey.app"),
    ), where)
    for key in ("accounts_url", "api_url"):
        athom[key] = _url(where, "athom." + key, athom[key])
    for key in ("url", "webhook_url"):
        homey[key] = _url(where, "homey." + key, homey[key])
    if athom["client_auth"] not in ("basic", "form"):
        raise ConfigError.of("config_client_auth", where)
    otp = athom["otp"].replace(" ", "")
    if otp and not (len(otp) == 6 and otp.isdigit()):
        raise ConfigError.of("config_otp", where)
    athom["otp"] = otp
    fresh = homey.get("fresh_ms", 10000)
    if not isinstance(fresh, int) or isinstance(fresh, bool) or fresh < 0:
        raise ConfigError.of("config_fresh_ms", where)
    homey["fresh_ms"] = fresh
    realtime = homey.get("realtime", False)
    if not isinstance(realtime, bool):
        raise ConfigError.of("config_realtime", where)
    homey["realtime"] = realtime
    if homey["api_key"]:
        if not homey["url"]:
            raise ConfigError.of("config_api_key_without_url", where)
        cfg["mode"] = "apikey"
    else:
        cfg["mode"] = "cloud"
        for key in ("client_id", "client_secret"):
            if not athom[key]:
                raise ConfigError.of("config_no_client", where, key)
    cfg["athom"] = athom
    cfg["homey"] = homey

    tls = raw.get("tls")
    if tls is None:  # only a missing section takes the defaults: [], 0 or "" is a mistake
        tls = {}
    if not isinstance(tls, dict):
        raise ConfigError.of("config_tls_not_object", where)
    verify = tls.get("verify", True)
    if not isinstance(verify, bool):
        raise ConfigError.of("config_tls_verify", where)
    ca = tls.get("ca")
    if ca is None:
        ca = []
    if isinstance(ca, str):
        ca = [ca]
    if not isinstance(ca, list) or not all(isinstance(c, str) and c for c in ca):
        raise ConfigError.of("config_tls_ca", where)
    cfg["tls"] = {"verify": verify, "ca": [path_join(base_dir, c) for c in ca]}

    tokens = raw.get("tokens", "tokens.json")
    if not isinstance(tokens, str) or not tokens:
        raise ConfigError.of("config_tokens", where)
    cfg["tokens"] = path_join(base_dir, tokens)

    timeout = raw.get("timeout", 10)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 120:
        raise ConfigError.of("config_timeout", where)
    cfg["timeout"] = timeout
    return cfg


def at_connect(config):
    """(cfg, the token store's contents) for connect(): the config (a file path or a dict)
    checked, and the store read and checked."""
    cfg = check(config) if isinstance(config, dict) else load(config)
    return cfg, stored(cfg["tokens"])


def stored(path):
    """The token store's contents ({} when there is none yet). A damaged one (not a JSON
    object, a value of the wrong type) is renamed path.bad, kept for a look, never deleted,
    and a log line says so: the login starts over."""
    import json

    try:
        with open(path) as f:
            data = json.load(f)
    except OSError:  # none yet: a first boot
        return {}
    except (ValueError, RuntimeError, MemoryError):  # not JSON, or nested past the parser
        data = None
    wrong = damage(data)
    if wrong is None:
        return data
    import os

    from . import log
    from .errors import text  # the words from texts.py: no string here stays interned after

    bad = path + ".bad"
    try:
        try:
            os.remove(bad)  # an older one: rename does not replace a file on every file system
        except OSError:
            pass
        os.rename(path, bad)
        log.warning("%s", text("store_set_aside", path, wrong, bad))
    except OSError:
        log.warning("%s", text("store_not_set_aside", path, wrong))
    return {}


def damage(data):
    """The key of a token store's contents that is wrong (never its value), "top level" when
    it is no JSON object; None when nothing is."""
    if not isinstance(data, dict):
        return "top level"
    for key, kind in (("refresh_token", str), ("access_token", str), ("homey_id", str), ("homey_url", str),
                      ("homey_session", str), ("access_expires", int), ("api_version", int), ("homey_urls", list),
                      ("names", dict), ("flows", dict), ("vars", dict)):
        v = data.get(key)
        if v is not None and (not isinstance(v, kind) or isinstance(v, bool)):
            return key
    url = data.get("homey_url")
    if url and url[:7] != "http://" and url[:8] != "https://":
        return "homey_url"
    for url in data.get("homey_urls") or ():
        if not isinstance(url, str) or url[:7] != "http://" and url[:8] != "https://":
            return "homey_urls"
    for key in ("names", "flows", "vars"):  # name -> id, or name -> [kind or id, id or type]
        for v in (data.get(key) or {}).values():
            if not (isinstance(v, str) if key == "names" else isinstance(v, list) and len(v) == 2):
                return key
    return None

