"""The firmware end to end: a waveform on the unix board's stdin, the simulator on the other side.

Each test writes a config (simulator's uhomey sections + buttons), runs `firmware/main.py`
under MicroPython (and CPython where the behaviour is the interpreter's business) and
checks what reached the simulated Homey and what the log and LED said.
"""
import json
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import fwdemo  # noqa: E402

LIGHT = "Kitchen light"
MPY = fwdemo.micropython()
INTERPS = {"mpy": MPY, "cpython": sys.executable}
CLICK = "100 0 1\n160 0 0\n"


def config(sim, tmp_path, buttons, mode="cloud", **firmware):
    path = str(tmp_path / "config.json")
    fwdemo.write_config(sim, path, buttons, **firmware)
    if mode != "cloud":
        cfg = json.load(open(path))
        cfg.pop("athom", None)
        cfg.update(sim.config(mode=mode))
        json.dump(cfg, open(path, "w"))
    return path


def toggle_button(device=LIGHT, **extra):
    b = {"click": {"do": "toggle", "device": device}}
    b.update(extra)
    return [b]


def puts(sim, cap="onoff"):
    return [r for r in sim.requests if r.method == "PUT" and r.path.endswith("/capability/" + cap)]


def light(sim, cap="onoff"):
    return sim.homey(0).device_by_name(LIGHT)["values"][cap]


def run(path, presses, interp="mpy", timeout=60, tree=None, heap=None):
    rc, out = fwdemo.run(path, presses, tree=tree, interp=INTERPS[interp], heap=heap, timeout=timeout)
    assert "Traceback" not in out, out
    return rc, out


@pytest.mark.parametrize("interp", ["mpy", "cpython"])
def test_click_toggles_the_light_and_the_run_ends_with_the_input(sim, tmp_path, interp):
    path = config(sim, tmp_path, toggle_button())
    rc, out = run(path, CLICK, interp)
    assert rc == 0, out
    assert [r.json() for r in puts(sim)] == [{"value": True}]
    assert light(sim) is True
    assert "b0 click -> toggle Kitchen light" in out
    assert "done toggle Kitchen light -> True" in out and "led: ok" in out
    assert "input ended; nothing in flight: stopping" in out
    assert sim.password not in out and sim.client_secret not in out


def test_as_a_board_runs_it_from_mpy_files(sim, tmp_path):
    tree = fwdemo.build_tree(str(tmp_path / "board"))
    path = config(sim, tmp_path, [{"click": {"do": "on", "device": LIGHT},
                                   "double": {"do": "off", "device": LIGHT}}])
    rc, out = run(path, CLICK + "1000 0 1\n1060 0 0\n1200 0 1\n1260 0 0\n", tree=tree, heap="256k")
    assert rc == 0, out
    assert [r.json()["value"] for r in puts(sim)] == [True, False], out
    assert "b0 double -> set Kitchen light onoff=False" in out


@pytest.mark.parametrize("presses,final,sent", [(5, True, 1), (6, False, 2)])
def test_fast_toggles_fold_and_end_in_the_right_state(sim, tmp_path, presses, final, sent):
    # the first press's request is held up 0.8 s (a slow Homey): the presses that come meanwhile
    # fold into one job; an even count changes nothing and sends nothing, an odd one one toggle
    sim.fault("stall", path="/api/manager/devices/device/", role="homey", seconds=0.8)
    path = config(sim, tmp_path, toggle_button())
    wave = "".join("%d 0 1\n%d 0 0\n" % (100 + i * 120, 160 + i * 120) for i in range(presses))
    rc, out = run(path, wave)
    assert rc == 0, out
    assert light(sim) is final  # off, then that many toggles
    assert len(puts(sim)) == sent
    assert "(%d presses)" % (presses - 1) in out


def test_hold_to_dim_sends_fewer_steps_than_asked_and_the_last_value_lands(sim, tmp_path):
    did = sim.homey(0).device_by_name(LIGHT)["id"]
    sim.homey(0).set_value(did, "onoff", True)
    sim.fault("stall", path="/api/manager/devices/device/%s/capability/dim" % did, role="homey",
              count=100, seconds=0.4)  # each step takes longer than the 250 ms repeat
    path = config(sim, tmp_path, [{"hold": {"do": "dim", "device": LIGHT, "step": 0.05}}])
    rc, out = run(path, "100 0 1\n3100 0 0\n")
    assert rc == 0, out
    asked = len(re.findall(r"b0 hold \d+ -> dim", out)) + len(re.findall(r"b0 hold \d+ folds", out))
    sent = len(puts(sim, "dim"))
    assert asked >= 8
    assert 1 <= sent < asked
    assert light(sim, "dim") == pytest.approx(min(1.0, 0.5 + 0.05 * asked))


