"""The Homey side: manager endpoints, their error answers, API keys, webhooks,
the big device list and the test-facing accessors."""
import json
import time

import pytest

from homeysim import probe
from homeysim.probe import RawClient

API = "/api/manager/"


@pytest.fixture
def hs(sim):
    """(sim, homey, session, call(method, path, body=None, token=session))."""
    h = sim.homey()
    session = probe.homey_session(sim)

    def call(method, path, body=None, token=session, ctype=None):
        headers = {"Content-Type": ctype} if ctype else None
        st, msg, raw = probe.call(sim, h.local_url, method, API + path, body=body, token=token,
                                  headers=headers)
        return st, (json.loads(raw) if raw else None), msg
    return sim, h, session, call


def test_every_answer_has_homey_headers(hs):
    sim, h, _, call = hs
    for path in ("system/ping", "devices/device/", "nope/nothing"):
        for token in (None, "bad"):
            st, _, msg = call("GET", path, token=token)
            assert msg["X-Homey-ID"] == h.id and msg["X-Homey-Version"] == h.software_version


def test_auth_errors(hs):
    sim, h, session, call = hs
    for token in (None, "nonsense", session + "x"):
        st, err, _ = call("GET", "devices/device/", token=token)
        assert st == 401 and err["code"] == 401 and err["error"] == "invalid_token"
        assert err["error_description"]
    assert call("GET", "system/ping", token=None)[0] == 200


def test_login_errors(sim):
    h = sim.homey()
    url = h.local_url + ""

    def login(body, ctype="application/json"):
        st, _, raw = probe.call(sim, url, "POST", API + "users/login",
                                body=json.dumps(body).encode(), headers={"Content-Type": ctype})
        return st, json.loads(raw)

    assert login({"token": "a.b.c"})[0] == 401
    assert login({})[0] == 401
    # the accounts JWT is not a delegation token
    assert login({"token": probe.user_jwt(sim)})[0] == 401
    st, err = login({"token": "x"}, ctype="text/plain")
    assert st == 400 and "application/json" in err["error_description"]


def test_delegation_is_valid_for_every_homey_of_the_account(make_sim):
    sim = make_sim(homeys=2)
    for i in (0, 1):
        s = probe.homey_session(sim, homey=i, via="remote")
        st, _, _ = probe.call(sim, sim.homey(i).local_url, "GET", API + "sessions/session/me", token=s)
        assert st == 200
        other = sim.homey(1 - i)
        st, _, _ = probe.call(sim, other.local_url, "GET", API + "sessions/session/me", token=s)
        assert st == 401  # a session belongs to one Homey


def test_session_me(hs):
    sim, h, _, call = hs
    st, me, _ = call("GET", "sessions/session/me")
    assert st == 200 and me["type"] == "session" and "homey" in me["scopes"]
    key = h.create_api_key("wall", scopes=["homey.device.readonly"])
    st, me, _ = call("GET", "sessions/session/me", token=key)
    assert me["type"] == "apikey" and me["scopes"] == ["homey.device.readonly"]


def test_api_key_scopes(hs):
    sim, h, _, call = hs
    lamp = h.device_by_name("Kitchen light")["id"]
    ro = h.create_api_key("ro", scopes=["homey.device.readonly"])
    assert call("GET", "devices/device/" + lamp, token=ro)[0] == 200
    st, err, _ = call("PUT", "devices/device/%s/capability/onoff" % lamp, {"value": True}, token=ro)
    assert st == 403 and "Missing Scopes" in err["error_description"]
    assert call("GET", "flow/flow/", token=ro)[0] == 403
    ctl = h.create_api_key("ctl", scopes=["homey.device.control", "homey.flow.start"])
    assert call("PUT", "devices/device/%s/capability/onoff" % lamp, {"value": True}, token=ctl)[0] == 200
    h.revoke_api_key(ctl)
    assert call("GET", "devices/device/", token=ctl)[0] == 401


