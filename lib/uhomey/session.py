# uhomey.Homey, the session users hold (imported through homey.py). The press
# path (h.get / h.set / h.toggle by id or by a name confirmed this boot) is here,
# in calls.py (requests, value cache) and check.py (loaded by the first write). The rest is in modules
# imported when first used (homey.py adds those methods): dim, flows, variables
# and webhook stay loaded (a button repeats them); name lookups and listings run
# through lookup.lookup, which unloads them afterwards.
from .calls import Calls
from .lookup import is_uuid, lookup
from .errors import NotFound, Rejected, fault


class Homey(Calls):
    def _resolve(self, device):
        if is_uuid(device):
            return device
        if not isinstance(device, str) or not device:
            raise fault(Rejected, 64)  # a device is given by its id or its exact name (a non-empty string)
        return self._checked.get(device) or lookup("devices", "resolve", self, device)

    def _retry_renamed(self, device, fn):
        """Run fn(id); a device known by name that vanished is looked up once more."""
        did = self._resolve(device)
        try:
            return fn(did)
        except NotFound as e:
            # Only the Homey's own 404 means the id is gone; uhomey's checks say status 0.
            if e.status != 404 or is_uuid(device) or device not in self._checked:
                raise
            lookup("names", "forget", self, device)
            return fn(self._resolve(device))

    def _read(self, did, cap):
        meta = self._meta.get(did)
        if meta is not None and cap not in meta:
            # known from the scan: no request, and no re-resolving of a name that is fine
            from .check import lacks

            raise lacks(did, cap, meta)
        if self.store.get("api_version", 3) >= 3 or self.auth.mode == "apikey":
            r = self.call("GET", "devices/device/%s/capability/%s" % (did, cap),
                          what="reading %s of device %s" % (cap, did))
            value = r.json(1024)
        else:
            value = lookup("names", "read_v2", self, did, cap)
        self._remember(did, cap, value)
        return value

    def _write(self, did, cap, value):
        import json

        from .check import check_value  # loaded by the first write, after any name lookup

        check_value(self, did, cap, value)
        self._last.pop((did, cap), None)
        r = self.call("PUT", "devices/device/%s/capability/%s" % (did, cap), '{"value":%s}' % json.dumps(value),
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
                if cur is not None:
                    raise fault(Rejected, 65, capability, device, cur)  # toggle works on on/off...
                cur = False
            return self._write(did, capability, not cur)

        return self._retry_renamed(device, flip)
