"""tools/onboard.py against the simulator: the Athom login on the PC (password and 2FA
code asked through an injectable prompt), choosing among two Homeys, the listing mode,
the Homey Pro API key check, and the hand-off to deploy (the token store lands on the
board, the config there holds no password)."""
import json
import os

import pytest

import both

from ptyboard import PtyBoard

import deploy
import onboard
import uhomey


@pytest.fixture(autouse=True)
def current_uhomey(monkeypatch):
    """The uhomey in sys.modules now: both.call() re-imports it for each CPython run, and
    onboard must catch the error classes the code it calls raises."""
    import importlib

    monkeypatch.setattr(onboard, "uhomey", importlib.import_module("uhomey"))


class Scripted:
    """Answers in order; records every question (so a test sees what was asked, and how)."""

    def __init__(self, secrets=(), lines=()):
        self.secrets = list(secrets)
        self.lines = list(lines)
        self.asked = []

    def secret(self, text):
        self.asked.append(("secret", text))
        return self.secrets.pop(0)

    def line(self, text):
        self.asked.append(("line", text))
        return self.lines.pop(0)


def user_config(sim, tmp_path, **edit):
    """What a person writes before onboarding: the simulator's config without the password."""
    cfg = sim.config()
    del cfg["athom"]["password"]
    del cfg["athom"]["otp"]
    cfg.update(edit)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg))
    return path


def onboard_run(argv, prompt, board=None):
    lines = []
    rc = onboard.main(argv, prompt=prompt, board=board, out=lines.append)
    return rc, "\n".join(lines)


def test_login_writes_tokens_and_a_config_without_password(sim, tmp_path, capsys):
    cfg = user_config(sim, tmp_path)
    prompt = Scripted(secrets=[sim.password])
    rc, out = onboard_run(["login", "--config", str(cfg), "--no-deploy"], prompt)
    assert rc == 0, capsys.readouterr().err
    assert prompt.asked == [("secret", "Athom password for %s: " % sim.email)]  # no 2FA code on this account
    written = json.loads(cfg.read_text())
    assert "password" not in written["athom"] and "otp" not in written["athom"]
    assert written["homey"]["id"] == sim.homey(0).id
    store = json.loads((tmp_path / "tokens.json").read_text())
    assert store["refresh_token"] in sim.refresh_tokens
    assert "logged in: Homey %s" % sim.homey(0).name in out and "3 devices" in out
    assert sim.password not in out + capsys.readouterr().err
    # the written config and store make a working session with no password anywhere
    h = uhomey.connect(str(cfg))
    assert h.toggle("Kitchen light") is True
    h.close()


def test_a_2fa_account_is_asked_the_code_again_after_a_wrong_one(make_sim, tmp_path):
    sim = make_sim(otp="246810")
    cfg = user_config(sim, tmp_path)
    prompt = Scripted(secrets=[sim.password, "111111", "246 810"])
    rc, out = onboard_run(["login", "--config", str(cfg), "--no-deploy"], prompt)
    assert rc == 0
    assert [kind for kind, _ in prompt.asked] == ["secret", "secret", "secret"]  # never echoed
    assert "2FA code" in prompt.asked[1][1]
    assert "that code was not accepted" in out
    assert "otp" not in json.loads(cfg.read_text())["athom"]


def test_two_homeys_are_listed_and_the_one_chosen_is_used(make_sim, tmp_path):
    sim = make_sim(homeys=2)  # the login's JWT names the second one
    cfg = user_config(sim, tmp_path)
    prompt = Scripted(secrets=[sim.password], lines=["3", "1"])
    rc, out = onboard_run(["login", "--config", str(cfg), "--no-deploy"], prompt)
    assert rc == 0
    assert "This account has 2 Homeys:" in out
    assert "1. %s" % sim.homey(0).name in out and "2. %s" % sim.homey(1).name in out
    assert "id %s  (Enter)" % sim.homey(1).id in out
    assert "type a number from 1 to 2" in out
    assert json.loads(cfg.read_text())["homey"]["id"] == sim.homey(0).id
    h = uhomey.connect(str(cfg))
    h.toggle("Kitchen light")
    h.close()
    kitchen = sim.homey(0).device_by_name("Kitchen light")["id"]
    assert sim.homey(0).value(kitchen, "onoff") is True
    assert sim.homey(1).value(sim.homey(1).device_by_name("Kitchen light")["id"], "onoff") is False


def test_list_prints_homeys_devices_by_zone_and_flows_with_a_login_of_its_own(make_sim, tmp_path):
    sim = make_sim(homeys=2)
    cfg = user_config(sim, tmp_path)
    (tmp_path / "tokens.json").write_text('{"refresh_token": "the board\'s"}')
    prompt = Scripted(secrets=[sim.password])
    rc, out = onboard_run(["list", "--config", str(cfg)], prompt)
    assert rc == 0
    assert sim.homey(0).name in out and sim.homey(1).name in out
    kitchen = out.index("\n  Kitchen\n")
    assert out.index("Kitchen light", kitchen) < out.index("\n  Living room\n")
    assert "Café thermostat" in out and "Good night" in out and "Morning routine" in out
    # its own store: the board's token store is left alone
    assert json.loads((tmp_path / "tokens.json").read_text()) == {"refresh_token": "the board's"}
    assert (tmp_path / onboard.HOST_TOKENS).exists()
    again = Scripted()
    rc, out = onboard_run(["list", "--config", str(cfg)], again)
    assert rc == 0 and again.asked == [] and "Kitchen light" in out


