# CPython stand-ins for MicroPython's wrapping millisecond counter, with an
# ESP32's period (2**30), so wrap-around code paths run the same on a PC.
# Never imported on a board. The same as uhomey/_cpy.py's on purpose: the two
# packages install and run without each other.
import time

_PERIOD = 1 << 30
_HALF = _PERIOD >> 1


def ticks_ms():
    return int(time.monotonic() * 1000) & (_PERIOD - 1)


def ticks_add(t, delta):
    return (t + delta) & (_PERIOD - 1)


def ticks_diff(a, b):
    return ((a - b + _HALF) & (_PERIOD - 1)) - _HALF
