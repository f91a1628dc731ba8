# Finding the Homey: its entry in the account (user/me, streamed), then the
# first of localUrl, localUrlSecure, remoteUrl whose ping answers with the
# right X-Homey-ID (an address can come to belong to another Homey).
from . import log
from .compat import ticks_diff
from .errors import AuthError, NetworkError, ProtocolError, fault

PROBE_TIMEOUT = 3
AGAIN_MS = 60 * 1000
_URL_KEYS = ("localUrl", "localUrlSecure", "remoteUrl", "remoteUrlForwarded")
_KEEP = ("_id", "id", "apiVersion") + _URL_KEYS


def again(a):
    """After the Homey's address stopped answering; True if a new address was found."""
    if a.discovered is not None and ticks_diff(a.clock(), a.discovered) < AGAIN_MS:
        return False
    old = a.store.get("homey_url")
    return discover(a) != old


def discover(a):
    a.discovered = a.clock()
    info = _account_homey(a)
    hid = info["id"]
    tried = []
    for key in _URL_KEYS:
        url = info.get(key)
        if not isinstance(url, str) or not url or url in tried:
            continue
        tried.append(url)
        url = url.rstrip("/")
        if _ping(a.http, url, hid):
            a.store.update(homey_url=url, homey_id=hid, api_version=info.get("apiVersion") or 3)
            log.info("reaching the Homey at %s", url)
            return url
    raise fault(NetworkError, 31, hid, len(tried))  # none of Homey %s's %d addresses answered as that...


def _ping(http, url, hid):
    q = hid
    for c in hid.encode():  # bytes: iterating a str would intern each character as a qstr
        if not (48 <= c <= 57 or 97 <= c | 32 <= 122):
            from .form import quote  # Homey ids are hex: compiling form.py only for anything else

            q = quote(hid)
            break
    from .http import origin_of

    try:
        r = http.request("GET", "%s/api/manager/system/ping?id=%s" % (url, q),
                         timeout=min(PROBE_TIMEOUT, http.timeout))  # never longer than the config's timeout
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
    from . import cloud
    from .jwalk import walk

    what = "reading the account (user/me)"
    r = cloud.call(a, "GET", "/user/me", None, what)
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

    walk(r, what, visit, 3, _KEEP, "homeys")
    if pick and (want is not None or len(found) == 1):
        return pick[0]
    several = len(found) > 1
    found = ", ".join(found) or "none"
    if want is None and several:
        raise fault(AuthError, 32, found)  # this account has several Homeys (%s): set homey.id...
    raise fault(AuthError, 33, want or "?", found)  # Homey %s is not on this Athom account (it has: %s)...
