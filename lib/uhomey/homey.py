# uhomey.Homey, the session users hold (session.py; plumbing in calls.py).
# This file is kept tiny on purpose: it compiles on whatever heap the login
# left, then collects that garbage from a shallow stack before the session's
# code compiles (MicroPython's GC is conservative; left to run deep inside an
# import, stale stack pointers keep garbage alive).
from .compat import collect

collect()
from . import calls  # noqa: E402,F401 - the larger compile first, while session.py is not resident

collect()
from .session import Homey  # noqa: E402,F401
