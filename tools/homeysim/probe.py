"""Test helpers: a raw HTTP/1.1 client that shows the bytes (chunk sizes,
header spelling, how a body ends), and a reference walk of the protocol with
http.client for tests that need tokens or a Homey session quickly.

For tests of the simulator and of things around the client; the client in
lib/ must not use this (it is the other side).
"""
import base64
import http.client
import json
import re
import socket
import ssl
from urllib.parse import parse_qs, urlencode, urlsplit


class ProbeError(Exception):
    pass


class RawResponse:
    def __init__(self, status, headers, body, chunks, head_raw):
        self.status = status
        self.headers = headers      # [(name, value)] as sent
        self.body = body
        self.chunks = chunks        # chunk sizes when chunked, else None
        self.head_raw = head_raw

    def header(self, name, default=None):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return default

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def json(self):
        return json.loads(self.body.decode("utf-8"))


def ssl_context(sim):
    return ssl.create_default_context(cafile=sim.ca_pem_path)


class RawClient:
    """One connection to a base URL; requests go out in one write."""

    def __init__(self, base, ca_pem=None, timeout=5.0):
        u = urlsplit(base)
        self.host, self.port = u.hostname, u.port
        raw = socket.create_connection((self.host, self.port), timeout=timeout)
        if u.scheme == "https":
            ctx = ssl.create_default_context(cafile=ca_pem)
            raw = ctx.wrap_socket(raw, server_hostname=self.host)
        self.sock = raw
        self.buf = bytearray()
        self.local_port = raw.getsockname()[1]

    def send(self, method, path, headers=(), body=b""):
        lines = ["%s %s HTTP/1.1" % (method, path), "Host: %s:%d" % (self.host, self.port)]
        lines += ["%s: %s" % kv for kv in headers]
        if body or method in ("POST", "PUT"):
            lines.append("Content-Length: %d" % len(body))
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)

    def request(self, method, path, headers=(), body=b""):
        self.send(method, path, headers, body)
        return self.read_response()

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise ProbeError("connection closed by the server")
        self.buf += data

    def _take(self, n):
        while len(self.buf) < n:
            try:
                self._fill()
            except ProbeError:
                raise ProbeError("body cut short: closed after %d of %d bytes" % (len(self.buf), n)) from None
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        i = self.buf.index(b"\r\n")
        out = bytes(self.buf[:i])
        del self.buf[:i + 2]
        return out

    def read_response(self):
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        i = self.buf.index(b"\r\n\r\n")
        head = bytes(self.buf[:i])
        del self.buf[:i + 4]
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = [tuple(x.strip() for x in ln.split(":", 1)) for ln in lines[1:]]
        resp = RawResponse(status, headers, b"", None, head)
        if (resp.header("transfer-encoding") or "").lower() == "chunked":
            resp.chunks, body = [], bytearray()
            while True:
                size = int(self._line().split(b";")[0], 16)
                if size == 0:
                    self._line()
                    break
                resp.chunks.append(size)
                body += self._take(size)
                if self._take(2) != b"\r\n":
                    raise ProbeError("chunk not followed by CRLF")
            resp.body = bytes(body)
        elif resp.header("content-length") is not None:
            resp.body = self._take(int(resp.header("content-length")))
        return resp

    def closed_by_peer(self, timeout=2.0):
        """True once the server has closed its side (EOF or reset)."""
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1) == b""
        except (ConnectionResetError, ssl.SSLError):
            return True
        except socket.timeout:
            return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# ---- a reference walk of protocol.md with http.client ---------------------------------

def connection(sim, base, timeout=5.0):
    u = urlsplit(base)
    if u.scheme == "https":
        return http.client.HTTPSConnection(u.hostname, u.port, timeout=timeout, context=ssl_context(sim))
    return http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)


def call(sim, base, method, path, body=None, headers=None, form=None, token=None):
    """One request on a fresh connection -> (status, headers message, body bytes)."""
    h = dict(headers or {})
    if form is not None:
        body = urlencode(form).encode()
        h.setdefault("Content-Type", "application/x-www-form-urlencoded")
    elif body is not None and not isinstance(body, bytes):
        body = json.dumps(body).encode()
        h.setdefault("Content-Type", "application/json")
    if token:
        h["Authorization"] = "Bearer " + token
    c = connection(sim, base)
    try:
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        return r.status, r.msg, r.read()
    finally:
        c.close()


def jwt_payload(token):
    seg = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4)))


def user_jwt(sim):
    st, _, body = call(sim, sim.accounts_url, "POST", "/login",
                       form={"email": sim.email, "password": sim.password, "otptoken": sim.otp or ""})
    assert st == 200, body
    return json.loads(body)["token"]


def authorise_query(sim, jwt):
    return urlencode({"client_id": sim.client_id, "redirect_uri": sim.redirect_uri,
                      "response_type": "code", "user_token": jwt})


def code_for(sim, homey=None):
    """Steps 1-3 -> an authorization code for Homey index `homey` (default: the JWT's)."""
    jwt = user_jwt(sim)
    q = authorise_query(sim, jwt)
    st, msg, body = call(sim, sim.accounts_url, "GET", "/oauth2/authorise?" + q)
    if st == 302:
        return parse_qs(urlsplit(msg["Location"]).query)["code"][0]
    assert st == 200, body
    html = body.decode()
    csrf = re.search(r'name=["\']?_csrf["\']?[^>]*?value=["\']?([^"\'\s>]+)|'
                     r'value=["\']?([^"\'\s>]+)["\']?[^>]*?name=["\']?_csrf', html, re.I | re.S)
    cookies = "; ".join(c.split(";")[0] for c in msg.get_all("Set-Cookie"))
    hid = sim.homeys[sim.jwt_homey if homey is None else homey].id
    st, msg, body = call(sim, sim.accounts_url, "POST", "/authorise?" + q,
                         form={"resource": "resource.homey." + hid,
                               "_csrf": csrf.group(1) or csrf.group(2), "allow": "Allow"},
                         headers={"Cookie": cookies})
    assert st == 302, body
    return parse_qs(urlsplit(msg["Location"]).query)["code"][0]


def tokens_for(sim, homey=None):
    """Steps 1-4 -> the token JSON (access_token, refresh_token, ...)."""
    st, _, body = call(sim, sim.api_url, "POST", "/oauth2/token",
                       form={"grant_type": "authorization_code", "code": code_for(sim, homey),
                             "client_id": sim.client_id, "client_secret": sim.client_secret})
    assert st == 200, body
    return json.loads(body)


def homey_session(sim, homey=0, via="local"):
    """Steps 1-8 -> a Homey session token for Homey index `homey`."""
    access = tokens_for(sim)["access_token"]
    st, _, body = call(sim, sim.api_url, "POST", "/delegation/token?audience=homey", body={},
                       token=access)
    assert st == 200, body
    st, _, body = call(sim, sim.url(via, homey=homey), "POST", "/api/manager/users/login",
                       body={"token": json.loads(body)})
    assert st == 200, body
    return json.loads(body)
