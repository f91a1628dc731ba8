# The reading half of jscan.JsonScanner: one small buffer refilled from a
# stream, whitespace, punctuation, and iteration over objects and arrays.
from .errors import ProtocolError, fault

_WS = b" \t\r\n"


class Reader:
    def __init__(self, readinto, size=512, what="JSON"):
        self._readinto = readinto
        self.buf = bytearray(size)
        self.mv = memoryview(self.buf)
        self.pos = self.end = 0
        self.what = what

    def _bad(self, reason):
        return fault(ProtocolError, 46, self.what, reason)  # %s is not valid JSON (%s)

    def _fill(self, eof_ok=False):
        """Refill the used-up buffer; False at the end of the stream when eof_ok."""
        n = self._readinto(self.mv)
        if not n:
            if eof_ok:
                return False
            raise self._bad("it ends early")
        self.pos = 0
        self.end = n
        return True

    def peek(self):
        """The next significant byte (as an int), not consumed."""
        buf = self.buf
        while True:
            while self.pos < self.end:
                c = buf[self.pos]
                if c not in _WS:
                    return c
                self.pos += 1
            self._fill()

    def _raw(self):
        if self.pos >= self.end:
            self._fill()
        self.pos += 1
        return self.buf[self.pos - 1]

    def _expect(self, ch):
        c = self.peek()
        self.pos += 1
        if c != ch:
            raise self._bad("expected %r, found %r" % (chr(ch), chr(c)))

    def _each(self, opening, closing, obj):
        self._expect(opening)
        if self.peek() == closing:
            self.pos += 1
            return
        while True:
            if obj:
                k = self.string(200)
                self._expect(58)  # :
                yield k
            else:
                yield None
            c = self.peek()
            self.pos += 1
            if c == closing:
                return
            if c != 44:
                raise self._bad("expected , or %s" % chr(closing))

    def keys(self):
        """Iterate an object's keys; the caller consumes each value before the next key."""
        return self._each(123, 125, True)

    def items(self):
        """Iterate an array; the caller consumes each element before the next."""
        return self._each(91, 93, False)
