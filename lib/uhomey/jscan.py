# A pull scanner over a JSON byte stream. The Homey decides how large its
# device list is (about 2 MB for 1000 devices); json.loads would need all of
# it in RAM at once. This walks it through one small buffer and lets the
# caller keep only the few values it wants, so memory stays flat.
# Split for small compiles: jread.py reads and iterates, this file takes values,
# and jesc.py decodes escapes (rare in what uhomey keeps), loaded on the first one.
from .compat import unload
from .jread import Reader

unload("jread")  # its class lives on in JsonScanner; leaving with jscan, whoever unloads it
_NUM = b"-+.eE0123456789"
TOO_LONG = object()  # a string longer than the caller's limit (its text is dropped)
_unescape = None


def _esc():
    global _unescape
    if _unescape is None:
        from .jesc import unescape as _unescape

        unload("jesc")  # kept here instead: gone with jscan
    return _unescape


class JsonScanner(Reader):
    """JsonScanner(readinto, size=512, what="JSON"): peek, keys, items (jread.py), string, value, skip."""

    def string(self, maxlen=200):
        """A string value as str; TOO_LONG when its UTF-8 exceeds maxlen bytes (-1: skip it)."""
        self._expect(34)
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
            room = maxlen + 1 - len(out)
            if room > 0:
                out.extend(self.mv[p:min(s, p + room)])
            self.pos = s
            if s == q:
                self.pos += 1
                break
            if s == b:
                self.pos += 1
                if maxlen < 0:
                    self._raw()  # the escaped byte; a \uXXXX's digits need no care
                else:
                    piece = _esc()(self)
                    if len(out) <= maxlen:
                        out.extend(piece)
        if len(out) > maxlen:
            return TOO_LONG
        try:
            return out.decode()
        except UnicodeError:
            raise self._bad("a string is not UTF-8")

    def _word(self):
        out = bytearray()
        while self.pos < self.end or self._fill(True):
            c = self.buf[self.pos]
            if c not in _NUM and not 97 <= c <= 122:
                break
            out.append(c)
            self.pos += 1
            if len(out) > 40:
                raise self._bad("a number is too long")
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
        if w in (b"true", b"false", b"null"):
            return None if w == b"null" else w == b"true"
        try:
            return float(w) if b"." in w or b"e" in w or b"E" in w else int(w)
        except ValueError:
            raise self._bad("unexpected %r" % w[:12])

    def skip(self):
        """Skip one whole value, however deep, without keeping any of it."""
        c = self.peek()
        if c == 34:
            self.string(-1)
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
                self.string(-1)
                continue
            self.pos += 1
            if c == 123 or c == 91:
                depth += 1
            elif c == 125 or c == 93:
                depth -= 1
                if depth == 0:
                    return
