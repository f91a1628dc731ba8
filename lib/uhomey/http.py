# uhomey's own small HTTP/1.1 client. Why not micropython-lib `requests`: it
# follows every redirect, keeps one Set-Cookie, never checks certificates and
# closes the connection after each call (see shared/protocol.md).
#
# One keep-alive connection per origin. Bodies are streamed; nothing is
# buffered beyond one small read buffer per connection.
import socket

from . import log
from .compat import MICROPYTHON, TLS_ERRORS, const, tls_wrap
from .errors import HomeyError, HTTPError, NetworkError, ProtocolError, TLSError, Unreachable

BUF_SIZE = const(1024)
MAX_LINE = const(8192)
MAX_HEADERS = const(64)
MAX_HEAD = const(32768)
USER_AGENT = "uhomey/0.1 (MicroPython Homey button)"

_IDEMPOTENT = ("GET", "HEAD", "PUT", "DELETE", "OPTIONS")


class _Closed(Exception):
    """The peer closed the connection before a status line arrived."""


def split_url(url):
    """(scheme, host, port, target) of an absolute http(s) URL."""
    i = url.find("://")
    if i < 0:
        raise ValueError("not an absolute URL")
    scheme = url[:i].lower()
    if scheme not in ("http", "https"):
        raise ValueError("scheme must be http or https")
    rest = url[i + 3:]
    j = rest.find("/")
    k = rest.find("?")
    if j < 0 or (0 <= k < j):
        j = k
    if j < 0:
        hostport, target = rest, "/"
    else:
        hostport, target = rest[:j], rest[j:]
        if target[0] == "?":
            target = "/" + target
    port = 443 if scheme == "https" else 80
    c = hostport.rfind(":")
    if c > 0 and hostport.find("]", c) < 0:
        port = int(hostport[c + 1:])
        hostport = hostport[:c]
    if not hostport:
        raise ValueError("no host")
    return scheme, hostport, port, target


def origin_of(url):
    s, h, p, _ = split_url(url)
    return "%s://%s:%d" % (s, h, p)


def _path_only(target):
    i = target.find("?")
    return target if i < 0 else target[:i]


def _describe(e):
    n = getattr(e, "errno", None)
    if n is None and e.args and isinstance(e.args[0], int):
        n = e.args[0]
    if n in (11, 110, 116) or "timed out" in str(e):  # MicroPython: EAGAIN on a timed-out recv
        return "timed out"
    if n == 111:
        return "connection refused"
    if n in (104, 32):
        return "connection reset"
    if n in (113, 118, 101):
        return "host unreachable"
    if n is not None and n < 0 and n > -1000:
        return "DNS lookup failed"
    s = str(e)
    return s if s else "network error %r" % (n,)


class Conn:
    """One TCP (or TLS) connection with a small read buffer."""

    def __init__(self, scheme, host, port):
        self.scheme = scheme
        self.host = host
        self.port = port
        self.sock = None
        self.raw = None
        self.buf = bytearray(BUF_SIZE)
        self.mv = memoryview(self.buf)
        self.pos = 0
        self.end = 0
        self.busy = False
        self.served = 0
        self._poll = None

    def open(self, timeout, ctx):
        ai = socket.getaddrinfo(self.host, self.port, 0, socket.SOCK_STREAM)[0]
        s = socket.socket(ai[0], socket.SOCK_STREAM)
        self.raw = s
        s.settimeout(timeout)
        if not MICROPYTHON:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.connect(ai[-1])
        self.sock = tls_wrap(ctx, s, self.host) if ctx is not None else s
        # CPython's wrap detaches the plain socket; MicroPython's TLS socket has
        # no settimeout and polls through to the plain one.
        self.ctl = self.raw if MICROPYTHON else self.sock
        self._recv_into = getattr(self.sock, "recv_into", None)

    def settimeout(self, t):
        self.ctl.settimeout(t)

    def close(self):
        for s in (self.sock, self.raw):
            if s is not None:
                try:
                    s.close()
                except OSError:
                    pass
        self.sock = self.raw = None
        self.pos = self.end = 0

    def stale(self):
        """True when an idle connection has something to read: the server closed it."""
        if self.pos < self.end:
            return True
        try:
            if MICROPYTHON:
                import select

                if self._poll is None:
                    self._poll = select.poll()
                    self._poll.register(self.sock, select.POLLIN)
                return bool(self._poll.poll(0))
            import select

            if getattr(self.sock, "pending", None) and self.sock.pending():
                return True
            return bool(select.select([self.ctl], [], [], 0)[0])
        except (OSError, ValueError):
            return True

    def send(self, data):
        if MICROPYTHON:
            self.sock.write(data)
        else:
            self.sock.sendall(data)

    def _fill(self):
        if self._recv_into is not None:
            n = self._recv_into(self.buf)
        else:
            chunk = self.sock.recv(BUF_SIZE)
            n = len(chunk)
            self.buf[:n] = chunk
        self.pos = 0
        self.end = n
        return n

    def readline(self, limit=MAX_LINE):
        parts = None
        size = 0
        while True:
            if self.pos >= self.end and not self._fill():
                break
            i = self.buf.find(b"\n", self.pos, self.end)
            stop = self.end if i < 0 else i + 1
            piece = bytes(self.mv[self.pos:stop])
            self.pos = stop
            size += len(piece)
            if size > limit:
                raise ProtocolError("a header line from %s is longer than %d bytes" % (self.host, limit))
            if i >= 0 and parts is None:
                return piece
            if parts is None:
                parts = []
            parts.append(piece)
            if i >= 0:
                break
        return b"".join(parts) if parts else b""

    def readinto(self, mv):
        """Up to len(mv) bytes; 0 at end of stream."""
        want = len(mv)
        avail = self.end - self.pos
        if avail <= 0:
            if want >= BUF_SIZE and self._recv_into is not None:
                return self._recv_into(mv)
            if not self._fill():
                return 0
            avail = self.end
        n = want if want < avail else avail
        mv[:n] = self.mv[self.pos:self.pos + n]
        self.pos += n
        return n


