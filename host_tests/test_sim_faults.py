"""Every fault switch does exactly what tools/README.md says."""
import json
import socket
import time

import pytest

from homeysim import FAULT_KINDS, probe
from homeysim.probe import ProbeError, RawClient

PING = "/api/manager/system/ping"
DEVICES = "/api/manager/devices/device/"


@pytest.fixture
def lamp_session(sim):
    s = probe.homey_session(sim)
    lamp = sim.homey().device_by_name("Kitchen light")["id"]
    sim.clear_log()
    return s, lamp


def raw(sim, which="local", homey=0):
    base = sim.url(which, homey=homey)
    return RawClient(base, sim.ca_pem_path if base.startswith("https") else None, timeout=3)


def test_kinds_listed_and_checked(sim):
    assert set(FAULT_KINDS) == {"500", "429", "html", "truncated_chunked", "truncated_length",
                                "reset", "stall", "close", "no_location", "no_csrf"}
    for kind, params in (("boom", {}), ("stall", {"second": 1}), ("500", {"retry_after": 1}),
                         ("stall", {"then": "later"})):
        with pytest.raises(ValueError):
            sim.fault(kind, **params)


def test_500_then_normal_and_no_side_effect(sim, lamp_session):
    session, lamp = lamp_session
    sim.fault("500", path="/api/manager/devices")
    c = raw(sim)
    auth = [("Authorization", "Bearer " + session), ("Content-Type", "application/json")]
    path = DEVICES + lamp + "/capability/onoff"
    try:
        r = c.request("PUT", path, auth, b'{"value": true}')
        assert r.status == 500 and r.json()["code"] == 500 and r.json()["error"]
        assert sim.homey().value(lamp, "onoff") is False  # the handler never ran
        assert c.request("PUT", path, auth, b'{"value": true}').status == 200  # same connection
    finally:
        c.close()
    assert [(x.status, x.fault) for x in sim.requests] == [(500, "500"), (200, None)]


@pytest.mark.parametrize("params,want", [({}, "2"), ({"retry_after": 7}, "7")])
def test_429_retry_after(sim, params, want):
    sim.fault("429", path=PING, **params)
    c = raw(sim)
    try:
        r = c.request("GET", PING)
        assert r.status == 429 and r.header("retry-after") == want
        assert r.json()["code"] == 429
        assert c.request("GET", PING).status == 200
    finally:
        c.close()


def test_html_captive_page(sim, lamp_session):
    session, lamp = lamp_session
    sim.fault("html", role="homey")
    c = raw(sim, "remote")
    try:
        r = c.request("GET", DEVICES + lamp, [("Authorization", "Bearer " + session)])
        assert r.status == 200 and r.header("content-type").startswith("text/html")
        assert b"<html" in r.body
    finally:
        c.close()


def test_truncated_chunked(sim):
    sim.fault("truncated_chunked", path="/oauth2/authorise")
    q = probe.authorise_query(sim, probe.user_jwt(sim))
    c = RawClient(sim.accounts_url, sim.ca_pem_path, timeout=3)
    try:
        with pytest.raises(ProbeError, match="closed"):
            c.request("GET", "/oauth2/authorise?" + q)
    finally:
        c.close()
    r = sim.requests[-1]
    assert (r.status, r.fault) == (200, "truncated_chunked")
    assert _eventually(lambda: sim.connections[-1].closed)


