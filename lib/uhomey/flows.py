# h.trigger: start a flow (basic or advanced) by id or exact name. A name's
# [kind, id] is cached in the store; finding it is lists.py's (unloaded after).
from . import log
from .errors import NotFound, Rejected, fault, why
from .lookup import is_uuid, lookup

_KINDS = ("flow", "advancedflow")


def _post(h, kind, fid):
    r = h.call("POST", "flow/%s/%s/trigger" % (kind, fid), "{}", what="starting flow %s" % fid)
    h._ok(r)


def trigger(h, flow):
    if not isinstance(flow, str) or not flow:
        raise fault(Rejected, 34)  # a flow is given by its id or its exact name
    if is_uuid(flow):
        for kind in _KINDS:
            try:
                _post(h, kind, flow)
                return True
            except NotFound:
                if kind == _KINDS[-1]:
                    raise NotFound(why(35, flow), 404)  # no flow with id %s on the Homey
    hit = (h.store.get("flows") or {}).get(flow)
    if hit:
        try:
            _post(h, hit[0], hit[1])
            return True
        except NotFound:
            log.info("flow %r was renamed or removed; looking it up again", flow)
    kind, fid = lookup("lists", "find_flow", h, flow)
    _post(h, kind, fid)
    return True
