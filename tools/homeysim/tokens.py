"""JWTs, csurf-style CSRF pairs and the shapes of Athom's ids and tokens."""
import base64
import hashlib
import hmac
import json
import secrets
import uuid


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class JwtSigner:
    """HS256 JWTs that only this simulator can mint and check."""

    def __init__(self, secret=None):
        self.secret = secret or secrets.token_bytes(32)

    def sign(self, payload):
        """The payload gets a `pad` field, lengthened until its base64url text
        both needs re-padding (length not a multiple of 4) and contains `-` or
        `_`: a decoder that skips either step then fails every time, not by luck."""
        head = b64url(b'{"alg":"HS256","typ":"JWT"}')
        for k in range(64):
            payload["pad"] = "?~>" * (k // 3) + "?~>"[:k % 3]
            body = b64url(json.dumps(payload, separators=(",", ":")).encode())
            if len(body) % 4 and ("-" in body or "_" in body):
                break
        else:  # pragma: no cover - the loop always finds one within a few steps
            raise AssertionError("no padding-forcing pad found")
        signing = head + "." + body
        sig = hmac.new(self.secret, signing.encode(), hashlib.sha256).digest()
        return signing + "." + b64url(sig)

    def verify(self, token, now):
        """-> payload dict, or None when the token is not ours, broken or expired."""
        if not isinstance(token, str):
            return None
        parts = token.split(".")
        if len(parts) != 3:
            return None
        want = hmac.new(self.secret, (parts[0] + "." + parts[1]).encode(), hashlib.sha256).digest()
        try:
            if not hmac.compare_digest(want, b64url_decode(parts[2])):
                return None
            payload = json.loads(b64url_decode(parts[1]))
        except (ValueError, TypeError):
            return None
        if not isinstance(payload, dict) or payload.get("exp", 0) < now:
            return None
        return payload


def csrf_secret():
    return b64url(secrets.token_bytes(18))


def csrf_token(secret, salt=None):
    """csurf's scheme: the cookie holds the secret, the form a salted hash of it."""
    salt = salt or secrets.token_hex(4)  # hex: a `-` in the salt would split wrongly
    digest = hashlib.sha1((salt + "-" + secret).encode()).digest()
    return salt + "-" + b64url(digest)


def csrf_ok(secret, token):
    if not secret or not token or "-" not in token:
        return False
    salt = token.split("-", 1)[0]
    return hmac.compare_digest(csrf_token(secret, salt), token)


def hex_id(rng=None, n=24):
    """Athom-style object id: 24 lower-case hex characters."""
    if rng is None:
        return secrets.token_hex(n // 2)
    return "%0*x" % (n, rng.getrandbits(4 * n))


def uuid4(rng):
    h = "%032x" % rng.getrandbits(128)
    h = h[:12] + "4" + h[13:16] + "89ab"[int(h[16], 16) & 3] + h[17:]
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def opaque_token():
    return secrets.token_hex(20)


def homey_session_token():
    """Homey's own bearer shape: uuid:uuid:hex."""
    return "%s:%s:%s" % (uuid.uuid4(), uuid.uuid4(), secrets.token_hex(20))
