"""The client's control API against the simulator, under CPython and MicroPython.

Devices by id or exact name (resolved once per boot, cached across boots,
re-resolved once when renamed or deleted), get/set/toggle/dim_step with their
checks and request costs, devices(), flows, logic variables, webhooks, big
homes under a heap cap, and errors that leave the client usable. Every boot is
one call of dual/s_control.session; its per-call request counts slice the
simulator's log, so each assertion names exactly what one call sent.
"""
import json
import threading

import pytest

from both import INTERPS, call, ok

API = "/api/manager/"
DEV = "devices/device/"
NO_SUCH_ID = "00000000-0000-4000-8000-000000000000"


# --- helpers -------------------------------------------------------------------------
def config(sim, tmp_path, mode="apikey", **homey):
    """A uhomey config in tmp_path (apikey: no Athom calls); homey.* overrides."""
    path = tmp_path / "config.json"
    cfg = sim.write_config(str(path), mode=mode)
    if homey:
        cfg["homey"].update(homey)
        path.write_text(json.dumps(cfg))
    return str(path)


def short(req):
    path = req.path[len(API):] if req.path.startswith(API) else req.path
    return "%s %s" % (req.method, path)


class Boot:
    """One connect + calls. .results[i], .sent[i] (["PUT devices/device/..", ..]) per call."""

    def __init__(self, sim, res, start):
        assert "connect_error" not in res, res
        self.res = res
        reqs = sim.requests[start:]
        total = res["boot"] + sum(r["n"] for r in res["results"])
        assert len(reqs) == total, "client counted %d requests, sim logged %s" % (total, [short(r) for r in reqs])
        self.boot_reqs = reqs[:res["boot"]]
        self.reqs, self.sent = [], []
        i = res["boot"]
        for r in res["results"]:
            self.reqs.append(reqs[i:i + r["n"]])
            self.sent.append([short(q) for q in reqs[i:i + r["n"]]])
            i += r["n"]
        self.results = res["results"]
        self.mem = res["mem"]
        self.logs = res["logs"]

    def value(self, i):
        r = self.results[i]
        assert "error" not in r, "call %d failed: %r (sent %s)" % (i, r, self.sent[i])
        return r["ok"]

    def error(self, i, cls):
        r = self.results[i]
        assert r.get("error") == cls, "call %d: expected %s, got %r (sent %s)" % (i, cls, r, self.sent[i])
        return r["msg"]


def boot(sim, interp, cfg, ops, heapsize=None):
    start = len(sim.requests)
    return Boot(sim, ok(call(interp, "s_control", "session", cfg, ops, heapsize=heapsize)), start)


def boot_with_change(sim, interp, cfg, ops, tmp_path, change):
    """Like boot(); an op ["pause"] stops the client there until change() has run here."""
    ready, go = str(tmp_path / "ready"), str(tmp_path / "go")
    ops = [["pause", ready, go, 20000] if op == ["pause"] else op for op in ops]
    start = len(sim.requests)
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("res", call(interp, "s_control", "session", cfg, ops)))
    t.daemon = True
    t.start()
    try:
        for _ in range(2000):  # <= 20 s
            if (tmp_path / "ready").exists() or not t.is_alive():
                break
            t.join(0.01)
        assert (tmp_path / "ready").exists(), "the client never reached the pause: %r" % out.get("res")
        change()
    finally:
        (tmp_path / "go").write_text("1")
        t.join(60)
    assert not t.is_alive(), "the client did not finish"
    return Boot(sim, ok(out["res"]), start)


def dev_id(sim, name):
    return sim.homey().device_by_name(name)["id"]


def cap_path(did, cap):
    return "%s%s/capability/%s" % (DEV, did, cap)


def store_names(tmp_path):
    return json.loads((tmp_path / "tokens.json").read_text()).get("names") or {}


pytestmark = pytest.mark.parametrize("interp", INTERPS)


