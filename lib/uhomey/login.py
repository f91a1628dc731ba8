# The Athom password login, steps 1-3 of docs/protocol.md: the password form,
# the consent page (consent.py), the approve step, and the code in the redirect
# (athom.py exchanges it for tokens, step 4). It runs only when there is no
# usable refresh token, once in a device's life if all goes well:
# auth.Cloud.login loads it with consent.py for that and drops them again
# before athom.py exchanges the code.
from . import log
from .compat import const, ticks_diff
from .consent import CookieJar, choose_homey, code_from, consent_inputs, jwt_homey
from .errors import AuthError, ProtocolError, login_error, status_error
from .form import quote, urlencode
from .http import origin_of

_REFUSED_PAUSE_MS = const(900000)  # no second try with a password Athom just refused: 15 min
_FORM = (("Content-Type", "application/x-www-form-urlencoded"),)
_HTML = (("Accept", "text/html,application/json"),)
_REDIRECT = (301, 302, 303, 307, 308)


def login(a):
    """Steps 1-3 for the Cloud session `a` (auth.Cloud.login): (login code, homey id). A password
    Athom refused is not sent again for _REFUSED_PAUSE_MS (athom.exchange_code keeps that
    record for the code's exchange)."""
    now = a.clock()
    if a.login_refused is not None and ticks_diff(now, a.login_refused[0]) < _REFUSED_PAUSE_MS:
        raise a.login_refused[1]
    if a.athom["api_url"].startswith("https:"):
        a.http.context()  # the TLS context's blocks first, while the heap is still whole
    try:
        return password_login(a.http, a.cfg)
    except AuthError as e:
        if e.status in (400, 401, 403):
            a.login_refused = (now, e)
        raise


def password_login(http, cfg):
    """Steps 1-3: returns (login code, homey id). Raises AuthError with what to fix."""
    athom = cfg["athom"]
    if not athom["email"] or not athom["password"]:
        raise AuthError.of("no_login_in_config")
    accounts = athom["accounts_url"]
    token = _password_form(http, athom)
    jwt_id = jwt_homey(token)
    query = "client_id=%s&redirect_uri=%s&response_type=code&user_token=%s" % (
        quote(athom["client_id"]), quote(athom["redirect_uri"]), quote(token))
    token = None  # the query holds it now: one copy of a 1 KB token is enough
    jar = CookieJar()
    r = http.request("GET", accounts + "/oauth2/authorise?" + query, headers=_HTML)
    jar.update(r)
    if r.status in _REDIRECT:
        log.info("consent given before; skipping the consent page")
        code = code_from(r, athom)
        homey_id = cfg["homey"]["id"] or jwt_id
    elif r.status == 200:
        csrf, offered = consent_inputs(r)
        if not csrf:
            raise ProtocolError.of("consent_no_csrf")
        homey_id = choose_homey(offered, cfg["homey"]["id"], jwt_id)
        code = _approve(http, accounts, query, jar, csrf, homey_id, athom)
    else:
        raise status_error(r, "opening the consent page (check athom.client_id and athom.redirect_uri)")
    http.close(origin_of(accounts))
    return code, homey_id


def _password_form(http, athom):
    """Step 1: POST /login with the email, password and 2FA code; returns the login JWT."""
    log.info("logging in to Athom as the configured account")
    body = urlencode([("email", athom["email"]), ("password", athom["password"]), ("otptoken", athom["otp"])])
    r = http.request("POST", athom["accounts_url"] + "/login", headers=_FORM, body=body)
    if r.status != 200:
        raise login_error(r)
    data = r.json()
    token = data.get("token") if isinstance(data, dict) else None
    if not isinstance(token, str) or token.count(".") != 2:
        raise ProtocolError.of("login_without_token")
    return token


def _approve(http, accounts, query, jar, csrf, homey_id, athom):
    """Step 3b: approve access to the chosen Homey, with the page's _csrf and cookies; the code."""
    log.info("approving access to Homey %s", homey_id)
    headers = list(_FORM)
    cookie = jar.header()
    if cookie:
        headers.append(("Cookie", cookie))
    body = urlencode([("resource", "resource.homey." + homey_id), ("_csrf", csrf), ("allow", "Allow")])
    r = http.request("POST", accounts + "/authorise?" + query, headers=headers, body=body)
    if r.status not in _REDIRECT:
        raise status_error(r, "approving the consent page")
    return code_from(r, athom)
