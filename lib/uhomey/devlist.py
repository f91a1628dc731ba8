# The whole device list, streamed: h.devices(match) and the scan behind a new
# name (names.py). A lookup module: unloaded after each use (lookup.lookup).
from .jwalk import walk
from .errors import AuthError, HomeyError, fault

MAX_ZONES = 64  # a home has a few dozen; past this, rows show the zone's id


def scan(h, visit):
    """Stream GET devices/device/ and call visit(device) for each one (each has its "id")."""
    what = "listing the Homey's devices"
    walk(h.call("GET", "devices/device/", what=what), what, visit, 2, ("id", "name", "zone", "class"))


def find(h, name):
    """Every device named exactly `name`, with its capabilities."""
    hits = []
    scan(h, lambda d: hits.append(d) if d.get("name") == name else None)
    return hits


def zone_names(h):
    """{zone id: name}, read once per listing: API v3 devices name their zone by id only.
    A key without the zone scope gets {} (the rows then show zone ids)."""
    names = {}

    def visit(z):
        if len(names) < MAX_ZONES:
            names[z["id"]] = z.get("name")

    what = "listing the Homey's zones"
    try:
        walk(h.call("GET", "zones/zone/", what=what), what, visit, 2, ("id", "name"))
    except AuthError as e:
        if e.status != 403:
            raise
        from . import log

        log.info("this key may not read zones (homey.zone.readonly): devices() shows zone ids")
    return names


def listing(h, match=None):
    out = []
    if match is not None:
        match = str(match).lower()
    zones = zone_names(h)

    def visit(d):
        name = d.get("name")
        if match is None or match in str(name).lower():
            zone = d.get("zone")
            row = (d["id"], name, zones.get(zone) or zone, d.get("class"))
            out.append(row)

    try:
        scan(h, visit)
    except MemoryError:
        n = len(out)
        out = None
        raise fault(HomeyError, 29, n)  # the list of devices does not fit in RAM (%d read so far): narrow...
    return out
