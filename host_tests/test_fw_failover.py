"""The firmware's idle loop brings a button back to the Homey's LAN address (h.tend()), end to
end: the unix board, a waveform on stdin, the simulator."""
import json

from test_fw_app_e2e import CLICK, LIGHT, config, puts, run, toggle_button


def test_the_idle_loop_returns_to_the_lan_address_before_the_press(sim, tmp_path):
    h = sim.homey(0)
    path = config(sim, tmp_path, toggle_button())
    sim.set_unreachable(0, "local")
    rc, out = run(path, CLICK)  # a first boot with the LAN address silent: the press goes local secure
    assert rc == 0, out
    assert [r.listener for r in puts(sim)] == ["local_secure"]
    tokens = json.load(open(str(tmp_path / "tokens.json")))
    assert tokens["homey_url"] == h.local_secure_url and tokens["homey_urls"][0] == h.local_url

    sim.set_unreachable(0, "local", on=False)
    sim.clear_log()
    rc, out = run(path, CLICK)  # the LAN answers again: the loop pings it while idle, the press goes there
    assert rc == 0, out
    homey = [(r.listener, r.method, r.path) for r in sim.requests if r.role == "homey"]
    assert homey[0] == ("local", "GET", "/api/manager/system/ping"), homey
    assert [r.listener for r in puts(sim)] == ["local"]
    assert "reaching the Homey at %s again" % h.local_url in out
    assert json.load(open(str(tmp_path / "tokens.json")))["homey_url"] == h.local_url
    assert h.device_by_name(LIGHT)["values"]["onoff"] is False  # both presses landed