class Response:
    """Status, headers in arrival order, and a body readable as a stream."""

    def __init__(self, http, conn, origin, path, status, reason, headers, keep):
        self._http = http
        self._conn = conn
        self.origin = origin
        self.path = path
        self.status = status
        self.reason = reason
        self.headers = headers
        self._keep = keep
        self._chunked = False
        self._left = -1  # bytes left in body or chunk; -1 = until close
        self._done = False
        self._first_chunk = True

    def header(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    def header_all(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    @property
    def host(self):
        return self._conn.host if self._conn else self.origin

    def _where(self):
        return "%s%s" % (self.origin, self.path)

    def _eof(self):
        self._keep = False
        self._finish()
        raise ProtocolError("the answer from %s was cut short; try again" % self._where())

    def _next_chunk(self):
        c = self._conn
        if not self._first_chunk:
            c.readline(16)
        self._first_chunk = False
        line = c.readline(256)
        if not line:
            self._eof()
        i = line.find(b";")
        try:
            size = int((line if i < 0 else line[:i]).strip(), 16)
        except ValueError:
            raise ProtocolError("bad chunk size from %s" % self._where())
        if size == 0:
            for _ in range(MAX_HEADERS):
                t = c.readline()
                if not t:
                    self._eof()
                if t in (b"\r\n", b"\n"):
                    break
            self._finish()
        self._left = size

    def readinto(self, mv):
        """Fill up to len(mv) bytes of body; 0 at the end. Bounded by the read timeout."""
        if self._done:
            return 0
        if self._chunked and self._left == 0:
            self._next_chunk()
            if self._done:
                return 0
        want = len(mv)
        if self._left >= 0 and self._left < want:
            want = self._left
            mv = mv[:want]
        try:
            n = self._conn.readinto(mv)
        except OSError as e:
            self._keep = False
            self._finish()
            raise NetworkError("reading from %s: %s" % (self._where(), _describe(e)))
        if n == 0:
            if self._left < 0 and not self._chunked:
                self._finish()
                return 0
            self._eof()
        if self._left > 0:
            self._left -= n
            if self._left == 0 and not self._chunked:
                self._finish()
        return n

    def read(self, n):
        """Up to n bytes of body; b'' at the end."""
        buf = bytearray(n)
        got = self.readinto(memoryview(buf))
        return bytes(buf[:got])

    def body(self, limit=16384):
        """The whole body as bytes, refusing one longer than `limit`."""
        if self._left >= 0 and not self._chunked:
            if self._left > limit:
                self.close()
                raise ProtocolError("the answer from %s is too large (%d bytes)" % (self._where(), self._left))
            out = bytearray(self._left)
            mv = memoryview(out)
            got = 0
            while got < len(out):
                got += self.readinto(mv[got:])
            return bytes(out)
        parts = []
        size = 0
        chunk = bytearray(512)
        mv = memoryview(chunk)
        while True:
            n = self.readinto(mv)
            if not n:
                break
            size += n
            if size > limit:
                self._keep = False
                self.close()
                raise ProtocolError("the answer from %s is too large (over %d bytes)" % (self._where(), limit))
            parts.append(bytes(mv[:n]))
        return b"".join(parts)

    def is_json(self):
        ct = self.header("content-type", "")
        return "json" in ct.lower()

    def json(self, limit=16384):
        import json

        if not self.is_json():
            ct = self.header("content-type", "nothing")
            self.close()
            raise ProtocolError(
                "expected JSON from %s but got %s (HTTP %d); a captive portal or proxy in the way?"
                % (self._where(), ct.split(";")[0], self.status)
            )
        data = self.body(limit)
        try:
            return json.loads(data)
        except ValueError:
            raise ProtocolError("the JSON from %s does not parse; try again" % self._where())

    def _finish(self):
        if self._done:
            return
        self._done = True
        c = self._conn
        c.busy = False
        if not self._keep:
            self._http._drop(self.origin, c)

    def close(self):
        """Done with this response: drain a small rest so the connection stays usable."""
        if self._done:
            return
        if self._keep and (self._chunked or 0 <= self._left <= 4096):
            try:
                buf = bytearray(256)
                mv = memoryview(buf)
                for _ in range(64):
                    if not self.readinto(mv):
                        break
            except HomeyError:
                return
        if not self._done:
            self._keep = False
            self._finish()

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()


class Http:
    """Keep-alive HTTP/1.1 client: one connection per origin, reused across calls."""

    def __init__(self, tls=None, timeout=10):
        self.tls = tls  # callable(origin) -> ssl context, or None for http only
        self.timeout = timeout
        self._conns = {}
        self.requests = 0
        self.connects = 0
        self.handshakes = 0
        self.retries = 0

    def _drop(self, origin, conn):
        conn.close()
        if self._conns.get(origin) is conn:
            del self._conns[origin]

    def close(self, origin=None):
        for o in list(self._conns):
            if origin is None or o == origin:
                self._drop(o, self._conns[o])

    def _connect(self, scheme, host, port, origin, timeout):
        conn = Conn(scheme, host, port)
        ctx = None
        if scheme == "https":
            if self.tls is None:
                raise TLSError("https to %s needs a tls section in the config" % origin)
            ctx = self.tls(origin)
        self.connects += 1
        try:
            conn.open(timeout, ctx)
        except TLS_ERRORS as e:
            conn.close()
            if isinstance(e, OSError) and not _is_cert_error(e):
                raise NetworkError("TLS with %s failed: %s" % (origin, _describe(e)))
            raise TLSError(
                "the certificate of %s is not trusted (%s); check tls.ca in the config" % (origin, _short(e))
            )
        except OSError as e:
            conn.close()
            raise Unreachable("cannot reach %s: %s" % (origin, _describe(e)))
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
        path = _path_only(target)
        timeout = timeout or self.timeout
        if isinstance(body, str):
            body = body.encode()
        head = self._head(method, host, port, scheme, target, headers, body)
        for attempt in (0, 1):
            conn = self._conns.get(origin)
            reused = conn is not None
            if conn is not None and (conn.busy or conn.stale()):
                self._drop(origin, conn)
                conn = None
                reused = False
            if conn is None:
                conn = self._connect(scheme, host, port, origin, timeout)
            conn.settimeout(timeout)
            conn.busy = True
            self.requests += 1
            try:
                conn.send(head + body if body else head)
                status, reason, hdrs, keep = _read_head(conn)
            except (_Closed, OSError) as e:
                self._drop(origin, conn)
                if reused and attempt == 0 and method in _IDEMPOTENT:
                    self.retries += 1
                    log.debug("%s %s: kept connection was closed, reconnecting", method, origin)
                    continue
                why = "closed the connection" if isinstance(e, _Closed) else _describe(e)
                raise NetworkError("%s %s%s: %s" % (method, origin, path, why))
            except HomeyError:
                self._drop(origin, conn)
                raise
            conn.served += 1
            log.debug("%s %s%s -> %d", method, origin, path, status)
            r = Response(self, conn, origin, path, status, reason, hdrs, keep)
            _frame(r, method, status)
            return r

    def _head(self, method, host, port, scheme, target, headers, body):
        default = 443 if scheme == "https" else 80
        hostval = host if port == default else "%s:%d" % (host, port)
        lines = [
            "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nAccept-Encoding: identity\r\nConnection: keep-alive\r\n"
            % (method, target, hostval, USER_AGENT)
        ]
        has_accept = False
        for k, v in headers:
            if k.lower() == "accept":
                has_accept = True
            lines.append("%s: %s\r\n" % (k, v))
        if not has_accept:
            lines.append("Accept: application/json\r\n")
        if body is not None or method in ("POST", "PUT", "PATCH"):
            lines.append("Content-Length: %d\r\n" % (len(body) if body else 0))
        lines.append("\r\n")
        return "".join(lines).encode()


def _is_cert_error(e):
    s = str(e).lower()
    return "certif" in s or "verif" in s or "hostname" in s


def _short(e):
    s = str(e).strip().replace("\n", " ")
    return s[:120] if s else e.__class__.__name__


def _read_head(conn):
    total = 0
    while True:
        line = conn.readline()
        if not line:
            raise _Closed()
        parts = line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
            raise ProtocolError("%s did not answer with HTTP" % conn.host)
        try:
            status = int(parts[1])
        except ValueError:
            raise ProtocolError("%s sent a bad status line" % conn.host)
        reason = parts[2].strip().decode() if len(parts) > 2 else ""
        keep = parts[0] == b"HTTP/1.1"
        headers = []
        while True:
            line = conn.readline()
            total += len(line)
            if not line:
                raise _Closed()
            if line in (b"\r\n", b"\n"):
                break
            if total > MAX_HEAD or len(headers) >= MAX_HEADERS:
                raise ProtocolError("%s sent too many headers" % conn.host)
            i = line.find(b":")
            if i <= 0:
                continue
            headers.append((line[:i].strip().decode(), line[i + 1:].strip().decode()))
        if 100 <= status < 200 and status != 101:
            continue
        for k, v in headers:
            if k.lower() == "connection":
                v = v.lower()
                if "close" in v:
                    keep = False
                elif "keep-alive" in v:
                    keep = True
        return status, reason, headers, keep


def _frame(r, method, status):
    te = r.header("transfer-encoding")
    if te is not None and "chunked" in te.lower():
        r._chunked = True
        r._left = 0
        return
    cl = r.header("content-length")
    if method == "HEAD" or status in (204, 304):
        r._left = 0
    elif cl is not None:
        try:
            r._left = int(cl)
        except ValueError:
            r._keep = False
            r._finish()
            raise ProtocolError("bad Content-Length from %s" % r._where())
        if r._left < 0:
            raise ProtocolError("bad Content-Length from %s" % r._where())
    else:
        r._keep = False
        r._left = -1
    if r._left == 0:
        r._finish()


def error_text(resp, limit=2048):
    """A short, secret-free reason from an error answer's body (JSON `error_description`/`error`)."""
    try:
        if resp.is_json():
            import json

            data = json.loads(resp.body(limit))
            if isinstance(data, dict):
                d = data.get("error_description") or data.get("message") or data.get("error")
                if isinstance(d, dict):
                    d = d.get("message") or d.get("en") or ""
                code = data.get("error")
                if d is not None:
                    return _scrub(str(d)), (code if isinstance(code, str) else None)
            return "", None
        resp.close()
    except (HomeyError, ValueError):
        pass
    return "", None


def _scrub(text):
    """Blank out anything shaped like a token, so a server echo cannot leak one."""
    out = []
    for word in text[:300].split(" "):
        letters = 0
        for ch in word:
            if ch.isalpha() or ch.isdigit():
                letters += 1
        if len(word) >= 24 and letters * 10 >= len(word) * 7:
            word = "[...]"
        out.append(word)
    return " ".join(out)


def raise_for(resp, what):
    """Raise the HomeyError matching an error status. `what` names the step, for the user."""
    from .errors import AuthError, NotFound, Rejected

    status = resp.status
    text, code = error_text(resp)
    retry = None
    ra = resp.header("retry-after")
    if ra is not None:
        try:
            retry = int(ra)
        except ValueError:
            retry = None
    where = resp.origin
    detail = (": " + text) if text else ""
    if status == 429:
        msg = "%s: %s is rate limiting (HTTP 429)%s; wait %s s before trying again" % (
            what, where, detail, retry if retry is not None else "a few")
        raise HTTPError(msg, status, retry, code)
    if status >= 500:
        raise HTTPError("%s: %s had a server error (HTTP %d)%s; try again later" % (what, where, status, detail),
                        status, retry, code)
    if status in (401, 403):
        raise AuthError("%s: not authorised by %s (HTTP %d)%s" % (what, where, status, detail), status, retry, code)
    if status == 404:
        raise NotFound("%s: not found on %s%s" % (what, where, detail), status, retry, code)
    if status == 400:
        raise Rejected("%s: refused by %s%s" % (what, where, detail), status, retry, code)
    raise HTTPError("%s: unexpected HTTP %d from %s%s" % (what, status, where, detail), status, retry, code)


class CookieJar:
    """Cookies of one host, replayed as they came (the consent step needs `_csrf`)."""

    def __init__(self):
        self.items = []

    def update(self, resp):
        for line in resp.header_all("set-cookie"):
            i = line.find(";")
            pair = line if i < 0 else line[:i]
            j = pair.find("=")
            if j <= 0:
                continue
            name = pair[:j].strip()
            value = pair[j + 1:].strip()
            attrs = line[i:].lower() if i >= 0 else ""
            self.items = [kv for kv in self.items if kv[0] != name]
            if value and "max-age=0" not in attrs:
                self.items.append((name, value))

    def get(self, name):
        for k, v in self.items:
            if k == name:
                return v
        return None

    def header(self):
        return "; ".join("%s=%s" % kv for kv in self.items)
