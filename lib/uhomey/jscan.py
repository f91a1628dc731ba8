# A pull scanner over a JSON byte stream. The Homey decides how large its
# device list is (about 2 MB for 1000 devices); json.loads would need all of
# it in RAM at once. This walks it through one small buffer and lets the
# caller keep only the few values it wants, so memory stays flat.
from .errors import ProtocolError

_WS = b" \t\r\n"
_NUM = b"-+.eE0123456789"
_ESC = {98: 8, 102: 12, 110: 10, 114: 13, 116: 9, 34: 34, 92: 92, 47: 47}
TOO_LONG = object()  # a string longer than the caller's limit (its text is dropped)


class JsonScanner:
    def __init__(self, readinto, size=512, what="JSON"):
        self._readinto = readinto
        self.buf = bytearray(size)
        self.mv = memoryview(self.buf)
        self.pos = 0
        self.end = 0
        self.what = what

    def _bad(self, why):
        return ProtocolError("%s is not valid JSON (%s)" % (self.what, why))

    def _fill(self):
        n = self._readinto(self.mv)
        if not n:
            raise self._bad("it ends early")
        self.pos = 0
        self.end = n

    def peek(self):
        """The next significant byte (as an int), not consumed."""
        buf = self.buf
        while True:
            while self.pos < self.end:
                c = buf[self.pos]
                if c in _WS:
                    self.pos += 1
                else:
                    return c
            self._fill()

    def _take(self):
        c = self.peek()
        self.pos += 1
        return c

    def _expect(self, ch):
        c = self._take()
        if c != ch:
            raise self._bad("expected %r, found %r" % (chr(ch), chr(c)))

    def keys(self):
        """Iterate an object's keys; the caller consumes each value before the next key."""
        self._expect(123)  # {
        if self.peek() == 125:
            self.pos += 1
            return
        while True:
            k = self.string(200)
            self._expect(58)  # :
            yield k
            c = self._take()
            if c == 44:
                continue
            if c == 125:
                return
            raise self._bad("expected , or } in an object")

    def items(self):
        """Iterate an array; the caller consumes each element before the next."""
        self._expect(91)  # [
        if self.peek() == 93:
            self.pos += 1
            return
        while True:
            yield None
            c = self._take()
            if c == 44:
                continue
            if c == 93:
                return
            raise self._bad("expected , or ] in an array")

    def string(self, maxlen=200):
        """A string value as str; TOO_LONG when its UTF-8 exceeds maxlen bytes."""
        if self._take() != 34:
            raise self._bad("expected a string")
        out = bytearray()
        long_ = False
        buf = self.buf
        while True:
            if self.pos >= self.end:
                self._fill()
            q = buf.find(b'"', self.pos, self.end)
            b = buf.find(b"\\", self.pos, self.end)
            stop = self.end if q < 0 else q
            if 0 <= b < stop:
                stop = b
            if not long_:
                if len(out) + stop - self.pos > maxlen:
                    long_ = True
                else:
                    out.extend(self.mv[self.pos:stop])
            self.pos = stop
            if stop == q:
                self.pos += 1
                break
            if stop == b:
                self.pos += 1
                ch = self._raw()
                if ch == 117:  # \uXXXX
                    cp = self._hex4()
                    if 0xD800 <= cp < 0xDC00:
                        if self._raw() != 92 or self._raw() != 117:
                            raise self._bad("lone surrogate")
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (self._hex4() - 0xDC00)
                    piece = chr(cp).encode()
                else:
                    e = _ESC.get(ch)
                    if e is None:
                        raise self._bad("bad escape")
                    piece = bytes((e,))
                if not long_:
                    out.extend(piece)
                    if len(out) > maxlen:
                        long_ = True
        if long_:
            return TOO_LONG
        try:
            return out.decode()
        except UnicodeError:
            raise self._bad("a string is not UTF-8")

    def _raw(self):
        if self.pos >= self.end:
            self._fill()
        c = self.buf[self.pos]
        self.pos += 1
        return c

    def _hex4(self):
        v = 0
        for _ in range(4):
            c = self._raw() | 32
            if 48 <= c <= 57:
                v = v * 16 + c - 48
            elif 97 <= c <= 102:
                v = v * 16 + c - 87
            else:
                raise self._bad("bad \\u escape")
        return v

    def _skip_string(self):
        self.pos += 1
        buf = self.buf
        while True:
            if self.pos >= self.end:
                self._fill()
            q = buf.find(b'"', self.pos, self.end)
            b = buf.find(b"\\", self.pos, self.end)
            if 0 <= b and (q < 0 or b < q):
                self.pos = b + 1
                self._raw()  # the escaped byte; a \uXXXX's digits need no care
                continue
            if q < 0:
                self.pos = self.end
                continue
            self.pos = q + 1
            return

    def _word(self):
        out = bytearray()
        while True:
            if self.pos >= self.end:
                n = self._readinto(self.mv)
                if not n:
                    break
                self.pos = 0
                self.end = n
            c = self.buf[self.pos]
            if c in _NUM or 97 <= c <= 122:
                out.append(c)
                self.pos += 1
                if len(out) > 40:
                    raise self._bad("a number is too long")
            else:
                break
        return bytes(out)

    def value(self, maxlen=200):
        """A scalar (str, int, float, bool, None). A container is skipped and None returned."""
        c = self.peek()
        if c == 34:
            return self.string(maxlen)
        if c == 123 or c == 91:
            self.skip()
            return None
        w = self._word()
        if w == b"true":
            return True
        if w == b"false":
            return False
        if w == b"null":
            return None
        try:
            if b"." in w or b"e" in w or b"E" in w:
                return float(w)
            return int(w)
        except ValueError:
            raise self._bad("unexpected %r" % w[:12])

    def skip(self):
        """Skip one whole value, however deep, without keeping any of it."""
        c = self.peek()
        if c == 34:
            self._skip_string()
            return
        if c != 123 and c != 91:
            self._word()
            return
        depth = 0
        buf = self.buf
        while True:
            if self.pos >= self.end:
                self._fill()
            c = buf[self.pos]
            if c == 34:
                self._skip_string()
                continue
            self.pos += 1
            if c == 123 or c == 91:
                depth += 1
            elif c == 125 or c == 93:
                depth -= 1
                if depth == 0:
                    return
