"""The firmware with homey.realtime on: its loop polls the link, a change made in the
Homey app is pushed, the next click toggles from it (one PUT, the right way) and the
LED rests in the light's state (led.show_state). MicroPython unix port, simulator."""
import json
import threading
import time

from test_fw_app_e2e import LIGHT, config, run, toggle_button
from test_live import switch_elsewhere


def wait(pred, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


def realtime_config(sim, tmp_path, **firmware):
    path = config(sim, tmp_path, toggle_button(), mode="apikey", **firmware)
    cfg = json.load(open(path))
    cfg["homey"]["realtime"] = True
    json.dump(cfg, open(path, "w"))
    return path


def test_a_click_after_a_change_in_the_app_toggles_from_the_pushed_state(sim, tmp_path):
    h = sim.homey()
    did = h.device_by_name(LIGHT)["id"]
    h.set_value(did, "onoff", False, event=False)
    path = realtime_config(sim, tmp_path, led={"show_state": LIGHT}, log="debug")
    mark = []

    def switched_in_the_app():
        wait(lambda: sim.realtime.subscribed("homey:device:" + did) >= 1)
        time.sleep(0.5)  # the loop re-reads the light after UP
        mark.append(len(sim.requests))
        switch_elsewhere(sim, did, True)

    t = threading.Thread(target=switched_in_the_app)
    t.start()
    rc, out = run(path, "4000 0 1\n4060 0 0\n", timeout=60)
    t.join()
    assert rc == 0, out
    assert mark, out
    after = [(r.method, r.path.rsplit("/", 1)[-1]) for r in sim.requests[mark[0] + 1:]]
    assert after == [("PUT", "onoff")], after  # no read before the PUT
    assert sim.requests[mark[0] + 1].json() == {"value": False}  # off, as the app left it on
    assert h.value(did, "onoff") is False
    assert "realtime: up" in out
    assert "led (255, 150, 40)" in out  # resting lit while the app had it on
    assert out.rfind("led (0, 0, 0)") > out.rfind("led (255, 150, 40)")  # and dark after the click


def test_show_state_needs_realtime(sim, tmp_path):
    path = config(sim, tmp_path, toggle_button(), mode="apikey", led={"show_state": LIGHT})
    rc, out = run(path, "")
    assert rc == 1
    assert "led.show_state needs" in out
