"""The main job (`make demo`) works end to end: login on the first boot, no Athom call after a reboot."""
import subprocess
import sys

from conftest import ROOT


def test_demo_runs_login_then_reboot_without_athom(tmp_path):
    p = subprocess.run([sys.executable, str(ROOT / "tools" / "demo.py"), "--workdir", str(tmp_path)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    out = p.stdout
    first, reboot = out.split("reboot: stored tokens")
    assert "simulator saw: accounts 3, api 3," in first
    assert "simulator saw: accounts 0, api 0," in reboot
    assert "Traceback" not in out
    assert "h.toggle('Kitchen light') again    -> " in reboot
    # the account's password never reaches the output
    assert "p@ss+w&rd" not in out


def test_firmware_demo_plays_its_presses_and_both_sides_print(tmp_path):
    """`make demo` without a terminal: tools/fwdemo_presses.txt through the firmware (.mpy) on the unix port."""
    p = subprocess.run([sys.executable, str(ROOT / "tools" / "fwdemo.py"), "--workdir", str(tmp_path)],
                       capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out[-3000:]
    assert "firmware exit status 0" in out
    assert "Traceback" not in out and " E " not in out
    for line in ("button |", "b0 click -> toggle Kitchen light", "b0 double -> flow Good night",
                 "b0 hold 1 -> dim Kitchen light", "b2 click -> set Café thermostat target_temperature=21",
                 "b3 click -> webhook doorbell", "b3 long -> variable Away=True", "led: ok",
                 "homey  | Kitchen light: onoff False -> True", "homey  | flow started: Good night",
                 "homey  | webhook doorbell tag=front", "homey  | Café thermostat: target_temperature 20.5 -> 21"):
        assert line in out, line
    assert "p@ss+w&rd" not in out and "eyJ" not in out  # no password, no token