# --- devices by id or name -----------------------------------------------------------
def test_device_by_id_or_exact_name(sim, tmp_path, interp):
    kid, tid = dev_id(sim, "Kitchen light"), dev_id(sim, "Café thermostat")
    b = boot(sim, interp, config(sim, tmp_path), [
        ["get", kid],                                          # 0 an id: no list scan
        ["get", "Café thermostat", "target_temperature"],      # 1 exact name: one scan
        ["get", "cafe thermostat", "target_temperature"],      # 2 accents count
        ["get", "CAFÉ THERMOSTAT", "target_temperature"],      # 3 case counts
        ["get", "Cafe\u0301 thermostat", "target_temperature"],  # 4 é decomposed is another name
        ["get", "Café thermostat ", "target_temperature"],     # 5 no trimming
        ["get", "Café thermostat", "target_temperature"],      # 6 checked this boot: no scan
        ["get", ""],                                           # 7
        ["get", NO_SUCH_ID],                                   # 8 an unknown id
    ])
    assert b.value(0) is False
    assert b.sent[0] == ["GET " + cap_path(kid, "onoff")]
    assert b.value(1) == 20.5
    assert b.sent[1] == ["GET " + DEV, "GET " + cap_path(tid, "target_temperature")]
    for i, name in ((2, "cafe thermostat"), (3, "CAFÉ THERMOSTAT"), (5, "Café thermostat ")):
        assert name in b.error(i, "NotFound")
        assert b.sent[i] == ["GET " + DEV]
    b.error(4, "NotFound")
    assert b.value(6) == 20.5
    assert b.sent[6] == ["GET " + cap_path(tid, "target_temperature")]
    b.error(7, "Rejected")
    assert b.sent[7] == []
    assert NO_SUCH_ID in b.error(8, "NotFound")
    assert b.sent[8] == ["GET " + cap_path(NO_SUCH_ID, "onoff")]
    assert b.res["connects"] == 1  # the errors kept the connection


def test_cloud_mode_name_scanned_once_then_cached_across_boots(sim, tmp_path, interp):
    kid = dev_id(sim, "Kitchen light")
    cfg = config(sim, tmp_path, mode="cloud")
    b1 = boot(sim, interp, cfg, [["toggle", "Kitchen light"], ["toggle", "Kitchen light"],
                                 ["webhook", "pressed", "one"]])
    assert "POST /login" in [short(r) for r in b1.boot_reqs]  # a real cloud login
    assert b1.value(0) is True and b1.value(1) is False
    assert b1.sent[0] == ["GET " + DEV, "PUT " + cap_path(kid, "onoff")]
    assert b1.sent[1] == ["PUT " + cap_path(kid, "onoff")]
    assert sim.webhooks[-1] == (sim.homey().id, "pressed", "one")  # id learnt from the cloud
    assert store_names(tmp_path) == {"Kitchen light": kid}

    b2 = boot(sim, interp, cfg, [["toggle", "Kitchen light"], ["toggle", "Kitchen light"]])
    assert b2.res["boot"] == 0  # stored session: connecting costs nothing
    all_sent = b2.sent[0] + b2.sent[1]
    assert "GET " + DEV not in all_sent  # no list scan on the second boot
    # the cached id is confirmed once (that read also brings the value), then one PUT a press
    assert b2.sent[0] == ["GET " + DEV + kid, "PUT " + cap_path(kid, "onoff")]
    assert b2.sent[1] == ["PUT " + cap_path(kid, "onoff")]
    assert b2.value(0) is True and b2.value(1) is False
    assert sim.homey().value(kid, "onoff") is False


def test_renamed_device_is_looked_up_again_then_not_found(sim, tmp_path, interp):
    kid = dev_id(sim, "Kitchen light")
    cfg = config(sim, tmp_path)
    b1 = boot(sim, interp, cfg, [["toggle", "Kitchen light"]])
    assert b1.value(0) is True
    sim.homey().rename_device(kid, "Kitchen lamp")
    b2 = boot(sim, interp, cfg, [["toggle", "Kitchen light"], ["toggle", "Kitchen lamp"],
                                 ["toggle", "Kitchen light"]])
    assert "Kitchen light" in b2.error(0, "NotFound")
    # the cached id now carries another name: one scan, then NotFound, nothing set
    assert b2.sent[0] == ["GET " + DEV + kid, "GET " + DEV]
    assert any("renamed or removed" in m for m in b2.logs)
    assert b2.value(1) is False  # the new name works
    assert b2.sent[1] == ["GET " + DEV, "PUT " + cap_path(kid, "onoff")]
    b2.error(2, "NotFound")
    assert b2.sent[2] == ["GET " + DEV]  # the old name's cache entry is gone
    assert store_names(tmp_path) == {"Kitchen lamp": kid}
    assert sim.homey().value(kid, "onoff") is False


