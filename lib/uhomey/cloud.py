# The Athom side of a Cloud login: access and refresh tokens, the password
# login when nothing else works, delegation, and the Homey session.
# Functions take the auth.Cloud object `a`, which holds the state.
from . import log
from .compat import ticks_add, ticks_diff, unload, wall_time
from .errors import AuthError, HTTPError, ProtocolError

LOGIN_BACKOFF_MS = 15 * 60 * 1000  # after a refused password, do not try it again for this long
EXPIRY_MARGIN_S = 60
_FORM = ("Content-Type", "application/x-www-form-urlencoded")
_JSON = ("Content-Type", "application/json")


def renew(a):
    """Delegation token from the cloud, then the Homey's login: a new Homey session."""
    token = call(a, "POST", "/delegation/token?audience=homey", "{}", "getting a delegation token").json(4096)
    if not isinstance(token, str):
        raise ProtocolError("the delegation token answer is not a JSON string; try again later")
    base = a.base()
    headers = [_JSON]
    if a.homey_id:
        headers.append(("X-Homey-ID", a.homey_id))
    import json

    r = a.http.request("POST", base + "/api/manager/users/login", json.dumps({"token": token}), headers)
    if r.status != 200:
        _raise(r, "starting a session on the Homey")
    session = r.json(1024)
    if not isinstance(session, str) or not session:
        raise ProtocolError("the Homey's login answer is not a session string; try again later")
    a.store.update(homey_session=session)
    from .http import origin_of

    a.http.close(origin_of(a.athom["api_url"]))  # the press path needs only the Homey's connection
    log.info("new Homey session")
    return session


def _raise(r, what):
    from . import fail

    fail.raise_for(r, what)


def call(a, method, path, body, step):
    """A call to the Athom API with the access token: on a 401, refresh once and retry once."""
    for attempt in (0, 1):
        headers = [("Authorization", "Bearer " + access(a))]
        if body is not None:
            headers.append(_JSON)
        r = a.http.request(method, a.athom["api_url"] + path, body, headers)
        if r.status == 401 and not attempt:
            r.close()
            log.info("%s: access token refused, refreshing", step)
            refresh(a)
            continue
        if r.status >= 400:
            _raise(r, step)
        return r


def access(a):
    tok = a.store.get("access_token")
    if not tok or _expired(a):
        refresh(a)
        tok = a.store.get("access_token")
    return tok


def _expired(a):
    if a.exp_tick is not None:
        return ticks_diff(a.exp_tick, a.clock()) <= 0
    exp = a.store.get("access_expires", 0)
    now = wall_time()
    return bool(exp and now and now >= exp)


def token_request(a, pairs, step):
    """POST /oauth2/token with the client authenticated one way only (HTTP Basic or form)."""
    from .form import basic_auth, urlencode

    at = a.athom
    pairs = list(pairs)
    headers = [_FORM]
    if at["client_auth"] == "basic":
        headers.append(("Authorization", basic_auth(at["client_id"], at["client_secret"])))
    else:
        pairs += [("client_id", at["client_id"]), ("client_secret", at["client_secret"])]
    r = a.http.request("POST", at["api_url"] + "/oauth2/token", urlencode(pairs), headers)
    if r.status != 200:
        from . import fail

        e = fail.status(r, step)
        if e.code == "invalid_client":
            e = AuthError("%s: Athom refused athom.client_id / athom.client_secret" % step, e.status, None, e.code)
        raise e
    data = r.json(4096)
    for key in ("access_token", "refresh_token"):
        if not isinstance(data, dict) or not isinstance(data.get(key), str) or not data[key]:
            raise ProtocolError("%s: the token answer has no %s" % (step, key))
    return data


def keep(a, data, **more):
    """Persist a token answer before anything uses it: the old refresh token is already dead."""
    life = data.get("expires_in")
    if not isinstance(life, int) or isinstance(life, bool) or life <= EXPIRY_MARGIN_S:
        life = 3600
    life -= EXPIRY_MARGIN_S
    now = wall_time()
    a.exp_tick = ticks_add(a.clock(), life * 1000)
    a.store.update(refresh_token=data["refresh_token"], access_token=data["access_token"],
                   access_expires=(now + life) if now else 0, **more)


def refresh(a):
    rt = a.store.get("refresh_token")
    if not rt:
        return login(a)
    try:
        data = token_request(a, (("grant_type", "refresh_token"), ("refresh_token", rt)),
                             "refreshing the Athom token")
    except HTTPError as e:
        if e.status not in (400, 401) or e.code == "invalid_client":
            raise
        log.warning("the stored refresh token is dead (%s)", e.code or e.status)
        a.store.update(refresh_token=None, access_token=None, access_expires=None)
        if a.athom["email"] and a.athom["password"]:
            return login(a)
        raise AuthError("the stored Athom login has expired or was revoked: put athom.email and athom.password "
                        "(and athom.otp for 2FA) in the config and call uhomey.connect() again",
                        e.status, None, e.code)
    keep(a, data)
    log.info("Athom token refreshed")


def login(a):
    now = a.clock()
    if a.login_refused is not None and ticks_diff(now, a.login_refused[0]) < LOGIN_BACKOFF_MS:
        raise a.login_refused[1]  # no second try with a password Athom just refused
    from . import login as lg

    try:
        data, hid = lg.password_login(a.http, a.cfg, lambda pairs, step: token_request(a, pairs, step))
    except AuthError as e:
        if e.status in (400, 401, 403):
            a.login_refused = (now, e)
        raise
    finally:
        unload("login", "consent", "form", "tlsctx")  # discovery comes next: give it their heap
    more = {}
    if hid and hid != a.store.get("homey_id"):
        more = {"homey_id": hid, "homey_url": None, "homey_session": None, "names": None, "flows": None,
                "vars": None}
    keep(a, data, **more)
    log.info("logged in to Athom")
