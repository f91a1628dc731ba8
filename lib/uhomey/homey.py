# uhomey.Homey, the session users hold, and the press path: get / set / toggle /
# dim_step by id or by a name confirmed this boot, one request when the value is
# known (set or read within fresh_ms; with homey.realtime, pushed: live.LiveHomey).
# Requests go through call() (session renewal, rediscovery). Name lookups
# (devices.py, jwalk.py, lists.py) are loaded per lookup and dropped; flows,
# variables, webhooks (lists.py) and hold-to-dim (dim.py) stay once used.
from .compat import collect, const, run_and_unload, ticks_add, ticks_diff, ticks_ms
from .errors import HomeyError, NotFound, OutOfMemory, ProtocolError, Rejected, Unreachable, status_error

_MAX_VALUES = const(32)  # values remembered for toggle (device, capability)
_MAX_DEVICES_KNOWN = const(16)  # devices whose capabilities are kept in RAM
_WRITE_ANSWER = const(2048)  # a write's answer is read to its end, up to this many bytes
_RESERVE = const(256)  # heap set aside so that running out of it can still be reported
_DEFAULT_DIM = {"type": "number", "min": 0, "max": 1}


def is_uuid(s):
    """A Homey device/flow/variable id looks like a UUID; anything else is a name."""
    if not isinstance(s, str) or len(s) != 36:
        return False
    i = 0
    for c in s.encode():
        if (c != 45) if i in (8, 13, 18, 23) else not (48 <= c <= 57 or 97 <= c | 32 <= 102):  # '-', hex
            return False
        i += 1
    return True


def number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


