"""The uhomey client's login, tokens, discovery and failure handling, end to end
against the simulator, each behaviour under CPython AND the MicroPython unix port.

Every test drives dual/s_client.py's `session` (connect, then a list of calls)
and checks what went over the wire in the simulator's request log.
"""
import json
import os
import stat
from urllib.parse import quote, quote_plus

import pytest

import both
from both import INTERPS

KITCHEN = "Kitchen light"
ERRORS = ("HomeyError", "ConfigError", "NetworkError", "Unreachable", "TLSError", "ProtocolError",
          "HTTPError", "AuthError", "NotFound", "Rejected")


# ---- helpers -----------------------------------------------------------------------------------

def write_cfg(sim, path, edit=None, **kw):
    """sim.write_config(path, **kw), then {section: {key: value}} / {key: value} edits on top."""
    path = str(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    cfg = sim.write_config(path, **kw)
    for key, value in (edit or {}).items():
        if isinstance(value, dict):
            cfg.setdefault(key, {}).update(value)
        else:
            cfg[key] = value
    with open(path, "w", encoding="utf-8") as f:
        json.dump(cfg, f, ensure_ascii=False)
    return path


def run(interp, cfg, ops=(), eager=True, debug=False):
    """One uhomey session: {"results", "stats", "logs"} or {"connect_error", "logs"}; "raw" is the
    whole answer (output included). Anything but a HomeyError escaping fails the test here."""
    res = both.call(interp, "s_client", "session", str(cfg), [list(op) for op in ops], eager, debug,
                    timeout=40)
    out = both.ok(res)
    out["raw"] = json.dumps(res, ensure_ascii=False)
    return out


def results_ok(r):
    assert "connect_error" not in r, r["connect_error"]
    for x in r["results"]:
        assert "ok" in x, x
    return [x["ok"] for x in r["results"]]


def store_of(cfg):
    with open(os.path.join(os.path.dirname(str(cfg)), "tokens.json")) as f:
        return json.load(f)


def did(sim, homey=0, name=KITCHEN):
    return sim.homey(homey).device_by_name(name)["id"]


def roles(sim):
    out = {}
    for q in list(sim.requests):
        out[q.role] = out.get(q.role, 0) + 1
    return out


def reqs(sim, role=None, path=None, method=None):
    return [q for q in list(sim.requests) if (role is None or q.role == role)
            and (path is None or q.path == path) and (method is None or q.method == method)]


def cap_path(device_id, cap="onoff"):
    return "/api/manager/devices/device/%s/capability/%s" % (device_id, cap)


def logged_in(sim, tmp_path, **kw):
    """A config whose token store already holds a full login (made under CPython: fast)."""
    cfg = write_cfg(sim, tmp_path / "config.json", **kw)
    results_ok(run("cpython", cfg))
    sim.clear_log()
    return cfg


def assert_homey_error(x, *needles):
    assert "error" in x, "expected an error, got %r" % (x,)
    assert x["error"] in ERRORS, x
    low = x["msg"].lower()
    for n in needles:
        assert n.lower() in low, (n, x["msg"])


# ---- the password login ------------------------------------------------------------------------

LOGIN_VARIANTS = [
    # consent markup, JWT key naming the Homey, force_chunked
    (0, "homey", None),
    (1, "homeyId", False),
    (2, "homeys", True),
]


@pytest.mark.parametrize("variant,jwt_key,chunked", LOGIN_VARIANTS, ids=["v0-homey", "v1-homeyId", "v2-homeys"])
@pytest.mark.parametrize("interp", INTERPS)
def test_password_login_consent_page_over_https(make_sim, tmp_path, interp, variant, jwt_key, chunked):
    """Login, consent page (any markup), approve with cookies, code exchanged at once; two Homeys and
    the JWT names the second: that one is chosen; everything over TLS with the run's CA."""
    sim = make_sim(homeys=2, consent_variant=variant, jwt_homey_key=jwt_key, force_chunked=chunked)
    cfg = write_cfg(sim, tmp_path / "config.json")
    dev = did(sim, 1)
    before = sim.homey(1).value(dev, "onoff")
    r = run(interp, cfg, [("toggle", dev), ("attr", "auth.homey_id")])
    assert results_ok(r) == [not before, sim.homey(1).id]
    assert sim.homey(1).value(dev, "onoff") is (not before)
    assert not reqs(sim, "homey") or all(q.homey == 1 for q in reqs(sim, "homey"))

    cloud = [(q.role, q.method, q.path) for q in sim.requests if q.role in ("accounts", "api")]
    assert cloud == [("accounts", "POST", "/login"), ("accounts", "GET", "/oauth2/authorise"),
                     ("accounts", "POST", "/authorise"), ("api", "POST", "/oauth2/token"),
                     ("api", "GET", "/user/me"), ("api", "POST", "/delegation/token")]
    assert all(q.scheme == "https" for q in sim.requests if q.role in ("accounts", "api"))
    assert sim.tls_handshakes("accounts") >= 1 and sim.tls_handshakes("api") >= 1

    login = reqs(sim, "accounts", "/login")[0].form()
    assert login == {"email": sim.email, "password": sim.password, "otptoken": ""}
    get = reqs(sim, "accounts", "/oauth2/authorise")[0]
    assert get.query["client_id"] == sim.client_id and get.query["redirect_uri"] == sim.redirect_uri
    assert get.query["response_type"] == "code" and get.query["user_token"].count(".") == 2
    approve = reqs(sim, "accounts", "/authorise")[0]
    assert approve.status == 302
    assert approve.query == get.query  # the same query as the consent GET
    form = approve.form()
    assert form["resource"] == "resource.homey." + sim.homey(1).id
    assert form["allow"] == "Allow" and form["_csrf"]
    # cookie replay: every cookie the consent page set, the _csrf secret differing from the field
    jar = approve.cookies()
    assert {"connect.sid", "_csrf", "locale"} <= set(jar), jar
    assert jar["_csrf"] != form["_csrf"]
    # the code from Location, exchanged at once, one client authentication only
    codes = list(sim.codes)
    assert len(codes) == 1 and sim.codes[codes[0]]["used"]
    tok = reqs(sim, "api", "/oauth2/token")[0]
    assert tok.form()["code"] == codes[0] and tok.form()["grant_type"] == "authorization_code"
    assert tok.header("authorization", "").startswith("Basic ") and "client_secret" not in tok.form()
    order = [q.path for q in sim.requests]
    assert order.index("/oauth2/token") == order.index("/authorise") + 1


@pytest.mark.parametrize("how", ["approve", "remember"])
@pytest.mark.parametrize("interp", INTERPS)
def test_direct_302_consent(make_sim, tmp_path, interp, how):
    """A client approved before: the consent GET answers 302 with the code; no approve POST."""
    sim = make_sim(homeys=2, remember_consent=(how == "remember"))
    cfg = write_cfg(sim, tmp_path / "config.json")
    if how == "approve":
        sim.approve()
    else:
        results_ok(run("cpython", cfg))  # the first login approves on the page
        assert len(reqs(sim, "accounts", "/authorise")) == 1
        os.remove(tmp_path / "tokens.json")
        sim.clear_log()
    dev = did(sim, 1)
    before = sim.homey(1).value(dev, "onoff")
    r = run(interp, cfg, [("toggle", dev)])
    assert results_ok(r) == [not before]
    assert [q.status for q in reqs(sim, "accounts", "/oauth2/authorise")] == [302]
    assert reqs(sim, "accounts", "/authorise") == []
    assert len(reqs(sim, "api", "/oauth2/token")) == 1
    assert store_of(cfg)["homey_id"] == sim.homey(1).id


@pytest.mark.parametrize("auth", ["basic", "form"])
@pytest.mark.parametrize("interp", INTERPS)
def test_token_client_authentication_one_way(sim, tmp_path, interp, auth):
    cfg = write_cfg(sim, tmp_path / "config.json", edit={"athom": {"client_auth": auth}})
    results_ok(run(interp, cfg))
    tok = reqs(sim, "api", "/oauth2/token")[0]
    form = tok.form()
    if auth == "basic":
        assert tok.header("authorization", "").startswith("Basic ") and "client_secret" not in form
    else:
        assert tok.header("authorization") is None
        assert form["client_id"] == sim.client_id and form["client_secret"] == sim.client_secret


@pytest.mark.parametrize("interp", INTERPS)
def test_two_homeys_config_id_wins(make_sim, tmp_path, interp):
    sim = make_sim(homeys=2)  # the JWT names Homey 1, the config Homey 0
    cfg = write_cfg(sim, tmp_path / "config.json", homey=0)
    dev = did(sim, 0)
    before = sim.homey(0).value(dev, "onoff")
    r = run(interp, cfg, [("toggle", dev), ("attr", "auth.homey_id")])
    assert results_ok(r) == [not before, sim.homey(0).id]
    assert reqs(sim, "accounts", "/authorise")[0].form()["resource"] == "resource.homey." + sim.homey(0).id
    assert {q.homey for q in reqs(sim, "homey")} == {0}
    assert store_of(cfg)["homey_id"] == sim.homey(0).id


@pytest.mark.parametrize("interp", INTERPS)
def test_two_homeys_config_id_changed_after_login(make_sim, tmp_path, interp):
    """homey.id set in the config after a login with the other Homey: the config wins on the next
    boot (a new address and session, no new password login)."""
    sim = make_sim(homeys=2)
    cfg = logged_in(sim, tmp_path)
    assert store_of(cfg)["homey_id"] == sim.homey(1).id
    write_cfg(sim, cfg, homey=0)
    dev = did(sim, 0)
    before = sim.homey(0).value(dev, "onoff")
    r = run(interp, cfg, [("toggle", dev), ("attr", "auth.homey_id")])
    assert results_ok(r) == [not before, sim.homey(0).id]
    assert {q.homey for q in reqs(sim, "homey")} == {0}
    assert reqs(sim, "accounts") == []
    assert store_of(cfg)["homey_id"] == sim.homey(0).id


@pytest.mark.parametrize("interp", INTERPS)
def test_two_homeys_config_id_not_offered(make_sim, tmp_path, interp):
    sim = make_sim(homeys=2)
    wrong = "f" * 24
    cfg = write_cfg(sim, tmp_path / "config.json", edit={"homey": {"id": wrong}})
    r = run(interp, cfg)
    cls, msg = r["connect_error"]
    assert cls == "AuthError"
    for needle in (wrong, sim.homey(0).id, sim.homey(1).id, "homey.id"):
        assert needle in msg, msg
    assert reqs(sim, "accounts", "/authorise") == [] and reqs(sim, "api") == []
    assert not os.path.exists(tmp_path / "tokens.json")


# ---- 2FA and refused logins --------------------------------------------------------------------

@pytest.mark.parametrize("interp", INTERPS)
def test_two_factor(make_sim, tmp_path, interp):
    sim = make_sim(otp="123456")
    good = write_cfg(sim, tmp_path / "good" / "config.json")
    dev = did(sim)
    r = run(interp, good, [("get", dev)])
    results_ok(r)
    assert reqs(sim, "accounts", "/login")[0].form()["otptoken"] == "123456"

    for case, otp, needles in (("missing", "", ("two-factor", "athom.otp")),
                               ("wrong", "654321", ("athom.otp", "wrong"))):
        sim.clear_log()
        cfg = write_cfg(sim, tmp_path / case / "config.json", edit={"athom": {"otp": otp}})
        r = run(interp, cfg, [("get", dev), ("get", dev)], eager=False)
        assert len(r["results"]) == 2
        for x in r["results"]:
            assert_homey_error(x, *needles)
            assert x["error"] == "AuthError"
        assert len(reqs(sim, "accounts", "/login")) == 1, case  # refused once: not tried again at once
        assert reqs(sim, "api") == [] and reqs(sim, "homey") == []


@pytest.mark.parametrize("interp", INTERPS)
def test_wrong_password_backs_off_and_client_stays_usable(sim, tmp_path, interp):
    cfg = write_cfg(sim, tmp_path / "config.json", homey=0, edit={"athom": {"password": "not-the-password"}})
    dev = did(sim)
    r = run(interp, cfg, [("toggle", dev), ("toggle", dev), ("webhook", "button", "1")], eager=False)
    first, second, hook = r["results"]
    assert_homey_error(first, "athom.password")
    assert first["error"] == "AuthError" and second == first
    assert hook == {"ok": True}  # what needs no login still works
    assert sim.webhooks == [(sim.homey(0).id, "button", "1")]
    assert len(reqs(sim, "accounts", "/login")) == 1
    assert reqs(sim, "api") == [] and reqs(sim, "homey") == []

    r = run(interp, cfg)  # eager connect: the refusal shows at once
    assert r["connect_error"][0] == "AuthError" and "athom.password" in r["connect_error"][1]

    write_cfg(sim, cfg, homey=0)  # the user fixes the password: the next connect logs in
    sim.clear_log()
    before = sim.homey(0).value(dev, "onoff")
    assert results_ok(run(interp, cfg, [("toggle", dev)])) == [not before]
    assert len(reqs(sim, "accounts", "/login")) == 1


@pytest.mark.parametrize("interp", INTERPS)
def test_expired_code_missing_csrf_and_missing_location(make_sim, tmp_path, interp):
    """Three answers a login cannot go on from: each a HomeyError naming the step and what to do,
    one login attempt each, and the call after them logs in and works."""
    sim = make_sim(code_lifetime=0)
    cfg = write_cfg(sim, tmp_path / "config.json", homey=0)
    dev = did(sim)
    sim.fault("no_csrf", path="/oauth2/authorise", role="accounts")
    r = run(interp, cfg, [("toggle", dev)], eager=False)
    assert_homey_error(r["results"][0], "consent page has no _csrf")
    assert r["results"][0]["error"] == "ProtocolError"
    assert reqs(sim, "accounts", "/authorise") == [] and reqs(sim, "api") == []

    sim.clear_log()
    r = run(interp, cfg, [("toggle", dev), ("toggle", dev)], eager=False)  # codes dead on arrival
    for x in r["results"]:
        assert_homey_error(x, "exchanging the login code", "expired", "connect again")
        assert x["error"] == "AuthError"
    # no password backoff for an expired code: the second press tried again
    assert len(reqs(sim, "api", "/oauth2/token")) == 2 and len(reqs(sim, "accounts", "/login")) == 2

    sim.code_lifetime = 30
    sim.approve()  # consent remembered: the consent GET answers 302 at once, here without Location
    sim.fault("no_location", path="/oauth2/authorise", role="accounts")
    sim.clear_log()
    r = run(interp, cfg, [("toggle", dev)], eager=False)
    assert_homey_error(r["results"][0], "302 without a Location")
    assert reqs(sim, "api") == []

    sim.clear_log()
    before = sim.homey(0).value(dev, "onoff")
    assert results_ok(run(interp, cfg, [("toggle", dev)])) == [not before]
    assert len(reqs(sim, "accounts", "/login")) == 1


# ---- the token store ---------------------------------------------------------------------------

@pytest.mark.parametrize("interp", INTERPS)
def test_token_store_written_after_login(sim, tmp_path, interp):
    cfg = write_cfg(sim, tmp_path / "config.json")
    results_ok(run(interp, cfg))
    st = store_of(cfg)
    h = sim.homey(0)
    assert st["refresh_token"] in sim.refresh_tokens and not sim.refresh_tokens[st["refresh_token"]]["rotated"]
    assert st["access_token"] in sim.access_tokens
    assert st["homey_id"] == h.id and st["homey_url"] == h.local_url
    assert st["homey_session"] in h.sessions
    assert not os.path.exists(str(tmp_path / "tokens.json.tmp"))
    if interp == "cpython":
        assert stat.S_IMODE(os.stat(tmp_path / "tokens.json").st_mode) == 0o600


@pytest.mark.parametrize("interp", INTERPS)
def test_reboot_with_stored_session_makes_no_athom_call(sim, tmp_path, interp):
    cfg = write_cfg(sim, tmp_path / "config.json")
    dev = did(sim)
    results_ok(run(interp, cfg, [("toggle", dev)]))
    sim.clear_log()
    before = sim.homey(0).value(dev, "onoff")
    r = run(interp, cfg, [("toggle", dev), ("get", dev)])  # a new process: a reboot
    assert results_ok(r) == [not before, not before]
    assert roles(sim) == {"homey": 3}  # GET, PUT, GET: no ping, no login, no Athom
    assert r["stats"]["requests"] == 3


@pytest.mark.parametrize("interp", INTERPS)
def test_homey_401_gives_a_new_homey_session(sim, tmp_path, interp):
    cfg = logged_in(sim, tmp_path)
    old = store_of(cfg)
    sim.expire_homey_sessions()
    dev = did(sim)
    before = sim.homey(0).value(dev, "onoff")
    r = run(interp, cfg, [("toggle", dev), ("toggle", dev)])
    assert results_ok(r) == [not before, before]
    new = store_of(cfg)
    assert new["homey_session"] != old["homey_session"] and new["homey_session"] in sim.homey(0).sessions
    assert len(reqs(sim, "api", "/delegation/token")) == 1
    assert len(reqs(sim, "homey", "/api/manager/users/login")) == 1
    assert reqs(sim, "accounts") == [] and reqs(sim, "api", "/oauth2/token") == []
    assert new["refresh_token"] == old["refresh_token"]


@pytest.mark.parametrize("interp", INTERPS)
def test_refresh_token_rotation_is_persisted(sim, tmp_path, interp):
    cfg = logged_in(sim, tmp_path)
    old = store_of(cfg)
    dev = did(sim)
    sim.expire_access_tokens()
    r = run(interp, cfg, [("get", dev)])  # the Homey session still works: no cloud call
    results_ok(r)
    assert roles(sim) == {"homey": 1}

    sim.expire_homey_sessions()  # now the next press needs the cloud: delegation -> 401 -> refresh
    sim.clear_log()
    sim.fault("500", path="/api/manager/users/login", role="homey")  # the step after the refresh fails
    r = run(interp, cfg, [("get", dev), ("get", dev)])
    err, ok = r["results"]
    assert_homey_error(err, "session on the Homey")
    assert "ok" in ok
    new = store_of(cfg)
    assert new["refresh_token"] != old["refresh_token"]
    assert sim.refresh_tokens[old["refresh_token"]]["rotated"]  # the old one is dead on the sim
    assert not sim.refresh_tokens[new["refresh_token"]]["rotated"]  # the one on disk is live
    assert new["access_token"] in sim.access_tokens and new["access_token"] != old["access_token"]
    grants = [q.form()["grant_type"] for q in reqs(sim, "api", "/oauth2/token")]
    assert grants == ["refresh_token"]  # once: refreshed, persisted, reused by the second call
    # first call: delegation 401, then again after the refresh; second call: one more
    assert [q.status for q in reqs(sim, "api", "/delegation/token")] == [401, 200, 200]
    assert reqs(sim, "accounts") == []

    sim.clear_log()
    assert "ok" in run(interp, cfg, [("get", dev)])["results"][0]  # a reboot uses the new tokens
    assert roles(sim) == {"homey": 1}


@pytest.mark.parametrize("interp", INTERPS)
def test_revoked_refresh_token_with_password_logs_in_once(sim, tmp_path, interp):
    cfg = logged_in(sim, tmp_path)
    old = store_of(cfg)
    sim.revoke_refresh_tokens()
    sim.expire_access_tokens()
    sim.expire_homey_sessions()
    dev = did(sim)
    before = sim.homey(0).value(dev, "onoff")
    r = run(interp, cfg, [("toggle", dev)])
    assert results_ok(r) == [not before]
    grants = [(q.form()["grant_type"], q.status) for q in reqs(sim, "api", "/oauth2/token")]
    assert grants == [("refresh_token", 400), ("authorization_code", 200)]
    assert len(reqs(sim, "accounts", "/login")) == 1
    new = store_of(cfg)
    assert new["refresh_token"] != old["refresh_token"]
    assert not sim.refresh_tokens[new["refresh_token"]]["revoked"]


@pytest.mark.parametrize("interp", INTERPS)
def test_revoked_refresh_token_without_password_says_how_to_onboard(sim, tmp_path, interp):
    cfg = logged_in(sim, tmp_path)
    write_cfg(sim, cfg, edit={"athom": {"password": ""}})
    sim.revoke_refresh_tokens()
    sim.expire_access_tokens()
    sim.expire_homey_sessions()
    dev = did(sim)
    r = run(interp, cfg, [("toggle", dev), ("toggle", dev), ("toggle", dev)])
    assert len(r["results"]) == 3
    for x in r["results"]:
        assert_homey_error(x, "athom.password", "connect()")
        assert x["error"] == "AuthError"
    # never a loop: one refresh attempt in all, no password login possible
    assert len(reqs(sim, "api", "/oauth2/token")) == 1
    assert reqs(sim, "accounts") == []
    assert len(sim.requests) <= 3 + 3 + 1  # per call at most: Homey 401, delegation 401; one refresh
    assert "refresh_token" not in store_of(cfg)


@pytest.mark.parametrize("interp", INTERPS)
def test_cut_refresh_answer_leads_to_one_new_login(sim, tmp_path, interp):
    """The sim rotates the refresh token but the answer is cut: the stored token is dead; the next
    call finds that out once and logs in with the password once."""
    cfg = logged_in(sim, tmp_path)
    sim.expire_access_tokens()
    sim.expire_homey_sessions()
    sim.fault("truncated_length", path="/oauth2/token", role="api")
    dev = did(sim)
    before = sim.homey(0).value(dev, "onoff")
    r = run(interp, cfg, [("toggle", dev), ("toggle", dev), ("toggle", dev)])
    err, ok1, ok2 = r["results"]
    assert_homey_error(err, sim.api_url + "/oauth2/token")
    assert ok1 == {"ok": not before} and ok2 == {"ok": before}
    grants = [(q.form()["grant_type"], q.status) for q in reqs(sim, "api", "/oauth2/token")]
    assert grants == [("refresh_token", 200), ("refresh_token", 400), ("authorization_code", 200)]
    assert len(reqs(sim, "accounts", "/login")) == 1


# ---- API key mode ------------------------------------------------------------------------------

@pytest.mark.parametrize("scheme", ["https", "http"])
@pytest.mark.parametrize("interp", INTERPS)
def test_api_key_mode_never_calls_athom(sim, tmp_path, interp, scheme):
    cfg = write_cfg(sim, tmp_path / "config.json", mode="apikey", scheme=scheme)
    with open(cfg) as f:
        raw = json.load(f)
    assert ("tls" in raw) == (scheme == "https") and "athom" not in raw
    dev = did(sim)
    before = sim.homey(0).value(dev, "onoff")
    r = run(interp, cfg, [("toggle", dev), ("toggle", dev), ("get", dev)])
    assert results_ok(r) == [not before, before, before]
    assert set(roles(sim)) == {"homey"}
    assert reqs(sim, "accounts") == [] and reqs(sim, "api") == []
    key = raw["homey"]["api_key"]
    for q in reqs(sim, "homey"):
        assert q.header("authorization") == "Bearer " + key and q.header("x-homey-id") == sim.homey(0).id
        assert q.listener == ("local_secure" if scheme == "https" else "local")
    assert (sim.tls_handshakes("homey") >= 1) == (scheme == "https")

    sim.homey(0).revoke_api_key(key)
    r = run(interp, cfg, [("toggle", dev)])
    assert_homey_error(r["results"][0], "api key")
    assert reqs(sim, "accounts") == [] and reqs(sim, "api") == []


# ---- reaching the Homey ------------------------------------------------------------------------

DISCOVERY = {
    # scenario: ({listener: "impostor"|"down"}, the listener that must win)
    "local": ({}, "local"),
    "local-impostor": ({"local": "impostor"}, "local_secure"),
    "local-down": ({"local": "down"}, "local_secure"),
    "remote-last": ({"local": "impostor", "local_secure": "down"}, "remote"),
    "local-stalls": ({"local": "stall"}, "local_secure"),  # the probe gives up within the timeout
}


@pytest.mark.parametrize("scenario", sorted(DISCOVERY))
@pytest.mark.parametrize("interp", INTERPS)
def test_homey_url_discovery(sim, tmp_path, interp, scenario):
    broken, winner = DISCOVERY[scenario]
    edit = {}
    for which, how in broken.items():
        if how == "impostor":
            sim.impostor(0, which)
        elif how == "down":
            sim.set_unreachable(0, which)
        else:
            sim.fault("stall", path="/api/manager/system/ping", role="homey", which=which, seconds=2.5)
            edit = {"timeout": 1}
    cfg = write_cfg(sim, tmp_path / "config.json", edit=edit)
    dev = did(sim)
    h = sim.homey(0)
    r = run(interp, cfg, [("get", dev)])
    results_ok(r)
    url = {"local": h.local_url, "local_secure": h.local_secure_url, "remote": h.remote_url}[winner]
    assert store_of(cfg)["homey_url"] == url
    pings = reqs(sim, "homey", "/api/manager/system/ping")
    assert all(p.query.get("id") == h.id for p in pings)
    assert pings[-1].listener == winner
    used = [q for q in reqs(sim, "homey") if q.path != "/api/manager/system/ping"]
    assert used and {q.listener for q in used} == {winner}
    assert all(q.header("x-homey-id") == h.id for q in used)

    sim.clear_log()  # the choice is remembered: a reboot pings nothing
    results_ok(run(interp, cfg, [("get", dev)]))
    assert reqs(sim, "homey", "/api/manager/system/ping") == [] and reqs(sim, "api") == []


@pytest.mark.parametrize("interp", INTERPS)
def test_homey_url_discovery_none_answers(sim, tmp_path, interp):
    sim.impostor(0, "local")
    sim.set_unreachable(0, "local_secure")
    sim.impostor(0, "remote")
    cfg = write_cfg(sim, tmp_path / "config.json")
    r = run(interp, cfg)
    cls, msg = r["connect_error"]
    assert cls == "NetworkError" and sim.homey(0).id in msg and "3 addresses" in msg
    assert len(reqs(sim, "homey", "/api/manager/system/ping")) == 2  # the refused one never got one
    assert len(reqs(sim, "api", "/user/me")) == 1


@pytest.mark.parametrize("interp", INTERPS)
def test_homey_address_gone_rediscovers_once(sim, tmp_path, interp):
    """A store kept before discovery stored every address (no homey_urls): one new discovery.
    With them the press falls through the stored ones (test_client_failover.py)."""
    cfg = logged_in(sim, tmp_path)
    h = sim.homey(0)
    stored = store_of(cfg)
    assert stored["homey_url"] == h.local_url
    del stored["homey_urls"]
    with open(os.path.join(os.path.dirname(str(cfg)), "tokens.json"), "w") as f:
        json.dump(stored, f)
    sim.set_unreachable(0, "local")
    dev = did(sim)
    before = h.value(dev, "onoff")
    r = run(interp, cfg, [("toggle", dev)])
    assert results_ok(r) == [not before]
    assert store_of(cfg)["homey_url"] == h.local_secure_url
    assert len(reqs(sim, "api", "/user/me")) == 1 and reqs(sim, "accounts") == []


# ---- fault switches ----------------------------------------------------------------------------

KINDS = ("500", "429", "html", "truncated_chunked", "truncated_length", "reset", "stall", "close")
CLIENT_TIMEOUT = 1
STALL = {"seconds": 2}
GET_STEPS = ("/oauth2/authorise", "/user/me")  # GETs on a kept-alive connection: retried once
# (unless the call's one deadline is spent: a stall that outlasts it is not retried)


def timeout_for(kind):
    """A short client timeout where a stall must outlast it (kept at the default elsewhere, so a
    loaded test machine cannot turn a slow answer into a failure)."""
    return {"timeout": CLIENT_TIMEOUT} if kind == "stall" else {}


def login_steps(sim):
    """(role, path, words naming the step) in the order a first call walks them."""
    acc, api = sim.accounts_url, sim.api_url
    return [
        ("accounts", "/login", ("logging in to Athom", acc + "/login")),
        ("accounts", "/oauth2/authorise", ("opening the consent page", "consent page has no _csrf",
                                           acc + "/oauth2/authorise")),
        ("accounts", "/authorise", ("approving the consent page", acc + "/authorise")),
        ("api", "/oauth2/token", ("login code", api + "/oauth2/token")),
        ("api", "/user/me", ("user/me",)),
        ("api", "/delegation/token", ("delegation token", api + "/delegation/token")),
        ("homey", "/api/manager/users/login", ("session on the Homey", "/api/manager/users/login")),
    ]


def step_of(steps, msg):
    for i, (_, _, words) in enumerate(steps):
        if any(w in msg for w in words):
            return i
    raise AssertionError("the error names no login step: %r" % msg)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("interp", INTERPS)
def test_fault_on_each_login_step(sim, tmp_path, interp, kind):
    """Each login step gets the fault once: each call fails at the next step with a HomeyError naming
    it, and the call after the last fault logs in and works."""
    cfg = write_cfg(sim, tmp_path / "config.json", edit=timeout_for(kind))
    steps = login_steps(sim)
    if kind == "stall":  # each costs the timeout: a few steps are enough
        steps = [s for s in steps if s[1] in ("/login", "/oauth2/authorise", "/oauth2/token",
                                              "/api/manager/users/login")]
    faults = []
    for role, path, _ in steps:
        faults.append(sim.fault(kind, path=path, role=role, count=1, **(STALL if kind == "stall" else {})))
    dev = did(sim)
    r = run(interp, cfg, [("get", dev)] * (len(steps) + 1), eager=False)
    res = r["results"]
    assert all(f.remaining == 0 for f in faults), faults
    errors = [x for x in res if "error" in x]
    oks = res[len(errors):]
    assert oks and all("ok" in x for x in oks), res  # errors first, then it works
    assert oks[0]["ok"] == sim.homey(0).value(dev, "onoff")
    seen = [step_of(steps, x["msg"]) for x in errors]
    for x in errors:
        assert_homey_error(x)
    assert seen == sorted(set(seen)), seen  # one error per step, in order
    if kind == "close":
        # The answers came whole and the next request found the connection closed and reconnected;
        # only a POST sent in the instant before the close arrived fails (it is never resent).
        assert all(x["error"] == "NetworkError" and "closed the connection" in x["msg"] for x in errors), errors
        assert r["stats"]["connects"] >= 5
        must = []
    else:
        must = [i for i, s in enumerate(steps) if not (kind == "reset" and s[1] in GET_STEPS)]
    assert set(must) <= set(seen), (seen, [x["msg"] for x in errors])
    # bounded: at most one password login per call
    assert len(reqs(sim, "accounts", "/login")) <= len(res)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("interp", INTERPS)
def test_fault_on_warm_toggle(sim, tmp_path, interp, kind):
    """A stored session; the Homey's answer to a press is broken once: a HomeyError naming the call,
    no Athom call, and the next press reconnects and works."""
    cfg = logged_in(sim, tmp_path, edit=timeout_for(kind))
    dev = did(sim)
    before = sim.homey(0).value(dev, "onoff")
    f = sim.fault(kind, path=cap_path(dev), role="homey", **(STALL if kind == "stall" else {}))
    r = run(interp, cfg, [("toggle", dev), ("toggle", dev)])
    first, second = r["results"]
    assert f.remaining == 0
    if kind == "close":
        assert first == {"ok": not before} and second == {"ok": before}
    else:
        assert_homey_error(first, dev, "onoff")
        assert second == {"ok": not before}
        assert sim.homey(0).value(dev, "onoff") is (not before)
    assert reqs(sim, "accounts") == [] and reqs(sim, "api") == []
    if kind in ("truncated_chunked", "truncated_length", "reset", "stall", "close"):
        assert r["stats"]["connects"] == 2  # the broken connection was replaced


# ---- secrets -----------------------------------------------------------------------------------

@pytest.mark.parametrize("interp", INTERPS)
def test_no_secret_in_logs_or_errors(make_sim, tmp_path, interp):
    sim = make_sim(otp="246810")
    dev = did(sim)
    texts = []
    cfg = write_cfg(sim, tmp_path / "config.json")
    # a full login through faults on the way, logged at DEBUG
    for role, path, kind in (("accounts", "/authorise", "500"), ("api", "/oauth2/token", "truncated_length"),
                             ("api", "/delegation/token", "html"), ("homey", "/api/manager/users/login", "429")):
        sim.fault(kind, path=path, role=role)
    r = run(interp, cfg, [("toggle", dev)] * 5, eager=False, debug=True)
    assert "ok" in r["results"][-1] and sum("error" in x for x in r["results"]) == 4
    texts.append(r["raw"])
    # rotation, then a dead refresh token, a wrong password, a wrong 2FA code
    sim.expire_access_tokens()
    sim.expire_homey_sessions()
    texts.append(run(interp, cfg, [("toggle", dev)], debug=True)["raw"])
    sim.revoke_refresh_tokens()
    sim.expire_access_tokens()
    sim.expire_homey_sessions()
    texts.append(run(interp, cfg, [("toggle", dev)], debug=True)["raw"])
    for case, edit in (("pw", {"password": sim.password[:-1]}), ("otp", {"otp": "135791"})):
        bad = write_cfg(sim, tmp_path / case / "config.json", edit={"athom": edit})
        r = run(interp, bad, [("toggle", dev)], eager=False, debug=True)
        assert r["results"][0]["error"] == "AuthError"
        texts.append(r["raw"])
    # an API key the Homey no longer accepts
    keycfg = write_cfg(sim, tmp_path / "key" / "config.json", mode="apikey")
    with open(keycfg) as f:
        key = json.load(f)["homey"]["api_key"]
    sim.homey(0).revoke_api_key(key)
    texts.append(run(interp, keycfg, [("toggle", dev)], debug=True)["raw"])

    secrets = {"password": sim.password, "password (form)": quote_plus(sim.password),
               "password (url)": quote(sim.password, safe=""), "client secret": sim.client_secret,
               "client secret (form)": quote_plus(sim.client_secret), "api key": key, "otp": sim.otp,
               "wrong password": sim.password[:-1], "wrong otp": "135791"}
    for i, t in enumerate(sim.access_tokens):
        secrets["access %d" % i] = t
    for i, t in enumerate(sim.refresh_tokens):
        secrets["refresh %d" % i] = t
    for i, t in enumerate(sim.codes):
        secrets["code %d" % i] = t
    for i, t in enumerate(sim.homey(0).sessions):
        secrets["session %d" % i] = t
    for q in sim.requests:
        if q.role == "accounts" and q.path == "/oauth2/authorise":
            secrets["login jwt %d" % len(secrets)] = q.query["user_token"]
        if q.role == "accounts" and q.path == "/authorise":
            for name, value in q.cookies().items():
                if name != "locale":
                    secrets["cookie %s %d" % (name, len(secrets))] = value
            secrets["csrf field %d" % len(secrets)] = q.form()["_csrf"]
        if q.role == "api" and q.header("authorization"):
            secrets["authorization %d" % len(secrets)] = q.header("authorization").split(" ", 1)[1]
        if q.role == "homey" and q.path == "/api/manager/users/login":
            secrets["delegation %d" % len(secrets)] = q.json()["token"]
    st = store_of(cfg)
    for k in ("access_token", "refresh_token", "homey_session"):
        secrets["stored " + k] = st[k]
    assert sum(k.startswith("cookie") for k in secrets) >= 2 and any(k.startswith("login jwt") for k in secrets)
    blob = "\n".join(texts)
    assert "logged in to Athom" in blob and "Athom token refreshed" in blob  # the logs were captured
    for what, value in secrets.items():
        assert value and value not in blob, "%s leaked" % what
        if len(value) >= 24:  # not even a telling piece
            for i in range(0, len(value) - 16, 8):
                assert value[i:i + 16] not in blob, "part of %s leaked" % what
