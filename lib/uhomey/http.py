# uhomey's own small HTTP/1.1 client. Why not micropython-lib `requests`: it
# follows every redirect, keeps one Set-Cookie, never checks certificates and
# closes the connection after each call (see shared/protocol.md).
#
# One keep-alive connection per origin (conn.py); responses are streamed
# (resp.py). Split in three so each compiles in a small heap on the device.
# Error wording lives in fail.py, loaded only on errors.
from .conn import Conn
from .errors import HomeyError
from .head import frame, read_head
from .resp import Response



def split_url(url):
    """(scheme, host, port, target) of an absolute http(s) URL; ValueError otherwise."""
    i = url.find("://")
    scheme = url[:i].lower()
    if i < 0 or scheme not in ("http", "https"):
        raise ValueError("not an http(s) URL")
    rest = url[i + 3:]
    j = len(rest)
    for k in (rest.find("/"), rest.find("?")):
        if 0 <= k < j:
            j = k
    host, target = rest[:j], rest[j:] or "/"
    if target[0] == "?":
        target = "/" + target
    port = 443 if scheme == "https" else 80
    c = host.rfind(":")
    if c > 0 and "]" not in host[c:]:
        port = int(host[c + 1:])
        host = host[:c]
    if not host:
        raise ValueError("no host")
    return scheme, host, port, target


def origin_of(url):
    return "%s://%s:%d" % split_url(url)[:3]


class Http:
    """Keep-alive HTTP/1.1 client: one connection per origin, reused across calls."""

    def __init__(self, tls=None, timeout=10):
        self.tls = tls or {"verify": True, "ca": []}  # the config's `tls` section
        self._ctx = None
        self.timeout = timeout
        self._conns = {}
        self.requests = self.connects = self.handshakes = self.retries = 0

    def context(self):
        """The TLS client context: made once (a ~3 KB block) and kept while _ctx holds it
        (cloud.renew drops it when a plain-HTTP Homey leaves no TLS connection open)."""
        if self._ctx is None:
            from . import tlsctx
            from .compat import unload

            try:
                self._ctx = tlsctx.make(self.tls)
            finally:
                unload("tlsctx")  # needed again only when the context is remade
        return self._ctx

    def _drop(self, origin, conn):
        conn.close()
        if self._conns.get(origin) is conn:
            del self._conns[origin]

    def close(self, origin=None):
        for o in list(self._conns):
            if origin is None or o == origin:
                self._drop(o, self._conns[o])

    def _connect(self, scheme, host, port, origin, timeout):
        conn = Conn(host)
        ctx = None
        if scheme == "https":
            ctx = self.context()
        self.connects += 1
        try:
            conn.open(port, timeout, ctx)
        except (OSError, ValueError) as e:
            conn.close()
            from . import fail

            raise fail.connect(e, origin)
        if ctx is not None:
            self.handshakes += 1
        self._conns[origin] = conn
        return conn

    def request(self, method, url, body=None, headers=(), timeout=None):
        """Send one request; returns a Response whose body the caller reads or closes.

        Redirects are not followed: a 3xx comes back with its Location header.
        """
        scheme, host, port, target = split_url(url)
        origin = "%s://%s:%d" % (scheme, host, port)
        i = target.find("?")
        path = target if i < 0 else target[:i]  # never a query in logs or errors: it may hold a token
        timeout = timeout or self.timeout
        if isinstance(body, str):
            body = body.encode()
        head = self._head(method, host, port, scheme, target, headers, body)
        for attempt in (0, 1):
            conn = self._conns.get(origin)
            if conn is not None and (conn.busy or conn.stale()):
                self._drop(origin, conn)
                conn = None
            reused = conn is not None
            if conn is None:
                conn = self._connect(scheme, host, port, origin, timeout)
            conn.settimeout(timeout)
            conn.busy = True
            self.requests += 1
            try:
                conn.send(head, body)
                status, hdrs, keep = read_head(conn)
            except (OSError, EOFError) as e:
                self._drop(origin, conn)
                if reused and not attempt and method in ("GET", "HEAD", "PUT", "DELETE"):
                    self.retries += 1
                    continue
                from . import fail

                raise fail.network(e, "%s %s%s" % (method, origin, path))
            except HomeyError:
                self._drop(origin, conn)
                raise
            r = Response(self, conn, origin, path, status, hdrs, keep)
            frame(r, method, status)
            return r

    def _head(self, method, host, port, scheme, target, headers, body):
        """The request head as a list of str pieces, never joined: Conn.send copies them out
        through its buffer (a login's query and tokens run to 700 bytes each)."""
        if port != (443 if scheme == "https" else 80):
            host = "%s:%d" % (host, port)
        parts = [method, " ", target, " HTTP/1.1\r\nHost: ", host,
                 "\r\nUser-Agent: uhomey/0.1\r\nAccept-Encoding: identity\r\nConnection: keep-alive\r\n"]
        accept = False
        for k, v in headers:
            accept = accept or k.lower() == "accept"
            parts.extend((k, ": ", v, "\r\n"))
        if not accept:
            parts.append("Accept: application/json\r\n")
        if body is not None or method in ("POST", "PUT"):
            parts.append("Content-Length: %d\r\n" % len(body or b""))
        parts.append("\r\n")
        return parts