def test_deleted_device_is_looked_up_again_then_not_found(sim, tmp_path, interp):
    sid, kid, tid = dev_id(sim, "Hallway socket"), dev_id(sim, "Kitchen light"), dev_id(sim, "Café thermostat")
    cfg = config(sim, tmp_path)

    def delete():
        sim.homey().delete_device(sid)

    b1 = boot_with_change(sim, interp, cfg, [
        ["toggle", "Hallway socket"], ["get", "Café thermostat", "target_temperature"],
        ["pause"],                         # the socket is deleted here, mid-boot
        ["toggle", "Hallway socket"],      # 2 the Homey says 404: one new scan, then NotFound
        ["toggle", "Hallway socket"],      # 3 a scan again (nothing cached), NotFound
        ["get", sid],                      # 4 by id: NotFound naming the id, no scan
        ["toggle", "Kitchen light"],       # 5 still usable
    ], tmp_path, delete)
    assert b1.value(0) is True
    assert b1.sent[2] == ["PUT " + cap_path(sid, "onoff"), "GET " + DEV]
    assert "Hallway socket" in b1.error(2, "NotFound")
    assert b1.sent[3] == ["GET " + DEV]
    b1.error(3, "NotFound")
    assert sid in b1.error(4, "NotFound")
    assert b1.sent[4] == ["GET " + cap_path(sid, "onoff")]
    assert b1.value(5) is True
    assert store_names(tmp_path) == {"Café thermostat": tid, "Kitchen light": kid}

    # next boot: a cached name whose device is gone (the thermostat) -> 404, one scan, NotFound
    sim.homey().delete_device(tid)
    b2 = boot(sim, interp, cfg, [["get", "Café thermostat", "target_temperature"], ["toggle", "Kitchen light"]])
    assert "Café thermostat" in b2.error(0, "NotFound")
    assert b2.sent[0] == ["GET " + DEV + tid, "GET " + DEV]
    assert [r.status for r in b2.reqs[0]] == [404, 200]
    assert b2.value(1) is False
    assert store_names(tmp_path) == {"Kitchen light": kid}


def test_two_devices_with_one_name_is_an_error_naming_both_ids(sim, tmp_path, interp):
    kid = dev_id(sim, "Kitchen light")
    other = sim.homey().add_device("Kitchen light")
    b = boot(sim, interp, config(sim, tmp_path), [["toggle", "Kitchen light"], ["toggle", other]])
    msg = b.error(0, "HomeyError")
    assert kid in msg and other in msg and "Kitchen light" in msg
    assert b.sent[0] == ["GET " + DEV]  # nothing was set
    assert b.value(1) is True  # by id it works
    assert sim.homey().value(kid, "onoff") is False and sim.homey().value(other, "onoff") is True


# --- get / set ---------------------------------------------------------------------------
def test_get_always_asks_the_homey(sim, tmp_path, interp):
    kid = dev_id(sim, "Kitchen light")
    sim.homey().set_value(kid, "dim", 0.33)
    b = boot(sim, interp, config(sim, tmp_path), [
        ["set", kid, "onoff", True], ["get", kid], ["get", kid], ["get", kid, "dim"], ["get", "Kitchen light", "dim"],
        ["get", "Kitchen light", "dim"]])
    assert b.value(0) is True and b.value(1) is True and b.value(2) is True
    assert b.sent[1] == b.sent[2] == ["GET " + cap_path(kid, "onoff")]  # a fresh set does not answer a get
    assert b.value(3) == pytest.approx(0.33)
    # by name: the scan saw the value, and still each get asks the Homey
    assert b.sent[4] == ["GET " + DEV, "GET " + cap_path(kid, "dim")]
    assert b.sent[5] == ["GET " + cap_path(kid, "dim")]


