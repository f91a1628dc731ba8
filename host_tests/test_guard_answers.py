"""Answers the simulator never gives, from a raw-socket server (canned.py), under CPython and
MicroPython: each ends in a HomeyError a person can act on (never a raw KeyError, ValueError or
EOFError that would stop a wall button's loop), within bounds, and the client stays usable.
"""
import json

import pytest

from both import INTERPS
from canned import resp
from test_client_auth import run
from test_http_client import canned  # noqa: F401 - the raw server fixture

HID = "5c0ffee0c0ffee0c0ffee0c0"
DEV = "0a1b2c3d-0000-4000-8000-00000000beef"
FLOW = "0a1b2c3d-0000-4000-8000-0000000f1011"
KEY = "6b1f3a2c-9d8e-4f70-a1b2-c3d4e5f60718:0a1b2c3d-e4f5-4a6b-8c7d-9e0f1a2b3c4d:f00dfeedcafe"
OLD_RT = "rt-0123456789abcdef0123456789abcdef"
FAR = 4102444800  # 2100-01-01: an access token that has not expired

pytestmark = pytest.mark.parametrize("interp", INTERPS)


def cap(name="onoff"):
    return "/api/manager/devices/device/%s/capability/%s" % (DEV, name)


def trigger_path():
    return "/api/manager/flow/flow/%s/trigger" % FLOW


def _write(path, data):
    with open(path, "w") as f:
        json.dump(data, f)
    return str(path)


def key_config(tmp_path, srv, timeout=2):
    """API-key mode against the raw server: no Athom call."""
    return _write(tmp_path / "config.json",
                  {"homey": {"id": HID, "url": srv.url, "api_key": KEY}, "timeout": timeout})


def cloud_config(tmp_path, srv, **stored):
    """Cloud mode with a stored login (tokens.json holds `stored`); every host is the raw server."""
    _write(tmp_path / "tokens.json", dict(stored, homey_id=HID))
    return _write(tmp_path / "config.json", {
        "athom": {"email": "ada@example.com", "password": "pw", "client_id": "cid", "client_secret": "sec",
                  "accounts_url": srv.url, "api_url": srv.url},
        "homey": {"id": HID, "url": srv.url}, "tokens": "tokens.json", "timeout": 2})


def paths(srv):
    return [r[2] for r in srv.requests]


def outcome(x):
    return x.get("error") or x.get("ok")


@pytest.mark.parametrize("missing", ["access_token", "refresh_token"])
def test_token_answer_missing_a_field(interp, canned, tmp_path, missing):  # noqa: F811
    answer = {"access_token": "at-1", "refresh_token": "rt-2", "expires_in": 3660, "token_type": "bearer"}
    del answer[missing]
    srv = canned({"/oauth2/token": [resp(body=json.dumps(answer).encode())]})
    r = run(interp, cloud_config(tmp_path, srv, refresh_token=OLD_RT))
    cls, msg = r["connect_error"]
    assert cls == "ProtocolError" and missing in msg and "refreshing" in msg, msg
    assert paths(srv) == ["/oauth2/token"]
    with open(tmp_path / "tokens.json") as f:
        assert json.load(f)["refresh_token"] == OLD_RT  # nothing half-kept


def test_json_label_on_a_body_that_does_not_parse(interp, canned, tmp_path):  # noqa: F811
    srv = canned({
        cap("onoff"): [resp(body=b"tru"), resp(body=b"true")],
        cap("dim"): [resp(500, body=b"<html><h1>502 Bad Gateway</h1></html>")],
        "/api/manager/devices/device/": [resp(body=b'{"%s": {"name": nope}}' % DEV.encode())],
        "/api/manager/zones/zone/": [resp(body=b"{}")],  # for a listing that names zones from there
    })
    r = run(interp, key_config(tmp_path, srv), [("get", DEV), ("get", DEV, "dim"), ("devices",), ("get", DEV)])
    first, server, listing, last = r["results"]
    assert first["error"] == "ProtocolError" and "does not parse" in first["msg"], first
    assert server["error"] == "HTTPError" and "500" in server["msg"], server
    assert listing["error"] == "ProtocolError" and "not valid JSON" in listing["msg"], listing
    assert last == {"ok": True}


def test_connection_closed_before_any_answer(interp, canned, tmp_path):  # noqa: F811
    srv = canned({cap(): [(b"", "close"), resp(body=b"true")],
                  trigger_path(): [(b"", "rst-before"), resp(body=b"{}")]})
    r = run(interp, key_config(tmp_path, srv), [("get", DEV), ("trigger", FLOW), ("trigger", FLOW), ("get", DEV)])
    closed, reset, again, last = r["results"]
    assert closed["error"] == "NetworkError" and "closed the connection" in closed["msg"], closed
    assert reset["error"] == "NetworkError" and "/flow/flow/" in reset["msg"], reset
    assert again == {"ok": True} and last == {"ok": True}
    assert paths(srv).count(trigger_path()) == 2  # a trigger is never sent twice by itself


def test_connection_close_is_obeyed_when_the_server_keeps_the_socket(interp, canned, tmp_path):  # noqa: F811
    """`Connection: close` and the socket left open: the next request goes on a new connection (not
    into one nobody reads); a body framed by the close that never comes times out."""
    closing = resp(body=b"{}", headers=["Connection: close"])
    srv = canned({trigger_path(): [closing],
                  cap("dim"): [resp(body=b"0.5", length=False, headers=["Connection: close"])],
                  cap(): [resp(body=b"true")]})
    r = run(interp, key_config(tmp_path, srv, timeout=1),
            [("trigger", FLOW), ("trigger", FLOW), ("get", DEV, "dim"), ("get", DEV)])
    first, second, unframed, last = r["results"]
    assert first == {"ok": True} and second == {"ok": True}
    assert [(n, p) for n, _, p, _, _ in srv.requests][:2] == [(1, trigger_path()), (2, trigger_path())]
    assert unframed["error"] == "NetworkError" and "timed out" in unframed["msg"], unframed
    assert last == {"ok": True}


