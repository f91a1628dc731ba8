# h.devices(match): the device list for the REPL. A lookup module (homey.LOOKUP).
from .devices import scan
from .errors import HomeyError


def listing(h, match=None):
    out = []
    if match is not None:
        match = str(match).lower()

    def visit(d):
        name = d.get("name")
        if match is None or match in str(name).lower():
            out.append((d["id"], name, d.get("zoneName") or d.get("zone"), d.get("class")))

    try:
        scan(h, visit, caps=False)
    except MemoryError:
        n = len(out)
        out = None
        raise HomeyError("the list of devices does not fit in RAM (%d read so far): narrow it down, "
                         "e.g. h.devices(\"kitchen\")" % n)
    return out
