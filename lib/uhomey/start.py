# What uhomey.connect() does before the session exists: the config, the token
# store, the HTTP client and who the calls are made as, with the login when one
# is due. Unloaded when it returns, so the Homey layer compiles without it.


def start(config, eager, clock):
    """(cfg, store, http, auth, clock) for uhomey.Homey; see uhomey.connect."""
    from .compat import collect, ticks_ms, unload
    from .config import check, load

    cfg = check(config) if isinstance(config, dict) else load(config)
    check = load = None
    unload("config")  # before the HTTP client compiles: the heap is all it has
    collect()
    from .auth import PHASE_MODULES, Cloud, compile_login
    from .store import Store

    store = Store(cfg["tokens"])
    from .http import Http

    http = Http(cfg["tls"], cfg["timeout"])
    if eager and cfg["mode"] == "cloud" and not store.get("refresh_token"):
        if cfg["athom"]["api_url"][:6] == "https:":
            http.context()  # its ~3 KB blocks before the login's compiles fragment the heap
        compile_login()  # while the heap holds little else: compiling costs most
    clock = clock or ticks_ms
    if cfg["mode"] == "apikey":
        from .apikey import ApiKey

        auth = ApiKey(cfg, store, http)
    else:
        auth = Cloud(cfg, store, http, clock)
        if eager:  # before the Homey layer is compiled: login is the heap's busiest moment
            auth.bearer()  # a new session finds the Homey's address too
            auth.base()
    unload(PHASE_MODULES)
    return cfg, store, http, auth, clock
