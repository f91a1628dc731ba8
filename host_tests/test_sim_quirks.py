"""The simulator's deliberate quirks: each one a trap a sloppy client falls into."""
import json
import re
import socket
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from homeysim import probe
from homeysim.probe import RawClient

FORM = ("Content-Type", "application/x-www-form-urlencoded")


def consent(sim, jwt=None):
    q = probe.authorise_query(sim, jwt or probe.user_jwt(sim))
    c = RawClient(sim.accounts_url, sim.ca_pem_path)
    try:
        return q, c.request("GET", "/oauth2/authorise?" + q)
    finally:
        c.close()


def approve(sim, q, form, cookie):
    headers = [FORM] + ([("Cookie", cookie)] if cookie is not None else [])
    c = RawClient(sim.accounts_url, sim.ca_pem_path)
    try:
        return c.request("POST", "/authorise?" + q, headers, urlencode(form).encode())
    finally:
        c.close()


def tolerant_inputs(html):
    """Every <input>/<button> as a dict of lower-cased attribute names -> values."""
    out = []
    for tag in re.findall(r"<(?:input|button)\b([^>]*)>", html, re.I | re.S):
        attrs = {}
        for m in re.finditer(r"""([\w-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""", tag):
            attrs[m.group(1).lower()] = m.group(2) or m.group(3) or m.group(4) or ""
        out.append(attrs)
    return out


@pytest.mark.parametrize("variant", [0, 1, 2])
def test_consent_variants_parse_and_approve(make_sim, variant):
    sim = make_sim(homeys=2, consent_variant=variant)
    q, r = consent(sim)
    assert r.status == 200 and r.chunks and len(r.chunks) >= 3
    assert all(100 <= n <= 700 for n in r.chunks[:-1])
    html = r.body.decode()
    assert 2000 < len(html) < 20000
    inputs = tolerant_inputs(html)
    csrf = [i["value"] for i in inputs if i.get("name") == "_csrf"]
    resources = [i["value"] for i in inputs if i.get("name") == "resource"]
    assert len(csrf) == 1
    assert resources == ["resource.homey." + h.id for h in sim.homeys]
    assert {i.get("name") for i in inputs} >= {"q", "allow", "deny"}
    if variant == 1:
        assert "<input value='" in html
    if variant == 2:
        assert "<INPUT\n" in html and re.search(r"VALUE=[^\"'\s>]", html)
    cookies = r.header_all("Set-Cookie")
    jar = dict(c.split(";")[0].split("=", 1) for c in cookies)
    assert jar["_csrf"] != csrf[0]
    cookie = "; ".join(c.split(";")[0] for c in cookies)
    resp = approve(sim, q, {"resource": resources[1], "_csrf": csrf[0], "allow": "Allow"}, cookie)
    assert resp.status == 302


def test_two_homeys_jwt_names_the_second_and_first_radio_is_checked(make_sim):
    sim = make_sim(homeys=2)
    payload = probe.jwt_payload(probe.user_jwt(sim))
    assert payload["homey"] == sim.homey(1).id
    _, r = consent(sim)
    checked = [i for i in tolerant_inputs(r.body.decode()) if "checked" in i]
    assert [i["value"] for i in checked] == ["resource.homey." + sim.homey(0).id]


@pytest.mark.parametrize("key", ["homey", "homeyId", "homeys"])
def test_jwt_homey_key(make_sim, key):
    sim = make_sim(jwt_homey_key=key, homeys=3, jwt_homey=1)
    p = probe.jwt_payload(probe.user_jwt(sim))
    want = sim.homey(1).id
    assert p[key] == ([want] if key == "homeys" else want)
    assert all(k not in p for k in {"homey", "homeyId", "homeys"} - {key})


def test_jwt_needs_padding_and_has_url_alphabet(make_sim):
    for i in range(4):  # different emails give different payload lengths
        sim = make_sim(email="u%s@example.com" % ("x" * i))
        seg = probe.user_jwt(sim).split(".")[1]
        assert len(seg) % 4 != 0 and ("-" in seg or "_" in seg) and "=" not in seg


def test_single_homey_page_has_one_resource(sim):
    _, r = consent(sim)
    res = [i for i in tolerant_inputs(r.body.decode()) if i.get("name") == "resource"]
    assert len(res) == 1 and res[0]["value"] == "resource.homey." + sim.homey().id


def test_approve_makes_consent_redirect_at_once(make_sim):
    sim = make_sim(homeys=2)
    sim.approve()
    _, r = consent(sim)
    assert r.status == 302
    code = parse_qs(urlsplit(r.header("Location")).query)["code"][0]
    st, _, body = probe.call(sim, sim.api_url, "POST", "/oauth2/token", form={
        "grant_type": "authorization_code", "code": code,
        "client_id": sim.client_id, "client_secret": sim.client_secret})
    assert st == 200


def test_remember_consent(make_sim):
    sim = make_sim(remember_consent=True)
    _, r = consent(sim)
    assert r.status == 200
    probe.code_for(sim)
    _, r = consent(sim)
    assert r.status == 302 and r.header("Location").startswith(sim.redirect_uri + "?code=")


