# A fake `machine` for the ESP32 port (the parts the firmware uses).
from fakes import world as _w
from fakes.world import DeepSleep, Reset

PWRON_RESET, HARD_RESET, WDT_RESET, DEEPSLEEP_RESET, SOFT_RESET = 1, 2, 3, 4, 5
EXT0_WAKE, EXT1_WAKE, TIMER_WAKE = 2, 3, 4
PIN_WAKE = EXT0_WAKE


class Pin:
    IN, OUT, OPEN_DRAIN = 1, 3, 7
    PULL_UP, PULL_DOWN = 2, 1
    IRQ_RISING, IRQ_FALLING = 1, 2

    def __init__(self, id, mode=-1, pull=-1, value=None):
        w = _w.current
        self.id = id
        self.mode = mode
        w.pins[id] = self
        if id not in w.levels:
            w.levels[id] = 0 if pull == Pin.PULL_DOWN else 1
        if value is not None:
            w.outputs[id] = value

    def value(self, v=None):
        w = _w.current
        if v is None:
            return w.outputs.get(self.id, 0) if self.mode == Pin.OUT else w.levels[self.id]
        w.outputs[self.id] = 1 if v else 0

    __call__ = value

    def irq(self, handler=None, trigger=3, wake=None):  # no `hard`: the ESP32 port has none
        _w.current.irqs[self.id] = (handler, trigger)


class RTC:
    def memory(self, data=None):
        w = _w.current
        if data is None:
            return w.rtc_mem
        if len(data) > 2048:
            raise ValueError("buffer too long")
        w.rtc_mem = bytes(data)


class WDT:
    def __init__(self, id=0, timeout=5000):
        _w.current.wdt_timeout = timeout

    def feed(self):
        _w.current.feeds += 1


class Timer:
    def __init__(self, *args, **kw):
        _w.current.timers_made += 1

    def init(self, *args, **kw):
        pass


def reset_cause():
    return _w.current.reset_cause


def wake_reason():
    return _w.current.wake_reason


def wake_pins():
    return tuple(_w.current.wake_pins)


def deepsleep(ms=0):
    _w.current.slept = ms
    raise DeepSleep(ms)


def lightsleep(ms=0):
    _w.current.clock.advance(ms)


def reset():
    raise Reset()


def unique_id():
    return b"\x24\x0a\xc4\x00\x00\x01"
