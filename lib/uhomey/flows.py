# Flows (basic and advanced), logic variables and logic webhooks.
# Names are resolved by streaming the Homey's lists and cached in the store.
from . import log
from .errors import HomeyError, NotFound, Rejected
from .form import quote
from .homey import is_uuid
from .jscan import TOO_LONG, JsonScanner

_KINDS = ("flow", "advancedflow")
MAX_CACHED = 32


def _scan(h, path, what, keep):
    """Stream an object keyed by id; call keep(id, {id, name, type, value}) for each entry."""
    r = h.call("GET", path, what=what)
    if not r.is_json():
        r.json()
    sc = JsonScanner(r.readinto, 256, what)
    try:
        for key in sc.keys():
            if sc.peek() != 123:
                sc.skip()
                continue
            item = {}
            for k in sc.keys():
                if k in ("id", "name", "type", "value"):
                    v = sc.value(200)
                    item[k] = None if v is TOO_LONG else v
                else:
                    sc.skip()
            keep(item.get("id") or key, item)
    finally:
        r.close()


def _cache(h, key, name, entry):
    c = dict(h.store.get(key) or {})
    if entry is None:
        if name not in c:
            return
        del c[name]
    else:
        if len(c) >= MAX_CACHED:
            c = {}
        c[name] = entry
    try:
        h.store.update(**{key: c})
    except HomeyError as e:
        log.warning("%s", e)


def _one(hits, what, name):
    if not hits:
        raise NotFound("no %s named \"%s\" on the Homey (names match exactly)" % (what, name))
    if len(hits) > 1:
        raise HomeyError("%d %ss are named \"%s\": use the id of the one you mean (%s)"
                         % (len(hits), what, name, ", ".join(x[1] for x in hits)))
    return hits[0]


# --- flows ----------------------------------------------------------------
def _find_flow(h, name):
    hits = []
    for kind in _KINDS:
        _scan(h, "flow/%s/" % kind, "listing the Homey's %ss" % kind,
              lambda fid, item: hits.append((kind, fid)) if item.get("name") == name else None)
    kind, fid = _one(hits, "flow", name)
    _cache(h, "flows", name, [kind, fid])
    return kind, fid


def _post_trigger(h, kind, fid):
    r = h.call("POST", "flow/%s/%s/trigger" % (kind, fid), "{}", what="starting flow %s" % fid)
    h._ok(r)


def trigger(h, flow):
    if not isinstance(flow, str) or not flow:
        raise Rejected("a flow is given by its id or its exact name")
    if is_uuid(flow):
        for kind in _KINDS:
            try:
                _post_trigger(h, kind, flow)
                return True
            except NotFound:
                if kind == _KINDS[-1]:
                    raise NotFound("no flow with id %s on the Homey" % flow, 404)
    hit = (h.store.get("flows") or {}).get(flow)
    if hit:
        try:
            _post_trigger(h, hit[0], hit[1])
            return True
        except NotFound:
            log.info("flow %r was renamed or removed; looking it up again", flow)
            _cache(h, "flows", flow, None)
    kind, fid = _find_flow(h, flow)
    _post_trigger(h, kind, fid)
    return True


def listing(h):
    out = []
    for kind in _KINDS:
        _scan(h, "flow/%s/" % kind, "listing the Homey's %ss" % kind,
              lambda fid, item: out.append((fid, item.get("name"), kind)))
    return out


# --- logic variables --------------------------------------------------------
def _get_var(h, vid):
    r = h.call("GET", "logic/variable/%s" % vid, what="reading variable %s" % vid)
    v = r.json(4096)
    if not isinstance(v, dict):
        raise Rejected("variable %s: the Homey's answer is not an object" % vid)
    return v


def _find_var(h, name, need_value):
    """(id, type, value or None). By id: one GET. By name: the cache, else a scan."""
    if is_uuid(name):
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
        _cache(h, "vars", name, None)
    hits = []
    _scan(h, "logic/variable/", "listing the Homey's logic variables",
          lambda vid, item: hits.append((item, vid)) if item.get("name") == name else None)
    item, vid = _one(hits, "variable", name)
    _cache(h, "vars", name, [vid, item.get("type")])
    return vid, item.get("type"), item.get("value")


def variable(h, name):
    return _find_var(h, name, True)[2]


def _check_type(name, kind, value):
    ok = {
        "boolean": isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
        "string": isinstance(value, str),
    }.get(kind, True)
    if not ok:
        raise Rejected("variable %r is a %s; %r does not fit" % (name, kind, value))


def set_variable(h, name, value):
    import json

    vid, kind, _ = _find_var(h, name, False)
    _check_type(name, kind, value)
    body = '{"variable":{"value":%s}}' % json.dumps(value)
    try:
        r = h.call("PUT", "logic/variable/%s" % vid, body, what="setting variable %r" % name)
    except NotFound:
        if is_uuid(name):
            raise
        _cache(h, "vars", name, None)
        vid, kind, _ = _find_var(h, name, False)
        r = h.call("PUT", "logic/variable/%s" % vid, body, what="setting variable %r" % name)
    h._ok(r)
    return value


# --- logic webhooks -----------------------------------------------------------
def webhook(h, event, tag=None):
    if not isinstance(event, str) or not event:
        raise Rejected("a webhook needs an event name")
    hid = h.auth.homey_id
    if not hid:
        h.call("GET", "system/ping", what="asking the Homey its id").close()
        hid = h.auth.homey_id
        if not hid:
            raise HomeyError("the Homey did not say its id: set homey.id in the config for webhooks")
    url = "%s/%s/%s" % (h.cfg["homey"]["webhook_url"], quote(hid), quote(event))
    if tag is not None:
        url += "?tag=" + quote(str(tag))
    r = h.http.request("GET", url)
    if r.status >= 400:
        from .fail import raise_for

        raise_for(r, "calling webhook %r" % event)
    r.close()
    return True
