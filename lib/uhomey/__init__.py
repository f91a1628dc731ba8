# uhomey: a Homey client small enough for an ESP32 wall button.
#   h = uhomey.connect("config.json"); h.toggle("Kitchen light")
from .errors import (  # noqa: F401
    AuthError,
    ConfigError,
    HomeyError,
    HTTPError,
    NetworkError,
    NotFound,
    ProtocolError,
    Rejected,
    TLSError,
    Unreachable,
)

__version__ = "0.1.0"


def _tls_factory(cfg):
    def make():
        from . import log, tlsctx
        from .compat import unload

        verify = cfg["tls"]["verify"]
        if not verify:
            log.warning("TLS certificate checks are OFF (tls.verify is false): "
                        "anyone on the network path can read the session")
        try:
            return tlsctx.context(tlsctx.load_cas(cfg["tls"]["ca"]) if verify else [], verify)
        finally:
            unload("tlsctx")  # needed again only when the context is remade

    return make


def connect(config, eager=True, clock=None):
    """A Homey session from a config file path (or an already-parsed dict).

    With eager=True (the REPL default) a missing login or Homey session is made
    now, so a wrong password shows up here; a stored session costs no request.
    Firmware passes eager=False to boot without the network.
    """
    from .compat import collect, ticks_ms, unload
    from .config import check, load

    cfg = check(config) if isinstance(config, dict) else load(config)
    check = load = None
    unload("config")  # before the HTTP client compiles: the heap is all it has
    collect()
    from .auth import PHASE_MODULES, ApiKey, Cloud, compile_login
    from .store import Store

    store = Store(cfg["tokens"])
    from .http import Http

    http = Http(_tls_factory(cfg), cfg["timeout"])
    if eager and cfg["mode"] == "cloud" and not store.get("refresh_token"):
        if cfg["athom"]["api_url"][:6] == "https:":
            http.context()  # its ~3 KB blocks before the login's compiles fragment the heap
        compile_login()  # while the heap holds little else: compiling costs most
    clock = clock or ticks_ms
    if cfg["mode"] == "apikey":
        auth = ApiKey(cfg, store, http)
    else:
        auth = Cloud(cfg, store, http, clock)
        if eager:  # before the Homey layer is compiled: login is the heap's busiest moment
            auth.bearer()  # a new session finds the Homey's address too
            auth.base()
    unload(*PHASE_MODULES)
    from .homey import Homey

    return Homey(cfg, store, http, auth, clock)
