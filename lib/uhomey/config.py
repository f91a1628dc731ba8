# Reads and checks the config file. Every complaint names the key and says
# what to put there; none repeats a secret's value.
from .errors import ConfigError, fault


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
        raise fault(ConfigError, 10, path)  # cannot read the config file %s: does it exist?
    except ValueError:
        raise fault(ConfigError, 11, path)  # the config file %s is not valid JSON: check commas and quotes
    i = path.rfind("/")
    return check(raw, "" if i < 0 else (path[:i] or "/"), path)


def _section(raw, name, defaults, where):
    sec = raw.get(name)
    if sec is None:
        sec = {}
    if not isinstance(sec, dict):
        raise fault(ConfigError, 12, where, name)  # %s: `%s` must be an object
    out = dict(sec)
    for key, default in defaults:
        v = out.get(key)
        if v is None:
            out[key] = default
        elif not isinstance(v, str):
            raise fault(ConfigError, 13, where, name, key)  # %s: %s.%s must be a string
    return out


def _url(where, key, value):
    if value and not (value.startswith("http://") or value.startswith("https://")):
        raise fault(ConfigError, 14, where, key, value[:60])  # %s: %s must start with http:// or https://...
    return value.rstrip("/")


def check(raw, base_dir="", where="config"):
    """Validate a config dict (as read from JSON). Returns a new, normalised dict."""
    if not isinstance(raw, dict):
        raise fault(ConfigError, 15, where)  # %s: the top level must be a JSON object
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
        raise fault(ConfigError, 16, where)  # %s: athom.client_auth must be "basic" or "form"
    otp = athom["otp"].replace(" ", "")
    if otp and not (len(otp) == 6 and otp.isdigit()):
        raise fault(ConfigError, 17, where)  # %s: athom.otp must be the 6-digit code from your...
    athom["otp"] = otp
    fresh = homey.get("fresh_ms", 10000)
    if not isinstance(fresh, int) or isinstance(fresh, bool) or fresh < 0:
        raise fault(ConfigError, 18, where)  # %s: homey.fresh_ms must be a whole number of milliseconds
    homey["fresh_ms"] = fresh
    if homey["api_key"]:
        if not homey["url"]:
            raise fault(ConfigError, 19, where)  # %s: homey.api_key is set but homey.url is missing: give...
        cfg["mode"] = "apikey"
    else:
        cfg["mode"] = "cloud"
        for key in ("client_id", "client_secret"):
            if not athom[key]:
                raise fault(ConfigError, 20, where, key)  # %s: athom.%s is missing: create an app at...
    cfg["athom"] = athom
    cfg["homey"] = homey

    tls = raw.get("tls") or {}
    if not isinstance(tls, dict):
        raise fault(ConfigError, 21, where)  # %s: `tls` must be an object
    verify = tls.get("verify", True)
    if not isinstance(verify, bool):
        raise fault(ConfigError, 22, where)  # %s: tls.verify must be true or false
    ca = tls.get("ca") or []
    if isinstance(ca, str):
        ca = [ca]
    if not isinstance(ca, list) or not all(isinstance(c, str) for c in ca):
        raise fault(ConfigError, 23, where)  # %s: tls.ca must be a file name or a list of file names
    cfg["tls"] = {"verify": verify, "ca": [path_join(base_dir, c) for c in ca]}

    tokens = raw.get("tokens", "tokens.json")
    if not isinstance(tokens, str) or not tokens:
        raise fault(ConfigError, 24, where)  # %s: tokens must be a file name
    cfg["tokens"] = path_join(base_dir, tokens)

    timeout = raw.get("timeout", 10)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 120:
        raise fault(ConfigError, 25, where)  # %s: timeout must be a number of seconds between 0 and 120
    cfg["timeout"] = timeout
    return cfg