def test_truncated_chunked_head_is_200_json_chunked(sim):
    sim.fault("truncated_chunked", path=PING)
    s = socket.create_connection(("127.0.0.1", sim.homey().listeners["local"].port), timeout=3)
    s.sendall(b"GET " + PING.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    data = _read_all(s)
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    low = head.lower()
    assert b"transfer-encoding: chunked" in low and b"application/json" in low
    assert b"x-homey-id: " in low  # the Homey's own headers still come
    size1, _, rest = body.partition(b"\r\n")
    first, crlf, rest = rest[:int(size1, 16)], rest[int(size1, 16):int(size1, 16) + 2], rest[int(size1, 16) + 2:]
    assert len(first) == int(size1, 16) and crlf == b"\r\n"
    size2, _, partial = rest.partition(b"\r\n")
    assert 0 < len(partial) < int(size2, 16)


def test_truncated_length(sim):
    sim.fault("truncated_length", path=PING)
    s = socket.create_connection(("127.0.0.1", sim.homey().listeners["local"].port), timeout=3)
    s.sendall(b"GET " + PING.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    data = _read_all(s)
    head, _, body = data.partition(b"\r\n\r\n")
    length = [ln for ln in head.split(b"\r\n") if ln.lower().startswith(b"content-length:")]
    assert head.startswith(b"HTTP/1.1 200 ") and len(body) < int(length[0].split(b":")[1])


@pytest.mark.parametrize("which", ["local", "remote"])
def test_reset_mid_body(sim, which):
    sim.fault("reset", role="homey")
    c = raw(sim, which)
    got = bytearray()
    try:
        c.send("GET", PING)
        # read below TLS: Python's ssl reports a reset after data as a plain EOF
        with pytest.raises(ConnectionResetError):
            while True:
                data = socket.socket.recv(c.sock, 65536)
                if not data:
                    break  # a clean FIN: the assert fails, as it should
                got += data
    finally:
        c.close()
    assert got and sim.requests[-1].fault == "reset"
    if which == "local":
        head, _, body = bytes(got).partition(b"\r\n\r\n")
        length = [ln for ln in head.split(b"\r\n") if ln.lower().startswith(b"content-length:")]
        assert 0 < len(body) < int(length[0].split(b":")[1])


def test_stall_then_answer(sim):
    sim.fault("stall", path=PING, seconds=0.4)
    c = raw(sim)
    try:
        t = time.monotonic()
        assert c.request("GET", PING).status == 200
        assert time.monotonic() - t >= 0.35
    finally:
        c.close()


def test_stall_times_out_client_and_stop_is_prompt(make_sim):
    sim = make_sim()
    sim.fault("stall", path=PING)  # 30 s by default
    c = RawClient(sim.homey().local_url, timeout=0.3)
    try:
        with pytest.raises(socket.timeout):
            c.request("GET", PING)
        t = time.monotonic()
        sim.stop()
        assert time.monotonic() - t < 2.0
    finally:
        c.close()


def test_stall_then_close(sim):
    sim.fault("stall", path=PING, seconds=0.2, then="close")
    c = raw(sim)
    try:
        c.send("GET", PING)
        assert c.closed_by_peer(timeout=3)
    finally:
        c.close()
    assert (sim.requests[-1].status, sim.requests[-1].fault) == (0, "stall")


def test_close_after_normal_answer(sim):
    sim.fault("close", path=PING)
    c = raw(sim)
    try:
        r = c.request("GET", PING)
        assert r.status == 200 and (r.header("connection") or "").lower() != "close"
        assert c.closed_by_peer()
    finally:
        c.close()


def test_drop_idle_connections(sim):
    c = raw(sim, "local_secure")
    busy = RawClient(sim.homey().local_url, timeout=3)
    sim.fault("stall", path="/slow", seconds=2)
    try:
        assert c.request("GET", PING).status == 200
        busy.send("GET", "/slow")
        assert _eventually(lambda: len(sim.requests) == 2)
        assert sim.drop_idle_connections() == 1
        assert c.closed_by_peer()
        assert not busy.closed_by_peer(timeout=0.2)  # a connection mid-request stays
    finally:
        c.close()
        busy.close()


def test_fault_matching_by_path_role_count_and_homey(make_sim):
    sim = make_sim(homeys=2)
    f = sim.fault("500", path=PING, role="homey", count=2, homey=1, which="remote")
    assert probe.call(sim, sim.url("remote", homey=0), "GET", PING)[0] == 200
    assert probe.call(sim, sim.url("local", homey=1), "GET", PING)[0] == 200
    assert probe.call(sim, sim.api_url, "GET", PING)[0] == 404
    assert probe.call(sim, sim.url("remote", homey=1), "GET", "/api/manager/devices/device/")[0] == 401
    for _ in range(2):
        assert probe.call(sim, sim.url("remote", homey=1), "GET", PING)[0] == 500
    assert probe.call(sim, sim.url("remote", homey=1), "GET", PING)[0] == 200
    assert f.hits == 2 and f.remaining == 0
    sim.fault("500", role="accounts", count=5)
    sim.clear_faults()
    assert probe.call(sim, sim.accounts_url, "GET", "/")[0] == 200


def test_truncated_token_answer_still_rotates(sim):
    tok = probe.tokens_for(sim)
    sim.fault("truncated_length", path="/oauth2/token")
    form = {"grant_type": "refresh_token", "refresh_token": tok["refresh_token"],
            "client_id": sim.client_id, "client_secret": sim.client_secret}
    with pytest.raises(Exception):
        probe.call(sim, sim.api_url, "POST", "/oauth2/token", form=form)
    st, _, body = probe.call(sim, sim.api_url, "POST", "/oauth2/token", form=form)
    assert st == 400 and json.loads(body)["error"] == "invalid_grant"


def test_expire_access_tokens(sim):
    tok = probe.tokens_for(sim)
    sim.expire_access_tokens()
    st, _, body = probe.call(sim, sim.api_url, "GET", "/user/me", token=tok["access_token"])
    err = json.loads(body)
    assert (st, err["error"]) == (401, "invalid_token") and "expired" in err["error_description"]
    st, _, body = probe.call(sim, sim.api_url, "POST", "/oauth2/token", form={
        "grant_type": "refresh_token", "refresh_token": tok["refresh_token"],
        "client_id": sim.client_id, "client_secret": sim.client_secret})
    assert st == 200
    assert probe.call(sim, sim.api_url, "GET", "/user/me", token=json.loads(body)["access_token"])[0] == 200


def test_revoke_refresh_tokens(sim):
    tok = probe.tokens_for(sim)
    sim.revoke_refresh_tokens()
    st, _, body = probe.call(sim, sim.api_url, "POST", "/oauth2/token", form={
        "grant_type": "refresh_token", "refresh_token": tok["refresh_token"],
        "client_id": sim.client_id, "client_secret": sim.client_secret})
    assert (st, json.loads(body)["error"]) == (400, "invalid_grant")
    assert probe.call(sim, sim.api_url, "GET", "/user/me", token=tok["access_token"])[0] == 200


def test_expire_homey_sessions_and_24h(sim):
    s = probe.homey_session(sim)
    me = "/api/manager/sessions/session/me"
    key = sim.homey().create_api_key()
    assert probe.call(sim, sim.homey().local_url, "GET", me, token=s)[0] == 200
    sim.expire_homey_sessions()
    st, _, body = probe.call(sim, sim.homey().local_url, "GET", me, token=s)
    assert (st, json.loads(body)["error"]) == (401, "invalid_token")
    assert probe.call(sim, sim.homey().local_url, "GET", me, token=key)[0] == 200  # keys never expire
    s2 = probe.homey_session(sim)
    sim.advance(24 * 3600 - 60)
    assert probe.call(sim, sim.homey().local_url, "GET", me, token=s2)[0] == 200
    sim.advance(120)
    assert probe.call(sim, sim.homey().local_url, "GET", me, token=s2)[0] == 401
    assert probe.call(sim, sim.homey().local_url, "GET", me, token=key)[0] == 200


def test_set_unreachable_refuses_then_comes_back_on_same_port(sim):
    h = sim.homey()
    port = h.listeners["local"].port
    kept = raw(sim)
    assert kept.request("GET", PING).status == 200
    sim.set_unreachable(0, "local")
    try:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        assert kept.closed_by_peer()  # open connections to it are cut too
        assert probe.call(sim, h.remote_url, "GET", PING)[0] == 200  # the others still answer
    finally:
        kept.close()
    sim.set_unreachable(0, "local", on=False)
    assert h.listeners["local"].port == port
    assert probe.call(sim, h.local_url, "GET", PING)[0] == 200
    sim.set_unreachable(0, "remote")
    with pytest.raises(OSError):
        probe.call(sim, h.remote_url, "GET", PING)


def test_impostor(sim):
    h = sim.homey()
    s = probe.homey_session(sim)
    sim.impostor(0, "local_secure")
    st, msg, _ = probe.call(sim, h.local_secure_url, "GET", PING + "?id=" + h.id)
    assert st == 200 and msg["X-Homey-ID"] not in (None, h.id)
    st, msg, body = probe.call(sim, h.local_secure_url, "GET", DEVICES, token=s)
    assert st == 401 and json.loads(body)["code"] == 401
    assert probe.call(sim, h.local_secure_url, "GET", "/no/such/path", token=s)[0] == 401
    st, _, _ = probe.call(sim, h.local_url, "GET", DEVICES, token=s)
    assert st == 200  # the other listeners are still the real Homey
    sim.impostor(0, "local_secure", on=False)
    st, msg, _ = probe.call(sim, h.local_secure_url, "GET", PING)
    assert msg["X-Homey-ID"] == h.id


def _closed(s):
    try:
        return s.recv(10) == b""
    except ConnectionResetError:
        return True  # closed with our unread bytes still queued: RST instead of FIN


def _read_all(s):
    out = bytearray()
    try:
        while True:
            data = s.recv(65536)
            if not data:
                break
            out += data
    finally:
        s.close()
    return bytes(out)


def _eventually(pred, timeout=2.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.01)
    return pred()


def test_stop_is_prompt_with_idle_and_half_open_connections(make_sim):
    sim = make_sim()
    idle = RawClient(sim.api_url, sim.ca_pem_path)
    idle.request("GET", "/user/me")
    # a TCP connect to a TLS port that never starts the handshake
    mute = socket.create_connection(("127.0.0.1", sim.homey().listeners["remote"].port), timeout=3)
    half = socket.create_connection(("127.0.0.1", sim.homey().listeners["local"].port), timeout=3)
    half.sendall(b"GET /api/manager/system/ping HTTP/1.1\r\nHost: x\r\n")  # head never ends
    assert _eventually(lambda: len(sim.connections) == 3)
    sim.clear_log()  # forgetting the records must not orphan the connections
    t = time.monotonic()
    sim.stop()
    assert time.monotonic() - t < 2.0
    try:
        assert idle.closed_by_peer() and _closed(mute) and _closed(half)
    finally:
        idle.close()
        mute.close()
        half.close()


def test_drop_idle_after_clear_log(sim):
    c = raw(sim)
    try:
        assert c.request("GET", PING).status == 200
        sim.clear_log()
        assert sim.drop_idle_connections() == 1 and c.closed_by_peer()
    finally:
        c.close()


@pytest.mark.parametrize("variant", [0, 1, 2])
def test_no_csrf_strips_the_hidden_input_only(make_sim, variant):
    sim = make_sim(consent_variant=variant)
    q = probe.authorise_query(sim, probe.user_jwt(sim))
    st, msg, normal = probe.call(sim, sim.accounts_url, "GET", "/oauth2/authorise?" + q)
    assert st == 200 and b"_csrf" in normal.split(b"</head>")[1]
    f = sim.fault("no_csrf", path="/oauth2/authorise", role="accounts")
    st, msg, body = probe.call(sim, sim.accounts_url, "GET", "/oauth2/authorise?" + q)
    assert st == 200 and f.hits == 1
    page = body.decode()
    assert "resource.homey." in page and "Allow" in page  # the rest of the form is still there
    assert "_csrf" not in page.split("</head>")[1]  # the head's csrf-param meta may stay
    assert any(c.startswith("_csrf=") for c in msg.get_all("Set-Cookie"))  # the cookie still comes
    assert sim.requests[-1].fault == "no_csrf"


def test_no_location_sends_the_302_without_it_and_the_code_is_spent(sim):
    sim.approve()
    q = probe.authorise_query(sim, probe.user_jwt(sim))
    f = sim.fault("no_location", path="/oauth2/authorise", role="accounts")
    st, msg, _ = probe.call(sim, sim.accounts_url, "GET", "/oauth2/authorise?" + q)
    assert st == 302 and msg["Location"] is None and f.hits == 1
    with sim.lock:
        assert len(sim.codes) == 1  # the handler ran: a code was issued and is lost with the header


def test_code_lifetime_zero_makes_codes_dead_on_arrival(make_sim):
    sim = make_sim(code_lifetime=0)
    code = probe.code_for(sim)
    st, _, body = probe.call(sim, sim.api_url, "POST", "/oauth2/token",
                             form={"grant_type": "authorization_code", "code": code,
                                   "client_id": sim.client_id, "client_secret": sim.client_secret})
    assert st == 400 and json.loads(body)["error"] == "invalid_grant"
