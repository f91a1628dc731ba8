# h.webhook: the Homey's logic webhooks (no authentication involved).
from .compat import unload
from .errors import HomeyError, Rejected, fault


def webhook(h, event, tag=None):
    if not isinstance(event, str) or not event:
        raise fault(Rejected, 72)  # a webhook needs an event name
    hid = h.auth.homey_id
    if not hid:
        h.call("GET", "system/ping", what="asking the Homey its id").close()
        hid = h.auth.homey_id
        if not hid:
            raise fault(HomeyError, 73)  # the Homey did not say its id: set homey.id in the config for webhooks
    from .form import quote

    url = "%s/%s/%s" % (h.cfg["homey"]["webhook_url"], quote(hid), quote(event))
    if tag is not None:
        url += "?tag=" + quote(str(tag))
    unload("form")  # a login module: not kept for this
    r = h.http.request("GET", url)
    if r.status >= 400:
        from .fail import raise_for

        raise_for(r, "calling webhook %r" % event)
    r.close()
    return True
