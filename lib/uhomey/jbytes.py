# The byte level under jwalk.walk: the body through one small buffer, and the
# rest of a scalar (string, number, true, false, null). What is kept is decoded by
# the firmware's own json module, a few bytes at a time, so there is little Python
# here to compile. Unloaded with jwalk.py after each lookup (lookup.lookup) or discovery.
# Names here are mostly ones the firmware already holds (read, value, buf, pos,
# end, start, stop, n, s, v, e): compiled from source, every new name is RAM for good.
import json

from .errors import ProtocolError, fault


class Bytes:
    """Bytes(r, what): r.readinto's bytes; `what` names the request in errors."""

    def __init__(self, r, what):
        self.r = r
        self.what = what
        self.buf = bytearray(256)
        self.mv = memoryview(self.buf)
        self.pos = self.end = 0

    def read(self):
        """The next byte."""
        if self.pos >= self.end:
            self.end = self.r.readinto(self.mv)
            self.pos = 0
            if not self.end:
                raise fault(ProtocolError, 43, self.what)  # %s: the answer is not valid JSON (it ends early)
        self.pos += 1
        return self.buf[self.pos - 1]

    def value(self, s, n):
        """The rest of the scalar whose first byte s was read: its value; None when n < 0 (not
        kept) or when a string's UTF-8 is over n bytes."""
        v = bytearray((s,))
        if s == 34:  # kept as sent, escapes too, for json.loads: up to 6 bytes a byte of UTF-8
            while True:
                self.read()
                start = self.pos - 1
                stop = self.buf.find(b'"', start, self.end)
                e = self.buf.find(b"\\", start, self.end if stop < 0 else stop)
                if e >= 0:
                    stop = e + 2  # the backslash and the byte it escapes
                elif stop >= 0:
                    stop += 1  # the closing quote
                else:
                    stop = self.end
                self.pos = min(stop, self.end)
                if len(v) <= 6 * n + 2:
                    m = self.mv[start:self.pos]  # one expression level less: a smaller compile
                    v.extend(m)
                if stop > self.end:  # the escaped byte comes with the next read
                    s = self.read()
                    if len(v) <= 6 * n + 2:
                        v.append(s)
                elif e < 0 and self.buf[stop - 1] == 34:
                    break
            if len(v) > 6 * n + 2:
                return None
        else:  # a number, true, false or null: up to the byte that ends it
            while True:
                s = self.read()
                if s in b",}] \t\r\n":
                    self.pos -= 1
                    break
                v.append(s)
                if len(v) > 40:
                    raise fault(ProtocolError, 44, self.what)  # %s: the answer is not valid JSON (a number is too long)
            if n < 0:
                return None
        try:
            s = json.loads(v)
        except ValueError:
            v = bytes(v[:12])
            raise fault(ProtocolError, 45, self.what, v)  # %s: the answer is not valid JSON (at %r)
        if isinstance(s, str):
            k = len(s.encode()) if b"\\" in v else len(v) - 2  # UTF-8 bytes, without the quotes
            if k > n:
                return None
        return s