def test_device_shapes(hs):
    sim, h, _, call = hs
    st, devices, msg = call("GET", "devices/device/")
    assert st == 200 and len(devices) == 3
    for did, d in devices.items():
        assert d["id"] == did
        for k in ("name", "driverId", "ownerUri", "zone", "class", "virtualClass",
                  "capabilities", "capabilitiesObj", "available", "ready", "settings", "flags", "ui"):
            assert k in d
        # API v3: the zone by id only; names come from zones/zone/ (protocol.md)
        assert "zoneName" not in d and "driverUri" not in d
        assert d["driverId"].startswith(d["ownerUri"] + ":")
        for cap in d["capabilities"]:
            o = d["capabilitiesObj"][cap]
            for k in ("id", "value", "lastUpdated", "type", "getable", "setable", "title"):
                assert k in o
    byname = {d["name"]: d for d in devices.values()}
    thermo = byname["Café thermostat"]["capabilitiesObj"]
    assert thermo["target_temperature"]["min"] == 5 and thermo["target_temperature"]["max"] == 35
    assert thermo["target_temperature"]["step"] == 0.5 and not thermo["measure_temperature"]["setable"]
    assert byname["Hallway socket"]["capabilities"] == ["onoff", "measure_power"]
    assert not byname["Hallway socket"]["capabilitiesObj"]["measure_power"]["setable"]
    st, zones, _ = call("GET", "zones/zone/")
    assert st == 200 and zones[byname["Kitchen light"]["zone"]]["name"] == "Kitchen"
    assert zones[byname["Hallway socket"]["zone"]]["name"] == "Hallway"
    kitchen = byname["Kitchen light"]["zone"]
    assert call("GET", "zones/zone/" + kitchen)[1] == zones[kitchen]
    assert call("GET", "zones/zone/nope")[0] == 404


@pytest.mark.parametrize("cap,value,ok", [
    ("onoff", True, True), ("onoff", False, True), ("onoff", 1, False), ("onoff", "true", False),
    ("dim", 0, True), ("dim", 1, True), ("dim", 0.42, True), ("dim", 1.01, False), ("dim", -0.1, False),
    ("dim", True, False), ("dim", "0.5", False), ("dim", None, False),
])
def test_capability_put_type_checks(hs, cap, value, ok):
    sim, h, _, call = hs
    lamp = h.device_by_name("Kitchen light")["id"]
    before = h.value(lamp, cap)
    st, body, _ = call("PUT", "devices/device/%s/capability/%s" % (lamp, cap), {"value": value})
    if ok:
        assert st == 200 and h.value(lamp, cap) == value
        assert isinstance(body["transactionTime"], int) and body["transactionId"]
    else:
        assert st == 400 and body["code"] == 400 and body["error_description"]
        assert h.value(lamp, cap) == before


def test_capability_errors(hs):
    sim, h, _, call = hs
    d = {x["name"]: x["id"] for x in h.devices.values()}
    sock, thermo = d["Hallway socket"], d["Café thermostat"]
    st, err, _ = call("PUT", "devices/device/%s/capability/measure_power" % sock, {"value": 3})
    assert st == 400 and "not setable" in err["error_description"]
    st, err, _ = call("PUT", "devices/device/%s/capability/target_temperature" % thermo, {"value": 40})
    assert st == 400 and "range" in err["error_description"]
    assert call("PUT", "devices/device/%s/capability/target_temperature" % thermo, {"value": 21.5})[0] == 200
    assert call("GET", "devices/device/%s/capability/target_temperature" % thermo)[1] == 21.5
    st, err, _ = call("GET", "devices/device/%s/capability/dim" % sock)
    assert st == 404 and err["error"] == "not_found"
    assert call("GET", "devices/device/nope")[0] == 404
    assert call("PUT", "devices/device/nope/capability/onoff", {"value": True})[0] == 404
    assert call("PUT", "devices/device/%s/capability/onoff" % sock, {"val": True})[0] == 400
    st, err, _ = call("PUT", "devices/device/%s/capability/onoff" % sock, b'{"value": true}',
                      ctype="text/plain")
    assert st == 400
    assert call("DELETE", "devices/device/%s" % sock)[0] == 405
    assert call("GET", "nothing/here")[0] == 404


