# The Homey's lists, by name: devices (a name that is new or moved, and
# h.devices()), flows (h.trigger, h.flows), logic variables (h.variable,
# h.set_variable); and webhooks. Each list is read in one flat pass (jwalk.py,
# loaded for the walk and dropped after, through run_and_unload: a name is new
# rarely) and a name's id is cached in the store. Loaded by the first flow,
# variable or webhook call and kept (a button repeats them); a device scan
# loads it for the scan only (devices.py runs through run_and_unload).
from . import log
from .compat import const, run_and_unload
from .errors import AuthError, HomeyError, NotFound, Rejected, status_error, text

FLOW_KINDS = ("flow", "advancedflow")
_FIELDS = ("id", "name", "type", "value")
_DEVICE_FIELDS = ("id", "name", "zone", "class")  # API v3 devices carry no zoneName
_MAX_CACHED = const(32)  # flow and variable names cached in the store; past this it starts over
_MAX_NAMES = const(64)  # device names cached in the store; past this the cache starts over
_MAX_ZONES = const(64)  # a home has a few dozen; past this, rows show the zone's id


# ---- devices -------------------------------------------------------------------------

def find_device(h, name, cached=None):
    """Device id for an exact name that is new, or whose cached id failed: the list is read."""
    hits = []
    _each_device(h, lambda d: hits.append(d) if d.get("name") == name else None)
    if not hits:
        h._forget_name(name)
        raise NotFound.of("no_device", name)
    if len(hits) > 1:
        raise HomeyError.of("several_devices", len(hits), name, ", ".join([x["id"] for x in hits]))
    d = hits[0]
    h._learn(d)
    did = h._checked[name] = d["id"]
    if did != cached:
        names = dict(h.store.get("names") or {})
        if len(names) >= _MAX_NAMES:
            names = {}
        names[name] = did
        h._save(names=names)
    return did


def devices(h, match=None):
    """h.devices(match): [(id, name, zone, class)], only names containing match."""
    out = []
    if match is not None:
        match = str(match).lower()

    zones = zone_names(h)

    def visit(d):
        name = d.get("name")
        if match is None or match in str(name).lower():
            zone = d.get("zone")
            out.append((d["id"], name, zones.get(zone) or zone, d.get("class")))

    try:
        _each_device(h, visit)
    except MemoryError:
        n = len(out)
        out = None  # its RAM back before the error is worded
        raise HomeyError.of("device_list_too_big", n)
    return out


def zone_names(h):
    """{zone id: name}, read once per listing: API v3 devices name their zone by id only.
    A key without the zone scope gets {} (the rows then show zone ids)."""
    names = {}

    def visit(z):
        if len(names) < _MAX_ZONES:
            names[z["id"]] = z.get("name")

    what = "listing the Homey's zones"
    try:
        r = h.call("GET", "zones/zone/", what=what)
        run_and_unload("jwalk", "walk", r, what, visit, 2, ("id", "name"))
    except AuthError as e:
        if e.status != 403:
            raise
        log.info("this key may not read zones (homey.zone.readonly): devices() shows zone ids")
    return names


def _each_device(h, visit):
    """Stream GET devices/device/ and call visit(device) for each one (each has its "id")."""
    what = "listing the Homey's devices"
    r = h.call("GET", "devices/device/", what=what)
    run_and_unload("jwalk", "walk", r, what, visit, 2, _DEVICE_FIELDS)


# ---- flows ---------------------------------------------------------------------------

def trigger(h, flow):
    if not isinstance(flow, str) or not flow:
        raise Rejected.of("flow_not_given")
    if h._is_uuid(flow):
        for kind in FLOW_KINDS:
            try:
                _post(h, kind, flow)
                return True
            except NotFound:
                if kind == FLOW_KINDS[-1]:
                    raise NotFound(text("no_flow_id", flow), 404)
    hit = (h.store.get("flows") or {}).get(flow)
    if hit:
        try:
            _post(h, hit[0], hit[1])
            return True
        except NotFound:
            log.info("flow %r was renamed or removed; looking it up again", flow)
    kind, fid = find_flow(h, flow)
    _post(h, kind, fid)
    return True


def _post(h, kind, fid):
    what = "starting flow %s" % fid
    r = h.call("POST", "flow/%s/%s/trigger" % (kind, fid), "{}", what=what)
    h._ok(r, what)


def flows(h):
    out = []
    _each_flow(h, lambda kind, fid, item: out.append((fid, item.get("name"), kind)))
    return out


