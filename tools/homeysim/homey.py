"""One simulated Homey: its identity, home data, sessions and API keys.

Tests reach in through these methods; every one takes the simulator's lock,
since connection threads read and write the same dicts.
"""
import random

from . import home
from .realtime import capability_event
from .tokens import hex_id, homey_session_token, uuid4

SESSION_LIFETIME = 24 * 3600
FULL_SCOPES = ["homey"]


class Homey:
    def __init__(self, sim, index, name, api_version=3, platform="local", devices=3, seed=0):
        self._sim = sim
        self._rng = random.Random("homey-%d-%d" % (seed, index))
        self.index = index
        self.id = hex_id(self._rng)
        self.impostor_id = hex_id(self._rng)
        self.name = name
        self.api_version = api_version
        self.platform = platform
        self.software_version = "12.4.5" if api_version >= 3 else "5.0.6"
        self.listeners = {}
        now = sim.now()
        self.zones = home.make_zones(self._rng)
        self.devices = home.make_devices(self._rng, devices, list(self.zones), now)
        self.flows, self.advanced_flows = home.make_flows(self._rng)
        self.variables = home.make_variables(self._rng)
        self.triggered = []
        self.sessions = {}
        self.api_keys = {}

    # ---- addresses -------------------------------------------------------------

    @property
    def local_url(self):
        return "http://127.0.0.1:%d" % self.listeners["local"].port

    @property
    def local_secure_url(self):
        # by name: the certificate names localhost too, as homeylocal.com names the Homey
        return "https://localhost:%d" % self.listeners["local_secure"].port

    @property
    def remote_url(self):
        return "https://127.0.0.1:%d" % self.listeners["remote"].port

    # ---- devices ---------------------------------------------------------------

    def device_by_name(self, name):
        """-> the device dict (live state: id, name, class, caps, values, ...) or None."""
        with self._sim.lock:
            for d in self.devices.values():
                if d["name"] == name:
                    return d
        return None

    def device(self, device_id):
        """The device as the API renders it (the full JSON object, as a dict)."""
        with self._sim.lock:
            return home.render_device(self.devices[device_id])

    def value(self, device_id, cap):
        with self._sim.lock:
            return self.devices[device_id]["values"][cap]

    def set_value(self, device_id, cap, value, event=True):
        """Change a value as if the device reported it (no type checks). The realtime
        socket tells its subscribers with a `capability` event unless event=False."""
        with self._sim.lock:
            d = self.devices[device_id]
            d["values"][cap] = value
            d["updated"][cap] = now = self._sim.now()
        if event:
            self.publish(device_id, "capability", capability_event(cap, value, None, now))

    def publish(self, device_id, event, data=None):
        """Send a realtime event about a device; data None: the whole device (`update`)."""
        if data is None:
            data = self.device(device_id)
        return self._sim.realtime.publish(self, "homey:device:" + device_id, event, data)

    def add_device(self, name, cls="light", caps=("onoff", "dim"), zone=None):
        for c in caps:
            if c not in home.CAPS:
                raise ValueError("unknown capability %r (known: %s)" % (c, ", ".join(home.CAPS)))
        with self._sim.lock:
            zone = zone or list(self.zones)[1]
            d = home.make_device(self._rng, name, cls, caps, zone, len(self.devices), self._sim.now())
            self.devices[d["id"]] = d
            return d["id"]

    def rename_device(self, device_id, name):
        """Rename; realtime subscribers get an `update` event carrying the whole device."""
        with self._sim.lock:
            self.devices[device_id]["name"] = name
        self.publish(device_id, "update")

    def delete_device(self, device_id):
        with self._sim.lock:
            del self.devices[device_id]
        self.publish(device_id, "delete", {"id": device_id})

    # ---- flows and variables ------------------------------------------------------

    def flow_by_name(self, name):
        with self._sim.lock:
            for f in list(self.flows.values()) + list(self.advanced_flows.values()):
                if f["name"] == name:
                    return f
        return None

    def variable_by_name(self, name):
        with self._sim.lock:
            for v in self.variables.values():
                if v["name"] == name:
                    return v
        return None

    # ---- credentials ----------------------------------------------------------------

    def create_api_key(self, name="button", scopes=None):
        """A Homey Pro API key: `Authorization: Bearer <key>`, no expiry."""
        key = homey_session_token()
        with self._sim.lock:
            self.api_keys[key] = {"id": uuid4(self._rng), "name": name, "type": "apikey",
                                  "scopes": list(scopes) if scopes else list(FULL_SCOPES)}
        return key

    def revoke_api_key(self, key):
        with self._sim.lock:
            self.api_keys.pop(key, None)

    def new_session(self, user_id):
        token = homey_session_token()
        with self._sim.lock:
            self.sessions[token] = {"id": uuid4(self._rng), "type": "session", "user": user_id,
                                    "scopes": list(FULL_SCOPES),
                                    "expires": self._sim.now() + SESSION_LIFETIME}
        return token

    def lookup_bearer(self, token):
        """-> (credential dict or None, why-not) judged on the simulator's clock."""
        with self._sim.lock:
            s = self.sessions.get(token)
            if s is not None:
                if s["expires"] <= self._sim.now():
                    return None, "Session expired, log in again"
                return s, None
            k = self.api_keys.get(token)
            if k is not None:
                return k, None
        return None, "Invalid session or API key"

    # ---- the cloud's view -------------------------------------------------------------

    def user_json(self):
        """This Homey as it appears in the cloud's /user/me `homeys` list."""
        return {
            "_id": self.id, "id": self.id, "name": self.name,
            "platform": self.platform, "platformVersion": 2 if self.platform == "local" else 1,
            "softwareVersion": self.software_version, "apiVersion": self.api_version,
            "language": "en", "role": "owner", "region": "eu-central-1",
            "localUrl": self.local_url, "localUrlSecure": self.local_secure_url,
            "remoteUrl": self.remote_url, "remoteUrlForwarded": None,
            "state": "online", "usersCount": 1,
            "model": "homey6" if self.platform == "local" else "cloud",
            "modelName": "Homey Pro (Early 2023)" if self.platform == "local" else "Homey Cloud",
            "connected": True, "createdAt": "2023-06-01T09:30:00.000Z",
        }

    def __repr__(self):
        return "<Homey %d %s %r api v%d>" % (self.index, self.id, self.name, self.api_version)