def test_apikey_with_enough_scopes_is_written_after_the_check(sim, tmp_path):
    key = sim.homey(0).create_api_key(scopes=["homey.device.control", "homey.flow.start"])
    buttons = [{"click": {"do": "toggle", "device": "Kitchen light"}, "double": {"do": "flow", "flow": "Good night"}}]
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({"buttons": buttons}))
    rc, out = onboard_run(["apikey", "--config", str(cfg), "--url", sim.homey(0).local_url, "--no-deploy"],
                          Scripted(secrets=[key]))
    assert rc == 0
    homey = json.loads(cfg.read_text())["homey"]
    assert homey == {"url": sim.homey(0).local_url, "api_key": key, "id": sim.homey(0).id}
    assert "the key works: Homey %s, 3 devices" % sim.homey(0).id in out
    assert key not in out
    assert oct(os.stat(cfg).st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("scopes, missing", [(["homey.device.readonly"], "device"),
                                             (["homey.device.control"], "flow")])
def test_apikey_without_the_scopes_the_buttons_need_is_not_written(sim, tmp_path, capsys, scopes, missing):
    key = sim.homey(0).create_api_key(scopes=scopes)
    buttons = [{"click": {"do": "toggle", "device": "Kitchen light"}, "double": {"do": "flow", "flow": "Good night"}}]
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({"buttons": buttons}))
    rc, _ = onboard_run(["apikey", "--config", str(cfg), "--url", sim.homey(0).local_url, "--no-deploy"],
                        Scripted(secrets=[key]))
    err = capsys.readouterr().err
    assert rc == 1
    assert "do not cover what the buttons need: %s" % missing in err
    assert "homey" not in json.loads(cfg.read_text())
    assert key not in err


def test_a_wrong_apikey_says_what_to_do(sim, tmp_path, capsys):
    cfg = tmp_path / "config.json"
    cfg.write_text("{}")
    rc, _ = onboard_run(["apikey", "--config", str(cfg), "--url", sim.homey(0).local_url, "--no-deploy"],
                        Scripted(secrets=["not-a-key"]))
    assert rc == 1
    assert "Settings > API Keys" in capsys.readouterr().err
    assert json.loads(cfg.read_text()) == {}


def test_login_hands_the_config_to_deploy_and_the_tokens_move_to_the_board(sim, tmp_path):
    cfg = user_config(sim, tmp_path)
    board = PtyBoard(tmp_path / "board")
    try:
        link = board.connect()
        rc, out = onboard_run(["login", "--config", str(cfg)], Scripted(secrets=[sim.password]), board=link)
        again = []
        link = board.connect()
        try:
            deploy.deploy(str(cfg), link, out=again.append)
        finally:
            link.close()
    finally:
        board.close()
    assert "0 to copy" in "\n".join(again)
    assert "WARNING" not in "\n".join(again)  # the board's own token store counts as a login
    assert rc == 0
    files = board.files()
    assert json.loads(files["tokens.json"])["refresh_token"] in sim.refresh_tokens
    on_board = json.loads(files["config.json"])
    assert "password" not in on_board["athom"]
    assert sim.password.encode() not in b"".join(files.values())
    assert not (tmp_path / "tokens.json").exists()  # moved, not copied


@pytest.mark.parametrize("interp", both.INTERPS)
def test_h_homeys_lists_the_account_on_both_interpreters(make_sim, tmp_path, interp):
    """The library hook onboarding picks from: h.homeys() streams user/me (CPython and the unix port)."""
    sim = make_sim(homeys=2)
    cfg = tmp_path / "config.json"
    sim.write_config(str(cfg))
    res = both.ok(both.call(interp, "s_client", "session", str(cfg), [["homeys"]], True, False, timeout=40))
    got = res["results"][0]["ok"]
    assert [row[:2] for row in got] == [[sim.homey(i).id, sim.homey(i).name] for i in (0, 1)]
    assert all(row[2] == "local" for row in got)


def test_a_failed_login_leaves_the_previous_token_store_alone(sim, tmp_path, capsys):
    cfg = user_config(sim, tmp_path)
    (tmp_path / "tokens.json").write_text('{"refresh_token": "earlier"}')
    rc, _ = onboard_run(["login", "--config", str(cfg), "--no-deploy"], Scripted(secrets=["wrong password"]))
    assert rc == 1
    assert "Athom refused the email or password" in capsys.readouterr().err
    assert json.loads((tmp_path / "tokens.json").read_text()) == {"refresh_token": "earlier"}
    assert sorted(os.listdir(tmp_path)) == ["config.json", "sim0", "tokens.json"]
