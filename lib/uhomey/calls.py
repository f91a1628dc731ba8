# The plumbing under uhomey.Homey (homey.py): authenticated requests to the
# Homey, the short-lived value cache, and `lookup`, which runs a lookup module
# (names, listings, JSON scanning) and then unloads it, so the heap a press
# needs does not grow with what was looked up before.
import sys

from .compat import collect, ticks_diff, ticks_ms, unload
from .errors import HomeyError, Unreachable


def is_uuid(s):
    """A Homey device/flow id looks like a UUID; anything else is a name."""
    if not isinstance(s, str) or len(s) != 36:
        return False
    i = 0
    for c in s.encode():  # bytes: iterating a str would intern each character as a qstr
        if (c != 45) if i in (8, 13, 18, 23) else not (48 <= c <= 57 or 97 <= c | 32 <= 102):
            return False
        i += 1
    return True


def lookup(mod, fn, *args, **kw):
    """uhomey.mod.fn(*args, **kw), then every uhomey module it loaded is dropped from RAM."""
    collect()
    keys = list(sys.modules)
    try:
        return getattr(__import__("uhomey." + mod, None, None, (fn,)), fn)(*args, **kw)
    finally:
        unload(*[k[7:] for k in list(sys.modules) if k not in keys and k.startswith("uhomey.")])
        keys = None
        collect()


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
            headers = [("Authorization", "Bearer " + auth.bearer())]
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
                self._learn_id(r)
            if r.status >= 400:
                from .fail import raise_for

                raise_for(r, what)
            return r

    def _learn_id(self, r):
        got = r.header("X-Homey-ID")
        if got and not self.auth.homey_id:
            try:
                self.store.update(homey_id=got)
            except HomeyError as e:
                from . import log

                log.warning("%s", e)

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

    def close(self):
        self.http.close()

    def __repr__(self):
        return "<uhomey.Homey %s via %s>" % (self.auth.homey_id or "?", self.auth.mode)
