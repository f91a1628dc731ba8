"""Config and token store are checked once, at uhomey.connect(), under CPython and the
MicroPython unix port: a wrong value is a ConfigError naming its field there (not a raw
exception at the first press), no error repeats a value that may be a secret, and a
damaged token store is set aside (renamed, not deleted) with a log line saying so, and
the login starts over."""
import json
import os

import pytest

from both import INTERPS, call, ok

HID = "5f0c0ffee0c0ffee0c0ffee0"
API_KEY = "k3y-7f9a2b6c1d0e5f4a8b3c2d1e"
NOWHERE = "127.0.0.1:9"  # nothing listens; connect() in API-key mode makes no request anyway
PEM_BEGIN = "-----BEGIN CERTIFICATE-----\n"
PEM_END = "-----END CERTIFICATE-----\n"


def session(interp, cfg, ops=(), eager=True):
    return ok(call(interp, "h_hostile", "session", str(cfg), list(ops), eager, timeout=60))


def write(tmp_path, cfg, name="config.json"):
    path = tmp_path / name
    path.write_text(cfg if isinstance(cfg, str) else json.dumps(cfg))
    return str(path)


def apikey(url="http://" + NOWHERE, **more):
    cfg = {"homey": {"id": HID, "url": url, "api_key": API_KEY}, "timeout": 1}
    cfg.update(more)
    return cfg


def assert_config_error(r, field, *secrets):
    assert "raw" not in r, "a raw %s escaped: %s" % (r["raw"], r["msg"])
    assert r.get("error") == "ConfigError", "connect() took it: %r" % (r,)
    assert field in r["msg"], (field, r["msg"])
    for s in secrets:
        assert s not in r["msg"], r["msg"]


BAD_URLS = ["http://", "https://", "http://192.168.1.20:abc", "http://192.168.1.20:99999", "http://:80",
            "https://192.168.1.20:-1", "http://192.168.1.20:"]


@pytest.mark.parametrize("url", BAD_URLS)
@pytest.mark.parametrize("interp", INTERPS)
def test_a_bad_homey_url_is_refused_at_connect(interp, url, tmp_path):
    out = session(interp, write(tmp_path, apikey(url)))
    assert_config_error(out["connect"], "homey.url", API_KEY)


@pytest.mark.parametrize("interp", INTERPS)
def test_a_url_error_never_echoes_what_may_be_a_secret(interp, tmp_path):
    """The API key pasted into homey.url, the password into athom.api_url."""
    out = session(interp, write(tmp_path, apikey(API_KEY)))
    assert_config_error(out["connect"], "homey.url", API_KEY, API_KEY[:12])
    cfg = {"athom": {"email": "a@b.c", "password": "hunter2-is-my-password", "client_id": "cid",
                     "client_secret": "client-secret-value", "api_url": "hunter2-is-my-password"}}
    out = session(interp, write(tmp_path, cfg))
    assert_config_error(out["connect"], "athom.api_url", "hunter2")


CA_FILES = {
    "empty": b"",
    "random": bytes((i * 37 + 11) % 256 for i in range(300)),
    "broken_pem": (PEM_BEGIN + "!!!! not base64 at all ####\n" + PEM_END).encode(),
    "pem_without_end": (PEM_BEGIN + "MIIBszCCAVmgAwIBAgIU\n").encode(),
    "pem_of_nothing": (PEM_BEGIN + PEM_END).encode(),
}


@pytest.mark.parametrize("kind", sorted(CA_FILES))
@pytest.mark.parametrize("interp", INTERPS)
def test_a_bad_ca_file_is_refused_at_connect(interp, kind, tmp_path):
    (tmp_path / "ca.der").write_bytes(CA_FILES[kind])
    out = session(interp, write(tmp_path, apikey("https://" + NOWHERE, tls={"ca": "ca.der"})))
    assert_config_error(out["connect"], "tls.ca")


WRONG_TLS = [([], "tls"), (0, "tls"), (False, "tls"), ("", "tls"), ({"ca": {}}, "tls.ca"), ({"ca": 0}, "tls.ca"),
             ({"ca": [""]}, "tls.ca"), ({"ca": False}, "tls.ca"), ({"verify": None}, "tls.verify")]


@pytest.mark.parametrize("tls,field", WRONG_TLS, ids=[json.dumps(t) for t, _ in WRONG_TLS])
@pytest.mark.parametrize("interp", INTERPS)
def test_a_wrong_typed_tls_section_is_not_taken_as_the_defaults(interp, tls, field, tmp_path):
    out = session(interp, write(tmp_path, apikey(tls=tls)))
    assert_config_error(out["connect"], field)


@pytest.mark.parametrize("interp", INTERPS)
def test_a_config_nested_100k_deep_is_a_config_error(interp, tmp_path):
    deep = '{"homey": {"url": "http://%s", "api_key": "k"}, "x": %s1%s}' % (NOWHERE, "[" * 100000, "]" * 100000)
    out = session(interp, write(tmp_path, deep))
    assert_config_error(out["connect"], "config")


# ---- the token store ---------------------------------------------------------------------------

DAMAGED_STORES = {
    "refresh_token_number": '{"refresh_token": 5}',
    "session_list": '{"refresh_token": "r", "homey_session": ["x"], "homey_url": "http://%s"}' % NOWHERE,
    "homey_url_number": '{"refresh_token": "r", "homey_url": 7}',
    "homey_urls_text": '{"refresh_token": "r", "homey_urls": "http://%s"}' % NOWHERE,
    "homey_urls_not_urls": '{"refresh_token": "r", "homey_urls": ["http://%s", 7]}' % NOWHERE,
    "expires_text": '{"refresh_token": "r", "access_token": "a", "access_expires": "soon"}',
    "names_text": '{"refresh_token": "r", "names": "Kitchen light"}',
    "flows_list": '{"refresh_token": "r", "flows": ["x"]}',
    "a_list": '[1, 2, 3]',
    "not_json": '{"refresh_token": "r1", "acc',
}


@pytest.mark.parametrize("kind", sorted(DAMAGED_STORES))
@pytest.mark.parametrize("interp", INTERPS)
def test_a_damaged_token_store_is_set_aside_and_the_login_starts_over(interp, kind, sim, tmp_path):
    cfg_path = tmp_path / "config.json"
    sim.write_config(str(cfg_path))
    damaged = DAMAGED_STORES[kind]
    (tmp_path / "tokens.json").write_text(damaged)
    dev = sim.homey(0).device_by_name("Kitchen light")["id"]
    out = session(interp, str(cfg_path), [["get", dev]])
    assert "ok" in out["connect"], out["connect"]
    assert "ok" in out["results"][0], out["results"][0]
    assert len([q for q in sim.requests if q.path == "/login"]) == 1  # the login started over
    kept = [n for n in os.listdir(tmp_path) if n.startswith("tokens.json.") and not n.endswith(".tmp")]
    assert len(kept) == 1, os.listdir(tmp_path)
    assert (tmp_path / kept[0]).read_text() == damaged  # renamed, not deleted
    assert json.loads((tmp_path / "tokens.json").read_text())["refresh_token"] in sim.refresh_tokens
    said = [line for line in out["logs"] if kept[0] in line]
    assert said, out["logs"]
