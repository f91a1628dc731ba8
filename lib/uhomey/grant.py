# Getting Athom tokens: the token endpoint (client authenticated one way only)
# and persisting an answer before anything uses it. Used by a refresh (tokens.py)
# and, after its consent step, by a password login (login.py).
from .compat import ticks_add, wall_time
from .errors import AuthError, ProtocolError, fault, why

# An access token counts as expired 60 s early. (Literals below, not named constants: from
# source, every name is a qstr for good.)
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
