# Getting Athom tokens: the token endpoint (client authenticated one way only),
# persisting an answer before anything uses it, and the password login when no
# refresh token is left. A first login runs from auth.renew with nothing of the
# cloud layer loaded (cloud.py, tokens.py): the consent step is the heap's peak.
from . import log
from .compat import collect, ticks_add, ticks_diff, unload, wall_time
from .errors import AuthError, ProtocolError, fault, why

# After a refused password, no second try for 15 minutes; an access token counts as expired
# 60 s early. (Literals below, not named constants: from source, every name is a qstr for good.)
_FORM = ("Content-Type", "application/x-www-form-urlencoded")


def token_request(a, pairs, step):
    """POST /oauth2/token with the client authenticated one way only (HTTP Basic or form)."""
    from .form import basic_auth, urlencode

    at = a.athom
    pairs = list(pairs)
    headers = [_FORM]
    if at["client_auth"] == "basic":
        secret = basic_auth(at["client_id"], at["client_secret"])
        headers.append(("Authorization", secret))
    else:
        pairs.append(("client_id", at["client_id"]))
        pairs.append(("client_secret", at["client_secret"]))
    r = a.http.request("POST", at["api_url"] + "/oauth2/token", urlencode(pairs), headers)
    if r.status != 200:
        from . import fail

        e = fail.status(r, step)
        if e.code == "invalid_client":
            e = AuthError(why(36, step), e.status, None, e.code)  # %s: Athom refused athom.client_id /...
        elif e.code == "invalid_grant" and pairs[0][1] == "authorization_code":
            e = AuthError(why(37, step), e.status, None, e.code)  # %s: Athom says the code expired or was...
        raise e
    data = r.json(4096)
    for key in ("access_token", "refresh_token"):
        if not isinstance(data, dict) or not isinstance(data.get(key), str) or not data[key]:
            raise fault(ProtocolError, 38, step, key)  # %s: the token answer has no %s
    return data


def keep(a, data, **more):
    """Persist a token answer before anything uses it: the old refresh token is already dead."""
    life = data.get("expires_in")
    if not isinstance(life, int) or isinstance(life, bool) or life <= 60:
        life = 3600
    life -= 60
    now = wall_time()
    a.exp_tick = ticks_add(a.clock(), life * 1000)
    a.store.update(refresh_token=data["refresh_token"], access_token=data["access_token"],
                   access_expires=(now + life) if now else 0, **more)


def login(a):
    now = a.clock()
    if a.login_refused is not None and ticks_diff(now, a.login_refused[0]) < 900000:
        raise a.login_refused[1]  # no second try with a password Athom just refused
    from . import login as lg

    try:
        data, hid = lg.password_login(a.http, a.cfg, lambda pairs, step: token_request(a, pairs, step))
    except AuthError as e:
        if e.status in (400, 401, 403) and e.code != "invalid_grant":  # an expired code is no refusal
            a.login_refused = (now, e)
        raise
    finally:
        unload("login oauth jwt consent form tlsctx")  # discovery comes next: give it their heap
        collect()
    more = {}
    if hid and hid != a.store.get("homey_id"):
        more = {"homey_id": hid, "homey_url": None, "homey_session": None, "names": None, "flows": None,
                "vars": None}
    keep(a, data, **more)
    log.info("logged in to Athom")