def test_a_homey_that_refuses_even_a_fresh_session(interp, canned, tmp_path):  # noqa: F811
    """Every call is refused (401) even right after a new session: one renewal per call, then an
    AuthError; never a loop hammering Athom and the Homey while the button hangs."""
    refused = resp(401, body=b'{"code":401,"error":"invalid_token","error_description":"Invalid token"}')
    srv = canned({cap(): [refused] * 40 + [resp(body=b"true")],
                  "/delegation/token": [resp(body=b'"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2ln"')],
                  "/api/manager/users/login": [resp(body=b'"s-1"')]})
    cfg = cloud_config(tmp_path, srv, refresh_token=OLD_RT, access_token="at-0", access_expires=FAR,
                       homey_session="s-0")
    r = run(interp, cfg, [("get", DEV), ("get", DEV)])
    for x in r["results"]:
        assert x["error"] == "AuthError" and "401" in x["msg"], x
    seen = paths(srv)
    assert seen.count(cap()) == 4 and seen.count("/delegation/token") == 2, seen
    assert seen.count("/api/manager/users/login") == 2 and "/oauth2/token" not in seen, seen


def test_error_statuses_are_their_classes(interp, canned, tmp_path):  # noqa: F811
    """What the firmware shows depends on the class: 401/403 need the user, 404 is a wrong name,
    400 a refused value; a rate limit whose Retry-After is a date still says to wait."""
    date = "Retry-After: Wed, 21 Oct 2026 07:28:00 GMT"
    srv = canned({cap("c403"): [resp(403, body=b'{"error":"Subscription Inactive","statusCode":403}')],
                  cap("c404"): [resp(404, body=b'{"error":"not_found"}')],
                  cap("c400"): [resp(400, body=b'{"error":"invalid_value","error_description":"Out of range"}')],
                  cap("c429"): [resp(429, body=b"{}", headers=[date])],
                  cap("c503"): [resp(503, body=b"", ctype=None)]})
    ops = [("get", DEV, c) for c in ("c403", "c404", "c400", "c429", "c503")]
    r = run(interp, key_config(tmp_path, srv), ops)
    assert [outcome(x) for x in r["results"]] == ["AuthError", "NotFound", "Rejected", "HTTPError", "HTTPError"]
    assert "Out of range" in r["results"][2]["msg"]
    assert "429" in r["results"][3]["msg"] and "wait a few s" in r["results"][3]["msg"]
    assert "503" in r["results"][4]["msg"]


def test_an_answer_that_is_not_http(interp, canned, tmp_path):  # noqa: F811
    """A port that now runs another service (a mail server's banner) or a broken status line."""
    srv = canned({cap("c1"): [(b"220 mail.example.net ESMTP ready\r\n\r\n", "close")],
                  cap("c2"): [(b"HTTP/1.1 OK\r\nContent-Length: 0\r\n\r\n", "close")],
                  cap(): [resp(body=b"true")]})
    r = run(interp, key_config(tmp_path, srv), [("get", DEV, "c1"), ("get", DEV, "c2"), ("get", DEV)])
    banner, broken, last = r["results"]
    for x in (banner, broken):
        assert x["error"] == "ProtocolError" and "did not answer with HTTP" in x["msg"], x
    assert last == {"ok": True}


def test_an_api_host_that_refuses_even_a_fresh_access_token(interp, canned, tmp_path):  # noqa: F811
    """The delegation step is refused (401) before and after a refresh: one refresh, then an
    AuthError naming the step; the rotated refresh token is kept all the same."""
    refused = resp(401, body=b'{"code":401,"error":"invalid_token","error_description":"Invalid token"}')
    answer = {"access_token": "at-1", "refresh_token": "rt-2", "expires_in": 3660, "token_type": "bearer"}
    srv = canned({"/delegation/token": [refused], "/oauth2/token": [resp(body=json.dumps(answer).encode())]})
    cfg = cloud_config(tmp_path, srv, refresh_token=OLD_RT, access_token="at-0", access_expires=FAR)
    r = run(interp, cfg)
    cls, msg = r["connect_error"]
    assert cls == "AuthError" and "delegation token" in msg and "401" in msg, (cls, msg)
    assert paths(srv) == ["/delegation/token", "/oauth2/token", "/delegation/token"]
    with open(tmp_path / "tokens.json") as f:
        assert json.load(f)["refresh_token"] == "rt-2"


def test_a_portal_page_is_no_success_for_a_write(interp, canned, tmp_path):  # noqa: F811
    """A captive portal or proxy answers 200 with its own HTML page: nothing was switched or
    started, and the press must say so rather than report success."""
    page = resp(body=b"<html><body>Accept the terms to continue</body></html>", ctype="text/html")
    srv = canned({cap(): [page, resp(body=b'{"transactionId":"t"}')], trigger_path(): [page]})
    r = run(interp, key_config(tmp_path, srv), [("set", DEV, "onoff", True), ("trigger", FLOW),
                                                ("set", DEV, "onoff", True)])
    switched, started, last = r["results"]
    for x in (switched, started):
        assert x["error"] == "ProtocolError" and "text/html" in x["msg"], x
    assert last == {"ok": True}