def test_set_checks_values_before_sending(make_sim, tmp_path, interp):
    sim = make_sim(devices=7)
    kid, sid, tid = dev_id(sim, "Kitchen light"), dev_id(sim, "Hallway socket"), dev_id(sim, "Café thermostat")
    b = boot(sim, interp, config(sim, tmp_path), [
        ["set", "Kitchen light", "dim", 0.3],                  # 0 scan + PUT; capabilities now known
        ["set", "Kitchen light", "onoff", 1],                  # 1 bool only
        ["set", "Kitchen light", "onoff", "true"],             # 2
        ["set", "Kitchen light", "dim", 1.5],                  # 3 0..1
        ["set", "Kitchen light", "dim", -0.1],                 # 4
        ["set", "Kitchen light", "dim", True],                 # 5 a bool is not a number
        ["set", "Kitchen light", "dim", "0.5"],                # 6
        ["set", "Café thermostat", "target_temperature", 21.5],  # 7 scan + PUT
        ["set", "Café thermostat", "target_temperature", 40],  # 8 max 35, known from the scan
        ["set", "Café thermostat", "target_temperature", 4.5],  # 9 min 5
        ["set", "Hallway socket", "measure_power", 5],         # 10 read-only
        ["set", "Kitchen light", "color", 1],                  # 11 unknown capability
        ["get", "Kitchen light", "color"],                     # 12 likewise for get
        ["set", kid, "onoff", 0],                              # 13 by id too: onoff and dim are known kinds
        ["set", kid, "dim", 2],                                # 14
        ["set", "Kitchen light", "onoff", True],               # 15 still usable
    ])
    assert b.value(0) == pytest.approx(0.3)
    assert b.sent[0] == ["GET " + DEV, "PUT " + cap_path(kid, "dim")]
    for i in (1, 2, 13):
        assert "onoff" in b.error(i, "Rejected")
    for i in (3, 4, 5, 6, 14):
        assert "dim" in b.error(i, "Rejected")
    assert b.value(7) == 21.5
    for i in (8, 9):
        msg = b.error(i, "Rejected")
        assert "target_temperature" in msg and "5" in msg and "35" in msg
    assert "read-only" in b.error(10, "Rejected")
    assert b.sent[10] == ["GET " + DEV]  # the first use of that name; no PUT
    assert "color" in b.error(11, "NotFound")
    assert "color" in b.error(12, "NotFound")
    for i in (1, 2, 3, 4, 5, 6, 8, 9, 11, 12, 13, 14):
        assert b.sent[i] == [], "call %d should be refused without a request" % i
    assert b.value(15) is True
    h = sim.homey()
    assert h.value(kid, "dim") == pytest.approx(0.3) and h.value(kid, "onoff") is True
    assert h.value(tid, "target_temperature") == 21.5 and h.value(sid, "measure_power") == 12.3
    bodies = [q.json() for q in sim.requests if q.method == "PUT"]
    assert bodies == [{"value": 0.3}, {"value": 21.5}, {"value": True}]


def test_values_the_homey_rejects_carry_its_reason(make_sim, tmp_path, interp):
    # by id, cold: uhomey knows nothing of these capabilities, so the Homey judges
    sim = make_sim(devices=7)
    sid, tid, bid, kid = (dev_id(sim, n) for n in ("Hallway socket", "Café thermostat", "Blind 0007", "Kitchen light"))
    b = boot(sim, interp, config(sim, tmp_path), [
        ["set", tid, "target_temperature", 40],
        ["set", bid, "windowcoverings_state", "sideways"],
        ["set", sid, "measure_power", 3],
        ["set", kid, "color", 1],
        ["get", kid, "color"],
        ["set", bid, "windowcoverings_state", "down"],
        ["set", tid, "target_temperature", 22],
    ])
    assert "out of range 5..35" in b.error(0, "Rejected")
    assert "expected one of up, idle, down" in b.error(1, "Rejected")
    assert "measure_power is not setable" in b.error(2, "Rejected")
    assert "color" in b.error(3, "NotFound") and "color" in b.error(4, "NotFound")
    for i in range(5):
        assert len(b.sent[i]) == 1
        assert b.reqs[i][0].status in (400, 404)
    assert b.value(5) == "down" and b.value(6) == 22
    h = sim.homey()
    assert h.value(bid, "windowcoverings_state") == "down" and h.value(tid, "target_temperature") == 22
    assert b.res["connects"] == 1


