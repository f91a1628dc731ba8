# uhomey's own small HTTP/1.1 client. Why not micropython-lib `requests`: it
# follows every redirect, keeps one Set-Cookie, never checks certificates and
# closes the connection after each call (see docs/protocol.md).
#
# Http keeps one keep-alive connection per origin (conn.py) and sends requests;
# Response reads an answer's head and streams its body, framed by
# Content-Length, chunks or the close. Redirects are never followed.
from .compat import const, run_and_unload, ticks_add, ticks_diff, ticks_ms
from .conn import Conn
from .errors import HomeyError, ProtocolError, connect_error, network_error

MAX_HEADERS = const(64)
_MAX_INFORMATIONAL = const(8)  # 1xx answers skipped before the real one; a Homey sends none unasked
_CHUNK_LINE = const(256)  # the longest chunk-size line accepted
_DRAIN = const(2048)  # a rest of a body up to this is read off to keep the connection
_IDEMPOTENT = ("GET", "HEAD", "PUT", "DELETE")  # safe to send again on a fresh connection


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
    if c >= 0 and "]" not in host[c:]:
        port = host[c + 1:]
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("bad port")
        port = int(port)
        host = host[:c]
    if not host or " " in host:
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
        """The TLS client context: made once and kept (athom.renew drops it when a plain-HTTP
        Homey leaves no TLS connection open)."""
        if self._ctx is None:
            self._ctx = run_and_unload("tlsctx", "tls_context", self.tls)
        return self._ctx

    def _drop(self, origin, conn):
        conn.close()
        if self._conns.get(origin) is conn:
            del self._conns[origin]

    def close(self, origin=None):
        for o in list(self._conns):
            if origin is None or o == origin:
                self._drop(o, self._conns[o])

    def _connect(self, scheme, host, port, origin, deadline):
        conn = Conn(host)
        ctx = self.context() if scheme == "https" else None
        self.connects += 1
        try:
            conn.open(port, deadline, ctx)
        except (OSError, ValueError) as e:
            conn.close()
            raise connect_error(e, origin)
        if ctx is not None:
            self.handshakes += 1
        self._conns[origin] = conn
        return conn

    def request(self, method, url, body=None, headers=(), timeout=None):
        """Send one request; returns a Response whose body the caller reads or closes.

        Redirects are not followed: a 3xx comes back with its Location header. One deadline,
        `timeout` seconds (the config's by default) from now, bounds everything the request
        waits for: connect, TLS handshake, sending, head, body, and the retry on a fresh
        connection.
        """
        try:
            scheme, host, port, target = split_url(url)
        except ValueError:  # an address from the token store or a discovery, not a config typo
            raise ProtocolError.of("bad_address")
        origin = "%s://%s:%d" % (scheme, host, port)
        i = target.find("?")
        path = target if i < 0 else target[:i]  # never a query in logs or errors: it may hold a token
        deadline = ticks_add(ticks_ms(), int((timeout or self.timeout) * 1000))
        if isinstance(body, str):
            body = body.encode()
        for attempt in (0, 1):
            conn = self._conns.get(origin)
            if conn is not None and (conn.busy or conn.stale()):
                self._drop(origin, conn)
                conn = None
            reused = conn is not None
            if conn is None:
                conn = self._connect(scheme, host, port, origin, deadline)
            conn.start(deadline)
            conn.busy = True
            self.requests += 1
            try:
                # the head is made as it is sent, and is garbage before the answer is read
                # (not held through a first press's peak: warm .mpy minimum 48.25k -> 47.75k)
                conn.send(self._head(method, host, port, scheme, target, headers, body), body)
                r = Response(self, conn, origin, path, method)
            except (OSError, EOFError) as e:
                self._drop(origin, conn)
                if reused and not attempt and method in _IDEMPOTENT and ticks_diff(deadline, ticks_ms()) > 0:
                    self.retries += 1  # the server closed the idle connection as we sent
                    continue
                raise network_error(e, "%s %s%s" % (method, origin, path))
            except HomeyError:
                self._drop(origin, conn)
                raise
            return r

    def _head(self, method, host, port, scheme, target, headers, body):
        """The request head as a list of str pieces, never joined (Conn.send copies them out)."""
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


