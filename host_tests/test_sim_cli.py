"""tools/sim.py standalone, and Simulator.config() / write_config()."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from homeysim import Simulator, probe

ROOT = Path(__file__).resolve().parent.parent
SIM = str(ROOT / "tools" / "sim.py")


def config_from(out):
    lines = out.splitlines()
    start = lines.index("{")
    end = start + lines[start:].index("}")
    return json.loads("\n".join(lines[start:end + 1]))


def test_print_and_exit(tmp_path):
    wd = tmp_path / "w"
    p = subprocess.run([sys.executable, SIM, "--print-and-exit", "--homeys", "2", "--devices", "5",
                        "--otp", "123456", "--workdir", str(wd)],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    out = p.stdout
    for role in ("accounts", "api", "webhook"):
        assert role in out
    assert out.count("https://127.0.0.1:") >= 5 and "https://localhost:" in out
    assert "CA (DER): %s" % (wd / "ca.der") in out
    cfg = config_from(out)
    assert cfg["athom"]["otp"] == "123456" and cfg["tls"]["ca"] == str(wd / "ca.der")
    assert cfg["athom"]["accounts_url"].startswith("https://127.0.0.1:")
    assert json.loads((wd / "config.json").read_text()) == cfg
    assert (wd / "ca.der").exists() and out.rstrip().endswith("stopped")


def test_runs_until_sigterm_and_serves(tmp_path):
    p = subprocess.Popen([sys.executable, SIM, "--workdir", str(tmp_path / "w"), "--mode", "apikey",
                          "--scheme", "http"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = p.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
            if line.startswith("running"):
                break
        cfg = config_from("\n".join(lines))
        assert "athom" not in cfg and "tls" not in cfg and cfg["homey"]["url"].startswith("http://")
        import urllib.request
        req = urllib.request.Request(cfg["homey"]["url"] + "/api/manager/devices/device/",
                                     headers={"Authorization": "Bearer " + cfg["homey"]["api_key"]})
        with urllib.request.urlopen(req, timeout=5) as r:
            assert len(json.loads(r.read())) == 3
        t = time.monotonic()
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=10)
        assert p.returncode == 0, err
        assert "stopped" in out and time.monotonic() - t < 5
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()


def test_config_shapes(make_sim, tmp_path):
    sim = make_sim(homeys=2, otp="000111")
    cfg = sim.config()
    assert list(cfg) == ["athom", "homey", "tls", "tokens"]
    a = cfg["athom"]
    assert (a["email"], a["password"], a["otp"]) == (sim.email, sim.password, "000111")
    assert (a["client_id"], a["client_secret"], a["redirect_uri"]) == (
        sim.client_id, sim.client_secret, sim.redirect_uri)
    assert (a["accounts_url"], a["api_url"]) == (sim.accounts_url, sim.api_url)
    assert cfg["homey"] == {"id": "", "url": "", "api_key": "", "webhook_url": sim.webhook_url}
    assert cfg["tls"] == {"ca": sim.ca_der_path, "verify": True} and os.path.isabs(sim.ca_der_path)
    assert sim.config(homey=1)["homey"]["id"] == sim.homey(1).id
    plain = sim.config(scheme="http", tokens="t.json")
    assert "tls" not in plain and plain["athom"]["api_url"].startswith("http://")
    assert plain["homey"]["webhook_url"].startswith("http://") and plain["tokens"] == "t.json"

    k = sim.config(mode="apikey")
    assert list(k) == ["homey", "tls"] and k["homey"]["url"] == sim.homey().local_secure_url
    st, _, _ = probe.call(sim, k["homey"]["url"], "GET", "/api/manager/devices/device/",
                          token=k["homey"]["api_key"])
    assert st == 200
    k2 = sim.config(mode="apikey", homey=1, scheme="http")
    assert list(k2) == ["homey"] and k2["homey"]["url"] == sim.homey(1).local_url
    assert k2["homey"]["id"] == sim.homey(1).id

    path = tmp_path / "config.json"
    written = sim.write_config(str(path), mode="cloud")
    assert json.loads(path.read_text(encoding="utf-8")) == written


def test_context_manager_and_temp_workdir():
    with Simulator(devices=1) as sim:
        wd = sim.workdir
        assert os.path.exists(sim.ca_der_path)
        assert probe.call(sim, sim.accounts_url, "GET", "/")[0] == 200
    assert not os.path.exists(wd)
    sim.stop()  # a second stop is harmless