class Homey:
    live = None  # homey.realtime: the pushed state of watched devices (live.LiveHomey sets it)

    def __init__(self, cfg, store, http, auth, clock):
        self.cfg = cfg
        self.store = store
        self.http = http
        self.auth = auth
        self.clock = clock
        self.fresh_ms = cfg["homey"]["fresh_ms"]
        self._last = {}  # (device id, cap) -> (value, ticks read or set)
        self._meta = {}  # device id -> {cap: {type, setable, min, max}} from the last read of it
        self._checked = {}  # name -> id confirmed this boot
        self._reserve = bytearray(_RESERVE)

    @staticmethod
    def _lacks(did, cap, meta):
        """The error for a capability the device does not have (`meta`: the ones it has)."""
        return NotFound.of("no_capability", did, cap, ", ".join(meta) or "none")

    _is_uuid = staticmethod(is_uuid)  # for lists.py, which does not import this module

    def __repr__(self):
        return "<uhomey.Homey %s via %s>" % (self.auth.homey_id or "?", self.auth.mode)

    def close(self):
        """Close the Homey connection (the next call opens it)."""
        self.http.close()

    # ---- requests ----------------------------------------------------------------------

    def call(self, method, path, body=None, what="calling the Homey", timeout=None):
        """One request under {homey}/api/manager/; the Response. A 401 gets one new session; an
        address that cannot be reached (nothing sent) or where another Homey answers passes
        the request to the Homey's next address (auth.rediscover), inside the same deadline."""
        if self._reserve is None:
            self._reserve = bytearray(_RESERVE)  # spent by the last OutOfMemory: set aside again
        auth = self.auth
        renewed = False
        deadline = ticks_add(ticks_ms(), int((timeout or self.http.timeout) * 1000))
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
                got = r.header("X-Homey-ID")
                if hid and got and got != hid:  # another Homey has this address now: ours never saw this
                    self.http.close()
                    raise Unreachable.of("another_homey", base, got[:40], hid)  # its header: any length
            except Unreachable:  # nothing reached the Homey: its next address may take it
                if ticks_diff(deadline, ticks_ms()) <= 0 or not auth.rediscover():
                    raise
                timeout = max(ticks_diff(deadline, ticks_ms()), 1) / 1000  # what is left of the deadline
                continue
            if r.status == 401 and not renewed:
                r.close()
                renewed = True
                from . import log  # where it logs: a boot whose presses go well never loads it

                log.info("the Homey refused the session; starting a new one")
                self.renew()
                continue
            if not hid and got:  # no homey.id (a Homey Pro key without it): the Homey's own, kept
                self._save(homey_id=got)  # (inline, one method fewer resident: 0.1 KB, .mpy)
            if not 200 <= r.status < 300:  # a redirect is no success either: nothing was read or written
                raise status_error(r, what)
            return r

    def renew(self):
        """A new session, the Homey having refused ours (call does this on a 401)."""
        self.auth.renew()

    def tend(self):
        """For the firmware's idle loop, never a press: back to the LAN address from a fallback
        once its ping answers, checked at most once a minute (auth.tend)."""
        try:
            return self.auth.tend()
        except MemoryError:
            raise self._out_of_memory("tend")

    def _save(self, **kw):
        """A store update that may fail (a full flash) without failing the call: it is a cache."""
        try:
            self.store.update(**kw)
        except HomeyError as e:
            from . import log

            log.warning("%s", e)

    def _ok(self, r, what):
        """A write's answer, read to its end: JSON, or nothing. Anything else (a proxy's page, a
        body cut short or badly framed) leaves the write in doubt: it may or may not be applied."""
        import json

        try:
            body = r.body(_WRITE_ANSWER)
            if body.strip():
                if not r.is_json():
                    r.json()  # the captive-portal error: expected JSON, got text/html
                json.loads(body)
        except (HomeyError, ValueError, RuntimeError) as e:  # RuntimeError: nested too deep (CPython)
            raise ProtocolError.of("write_unsure", what, e if isinstance(e, HomeyError) else "not JSON")

    # ---- values ------------------------------------------------------------------------

    def _remember(self, did, cap, value):
        if len(self._last) >= _MAX_VALUES and (did, cap) not in self._last:
            self._last.clear()
        self._last[(did, cap)] = (value, self.clock())

    def _fresh(self, did, cap):
        hit = self._last.get((did, cap))
        if hit is None or ticks_diff(self.clock(), hit[1]) > self.fresh_ms:
            return None
        return hit

    def _known(self, did, cap):
        """The value a toggle starts from: fresh, or read (LiveHomey: pushed first)."""
        hit = self._fresh(did, cap)
        return hit[0] if hit else self._read(did, cap)

    def _learn(self, d):
        """Keep a device's capability metadata and values from a read of it (jwalk's dict)."""
        caps = d["caps"]
        if caps is None:
            return
        for key in caps:
            if "value" in caps[key]:
                self._remember(d["id"], key, caps[key].pop("value"))
        if len(self._meta) >= _MAX_DEVICES_KNOWN and d["id"] not in self._meta:
            self._meta.clear()
        self._meta[d["id"]] = caps

    def _forget_name(self, name):
        """A name whose id stopped working: the next use looks it up again."""
        self._checked.pop(name, None)
        names = self.store.get("names") or {}
        if name in names:
            names = dict(names)
            del names[name]
            self._save(names=names)

    def _resolve(self, device):
        """The id of a device given by id or exact name (a new name is looked up: devices.py)."""
        if is_uuid(device):
            return device
        if not isinstance(device, str) or not device:
            raise Rejected.of("device_not_given")
        return self._checked.get(device) or run_and_unload("devices", "resolve", self, device)

    def _retry_renamed(self, device, fn, *args):
        """Run fn(id, *args); a device known by name that vanished is looked up once more."""
        did = self._resolve(device)
        try:
            return fn(did, *args)
        except NotFound as e:
            # Only the Homey's own 404 means the id is gone; uhomey's checks say status 0.
            if e.status != 404 or is_uuid(device) or device not in self._checked:
                raise
            self._forget_name(device)
            return fn(self._resolve(device), *args)

    def _read(self, did, cap):
        meta = self._meta.get(did)
        if meta is not None and cap not in meta:
            raise self._lacks(did, cap, meta)  # known from the last read of the device: no request
        if self.store.get("api_version", 3) >= 3 or self.auth.mode == "apikey":
            r = self.call("GET", "devices/device/%s/capability/%s" % (did, cap),
                          what="reading %s of device %s" % (cap, did))
            value = r.json(1024)
        else:  # API v2 has no per-capability GET
            value = run_and_unload("devices", "read_v2", self, did, cap)
        self._remember(did, cap, value)
        return value

    def _check(self, did, cap, value):
        """Refuse what the Homey would refuse, before a request is spent on it."""
        meta = self._meta.get(did)
        if meta is not None:
            m = meta.get(cap)
            if m is None:
                raise self._lacks(did, cap, meta)
            if m.get("setable") is False:
                raise Rejected.of("read_only", cap, did)
        else:
            m = _DEFAULT_DIM if cap == "dim" else {"type": "boolean" if cap == "onoff" else None}
        kind = m.get("type")
        if kind == "boolean" and not isinstance(value, bool):
            raise Rejected.of("takes_bool", cap, value)
        if kind == "number":
            if not number(value):
                raise Rejected.of("takes_number", cap, value)
            lo, hi = m.get("min"), m.get("max")
            if (number(lo) and value < lo) or (number(hi) and value > hi):
                raise Rejected.of("out_of_range", cap, lo, hi, value)
        if kind in ("string", "enum") and not isinstance(value, str):
            raise Rejected.of("takes_text", cap, value)

    def _write(self, did, cap, value):
        import json

        self._check(did, cap, value)
        self._last.pop((did, cap), None)
        what = "setting %s of device %s" % (cap, did)
        r = self.call("PUT", "devices/device/%s/capability/%s" % (did, cap), '{"value":%s}' % json.dumps(value),
                      what=what)
        self._ok(r, what)
        self._remember(did, cap, value)
        return value

    # ---- the public calls --------------------------------------------------------------
    # Each is one try, so running out of RAM anywhere in it, its first allocation included (a
    # bound method, an argument tuple, an import), is an OutOfMemory, never a raw MemoryError.

    def _out_of_memory(self, name):
        """The error for the public call `name` that ran out of RAM, once the session dropped
        what it holds (connection, values, reserve): the next call starts afresh."""
        self._reserve = None
        self.http.close()
        self._last.clear()
        self._meta.clear()
        collect()
        try:
            return OutOfMemory.of("out_of_memory", name)
        except MemoryError:
            return OutOfMemory(name)

    def get(self, device, capability="onoff"):
        """The capability's value, asked of the Homey every time."""
        try:
            return self._retry_renamed(device, self._read, capability)
        except MemoryError:
            raise self._out_of_memory("get")

    def set(self, device, capability, value):
        """Set a capability; returns the value the Homey accepted."""
        try:
            return self._retry_renamed(device, self._write, capability, value)
        except MemoryError:
            raise self._out_of_memory("set")

    def toggle(self, device, capability="onoff"):
        """Flip an on/off capability; one request when this client knows the value. Returns the new value."""
        try:
            return self._retry_renamed(device, self._flip, capability, device)
        except MemoryError:
            raise self._out_of_memory("toggle")

    def _flip(self, did, capability, device):
        cur = self._known(did, capability)
        if not isinstance(cur, bool):
            if cur is not None:
                raise Rejected.of("toggle_not_on_off", capability, device, cur)
            cur = False
        return self._write(did, capability, not cur)

    def dim_step(self, device, delta, capability="dim"):
        """Hold-to-dim: dim moved by delta within 0..1 (up from off: on, from dark); the new
        level (dim.py, loaded by the first use)."""
        try:
            return self._retry_renamed(device, self._dim, delta, capability)
        except MemoryError:
            raise self._out_of_memory("dim_step")

    def _dim(self, did, delta, capability):
        from .dim import step

        return step(self, did, delta, capability)

    def devices(self, match=None):
        """[(id, name, zone, class)] of every device, or of those whose name contains match."""
        try:
            return run_and_unload("lists", "devices", self, match)
        except MemoryError:
            raise self._out_of_memory("devices")

    def homeys(self):
        """[(id, name, platform, model)] of the Athom account's Homeys ([] with an API key)."""
        if self.auth.mode != "cloud":
            return []
        try:
            return run_and_unload("athom", "account_homeys", self.auth)
        except MemoryError:
            raise self._out_of_memory("homeys")

    def forget(self):
        """Drop every cached name, id and value (after renaming things in the Homey app)."""
        self._last.clear()
        self._meta.clear()
        self._checked.clear()
        self.store.update(names=None, flows=None, vars=None)

    def trigger(self, flow):
        """Start a flow (basic or advanced) by id or exact name."""
        try:
            from .lists import trigger

            return trigger(self, flow)
        except MemoryError:
            raise self._out_of_memory("trigger")

    def flows(self):
        """[(id, name, kind)] of every flow."""
        try:
            return run_and_unload("lists", "flows", self)
        except MemoryError:
            raise self._out_of_memory("flows")

    def variable(self, name):
        """A logic variable's value, by id or exact name."""
        try:
            from .lists import variable

            return variable(self, name)
        except MemoryError:
            raise self._out_of_memory("variable")

    def set_variable(self, name, value):
        try:
            from .lists import set_variable

            return set_variable(self, name, value)
        except MemoryError:
            raise self._out_of_memory("set_variable")

    def webhook(self, event, tag=None):
        """Call the Homey's logic webhook `event` (no authentication involved)."""
        try:
            from .lists import webhook

            return webhook(self, event, tag)
        except MemoryError:
            raise self._out_of_memory("webhook")
