"""accounts.athom.com (role "accounts"): password login, consent page, approve.

protocol.md steps 1-3. Codes minted here are redeemed by cloud.py, so they
live on the simulator (sim.codes) under its lock.
"""
import secrets
from urllib.parse import urlencode

from . import pages
from .tokens import b64url, csrf_ok, csrf_secret, csrf_token
from .wire import Response, html_response, json_error, json_response

USER_JWT_LIFETIME = 3600


class Accounts:
    def __init__(self, sim):
        self.sim = sim
        self.sessions = {}   # connect.sid value -> user id (the cookie the consent page sets)

    def handle(self, listener, req):
        p, m = req.path, req.method
        if p == "/login":
            return self.login(req) if m == "POST" else _html_error(405, "Method Not Allowed", "use POST")
        if p == "/oauth2/authorise" and m == "GET":
            return self.consent(req, listener)
        if p == "/authorise" and m == "POST":
            return self.approve(req)
        if p == "/" and m == "GET":
            return html_response(pages.LANDING)
        return _html_error(404, "Not Found", "No page at %s %s" % (m, p))

    # ---- step 1 ---------------------------------------------------------------

    def login(self, req):
        sim = self.sim
        if req.content_type() != "application/x-www-form-urlencoded":
            return json_error(400, "invalid_request",
                              "Expected an application/x-www-form-urlencoded body, got %r" % req.content_type())
        try:
            form = req.form()
        except ValueError as e:
            return json_error(400, "invalid_request", "Malformed form body: %s" % e)
        email, password = form.get("email", ""), form.get("password", "")
        otp = form.get("otptoken", "")
        if email.strip().lower() != sim.email.lower() or password != sim.password:
            return json_error(401, "invalid_credentials", "Invalid e-mail address or password")
        if sim.otp:
            if not otp:
                return json_error(401, "otp_required", "This account has two-factor authentication: "
                                  "send the 6-digit code in otptoken")
            if otp != sim.otp:
                return json_error(401, "invalid_otp", "The two-factor code is not correct")
        return json_response({"token": self.user_jwt()})

    def user_jwt(self):
        sim = self.sim
        now = int(sim.now())
        homey_id = sim.homeys[sim.jwt_homey].id
        payload = {"sub": sim.user_id, "email": sim.email, "typ": "user", "iat": now,
                   "exp": now + USER_JWT_LIFETIME}
        key = sim.jwt_homey_key
        payload[key] = [homey_id] if key == "homeys" else homey_id
        return sim.signer.sign(payload)

    def _user_from(self, req):
        p = self.sim.signer.verify(req.query.get("user_token"), self.sim.now())
        if p and p.get("typ") == "user" and p.get("sub") == self.sim.user_id:
            return p["sub"]
        return None

    def _check_client(self, req):
        sim = self.sim
        q = req.query
        if q.get("client_id") != sim.client_id:
            return _html_error(400, "Invalid client", "Unknown client_id %r" % q.get("client_id"))
        if q.get("redirect_uri") != sim.redirect_uri:
            return _html_error(400, "Invalid redirect_uri",
                               "redirect_uri %r is not registered for this client" % q.get("redirect_uri"))
        return None

    # ---- step 2 ---------------------------------------------------------------

    def consent(self, req, listener):
        sim = self.sim
        bad = self._check_client(req)
        if bad:
            return bad
        if req.query.get("response_type") != "code":
            return _html_error(400, "Invalid request", "response_type must be code")
        user = self._user_from(req)
        if user is None:
            return _html_error(400, "Invalid user token", "user_token is missing, invalid or expired")
        with sim.lock:
            approved = sim.approvals.get(sim.client_id)
        if approved:
            return self._redirect(self.new_code(approved), extra=False)

        sid = secrets.token_hex(16)
        with sim.lock:
            self.sessions[sid] = user
        secret = csrf_secret()
        secure = "; Secure" if listener.tls else ""
        cookies = [
            ("Set-Cookie", "connect.sid=s%%3A%s.%s; Path=/; HttpOnly%s; SameSite=Lax"
             % (sid, b64url(secrets.token_bytes(24)), secure)),
            ("Set-Cookie", "_csrf=%s; Path=/; HttpOnly%s" % (secret, secure)),
            ("Set-Cookie", "locale=en; Path=/; Max-Age=31536000"),
        ]
        homeys = [(h.id, h.name) for h in sim.homeys]
        html = pages.consent_page(sim.consent_variant, sim.client_name, sim.email,
                                  "/authorise?" + req.raw_query, csrf_token(secret), homeys)
        return Response(200, html.encode("utf-8"), ctype="text/html; charset=utf-8",
                        headers=cookies + [("Cache-Control", "no-store")], chunked=True)

    # ---- step 3 ---------------------------------------------------------------

    def approve(self, req):
        sim = self.sim
        bad = self._check_client(req)
        if bad:
            return bad
        if req.content_type() != "application/x-www-form-urlencoded":
            return _html_error(400, "Bad Request", "Expected a form body")
        try:
            form = req.form()
        except ValueError as e:
            return _html_error(400, "Bad Request", "Malformed form body: %s" % e)
        cookies = req.cookies()
        if not csrf_ok(cookies.get("_csrf"), form.get("_csrf")):
            return _html_error(403, "Forbidden", "invalid csrf token")
        user = self._user_from(req)
        if user is None:
            with sim.lock:
                user = self.sessions.get(cookies.get("connect.sid", "")[4:].split(".")[0])
        if user is None:
            return _html_error(400, "Invalid user token", "Not logged in: no valid user_token or session")
        if "deny" in form and "allow" not in form:
            return self._redirect(None, error="access_denied")
        resource = form.get("resource", "")
        homey_id = resource[len("resource.homey."):] if resource.startswith("resource.homey.") else None
        if homey_id not in [h.id for h in sim.homeys]:
            return _html_error(400, "Invalid resource",
                               "resource %r is not one of your Homeys" % resource)
        if sim.remember_consent:
            with sim.lock:
                sim.approvals[sim.client_id] = homey_id
        return self._redirect(self.new_code(homey_id), extra=True)

    def new_code(self, homey_id):
        sim = self.sim
        code = secrets.token_hex(20)
        with sim.lock:
            sim.codes[code] = {"client_id": sim.client_id, "homey": homey_id, "user": sim.user_id,
                               "expires": sim.now() + sim.code_lifetime, "used": False}
        return code

    def _redirect(self, code, extra=False, error=None):
        base = self.sim.redirect_uri
        params = [("error", error)] if error else [("code", code)]
        params.append(("state", ""))
        if extra:
            params.append(("lang", "en"))
        location = base + ("&" if "?" in base else "?") + urlencode(params)
        return Response(302, pages.redirect_page(location).encode(), ctype="text/html; charset=utf-8",
                        headers=[("Location", location), ("Vary", "Accept")])


def _html_error(status, title, message):
    return html_response(pages.error_page(status, title, message), status)
