# The whole device list, streamed: h.devices(match) and the scan behind a new
# name (names.py). A lookup module: unloaded after each use (lookup.lookup).
from .jwalk import walk
from .errors import HomeyError, fault


def scan(h, visit):
    """Stream GET devices/device/ and call visit(device) for each one (each has its "id")."""
    what = "listing the Homey's devices"
    walk(h.call("GET", "devices/device/", what=what), what, visit, 2, ("id", "name", "zone", "zoneName", "class"))


def find(h, name):
    """Every device named exactly `name`, with its capabilities."""
    hits = []
    scan(h, lambda d: hits.append(d) if d.get("name") == name else None)
    return hits


def listing(h, match=None):
    out = []
    if match is not None:
        match = str(match).lower()

    def visit(d):
        name = d.get("name")
        if match is None or match in str(name).lower():
            zone = d.get("zoneName") or d.get("zone")
            row = (d["id"], name, zone, d.get("class"))
            out.append(row)

    try:
        scan(h, visit)
    except MemoryError:
        n = len(out)
        out = None
        raise fault(HomeyError, 29, n)  # the list of devices does not fit in RAM (%d read so far): narrow...
    return out
