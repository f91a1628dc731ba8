# The fake board's state, shared by the fake modules (see __init__.py).
import sys

PERIOD = 1 << 30  # an ESP32's ticks_ms wraps here
HALF = PERIOD >> 1
MICROPYTHON = sys.implementation.name == "micropython"
current = None  # the World of the running test


class DeepSleep(Exception):
    """machine.deepsleep() was called: the run ends as on a board."""


class Reset(Exception):
    """machine.reset() was called."""


class FakeClock:
    """ticks that wrap at 2**30 and move only through sleep()/advance(); events run when due."""

    def __init__(self, start=0, epoch=1767225600):
        self.t = start % PERIOD
        self.ms = 0  # ms since the clock was made (never wraps): orders events
        self.epoch_ms = epoch * 1000
        self.events = []  # [due ms, seq, fn]
        self.seq = 0

    def now(self):
        return self.t

    def diff(self, a, b):
        return ((a - b + HALF) & (PERIOD - 1)) - HALF

    def add(self, t, ms):
        return (t + ms) & (PERIOD - 1)

    def epoch(self):
        return self.epoch_ms // 1000

    def at(self, delay, fn):
        self.seq += 1
        self.events.append([self.ms + delay, self.seq, fn])
        return self.seq

    def cancel(self, seq):
        self.events = [e for e in self.events if e[1] != seq]

    def advance(self, ms):
        end = self.ms + ms
        while True:
            due = [e for e in self.events if e[0] <= end]
            if not due:
                break
            e = min(due, key=lambda x: (x[0], x[1]))
            self.events.remove(e)
            self._step(e[0] - self.ms)
            e[2]()
        self._step(end - self.ms)

    def _step(self, ms):
        self.ms += ms
        self.epoch_ms += ms
        self.t = (self.t + ms) % PERIOD

    sleep = advance


class World:
    POWER, HARD, WDT, DEEPSLEEP, SOFT = 1, 2, 3, 4, 5

    def __init__(self, clock):
        self.clock = clock
        self.levels = {}  # pin id -> level the outside world drives
        self.pins = {}  # pin id -> the last machine.Pin made for it
        self.irqs = {}  # pin id -> (handler, trigger)
        self.outputs = {}  # pin id -> level the firmware drives
        self.rtc_mem = b""
        self.wdt_timeout = None
        self.feeds = 0
        self.timers_made = 0
        self.reset_cause = self.POWER
        self.wake_reason = 0
        self.wake_pins = ()
        self.wake_cfg = None  # (kind, [pin ids], level) from the esp32 module
        self.slept = None  # ms given to machine.deepsleep (0: until a pin)
        self.pixels = None
        self.aps = []  # dicts: ssid, password, bssid, channel, rssi, ip
        self.ntp_fail = 0  # the next n NTP requests time out
        self.log = []  # ("scan",) ("connect", ssid, bssid, static) ("ntp", host, linked) in order
        self.wlan = None

    def ap(self, ssid, password, bssid, channel=6, rssi=-60, ip="192.168.1.77"):
        self.aps.append({"ssid": ssid, "password": password, "bssid": bssid, "channel": channel,
                         "rssi": rssi, "ip": ip})

    def drive(self, pin, level):
        """The outside world sets pin's level; an IRQ set for that edge runs now, with the heap
        locked on MicroPython (an IRQ handler that allocates fails here as it would on a board)."""
        old = self.levels.get(pin, 1)
        self.levels[pin] = level
        h = self.irqs.get(pin)
        if h is None or old == level:
            return
        handler, trigger = h
        if trigger & (1 if level else 2):  # IRQ_RISING = 1, IRQ_FALLING = 2
            if MICROPYTHON:
                import micropython

                micropython.heap_lock()
                try:
                    handler(self.pins[pin])
                finally:
                    micropython.heap_unlock()
            else:
                handler(self.pins[pin])
