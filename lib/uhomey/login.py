# The Athom password login, steps 1-4 of shared/protocol.md. Imported only
# when there is no usable refresh token, so a normal boot never compiles it.
from . import log
from .errors import AuthError, ProtocolError
from .form import b64url_decode, parse_qs, query_get, quote, urlencode
from .http import CookieJar, origin_of, raise_for

MAX_PAGE = 65536
_FORM = ("Content-Type", "application/x-www-form-urlencoded")


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


def _entities(s):
    if "&" not in s:
        return s
    for a, b in (("&quot;", '"'), ("&#39;", "'"), ("&#x27;", "'"), ("&lt;", "<"), ("&gt;", ">"),
                 ("&#x2F;", "/"), ("&#47;", "/"), ("&amp;", "&")):
        s = s.replace(a, b)
    return s


def parse_attrs(tag):
    """Attributes of one HTML tag (str) as a dict; any order, any quote style."""
    attrs = {}
    n = len(tag)
    i = tag.find(" ") if " " in tag else n
    for ws in "\t\r\n":
        j = tag.find(ws)
        if 0 <= j < i:
            i = j
    while i < n:
        while i < n and tag[i] in " \t\r\n/>":
            i += 1
        j = i
        while j < n and tag[j] not in " \t\r\n=/>":
            j += 1
        name = tag[i:j].lower()
        if not name:
            break
        i = j
        while i < n and tag[i] in " \t\r\n":
            i += 1
        value = ""
        if i < n and tag[i] == "=":
            i += 1
            while i < n and tag[i] in " \t\r\n":
                i += 1
            if i < n and tag[i] in "\"'":
                q = tag[i]
                j = tag.find(q, i + 1)
                if j < 0:
                    j = n
                value = tag[i + 1:j]
                i = j + 1
            else:
                j = i
                while j < n and tag[j] not in " \t\r\n>":
                    j += 1
                value = tag[i:j]
                i = j
        attrs[name] = _entities(value)
    return attrs


def _tag_end(data, i):
    """Index of the '>' closing the tag that starts at i, skipping quoted values; -1 if not yet."""
    q = 0
    n = len(data)
    while i < n:
        c = data[i]
        if q:
            if c == q:
                q = 0
        elif c == 34 or c == 39:
            q = c
        elif c == 62:
            return i
        i += 1
    return -1


def consent_inputs(resp):
    """(csrf, [resource values]) from the consent page, streamed one buffer at a time."""
    csrf = None
    resources = []
    carry = b""
    total = 0
    chunk = bytearray(512)
    mv = memoryview(chunk)
    while True:
        n = resp.readinto(mv)
        if not n:
            break
        total += n
        if total > MAX_PAGE:
            resp.close()
            raise ProtocolError("the consent page is larger than %d bytes; is this really accounts.athom.com?"
                                % MAX_PAGE)
        data = carry + bytes(mv[:n])
        low = data.lower()
        i = 0
        carry = b""
        while True:
            j = low.find(b"<input", i)
            if j < 0:
                carry = data[max(i, len(data) - 6):]
                break
            k = _tag_end(data, j)
            if k < 0:
                carry = data[j:]
                if len(carry) > 4096:
                    carry = b""
                break
            a = parse_attrs(data[j:k].decode())
            name = a.get("name")
            if name == "_csrf" and a.get("value"):
                csrf = a["value"]
            elif name == "resource" and a.get("value", "").startswith("resource.homey."):
                resources.append(a["value"])
            i = k + 1
    return csrf, resources


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
    if r.status in (301, 302, 303, 307, 308):
        log.info("consent given before; skipping the consent page")
        code = code_from(r, athom)
        homey_id = cfg["homey"]["id"] or jwt_homey(token)
    elif r.status == 200:
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
        if r.status not in (301, 302, 303, 307, 308):
            raise_for(r, "approving the consent page")
        code = code_from(r, athom)
    else:
        raise_for(r, "opening the consent page (check athom.client_id and athom.redirect_uri)")
    http.close(origin_of(accounts))
    tokens = token_request(
        (("grant_type", "authorization_code"), ("code", code)),
        "exchanging the login code")
    return tokens, homey_id


def _login_failed(r):
    from .http import error_text

    if r.status in (400, 401, 403):
        text, code = error_text(r)
        if code == "otp_required":
            raise AuthError("this Athom account uses two-factor authentication: put the current 6-digit "
                            "code in athom.otp and try within 30 s", r.status, None, code)
        if code in ("invalid_otp", "invalid_otptoken"):
            raise AuthError("the 2FA code in athom.otp was wrong or has expired: put a fresh one in",
                            r.status, None, code)
        raise AuthError("Athom refused the email or password (%s): check athom.email and athom.password"
                        % (text or "HTTP %d" % r.status), r.status, None, code)
    raise_for(r, "logging in to Athom")