# --- toggle -----------------------------------------------------------------------------------
def test_toggle_warm_path_is_one_put(sim, tmp_path, interp):
    kid = dev_id(sim, "Kitchen light")
    b = boot(sim, interp, config(sim, tmp_path), [["toggle", kid], ["toggle", kid], ["toggle", kid],
                                                  ["get", kid], ["toggle", kid]])
    put, get = "PUT " + cap_path(kid, "onoff"), "GET " + cap_path(kid, "onoff")
    assert b.sent[0] == [get, put]  # cold: the single value, never the whole device
    assert b.sent[1] == b.sent[2] == [put]
    assert b.sent[4] == [put]  # a value just read is fresh too
    assert [b.value(i) for i in range(5)] == [True, False, True, True, False]
    assert [q.json() for q in sim.requests if q.method == "PUT"] == [{"value": v} for v in (True, False, True, False)]
    assert sim.homey().value(kid, "onoff") is False


def test_toggle_rereads_a_stale_value_and_returns_what_the_homey_took(sim, tmp_path, interp):
    kid = dev_id(sim, "Kitchen light")
    cfg = config(sim, tmp_path, fresh_ms=500)

    def switched_off_by_hand():
        sim.homey().set_value(kid, "onoff", False)

    b = boot_with_change(sim, interp, cfg, [
        ["toggle", kid],      # 0 on
        ["pause"],            # someone switches it off at the wall
        ["sleep", 600],       # past homey.fresh_ms
        ["toggle", kid],      # 1 reads the real value (off), so it turns on again
        ["toggle", kid],      # 2 fresh: one PUT
    ], tmp_path, switched_off_by_hand)
    put, get = "PUT " + cap_path(kid, "onoff"), "GET " + cap_path(kid, "onoff")
    assert b.value(0) is True
    assert b.sent[1] == [get, put]
    assert b.value(1) is True
    assert b.sent[2] == [put]
    assert b.value(2) is False
    assert sim.homey().value(kid, "onoff") is False
    assert "GET " + DEV + kid not in [short(q) for q in sim.requests]


def test_toggle_on_api_v2_reads_the_device_object(make_sim, tmp_path, interp):
    sim = make_sim(homeys=[{"api_version": 2}])
    kid = dev_id(sim, "Kitchen light")
    b = boot(sim, interp, config(sim, tmp_path, mode="cloud"), [
        ["toggle", kid], ["toggle", kid], ["get", kid, "dim"], ["get", kid, "nope"], ["toggle", "Kitchen light"]])
    put = "PUT " + cap_path(kid, "onoff")
    assert b.sent[0] == ["GET " + DEV + kid, put]  # no capability route on v2
    assert b.sent[1] == [put]
    assert b.value(0) is True and b.value(1) is False
    assert b.value(2) == 0.5 and b.sent[2] == ["GET " + DEV + kid]
    assert "nope" in b.error(3, "NotFound")
    assert b.value(4) is True
    assert sim.homey().value(kid, "onoff") is True
    assert not any("/capability/" in q.path and q.method == "GET" for q in sim.requests)


def test_toggle_refuses_a_non_boolean_capability(sim, tmp_path, interp):
    tid, kid = dev_id(sim, "Café thermostat"), dev_id(sim, "Kitchen light")
    b = boot(sim, interp, config(sim, tmp_path), [["toggle", tid, "target_temperature"], ["toggle", kid]])
    assert "target_temperature" in b.error(0, "Rejected")
    assert [q.method for q in b.reqs[0]] == ["GET"]  # nothing was set
    assert b.value(1) is True
    assert sim.homey().value(tid, "target_temperature") == 20.5