def test_default_does_not_remember(sim):
    probe.code_for(sim)
    assert consent(sim)[1].status == 200


def test_csrf_cookie_and_token_must_match(make_sim):
    sim = make_sim(homeys=2)
    q, r = consent(sim)
    inputs = tolerant_inputs(r.body.decode())
    hidden = [i["value"] for i in inputs if i.get("name") == "_csrf"][0]
    cookies = [c.split(";")[0] for c in r.header_all("Set-Cookie")]
    good = "; ".join(cookies)
    only_csrf = [c for c in cookies if c.startswith("_csrf=")][0]
    form = {"resource": "resource.homey." + sim.homey(0).id, "_csrf": hidden, "allow": "Allow"}
    no_cookie = approve(sim, q, form, None)
    assert no_cookie.status == 403 and b"invalid csrf token" in no_cookie.body
    assert no_cookie.header("Content-Type").startswith("text/html")
    assert approve(sim, q, dict(form, _csrf=""), good).status == 403
    # another page's cookie does not match this page's token
    _, r2 = consent(sim)
    other = [c.split(";")[0] for c in r2.header_all("Set-Cookie") if c.startswith("_csrf=")][0]
    assert approve(sim, q, form, other).status == 403
    # the csrf cookie alone is enough (user_token is still in the query)
    bad_res = approve(sim, q, dict(form, resource="resource.homey." + "0" * 24), only_csrf)
    assert bad_res.status == 400 and bad_res.header("Content-Type").startswith("text/html")
    ok = approve(sim, q, form, only_csrf)
    assert ok.status == 302
    loc = parse_qs(urlsplit(ok.header("Location")).query, keep_blank_values=True)
    assert loc["state"] == [""] and loc["lang"] == ["en"]


def test_consent_errors_are_html_400(sim):
    jwt = probe.user_jwt(sim)
    good = {"client_id": sim.client_id, "redirect_uri": sim.redirect_uri,
            "response_type": "code", "user_token": jwt}
    c = RawClient(sim.accounts_url, sim.ca_pem_path)
    try:
        for bad in ({"client_id": "nobody"}, {"redirect_uri": "http://evil.invalid"},
                    {"user_token": jwt[:-3] + "AAA"}, {"user_token": ""}):
            r = c.request("GET", "/oauth2/authorise?" + urlencode(dict(good, **bad)))
            assert r.status == 400 and r.header("content-type").startswith("text/html"), bad
        r = c.request("GET", "/")
        assert r.status == 200 and r.header("content-type").startswith("text/html")
    finally:
        c.close()


def test_code_is_single_use_and_expires(sim):
    form = {"grant_type": "authorization_code", "client_id": sim.client_id,
            "client_secret": sim.client_secret}
    code = probe.code_for(sim)
    sim.advance(31)
    st, _, body = probe.call(sim, sim.api_url, "POST", "/oauth2/token", form=dict(form, code=code))
    assert st == 400 and json.loads(body)["error"] == "invalid_grant"
    code = probe.code_for(sim)
    sim.advance(29)
    assert probe.call(sim, sim.api_url, "POST", "/oauth2/token", form=dict(form, code=code))[0] == 200
    assert probe.call(sim, sim.api_url, "POST", "/oauth2/token", form=dict(form, code=code))[0] == 400


def test_header_names_vary_in_case(sim):
    c = RawClient(sim.homey().local_url)
    seen = set()
    try:
        for _ in range(8):
            r = c.request("GET", "/api/manager/system/ping?id=" + sim.homey().id)
            seen.update(k for k, _ in r.headers)
    finally:
        c.close()
    for name in ("content-type", "content-length", "x-homey-id"):
        spellings = {k for k in seen if k.lower() == name}
        assert len(spellings) >= 3, spellings
        assert any(k != k.lower() and k != k.upper() for k in spellings)


def test_keep_alive_reuses_one_connection(sim):
    c = RawClient(sim.homey().local_url)
    try:
        port = c.local_port
        for _ in range(5):
            assert c.request("GET", "/api/manager/system/ping").status == 200
    finally:
        c.close()
    conns = [x for x in sim.connections if x.peer[1] == port]
    assert len(conns) == 1 and conns[0].requests == 5
    assert sim.count(role="homey", path="/api/manager/system/ping") == 5
    assert {r.conn for r in sim.requests} == {conns[0].id}


def test_connection_close_is_honoured(sim):
    c = RawClient(sim.homey().local_url)
    try:
        r = c.request("GET", "/api/manager/system/ping", [("Connection", "close")])
        assert r.status == 200 and r.header("connection") == "close"
        assert c.closed_by_peer()
    finally:
        c.close()


def test_tcp_nodelay_and_one_write_keep_requests_fast(sim):
    c = RawClient(sim.homey().local_url)
    try:
        c.request("GET", "/api/manager/system/ping")
        t = time.monotonic()
        for _ in range(20):
            c.request("GET", "/api/manager/system/ping")
        elapsed = time.monotonic() - t
    finally:
        c.close()
    assert all(x.nodelay for x in sim.connections)
    assert elapsed < 0.4  # Nagle + delayed ACK would cost ~40 ms per request


