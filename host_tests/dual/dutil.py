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
