"""tools/deploy.py against a board without hardware: the MicroPython unix port's REPL on a
pty, driven by mpremote's own serial transport (ptyboard.py). What lands on the board,
that a second run copies nothing, that a changed file is the only one copied, and that a
bad config stops before the board is touched."""
import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT
from mpyrun import micropython_binary
from ptyboard import PtyBoard

import configcheck
import deploy

UHOMEY = sorted(n for n in os.listdir(ROOT / "lib" / "uhomey") if n.endswith(".py"))


@pytest.fixture
def board(tmp_path):
    b = PtyBoard(tmp_path / "board")
    yield b
    b.close()


def run(cfg, pty, **kw):
    lines = []
    link = pty.connect()
    try:
        plan = deploy.deploy(str(cfg), link, out=lines.append, **kw)
    finally:
        link.close()
    return plan, "\n".join(lines)


def sim_config(sim, tmp_path, with_tokens=True, **edit):
    """The simulator's config in tmp_path/host (absolute CA path) and, optionally, a token store."""
    host = tmp_path / "host"
    host.mkdir(exist_ok=True)
    cfg = sim.config()
    cfg.update(edit)
    path = host / "config.json"
    path.write_text(json.dumps(cfg))
    if with_tokens:
        (host / "tokens.json").write_text('{"refresh_token": "r-1"}')
    return path


def test_first_deploy_lands_the_library_config_ca_and_tokens_then_a_second_copies_nothing(sim, tmp_path, board):
    cfg = sim_config(sim, tmp_path)
    plan, out = run(cfg, board)
    files = board.files()
    expected = {"lib/uhomey/" + n[:-3] + ".mpy" for n in UHOMEY if n != "texts.py"} | {
        "lib/uhomey/texts.py", "config.json", "ca.der", "tokens.json"}
    assert set(files) == expected
    assert sorted(board.writes) == sorted(expected)
    assert files["ca.der"] == sim.ca_der
    # the error texts travel as source: the device reads them a line at a time, only on an error
    assert files["lib/uhomey/texts.py"] == (ROOT / "lib" / "uhomey" / "texts.py").read_bytes()
    assert all(files[p][:2] == b"M\x06" for p in files if p.endswith(".mpy"))  # .mpy version 6
    on_board = json.loads(files["config.json"])
    assert on_board["tls"]["ca"] == "ca.der" and on_board["tokens"] == "tokens.json"
    assert "otp" not in on_board["athom"]
    # the token store moved: one refresh-token chain, one device
    assert json.loads(files["tokens.json"]) == {"refresh_token": "r-1"}
    assert not (tmp_path / "host" / "tokens.json").exists()
    assert "arch x64" in out and "MicroPython 1." in out

    board.writes.clear()
    plan, out = run(cfg, board)
    assert board.writes == []
    assert plan.copy == [] and plan.remove == []
    assert "0 to copy, %d unchanged" % (len(expected) - 1) in out  # no token store on the host now


def test_a_changed_config_or_board_file_is_the_only_one_copied_and_stale_modules_go(sim, tmp_path, board):
    cfg = sim_config(sim, tmp_path, with_tokens=False)
    run(cfg, board)
    root = tmp_path / "board"
    (root / "lib" / "uhomey" / "http.mpy").write_bytes(b"damaged")
    (root / "lib" / "uhomey" / "http.py").write_text("# an old source copy: imported before http.mpy\n")
    (root / "lib" / "uhomey" / "gone.mpy").write_bytes(b"M\x06 a module no longer in the source")
    (root / "main_user.py").write_text("# the user's own file, outside deploy's folders\n")
    board.writes.clear()
    plan, _ = run(cfg, board)
    assert board.writes == ["lib/uhomey/http.mpy"]
    assert plan.remove == ["lib/uhomey/gone.mpy", "lib/uhomey/http.py"]
    assert not (root / "lib" / "uhomey" / "http.py").exists()
    assert (root / "main_user.py").exists()

    data = json.loads(cfg.read_text())
    data["timeout"] = 7
    cfg.write_text(json.dumps(data))
    board.writes.clear()
    run(cfg, board)
    assert board.writes == ["config.json"]
    assert json.loads((root / "config.json").read_text())["timeout"] == 7

    plan, out = run(cfg, board, source=True)  # from .mpy to source: every .mpy is removed
    assert "copying source (source requested with --source)" in out
    assert sorted(p for p in board.files() if p.startswith("lib/")) == sorted(
        ["lib/uhomey/" + n for n in UHOMEY])


def test_the_deployed_board_runs_uhomey_from_mpy(sim, tmp_path, board, mpy):
    """What landed is a working install: the unix port imports the .mpy files from the board's
    /lib and toggles a light with the board's config (its CA and token store names)."""
    cfg = sim_config(sim, tmp_path, with_tokens=False)
    run(cfg, board)
    root = str(tmp_path / "board")
    code = ("import sys\nsys.path.insert(0, 'lib')\nimport uhomey\nprint(uhomey.__file__)\n"
            "h = uhomey.connect('config.json')\nprint('toggled', h.toggle('Kitchen light'))\n")
    r = mpy(code, cwd=root, heapsize="128k").check()
    assert "lib/uhomey/__init__.mpy" in r.out
    assert "toggled True" in r.out
    assert os.path.exists(os.path.join(root, "tokens.json"))


