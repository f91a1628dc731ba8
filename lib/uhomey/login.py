# The Athom password login, steps 1-4 of shared/protocol.md. Imported only
# when there is no usable refresh token, so a normal boot never compiles it.
from . import log
from .errors import AuthError, ProtocolError
from .form import b64url_decode, parse_qs, query_get, quote, urlencode
from .http import origin_of

_FORM = ("Content-Type", "application/x-www-form-urlencoded")
_REDIRECT = (301, 302, 303, 307, 308)


class CookieJar:
    """Cookies of the accounts host, replayed as they came (the approve step needs `_csrf`)."""

    def __init__(self):
        self.items = []

    def update(self, resp):
        for k, line in resp.headers:
            if k.lower() != "set-cookie":
                continue
            i = line.find(";")
            pair = line if i < 0 else line[:i]
            j = pair.find("=")
            if j <= 0:
                continue
            name = pair[:j].strip()
            value = pair[j + 1:].strip()
            self.items = [kv for kv in self.items if kv[0] != name]
            if value and "max-age=0" not in line[i:].lower().replace(" ", ""):
                self.items.append((name, value))

    def header(self):
        return "; ".join("%s=%s" % kv for kv in self.items)


def jwt_homey(token):
    """The Homey id a login JWT names (payload `homey`, `homeyId` or `homeys`), or None."""
    import json

    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(b64url_decode(parts[1]))
    except (ValueError, TypeError):
        return None
    if not isinstance(payload, dict):
        return None
    for key in ("homey", "homeyId", "homeys"):
        v = payload.get(key)
        if isinstance(v, list):
            v = v[0] if v else None
        if isinstance(v, dict):
            v = v.get("id") or v.get("_id")
        if isinstance(v, str) and v:
            return v
    return None


def choose_homey(offered, wanted, jwt_id):
    """The Homey to approve: config homey.id, else the JWT's if offered, else the only one."""
    ids = [r[len("resource.homey."):] for r in offered]
    if wanted:
        if wanted in ids:
            return wanted
        raise AuthError("homey.id %s is not offered on the consent page; this account offers: %s"
                        % (wanted, ", ".join(ids) or "none"))
    if jwt_id and jwt_id in ids:
        return jwt_id
    if len(ids) == 1:
        return ids[0]
    if not ids:
        raise AuthError("the consent page offered no Homey: does this Athom account have one?")
    raise AuthError("this account has several Homeys (%s): set homey.id in the config to the one to use"
                    % ", ".join(ids))


def code_from(resp, athom):
    """The code from a 302's Location (which is never followed: nothing listens at redirect_uri)."""
    loc = resp.header("location")
    resp.close()
    if not loc:
        raise ProtocolError("the consent step answered 302 without a Location; try again")
    i = loc.find("?")
    q = parse_qs(loc[i + 1:] if i >= 0 else "")
    code = query_get(q, "code")
    if not code:
        err = query_get(q, "error_description") or query_get(q, "error")
        if err:
            raise AuthError("the consent step was refused: %s" % err[:120])
        raise ProtocolError("the consent step redirected without a code; check athom.redirect_uri")
    return code


def password_login(http, cfg, token_request):
    """Steps 1-4: returns (token answer dict, homey id). Raises AuthError with what to fix."""
    athom = cfg["athom"]
    if not athom["email"] or not athom["password"]:
        raise AuthError(
            "no usable stored login and no athom.email/athom.password in the config: add them "
            "(and athom.otp for 2FA accounts) and call uhomey.connect() again"
        )
    accounts = athom["accounts_url"]
    log.info("logging in to Athom as the configured account")
    r = http.request("POST", accounts + "/login", headers=(_FORM,), body=urlencode(
        (("email", athom["email"]), ("password", athom["password"]), ("otptoken", athom["otp"]))))
    if r.status != 200:
        _login_failed(r)
    data = r.json()
    token = data.get("token") if isinstance(data, dict) else None
    if not isinstance(token, str) or token.count(".") != 2:
        raise ProtocolError("the Athom login answered without a token; try again later")

    query = "client_id=%s&redirect_uri=%s&response_type=code&user_token=%s" % (
        quote(athom["client_id"]), quote(athom["redirect_uri"]), quote(token))
    jar = CookieJar()
    r = http.request("GET", accounts + "/oauth2/authorise?" + query,
                     headers=(("Accept", "text/html,application/json"),))
    jar.update(r)
    if r.status in _REDIRECT:
        log.info("consent given before; skipping the consent page")
        code = code_from(r, athom)
        homey_id = cfg["homey"]["id"] or jwt_homey(token)
    elif r.status == 200:
        from .consent import consent_inputs

        csrf, offered = consent_inputs(r)
        if not csrf:
            raise ProtocolError("the consent page has no _csrf field; Athom may have changed it - "
                                "report this to uhomey with the page saved from a browser")
        homey_id = choose_homey(offered, cfg["homey"]["id"], jwt_homey(token))
        log.info("approving access to Homey %s", homey_id)
        headers = [_FORM]
        cookie = jar.header()
        if cookie:
            headers.append(("Cookie", cookie))
        r = http.request("POST", accounts + "/authorise?" + query, headers=headers, body=urlencode(
            (("resource", "resource.homey." + homey_id), ("_csrf", csrf), ("allow", "Allow"))))
        if r.status not in _REDIRECT:
            _raise(r, "approving the consent page")
        code = code_from(r, athom)
    else:
        _raise(r, "opening the consent page (check athom.client_id and athom.redirect_uri)")
    http.close(origin_of(accounts))
    tokens = token_request(
        (("grant_type", "authorization_code"), ("code", code)),
        "exchanging the login code")
    return tokens, homey_id


def _login_failed(r):
    if r.status in (400, 401, 403):
        from .fail import reason

        text, code = reason(r)
        if code == "otp_required":
            raise AuthError("this Athom account uses two-factor authentication: put the current 6-digit "
                            "code in athom.otp and try within 30 s", r.status, None, code)
        if code in ("invalid_otp", "invalid_otptoken"):
            raise AuthError("the 2FA code in athom.otp was wrong or has expired: put a fresh one in",
                            r.status, None, code)
        raise AuthError("Athom refused the email or password (%s): check athom.email and athom.password"
                        % (text or "HTTP %d" % r.status), r.status, None, code)
    _raise(r, "logging in to Athom")


def _raise(r, what):
    from .fail import raise_for

    raise_for(r, what)