def test_outage_then_recovery_delivers_the_press(sim, tmp_path):
    path = config(sim, tmp_path, toggle_button(), mode="apikey", queue={"retry_s": 20})

    def outage():
        time.sleep(0.8)
        sim.set_unreachable(0, "local_secure")
        time.sleep(2.5)
        sim.set_unreachable(0, "local_secure", on=False)

    t = threading.Thread(target=outage)
    t.start()
    rc, out = run(path, CLICK + "1500 0 1\n1560 0 0\n", timeout=60)
    t.join()
    assert rc == 0, out
    assert light(sim) is False  # both presses landed
    assert len(puts(sim)) == 2
    assert "retrying in" in out and "led: unreachable" in out
    assert "dropped" not in out


def test_outage_longer_than_the_window_drops_the_press_with_error_feedback(sim, tmp_path):
    path = config(sim, tmp_path, toggle_button(), mode="apikey", queue={"retry_s": 2})
    sim.set_unreachable(0, "local_secure")
    rc, out = run(path, CLICK, timeout=60)
    assert rc == 0, out
    assert puts(sim) == []
    assert "led: unreachable" in out
    assert re.search(r"E dropped toggle Kitchen light \(b0 click, 1 press\): not delivered within", out)
    assert "led: error" in out


def test_the_watchdog_stays_fed_while_the_homey_stalls(sim, tmp_path):
    sim.fault("stall", role="homey", count=100, seconds=30, then="close")
    path = config(sim, tmp_path, toggle_button(), mode="apikey", watchdog_s=4, queue={"retry_s": 3})
    rc, out = run(path, CLICK, timeout=90)
    assert rc == 0, out  # a missed feed ends the unix board's run with status 3
    gap = int(re.search(r"watchdog: longest gap between feeds (\d+) ms \(limit 4000\)", out).group(1))
    assert gap < 4000
    assert "dropped toggle Kitchen light" in out


def test_a_config_error_names_the_field(sim, tmp_path):
    path = config(sim, tmp_path, [{"click": {"do": "toogle", "device": LIGHT}}])
    rc, out = run(path, "")
    assert rc == 1
    assert "buttons[0].click.do is 'toogle': use one of toggle, on, off" in out


def test_ctrl_c_stops_the_app_cleanly(sim, tmp_path):
    path = config(sim, tmp_path, toggle_button())
    cmd, cwd, env = fwdemo.command(path, interp=MPY)
    p = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    time.sleep(1.0)
    p.send_signal(signal.SIGINT)
    out = p.communicate(timeout=20)[0]
    assert p.returncode == 0, out
    assert "stopped (Ctrl-C)" in out


@pytest.mark.parametrize("toggle", ["remember", "read"])
def test_the_waking_press_sends_nothing_before_its_put(sim, tmp_path, toggle):
    path = config(sim, tmp_path, toggle_button(), sleep={"idle_s": 1, "toggle": toggle})
    rc, out = run(path, CLICK)  # first boot: login, the press, then deep sleep after 1 s idle
    assert rc == 0, out
    assert "deep sleep" in out
    kept = json.load(open(tmp_path / "rtc.json"))
    assert kept["slept"] is True and LIGHT in kept["ids"]
    sim.clear_log()
    rc, out = run(path, "0 0 1\n70 0 0\n")  # woken by button 0: the press is that wake
    assert rc == 0, out
    assert "woken by b0" in out
    before = []
    for r in sim.requests:
        if r.method == "PUT":
            break
        before.append("%s %s" % (r.method, r.path))
    assert [r.json() for r in puts(sim)] == [{"value": False}]
    did = kept["ids"][LIGHT]
    if toggle == "remember":
        assert before == []
    else:  # the light may have been switched elsewhere meanwhile: its value is read first
        assert before == ["GET /api/manager/devices/device/%s/capability/onoff" % did]
    assert sim.count(role="accounts") == sim.count(role="api") == 0
