"""A MemoryError is a fact of life on a device: on the MicroPython unix port with a 64 KB
heap (uhomey as shipped, .mpy) squeezed by ballast to 32 bytes .. 3 KB free, a press
(toggle, get) ends as a success or a HomeyError subclass (after dropping what it holds),
never a raw MemoryError, and the next press after the ballast goes works. Fine ballast
(32-byte blocks) squeezes the call's very first allocations too: a bound method, an
argument tuple, a closure made before the call's own try would escape as raw MemoryError."""
import json

import pytest

from both import call, ok

OK, HOMEY_ERROR = 1, 2
STEPS = 24  # free 1 .. 24 blocks of the ballast: 32 bytes up to 768, 128 bytes up to 3 KB


@pytest.mark.parametrize("block", [32, 128])
@pytest.mark.parametrize("method", ["toggle", "get"])
def test_a_squeezed_press_is_a_homey_error_and_the_next_one_works(method, block, sim, tmp_path, mpy_build):
    cfg = sim.write_config(str(tmp_path / "config.json"), mode="apikey", scheme="http")
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    dev = sim.homey(0).device_by_name("Kitchen light")["id"]
    out = ok(call("mpy", "h_memory", "squeezed", str(tmp_path / "config.json"), dev, method, STEPS, block,
                  heapsize="64k", path=[mpy_build], timeout=120))
    assert [squeezed for squeezed, _ in out if squeezed not in (OK, HOMEY_ERROR)] == [], out
    assert [after for _, after in out if after != OK] == [], out
