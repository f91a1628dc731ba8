# An HTTP/1.1 response: status, headers, and a body framed by Content-Length,
# chunks or the close (set up in head.py), readable as a stream.
from .errors import HomeyError, ProtocolError, fault


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
        raise fault(ProtocolError, 60, self.where())  # the answer from %s was cut short; try again

    def readinto(self, mv):
        """Fill up to len(mv) bytes of body; 0 at the end."""
        if self._done:
            return 0
        if self._chunked and not self._left:
            from .head import next_chunk

            next_chunk(self)
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
        chunk = bytearray(256)
        mv = memoryview(chunk)
        while True:
            n = self.readinto(mv)
            if not n:
                return out
            if len(out) + n > limit:
                self._keep = False
                self.close()
                raise fault(ProtocolError, 61, self.where(), limit)  # the answer from %s is over %d bytes
            out += mv[:n]

    def is_json(self):
        return "json" in self.header("content-type", "").lower()

    def json(self, limit=4096):
        """The body parsed as JSON; a ProtocolError if it is not JSON (a captive portal's HTML)."""
        import json

        if not self.is_json():
            self.close()
            got = self.header("content-type", "nothing").split(";")[0]
            raise fault(ProtocolError, 62, self.where(), got, self.status)  # expected JSON from %s but got %s...
        try:
            return json.loads(self.body(limit))
        except ValueError:
            raise fault(ProtocolError, 63, self.where())  # the JSON from %s does not parse

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
