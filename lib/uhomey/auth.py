# Who the Homey calls are made as, and where they go, with Athom's cloud
# (a Homey Pro's local API key is apikey.py; each boot loads one of the two):
# Athom tokens -> delegation -> Homey session, each renewed only when the
# layer above it is refused, never in a loop. The work is in athom.py
# (renewal, discovery, the login code's exchange) and login.py (the password
# login), each loaded when due and dropped after: hours or a lifetime apart,
# they would otherwise hold RAM that every press needs.
from .compat import const, run_and_unload, ticks_diff

_TEND_MS = const(60000)  # h.tend() pings the best (LAN) address at most this often while calls go elsewhere


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
        self.tended = None  # ticks when the best address was last found silent (athom.rediscover) or pinged
        self.exp_tick = None  # ticks when the access token expires, if known this boot
        hid = cfg["homey"]["id"]
        if hid and store.get("homey_id") not in (None, hid):
            # homey.id was changed since the login: the stored address and session are the other
            # Homey's (the Athom tokens are the account's and stay)
            store.update(homey_id=hid, homey_url=None, homey_urls=None, homey_session=None, api_version=None,
                         names=None, flows=None, vars=None)

    @property
    def homey_id(self):
        return self.cfg["homey"]["id"] or self.store.get("homey_id") or None

    def base(self):
        """The Homey's URL: the config's, the stored one, or found by a discovery."""
        url = self.cfg["homey"]["url"] or self.store.get("homey_url")
        if url:
            return url
        return run_and_unload("athom", "discover", self)

    def bearer(self):
        return self.store.get("homey_session") or self.renew()

    def renew(self):
        """A new Homey session (delegation, and a refresh or login when those are due)."""
        if not self.store.get("refresh_token"):
            self.login()  # before the access token is asked for: there is none to refresh
        return run_and_unload("athom", "renew", self)

    def login(self):
        """The password login: login.py gets the code, then athom.py exchanges it for tokens and
        keeps them, each loaded for its step and dropped before the next loads (the login's
        busiest moment holds one of them). Kept here, the steps took heap from every press
        (0.25 KB of a warm boot + toggle's smallest heap, from .mpy)."""
        code, hid = run_and_unload("login", "login", self)
        run_and_unload("athom", "exchange_code", self, code, hid)

    def rediscover(self):
        """The Homey's address stopped answering: look it up again (at most once a minute)."""
        if self.cfg["homey"]["url"]:
            return False
        return run_and_unload("athom", "rediscover", self)

    def tend(self):
        """h.tend(): while calls go to a fallback address, ping the best one (the LAN's) at most
        once a minute and go back to it when it answers. Costs a comparison when nothing is due."""
        urls = self.store.get("homey_urls")
        if not urls or self.store.get("homey_url") == urls[0]:  # (a homey.url in the config: none stored)
            return
        now = self.clock()
        if self.tended is not None and ticks_diff(now, self.tended) < _TEND_MS:
            return
        self.tended = now
        run_and_unload("athom", "return_to_best", self)
