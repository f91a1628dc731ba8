"""uhomey.realtime against the simulator's socket, under CPython and MicroPython.

Each test runs dual/r_realtime.run (the client polling) in a thread while this
thread plays the other side: it waits until the simulator sees the client
subscribed, then changes things (through the API or a simulator switch)."""
import json
import threading
import time

import mpybuild
import pytest

from both import INTERPS, call, ok
from homeysim import probe

PING_MS = 500


def wait(pred, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


class Drive:
    """The client in a thread: Drive(...).result() after the scenario ran here."""

    def __init__(self, sim, interp, watches, wanted, timeout_ms=10000, token=None, which="local",
                 heapsize=None, mpy_dir=None, **opts):
        h = sim.homey()
        if which == "local_secure":
            opts["ca"] = sim.ca_der_path
        args = (sim.url(which), token or h.create_api_key(), h.id, watches, wanted, timeout_ms, opts)
        self.out = {}
        self.thread = threading.Thread(target=lambda: self.out.setdefault(
            "res", call(interp, "r_realtime", "run", *args, heapsize=heapsize, timeout=60,
                        path=[mpy_dir] if mpy_dir else ())))
        self.thread.start()

    def result(self):
        self.thread.join(70)
        return ok(self.out["res"])


@pytest.fixture
def lamp(sim):
    sim.realtime.ping_interval, sim.realtime.ping_timeout = PING_MS, PING_MS
    return sim.homey().device_by_name("Kitchen light")["id"]


def put(sim, dev, cap, value, transaction_id=None):
    key = sim.homey().create_api_key()
    body = {"value": value}
    if transaction_id:
        body["transactionId"] = transaction_id
    st, _, answer = probe.call(sim, sim.url("local"), "PUT",
                               "/api/manager/devices/device/%s/capability/%s" % (dev, cap), body=body, token=key)
    assert st == 200, answer
    return json.loads(answer)


def subscribed(sim, dev, n=1):
    wait(lambda: sim.realtime.subscribed("homey:device:" + dev) >= n)


@pytest.mark.parametrize("interp", INTERPS)
@pytest.mark.parametrize("which", ["local", "local_secure"])
def test_events_arrive_and_own_writes_are_known(sim, lamp, interp, which):
    d = Drive(sim, interp, [[lamp, ["onoff", "dim"]]], 3, which=which, own="button-7")
    subscribed(sim, lamp)
    put(sim, lamp, "onoff", True, transaction_id="button-7")   # our own write, echoed
    sim.homey().set_value(lamp, "dim", 0.3)                    # someone else's change
    sim.homey().set_value(lamp, "measure_power", 5, event=True)  # not watched: ignored
    put(sim, lamp, "onoff", False)
    res = d.result()
    assert [s[0] for s in res["said"]] == ["UP"], res
    assert res["changes"] == [[lamp, "onoff", True, True], [lamp, "dim", 0.3, False],
                              [lamp, "onoff", False, False]]
    assert res["values"] == {lamp + " onoff": False, lamp + " dim": 0.3}


@pytest.mark.parametrize("interp", INTERPS)
def test_update_and_delete_events(sim, lamp, interp):
    d = Drive(sim, interp, [[lamp, ["dim"]]], 2)
    subscribed(sim, lamp)
    sim.homey().set_value(lamp, "dim", 0.8, event=False)
    sim.homey().rename_device(lamp, "Kitchen lamp")   # `update`: the whole device, dim 0.8 in it
    sim.homey().delete_device(lamp)
    res = d.result()
    assert res["changes"] == [[lamp, "dim", 0.8, False], [lamp, None, None, False]], res


@pytest.mark.parametrize("interp", INTERPS)
def test_reconnect_after_drop_resubscribes_and_asks_for_a_reread(sim, lamp, interp):
    d = Drive(sim, interp, [[lamp, ["onoff"]]], 2, seed=[lamp, "onoff", "seeded"], stay_ms=100)
    subscribed(sim, lamp)
    sim.homey().set_value(lamp, "onoff", True)
    time.sleep(0.2)
    sockets = sim.realtime.sockets
    assert sim.realtime.drop() == 1
    wait(lambda: sim.realtime.sockets > sockets)
    subscribed(sim, lamp)
    sim.homey().set_value(lamp, "onoff", False)
    res = d.result()
    said = [s[0] for s in res["said"]]
    assert said == ["UP", "DOWN", "UP"], res
    back = res["said"][2][1] - res["said"][1][1]
    assert 400 <= back <= 2500, res   # the first retry waits 1 s +-50 %
    assert [c[2] for c in res["changes"]] == [True, False]


@pytest.mark.parametrize("interp", INTERPS)
def test_pings_keep_the_link_and_a_silent_homey_is_noticed(sim, lamp, interp):
    d = Drive(sim, interp, [[lamp, ["onoff"]]], 1, stay_ms=3 * PING_MS)
    subscribed(sim, lamp)
    time.sleep(4 * PING_MS / 1000)          # the server drops a client that does not ping
    assert sim.realtime.subscribed("homey:device:" + lamp) == 1
    sockets = sim.realtime.sockets
    sim.realtime.drop(silent=True)          # no more pongs: the client must notice by itself
    wait(lambda: sim.realtime.sockets > sockets)
    subscribed(sim, lamp)
    sim.homey().set_value(lamp, "onoff", True)
    res = d.result()
    said = res["said"]
    assert [s[0] for s in said] == ["UP", "DOWN", "UP"], res
    assert "ping" in said[1][2]


@pytest.mark.parametrize("interp", INTERPS)
def test_expired_token_is_surfaced_for_renewal(sim, lamp, interp):
    session = probe.homey_session(sim)
    sim.expire_homey_sessions()
    fresh = sim.homey().create_api_key()
    d = Drive(sim, interp, [[lamp, ["onoff"]]], 1, token=session, renew=fresh)
    subscribed(sim, lamp)
    sim.homey().set_value(lamp, "onoff", True)
    res = d.result()
    said = res["said"]
    assert [s[0] for s in said] == ["AUTH", "UP"], res
    assert "401" in said[0][2] and session not in json.dumps(res)


@pytest.mark.parametrize("interp", INTERPS)
def test_homey_gone_then_back(sim, lamp, interp):
    sim.set_unreachable(0, "local")
    d = Drive(sim, interp, [[lamp, ["onoff"]]], 1)
    time.sleep(1.0)
    sim.set_unreachable(0, "local", False)
    subscribed(sim, lamp)
    sim.homey().set_value(lamp, "onoff", True)
    res = d.result()
    assert [s[0] for s in res["said"]] == ["DOWN", "UP"], res


def test_big_update_frame_in_a_small_heap(sim, lamp, tmp_path):
    # judged as a board runs it: the library as .mpy, the device's 64 KB heap
    mpybuild.build(str(tmp_path / "mpy"))
    d = Drive(sim, "mpy", [[lamp, ["dim"]]], 2, heapsize="64k", mpy_dir=str(tmp_path / "mpy"))
    subscribed(sim, lamp)
    sim.homey().set_value(lamp, "dim", 0.6, event=False)
    sim.homey().rename_device(lamp, "Kitchen \\\"lamp\\\" " + "x" * 60000)   # a ~65 KB update
    sim.homey().set_value(lamp, "dim", 0.1)
    res = d.result()
    assert res["changes"] == [[lamp, "dim", 0.6, False], [lamp, "dim", 0.1, False]], res
    assert res["heap"] < 6 * 1024, res   # ~3 KB measured: Realtime, its buffers, the socket
