# Athom's cloud, for a Cloud session (auth.py): the token endpoint (a refresh,
# or the code of a password login), the access token on each cloud call, the
# delegation token that buys a Homey session, and discovery (finding the
# Homey's address from the account). Loaded only when one of these is due: a
# boot with a stored Homey session never loads it. Functions take the
# auth.Cloud object `a`, which holds the state.
from . import log
from .compat import MICROPYTHON, const, ticks_add, ticks_diff
from .errors import AuthError, HTTPError, NetworkError, ProtocolError, status_error, text
from .form import basic_auth, quote, urlencode
from .http import origin_of

_JSON = ("Content-Type", "application/json")
_FORM = ("Content-Type", "application/x-www-form-urlencoded")
_EARLY_S = const(60)  # an access token counts as expired this much before Athom says
_DEFAULT_LIFE_S = const(3600)  # when the token answer gives no usable expires_in
_PROBE_TIMEOUT = const(3)  # seconds for each candidate address of the Homey
_REDISCOVER_MS = const(60000)  # at most one discovery a minute after an address stops answering
_EPOCH_2000 = const(946684800)  # an ESP32's time.time() counts from 2000, not 1970
_SANE_TIME = const(1700000000)  # a clock before late 2023 was never set
_URL_KEYS = ("localUrl", "localUrlSecure", "remoteUrl", "remoteUrlForwarded")  # best first
_HOMEY_FIELDS = ("_id", "id", "apiVersion") + _URL_KEYS


# ---- tokens --------------------------------------------------------------------------

def token_request(a, pairs, step):
    """POST /oauth2/token with the client authenticated one way only (HTTP Basic or form)."""
    at = a.athom
    pairs = list(pairs)
    headers = [_FORM]
    if at["client_auth"] == "basic":
        headers.append(("Authorization", basic_auth(at["client_id"], at["client_secret"])))
    else:
        pairs.append(("client_id", at["client_id"]))
        pairs.append(("client_secret", at["client_secret"]))
    r = a.http.request("POST", at["api_url"] + "/oauth2/token", urlencode(pairs), headers)
    if r.status != 200:
        e = status_error(r, step)
        if e.code == "invalid_client":
            e = AuthError(text("client_refused", step), e.status, None, e.code)
        elif e.code == "invalid_grant" and pairs[0][1] == "authorization_code":
            e = AuthError(text("code_expired", step), e.status, None, e.code)
        raise e
    data = r.json(4096)
    for key in ("access_token", "refresh_token"):
        if not isinstance(data, dict) or not isinstance(data.get(key), str) or not data[key]:
            raise ProtocolError.of("token_answer_lacks", step, key)
    return data


def keep(a, data, **more):
    """Persist a token answer before anything uses it: the old refresh token is already dead."""
    life = data.get("expires_in")
    if not isinstance(life, int) or isinstance(life, bool) or life <= _EARLY_S:
        life = _DEFAULT_LIFE_S
    life -= _EARLY_S
    now = wall_time()
    a.exp_tick = ticks_add(a.clock(), life * 1000)
    a.store.update(refresh_token=data["refresh_token"], access_token=data["access_token"],
                   access_expires=(now + life) if now else 0, **more)


def exchange_code(a, code, hid):
    """Step 4 of the password login: the code (login.py) exchanged for tokens at once, kept."""
    try:
        data = token_request(a, (("grant_type", "authorization_code"), ("code", code)), "exchanging the login code")
    except AuthError as e:
        if e.status in (400, 401, 403) and e.code != "invalid_grant":  # an expired code is no refusal
            a.login_refused = (a.clock(), e)  # (login.login) no new password login for a while
        raise
    more = {}
    if hid and hid != a.store.get("homey_id"):  # another Homey than the stored one: forget its address
        more = {"homey_id": hid, "homey_url": None, "homey_urls": None, "homey_session": None, "names": None,
                "flows": None, "vars": None}
    keep(a, data, **more)
    log.info("logged in to Athom")


def refresh(a):
    """A new access token from the refresh token (which rotates: keep() persists the new one
    before it is used); without a usable one, a password login."""
    rt = a.store.get("refresh_token")
    if not rt:
        return a.login()
    try:
        data = token_request(a, (("grant_type", "refresh_token"), ("refresh_token", rt)),
                             "refreshing the Athom token")
    except HTTPError as e:
        if e.status not in (400, 401) or e.code == "invalid_client":
            raise
        log.warning("the stored refresh token is dead (%s)", e.code or e.status)
        a.store.update(refresh_token=None, access_token=None, access_expires=None)
        if not (a.athom["email"] and a.athom["password"]):
            raise AuthError(text("login_expired"), e.status, None, e.code)
        return a.login()
    keep(a, data)
    log.info("Athom token refreshed")


def access(a):
    """The access token, refreshed first when it has expired."""
    tok = a.store.get("access_token")
    if not tok or _expired(a):
        refresh(a)
        tok = a.store.get("access_token")
    return tok


def wall_time():
    """Seconds since the Unix epoch, or None when the clock was never set.

    An ESP32 without NTP starts in 2000; such a clock cannot judge a token's
    expiry across reboots, so callers fall back to asking the server.
    """
    import time

    t = time.time()
    if MICROPYTHON and time.gmtime(0)[0] == 2000:
        t += _EPOCH_2000
    return int(t) if t > _SANE_TIME else None


def _expired(a):
    if a.exp_tick is not None:
        return ticks_diff(a.exp_tick, a.clock()) <= 0
    exp = a.store.get("access_expires", 0)
    now = wall_time()
    return bool(exp and now and now >= exp)


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
        if not 200 <= r.status < 300:  # a redirect is no answer either
            raise status_error(r, step)
        return r


