# The consent step of the Athom login (docs/protocol.md, step 3): the page's
# <input> tags (the _csrf token and the Homeys offered), which Homey to approve
# (config homey.id, else the one the login JWT names), the accounts host's
# cookies to replay when approving, and the code in the redirect that follows,
# which is read and never followed. The page is read through one fixed buffer,
# as bytes, never held whole; tag case, attribute order and quote style vary.
from .compat import const
from .errors import AuthError, ProtocolError
from .form import b64url_decode, parse_qs, query_get

MAX_PAGE = const(65536)
MAX_TAG = const(512)  # the longest <input> tag read whole; a longer one is skipped
_WS = b" \t\r\n"
_ENTITIES = (("&quot;", '"'), ("&#39;", "'"), ("&#x27;", "'"), ("&lt;", "<"), ("&gt;", ">"), ("&#x2F;", "/"),
             ("&#47;", "/"), ("&amp;", "&"))  # &amp; last: "&amp;lt;" is the text "&lt;"


def _entities(s):
    if "&" not in s:
        return s
    for entity, ch in _ENTITIES:
        s = s.replace(entity, ch)
    return s


def parse_attrs(tag):
    """Attributes of one HTML tag (bytes, from its '<') as a dict of str; any order, any quote
    style. UnicodeError if a name or value is not UTF-8."""
    attrs = {}
    n = len(tag)
    i = 1
    while i < n and tag[i] not in _WS:  # the tag's own name
        i += 1
    while i < n:
        while i < n and tag[i] in b" \t\r\n/>":
            i += 1
        j = i
        while j < n and tag[j] not in b" \t\r\n=/>":
            j += 1
        if j == i:
            break
        name = tag[i:j].decode().lower()
        i = j
        while i < n and tag[i] in _WS:
            i += 1
        value = b""
        if i < n and tag[i] == 61:  # =
            i += 1
            while i < n and tag[i] in _WS:
                i += 1
            if i < n and tag[i] in b"\"'":
                q = tag[i:i + 1]
                j = tag.find(q, i + 1)
                if j < 0:
                    j = n
                value = tag[i + 1:j]
                i = j + 1
            else:
                j = i
                while j < n and tag[j] not in b" \t\r\n>":
                    j += 1
                value = tag[i:j]
                i = j
        attrs[name] = _entities(value.decode())
    return attrs


def _tag_end(buf, i, end):
    """Index of the '>' closing the tag that starts at i, skipping quoted values; -1 if not yet."""
    q = 0
    while i < end:
        c = buf[i]
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
    """(csrf, [resource values]) from the consent page, read through one fixed buffer."""
    csrf = None
    resources = []
    buf = bytearray(MAX_TAG)
    mv = memoryview(buf)
    have = total = 0
    while True:
        n = resp.readinto(mv[have:])
        if not n:
            break
        total += n
        if total > MAX_PAGE:
            resp.close()
            raise ProtocolError.of("consent_page_too_big", MAX_PAGE)
        have += n
        i = 0  # what is before i is done with
        while True:
            j = buf.find(b"<", i, have)
            if j < 0:
                i = have
                break
            if have - j < 7:  # "<input" and the byte after it are not all here yet
                i = j
                break
            if bytes(mv[j + 1:j + 6]).lower() != b"input" or buf[j + 6] not in b" \t\r\n/>":
                i = j + 1
                continue
            k = _tag_end(buf, j, have)
            if k < 0:
                i = have if j == 0 and have == len(buf) else j  # a tag longer than the buffer is skipped
                break
            try:
                a = parse_attrs(bytes(mv[j:k]))
            except UnicodeError:
                a = {}
            name = a.get("name")
            if name == "_csrf" and a.get("value"):
                csrf = a["value"]
            elif name == "resource" and a.get("value", "").startswith("resource.homey."):
                resources.append(a["value"])
            i = k + 1
        if i:  # keep the unfinished rest (a part of a tag, mostly) at the front
            rest = bytes(mv[i:have])
            have = len(rest)
            buf[:have] = rest
    return csrf, resources


# ---- which Homey to approve ------------------------------------------------------

def jwt_homey(token):
    """The Homey id a login JWT names (payload `homey`, `homeyId` or `homeys`), or None."""
    import json

    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = b64url_decode(parts[1])
        payload = json.loads(payload)
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
        raise AuthError.of("homey_id_not_offered", wanted, ", ".join(ids) or "none")
    if jwt_id and jwt_id in ids:
        return jwt_id
    if len(ids) == 1:
        return ids[0]
    if not ids:
        raise AuthError.of("consent_offers_no_homey")
    raise AuthError.of("several_homeys", ", ".join(ids))


# ---- cookies and the code -----------------------------------------------------------

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


def code_from(resp, athom):
    """The code from a 302's Location (which is never followed: nothing listens at redirect_uri)."""
    loc = resp.header("location")
    resp.close()
    if not loc:
        raise ProtocolError.of("consent_no_location")
    i = loc.find("?")
    q = parse_qs(loc[i + 1:] if i >= 0 else "")
    code = query_get(q, "code")
    if not code:
        err = query_get(q, "error_description") or query_get(q, "error")
        if err:
            raise AuthError.of("consent_refused", err[:120])
        raise ProtocolError.of("consent_no_code")
    return code
