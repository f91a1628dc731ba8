"""The REPL helpers (firmware/wallbutton/repl.py) against the simulator: token status
without a token in sight, a login that keeps the old store when it fails, devices and
toggle, Wi-Fi status from the fake ESP32, and a simulated press through the app."""
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "firmware"))

from mpyrun import run_mpy  # noqa: E402

BOARD = {"name": "M5Stack ATOM Lite", "platform": "esp32",
         "buttons": [{"pin": 39, "active_low": True, "pull": None}],
         "led": {"kind": "neopixel", "pin": 27, "count": 1},
         "wake": {"pins": [39], "mode": "ext0"}, "safe_button": 0}


@pytest.fixture
def repl(sim, tmp_path, monkeypatch):
    from wallbutton import repl as r

    cfg = sim.write_config(str(tmp_path / "config.json"))
    cfg.update(board="m5stack-atom-lite", wifi={"networks": [{"ssid": "Home", "password": "pw-home"}]},
               buttons=[{"click": {"do": "toggle", "device": "Kitchen light"}}], watchdog_s=0)
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    (tmp_path / "board.json").write_text(json.dumps(BOARD))
    monkeypatch.setattr(r, "CONFIG", str(tmp_path / "config.json"))
    monkeypatch.setattr(r, "BOARD", str(tmp_path / "board.json"))
    monkeypatch.setattr(r, "_homey", None)
    monkeypatch.setattr(r, "_app", None)
    yield r
    if r._homey is not None:
        r._homey.close()


def _secrets(tmp_path):
    store = json.loads((tmp_path / "tokens.json").read_text())
    return [v for k, v in store.items() if k in ("refresh_token", "access_token", "homey_session") and v]


def test_tokens_before_and_after_a_login(repl, tmp_path, capsys):
    repl.tokens()
    assert "no token store" in capsys.readouterr().out
    repl.login()
    out = capsys.readouterr().out
    assert "logged in" in out
    repl.tokens()
    out = capsys.readouterr().out
    assert "refresh token: stored" in out and "access token expires" in out and "UTC (in " in out, out
    secrets = _secrets(tmp_path)
    assert len(secrets) >= 2
    for s in secrets:
        assert s not in out


def test_token_status_lines_for_expired_and_unknown():
    from wallbutton.repl import token_status

    lines = token_status({"access_token": "x", "access_expires": 1800000000, "refresh_token": "y"}, 1800000060)
    assert "access token expires 2027-01-15 08:00 UTC (expired; the refresh token renews it)" in lines
    lines = token_status({"access_token": "x", "access_expires": 0}, None)
    assert "access token expiry: unknown (asked of the server on first use)" in lines
    assert "Homey session: none" in lines


def test_a_failed_login_keeps_the_old_tokens(repl, tmp_path, capsys):
    repl.login()
    before = (tmp_path / "tokens.json").read_text()
    cfg = json.loads((tmp_path / "config.json").read_text())
    cfg["athom"]["password"] = "wrong"
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    capsys.readouterr()
    repl.login()
    out = capsys.readouterr().out
    assert "login failed" in out and "previous token store is back" in out
    assert (tmp_path / "tokens.json").read_text() == before
    assert not (tmp_path / "tokens.json.old").exists()
    assert "wrong" not in out


def test_devices_and_toggle(repl, sim, capsys):
    repl.devices("light")
    out = capsys.readouterr().out
    assert "Kitchen light" in out and "device(s)" in out
    kid = sim.homey().device_by_name("Kitchen light")["id"]
    before = sim.homey().value(kid, "onoff")
    repl.toggle("Kitchen light")
    assert sim.homey().value(kid, "onoff") is (not before)
    assert ("Kitchen light is now %s" % ("on" if not before else "off")) in capsys.readouterr().out
    repl.toggle("No such lamp")
    assert "error:" in capsys.readouterr().out


def test_wifi_status_and_a_press_through_a_one_shot_app(repl, sim, monkeypatch, capsys):
    from fakes import install, remove

    try:
        w = install()
        w.ap("Home", "pw-home", b"\x22" * 6, channel=11)
        from wallbutton import hw_esp32

        monkeypatch.setattr(repl, "_make_hw", lambda b, c, log: hw_esp32.make(b, c, log, clock=w.clock))
        repl.wifi()
        out = capsys.readouterr().out
        assert "connected  False" in out and "no errors since boot" in out
        kid = sim.homey().device_by_name("Kitchen light")["id"]
        before = sim.homey().value(kid, "onoff")
        repl.press(0, "click")
        out = capsys.readouterr().out
        assert "done" in out, out
        assert sim.homey().value(kid, "onoff") is (not before)
        assert "pw-home" not in out
    finally:
        remove()


def test_an_attached_app_lends_its_session_and_hardware(repl, sim, monkeypatch, capsys):
    from fakes import install, remove

    try:
        w = install()
        w.ap("Home", "pw-home", b"\x22" * 6, channel=11)
        from wallbutton import hw_esp32

        monkeypatch.setattr(repl, "_make_hw", lambda b, c, log: hw_esp32.make(b, c, log, clock=w.clock))
        app = repl._one_shot_app()  # as main.py ran it, before Ctrl-C
        repl.attach(app)
        kid = sim.homey().device_by_name("Kitchen light")["id"]
        before = sim.homey().value(kid, "onoff")
        repl.press(0, "click")
        assert sim.homey().value(kid, "onoff") is (not before)
        repl.devices()
        assert "Kitchen light" in capsys.readouterr().out
        assert repl._homey is None  # no session of its own: the app's
        repl.wifi()
        out = capsys.readouterr().out
        assert "connected  True" in out and "ssid       Home" in out and "channel    11" in out, out
        assert "pw-home" not in out
    finally:
        remove()


def test_help_lists_every_call(capsys):
    from wallbutton import repl

    repl.help()
    out = capsys.readouterr().out
    for name in ("devices", "toggle", "tokens", "wifi", "press", "login"):
        assert "r.%s(" % name in out


def test_token_status_runs_on_micropython(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"tokens": "t.json"}))
    (tmp_path / "t.json").write_text(json.dumps({"refresh_token": "SECRET-R", "access_token": "SECRET-A",
                                                 "access_expires": 0, "homey_id": "abc"}))
    code = "from wallbutton import repl\nrepl.CONFIG = %r\nrepl.tokens()\n" % str(tmp_path / "config.json")
    r = run_mpy(code, path=[ROOT / "firmware"]).check()
    assert "refresh token: stored" in r.out and "homey_id: abc" in r.out and "expiry: unknown" in r.out
    assert "SECRET" not in r.out
