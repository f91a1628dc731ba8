"""The whole protocol.md flow against the simulator over HTTPS, with CPython's
http.client and a context that trusts only the generated CA."""
import base64
import http.client
import json
import re
import ssl
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

FORM = "application/x-www-form-urlencoded"


class Https:
    """Keep-alive HTTPS connections per base URL, trusting only the sim's CA."""

    def __init__(self, sim):
        self.ctx = ssl.create_default_context(cafile=sim.ca_pem_path)
        self.conns = {}

    def __call__(self, base, method, path, body=None, headers=None):
        u = urlsplit(base)
        key = (u.hostname, u.port, u.scheme)
        if key not in self.conns:
            cls = http.client.HTTPSConnection if u.scheme == "https" else http.client.HTTPConnection
            kw = {"context": self.ctx} if u.scheme == "https" else {}
            self.conns[key] = cls(u.hostname, u.port, timeout=5, **kw)
        c = self.conns[key]
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r, r.read()

    def close(self):
        for c in self.conns.values():
            c.close()


@pytest.fixture
def https(sim):
    h = Https(sim)
    yield h
    h.close()


def b64url_json(seg):
    assert "=" not in seg
    return json.loads(base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4)))


def login(sim, h, otp=""):
    body = urlencode({"email": sim.email, "password": sim.password, "otptoken": otp})
    return h(sim.accounts_url, "POST", "/login", body, {"Content-Type": FORM})


def consent_and_approve(sim, h, jwt, pick):
    q = urlencode({"client_id": sim.client_id, "redirect_uri": sim.redirect_uri,
                   "response_type": "code", "user_token": jwt})
    r, body = h(sim.accounts_url, "GET", "/oauth2/authorise?" + q)
    assert r.status == 200
    assert r.getheader("Content-Type").startswith("text/html")
    assert r.getheader("Transfer-Encoding") == "chunked"
    html = body.decode()
    hidden = re.search(r'<input type="hidden" name="_csrf" value="([^"]+)">', html).group(1)
    resources = re.findall(r'name="resource"[^>]*value="resource\.homey\.([0-9a-f]{24})"', html)
    assert resources == [x.id for x in sim.homeys]
    cookies = [c.split(";")[0] for c in r.msg.get_all("Set-Cookie")]
    assert len(cookies) >= 3 and not cookies[0].startswith("_csrf=")
    jar = dict(c.split("=", 1) for c in cookies)
    assert jar["_csrf"] != hidden  # csurf: the cookie is the secret, the input a token
    form = urlencode({"resource": "resource.homey." + pick, "_csrf": hidden, "allow": "Allow"})
    r, body = h(sim.accounts_url, "POST", "/authorise?" + q, form,
                {"Content-Type": FORM, "Cookie": "; ".join(cookies)})
    assert r.status == 302  # http.client never follows: exactly what the device must do
    loc = urlsplit(r.getheader("Location"))
    assert "%s://%s" % (loc.scheme, loc.netloc) == sim.redirect_uri
    params = parse_qs(loc.query, keep_blank_values=True)
    assert set(params) >= {"code", "state"} and len(params) > 2
    return params["code"][0]


def token(sim, h, form, basic=False, extra_headers=None):
    headers = {"Content-Type": FORM}
    if basic:
        cred = base64.b64encode(("%s:%s" % (sim.client_id, sim.client_secret)).encode()).decode()
        headers["Authorization"] = "Basic " + cred
    else:
        form = dict(form, client_id=sim.client_id, client_secret=sim.client_secret)
    headers.update(extra_headers or {})
    r, body = h(sim.api_url, "POST", "/oauth2/token", urlencode(form), headers)
    return r.status, json.loads(body)


def test_whole_protocol_over_https(make_sim):
    sim = make_sim(homeys=2)
    h = Https(sim)
    try:
        _walk(sim, h)
    finally:
        h.close()


