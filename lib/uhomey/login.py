# The Athom password login, steps 1-4 of shared/protocol.md. Imported only
# when there is no usable refresh token, so a normal boot never compiles it;
# its helpers (oauth.py, jwt.py) are small modules of their own so each
# compiles in a small heap.
from . import log
from .compat import collect, ticks_diff, unload
from .errors import AuthError, ProtocolError, fault
from .form import quote, urlencode
from .http import origin_of

_FORM = (("Content-Type", "application/x-www-form-urlencoded"),)
_HTML = (("Accept", "text/html,application/json"),)
_REDIRECT = (301, 302, 303, 307, 308)
# Statements here nest little: each level of nesting is heap when the module compiles.


def login(a):
    """A password login (steps 1-4 of shared/protocol.md), the code exchanged at once and the
    tokens kept. Runs from auth.renew with nothing of the cloud layer loaded, and compiles
    grant.py only after the consent step: that step is the heap's peak."""
    now = a.clock()
    if a.login_refused is not None and ticks_diff(now, a.login_refused[0]) < 900000:
        raise a.login_refused[1]  # no second try with a password Athom just refused (15 min)
    try:
        code, hid = password_login(a.http, a.cfg)
        unload("oauth")
        collect()
        from .grant import keep, token_request

        code = (("grant_type", "authorization_code"), ("code", code))
        data = token_request(a, code, "exchanging the login code")
    except AuthError as e:
        if e.status in (400, 401, 403) and e.code != "invalid_grant":  # an expired code is no refusal
            a.login_refused = (now, e)
        raise
    finally:
        unload("oauth jwt consent form")  # discovery comes next: give it their heap
        collect()
    more = {}
    if hid and hid != a.store.get("homey_id"):
        more = {"homey_id": hid, "homey_url": None, "homey_session": None, "names": None, "flows": None,
                "vars": None}
    keep(a, data, **more)
    log.info("logged in to Athom")


def password_login(http, cfg):
    """Steps 1-4: returns (login code, homey id). Raises AuthError with what to fix."""
    athom = cfg["athom"]
    if not athom["email"] or not athom["password"]:
        raise fault(AuthError, 52)  # no usable stored login and no athom.email/athom.password in the...
    accounts = athom["accounts_url"]
    log.info("logging in to Athom as the configured account")
    body = [("email", athom["email"]), ("password", athom["password"]), ("otptoken", athom["otp"])]
    body = urlencode(body)
    r = http.request("POST", accounts + "/login", headers=_FORM, body=body)
    if r.status != 200:
        from .fail import login_refused

        login_refused(r)
    data = r.json()
    from .oauth import CookieJar, code_from
    from .jwt import choose_homey, jwt_homey

    token = data.get("token") if isinstance(data, dict) else None
    if not isinstance(token, str) or token.count(".") != 2:
        raise fault(ProtocolError, 53)  # the Athom login answered without a token; try again later
    jwt_id = jwt_homey(token)
    query = quote(athom["client_id"])
    body = quote(athom["redirect_uri"])
    token = quote(token)
    query = "client_id=%s&redirect_uri=%s&response_type=code&user_token=%s" % (query, body, token)
    data = token = body = None  # the query holds the token now; a small heap has room for one copy
    collect()
    jar = CookieJar()
    r = http.request("GET", accounts + "/oauth2/authorise?" + query, headers=_HTML)
    jar.update(r)
    if r.status in _REDIRECT:
        log.info("consent given before; skipping the consent page")
        code = code_from(r, athom)
        homey_id = cfg["homey"]["id"] or jwt_id
    elif r.status == 200:
        from .consent import consent_inputs

        csrf, offered = consent_inputs(r)
        if not csrf:
            raise fault(ProtocolError, 54)  # the consent page has no _csrf field; Athom may have changed it...
        homey_id = choose_homey(offered, cfg["homey"]["id"], jwt_id)
        offered = choose_homey = jwt_homey = consent_inputs = None
        unload("consent jwt")  # done with: the approve step runs on their heap
        collect()
        log.info("approving access to Homey %s", homey_id)
        headers = list(_FORM)
        cookie = jar.header()
        if cookie:
            headers.append(("Cookie", cookie))
        body = "resource.homey." + homey_id
        body = urlencode([("resource", body), ("_csrf", csrf), ("allow", "Allow")])
        r = http.request("POST", accounts + "/authorise?" + query, headers=headers, body=body)
        if r.status not in _REDIRECT:
            _raise(r, "approving the consent page")
        code = code_from(r, athom)
    else:
        _raise(r, "opening the consent page (check athom.client_id and athom.redirect_uri)")
    http.close(origin_of(accounts))
    return code, homey_id


def _raise(r, what):
    from .fail import raise_for

    raise_for(r, what)
