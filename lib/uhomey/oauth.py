# The accounts host's cookies (replayed on the approve step, `_csrf` among
# them) and the code read from a redirect that is never followed.
from .errors import AuthError, ProtocolError, fault
from .form import parse_qs, query_get


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
        raise fault(ProtocolError, 57)  # the consent step answered 302 without a Location; try again
    i = loc.find("?")
    q = parse_qs(loc[i + 1:] if i >= 0 else "")
    code = query_get(q, "code")
    if not code:
        err = query_get(q, "error_description") or query_get(q, "error")
        if err:
            raise fault(AuthError, 58, err[:120])  # the consent step was refused: %s
        raise fault(ProtocolError, 59)  # the consent step redirected without a code; check athom.redirect_uri
    return code
