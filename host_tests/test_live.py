"""homey.realtime wired into the session (h.live), under CPython and MicroPython.

Each test runs dual/r_live.run in a thread (a loop polling h.live, as the
firmware's does) while this thread changes things through the simulator: a
light switched by another client of the Homey's API, a dropped socket, an
expired Homey session. Requests are counted from the simulator's log."""
import json
import threading

import pytest

from both import INTERPS, call, ok
from homeysim import probe

LAMP = "Kitchen light"


def config(sim, tmp_path, mode="apikey", realtime=True):
    path = tmp_path / "config.json"
    cfg = sim.write_config(str(path), mode=mode)
    cfg["homey"]["realtime"] = realtime
    path.write_text(json.dumps(cfg))
    return str(path)


class Client:
    """r_live.run in a thread; step(name) waits for its ["pause"] named so, runs change(), lets it go on."""

    def __init__(self, interp, cfg, steps, tmp_path, watch=(LAMP,)):
        self.tmp = tmp_path
        steps = [["pause", str(tmp_path / (s[1] + ".ready")), str(tmp_path / (s[1] + ".go")), 20000]
                 if s[0] == "pause" else s for s in steps]
        self.out = {}
        self.thread = threading.Thread(target=lambda: self.out.setdefault(
            "res", call(interp, "r_live", "run", cfg, list(watch), steps, timeout=90)))
        self.thread.daemon = True
        self.thread.start()

    def step(self, name, change):
        ready = self.tmp / (name + ".ready")
        for _ in range(3000):  # <= 30 s
            if ready.exists() or not self.thread.is_alive():
                break
            self.thread.join(0.01)
        assert ready.exists(), "the client never reached %s: %r" % (name, self.out.get("res"))
        try:
            change()
        finally:
            (self.tmp / (name + ".go")).write_text("1")

    def result(self):
        self.thread.join(90)
        assert not self.thread.is_alive(), "the client did not finish"
        return ok(self.out["res"])


APP = "the app"  # the name of the API key the light is switched "in the app" with


def lamp_at(sim, value):
    """(the simulated Homey, the lamp's id) with the lamp set to value, quietly (no event)."""
    h = sim.homey()
    did = h.device_by_name(LAMP)["id"]
    h.set_value(did, "onoff", value, event=False)
    return h, did


def switch_elsewhere(sim, did, value):
    """The light switched in the Homey app: a PUT by another client of the API."""
    st, _, answer = probe.call(sim, sim.url("local"), "PUT", "/api/manager/devices/device/%s/capability/onoff" % did,
                               body={"value": value}, token=sim.homey().create_api_key(name=APP))
    assert st == 200, answer


def by_the_app(sim, req):
    auth = req.header("Authorization") or ""
    cred = sim.homey().lookup_bearer(auth[7:])[0] if auth.startswith("Bearer ") else None
    return bool(cred) and cred.get("name") == APP


def puts(sim, start, did):
    """(method, body value) of the client's requests (not the app's) on the lamp's onoff since start."""
    path = "/api/manager/devices/device/%s/capability/onoff" % did
    return [(r.method, json.loads(r.body)["value"] if r.body else None) for r in sim.requests[start:]
            if r.path == path and not by_the_app(sim, r)]


@pytest.mark.parametrize("interp", INTERPS)
def test_a_change_in_the_app_is_pushed_and_the_next_toggle_is_one_right_put(sim, tmp_path, interp):
    h, did = lamp_at(sim, False)
    c = Client(interp, config(sim, tmp_path), [
        ["until", "UP", 10000],
        ["value", LAMP, "onoff", False, 5000],  # the value re-read after UP
        ["pause", "switch"],
        ["value", LAMP, "onoff", True, 5000],   # pushed, not read
        ["toggle", LAMP],
        ["poll", 300],                           # the echo of our own PUT comes back
    ], tmp_path)
    mark = []
    c.step("switch", lambda: (mark.append(len(sim.requests)), switch_elsewhere(sim, did, True)))
    res = c.result()
    assert res["results"][:4] == [True, True, True, True], res
    assert res["results"][4] == [False, 1], res  # one request, and the light goes off as asked
    assert puts(sim, mark[0], did) == [("PUT", False)]
    assert h.value(did, "onoff") is False
    assert [s[0] for s in res["said"]] == ["UP"], res
    assert any("realtime: up" in line for line in res["logs"]), res["logs"]