def test_lastupdated_moves_with_the_sim_clock(hs):
    sim, h, _, call = hs
    lamp = h.device_by_name("Kitchen light")["id"]
    sim.advance(5 * 3600)  # less than the 24 h session
    call("PUT", "devices/device/%s/capability/dim" % lamp, {"value": 0.3})
    st, dev, _ = call("GET", "devices/device/" + lamp)
    updated = dev["capabilitiesObj"]["dim"]["lastUpdated"]
    assert updated > dev["capabilitiesObj"]["onoff"]["lastUpdated"] and updated.endswith("Z")


def test_api_v2_has_no_capability_get(make_sim):
    sim = make_sim(homeys=[{"name": "Old", "api_version": 2}, {"name": "New"}], jwt_homey=0)
    old = sim.homey(0)
    s = probe.homey_session(sim, homey=0)
    lamp = old.device_by_name("Kitchen light")["id"]
    path = API + "devices/device/%s/capability/onoff" % lamp
    st, _, body = probe.call(sim, old.local_url, "GET", path, token=s)
    assert st == 404 and json.loads(body)["code"] == 404
    st, _, _ = probe.call(sim, old.local_url, "PUT", path, body={"value": True}, token=s)
    assert st == 200
    old.api_version = 3
    assert probe.call(sim, old.local_url, "GET", path, token=s)[0] == 200
    st, _, body = probe.call(sim, sim.api_url, "GET", "/user/me",
                             token=probe.tokens_for(sim)["access_token"])
    assert [x["apiVersion"] for x in json.loads(body)["homeys"]] == [3, 3]


def test_platform_cloud_option(make_sim):
    sim = make_sim(homeys=[{"name": "Cloudy", "platform": "cloud"}])
    st, _, body = probe.call(sim, sim.api_url, "GET", "/user/me",
                             token=probe.tokens_for(sim)["access_token"])
    assert json.loads(body)["homeys"][0]["platform"] == "cloud"


def test_flows(hs):
    sim, h, _, call = hs
    basic = {f["name"]: f["id"] for f in h.flows.values()}
    adv = {f["name"]: f["id"] for f in h.advanced_flows.values()}
    st, flows, _ = call("GET", "flow/flow/")
    assert all(f["triggerable"] and f["enabled"] for f in flows.values())
    st, err, _ = call("POST", "flow/advancedflow/%s/trigger" % basic["Movie time"], {})
    assert st == 404 and err["error_description"]
    assert call("POST", "flow/flow/%s/trigger" % adv["Morning routine"], {})[0] == 404
    assert call("POST", "flow/flow/%s/trigger" % basic["Movie time"], {})[0] == 200
    h.flows[basic["Good night"]]["enabled"] = False
    assert call("POST", "flow/flow/%s/trigger" % basic["Good night"], {})[0] == 400
    assert h.triggered == [("flow", basic["Movie time"])]
    assert h.flow_by_name("Morning routine")["id"] == adv["Morning routine"]


def test_variables(hs):
    sim, h, _, call = hs
    v = {x["name"]: x["id"] for x in h.variables.values()}
    cases = [("Away", True, True), ("Away", 1, False), ("Night level", 3, True),
             ("Night level", "3", False), ("Mode", "away", True), ("Mode", 5, False)]
    for name, value, ok in cases:
        st, body, _ = call("PUT", "logic/variable/" + v[name], {"value": value})
        assert (st == 200) == ok, (name, value, body)
        if ok:
            assert body == {"id": v[name], "name": name, "type": body["type"], "value": value}
        else:
            assert st == 400 and body["error_description"]
    assert call("GET", "logic/variable/" + v["Mode"])[1]["value"] == "away"
    assert h.variable_by_name("Away")["value"] is True
    assert call("PUT", "logic/variable/" + v["Mode"], ["x"])[0] == 400
    assert call("PUT", "logic/variable/nope", {"value": "x"})[0] == 404
    assert call("GET", "logic/variable/nope")[0] == 404