def find_flow(h, name):
    """(kind, id) of the flow named exactly `name`, cached."""
    hits = []
    _each_flow(h, lambda kind, fid, item: hits.append((kind, fid)) if item.get("name") == name else None)
    kind, fid = _one(h, "flows", hits, "flow", name)
    _cache(h, "flows", name, [kind, fid])
    return kind, fid


def _each_flow(h, visit):
    for kind in FLOW_KINDS:
        _each(h, "flow/%s/" % kind, "listing the Homey's %ss" % kind, lambda fid, item: visit(kind, fid, item))


# ---- logic variables -----------------------------------------------------------------

def variable(h, name):
    return _find_var(h, name, True)[2]


def set_variable(h, name, value):
    import json

    vid, kind, _ = _find_var(h, name, False)
    fits = {
        "boolean": isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
        "string": isinstance(value, str),
    }.get(kind, True)
    if not fits:
        raise Rejected.of("variable_type", name, kind, value)
    # the body IS the variable: a real Homey answers {"variable": {...}} 200 and changes nothing
    body = '{"value":%s}' % json.dumps(value)
    what = "setting variable %r" % name
    try:
        r = h.call("PUT", "logic/variable/%s" % vid, body, what=what)
    except NotFound:
        if h._is_uuid(name):
            raise
        vid = find_var(h, name)[0]
        r = h.call("PUT", "logic/variable/%s" % vid, body, what=what)
    h._ok(r, what)
    return value


def _get_var(h, vid):
    r = h.call("GET", "logic/variable/%s" % vid, what="reading variable %s" % vid)
    v = r.json(4096)
    if not isinstance(v, dict):
        raise Rejected.of("variable_not_object", vid)
    return v


def _find_var(h, name, need_value):
    """(id, type, value or None). By id: one GET. By name: the cache, else a scan."""
    if h._is_uuid(name):
        v = _get_var(h, name)
        return name, v.get("type"), v.get("value")
    hit = (h.store.get("vars") or {}).get(name)
    if hit:
        try:
            if not need_value:
                return hit[0], hit[1], None
            v = _get_var(h, hit[0])
            if v.get("name") == name:
                return hit[0], v.get("type"), v.get("value")
        except NotFound:
            pass
        log.info("variable %r was renamed or removed; looking it up again", name)
    return find_var(h, name)


def find_var(h, name):
    """(id, type, value) of the logic variable named exactly `name`, cached."""
    hits = []
    _each(h, "logic/variable/", "listing the Homey's logic variables",
          lambda vid, item: hits.append((item, vid)) if item.get("name") == name else None)
    item, vid = _one(h, "vars", hits, "variable", name)
    _cache(h, "vars", name, [vid, item.get("type")])
    return vid, item.get("type"), item.get("value")


# ---- webhooks ------------------------------------------------------------------------

def webhook(h, event, tag=None):
    from .form import quote

    if not isinstance(event, str) or not event:
        raise Rejected.of("webhook_no_event")
    hid = h.auth.homey_id
    if not hid:
        h.call("GET", "system/ping", what="asking the Homey its id").close()
        hid = h.auth.homey_id
        if not hid:
            raise HomeyError.of("webhook_no_homey_id")
    url = "%s/%s/%s" % (h.cfg["homey"]["webhook_url"], quote(hid), quote(event))
    if tag is not None:
        url += "?tag=" + quote(str(tag))
    r = h.http.request("GET", url)
    if not 200 <= r.status < 300:
        raise status_error(r, "calling webhook %r" % event)
    r.close()
    return True


# ---- lists by name -------------------------------------------------------------------

def _each(h, path, what, visit):
    """visit(id, fields) for every object of GET path ({id: object}), fields from _FIELDS."""
    r = h.call("GET", path, what=what)
    run_and_unload("jwalk", "walk", r, what, lambda d: visit(d["id"], d), 2, _FIELDS)


def _one(h, key, hits, what, name):
    if not hits:
        _cache(h, key, name, None)
        raise NotFound.of("no_named", what, name)
    if len(hits) > 1:
        raise HomeyError.of("several_named", len(hits), what, name, ", ".join([x[1] for x in hits]))
    return hits[0]


def _cache(h, key, name, entry):
    """Store (or with None, drop) the cache entry of name under key ("flows" or "vars")."""
    c = dict(h.store.get(key) or {})
    if entry is None:
        if name not in c:
            return
        del c[name]
    else:
        if len(c) >= _MAX_CACHED:
            c = {}
        c[name] = entry
    h._save(**{key: c})
