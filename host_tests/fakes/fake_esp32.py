# A fake `esp32` module: records the deep-sleep wake source.
from fakes import world as _w

WAKEUP_ALL_LOW = False
WAKEUP_ANY_HIGH = True


def wake_on_ext0(pin, level):
    _w.current.wake_cfg = ("ext0", [pin.id], 1 if level else 0)


def wake_on_ext1(pins, level):
    _w.current.wake_cfg = ("ext1", [p.id for p in pins], 1 if level else 0)


def wake_on_gpio(pins, level):
    _w.current.wake_cfg = ("gpio", [p.id for p in pins], 1 if level else 0)
