# An HTTP/1.1 response: the head read off a connection, and a body framed by
# Content-Length, chunks or the close, readable as a stream.
from .compat import const
from .errors import HomeyError, ProtocolError

MAX_HEADERS = const(64)


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
            n = self._conn.readinto(mv, self._left > 0)
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


def read_head(conn):
    conn.await_head()
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


def frame(r, method, status):
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
