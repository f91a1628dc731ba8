# CPython stand-ins for MicroPython's wrap-around millisecond clock, with the
# ESP32's period (2**30) so wrap-around code paths run the same on a PC.
import time

_PERIOD = 1 << 30
_HALF = _PERIOD >> 1


def const(x):
    return x


def ticks_ms():
    return int(time.monotonic() * 1000) & (_PERIOD - 1)


def ticks_add(t, delta):
    return (t + delta) & (_PERIOD - 1)


def ticks_diff(a, b):
    return ((a - b + _HALF) & (_PERIOD - 1)) - _HALF


def sleep_ms(ms):
    time.sleep(ms / 1000)
