# uhomey's own small HTTP/1.1 client. Why not micropython-lib `requests`: it
# follows every redirect, keeps one Set-Cookie, never checks certificates and
# closes the connection after each call (see shared/protocol.md).
#
# One keep-alive connection per origin; bodies are streamed through one small
# buffer per connection. Error wording lives in fail.py, loaded only on errors.
import socket

from .compat import MICROPYTHON, const, ticks_diff, ticks_ms
from .errors import HomeyError, ProtocolError

BUF_SIZE = const(512)
MAX_LINE = const(8192)
MAX_HEADERS = const(64)
USER_AGENT = "uhomey/0.1"
_IDEMPOTENT = ("GET", "HEAD", "PUT", "DELETE")


def split_url(url):
    """(scheme, host, port, target) of an absolute http(s) URL; ValueError otherwise."""
    i = url.find("://")
    scheme = url[:i].lower()
    if i < 0 or scheme not in ("http", "https"):
        raise ValueError("not an http(s) URL")
    rest = url[i + 3:]
    j = len(rest)
    for ch in "/?":
        k = rest.find(ch)
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


class Conn:
    """One TCP (or TLS) connection with a small read buffer."""

    def __init__(self, host):
        self.host = host
        self.sock = self.raw = self._poll = None
        self.buf = bytearray(BUF_SIZE)
        self.mv = memoryview(self.buf)
        self.pos = self.end = 0
        self.busy = False

    def open(self, port, timeout, ctx):
        ai = socket.getaddrinfo(self.host, port, 0, socket.SOCK_STREAM)[0]
        self.raw = socket.socket(ai[0], socket.SOCK_STREAM)
        self.settimeout(timeout)
        if not MICROPYTHON:
            self.raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.raw.connect(ai[-1])
        self.sock = self.raw if ctx is None else ctx.wrap_socket(self.raw, server_hostname=self.host)
        if not MICROPYTHON:
            self.raw = self.sock  # CPython's wrap detached the plain socket

    def settimeout(self, t):
        self.timeout = t
        self.raw.settimeout(t)

    def _poller(self):
        if self._poll is None:
            import select

            self._poll = select.poll()
            self._poll.register(self.sock, select.POLLIN)
        return self._poll

    def _recv_into(self, mv):
        """Whatever has arrived, up to len(mv) bytes; 0 at end of stream; OSError(110) on timeout."""
        if not MICROPYTHON:
            return self.sock.recv_into(mv)
        # MicroPython's blocking reads wait for all len(mv) bytes (TLS too); a
        # non-blocking read after poll returns what is there, allocating nothing.
        s = self.sock
        ms = int(self.timeout * 1000)
        start = ticks_ms()
        while True:
            left = ms - ticks_diff(ticks_ms(), start)
            if left <= 0 or not self._poller().poll(left):
                raise OSError(110)
            s.setblocking(False)
            try:
                n = s.readinto(mv)
            finally:
                s.setblocking(True)
                self.raw.settimeout(self.timeout)
            if n is not None:
                return n

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
                if self.raw is not self.sock:
                    self.raw.close()
            except OSError:
                pass
        self.sock = self.raw = self._poll = None
        self.pos = self.end = 0

    def stale(self):
        """True when an idle connection has something to read: the server closed it."""
        if self.pos < self.end:
            return True
        try:
            if MICROPYTHON:
                return bool(self._poller().poll(0))
            import select

            if getattr(self.sock, "pending", None) and self.sock.pending():
                return True
            return bool(select.select([self.sock], [], [], 0)[0])
        except (OSError, ValueError):
            return True

    def send(self, data):
        if MICROPYTHON:
            self.sock.write(data)
        else:
            self.sock.sendall(data)

    def readline(self, limit=MAX_LINE):
        line = b""
        while True:
            if self.pos >= self.end:
                self.end = self._recv_into(self.mv)
                self.pos = 0
                if not self.end:
                    return line
            i = self.buf.find(b"\n", self.pos, self.end)
            stop = self.end if i < 0 else i + 1
            line += self.mv[self.pos:stop]
            self.pos = stop
            if len(line) > limit:
                raise ProtocolError("%s sent a header line over %d bytes" % (self.host, limit))
            if i >= 0:
                return line

    def readinto(self, mv):
        """Up to len(mv) bytes; 0 at end of stream."""
        avail = self.end - self.pos
        if avail <= 0:
            if len(mv) >= BUF_SIZE:
                return self._recv_into(mv)
            self.end = avail = self._recv_into(self.mv)
            self.pos = 0
            if not avail:
                return 0
        n = min(len(mv), avail)
        mv[:n] = self.mv[self.pos:self.pos + n]
        self.pos += n
        return n


