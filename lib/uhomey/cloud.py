# The Athom side of a Cloud login: the access token on each cloud call, the
# delegation token and the Homey session. A refresh is in tokens.py, a password
# login in grant.py and login.py (each imported only when due). Functions take
# the auth.Cloud object `a`, which holds the state.
from . import log
from .compat import ticks_diff, wall_time
from .errors import ProtocolError, fault

_JSON = ("Content-Type", "application/json")


def renew(a):
    """The Homey's address, a delegation token from the cloud, then the Homey's login: a new
    Homey session. The address first: a discovery compiles code, and the token is not held yet."""
    base = a.base()
    token = call(a, "POST", "/delegation/token?audience=homey", "{}", "getting a delegation token").json(4096)
    if not isinstance(token, str):
        raise fault(ProtocolError, 8)  # the delegation token answer is not a JSON string; try again later
    headers = [_JSON]
    if a.homey_id:
        headers.append(("X-Homey-ID", a.homey_id))
    import json

    r = a.http.request("POST", base + "/api/manager/users/login", json.dumps({"token": token}), headers)
    if r.status != 200:
        _raise(r, "starting a session on the Homey")
    session = r.json(1024)
    if not isinstance(session, str) or not session:
        raise fault(ProtocolError, 9)  # the Homey's login answer is not a session string; try again later
    a.store.update(homey_session=session)
    from .http import origin_of

    http = a.http
    http.close(origin_of(a.athom["api_url"]))  # the press path needs only the Homey's connection
    for o in http._conns:
        if o[:6] == "https:":
            break
    else:  # a plain-HTTP Homey: no TLS until the next Athom call (hours away); 3 KB back
        http._ctx = None
    log.info("new Homey session")
    return session


def _raise(r, what):
    from . import fail

    fail.raise_for(r, what)


def call(a, method, path, body, step):
    """A call to the Athom API with the access token: on a 401, refresh once and retry once."""
    for attempt in (0, 1):
        headers = "Bearer " + access(a)  # in two steps: one level of nesting less to compile
        headers = [("Authorization", headers)]
        if body is not None:
            headers.append(_JSON)
        r = a.http.request(method, a.athom["api_url"] + path, body, headers)
        if r.status == 401 and not attempt:
            r.close()
            log.info("%s: access token refused, refreshing", step)
            from .tokens import refresh

            refresh(a)
            continue
        if r.status >= 400:
            _raise(r, step)
        return r


def access(a):
    tok = a.store.get("access_token")
    if not tok or _expired(a):
        from .tokens import refresh

        refresh(a)
        tok = a.store.get("access_token")
    return tok


def _expired(a):
    if a.exp_tick is not None:
        return ticks_diff(a.exp_tick, a.clock()) <= 0
    exp = a.store.get("access_expires", 0)
    now = wall_time()
    return bool(exp and now and now >= exp)
