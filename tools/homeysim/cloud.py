"""api.athom.com (role "api", protocol.md steps 4-7) and the logic-webhook host
(role "webhook")."""
import base64
import binascii
import secrets
from urllib.parse import unquote

from .wire import json_error, json_response

ACCESS_LIFETIME = 3660
DELEGATION_LIFETIME = 3600


class Cloud:
    def __init__(self, sim):
        self.sim = sim

    def handle(self, listener, req):
        p, m = req.path, req.method
        if p == "/oauth2/token":
            return self.token(req) if m == "POST" else _method(m)
        if p == "/user/me":
            return self.user_me(req) if m == "GET" else _method(m)
        if p == "/delegation/token":
            return self.delegation(req) if m == "POST" else _method(m)
        return json_error(404, "not_found", "No such endpoint: %s %s" % (m, p))

    # ---- steps 4 and 5 -----------------------------------------------------------

    def token(self, req):
        sim = self.sim
        if req.content_type() != "application/x-www-form-urlencoded":
            return json_error(400, "invalid_request", "Expected an application/x-www-form-urlencoded body")
        try:
            form = req.form()
        except ValueError as e:
            return json_error(400, "invalid_request", "Malformed form body: %s" % e)
        client, err = self._client(req, form)
        if err:
            return err
        grant = form.get("grant_type")
        with sim.lock:
            if grant == "authorization_code":
                c = sim.codes.get(form.get("code", ""))
                if c is None or c["used"] or c["client_id"] != client:
                    return json_error(400, "invalid_grant", "Invalid or already used authorization code")
                c["used"] = True  # single use, even when it turns out to be expired
                if c["expires"] <= sim.now():
                    return json_error(400, "invalid_grant", "Authorization code expired")
                if "redirect_uri" in form and form["redirect_uri"] != sim.redirect_uri:
                    return json_error(400, "invalid_grant", "redirect_uri does not match")
                return json_response(self._issue(c["user"], client, c["homey"]),
                                     headers=[("Cache-Control", "no-store")])
            if grant == "refresh_token":
                r = sim.refresh_tokens.get(form.get("refresh_token", ""))
                if r is None or r["client_id"] != client:
                    return json_error(400, "invalid_grant", "Invalid refresh token")
                if r["revoked"]:
                    return json_error(400, "invalid_grant", "Refresh token revoked")
                if r["rotated"]:
                    return json_error(400, "invalid_grant", "Refresh token already used (rotated)")
                r["rotated"] = True
                return json_response(self._issue(r["user"], client, r["homey"]),
                                     headers=[("Cache-Control", "no-store")])
        return json_error(400, "unsupported_grant_type", "grant_type %r is not supported" % grant)

    def _client(self, req, form):
        """Client auth by form fields or HTTP Basic, never both. -> (client_id, error)."""
        sim = self.sim
        auth = req.header("authorization") or ""
        scheme, _, cred = auth.partition(" ")
        basic = None
        if scheme.lower() == "basic":
            try:
                basic = base64.b64decode(cred.strip(), validate=True).decode("utf-8").split(":", 1)
            except (binascii.Error, UnicodeDecodeError):
                return None, json_error(400, "invalid_request", "Malformed Basic authorization header")
            if len(basic) != 2:
                return None, json_error(400, "invalid_request", "Basic credentials need id:secret")
            if "client_secret" in form:
                return None, json_error(400, "invalid_request",
                                        "Client authenticated twice (Basic header and client_secret): use one")
            cid, secret = (unquote(x) for x in basic)
            if "client_id" in form and form["client_id"] != cid:
                return None, json_error(400, "invalid_request", "client_id differs from the Basic header")
        else:
            cid, secret = form.get("client_id"), form.get("client_secret")
        if cid != sim.client_id or secret != sim.client_secret:
            return None, json_error(401, "invalid_client", "Unknown client or wrong client secret")
        return cid, None

    def _issue(self, user, client, homey):
        sim = self.sim
        access, refresh = secrets.token_hex(20), secrets.token_hex(20)
        sim.access_tokens[access] = {"user": user, "client_id": client, "homey": homey,
                                     "expires": sim.now() + ACCESS_LIFETIME}
        sim.refresh_tokens[refresh] = {"user": user, "client_id": client, "homey": homey,
                                       "revoked": False, "rotated": False}
        return {"access_token": access, "expires_in": ACCESS_LIFETIME, "refresh_token": refresh,
                "token_type": "bearer"}

    # ---- steps 6 and 7 -----------------------------------------------------------

    def _bearer(self, req):
        """-> (token record, error response)."""
        sim = self.sim
        auth = req.header("authorization") or ""
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None, json_error(401, "invalid_token", "Missing bearer access token")
        with sim.lock:
            t = sim.access_tokens.get(token.strip())
            if t is None:
                return None, json_error(401, "invalid_token", "Invalid access token")
            if t["expires"] <= sim.now():
                return None, json_error(401, "invalid_token", "The access token has expired")
        return t, None

    def user_me(self, req):
        t, err = self._bearer(req)
        if err:
            return err
        sim = self.sim
        first, _, last = sim.full_name.partition(" ")
        return json_response({
            "_id": sim.user_id, "id": sim.user_id, "firstname": first, "lastname": last,
            "fullname": sim.full_name, "email": sim.email, "emailVerified": True,
            "avatar": {"small": None, "medium": None, "large": None}, "roles": ["user"],
            "properties": {"locale": "en", "newsletter": False}, "language": "en",
            "createdAt": "2019-03-14T15:09:26.535Z", "hasTwoFactorAuthentication": bool(sim.otp),
            "homeys": [h.user_json() for h in sim.homeys],
            "devices": [], "appsDeveloper": [],
        })

    def delegation(self, req):
        t, err = self._bearer(req)
        if err:
            return err
        sim = self.sim
        if req.query.get("audience") != "homey":
            return json_error(400, "invalid_request", "audience must be homey")
        now = int(sim.now())
        jwt = sim.signer.sign({"sub": t["user"], "aud": "homey", "typ": "delegation",
                               "homeys": [h.id for h in sim.homeys], "iat": now,
                               "exp": now + DELEGATION_LIFETIME})
        return json_response(jwt)


class Webhooks:
    """webhook.homey.app: GET or POST /<homeyId>/<event>?tag=<value>, no auth."""

    def __init__(self, sim):
        self.sim = sim

    def handle(self, listener, req):
        parts = req.path.strip("/").split("/")
        if req.method not in ("GET", "POST") or len(parts) != 2:
            return json_error(404, "not_found", "Expected /<homeyId>/<event>")
        homey_id, event = unquote(parts[0]), unquote(parts[1])
        if homey_id not in [h.id for h in self.sim.homeys]:
            return json_error(404, "not_found", "Unknown Homey %s" % homey_id)
        with self.sim.lock:
            self.sim.webhooks.append((homey_id, event, req.query.get("tag")))
        return json_response({"ok": True})


def _method(m):
    return json_error(405, "method_not_allowed", "%s is not allowed here" % m)
