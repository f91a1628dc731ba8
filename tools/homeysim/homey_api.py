"""The Homey's HTTP API (role "homey"): login, ping and the managers uhomey uses."""
import re

from . import home
from .realtime import capability_event
from .wire import Response, json_error, json_response

API = "/api/manager/"

# scope needed -> any of these grants it (a Homey API key carries a chosen subset)
SCOPES = {
    "device.read": ("homey", "homey.device", "homey.device.readonly", "homey.device.control"),
    "device.control": ("homey", "homey.device", "homey.device.control"),
    "flow.read": ("homey", "homey.flow", "homey.flow.readonly", "homey.flow.start"),
    "flow.start": ("homey", "homey.flow", "homey.flow.start"),
    "logic.read": ("homey", "homey.logic", "homey.logic.readonly"),
    "logic.write": ("homey", "homey.logic"),
    "zone.read": ("homey", "homey.zone", "homey.zone.readonly"),
}


class HomeyApi:
    def __init__(self, sim):
        self.sim = sim
        r = []

        def route(method, pattern, fn, scope=None, auth=True):
            r.append((method, re.compile("^" + API + pattern + "$"), fn, scope, auth))

        route("POST", "users/login", self.login, auth=False)
        route("GET", "system/ping", self.ping, auth=False)
        route("GET", "sessions/session/me", self.session_me)
        route("GET", "devices/device/?", self.devices, "device.read")
        route("GET", "devices/device/(?P<dev>[^/]+)", self.device, "device.read")
        route("GET", "devices/device/(?P<dev>[^/]+)/capability/(?P<cap>[^/]+)", self.cap_get,
              "device.read")
        route("PUT", "devices/device/(?P<dev>[^/]+)/capability/(?P<cap>[^/]+)", self.cap_put,
              "device.control")
        route("GET", "zones/zone/?", self.zones, "zone.read")
        route("GET", "zones/zone/(?P<zid>[^/]+)", self.zone, "zone.read")
        route("GET", "flow/flow/?", lambda h, q: self.flow_list(h, "flow"), "flow.read")
        route("GET", "flow/advancedflow/?", lambda h, q: self.flow_list(h, "advancedflow"), "flow.read")
        route("GET", "flow/(?P<kind>flow|advancedflow)/(?P<fid>[^/]+)", self.flow_get, "flow.read")
        route("POST", "flow/(?P<kind>flow|advancedflow)/(?P<fid>[^/]+)/trigger", self.trigger,
              "flow.start")
        route("GET", "logic/variable/?", self.variables, "logic.read")
        route("GET", "logic/variable/(?P<vid>[^/]+)", self.variable_get, "logic.read")
        route("PUT", "logic/variable/(?P<vid>[^/]+)", self.variable_put, "logic.write")
        self.routes = r

    def handle(self, listener, req):
        homey = self.sim.homeys[listener.homey]
        ident = homey.impostor_id if listener.impostor else homey.id
        resp = self._route(homey, listener, req)
        resp.headers.append(("X-Homey-ID", ident))
        resp.headers.append(("X-Homey-Version", homey.software_version))
        return resp

    def _route(self, homey, listener, req):
        if listener.impostor and req.path.rstrip("/") != API + "system/ping":
            return json_error(401, "invalid_token", "This Homey does not know this session")
        known_path = False
        for method, rx, fn, scope, auth in self.routes:
            m = rx.match(req.path)
            if not m:
                continue
            known_path = True
            if method != req.method:
                continue
            if fn == self.cap_get and homey.api_version < 3:
                break  # that route only exists from API v3 on
            req.auth = None
            if auth:
                cred, why = homey.lookup_bearer(_bearer(req))
                if cred is None:
                    return json_error(401, "invalid_token", why)
                if scope and not set(cred["scopes"]) & set(SCOPES[scope]):
                    return json_error(403, "missing_scopes",
                                      "Missing Scopes: %s" % SCOPES[scope][-1])
                req.auth = cred
            return fn(homey, req, **m.groupdict())
        if known_path and not (homey.api_version < 3 and "/capability/" in req.path):
            return json_error(405, "method_not_allowed", "%s is not allowed here" % req.method)
        return json_error(404, "not_found", "Route not found: %s %s" % (req.method, req.path))

    # ---- session ---------------------------------------------------------------

    def login(self, homey, req):
        body, err = _json_body(req)
        if err:
            return err
        token = body.get("token") if isinstance(body, dict) else None
        p = self.sim.signer.verify(token, self.sim.now())
        if not p or p.get("aud") != "homey" or p.get("typ") != "delegation":
            return json_error(401, "invalid_token", "Invalid delegation token")
        if homey.id not in p.get("homeys", ()):
            return json_error(401, "invalid_token", "This delegation token is not valid for this Homey")
        return json_response(homey.new_session(p["sub"]))

    def ping(self, homey, req):
        return json_response({"pong": True})

    def session_me(self, homey, req):
        c = req.auth
        return json_response({"id": c["id"], "type": c["type"], "scopes": c["scopes"],
                              "intersectedScopes": c["scopes"]})

    # ---- devices ---------------------------------------------------------------

    def devices(self, homey, req):
        with self.sim.lock:
            snap = [dict(d, values=dict(d["values"]), updated=dict(d["updated"]))
                    for d in homey.devices.values()]

        def body():
            yield b"{"
            for i, d in enumerate(snap):
                yield (b',"' if i else b'"') + d["id"].encode() + b'":' + home.device_json(d)
            yield b"}"
        return Response(200, body(), chunked=True)

    def device(self, homey, req, dev):
        with self.sim.lock:
            d = homey.devices.get(dev)
            if d is None:
                return _no_device(dev)
            return Response(200, home.device_json(d))

    def cap_get(self, homey, req, dev, cap):
        with self.sim.lock:
            d, missing = _device_with_cap(homey, dev, cap)
            if missing:
                return missing
            return json_response(d["values"][cap])

    def cap_put(self, homey, req, dev, cap):
        body, err = _json_body(req)
        if err:
            return err
        if not isinstance(body, dict) or "value" not in body:
            return json_error(400, "invalid_body", 'Expected a JSON object {"value": ...}')
        with self.sim.lock:
            d, missing = _device_with_cap(homey, dev, cap)
            if missing:
                return missing
            spec = home.CAPS[cap]
            if not spec["setable"]:
                return json_error(400, "not_setable", "Capability %s is not setable" % cap)
            why = home.check_value(spec, body["value"])
            if why:
                return json_error(400, "invalid_value", "Invalid value for %s: %s" % (cap, why))
            now = self.sim.now()
            d["values"][cap] = body["value"]
            d["updated"][cap] = now
        # homey-api names its writes (body transactionId) to know their realtime echo
        tid = body.get("transactionId")
        event = capability_event(cap, body["value"], tid if isinstance(tid, str) and tid else None, now)
        homey.publish(dev, "capability", event)
        return json_response({"transactionId": event["transactionId"],
                              "transactionTime": event["transactionTime"]})

    def zones(self, homey, req):
        with self.sim.lock:
            return json_response(homey.zones)

    def zone(self, homey, req, zid):
        """One zone: homey-api's Device#getZone() asks for it."""
        with self.sim.lock:
            z = homey.zones.get(zid)
            return json_response(z) if z else json_error(404, "not_found", "Zone not found: %s" % zid)

    # ---- flows and variables ---------------------------------------------------------

    def flow_list(self, homey, kind):
        with self.sim.lock:
            flows = homey.flows if kind == "flow" else homey.advanced_flows
            return json_response(flows, chunked=True)

    def flow_get(self, homey, req, kind, fid):
        with self.sim.lock:
            f = (homey.flows if kind == "flow" else homey.advanced_flows).get(fid)
            if f is None:
                return json_error(404, "not_found", "Flow not found: %s" % fid)
            return json_response(f)

    def trigger(self, homey, req, kind, fid):
        with self.sim.lock:
            f = (homey.flows if kind == "flow" else homey.advanced_flows).get(fid)
            if f is None:
                return json_error(404, "not_found", "%s not found: %s" % (
                    "Flow" if kind == "flow" else "Advanced flow", fid))
            if not f["enabled"]:
                return json_error(400, "flow_disabled", "Flow %r is disabled" % f["name"])
            homey.triggered.append((kind, fid))
        return json_response({})

    def variables(self, homey, req):
        with self.sim.lock:
            return json_response(homey.variables, chunked=True)

    def variable_get(self, homey, req, vid):
        with self.sim.lock:
            v = homey.variables.get(vid)
            return json_response(v) if v else json_error(404, "not_found", "Variable not found: %s" % vid)

    def variable_put(self, homey, req, vid):
        """The body IS the variable (homey-api's spec: parameter `variable`, in body, root):
        `name` and `value` are updated, other keys ignored. So a body wrapped as
        {"variable": {...}} gets a 200 with nothing changed, as from a real Homey."""
        body, err = _json_body(req)
        if err:
            return err
        if not isinstance(body, dict):
            return json_error(400, "invalid_body", 'Expected the variable, a JSON object {"value": ...}')
        if "name" in body and not isinstance(body["name"], str):
            return json_error(400, "invalid_name", "A variable's name is a string")
        with self.sim.lock:
            v = homey.variables.get(vid)
            if v is None:
                return json_error(404, "not_found", "Variable not found: %s" % vid)
            if "value" in body:
                why = home.check_value({"type": v["type"]}, body["value"])
                if why:
                    return json_error(400, "invalid_value", "Invalid value for variable %r: %s" % (v["name"], why))
                v["value"] = body["value"]
            if "name" in body:
                v["name"] = body["name"]
            return json_response(v)


def _bearer(req):
    h = req.header("authorization") or ""
    scheme, _, token = h.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def _json_body(req):
    if req.content_type() != "application/json":
        return None, json_error(400, "invalid_content_type",
                                "Expected Content-Type application/json, got %r" % req.content_type())
    try:
        return req.json(), None
    except (ValueError, UnicodeDecodeError) as e:
        return None, json_error(400, "invalid_json", "Body is not valid JSON: %s" % e)


def _no_device(dev):
    return json_error(404, "not_found", "Device not found: %s" % dev)


def _device_with_cap(homey, dev, cap):
    """(device, None), or (None, the 404 answer) when the device or its capability is missing."""
    d = homey.devices.get(dev)
    if d is None:
        return None, _no_device(dev)
    if cap not in d["caps"]:
        return None, _no_cap(dev, cap)
    return d, None


def _no_cap(dev, cap):
    return json_error(404, "not_found", "Capability %s not found on device %s" % (cap, dev))

