# Turning failures into errors a person can act on. Imported only when
# something went wrong, so its wording costs no RAM on a good day.
from .errors import AuthError, HTTPError, NetworkError, NotFound, Rejected, TLSError, Unreachable


def _errno(e):
    n = getattr(e, "errno", None)
    if n is None and e.args and isinstance(e.args[0], int):
        n = e.args[0]
    return n


def describe(e):
    n = _errno(e)
    if n in (11, 110, 116) or "timed out" in str(e):  # MicroPython: EAGAIN from a timed-out read
        return "timed out"
    if n == 111:
        return "connection refused"
    if n in (104, 32):
        return "connection reset"
    if n in (113, 118, 101, 103):
        return "host unreachable"
    if isinstance(n, int) and -1000 < n < 0:
        return "DNS lookup failed"
    s = str(e).strip()
    return s[:120] if s else "network error %s" % (n,)


def network(e, where):
    if isinstance(e, EOFError):
        return NetworkError("%s: the server closed the connection" % where)
    return NetworkError("%s: %s" % (where, describe(e)))


def connect(e, origin):
    """The error for a connection (or TLS handshake) that could not be made."""
    s = str(e).lower()
    if isinstance(e, ValueError) or "certif" in s or "verif" in s or "hostname" in s:
        # MicroPython raises ValueError for a bad certificate; CPython an SSLError
        return TLSError("the certificate of %s is not trusted (%s): check tls.ca in the config"
                        % (origin, str(e).strip().replace("\n", " ")[:120] or e.__class__.__name__))
    if "ssl" in e.__class__.__name__.lower() or "ssl" in s or "tls" in s:
        return NetworkError("TLS with %s failed: %s" % (origin, describe(e)))
    return Unreachable("cannot reach %s: %s" % (origin, describe(e)))


def scrub(text):
    """Blank out anything shaped like a token, so a server's echo cannot leak one."""
    out = []
    for word in str(text)[:300].split(" "):
        n = 0
        for ch in word:
            if ch.isalpha() or ch.isdigit():
                n += 1
        out.append("[...]" if len(word) >= 24 and n * 10 >= len(word) * 7 else word)
    return " ".join(out)


def reason(resp):
    """(text, code) from an error answer's JSON body, scrubbed; ("", None) when there is none."""
    try:
        if resp.is_json():
            import json

            data = json.loads(resp.body(2048))
            if isinstance(data, dict):
                code = data.get("error")
                d = data.get("error_description") or data.get("message") or code
                if isinstance(d, dict):
                    d = d.get("message") or d.get("en") or ""
                return (scrub(d) if d else ""), (code if isinstance(code, str) else None)
        resp.close()
    except Exception:  # the status alone still makes a useful error
        pass
    return "", None


def status(resp, what):
    """The HomeyError for an error status. `what` names the step, for the person reading it."""
    st = resp.status
    text, code = reason(resp)
    retry = None
    ra = resp.header("retry-after")
    if ra and ra.isdigit():
        retry = int(ra)
    detail = (": " + text) if text else ""
    where = resp.origin
    if st == 429:
        return HTTPError("%s: %s is rate limiting (HTTP 429)%s; wait %s s before trying again"
                         % (what, where, detail, retry if retry is not None else "a few"), st, retry, code)
    if st >= 500:
        return HTTPError("%s: %s had a server error (HTTP %d)%s; try again later" % (what, where, st, detail),
                         st, retry, code)
    if st in (401, 403):
        return AuthError("%s: not authorised by %s (HTTP %d)%s" % (what, where, st, detail), st, retry, code)
    if st == 404:
        return NotFound("%s: not found on %s%s" % (what, where, detail), st, retry, code)
    if st == 400:
        return Rejected("%s: refused by %s%s" % (what, where, detail), st, retry, code)
    return HTTPError("%s: unexpected HTTP %d from %s%s" % (what, st, where, detail), st, retry, code)


def raise_for(resp, what):
    raise status(resp, what)


def login_refused(r):
    """The error for a refused POST /login: wrong password, 2FA needed or wrong."""
    if r.status in (400, 401, 403):
        text, code = reason(r)
        if code == "otp_required":
            raise AuthError("this Athom account uses two-factor authentication: put the current 6-digit "
                            "code in athom.otp and try within 30 s", r.status, None, code)
        if code in ("invalid_otp", "invalid_otptoken"):
            raise AuthError("the 2FA code in athom.otp was wrong or has expired: put a fresh one in",
                            r.status, None, code)
        raise AuthError("Athom refused the email or password (%s): check athom.email and athom.password"
                        % (text or "HTTP %d" % r.status), r.status, None, code)
    raise_for(r, "logging in to Athom")