def test_variable_put_wrapped_is_a_silent_no_op(hs):
    """A real Homey takes the variable itself as the body; a body wrapped as
    {"variable": {...}} is answered 200 with nothing changed (protocol.md)."""
    sim, h, _, call = hs
    mode = h.variable_by_name("Mode")
    st, body, _ = call("PUT", "logic/variable/" + mode["id"], {"variable": {"value": "away"}})
    assert st == 200 and body["value"] == "home"
    assert h.variable_by_name("Mode")["value"] == "home"
    st, body, _ = call("PUT", "logic/variable/" + mode["id"], {"name": "House mode"})
    assert st == 200 and body == {"id": mode["id"], "name": "House mode", "type": "string", "value": "home"}


def test_webhooks(make_sim):
    sim = make_sim(homeys=2)
    for scheme in ("http", "https"):
        base = sim.url("webhook", scheme)
        assert probe.call(sim, base, "GET", "/%s/press?tag=%%C3%%A9t%%C3%%A9" % sim.homey(1).id)[0] == 200
        assert probe.call(sim, base, "POST", "/%s/hold" % sim.homey(0).id, body={})[0] == 200
        assert probe.call(sim, base, "GET", "/%s/press?tag=x" % ("0" * 24))[0] == 404
        assert probe.call(sim, base, "GET", "/just-one-segment")[0] == 404
    assert sim.webhooks[:2] == [(sim.homey(1).id, "press", "été"), (sim.homey(0).id, "hold", None)]


def test_accessors(sim):
    h = sim.homey()
    assert h.local_url.startswith("http://127.0.0.1:") and h.remote_url.startswith("https://127.0.0.1:")
    assert h.local_secure_url.startswith("https://localhost:")
    assert sim.url("local") == h.local_url and sim.url("api", "http").startswith("http://")
    did = h.add_device("Porch light", cls="light", caps=("onoff",))
    s = probe.homey_session(sim)
    st, _, body = probe.call(sim, h.local_url, "GET", API + "devices/device/" + did, token=s)
    assert json.loads(body)["name"] == "Porch light"
    h.rename_device(did, "Front porch")
    assert h.device_by_name("Front porch")["id"] == did and h.device(did)["name"] == "Front porch"
    h.set_value(did, "onoff", True)
    assert h.value(did, "onoff") is True
    h.delete_device(did)
    assert probe.call(sim, h.local_url, "GET", API + "devices/device/" + did, token=s)[0] == 404
    with pytest.raises(ValueError):
        h.add_device("Bad", caps=("warp_drive",))


def test_thousand_devices_list(make_sim):
    sim = make_sim(devices=1000)
    h = sim.homey()
    names = [d["name"] for d in h.devices.values()]
    assert len(set(names)) == 1000 and names[:3] == ["Kitchen light", "Hallway socket", "Café thermostat"]
    key = h.create_api_key()
    c = RawClient(h.local_url, timeout=10)
    try:
        t = time.monotonic()
        r = c.request("GET", API + "devices/device/", [("Authorization", "Bearer " + key)])
        elapsed = time.monotonic() - t
    finally:
        c.close()
    assert r.status == 200 and r.chunks and len(r.chunks) > 100
    assert 1_700_000 <= len(r.body) <= 2_100_000, len(r.body)
    devices = json.loads(r.body)
    assert len(devices) == 1000 and len({d["class"] for d in devices.values()}) >= 5
    assert elapsed < 1.5, elapsed


def test_force_chunked_off_and_on(make_sim):
    off = make_sim(force_chunked=False)
    s = probe.homey_session(off)
    c = RawClient(off.homey().local_url)
    try:
        r = c.request("GET", API + "devices/device/", [("Authorization", "Bearer " + s)])
        assert r.chunks is None and r.header("content-length") and len(json.loads(r.body)) == 3
    finally:
        c.close()
    on = make_sim(force_chunked=True)
    c = RawClient(on.homey().local_url)
    try:
        r = c.request("GET", API + "system/ping")
        assert r.chunks is not None and r.header("content-length") is None
    finally:
        c.close()