class Response:
    """Status, headers in arrival order (repeats kept), and a body readable as a stream."""

    def __init__(self, http, conn, origin, path, status, headers, keep):
        self._http = http
        self._conn = conn
        self.origin = origin
        self.path = path
        self.status = status
        self.headers = headers
        self._keep = keep
        self._chunked = False
        self._left = -1  # bytes left in the body or the current chunk; -1 = until close
        self._done = False
        self._chunks = 0

    def header(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    def where(self):
        return self.origin + self.path

    def _cut(self):
        self._keep = False
        self._finish()
        raise ProtocolError("the answer from %s was cut short; try again" % self.where())

    def _next_chunk(self):
        c = self._conn
        if self._chunks:
            c.readline(8)  # the CRLF after the previous chunk
        self._chunks += 1
        line = c.readline(256)
        if not line:
            self._cut()
        try:
            size = int(line.split(b";")[0].strip(), 16)
        except ValueError:
            raise ProtocolError("bad chunk size from %s" % self.where())
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
        if self._done:
            return 0
        if self._chunked and not self._left:
            self._next_chunk()
            if self._done:
                return 0
        if 0 <= self._left < len(mv):
            mv = mv[:self._left]
        try:
            n = self._conn.readinto(mv)
        except OSError as e:
            self._keep = False
            self._finish()
            from . import fail

            raise fail.network(e, "reading from " + self.where())
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
        """The whole body as bytes, refusing one longer than `limit`."""
        out = bytearray()
        chunk = bytearray(256)
        mv = memoryview(chunk)
        while True:
            n = self.readinto(mv)
            if not n:
                return bytes(out)
            if len(out) + n > limit:
                self._keep = False
                self.close()
                raise ProtocolError("the answer from %s is over %d bytes" % (self.where(), limit))
            out += mv[:n]

    def is_json(self):
        return "json" in self.header("content-type", "").lower()

    def json(self, limit=4096):
        """The body parsed as JSON; a ProtocolError if it is not JSON (a captive portal's HTML)."""
        import json

        if not self.is_json():
            self.close()
            raise ProtocolError("expected JSON from %s but got %s (HTTP %d); a captive portal or proxy?"
                                % (self.where(), self.header("content-type", "nothing").split(";")[0],
                                   self.status))
        try:
            return json.loads(self.body(limit))
        except ValueError:
            raise ProtocolError("the JSON from %s does not parse" % self.where())

    def _finish(self):
        if not self._done:
            self._done = True
            self._conn.busy = False
            if not self._keep:
                self._http._drop(self.origin, self._conn)

    def close(self):
        """Done with this response: drain a small rest so the connection stays usable."""
        if self._done:
            return
        if self._keep and (self._chunked or self._left <= 2048):
            mv = memoryview(bytearray(128))
            try:
                for _ in range(32):
                    if not self.readinto(mv):
                        return
            except HomeyError:
                return
        self._keep = False
        self._finish()


class Http:
    """Keep-alive HTTP/1.1 client: one connection per origin, reused across calls."""

    def __init__(self, tls=None, timeout=10):
        self.tls = tls  # callable(origin) -> TLS client context
        self.timeout = timeout
        self._conns = {}
        self.requests = self.connects = self.handshakes = self.retries = 0

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
            ctx = self.tls(origin)
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
        data = self._head(method, host, port, scheme, target, headers, body)
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
                conn.send(data)
                status, hdrs, keep = _read_head(conn)
            except (OSError, EOFError) as e:
                self._drop(origin, conn)
                if reused and not attempt and method in _IDEMPOTENT:
                    self.retries += 1
                    continue
                from . import fail

                raise fail.network(e, "%s %s%s" % (method, origin, path))
            except HomeyError:
                self._drop(origin, conn)
                raise
            r = Response(self, conn, origin, path, status, hdrs, keep)
            _frame(r, method, status)
            return r

    def _head(self, method, host, port, scheme, target, headers, body):
        if port != (443 if scheme == "https" else 80):
            host = "%s:%d" % (host, port)
        h = ("%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nAccept-Encoding: identity\r\n"
             "Connection: keep-alive\r\n" % (method, target, host, USER_AGENT))
        accept = False
        for k, v in headers:
            accept = accept or k.lower() == "accept"
            h += "%s: %s\r\n" % (k, v)
        if not accept:
            h += "Accept: application/json\r\n"
        if isinstance(body, str):
            body = body.encode()
        if body is not None or method in ("POST", "PUT"):
            h += "Content-Length: %d\r\n" % len(body or b"")
        h = (h + "\r\n").encode()
        return h + body if body else h


def _read_head(conn):
    while True:
        line = conn.readline()
        if not line:
            raise EOFError()
        parts = line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
            raise ProtocolError("%s did not answer with HTTP" % conn.host)
        status = int(parts[1])
        keep = parts[0] == b"HTTP/1.1"
        headers = []
        while True:
            line = conn.readline()
            if not line:
                raise EOFError()
            if not line.strip():
                break
            if len(headers) >= MAX_HEADERS:
                raise ProtocolError("%s sent too many headers" % conn.host)
            i = line.find(b":")
            if i > 0:
                headers.append((line[:i].strip().decode(), line[i + 1:].strip().decode()))
        if not 100 <= status < 200:
            break
    for k, v in headers:
        if k.lower() == "connection":
            v = v.lower()
            keep = "close" not in v and (keep or "keep-alive" in v)
    return status, headers, keep


def _frame(r, method, status):
    te = r.header("transfer-encoding", "")
    cl = r.header("content-length")
    if "chunked" in te.lower():
        r._chunked = True
        r._left = 0
        return
    if method == "HEAD" or status in (204, 304):
        r._left = 0
    elif cl is not None:
        if not cl.isdigit():
            r._keep = False
            r._finish()
            raise ProtocolError("bad Content-Length from %s" % r.where())
        r._left = int(cl)
    else:
        r._keep = False
    if not r._left:
        r._finish()