def _walk(sim, h):
    home, cottage = sim.homey(0), sim.homey(1)
    # 1. login; the JWT names the account's last-used Homey (here the second)
    r, body = login(sim, h)
    assert r.status == 200
    jwt = json.loads(body)["token"]
    header, payload, sig = jwt.split(".")
    assert len(payload) % 4 and re.search("[-_]", payload)
    p = b64url_json(payload)
    assert p["homey"] == cottage.id and p["email"] == sim.email
    assert b64url_json(header)["alg"] == "HS256" and sig

    # 2-3. consent page, approve Home (the JWT's Homey is Cottage)
    code = consent_and_approve(sim, h, jwt, home.id)

    # 4. token exchange: client in the form
    st, tok = token(sim, h, {"grant_type": "authorization_code", "code": code})
    assert st == 200, tok
    assert tok["token_type"] == "bearer" and tok["expires_in"] == 3660
    assert re.fullmatch("[0-9a-f]{40}", tok["access_token"])
    # same code again: single use
    st, err = token(sim, h, {"grant_type": "authorization_code", "code": code})
    assert (st, err["error"]) == (400, "invalid_grant")
    # client by HTTP Basic
    code2 = consent_and_approve(sim, h, jwt, cottage.id)
    st, tok2 = token(sim, h, {"grant_type": "authorization_code", "code": code2}, basic=True)
    assert st == 200, tok2
    # both client authentications at once
    code3 = consent_and_approve(sim, h, jwt, home.id)
    st, err = token(sim, h, {"grant_type": "authorization_code", "code": code3,
                             "client_id": sim.client_id, "client_secret": sim.client_secret},
                    basic=True)
    assert (st, err["error"], err["code"]) == (400, "invalid_request", 400)

    # 5. refresh rotates: the old refresh token dies at once
    st, tok3 = token(sim, h, {"grant_type": "refresh_token", "refresh_token": tok["refresh_token"]})
    assert st == 200 and tok3["refresh_token"] != tok["refresh_token"]
    assert tok3["access_token"] != tok["access_token"]
    st, err = token(sim, h, {"grant_type": "refresh_token", "refresh_token": tok["refresh_token"]})
    assert (st, err["error"]) == (400, "invalid_grant")
    st, tok4 = token(sim, h, {"grant_type": "refresh_token", "refresh_token": tok3["refresh_token"]},
                     basic=True)
    assert st == 200
    access = tok4["access_token"]

    # 6. who am I
    r, body = h(sim.api_url, "GET", "/user/me", headers={"Authorization": "Bearer " + access})
    assert r.status == 200
    me = json.loads(body)
    for k in ("_id", "id", "firstname", "lastname", "email", "avatar", "roles", "properties"):
        assert k in me
    assert [x["id"] for x in me["homeys"]] == [home.id, cottage.id]
    hm = me["homeys"][0]
    assert hm["_id"] == hm["id"] and re.fullmatch("[0-9a-f]{24}", hm["id"])
    assert hm["platform"] == "local" and hm["apiVersion"] == 3 and hm["remoteUrlForwarded"] is None
    assert hm["localUrl"] == home.local_url and hm["localUrl"].startswith("http://127.0.0.1:")
    assert hm["localUrlSecure"] == home.local_secure_url and "localhost" in hm["localUrlSecure"]
    assert hm["remoteUrl"] == home.remote_url
    for k in ("name", "platformVersion", "softwareVersion", "language", "role", "region",
              "state", "usersCount", "model"):
        assert k in hm

    # 7. delegation: the body is a JSON string
    r, body = h(sim.api_url, "POST", "/delegation/token?audience=homey", b"{}",
                {"Authorization": "Bearer " + access, "Content-Type": "application/json"})
    assert r.status == 200 and body.startswith(b'"')
    delegation = json.loads(body)
    assert isinstance(delegation, str) and delegation.count(".") == 2

    # 8. Homey session on each of Home's three addresses
    for base in (home.local_url, home.local_secure_url, home.remote_url):
        r, body = h(base, "GET", "/api/manager/system/ping?id=" + home.id)
        assert r.status == 200 and r.getheader("X-Homey-ID") == home.id
        assert r.getheader("X-Homey-Version")
        r, body = h(base, "POST", "/api/manager/users/login", json.dumps({"token": delegation}),
                    {"Content-Type": "application/json", "X-Homey-ID": home.id})
        assert r.status == 200, body
        session = json.loads(body)
        assert re.fullmatch(r"[0-9a-f-]{36}:[0-9a-f-]{36}:[0-9a-f]+", session)
    auth = {"Authorization": "Bearer " + session, "X-Homey-ID": home.id}
    api = "/api/manager/"
    r, body = h(home.remote_url, "GET", api + "sessions/session/me", headers=auth)
    assert r.status == 200 and set(json.loads(body)) >= {"id", "type", "scopes", "intersectedScopes"}

    # devices: list (chunked), one device, capability get + put
    r, body = h(home.local_url, "GET", api + "devices/device/", headers=auth)
    assert r.status == 200 and r.getheader("Transfer-Encoding") == "chunked"
    devices = json.loads(body)
    byname = {d["name"]: d for d in devices.values()}
    assert set(byname) == {"Kitchen light", "Hallway socket", "Café thermostat"}
    lamp = byname["Kitchen light"]
    assert re.fullmatch("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", lamp["id"])
    r, body = h(home.local_url, "GET", api + "devices/device/" + lamp["id"], headers=auth)
    assert r.status == 200 and json.loads(body)["capabilitiesObj"]["dim"]["max"] == 1
    cap = api + "devices/device/%s/capability/onoff" % lamp["id"]
    r, body = h(home.local_url, "PUT", cap, json.dumps({"value": True}),
                dict(auth, **{"Content-Type": "application/json"}))
    assert r.status == 200 and set(json.loads(body)) == {"transactionId", "transactionTime"}
    r, body = h(home.local_url, "GET", cap, headers=auth)
    assert (r.status, json.loads(body)) == (200, True)
    assert home.value(lamp["id"], "onoff") is True

    # flows
    r, body = h(home.local_url, "GET", api + "flow/flow/", headers=auth)
    basic = {f["name"]: f["id"] for f in json.loads(body).values()}
    r, body = h(home.local_url, "GET", api + "flow/advancedflow/", headers=auth)
    adv = {f["name"]: f["id"] for f in json.loads(body).values()}
    assert set(basic) == {"Good night", "Movie time"} and set(adv) == {"Morning routine"}
    r, _ = h(home.local_url, "POST", api + "flow/flow/%s/trigger" % basic["Good night"], b"{}",
             dict(auth, **{"Content-Type": "application/json"}))
    assert r.status == 200
    r, _ = h(home.local_url, "POST", api + "flow/advancedflow/%s/trigger" % adv["Morning routine"],
             b"{}", dict(auth, **{"Content-Type": "application/json"}))
    assert r.status == 200
    assert home.triggered == [("flow", basic["Good night"]), ("advancedflow", adv["Morning routine"])]

    # variables
    r, body = h(home.local_url, "GET", api + "logic/variable/", headers=auth)
    variables = {v["name"]: v for v in json.loads(body).values()}
    assert {n: v["type"] for n, v in variables.items()} == {
        "Away": "boolean", "Night level": "number", "Mode": "string"}
    vpath = api + "logic/variable/" + variables["Night level"]["id"]
    r, body = h(home.local_url, "PUT", vpath, json.dumps({"value": 0.7}),
                dict(auth, **{"Content-Type": "application/json"}))
    assert r.status == 200
    r, body = h(home.local_url, "GET", vpath, headers=auth)
    assert json.loads(body)["value"] == 0.7

    # a local API key works without any Athom call
    key = home.create_api_key("button")
    r, body = h(home.local_secure_url, "GET", api + "devices/device/" + lamp["id"],
                headers={"Authorization": "Bearer " + key})
    assert r.status == 200

    # logic webhook: no auth
    r, _ = h(sim.webhook_url, "GET", "/%s/pressed?tag=%s" % (home.id, "double%20click"))
    assert r.status == 200 and sim.webhooks == [(home.id, "pressed", "double click")]


