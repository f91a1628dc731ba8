# uhomey.Homey, the session users hold (session.py; plumbing in calls.py).
# This file is kept tiny on purpose: it compiles on whatever heap the login
# left, then collects that garbage from a shallow stack before the session's
# code compiles (MicroPython's GC is conservative; left to run deep inside an
# import, stale stack pointers keep garbage alive).
from .compat import collect

collect()
from . import calls  # noqa: E402,F401 - the larger compile first, while session.py is not resident

collect()
from .lookup import lookup  # noqa: E402
from .session import Homey  # noqa: E402


def _use(spec, once=False):
    """A method that runs uhomey.<module>.<function>(self, ...) for spec "module.function";
    with once, through lookup (unloaded after). One string, not two names: names are
    interned for good when this file compiles, the string's parts only when first used."""

    def method(self, *args, **kw):
        mod, fn = spec.split(".")
        if once:
            return lookup(mod, fn, self, *args, **kw)
        m = __import__("uhomey." + mod, None, None, (fn,))
        return getattr(m, fn)(self, *args, **kw)

    return method


def _close(self):
    """Close the Homey connection (the next call opens a new one)."""
    self.http.close()


def _repr(self):
    return "<uhomey.Homey %s via %s>" % (self.auth.homey_id or "?", self.auth.mode)


# The rest of h's API, set here rather than in the class body so session.py compiles with
# fewer names (a smaller compile): methods that load their module on first use (_use).
Homey.close = _close
Homey.__repr__ = _repr
# h.dim_step(device, delta, capability="dim"): hold-to-dim, returns the new level (dim.py)
Homey.dim_step = _use("dim.dim_step")
# h.devices(match=None): [(id, name, zone, class)], only names containing match (devlist.py)
Homey.devices = _use("devlist.listing", True)
# h.trigger(flow): start a flow by id or exact name (flows.py)
Homey.trigger = _use("flows.trigger")
# h.flows(): [(id, name, kind)] of every flow (lists.py)
Homey.flows = _use("lists.flows", True)
# h.variable(name) / h.set_variable(name, value): logic variables by name or id (variables.py)
Homey.variable = _use("variables.variable")
Homey.set_variable = _use("variables.set_variable")
# h.webhook(event, tag=None): the Homey's logic webhook, no authentication (webhook.py)
Homey.webhook = _use("webhook.webhook")
# h.homeys(): [(id, name, platform, model)] of the Athom account's Homeys (account.py)
Homey.homeys = _use("account.homeys", True)
# h.forget(): drop every cached name, id and value (after renaming things in the Homey app)
Homey.forget = _use("names.forget_all", True)