def test_idle_timeout_closes_keep_alive(make_sim):
    sim = make_sim(idle_timeout=0.3)
    c = RawClient(sim.api_url, sim.ca_pem_path)
    try:
        assert c.request("GET", "/user/me").status == 401
        assert c.closed_by_peer(timeout=3)
    finally:
        c.close()


def test_chunked_request_body_and_big_head(sim):
    c = RawClient(sim.accounts_url, sim.ca_pem_path)
    try:
        body = urlencode({"email": sim.email, "password": sim.password, "otptoken": ""}).encode()
        framed = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 7]), body[i:i + 7])
                          for i in range(0, len(body), 7)) + b"0\r\n\r\n"
        c.sock.sendall(b"POST /login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                       b"Content-Type: application/x-www-form-urlencoded\r\n\r\n" + framed)
        assert c.read_response().status == 200
        r = c.request("GET", "/", [("X-Big", "a" * 20000)])
        assert r.status == 431
    finally:
        c.close()


def test_many_connections_at_once(sim):
    import threading
    errors = []

    def worker():
        try:
            c = RawClient(sim.homey().local_secure_url, sim.ca_pem_path)
            for _ in range(5):
                assert c.request("GET", "/api/manager/system/ping").status == 200
            c.close()
        except Exception as e:  # noqa: BLE001 - collected for the assert below
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert not errors
    assert sim.tls_handshakes(role="homey") == 12 and sim.count(role="homey") == 60


def test_request_log_fields(sim):
    c = RawClient(sim.webhook_url, sim.ca_pem_path)
    try:
        c.request("POST", "/%s/evt?tag=a%%2Bb&x=1&x=2" % sim.homey().id, [("X-Odd", "Yes")], b"hi")
    finally:
        c.close()
    r = sim.requests[-1]
    assert (r.role, r.scheme, r.method, r.path) == ("webhook", "https", "POST", "/%s/evt" % sim.homey().id)
    assert r.query == {"tag": "a+b", "x": "2"} and r.raw_query == "tag=a%2Bb&x=1&x=2"
    assert ("X-Odd", "Yes") in r.headers and r.body == b"hi" and r.status == 200 and r.fault is None
    conn = [x for x in sim.connections if x.id == r.conn][0]
    assert conn.tls and conn.scheme == "https" and conn.role == "webhook"
    sim.clear_log()
    assert sim.requests == [] and sim.connections == [] and sim.webhooks == []


def test_tls_certificate_names_ip_and_localhost(sim):
    import ssl
    ctx = ssl.create_default_context(cafile=sim.ca_pem_path)
    for host in ("127.0.0.1", "localhost"):
        with socket.create_connection(("127.0.0.1", sim.homey().listeners["remote"].port), 5) as raw:
            with ctx.wrap_socket(raw, server_hostname=host) as s:
                assert s.version().startswith("TLS")
    with open(sim.ca_der_path, "rb") as f:
        assert f.read() == sim.ca_der and sim.ca_der[:1] == b"\x30"


def test_start_is_quick(make_sim):
    t = time.monotonic()
    make_sim(homeys=2)
    assert time.monotonic() - t < 1.0


def test_micropython_tls_verifies_the_chain(sim, mpy):
    from mpyrun import micropython_binary
    try:
        micropython_binary()
    except RuntimeError:
        pytest.skip("no micropython binary")
    code = """
import socket, tls
ctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
ctx.verify_mode = tls.CERT_REQUIRED
ctx.load_verify_locations(open(%r, 'rb').read())
for host in ('127.0.0.1', 'localhost'):
    s = socket.socket()
    s.connect(socket.getaddrinfo('127.0.0.1', %d)[0][-1])
    s = ctx.wrap_socket(s, server_hostname=host)
    s.write(b'GET /api/manager/system/ping HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n')
    print(host, s.read(12))
    s.close()
""" % (sim.ca_der_path, sim.homey().listeners["remote"].port)
    r = mpy(code, timeout=30).check()
    assert r.out.count("HTTP/1.1 200") == 2


def test_deny_redirects_with_error(sim):
    q, r = consent(sim)
    inputs = tolerant_inputs(r.body.decode())
    hidden = [i["value"] for i in inputs if i.get("name") == "_csrf"][0]
    cookie = "; ".join(c.split(";")[0] for c in r.header_all("Set-Cookie"))
    resp = approve(sim, q, {"resource": "resource.homey." + sim.homey().id, "_csrf": hidden,
                            "deny": "Deny"}, cookie)
    assert resp.status == 302
    assert parse_qs(urlsplit(resp.header("Location")).query)["error"] == ["access_denied"]


def test_wrong_methods(sim):
    assert probe.call(sim, sim.accounts_url, "GET", "/login")[0] == 405
    assert probe.call(sim, sim.api_url, "GET", "/oauth2/token")[0] == 405
    assert probe.call(sim, sim.api_url, "GET", "/nothing")[0] == 404
    assert probe.call(sim, sim.accounts_url, "GET", "/nothing")[0] == 404
