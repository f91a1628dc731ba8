# The byte level under devices.walk: the body through one small buffer, strings
# and bare words (numbers, true, false, null). Split from devices.py so each
# compiles in a small heap; unloaded with it (calls.LOOKUP).
from .errors import ProtocolError

_END = b",}] \t\r\n"


class Bytes:
    """The body through one buffer; _raw and _bad are what jesc.unescape needs."""

    def __init__(self, r, what):
        self.r = r
        self.buf = bytearray(256)
        self.mv = memoryview(self.buf)
        self.pos = self.end = 0
        self.what = what

    def _bad(self, why):
        return ProtocolError("%s is not valid JSON (%s)" % (self.what, why))

    def _fill(self):
        n = self.r.readinto(self.mv)
        if not n:
            raise self._bad("it ends early")
        self.pos = 0
        self.end = n

    def _raw(self):
        if self.pos >= self.end:
            self._fill()
        self.pos += 1
        return self.buf[self.pos - 1]

    def text(self, maxlen):
        """The rest of a string (its quote read) as str; None when over maxlen bytes (-1: skipped)."""
        out = bytearray()
        buf = self.buf
        while True:
            if self.pos >= self.end:
                self._fill()
            p = self.pos
            q = buf.find(b'"', p, self.end)
            s = self.end if q < 0 else q
            b = buf.find(b"\\", p, s)
            if b >= 0:
                s = b
            if len(out) <= maxlen:
                out.extend(self.mv[p:s])
            self.pos = s + (s == q or s == b)
            if s == q:
                break
            if s == b:
                if len(out) <= maxlen:
                    from .jesc import unescape

                    out.extend(unescape(self))
                else:
                    self._raw()  # the escaped byte; a \uXXXX's digits need no care
        if len(out) > maxlen:
            return None
        try:
            return out.decode()
        except UnicodeError:
            raise self._bad("a string is not UTF-8")

    def word(self, keep):
        """The rest of a number, true, false or null (its first byte read), as a value if keep."""
        out = bytearray((self.buf[self.pos - 1],))
        while True:
            if self.pos >= self.end:
                self._fill()
            c = self.buf[self.pos]
            if c in _END:
                break
            out.append(c)
            self.pos += 1
            if len(out) > 40:
                raise self._bad("a number is too long")
        if not keep:
            return None
        w = bytes(out)
        if w in (b"true", b"false", b"null"):
            return None if w == b"null" else w == b"true"
        try:
            return float(w) if b"." in w or b"e" in w or b"E" in w else int(w)
        except ValueError:
            raise self._bad("unexpected %r" % w[:12])
