# uhomey: a Homey client small enough for an ESP32 wall button.
#   h = uhomey.connect("config.json"); h.toggle("Kitchen light")
# The module map and the data flow of a press and of a login: README.md here.
from .errors import (  # noqa: F401
    AuthError,
    ConfigError,
    HomeyError,
    HTTPError,
    NetworkError,
    NotFound,
    OutOfMemory,
    ProtocolError,
    Rejected,
    TLSError,
    Unreachable,
)

__version__ = "0.1.0"


def connect(config, eager=True, clock=None):
    """A Homey session from a config file path (or an already-parsed dict).

    With eager=True (the REPL default) a missing login or Homey session is made
    now, so a wrong password shows up here; a stored session costs no request.
    Firmware passes eager=False to boot without the network. The config (tls.ca
    files included) and the token store are checked here, once.
    """
    try:
        return _connect(config, eager, clock)
    except MemoryError:
        from .compat import collect

        collect()  # what connect made is garbage now: room for the error
        raise OutOfMemory.of("out_of_memory", "connect")


def _connect(config, eager, clock):
    from .auth import Cloud
    from .compat import run_and_unload, ticks_ms
    from .http import Http
    from .store import Store

    # read once: the checks are not needed again, so config.py is dropped after
    cfg, data = run_and_unload("config", "at_connect", config)
    store = Store(cfg["tokens"], data)
    http = Http(cfg["tls"], cfg["timeout"])
    if cfg["mode"] == "apikey" and cfg["homey"]["url"][:6] == "https:":
        http.context()  # now, as a cloud login does: its ~3 KB before the heap fragments
    elif cfg["tls"]["verify"] and cfg["tls"]["ca"]:
        run_and_unload("tlsctx", "load_cas", cfg["tls"]["ca"])  # a bad tls.ca fails here, not at a press
    clock = clock or ticks_ms
    if cfg["mode"] == "apikey":
        from .apikey import ApiKey  # a Homey Pro's key: the rarer setup loads it only then

        auth = ApiKey(cfg, store, http)
    else:
        auth = Cloud(cfg, store, http, clock)
        if eager:
            auth.bearer()  # a new session finds the Homey's address too
            auth.base()
    # after the login: not held through the heap's busiest moment. The realtime link's
    # session only when it is on: its names would be interned (for good) by every boot
    if cfg["homey"].get("realtime"):
        from .live import LiveHomey as Homey
    else:
        from .homey import Homey

    return Homey(cfg, store, http, auth, clock)
