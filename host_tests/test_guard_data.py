"""Data edge cases a real home has and the default home does not, under CPython and MicroPython:
a capability whose value the Homey does not know (null), and names where one is the start of
another ("Lamp 1" and "Lamp 10"): a press must act on exactly the thing it names.
"""
import pytest

from both import INTERPS
from test_client_control import boot, cap_path, config, dev_id

pytestmark = pytest.mark.parametrize("interp", INTERPS)


def test_toggle_of_an_unknown_state_turns_on(sim, tmp_path, interp):
    """A light that never reported (onoff is null) is taken as off: the press turns it on, as a wall
    switch would; it is never taken as on (and switched off), and never refused."""
    kid = dev_id(sim, "Kitchen light")
    sim.homey().set_value(kid, "onoff", None)
    b = boot(sim, interp, config(sim, tmp_path), [["toggle", kid], ["toggle", kid]])
    assert b.value(0) is True
    assert [(q.method, q.json() if q.method == "PUT" else None) for q in b.reqs[0]] == [
        ("GET", None), ("PUT", {"value": True})]
    assert b.value(1) is False  # and from there on it is a plain toggle
    assert sim.homey().value(kid, "onoff") is False


def test_a_name_that_starts_another_is_not_that_other(sim, tmp_path, interp):
    h = sim.homey()
    ten = h.add_device("Lamp 10")  # listed first: a prefix match would find it first
    one = h.add_device("Lamp 1")
    cfg = config(sim, tmp_path)
    b = boot(sim, interp, cfg, [["toggle", "Lamp 1"], ["get", "Lamp 10"], ["toggle", "Lamp"]])
    assert b.value(0) is True and b.value(1) is False
    assert h.value(one, "onoff") is True and h.value(ten, "onoff") is False
    assert "Lamp" in b.error(2, "NotFound")
    # a reboot: the cached name is confirmed by one read of that device, not of the other
    b = boot(sim, interp, cfg, [["toggle", "Lamp 1"]])
    assert b.value(0) is False and h.value(ten, "onoff") is False
    assert b.sent[0][-1] == "PUT " + cap_path(one, "onoff")


def test_flow_and_variable_names_match_exactly(sim, tmp_path, interp):
    h = sim.homey()
    night = h.flow_by_name("Good night")
    longer = dict(night, id="6c2f2e8e-4d1b-4f0e-9a51-0c4c1f0e7a10", name="Good night 2")
    h.flows = {longer["id"]: longer, night["id"]: night}  # the longer name first
    away = h.variable_by_name("Away")
    away2 = dict(away, id="1b7d9a40-2f1c-4c55-8f0e-5e3a2b1c9d77", name="Away 2", value=True)
    h.variables = {away2["id"]: away2, **h.variables}
    b = boot(sim, interp, config(sim, tmp_path), [
        ["trigger", "Good night"], ["variable", "Away"], ["set_variable", "Away", True], ["trigger", "Good"]])
    assert b.value(0) is True and h.triggered == [("flow", night["id"])]
    assert b.value(1) is False
    assert b.value(2) is True
    assert h.variables[away["id"]]["value"] is True and h.variables[away2["id"]]["value"] is True
    assert [q.path.rsplit("/", 1)[1] for q in b.reqs[2] if q.method == "PUT"] == [away["id"]]
    assert "Good" in b.error(3, "NotFound")
