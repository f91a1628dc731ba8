"""A press that survives losing the Homey's LAN address, end to end against the simulator, under
CPython AND the MicroPython unix port: the press in flight falls through the addresses discovery
found (no cloud call), an impostor counts as "next", tend() goes back to the LAN address after its
minute (injected clock), and a write whose answer was lost is never sent again elsewhere."""
import threading

import pytest

import both
from both import INTERPS
from test_client_auth import cap_path, did, logged_in, reqs, store_of, write_cfg

TIMEOUT_S = 10  # the config's default: one deadline for the whole press


def run(interp, cfg, ops):
    res = both.call(interp, "s_failover", "session", str(cfg), [list(op) for op in ops], timeout=60)
    return both.ok(res)


def press(dev, value=True):
    return ("call", "set", dev, "onoff", value)


def homey_reqs(sim):
    """(listener, method, path) of every request the Homey's listeners got, in order."""
    return [(q.listener, q.method, q.path) for q in reqs(sim, "homey")]


def fell_through(interp, sim, tmp_path, broken):
    """A logged-in store, the listeners in `broken` switched ("down" or "impostor"), one press."""
    cfg = logged_in(sim, tmp_path)
    assert store_of(cfg)["homey_urls"][0] == sim.homey(0).local_url
    for which, how in broken.items():
        if how == "down":
            sim.set_unreachable(0, which)
        else:
            sim.impostor(0, which)
    dev = did(sim)
    sim.homey(0).set_value(dev, "onoff", False, event=False)
    r = run(interp, cfg, [press(dev)])
    return cfg, dev, r["results"][0]


@pytest.mark.parametrize("interp", INTERPS)
def test_lan_down_the_same_press_goes_through_local_secure(sim, tmp_path, interp):
    cfg, dev, res = fell_through(interp, sim, tmp_path, {"local": "down"})
    assert res.get("ok") is True, res
    assert res["ms"] < TIMEOUT_S * 1000
    assert homey_reqs(sim) == [("local_secure", "PUT", cap_path(dev))]  # the refused one got nothing
    assert reqs(sim, "api") == [] and reqs(sim, "accounts") == []  # no user/me: the stored addresses
    assert sim.homey(0).value(dev, "onoff") is True
    assert store_of(cfg)["homey_url"] == sim.homey(0).local_secure_url  # remembered for the next press


@pytest.mark.parametrize("interp", INTERPS)
def test_lan_and_local_secure_down_the_press_goes_through_the_cloud_relay(sim, tmp_path, interp):
    cfg, dev, res = fell_through(interp, sim, tmp_path, {"local": "down", "local_secure": "down"})
    assert res.get("ok") is True, res
    assert res["ms"] < TIMEOUT_S * 1000
    assert homey_reqs(sim) == [("remote", "PUT", cap_path(dev))]
    assert reqs(sim, "api") == []
    assert store_of(cfg)["homey_url"] == sim.homey(0).remote_url


@pytest.mark.parametrize("interp", INTERPS)
def test_impostor_on_the_lan_address_counts_as_next(sim, tmp_path, interp):
    cfg, dev, res = fell_through(interp, sim, tmp_path, {"local": "impostor"})
    assert res.get("ok") is True, res
    # the impostor's answer (not our Homey: it applied nothing) sends the press on, no session renewal
    assert homey_reqs(sim) == [("local", "PUT", cap_path(dev)), ("local_secure", "PUT", cap_path(dev))]
    assert reqs(sim, "api") == []
    assert sim.homey(0).value(dev, "onoff") is True
    assert store_of(cfg)["homey_url"] == sim.homey(0).local_secure_url


@pytest.mark.parametrize("interp", INTERPS)
def test_every_address_down_fails_within_the_deadline(sim, tmp_path, interp):
    cfg, dev, res = fell_through(interp, sim, tmp_path, {"local": "down", "local_secure": "down",
                                                          "remote": "down"})
    assert res.get("error") in ("Unreachable", "NetworkError"), res
    assert not [q for q in reqs(sim, "homey") if q.method == "PUT"]
    # past the last stored address, one discovery (as before this fallback existed)
    assert len(reqs(sim, "api", "/user/me")) == 1


