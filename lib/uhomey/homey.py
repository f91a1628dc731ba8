# The Homey session users hold: h.get / h.set / h.toggle / h.dim_step, plus
# devices(), trigger(), variables and webhooks (their code is imported only
# when first used). A press on the warm path is one request.
from . import log
from .compat import ticks_diff, ticks_ms
from .errors import HomeyError, NotFound, Rejected, Unreachable

_JSON = ("Content-Type", "application/json")
MAX_REMEMBERED = 32


def is_uuid(s):
    """A Homey device/flow id looks like a UUID; anything else is a name."""
    if not isinstance(s, str) or len(s) != 36:
        return False
    for i in range(36):
        c = s[i]
        if i in (8, 13, 18, 23):
            if c != "-":
                return False
        elif c not in "0123456789abcdefABCDEF":
            return False
    return True


def _json_value(v):
    import json

    return json.dumps(v)


class Homey:
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

    # --- plumbing -------------------------------------------------------
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
                headers.append(_JSON)
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
        got = r.header("x-homey-id")
        if got and not self.auth.homey_id:
            try:
                self.store.update(homey_id=got)
            except HomeyError as e:
                log.warning("%s", e)

    def _json(self, r, limit=4096):
        return r.json(limit)

    def _ok(self, r):
        """A write's answer must be JSON (or empty): a 200 HTML page from a proxy is not a success."""
        if not r.is_json() and r.status != 204 and r.header("content-length") != "0":
            r.json()
        r.close()

    def _remember(self, did, cap, value):
        if len(self._last) >= MAX_REMEMBERED and (did, cap) not in self._last:
            self._last.clear()
        self._last[(did, cap)] = (value, self.clock())

    def _fresh(self, did, cap):
        hit = self._last.get((did, cap))
        if hit is None or ticks_diff(self.clock(), hit[1]) > self.fresh_ms:
            return None
        return hit

    def forget(self):
        """Drop every cached name, id and value (after renaming things in the Homey app)."""
        self._last.clear()
        self._meta.clear()
        self._checked.clear()
        self.store.update(names=None, flows=None, vars=None)

    def close(self):
        self.http.close()

    # --- devices --------------------------------------------------------
    def _resolve(self, device):
        if is_uuid(device):
            return device
        if not isinstance(device, str) or not device:
            raise Rejected("a device is given by its id or its exact name (a non-empty string)")
        from . import devices

        return devices.resolve(self, device)

    def _retry_renamed(self, device, fn):
        """Run fn(id); a device known by name that vanished is looked up once more."""
        did = self._resolve(device)
        try:
            return fn(did)
        except NotFound as e:
            # Only the Homey's own 404 means the id is gone; uhomey's checks say status 0.
            if e.status != 404 or is_uuid(device) or device not in self._checked:
                raise
            from . import devices

            devices.forget(self, device)
            return fn(self._resolve(device))

    def _read(self, did, cap):
        meta = self._meta.get(did)
        if meta is not None and cap not in meta:
            # known from the scan: no request, and no re-resolving of a name that is fine
            raise NotFound("device %s has no capability %r (it has: %s)" % (did, cap, ", ".join(meta) or "none"))
        if self.store.get("api_version", 3) >= 3 or self.auth.mode == "apikey":
            r = self.call("GET", "devices/device/%s/capability/%s" % (did, cap),
                          what="reading %s of device %s" % (cap, did))
            value = self._json(r, 1024)
        else:
            from . import devices

            value = devices.read_v2(self, did, cap)
        self._remember(did, cap, value)
        return value

    def _write(self, did, cap, value):
        from . import devices

        devices.check_value(self, did, cap, value)
        self._last.pop((did, cap), None)
        r = self.call("PUT", "devices/device/%s/capability/%s" % (did, cap), '{"value":%s}' % _json_value(value),
                      what="setting %s of device %s" % (cap, did))
        self._ok(r)
        self._remember(did, cap, value)
        return value

    def get(self, device, capability="onoff"):
        """The capability's value, asked of the Homey every time."""
        return self._retry_renamed(device, lambda did: self._read(did, capability))

    def set(self, device, capability, value):
        """Set a capability; returns the value the Homey accepted."""
        return self._retry_renamed(device, lambda did: self._write(did, capability, value))

    def toggle(self, device, capability="onoff"):
        """Flip an on/off capability; one request when this client knows the value. Returns the new value."""

        def flip(did):
            hit = self._fresh(did, capability)
            cur = hit[0] if hit else self._read(did, capability)
            if not isinstance(cur, bool):
                if cur is None:
                    cur = False
                else:
                    raise Rejected("toggle works on on/off capabilities; %s of %s holds %r"
                                   % (capability, device, cur))
            return self._write(did, capability, not cur)

        return self._retry_renamed(device, flip)

    def dim_step(self, device, delta, capability="dim"):
        """Hold-to-dim: move dim by delta, clamped to 0..1; dimming up from off turns the device on,
        starting from dark. Returns the new level."""

        def step(did):
            from . import devices

            return devices.dim_step(self, did, delta, capability)

        return self._retry_renamed(device, step)

    def devices(self, match=None):
        """[(id, name, zone, class)] for the REPL, streamed from the Homey; with `match`,
        only names containing it (any case): a big home's whole list may not fit a board's RAM."""
        from . import devices

        return devices.listing(self, match)

    # --- flows, variables, webhooks ---------------------------------------
    def trigger(self, flow):
        """Start a flow (basic or advanced) by id or exact name."""
        from . import flows

        return flows.trigger(self, flow)

    def variable(self, name):
        """The value of a logic variable, by name or id."""
        from . import flows

        return flows.variable(self, name)

    def set_variable(self, name, value):
        """Set a logic variable, checked against its type; returns the value set."""
        from . import flows

        return flows.set_variable(self, name, value)

    def webhook(self, event, tag=None):
        """Call the Homey's logic webhook `event` (no authentication involved)."""
        from . import flows

        return flows.webhook(self, event, tag)

    def flows(self):
        """[(id, name, kind)] of every flow, for the REPL."""
        from . import flows

        return flows.listing(self)

    def __repr__(self):
        return "<uhomey.Homey %s via %s>" % (self.auth.homey_id or "?", self.auth.mode)
