# How HTTP error answers and socket failures are worded, and where the other
# error texts are found (texts.py, by key). Loaded only while an error is being
# worded, and dropped again (errors.py): a boot where nothing fails never loads it.
#
# A message names the step and what to do. It never repeats a password, token,
# cookie or secret: what a server says is scrubbed of token-shaped words first.
#
# The wording functions return (error class name, constructor args); errors.py
# makes the error: this module imports nothing of uhomey, so no import runs in a circle.

# ---- socket failures -----------------------------------------------------------------

# errno values, as Linux and lwIP (ESP32) number them
_TIMED_OUT = (11, 110, 116)  # MicroPython: EAGAIN from a timed-out read; ETIMEDOUT; ESTALE
_REFUSED = 111
_RESET = (104, 32)
_UNREACHABLE = (113, 118, 101, 103)


def _errno(e):
    n = getattr(e, "errno", None)
    if n is None and e.args and isinstance(e.args[0], int):
        n = e.args[0]
    return n


def describe(e):
    """A socket failure in a few words: "timed out", "connection refused"..."""
    n = _errno(e)
    if n in _TIMED_OUT or "timed out" in str(e):
        return "timed out"
    if n == _REFUSED:
        return "connection refused"
    if n in _RESET:
        return "connection reset"
    if n in _UNREACHABLE:
        return "host unreachable"
    if isinstance(n, int) and -1000 < n < 0:  # getaddrinfo's own negative codes
        return "DNS lookup failed"
    s = str(e).strip()
    return s[:120] if s else "network error %s" % (n,)


def network_error(e, where):
    if isinstance(e, EOFError):
        return "NetworkError", ("%s: the server closed the connection" % where,)
    return "NetworkError", ("%s: %s" % (where, describe(e)),)


def connect_error(e, origin):
    s = str(e).lower()
    if isinstance(e, ValueError) or "certif" in s or "verif" in s or "hostname" in s:
        # MicroPython raises ValueError for a bad certificate; CPython an SSLError
        why = str(e).strip().replace("\n", " ")[:120] or e.__class__.__name__
        return "TLSError", ("the certificate of %s is not trusted (%s): check tls.ca in the config" % (origin, why),)
    if "ssl" in e.__class__.__name__.lower() or "ssl" in s or "tls" in s:
        return "NetworkError", ("TLS with %s failed: %s" % (origin, describe(e)),)
    return "Unreachable", ("cannot reach %s: %s" % (origin, describe(e)),)


# ---- HTTP error answers --------------------------------------------------------------

_TOKEN_LEN = 24  # a word this long, mostly letters and digits, may be a token


def scrub(text):
    """Blank out anything shaped like a token, or like a form or query (`a=b&c=%40`: a server
    echoing the login form echoes the password), so a server's echo cannot leak a secret."""
    out = []
    for word in str(text)[:300].split(" "):
        n = 0
        for ch in word:
            if ch.isalpha() or ch.isdigit():
                n += 1
        token = len(word) >= _TOKEN_LEN and n * 10 >= len(word) * 7
        out.append("[...]" if token or "=" in word or "&" in word or "%" in word else word)
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


def status_error(resp, what):
    st = resp.status
    text, code = reason(resp)
    retry = None
    ra = resp.header("retry-after")
    if ra and ra.isdigit():
        retry = int(ra)
    detail = (": " + text) if text else ""
    where = resp.origin
    if st == 429:
        wait = retry if retry is not None else "a few"
        msg = "%s: %s is rate limiting (HTTP 429)%s; wait %s s before trying again" % (what, where, detail, wait)
        return "HTTPError", (msg, st, retry, code)
    if st >= 500:
        msg = "%s: %s had a server error (HTTP %d)%s; try again later" % (what, where, st, detail)
        return "HTTPError", (msg, st, retry, code)
    if st in (401, 403):
        return "AuthError", ("%s: not authorised by %s (HTTP %d)%s" % (what, where, st, detail), st, retry, code)
    if st == 404:
        return "NotFound", ("%s: not found on %s%s" % (what, where, detail), st, retry, code)
    if st == 400:
        return "Rejected", ("%s: refused by %s%s" % (what, where, detail), st, retry, code)
    return "HTTPError", ("%s: unexpected HTTP %d from %s%s" % (what, st, where, detail), st, retry, code)


def login_error(r):
    if r.status not in (400, 401, 403):
        return status_error(r, "logging in to Athom")
    text, code = reason(r)
    if code == "otp_required":
        msg = ("this Athom account uses two-factor authentication: put the current 6-digit code in "
               "athom.otp and try within 30 s")
    elif code in ("invalid_otp", "invalid_otptoken"):
        msg = "the 2FA code in athom.otp was wrong or has expired: put a fresh one in"
    else:
        msg = ("Athom refused the email or password (%s): check athom.email and athom.password"
               % (text or "HTTP %d" % r.status))
    return "AuthError", (msg, r.status, None, code)


# ---- the other error texts, by key ---------------------------------------------------

def text_of(key):
    """The text of `key` (None without one), for errors.text(): texts.py read as a file a line
    at a time, so the table never sits in RAM; frozen into the firmware (no file beside the
    code) the module, a string in flash."""
    head = key + " "
    i = max(__file__.rfind("/"), __file__.rfind("\\")) + 1
    try:
        with open(__file__[:i] + "texts.py") as f:
            for line in f:
                if line.startswith(head):
                    return line[len(head):].rstrip()
        return None
    except OSError:
        pass
    try:
        from .texts import TEXTS
    except ImportError:
        return None
    i = TEXTS.find("\n" + head)
    if i < 0:
        return None
    i += len(head) + 1
    return TEXTS[i:TEXTS.find("\n", i)]