# --- dim_step ------------------------------------------------------------------------------------
def test_dim_step_clamps_and_turns_on_from_off(sim, tmp_path, interp):
    kid = dev_id(sim, "Kitchen light")
    h = sim.homey()
    assert h.value(kid, "onoff") is False and h.value(kid, "dim") == 0.5
    b = boot(sim, interp, config(sim, tmp_path), [
        ["dim_step", kid, 0.2],               # 0 off: up from dark, and on
        ["dim_step", kid, 0.5],               # 1
        ["dim_step", kid, 2],                 # 2 clamped to 1
        ["dim_step", kid, -0.3],              # 3
        ["dim_step", kid, -5],                # 4 clamped to 0
        ["dim_step", kid, "x"],               # 5
        ["dim_step", "Hallway socket", 0.1],  # 6 no dim there
        ["dim_step", kid, 0.1],               # 7 still usable
    ])
    dim, onoff = "PUT " + cap_path(kid, "dim"), "PUT " + cap_path(kid, "onoff")
    assert b.value(0) == pytest.approx(0.2)
    assert sorted(b.sent[0]) == sorted(["GET " + cap_path(kid, "dim"), "GET " + cap_path(kid, "onoff"), dim, onoff])
    assert [q.json() for q in b.reqs[0] if q.method == "PUT"] == [{"value": 0.2}, {"value": True}]
    assert b.value(1) == pytest.approx(0.7) and b.sent[1] == [dim]
    assert b.value(2) == 1 and b.sent[2] == [dim]
    assert b.value(3) == pytest.approx(0.7)
    assert b.value(4) == 0 and b.reqs[4][-1].json() == {"value": 0}
    assert "dim_step" in b.error(5, "Rejected") and b.sent[5] == []
    assert "dim" in b.error(6, "NotFound")
    assert b.sent[6] == ["GET " + DEV]  # the scan tells the socket has no dim: no further request
    assert b.value(7) == pytest.approx(0.1)
    assert h.value(kid, "dim") == pytest.approx(0.1) and h.value(kid, "onoff") is True


# --- devices() ----------------------------------------------------------------------------------
def test_devices_lists_id_name_zone_class(make_sim, tmp_path, interp):
    sim = make_sim(devices=12)
    h = sim.homey()
    b = boot(sim, interp, config(sim, tmp_path), [["devices"]])
    expect = [[d["id"], d["name"], h.zones[d["zone"]]["name"], d["class"]] for d in h.devices.values()]
    assert b.value(0) == expect
    assert ["Café thermostat", "Living room", "thermostat"] == expect[2][1:]
    # API v3 devices name their zone by id only: one zones read per listing gives the names
    assert b.sent[0] == ["GET zones/zone/", "GET " + DEV]


def test_devices_reads_a_bounded_number_of_zone_names(sim, tmp_path, interp):
    """Past 64 zones (uhomey.devlist.MAX_ZONES) a row shows its zone's id: the zone list stays small."""
    h = sim.homey()
    with sim.lock:
        for i in range(70):
            zid = "00000000-0000-4000-8000-%012d" % i
            h.zones[zid] = {"id": zid, "name": "Room %d" % i, "parent": None, "icon": "default", "active": False}
    near = h.add_device("Near lamp", zone="00000000-0000-4000-8000-%012d" % 0)
    far = h.add_device("Far lamp", zone=zid)
    b = boot(sim, interp, config(sim, tmp_path), [["devices", "lamp"]])
    zones = {row[0]: row[2] for row in b.value(0)}
    assert zones == {near: "Room 0", far: zid}


def test_devices_shows_zone_ids_to_a_key_that_may_not_read_zones(sim, tmp_path, interp):
    h = sim.homey()
    key = h.create_api_key("ro", scopes=["homey.device.readonly"])
    b = boot(sim, interp, config(sim, tmp_path, api_key=key), [["devices"], ["get", "Kitchen light"]])
    assert b.value(0) == [[d["id"], d["name"], d["zone"], d["class"]] for d in h.devices.values()]
    assert [q.status for q in b.reqs[0]] == [403, 200]
    assert any("zone ids" in line for line in b.logs), b.logs
    assert b.value(1) is False