def test_login_with_two_factor(make_sim):
    sim = make_sim(otp="246810")
    h = Https(sim)
    try:
        r, body = login(sim, h)
        assert (r.status, json.loads(body)["error"]) == (401, "otp_required")
        r, body = login(sim, h, otp="111111")
        assert (r.status, json.loads(body)["error"]) == (401, "invalid_otp")
        r, body = login(sim, h, otp="246810")
        assert r.status == 200 and json.loads(body)["token"].count(".") == 2
    finally:
        h.close()


def test_login_errors(sim, https):
    def post(body, ctype=FORM):
        r, b = https(sim.accounts_url, "POST", "/login", body, {"Content-Type": ctype})
        return r.status, json.loads(b)

    st, err = post(urlencode({"email": sim.email, "password": "nope", "otptoken": ""}))
    assert (st, err["error"], err["code"]) == (401, "invalid_credentials", 401)
    assert err["error_description"]
    # the password must survive form encoding: +, &, =, % and a non-ASCII letter
    assert set("+&=% ü") <= set(sim.password)
    # a client that forgets to percent-encode '%' and '&' gets a clear 400, or a 401
    st, err = post("email=%s&password=%s&otptoken=" % (sim.email, sim.password.replace(" ", "+")))
    assert st in (400, 401)
    st, err = post(json.dumps({"email": sim.email, "password": sim.password}), "application/json")
    assert (st, err["error"]) == (400, "invalid_request")
    # '+' means space in a form: sending the password's '+' raw turns it into a space
    raw = "email=%s&password=%s&otptoken=" % (sim.email.replace("@", "%40"),
                                              "p%40ss+w%26rd%3D100%25+%C3%BC")
    st, err = post(raw)
    assert st == 401
    good = urlencode({"email": sim.email, "password": sim.password, "otptoken": ""})
    assert post(good)[0] == 200