@pytest.mark.parametrize("interp", INTERPS)
def test_tend_returns_to_the_lan_after_its_minute_never_on_a_press(sim, tmp_path, interp):
    cfg = logged_in(sim, tmp_path)
    h = sim.homey(0)
    dev = did(sim)
    sim.set_unreachable(0, "local")
    lan_down, lan_back = str(tmp_path / "lan-down"), str(tmp_path / "lan-back")

    def bring_the_lan_back():  # once the driver has failed over: the LAN answers again
        for _ in range(600):
            try:
                open(lan_down).close()
                break
            except OSError:
                threading.Event().wait(0.05)
        sim.set_unreachable(0, "local", on=False)
        sim.clear_log()
        open(lan_back, "w").close()

    helper = threading.Thread(target=bring_the_lan_back, daemon=True)
    helper.start()
    ops = [press(dev, True), ("call", "tend"), ("touch", lan_down), ("await", lan_back),
           press(dev, False),  # the LAN is back, but a press never pings it
           ("advance", 59000), ("call", "tend"), ("url",),  # within the minute: nothing sent
           ("advance", 2000), ("call", "tend"), ("url",),  # the minute is over: one ping, back
           press(dev, True), ("call", "tend")]
    r = run(interp, cfg, ops)
    helper.join(5)
    out = r["results"]
    assert all("ok" in x for x in out), out
    assert [out[i]["ok"] for i in (4, 6)] == [h.local_secure_url, h.local_url]
    assert homey_reqs(sim) == [("local_secure", "PUT", cap_path(dev)),
                               ("local", "GET", "/api/manager/system/ping"),
                               ("local", "PUT", cap_path(dev))]
    assert store_of(cfg)["homey_url"] == h.local_url


@pytest.mark.parametrize("kind", ("truncated_length", "reset"))
@pytest.mark.parametrize("interp", INTERPS)
def test_a_write_whose_answer_was_lost_is_not_sent_again(sim, tmp_path, interp, kind):
    cfg = logged_in(sim, tmp_path)
    dev = did(sim)
    sim.fault(kind, path=cap_path(dev), role="homey", which="local")
    r = run(interp, cfg, [press(dev)])
    res = r["results"][0]
    assert res.get("error") in ("ProtocolError", "NetworkError"), res
    if kind == "truncated_length":
        assert "may or may not have been applied" in res["msg"]
    assert homey_reqs(sim) == [("local", "PUT", cap_path(dev))]  # never on to local_secure
    assert store_of(cfg)["homey_url"] == sim.homey(0).local_url


@pytest.mark.parametrize("interp", INTERPS)
def test_api_key_mode_has_one_address(sim, tmp_path, interp):
    cfg = write_cfg(sim, tmp_path / "config.json", mode="apikey", scheme="http")
    sim.set_unreachable(0, "local")
    dev = did(sim)
    r = run(interp, cfg, [press(dev), ("call", "tend")])
    res = r["results"][0]
    assert res.get("error") == "Unreachable" and sim.homey(0).local_url in res["msg"], res
    assert "ok" in r["results"][1]  # tend(): nothing to go back to
    assert sim.requests == []  # no other address, no cloud


@pytest.mark.parametrize("interp", INTERPS)
def test_api_key_mode_an_impostor_is_named_not_renewed(sim, tmp_path, interp):
    cfg = write_cfg(sim, tmp_path / "config.json", mode="apikey", scheme="http")
    sim.impostor(0, "local")
    r = run(interp, cfg, [press(did(sim))])
    res = r["results"][0]
    assert res.get("error") == "Unreachable" and "answers as another Homey" in res["msg"], res
    assert sim.homey(0).impostor_id in res["msg"] and sim.homey(0).id in res["msg"]
    assert [q.method for q in reqs(sim, "homey")] == ["PUT"]  # no second request anywhere