class Response:
    """Status, headers in arrival order (repeats kept, names lowercased), and a body readable as
    a stream."""

    def __init__(self, http, conn, origin, path, method):
        """Reads the head off conn (1xx answers skipped) and sets up the body's framing."""
        self._http = http
        self._conn = conn
        self.origin = origin
        self.path = path
        self._chunked = False
        self._left = -1  # bytes left in the body or the current chunk; -1 = until close
        self._chunks = 0
        self._read_head()
        self._frame(method)

    def _read_head(self):
        conn = self._conn
        for _ in range(_MAX_INFORMATIONAL + 1):
            line = conn.readline()
            if not line:
                raise EOFError()
            parts = line.split(None, 2)
            if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
                raise ProtocolError.of("not_http", conn.host)
            self.status = int(parts[1])
            keep = parts[0] == b"HTTP/1.1"
            self.headers = []
            while True:
                line = conn.readline()
                if not line:
                    raise EOFError()
                if not line.strip():
                    break
                if len(self.headers) >= MAX_HEADERS:
                    raise ProtocolError.of("too_many_headers", conn.host)
                i = line.find(b":")
                if i > 0:
                    try:
                        # names lowercased once here: header() then compares without a copy per look
                        self.headers.append((line[:i].strip().decode().lower(), line[i + 1:].strip().decode()))
                    except UnicodeError:
                        raise ProtocolError.of("header_not_text", conn.host)
            if not 100 <= self.status < 200:
                break
        else:
            raise ProtocolError.of("endless_informational", conn.host, _MAX_INFORMATIONAL)
        for k, v in self.headers:
            if k == "connection":
                v = v.lower()
                keep = "close" not in v and (keep or "keep-alive" in v)
        self._keep = keep

    def _frame(self, method):
        cl = self.header("content-length")
        if "chunked" in self.header("transfer-encoding", "").lower():
            self._chunked = True
            self._left = 0
            return
        if method == "HEAD" or self.status in (204, 304):
            self._left = 0
        elif cl is not None:
            if not cl.isdigit():
                self._keep = False
                self._finish()
                raise ProtocolError.of("bad_content_length", self.where())
            self._left = int(cl)
        else:
            self._keep = False
        if not self._left:
            self._finish()

    def header(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k == name:
                return v
        return default

    def where(self):
        return self.origin + self.path

    def _cut(self):
        self._keep = False
        self._finish()
        raise ProtocolError.of("answer_cut_short", self.where())

    def _bad_chunk(self):
        """Bytes where a chunk-size line or a chunk's CRLF belongs: the connection goes too."""
        self._keep = False
        self._finish()
        raise ProtocolError.of("bad_chunk_size", self.where())

    def _next_chunk(self):
        """Read the next chunk-size line (and the trailers after the last chunk)."""
        c = self._conn
        if self._chunks and c.readline(8).strip():  # the CRLF after a chunk, and nothing else
            self._bad_chunk()
        self._chunks += 1
        line = c.readline(_CHUNK_LINE)
        if not line:
            self._cut()
        try:
            size = int(line.split(b";")[0].strip(), 16)
        except ValueError:
            size = -1
        if size < 0:
            self._bad_chunk()
        if size == 0:
            for _ in range(MAX_HEADERS):  # trailers, then the blank line
                t = c.readline()
                if not t:
                    self._cut()
                if not t.strip():
                    break
            self._finish()
        self._left = size

    def readinto(self, mv):
        """Fill up to len(mv) bytes of body; 0 at the end."""
        if self._conn is None:  # the answer is over
            return 0
        try:
            if self._chunked and not self._left:
                self._next_chunk()
                if self._conn is None:
                    return 0
            if 0 <= self._left < len(mv):
                mv = mv[:self._left]
            n = self._conn.readinto(mv)
        except OSError as e:
            self._keep = False
            self._finish()
            raise network_error(e, "reading from " + self.where())
        if not n:
            if self._left < 0:
                self._finish()
                return 0
            self._cut()
        if self._left > 0:
            self._left -= n
            if not self._left and not self._chunked:
                self._finish()
        return n

    def body(self, limit=4096):
        """The whole body (a bytearray), refusing one longer than `limit`."""
        if not self._chunked and 0 <= self._left <= limit:  # its length is known: one block
            out = bytearray(self._left)
            mv = memoryview(out)
            n = 0
            while n < len(out):
                k = self.readinto(mv[n:])  # raises when the answer is cut short
                if not k:
                    return out[:n]
                n += k
            return out
        out = bytearray()
        mv = memoryview(bytearray(256))
        while True:
            n = self.readinto(mv)
            if not n:
                return out
            if len(out) + n > limit:
                self._keep = False
                self.close()
                raise ProtocolError.of("answer_too_long", self.where(), limit)
            out += mv[:n]

    def is_json(self):
        return "json" in self.header("content-type", "").lower()

    def json(self, limit=4096):
        """The body parsed as JSON; a ProtocolError if it is not JSON (a captive portal's HTML)."""
        import json

        if not self.is_json():
            self.close()
            got = self.header("content-type", "nothing").split(";")[0]
            raise ProtocolError.of("not_json", self.where(), got, self.status)
        try:
            return json.loads(self.body(limit))
        except (ValueError, RuntimeError):  # RuntimeError: CPython's recursion limit, nested too deep
            raise ProtocolError.of("json_unparsable", self.where())

    def _finish(self):
        """The answer is over: its connection is let go (kept alive, or dropped when the answer
        ends it), and None says so (no done flag: an 11th attribute grew the map at the warm
        boot's tightest moment; warm .mpy minimum 49.0k -> 48.25k)."""
        conn = self._conn
        if conn is not None:
            self._conn = None
            conn.busy = False
            if not self._keep:
                self._http._drop(self.origin, conn)

    def close(self):
        """Done with this response: drain a small rest so the connection stays usable."""
        if self._conn is None:
            return
        if self._keep and (self._chunked or self._left <= _DRAIN):
            mv = memoryview(bytearray(128))
            try:
                for _ in range(32):
                    if not self.readinto(mv):
                        return
            except HomeyError:
                return
        self._keep = False
        self._finish()
