# uhomey: a Homey client small enough for an ESP32 wall button.
#   h = uhomey.connect("config.json"); h.toggle("Kitchen light")
from .errors import (  # noqa: F401
    AuthError,
    ConfigError,
    HomeyError,
    HTTPError,
    NetworkError,
    NotFound,
    ProtocolError,
    Rejected,
    TLSError,
    Unreachable,
)

__version__ = "0.1.0"


def connect(config, eager=True, clock=None):
    """A Homey session from a config file path (or an already-parsed dict).

    With eager=True (the REPL default) a missing login or Homey session is made
    now, so a wrong password shows up here; a stored session costs no request.
    Firmware passes eager=False to boot without the network.
    """
    from .compat import unload
    from .start import start

    try:
        parts = start(config, eager, clock)
    finally:
        start = None
        unload("start")  # gone before the Homey layer compiles, and off every press's heap
    from .homey import Homey

    return Homey(*parts)
