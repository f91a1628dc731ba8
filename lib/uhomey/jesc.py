# JSON string escapes for jscan.py: loaded on the first backslash in a string kept.
from .compat import const

_ESC = {98: 8, 102: 12, 110: 10, 114: 13, 116: 9, 34: 34, 92: 92, 47: 47}
_HI = const(0xD800)
_LO = const(0xDC00)


def _hex4(sc):
    v = 0
    for _ in range(4):
        c = sc._raw() | 32
        if 48 <= c <= 57:
            v = v * 16 + c - 48
        elif 97 <= c <= 102:
            v = v * 16 + c - 87
        else:
            raise sc._bad("bad \\u escape")
    return v


def unescape(sc):
    """The bytes of one escape; sc stands just after its backslash."""
    ch = sc._raw()
    if ch == 117:  # \uXXXX
        cp = _hex4(sc)
        if _HI <= cp < _LO:
            if sc._raw() != 92 or sc._raw() != 117:
                raise sc._bad("lone surrogate")
            cp = 0x10000 + ((cp - _HI) << 10) + (_hex4(sc) - _LO)
        return chr(cp).encode()
    e = _ESC.get(ch)
    if e is None:
        raise sc._bad("bad escape")
    return bytes((e,))
