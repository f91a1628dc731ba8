# One flat pass over a JSON answer, keeping only the fields asked for: the
# device list (about 2 MB for 1000 devices), one device, the account's Homeys.
# Memory stays flat whatever the server sends. The byte level is jbytes.py.
# Loaded for a lookup or a discovery and unloaded after it.
from .errors import ProtocolError, fault
from .jbytes import Bytes


def walk(r, what, fn, top, names, under=None):
    """Read the JSON answer r (closed at the end); fn(obj) for each object at depth `top`
    (1: the answer is the object, 2: {id: object}, 3: {under: [object]}): a dict of the
    fields in `names` (strings up to 200 bytes, numbers, booleans), "id" (its key in the
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
                    raise fault(ProtocolError, 47, what)  # %s: the answer is not valid JSON
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
                key = stream.value(s, 200) or ""
                continue
            n = 200 if d and n == top and key in names else \
                64 if cap is not None and n == top + 2 and key in ("type", "setable", "min", "max", "value") else -1
            s = stream.value(s, n)
            if n > 0:
                (cap if n == 64 else d)[key] = s
            if not keys:
                return
    finally:
        r.close()