class Untouchable:
    """A board that fails the test if deploy touches it."""

    def __getattr__(self, name):
        raise AssertionError("deploy touched the board (%s) before the config passed" % name)


APP_CFG = """from uhomey import ConfigError


def button(raw, where):
    for g, a in raw.items():
        if a.get("do") not in ("toggle", "flow"):
            raise ConfigError("config: %s.%s.do is %r: use toggle or flow" % (where, g, a.get("do")))


def check(cfg):
    for i, b in enumerate(cfg.get("buttons") or []):
        button(b, "buttons[%d]" % i)
    if cfg.get("log", "info") != "info":
        raise ConfigError("config: log must be info")
"""


@pytest.fixture
def firmware_tree(tmp_path, monkeypatch):
    """A stand-in repo with the firmware's folders (gestures, wallbutton with a cfg.py shaped
    like the app's: button(raw, where) and check(cfg) raising ConfigError), and a board file."""
    tree = tmp_path / "repo"
    shutil.copytree(ROOT / "lib" / "uhomey", tree / "lib" / "uhomey")
    for rel, text in (("lib/gestures/__init__.py", "from .button import Button\n"),
                      ("lib/gestures/button.py", "class Button:\n    pass\n"),
                      ("firmware/wallbutton/__init__.py", ""), ("firmware/wallbutton/app.py", "X = 1\n"),
                      ("firmware/wallbutton/cfg.py", APP_CFG),
                      ("firmware/wallbutton/README.md", "not shipped\n"),
                      ("firmware/main.py", "print('main')\n"), ("firmware/boot.py", "print('boot')\n"),
                      ("boards/test-board.json", '{"platform": "esp32", "buttons": [{"pin": 39}]}')):
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_text(text)
    monkeypatch.setattr(deploy, "ROOT", str(tree))
    monkeypatch.setattr(configcheck, "BOARDS", str(tree / "boards"))
    monkeypatch.setattr(configcheck, "FIRMWARE", str(tree / "firmware"))
    for name in ("wallbutton", "wallbutton.cfg"):  # the stand-in's, not one imported before
        monkeypatch.delitem(sys.modules, name, raising=False)
    yield tree
    for name in ("wallbutton", "wallbutton.cfg"):
        sys.modules.pop(name, None)
    sys.path[:] = [p for p in sys.path if p != str(tree / "firmware")]


WIFI = {"networks": [{"ssid": "Home", "password": "x"}]}


def test_a_firmware_config_lands_the_firmware_found_by_walking_the_folders(sim, tmp_path, board, firmware_tree):
    """With a `board` in the config: gestures, wallbutton (as /lib/wallbutton), boot.py, main.py
    and the board file, from whatever the folders hold."""
    cfg = sim_config(sim, tmp_path, with_tokens=False, board="test-board", wifi=WIFI,
                     buttons=[{"click": {"do": "toggle", "device": "Kitchen light"}}])
    run(cfg, board)
    files = board.files()
    assert {"lib/gestures/__init__.mpy", "lib/gestures/button.mpy", "lib/wallbutton/__init__.mpy",
            "lib/wallbutton/app.mpy", "lib/wallbutton/cfg.mpy", "main.py", "boot.py", "board.json"} <= set(files)
    assert "lib/wallbutton/README.md" not in files
    assert files["main.py"] == b"print('main')\n"  # the entry points stay source: the board runs main.py
    assert json.loads(files["board.json"])["platform"] == "esp32"


def test_every_broken_button_is_named_by_the_apps_own_check(sim, tmp_path, firmware_tree):
    cfg = sim_config(sim, tmp_path, board="test-board", wifi=WIFI, log="loud",
                     buttons=[{"click": {"do": "togle"}}, {"hold": {"do": "dimm"}}])
    with pytest.raises(deploy.DeployError) as e:
        deploy.deploy(str(cfg), Untouchable(), out=lambda s: None)
    msg = str(e.value)
    assert "buttons[0].click.do is 'togle': use toggle or flow" in msg
    assert "buttons[1].hold.do is 'dimm'" in msg
    assert "buttons: 2 entries but boards/test-board.json has 1 button(s)" in msg


