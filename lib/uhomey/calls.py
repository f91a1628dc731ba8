# The plumbing under uhomey.Homey (homey.py): authenticated requests to the
# Homey and the short-lived value cache.
from .compat import ticks_diff, ticks_ms
from .errors import Unreachable


class Calls:
    def __init__(self, cfg, store, http, auth, clock=ticks_ms):
        self.cfg = cfg
        self.store = store
        self.http = http
        self.auth = auth
        self.clock = clock
        self.fresh_ms = cfg["homey"]["fresh_ms"]
        self._last = {}  # (device id, cap) -> (value, ticks read or set)
        self._meta = {}  # device id -> {cap: {type, setable, min, max}} from the last scan
        self._checked = {}  # name -> id confirmed this boot

    def call(self, method, path, body=None, what="calling the Homey", timeout=None):
        """One request under {homey}/api/manager/. A 401 gets one new session; an
        address that stopped answering gets one new discovery. Returns the Response."""
        auth = self.auth
        renewed = moved = False
        while True:
            base = auth.base()
            headers = "Bearer " + auth.bearer()  # in two steps: one level of nesting less to compile
            headers = [("Authorization", headers)]
            hid = auth.homey_id
            if hid:
                headers.append(("X-Homey-ID", hid))
            if body is not None:
                headers.append(("Content-Type", "application/json"))
            try:
                r = self.http.request(method, base + "/api/manager/" + path, body=body, headers=headers,
                                      timeout=timeout)
            except Unreachable:
                if moved or not auth.rediscover():
                    raise
                moved = True
                continue
            if r.status == 401 and not renewed:
                r.close()
                renewed = True
                from . import log

                log.info("the Homey refused the session; starting a new one")
                auth.renew()
                continue
            if not hid:
                from .apikey import learn_id  # only a Homey Pro key without homey.id gets here

                learn_id(self, r)
            if r.status >= 400:
                from .fail import raise_for

                raise_for(r, what)
            return r

    def _ok(self, r):
        """A write's answer must be JSON (or empty): a 200 HTML page from a proxy is not a success."""
        if not r.is_json() and r.status != 204 and r.header("content-length") != "0":
            r.json()
        r.close()

    def _remember(self, did, cap, value):
        if len(self._last) >= 32 and (did, cap) not in self._last:
            self._last.clear()
        self._last[(did, cap)] = (value, self.clock())

    def _fresh(self, did, cap):
        hit = self._last.get((did, cap))
        if hit is None or ticks_diff(self.clock(), hit[1]) > self.fresh_ms:
            return None
        return hit
