# Every error that reaches a caller is a HomeyError. Messages say which step
# failed and what to do; they never carry a token, password, cookie or secret.
# Their texts are in messages.txt, read by why() only when an error is raised.


def why(n, *args):
    """Message n of messages.txt (beside this module), filled in with args."""
    head = str(n) + " "
    path = __file__
    n = max(path.rfind("/"), path.rfind("\\")) + 1
    path = path[:n] + "messages.txt"
    # frozen into a firmware image, __file__ is "uhomey/errors.py" and the texts are in /lib
    text = _text(path, head, args) or _text("/lib/" + path, head, args)
    return text or "uhomey error %s%r (its text is in uhomey/messages.txt)" % (head, args)


def _text(path, head, args):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(head):
                    line = line[len(head):].rstrip()
                    return line % args if args else line
    except (OSError, TypeError, ValueError):  # no such file on this board (or a bad format)
        pass
    return None


def fault(cls, n, *args):
    """cls(message n, filled in with args): `raise fault(NotFound, 12, name)` nests one call
    less than cls(why(...)), and every level of nesting is heap when a module compiles."""
    return cls(why(n, *args))


class HomeyError(Exception):
    pass


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
