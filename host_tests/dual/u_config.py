# Config checks, token store atomicity (CPython and MicroPython).
import json
import os

from dutil import raises, read, tmpdir, write
from uhomey import config, tlsctx
from uhomey.errors import ConfigError, HomeyError
from uhomey.store import Store

CLOUD = {"athom": {"email": "a@b.c", "password": "pw", "client_id": "cid", "client_secret": "sec"}}


def test_cloud_defaults_and_relative_paths():
    d = tmpdir()
    write(d + "/config.json", json.dumps(dict(CLOUD, tls={"ca": "ca.der"})))
    cfg = config.load(d + "/config.json")
    assert cfg["mode"] == "cloud"
    assert cfg["athom"]["accounts_url"] == "https://accounts.athom.com"
    assert cfg["athom"]["api_url"] == "https://api.athom.com"
    assert cfg["athom"]["redirect_uri"] == "http://localhost"
    assert cfg["tokens"] == d + "/tokens.json"
    assert cfg["tls"] == {"verify": True, "ca": [d + "/ca.der"]}
    assert cfg["homey"]["fresh_ms"] == 10000
    assert cfg["homey"]["realtime"] is False


def test_realtime_is_true_or_false():
    key = {"homey": {"url": "http://192.168.1.20", "api_key": "k", "realtime": True}}
    assert config.check(key)["homey"]["realtime"] is True
    key["homey"]["realtime"] = "yes"
    assert "homey.realtime must be true" in raises(ConfigError, config.check, key)


def test_api_key_mode_needs_only_the_homey():
    cfg = config.check({"homey": {"url": "http://192.168.1.20/", "api_key": "k"}}, "/x")
    assert cfg["mode"] == "apikey" and cfg["homey"]["url"] == "http://192.168.1.20"
    assert cfg["tls"]["ca"] == [] and cfg["tokens"] == "/x/tokens.json"
    msg = raises(ConfigError, config.check, {"homey": {"api_key": "k"}})
    assert "homey.url" in msg


def test_errors_name_the_key_and_never_the_secret():
    cases = [
        ({"athom": {"client_id": "cid"}}, "athom.client_secret"),
        ({}, "athom.client_id"),
        (dict(CLOUD, tls={"verify": "no"}), "tls.verify"),
        (dict(CLOUD, tls={"ca": 5}), "tls.ca"),
        (dict(CLOUD, tokens=""), "tokens"),
        (dict(CLOUD, timeout=0), "timeout"),
        ({"athom": dict(CLOUD["athom"], otp="12345")}, "athom.otp"),
        ({"athom": dict(CLOUD["athom"], password=123456)}, "athom.password"),
        ({"athom": dict(CLOUD["athom"], api_url="ftp://x")}, "athom.api_url"),
        ({"athom": dict(CLOUD["athom"], client_auth="both")}, "athom.client_auth"),
        ({"athom": "x"}, "athom"),
        ([1], "top level"),
    ]
    for raw, key in cases:
        msg = raises(ConfigError, config.check, raw)
        assert key in msg, (key, msg)
        assert "sec" not in msg.replace("seconds", "").replace("secret", ""), msg


def test_bad_files():
    d = tmpdir()
    assert "cannot read" in raises(ConfigError, config.load, d + "/nope.json")
    write(d + "/c.json", "{not json")
    assert "not valid JSON" in raises(ConfigError, config.load, d + "/c.json")


def test_pem_ca_is_converted_to_der():
    from binascii import b2a_base64

    der = b"\x30\x81\xc5" + bytes(range(197))  # shaped as DER: a SEQUENCE of 197 bytes
    pem = "-----BEGIN CERTIFICATE-----\n%s-----END CERTIFICATE-----\n" % b2a_base64(der).decode()
    d = tmpdir()
    write(d + "/ca.pem", pem + pem)
    cfg = config.check(dict(CLOUD, tls={"ca": ["ca.pem"]}), d)
    assert tlsctx.load_cas(cfg["tls"]["ca"]) == [der, der]
    write(d + "/empty.pem", "-----BEGIN nothing")
    cfg = config.check(dict(CLOUD, tls={"ca": "empty.pem"}), d)
    raises(ConfigError, tlsctx.load_cas, cfg["tls"]["ca"])


def test_store_round_trip_and_atomic_replace():
    d = tmpdir()
    p = d + "/tokens.json"
    s = Store(p)
    assert s.data == {}
    s.update(refresh_token="r1", access_token="a1")
    assert json.loads(read(p)) == {"refresh_token": "r1", "access_token": "a1"}
    assert "tokens.json.tmp" not in os.listdir(d)
    s.update(refresh_token="r2", access_token=None)
    assert Store(p).data == {"refresh_token": "r2"}


def test_store_survives_a_corrupt_file_and_a_stale_tmp():
    d = tmpdir()
    p = d + "/tokens.json"
    write(p, '{"refresh_token": "r1"')  # cut short by someone else
    write(p + ".tmp", "garbage")
    s = Store(p)
    assert s.data == {}
    s.update(refresh_token="r2")
    assert Store(p).get("refresh_token") == "r2"


def test_store_write_failure_is_a_homey_error():
    s = Store("/nonexistent-dir-uhomey/tokens.json")
    msg = raises(HomeyError, s.update, refresh_token="secret-refresh")
    assert "token store" in msg and "secret-refresh" not in msg
    assert s.get("refresh_token") == "secret-refresh"  # kept in RAM for the next save