# ---- the Homey session ---------------------------------------------------------------

def renew(a):
    """A new Homey session: the Homey's address, a delegation token from the cloud, then the
    Homey's login with it."""
    base = a.base()
    token = call(a, "POST", "/delegation/token?audience=homey", "{}", "getting a delegation token").json(4096)
    if not isinstance(token, str):
        raise ProtocolError.of("delegation_not_string")
    headers = [_JSON]
    if a.homey_id:
        headers.append(("X-Homey-ID", a.homey_id))
    import json

    r = a.http.request("POST", base + "/api/manager/users/login", json.dumps({"token": token}), headers)
    if r.status != 200:
        raise status_error(r, "starting a session on the Homey")
    session = r.json(1024)
    if not isinstance(session, str) or not session:
        raise ProtocolError.of("session_not_string")
    a.store.update(homey_session=session)
    http = a.http
    http.close(origin_of(a.athom["api_url"]))  # the press path needs only the Homey's connection
    if not any(o.startswith("https:") for o in http._conns):
        http._ctx = None  # a plain-HTTP Homey: no TLS until the next Athom call (hours away); 3 KB back
    log.info("new Homey session")
    return session


# ---- discovery -----------------------------------------------------------------------

def rediscover(a):
    """After the Homey's address stopped answering (or another Homey answered there): the next
    of the addresses found at discovery, with no cloud call; after the last, a new discovery (at
    most once a minute). True if calls now go to another address."""
    urls = a.store.get("homey_urls") or ()
    old = a.store.get("homey_url")
    i = urls.index(old) + 1 if old in urls else len(urls)
    if i < len(urls):
        a.tended = a.clock()  # the best address is not back yet: h.tend() looks again in a minute
        a.store.update(homey_url=urls[i])
        log.info("the Homey does not answer at %s; trying %s", origin_of(old), origin_of(urls[i]))
        return True
    if a.discovered is not None and ticks_diff(a.clock(), a.discovered) < _REDISCOVER_MS:
        return False
    return discover(a) != old


def return_to_best(a):
    """From h.tend(), while calls go to a fallback address: back to the best address (the LAN
    one) once its ping answers as this Homey."""
    best = a.store.get("homey_urls")[0]
    if _ping(a.http, best, a.homey_id):
        a.http.close(origin_of(a.store.get("homey_url")))  # the fallback's connection (TLS: KBs) goes
        a.store.update(homey_url=best)
        log.info("reaching the Homey at %s again", best)


def discover(a):
    """The first of the Homey's addresses (best first) whose ping answers as that Homey (an
    address can come to belong to another Homey); kept in the store with every address found,
    which a call falls through when its address stops answering (rediscover)."""
    a.discovered = a.clock()
    info = _account_homey(a)
    hid = info["id"]
    urls = []
    for key in _URL_KEYS:
        url = info.get(key)
        if isinstance(url, str) and url and url.rstrip("/") not in urls:
            urls.append(url.rstrip("/"))
    for url in urls:
        if _ping(a.http, url, hid):
            a.store.update(homey_url=url, homey_urls=urls, homey_id=hid, api_version=info.get("apiVersion") or 3)
            log.info("reaching the Homey at %s", url)
            return url
    raise NetworkError.of("homey_addresses_silent", hid, len(urls))


def _ping(http, url, hid):
    try:
        r = http.request("GET", "%s/api/manager/system/ping?id=%s" % (url, quote(hid)),
                         timeout=min(_PROBE_TIMEOUT, http.timeout))  # never longer than the config's timeout
    except (NetworkError, ProtocolError) as e:
        log.info("%s does not answer: %s", origin_of(url), e)
        return False
    got = r.header("x-homey-id")
    r.close()
    if 200 <= r.status < 300 and got == hid:
        return True
    log.info("%s answers as another Homey (or HTTP %d); skipped", origin_of(url), r.status)
    http.close(origin_of(url))
    return False


def _account_homey(a):
    """The account's entry for the Homey to use (user/me, streamed): {"id", urls, "apiVersion"}."""
    from .jwalk import walk  # the account can hold many Homeys: read in one flat pass

    what = "reading the account (user/me)"
    r = call(a, "GET", "/user/me", None, what)
    want = a.homey_id  # read after the call: it may have logged in and learned it
    found = []
    pick = []

    def visit(h):
        hid = h.get("_id") or h.get("id")
        if isinstance(hid, str):
            h["id"] = hid
            found.append(hid)
            if hid == want or (want is None and not pick):
                pick[:] = [h]

    walk(r, what, visit, 3, _HOMEY_FIELDS, "homeys")
    if pick and (want is not None or len(found) == 1):
        return pick[0]
    several = len(found) > 1
    found = ", ".join(found) or "none"
    if want is None and several:
        raise AuthError.of("several_homeys", found)
    raise AuthError.of("homey_not_on_account", want or "?", found)


def account_homeys(a):
    """[(id, name, platform, model)] of every Homey on the account, in the account's order
    (user/me, streamed): for choosing one at the REPL or in the PC's onboarding."""
    from .jwalk import walk

    what = "reading the account (user/me)"
    out = []

    def visit(h):
        hid = h.get("_id") or h.get("id")
        if isinstance(hid, str):
            out.append((hid, h.get("name"), h.get("platform"), h.get("modelName")))

    walk(call(a, "GET", "/user/me", None, what), what, visit, 3, ("_id", "id", "name", "platform", "modelName"), "homeys")
    return out
