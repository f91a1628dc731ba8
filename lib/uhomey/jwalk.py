# One flat pass over a JSON answer, keeping only the fields asked for: the
# device list (about 2 MB for 1000 devices), one device, the account's Homeys,
# flows and variables. Memory stays flat whatever the server sends: the body
# goes through one 256-byte buffer, and each kept scalar is decoded by the
# firmware's json module, a few bytes at a time.
import json

from .compat import const
from .errors import ProtocolError

MAX_FIELD = const(200)  # longer strings are dropped (None), not kept
_MAX_CAP_FIELD = const(64)  # the same for a capability's type, min, max, value
_MAX_NUMBER = const(40)  # a longer number, true, false or null is not JSON
_MAX_DEPTH = const(32)  # a Homey's answers nest under 10 deep; thousands would fill the heap
_ESCAPED = const(6)  # a byte of UTF-8 takes up to 6 bytes as a JSON escape (\u00e9)
_CAP_KEYS = ("type", "setable", "min", "max", "value")


def walk(r, what, fn, top, names, under=None):
    """Read the JSON answer r (closed at the end); fn(obj) for each object at depth `top`
    (1: the answer is the object, 2: {id: object}, 3: {under: [object]}): a dict of the
    fields in `names` (strings up to MAX_FIELD bytes, numbers, booleans), "id" (its key in the
    answer, unless a field says), and "caps": {cap: {type, setable, min, max, value}} from a
    device's capabilitiesObj (None without one)."""
    try:
        if not r.is_json():
            r.json()  # raises the content-type error
        stream = Bytes(r, what)
        keys = []  # per open container: the key it sits under; None for an array
        key = ""  # the key of the value that comes next; None: the next string is a key
        d = cap = inside = None  # the object, the capability being read
        while True:
            s = stream.read()
            n = len(keys)
            if s == 123 or s == 91:  # { [
                if n >= _MAX_DEPTH:
                    raise ProtocolError.of("json_too_deep", what, _MAX_DEPTH)
                keys.append(key if s == 123 else None)
                if s == 91:
                    if n + 2 == top:
                        inside = key  # the key of the array whose items are reported
                elif n + 1 == top and (under is None or inside == under):
                    d = {"caps": None, "id": key or None}  # the list's key, unless the object says
                elif d and n == top and key == "capabilitiesObj":
                    d["caps"] = {}
                elif d and n == top + 1 and keys[top] == "capabilitiesObj" and d["caps"] is not None:
                    cap = d["caps"][key] = {}
                key = None if s == 123 else ""
                continue
            if s == 125 or s == 93:  # } ]
                if not n:
                    raise ProtocolError.of("json_bad", what)
                if n == top and d:
                    fn(d)
                    d = None
                elif n == top + 2:
                    cap = None
                keys.pop()
                if n == 1:
                    return
                continue
            if s == 44:  # ,
                key = None if n and keys[-1] is not None else ""
                continue
            if s == 58 or s in b" \t\r\n":  # : or whitespace
                continue
            if key is None:
                key = stream.value(s, MAX_FIELD) or ""
                continue
            if d and n == top and key in names:
                d[key] = stream.value(s, MAX_FIELD)
            elif cap is not None and n == top + 2 and key in _CAP_KEYS:
                cap[key] = stream.value(s, _MAX_CAP_FIELD)
            else:
                stream.value(s, -1)  # skipped
            if not keys:
                return
    finally:
        r.close()


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
                raise ProtocolError.of("json_ends_early", self.what)
        self.pos += 1
        return self.buf[self.pos - 1]

    def value(self, s, n):
        """The rest of the scalar whose first byte s was read: its value; None when n < 0 (not
        kept) or when a string's UTF-8 is over n bytes."""
        v = bytearray((s,))
        if s == 34:  # kept as sent, escapes too, for json.loads
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
                if len(v) <= _ESCAPED * n + 2:
                    v.extend(self.mv[start:self.pos])
                if stop > self.end:  # the escaped byte comes with the next read
                    s = self.read()
                    if len(v) <= _ESCAPED * n + 2:
                        v.append(s)
                elif e < 0 and self.buf[stop - 1] == 34:
                    break
            if len(v) > _ESCAPED * n + 2:
                return None
        else:  # a number, true, false or null: up to the byte that ends it
            while True:
                s = self.read()
                if s in b",}] \t\r\n":
                    self.pos -= 1
                    break
                v.append(s)
                if len(v) > _MAX_NUMBER:
                    raise ProtocolError.of("json_number_too_long", self.what)
            if n < 0:
                return None
        try:
            s = json.loads(v)
        except ValueError:
            v = bytes(v[:12])
            raise ProtocolError.of("json_bad_at", self.what, v)
        if isinstance(s, str):
            k = len(s.encode()) if b"\\" in v else len(v) - 2  # UTF-8 bytes, without the quotes
            if k > n:
                return None
        return s