def test_cloud_errors(sim, https):
    def bearer(path, tok, method="GET"):
        headers = {"Authorization": "Bearer " + tok} if tok is not None else {}
        r, b = https(sim.api_url, method, path, b"{}" if method == "POST" else None, headers)
        return r.status, json.loads(b)

    for path, method in (("/user/me", "GET"), ("/delegation/token?audience=homey", "POST")):
        st, err = bearer(path, None, method)
        assert (st, err["error"]) == (401, "invalid_token")
        st, err = bearer(path, "0" * 40, method)
        assert (st, err["error"]) == (401, "invalid_token")

    from homeysim import probe
    tok = probe.tokens_for(sim)
    assert bearer("/user/me", tok["access_token"])[0] == 200
    sim.advance(3661)
    st, err = bearer("/user/me", tok["access_token"])
    assert (st, err["error"]) == (401, "invalid_token") and "expired" in err["error_description"]

    st, err = token(sim, https, {"grant_type": "authorization_code", "code": "f" * 40})
    assert (st, err["error"]) == (400, "invalid_grant")
    st, err = token(sim, https, {"grant_type": "password"})
    assert (st, err["error"]) == (400, "unsupported_grant_type")
    r, b = https(sim.api_url, "POST", "/oauth2/token",
                 urlencode({"grant_type": "authorization_code", "code": "x",
                            "client_id": sim.client_id, "client_secret": "wrong"}),
                 {"Content-Type": FORM})
    assert (r.status, json.loads(b)["error"]) == (401, "invalid_client")
    bad = base64.b64encode(b"someone:else").decode()
    r, b = https(sim.api_url, "POST", "/oauth2/token",
                 urlencode({"grant_type": "authorization_code", "code": "x"}),
                 {"Content-Type": FORM, "Authorization": "Basic " + bad})
    assert (r.status, json.loads(b)["error"]) == (401, "invalid_client")
