# Helpers for dual (CPython + MicroPython) test modules.
import os
import time


def tmpdir():
    try:
        rnd = os.urandom(6)
    except AttributeError:
        import random

        rnd = bytes(random.getrandbits(8) for _ in range(6))
    name = "/tmp/uhomey-t-%d-%s" % (time.time(), "".join("%02x" % b for b in rnd))
    os.mkdir(name)
    return name


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def read(path):
    with open(path) as f:
        return f.read()


def raises(cls, fn, *args, **kw):
    """The message of the `cls` that fn(*args) must raise."""
    try:
        fn(*args, **kw)
    except cls as e:
        return str(e)
    raise AssertionError("%s not raised" % cls.__name__)


def plain(v):
    """Tuples as lists, so results compare alike after the JSON round trip."""
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    return v


def start(cfg_path, eager=True, debug=False, echo=False):
    """uhomey.connect with every log line captured: (h, logs), or (None, {"connect_error", "logs"})."""
    import uhomey
    from uhomey import log

    logs = []

    def sink(level, msg):
        logs.append(msg)
        if echo:
            print("log:", msg)

    log.sink = sink
    log.level = log.DEBUG if debug else log.INFO
    try:
        return uhomey.connect(cfg_path, eager), logs
    except uhomey.HomeyError as e:
        return None, {"connect_error": [e.__class__.__name__, str(e)], "logs": logs}