@pytest.mark.parametrize("interp", INTERPS)
def test_a_dropped_socket_falls_back_to_the_fresh_window_then_comes_back(sim, tmp_path, interp):
    h, did = lamp_at(sim, True)
    c = Client(interp, config(sim, tmp_path), [
        ["until", "UP", 10000],
        ["value", LAMP, "onoff", True, 5000],
        ["pause", "drop"],
        ["until", "DOWN", 5000],
        ["toggle", LAMP],         # down: the value read after UP is still fresh -> one PUT
        ["until", "UP", 10000],   # reconnected (backoff 0.5-1.5 s)
        ["value", LAMP, "onoff", False, 5000],  # re-read after the reconnect
        ["pause", "switch"],      # up again: a change is pushed
        ["value", LAMP, "onoff", True, 5000],
        ["toggle", LAMP],
    ], tmp_path)
    c.step("drop", lambda: sim.realtime.drop())
    mark = []
    c.step("switch", lambda: (mark.append(len(sim.requests)), switch_elsewhere(sim, did, True)))
    res = c.result()
    assert res["results"][4] == [False, 1], res
    assert res["results"][5:7] == [True, True] and res["results"][8] is True, res
    assert res["results"][9] == [False, 1], res
    assert [s[0] for s in res["said"]] == ["UP", "DOWN", "UP"], res
    down = [line for line in res["logs"] if "realtime: down" in line]
    assert len(down) == 1 and "homey.fresh_ms" in down[0], res["logs"]
    assert len([line for line in res["logs"] if "realtime: up" in line]) == 2, res["logs"]
    assert puts(sim, mark[0], did) == [("PUT", False)]


@pytest.mark.parametrize("interp", INTERPS)
def test_an_expired_session_is_renewed_for_the_link(sim, tmp_path, interp):
    h, did = lamp_at(sim, False)
    c = Client(interp, config(sim, tmp_path, mode="cloud"), [
        ["until", "UP", 15000],
        ["value", LAMP, "onoff", False, 5000],  # re-read (else that read would renew the session)
        ["pause", "expire"],
        ["until", "AUTH", 8000],   # the reconnect's handshake is refused
        ["until", "UP", 15000],    # renewed here (not by a press), then up again
        ["pause", "switch"],
        ["value", LAMP, "onoff", True, 5000],
    ], tmp_path)

    def logins():
        return len([r for r in sim.requests if r.path == "/api/manager/users/login"])

    before = []

    def expire_and_drop():
        before.append(logins())
        sim.expire_homey_sessions()
        sim.realtime.drop()

    c.step("expire", expire_and_drop)
    c.step("switch", lambda: switch_elsewhere(sim, did, True))
    res = c.result()
    assert res["results"][1] is True and res["results"][3:5] == [True, True] and res["results"][6] is True, res
    assert [s[0] for s in res["said"]] == ["UP", "DOWN", "AUTH", "UP"] or \
        [s[0] for s in res["said"]] == ["UP", "AUTH", "UP"], res
    assert logins() == before[0] + 1  # one new Homey session, made from the loop
    assert any("refused the session" in line for line in res["logs"]), res["logs"]


@pytest.mark.parametrize("interp", INTERPS)
def test_off_by_default_no_socket_is_opened(sim, tmp_path, interp):
    path = config(sim, tmp_path, realtime=False)
    res = ok(call(interp, "s_client", "session", path, [["toggle", LAMP], ["attr", "live"]]))
    assert res["results"][1] == {"ok": None}, res
    assert sim.realtime.sockets == 0


@pytest.mark.parametrize("interp", INTERPS)
def test_a_session_renewed_by_a_press_is_handed_to_the_link(sim, tmp_path, interp):
    h, did = lamp_at(sim, False)
    c = Client(interp, config(sim, tmp_path, mode="cloud"), [
        ["until", "UP", 15000],
        ["value", LAMP, "onoff", False, 5000],
        ["pause", "expire"],
        ["toggle", LAMP],        # 401 -> a new session (the press's own renewal)
        ["pause", "drop"],
        ["until", "DOWN", 5000],
        ["until", "UP", 10000],  # the reconnect's handshake already has the new session
    ], tmp_path)
    c.step("expire", sim.expire_homey_sessions)
    c.step("drop", sim.realtime.drop)
    res = c.result()
    assert res["results"][3] == [True, 4], res  # PUT 401, delegation, the new session's login, PUT
    assert res["results"][5:] == [True, True], res
    assert [s[0] for s in res["said"]] == ["UP", "DOWN", "UP"], res  # never refused: no AUTH


@pytest.mark.parametrize("interp", INTERPS)
def test_a_watched_name_the_homey_lacks_is_logged_and_left_out(sim, tmp_path, interp):
    c = Client(interp, config(sim, tmp_path), [["until", "UP", 10000]], tmp_path, watch=("No such lamp", LAMP))
    res = c.result()
    assert res["results"] == [True], res
    assert any("realtime: not watching No such lamp" in line for line in res["logs"]), res["logs"]
