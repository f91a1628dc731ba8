# Hand-rolled URL and form codecs: MicroPython has no urllib. Passwords with
# `+`, `&`, `=`, `%` and non-ASCII letters must survive the trip intact.
from binascii import a2b_base64, b2a_base64

_HEX = b"0123456789ABCDEF"  # bytes: indexing gives the byte to append


def _safe(c):
    return (48 <= c <= 57) or (65 <= c <= 90) or (97 <= c <= 122) or c in b"-._~"


def quote(s, plus=False):
    """Percent-encode the UTF-8 bytes of s; with plus=True a space becomes '+' (forms)."""
    b = s.encode() if isinstance(s, str) else s
    for c in b:
        if not _safe(c):
            break
    else:  # a JWT or an id: nothing to encode, and no copy of a 1 KB token
        return b.decode()
    out = bytearray()
    for c in b:
        if _safe(c):
            out.append(c)
        elif plus and c == 32:
            out.append(43)
        else:
            out.append(37)
            out.append(_HEX[c >> 4])
            out.append(_HEX[c & 15])
    return out.decode()


def urlencode(pairs):
    """application/x-www-form-urlencoded body (str) from a list of (name, value)."""
    return "&".join(quote(k, True) + "=" + quote(v, True) for k, v in pairs)


def unquote(s, plus=True):
    b = s.encode() if isinstance(s, str) else s
    if plus:
        b = b.replace(b"+", b" ")
    if b"%" not in b:
        return _text(b)
    out = bytearray()
    i = 0
    n = len(b)
    while i < n:
        c = b[i]
        if c == 37 and i + 3 <= n:
            hi = _hexval(b[i + 1])
            lo = _hexval(b[i + 2])
            if hi >= 0 and lo >= 0:
                out.append(hi * 16 + lo)
                i += 3
                continue
        out.append(c)
        i += 1
    return _text(bytes(out))


def _hexval(c):
    if 48 <= c <= 57:
        return c - 48
    c |= 32
    if 97 <= c <= 102:
        return c - 87
    return -1


def _text(b):
    try:
        return b.decode()
    except UnicodeError:
        # Not UTF-8: keep every byte as a code point rather than fail.
        return "".join([chr(c) for c in b])


def parse_qs(query):
    """A query string as a list of (name, value), decoded, in order."""
    out = []
    if not query:
        return out
    for part in query.split("&"):
        if not part:
            continue
        i = part.find("=")
        if i < 0:
            out.append((unquote(part), ""))
        else:
            k = unquote(part[:i])
            out.append((k, unquote(part[i + 1:])))
    return out


def query_get(pairs, name):
    for k, v in pairs:
        if k == name:
            return v
    return None


def b64url_decode(seg):
    """Decode a base64url JWT segment: '-_' back to '+/', padding re-added."""
    if isinstance(seg, bytes):
        seg = seg.decode()
    s = seg.replace("-", "+").replace("_", "/")
    s += "=" * (-len(s) % 4)
    return a2b_base64(s)


def basic_auth(user, secret):
    raw = (user + ":" + secret).encode()
    return "Basic " + b2a_base64(raw).strip().decode()
