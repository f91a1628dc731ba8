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
