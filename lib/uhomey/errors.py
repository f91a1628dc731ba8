# Every error that reaches a caller is a HomeyError. Messages say which step
# failed and what to do; they never carry a token, password, cookie or secret.
#
# Raise sites name their message by a short key: `raise NotFound.of("no_device",
# name)`; the texts are in texts.py, read only when an error is raised. Finding
# a text, and wording HTTP error answers and socket failures, is messages.py's,
# loaded only then and dropped again: kept loaded it would cost every boot RAM
# for nothing.
from .compat import run_and_unload


def text(key, *args):
    """The message `key` names in texts.py, filled in with args. messages.py finds it, loaded
    for the moment: finding a text is error-path code, and kept loaded it would take room from
    every press. Without the table (or the room to load it) the key and the values still say
    what happened."""
    try:
        t = run_and_unload("messages", "text_of", key)
    except (ImportError, MemoryError):
        t = None
    if t is None:
        return "uhomey: %s %r (its text is in uhomey/texts.py)" % (key, args)
    return t % args if args else t


def _worded(fallback, fn, *args):
    """The HomeyError messages.<fn>(*args) words, as (class name, its arguments); of class
    `fallback`, with the step alone, when messages.py is out of reach."""
    try:
        name, args = run_and_unload("messages", fn, *args)
    except (ImportError, MemoryError):
        return fallback("uhomey: %s failed (uhomey/messages.py words it in full)" % fn)
    return globals()[name](*args)


def status_error(resp, what):
    """The HomeyError for an error answer (its class by status); `what` names the step."""
    return _worded(HTTPError, "status_error", resp, what)


def network_error(e, where):
    """The NetworkError for a socket failure during a request to `where` (never a query)."""
    return _worded(NetworkError, "network_error", e, where)


def connect_error(e, origin):
    """The error for a connection (or TLS handshake) to `origin` that could not be made."""
    return _worded(Unreachable, "connect_error", e, origin)


def login_error(resp):
    """The AuthError for a refused Athom password login: wrong password, 2FA needed or wrong."""
    return _worded(AuthError, "login_error", resp)


class HomeyError(Exception):
    @classmethod
    def of(cls, key, *args):
        """This error with the message `key` names (see messages.py), filled in with args."""
        return cls(text(key, *args))


class ConfigError(HomeyError):
    """The config file is missing, unreadable or has a wrong value."""


class NetworkError(HomeyError):
    """No answer: DNS, connect, reset, timeout. The next call reconnects."""


class Unreachable(NetworkError):
    """Could not connect at all (refused, no route, DNS): the address may have changed."""


class TLSError(NetworkError):
    """The server's certificate was not trusted or named another host."""


class ProtocolError(HomeyError):
    """An answer that is not what the protocol promises (HTML for JSON, a body cut short)."""


class OutOfMemory(HomeyError):
    """The device ran out of RAM during a call; the session dropped its connection and
    remembered values, and the next call starts afresh."""


class HTTPError(HomeyError):
    """The server answered with an error status; `status` and `retry_after` (s or None)."""

    def __init__(self, msg, status=0, retry_after=None, code=None):
        super().__init__(msg)
        self.status = status
        self.retry_after = retry_after
        self.code = code


class AuthError(HTTPError):
    """Login or token failure that needs the user: wrong password, revoked tokens."""


class NotFound(HTTPError):
    """No such device, capability, flow or variable."""


class Rejected(HTTPError):
    """The Homey (or uhomey's own check) refused a value; the message gives the reason."""