def test_an_esp32_config_without_a_ca_is_stopped_before_it_fails_on_the_board(sim, tmp_path, firmware_tree):
    cfg = sim_config(sim, tmp_path, board="test-board", wifi=WIFI, tls={},
                     buttons=[{"click": {"do": "toggle", "device": "Kitchen light"}}])
    with pytest.raises(deploy.DeployError) as e:
        deploy.deploy(str(cfg), Untouchable(), out=lambda s: None)
    assert "tls.ca: empty, so the board trusts no certificate" in str(e.value)
    apikey = sim_config(sim, tmp_path, board="test-board", wifi=WIFI, tls={}, athom={},
                        homey={"url": sim.homey(0).local_url, "api_key": "k"},
                        buttons=[{"click": {"do": "toggle", "device": "Kitchen light"}}])
    deploy.deploy(str(apikey), None, dry_run=True, out=lambda s: None)  # plain HTTP to a Homey Pro: no CA needed


def test_a_bad_config_names_every_problem_and_never_touches_the_board(tmp_path):
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({
        "athom": {"client_id": "c"},
        "board": "no-such-board",
        "wifi": {"networks": [{"password": "x"}], "timeout_s": 0},
        "tls": {"ca": "missing.der"},
    }))
    with pytest.raises(deploy.DeployError) as e:
        deploy.deploy(str(cfg), Untouchable(), out=lambda s: None)
    msg = str(e.value)
    assert "the board was not touched" in msg
    for where in ("athom.client_secret is missing: create an app", "board: no board file boards/no-such-board.json",
                  "wifi.networks[0].ssid: missing", "wifi.timeout_s: must be a number of seconds, at least 1"):
        assert where in msg


def test_a_board_with_an_older_mpy_version_is_told_what_to_flash():
    old = {"mpy": 5 | (10 << 10), "version": (1, 18, 0), "platform": "esp32", "machine": "ESP32"}
    with pytest.raises(deploy.DeployError) as e:
        deploy.target_of(old)
    assert "MicroPython 1.18.0, which loads .mpy version 5, too old" in str(e.value)
    assert "Flash MicroPython 1.22 or later" in str(e.value) and "--source" in str(e.value)
    assert deploy.target_of(old, source=True)["source"]  # what the message offers works
    esp = deploy.target_of({"mpy": 6 | ((3 | 10 << 2) << 8), "version": (1, 24, 1), "platform": "esp32",
                            "machine": "ESP32"})
    assert esp["march"] == "xtensawin" and not esp["source"]
    warned = deploy.target_of({"mpy": 6 | (10 << 10), "version": (1, 21, 0), "platform": "esp32", "machine": ""})
    assert "WARNING: before 1.22" in warned["note"]
    assert deploy.target_of({"mpy": None, "version": (1, 24, 0), "platform": "rp2", "machine": ""})["source"]


def test_dry_run_without_a_board_prints_the_plan_for_an_empty_board(sim, tmp_path):
    cfg = sim_config(sim, tmp_path)
    p = subprocess.run([sys.executable, str(ROOT / "tools" / "deploy.py"), "--config", str(cfg), "--dry-run"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "no board read: planned for an empty board" in p.stdout
    assert "copy   /lib/uhomey/http.mpy" in p.stdout
    assert "copy   /tokens.json" in p.stdout and "moved" in p.stdout
    assert "dry run: nothing was written" in p.stdout
    assert (tmp_path / "host" / "tokens.json").exists()  # a dry run moves nothing
    assert sim.password not in p.stdout + p.stderr


def test_a_package_frozen_into_the_firmware_gets_nothing_copied(tmp_path):
    # frozen, texts.py is imported from flash like every other module of uhomey
    target = {"march": None, "source": False, "frozen": {"uhomey"}}
    items = deploy.package_items("lib/uhomey", "lib/uhomey", target, str(tmp_path))
    assert [i.path for i in items] == []


def test_the_probe_reads_the_boards_micropython_and_finds_nothing_of_ours_frozen(board):
    link = board.connect()
    try:
        info = link.probe()
        frozen = link.frozen(["uhomey", "gestures", "wallbutton", "asyncio"])
    finally:
        link.close()
    assert info["mpy"] & 0xFF == 6 and info["version"][0] == 1
    assert frozen == {"asyncio"}  # the pinned unix build freezes asyncio, and none of uhomey's packages


@pytest.mark.skipif(not (ROOT / "firmware" / "wallbutton" / "app.py").exists() or
                    not (ROOT / "boards" / "unix.json").exists(), reason="the firmware is not in this checkout")
def test_the_deployed_firmware_runs_from_the_board_and_toggles_a_light(sim, tmp_path, board):
    """The real firmware, deployed with the unix board file, started as a board starts it
    (/main.py, modules from /lib): one click on button 0 toggles the light."""
    cfg = sim_config(sim, tmp_path, with_tokens=False, board="unix",
                     buttons=[{"click": {"do": "toggle", "device": "Kitchen light"}}])
    run(cfg, board)
    root = tmp_path / "board"
    p = subprocess.run([micropython_binary(), "main.py"], cwd=str(root), input="100 0 1\n200 0 0\n",
                       capture_output=True, text=True, timeout=60, env={"MICROPYPATH": ".frozen:lib"})
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    kitchen = sim.homey(0).device_by_name("Kitchen light")["id"]
    assert sim.homey(0).value(kitchen, "onoff") is True
