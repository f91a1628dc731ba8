"""A press storm: 1,000 toggles of one device in one boot, on the MicroPython unix port with
a 64 KB heap and uhomey as shipped (.mpy, tools/mpybuild.py), and under CPython: no
MemoryError, one request per press (the first reads the value once), and the Homey ends in
the state 1,000 flips leave."""
import json

import pytest

from both import call, ok

PRESSES = 1000
HEAP = "64k"


@pytest.mark.parametrize("scheme", ["http", "https"])
@pytest.mark.parametrize("interp", ["cpython", "mpy"])
def test_a_thousand_toggles_cost_one_request_each(interp, scheme, sim, tmp_path, mpy_build):
    cfg = sim.write_config(str(tmp_path / "config.json"), mode="apikey", scheme=scheme)
    cfg["homey"]["fresh_ms"] = 3600000  # the storm outlasts the default 10 s of trust in a value
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    dev = sim.homey(0).device_by_name("Kitchen light")["id"]
    before = sim.homey(0).value(dev, "onoff")
    sim.clear_log()
    kw = {"heapsize": HEAP, "path": [mpy_build]} if interp == "mpy" else {}
    r = ok(call(interp, "h_storm", "storm", str(tmp_path / "config.json"), dev, PRESSES, timeout=300, **kw))
    assert r["failed"] == 0, r["errors"]
    assert r["values"] == [not before, before]  # an even number of flips
    assert r["requests"] == [2, 1]  # the first press reads the value once; every other one writes only
    assert sim.homey(0).value(dev, "onoff") == before
    puts = [q for q in sim.requests if q.method == "PUT"]
    assert len(puts) == PRESSES and len(sim.requests) == PRESSES + 1