# --- flows -----------------------------------------------------------------------------------------
def test_trigger_flows_by_name_and_id(sim, tmp_path, interp):
    h = sim.homey()
    night, movie, morning = (h.flow_by_name(n)["id"] for n in ("Good night", "Movie time", "Morning routine"))
    h.flows[movie]["enabled"] = False
    b = boot(sim, interp, config(sim, tmp_path), [
        ["trigger", "Good night"],       # 0 basic by name
        ["trigger", "Morning routine"],  # 1 advanced by name
        ["trigger", night],              # 2 basic by id
        ["trigger", morning],            # 3 advanced by id
        ["trigger", "good night"],       # 4 exact names only
        ["trigger", NO_SUCH_ID],         # 5
        ["trigger", "Movie time"],       # 6 disabled: the Homey's reason
        ["trigger", "Good night"],       # 7 cached: one request
        ["flows"],
    ])
    for i in (0, 1, 2, 3, 7):
        assert b.value(i) is True
    assert "good night" in b.error(4, "NotFound")
    assert NO_SUCH_ID in b.error(5, "NotFound")
    assert "disabled" in b.error(6, "Rejected")
    assert b.sent[0] == ["GET flow/flow/", "GET flow/advancedflow/", "POST flow/flow/%s/trigger" % night]
    assert b.sent[1][-1] == "POST flow/advancedflow/%s/trigger" % morning
    assert b.sent[2] == ["POST flow/flow/%s/trigger" % night]
    assert b.sent[7] == ["POST flow/flow/%s/trigger" % night]
    assert h.triggered == [("flow", night), ("advancedflow", morning), ("flow", night),
                           ("advancedflow", morning), ("flow", night)]
    assert sorted(map(tuple, b.value(8))) == sorted([(night, "Good night", "flow"), (movie, "Movie time", "flow"),
                                                     (morning, "Morning routine", "advancedflow")])


# --- logic variables ------------------------------------------------------------------------------
def test_logic_variables_by_name_or_id_with_type_checks(sim, tmp_path, interp):
    h = sim.homey()
    away, level, mode = (h.variable_by_name(n)["id"] for n in ("Away", "Night level", "Mode"))
    b = boot(sim, interp, config(sim, tmp_path), [
        ["variable", "Away"],                    # 0
        ["variable", level],                     # 1 by id
        ["set_variable", "Night level", 0.7],    # 2
        ["set_variable", level, 0.8],            # 3 by id
        ["set_variable", "Away", "yes"],         # 4 boolean
        ["set_variable", "Away", True],          # 5
        ["set_variable", "Mode", 3],             # 6 string
        ["set_variable", "Mode", "away"],        # 7
        ["set_variable", "Night level", True],   # 8 a bool is not a number
        ["set_variable", "Night level", "0.1"],  # 9
        ["variable", "Nope"],                    # 10
        ["set_variable", NO_SUCH_ID, 1],         # 11
        ["variable", "Mode"],                    # 12
    ])
    assert b.value(0) is False and b.value(1) == 0.2
    assert b.sent[1] == ["GET logic/variable/%s" % level]
    assert b.value(2) == 0.7 and b.value(3) == 0.8
    assert b.value(5) is True and b.value(7) == "away"
    for i, words in ((4, ("Away", "boolean")), (6, ("Mode", "string")), (8, ("Night level", "number")),
                     (9, ("Night level", "number"))):
        msg = b.error(i, "Rejected")
        assert all(w in msg for w in words), msg
        assert not any(m == "PUT" for m in (q.method for q in b.reqs[i]))
    assert "Nope" in b.error(10, "NotFound")
    assert NO_SUCH_ID in b.error(11, "NotFound")
    assert b.value(12) == "away"
    assert (h.variables[away]["value"], h.variables[level]["value"], h.variables[mode]["value"]) == (True, 0.8, "away")
    puts = [(q.path.rsplit("/", 1)[1], q.json()) for q in sim.requests if q.method == "PUT"]
    assert puts == [(level, {"value": 0.7}), (level, {"value": 0.8}), (away, {"value": True}),
                    (mode, {"value": "away"})]


