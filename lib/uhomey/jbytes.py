# The byte level under devices.walk: the body through one small buffer, strings
# and bare words (numbers, true, false, null). What it keeps is decoded by the
# firmware's own json module (a few bytes at a time: escapes, numbers), so there
# is little Python here to compile. Unloaded with devices.py (calls.LOOKUP).
import json

from .errors import ProtocolError

_END = b",}] \t\r\n"


class Bytes:
    def __init__(self, r, what):
        self.r = r
        self.buf = bytearray(256)
        self.mv = memoryview(self.buf)
        self.pos = self.end = 0
        self.what = what

    def _bad(self, why):
        return ProtocolError("%s is not valid JSON (%s)" % (self.what, why))

    def _raw(self):
        """The next byte."""
        if self.pos >= self.end:
            self.end = self.r.readinto(self.mv)
            self.pos = 0
            if not self.end:
                raise self._bad("it ends early")
        self.pos += 1
        return self.buf[self.pos - 1]

    def _load(self, out):
        try:
            return json.loads(out)
        except ValueError:
            raise self._bad("unexpected %r" % bytes(out[:12]))

    def text(self, maxlen):
        """The rest of a string (its quote read) as str; None when its UTF-8 is over maxlen bytes (-1: skip it)."""
        out = bytearray(b'"')
        cap = 6 * maxlen + 1  # the quote, and up to 6 bytes (an escape) for 1 of UTF-8
        esc = False
        while True:
            self._raw()
            p = self.pos - 1
            q = self.buf.find(b'"', p, self.end)
            s = self.end if q < 0 else q
            b = self.buf.find(b"\\", p, s)
            if b >= 0:
                s = b + 2  # the backslash, and what it escapes: kept as they are for json.loads
            if len(out) <= cap:
                out.extend(self.mv[p:min(s, self.end)])
            self.pos = s if b >= 0 else s + (s == q)
            if b >= 0:
                esc = True
                if s > self.end:
                    c = self._raw()
                    if len(out) <= cap:
                        out.append(c)
            elif s == q:
                break
        if len(out) > cap:
            return None
        out.append(34)
        v = self._load(out)
        return None if (len(v.encode()) if esc else len(out) - 2) > maxlen else v

    def word(self, keep):
        """The rest of a number, true, false or null (its first byte read), as a value if keep."""
        out = bytearray()
        self.pos -= 1
        while True:
            c = self._raw()
            if c in _END:
                self.pos -= 1
                break
            out.append(c)
            if len(out) > 40:
                raise self._bad("a number is too long")
        return self._load(out) if keep else None
