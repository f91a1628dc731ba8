# The Athom account's Homeys (GET user/me, streamed): for choosing one at the
# REPL or in a PC's onboarding. A lookup module (lookup.lookup): not on the
# press path, unloaded after each use.
from .jwalk import walk

_KEEP = ("_id", "id", "name", "platform", "modelName")


def homeys(h):
    """[(id, name, platform, model)] of every Homey on the account, in the account's order.
    A Homey Pro's API key belongs to no account: [] then."""
    if h.auth.mode != "cloud":
        return []
    from . import cloud

    what = "reading the account (user/me)"
    out = []

    def visit(x):
        hid = x.get("_id") or x.get("id")
        if isinstance(hid, str):
            out.append((hid, x.get("name"), x.get("platform"), x.get("modelName")))

    walk(cloud.call(h.auth, "GET", "/user/me", None, what), what, visit, 3, _KEEP, "homeys")
    return out