# --- webhooks ---------------------------------------------------------------------------------------
def test_webhook_without_auth_with_tag(sim, tmp_path, interp):
    hid = sim.homey().id
    b = boot(sim, interp, config(sim, tmp_path), [
        ["webhook", "button press", "a&b c/é"], ["webhook", "plain"], ["webhook", ""], ["webhook", "n", 5]])
    assert b.value(0) is True and b.value(1) is True and b.value(3) is True
    b.error(2, "Rejected")
    assert sim.webhooks == [(hid, "button press", "a&b c/é"), (hid, "plain", None), (hid, "n", "5")]
    hooks = [q for q in sim.requests if q.role == "webhook"]
    assert len(hooks) == 3 and len(sim.requests) == 3  # nothing asked of the Homey
    for q in hooks:
        assert q.header("authorization") is None
        assert q.status == 200


# --- big homes --------------------------------------------------------------------------------------
def test_big_home_toggle_by_name_under_a_fixed_heap_cap(make_sim, tmp_path, interp):
    """3, 100 and 1000 devices (1000 is ~2 MB of JSON) under one 128 KB MicroPython heap."""
    mem = {}
    for n in (3, 100, 1000):
        sim = make_sim(devices=n)
        last = sim.homey().device_by_name("Lamp %04d" % n if n > 3 else "Café thermostat")
        cap = "onoff" if n > 3 else "target_temperature"
        d = tmp_path / str(n)
        d.mkdir()
        ops = ([["toggle", last["name"]], ["toggle", last["name"]]] if n > 3 else
               [["set", last["name"], cap, 22], ["set", last["name"], cap, 23]])
        b = boot(sim, interp, config(sim, d), ops, heapsize="128k" if interp == "mpy" else None)
        assert b.sent[0] == ["GET " + DEV, "PUT " + cap_path(last["id"], cap)], n
        assert b.sent[1] == ["PUT " + cap_path(last["id"], cap)], n
        assert sim.homey().value(last["id"], cap) == (False if n > 3 else 23)
        mem[n] = b.mem
        sim.stop()
    if interp == "mpy":
        # what the client keeps after a call does not grow with the home
        assert max(mem[1000]) <= max(mem[3]) + 4096, mem


def test_devices_on_a_big_home_filters_and_fails_cleanly(make_sim, tmp_path, interp):
    """1000 devices: the whole list may not fit a small heap; that is a HomeyError saying how to
    narrow it down, a `match` filter lists just the matching names, and the client stays usable."""
    sim = make_sim(devices=1000)
    ops = [["devices"], ["devices", "LAMP 000"], ["toggle", "Kitchen light"]]
    b = boot(sim, interp, config(sim, tmp_path), ops, heapsize="128k" if interp == "mpy" else None)
    if interp == "mpy":
        assert b.results[0]["error"] == "HomeyError", b.results[0]
        assert 'h.devices("kitchen")' in b.results[0]["msg"]
    else:  # CPython has the RAM for the whole list
        assert len(b.results[0]["ok"]) == 1000
    want = sorted(d["name"] for d in sim.homey().devices.values() if "lamp 000" in d["name"].lower())
    assert want and sorted(row[1] for row in b.results[1]["ok"]) == want
    assert b.results[2]["ok"] is True


# --- errors leave the client usable ------------------------------------------------------------------
def test_an_error_from_each_call_leaves_the_client_usable(sim, tmp_path, interp):
    kid = dev_id(sim, "Kitchen light")
    failing = [
        ["get", "Nobody"], ["get", kid, "nope"], ["set", kid, "dim", 7], ["set", NO_SUCH_ID, "onoff", True],
        ["toggle", "Nobody"], ["toggle", kid, "dim"], ["dim_step", NO_SUCH_ID, 0.1], ["trigger", "Nothing"],
        ["variable", "Nothing"], ["set_variable", "Away", 3], ["webhook", ""],
    ]
    ops = []
    for op in failing:
        ops += [op, ["get", kid, "dim"]]
    ops.append(["devices"])
    b = boot(sim, interp, config(sim, tmp_path), ops)
    for i in range(len(failing)):
        r = b.results[2 * i]
        assert r.get("error") in ("NotFound", "Rejected"), (failing[i], r)
        assert b.value(2 * i + 1) == 0.5, failing[i]
    assert len(b.value(len(ops) - 1)) == 3
    assert b.res["connects"] == 1  # not even the connection was lost
