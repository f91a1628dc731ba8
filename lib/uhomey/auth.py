# Who the Homey calls are made as, and where they go, with Athom's cloud:
# Athom tokens -> delegation -> Homey session, each renewed only when the
# layer above it is refused (see cloud.py), never in a loop. (A Homey Pro's
# local API key is apikey.py: no Athom call, ever.)
# The cloud and discovery code is imported only when a renewal is due and
# unloaded afterwards: a boot with a stored session never compiles it.
from .compat import collect, unload

PHASE_MODULES = "cloud tokens grant discover login oauth jwt consent form config tlsctx jwalk jbytes"


class Cloud:
    mode = "cloud"

    def __init__(self, cfg, store, http, clock):
        self.cfg = cfg
        self.athom = cfg["athom"]
        self.store = store
        self.http = http
        self.clock = clock
        self.login_refused = None  # (ticks, AuthError) of a refused password login
        self.discovered = None  # ticks of the last discovery
        self.exp_tick = None  # ticks when the access token expires, if known this boot
        hid = cfg["homey"]["id"]
        if hid and store.get("homey_id") not in (None, hid):
            # homey.id was changed since the login: the stored address and session are the other
            # Homey's (the Athom tokens are the account's and stay)
            store.update(homey_id=hid, homey_url=None, homey_session=None, api_version=None, names=None,
                         flows=None, vars=None)

    @property
    def homey_id(self):
        return self.cfg["homey"]["id"] or self.store.get("homey_id") or None

    def base(self):
        url = self.cfg["homey"]["url"] or self.store.get("homey_url")
        if url:
            return url
        return phase("discover", "discover", self)

    def bearer(self):
        return self.store.get("homey_session") or self.renew()

    def renew(self):
        """A new Homey session (delegation, and a refresh or login when those are due)."""
        if self.athom["api_url"][:6] == "https:":
            self.http.context()  # its ~3 KB block first, before compiling the login fragments the heap
        if not self.store.get("refresh_token"):  # a password login, before any of the cloud layer loads
            compile_login()
            phase("login", "login", self)
        return phase("cloud", "renew", self)

    def rediscover(self):
        """The Homey's address stopped answering: look it up again (at most once a minute)."""
        if self.cfg["homey"]["url"]:
            return False
        return phase("discover", "again", self)


def phase(mod, fn, a):
    """uhomey.<mod>.<fn>(a), a step of a renewal or discovery, compiled from a shallow stack
    after a full collection; its modules are unloaded afterwards, even when it fails."""
    collect()
    m = __import__("uhomey." + mod, None, None, (fn,))
    try:
        return getattr(m, fn)(a)
    finally:
        m = None
        unload(PHASE_MODULES)


def compile_login():
    """A password login is due: compile its modules now, while the heap holds no answers,
    cookies or tokens yet (compiling costs far more heap than running), each after the ones
    it imports, so that no compile runs nested inside another. grant.py waits for the end of
    the consent step. No reference outlives this call, so unloading them frees them."""
    import sys

    for name in "log form consent login oauth jwt".split():
        name = "uhomey." + name
        if name not in sys.modules:  # connect() may have compiled them already
            collect()
            __import__(name)
