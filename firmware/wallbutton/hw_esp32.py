# The ESP32 board behind the firmware's hardware interface (see
# /work/notes/firmware-contract.md): buttons on pin IRQs, a plain or NeoPixel
# LED, RTC memory, watchdog, idle, deep sleep and the wake reason. Wi-Fi and the
# clock live in wifi_esp32.py. Built by make(board, cfg, log).
import json

import machine
from .ticks import Ticks

RING = 32  # edges kept per button between two polls: a bouncy press makes ~10
WDT_PARKED_MS = 3600000  # stop(): the ESP32's watchdog cannot be stopped, only given this long
IDLE_SLICE_MS = 10  # idle() looks for new edges this often (sleep_ms idles the CPU meanwhile)
RTC_MAX = 2048  # bytes of RTC user memory MicroPython's ESP32 port gives Python
# machine.wake_reason() returns ESP-IDF's esp_sleep_source_t; machine names only some of them
EXT0_WAKE = 2  # ESP_SLEEP_WAKEUP_EXT0 (machine.EXT0_WAKE)
EXT1_WAKE = 3  # ESP_SLEEP_WAKEUP_EXT1 (machine.EXT1_WAKE)
GPIO_WAKE = 7  # ESP_SLEEP_WAKEUP_GPIO: the C3's deep-sleep pin wake (no name in machine)
RESET_CAUSES = (  # machine.reset_cause() -> the name boot_guard counts by
    ("PWRON_RESET", "power"),
    ("HARD_RESET", "hard"),
    ("WDT_RESET", "wdt"),
    ("DEEPSLEEP_RESET", "deepsleep"),
    ("SOFT_RESET", "soft"),
)


class Clock(Ticks):
    """The contract's clock (now/diff/add) plus the waits and wall time the hw needs."""

    def sleep(self, ms):
        import time

        time.sleep_ms(ms)

    def epoch(self):
        import time

        return time.time()


class Button:
    """One button: level() now, and edges() captured by the pin IRQ.

    The handler stores (tick, level) into storage allocated here, so it never
    allocates: it stays safe as a hard IRQ and cheap as the scheduled one the
    ESP32 port runs. Indexes run modulo 2*RING so full and empty differ.
    """

    def __init__(self, spec, clock):
        pull = {"up": machine.Pin.PULL_UP, "down": machine.Pin.PULL_DOWN}.get(spec.get("pull"))
        self.pin = machine.Pin(spec["pin"], machine.Pin.IN, pull)
        self.active_low = spec.get("active_low", True)
        self.clock = clock
        from array import array

        self._t = array("i", [0] * RING)
        self._v = bytearray(RING)
        self._n = array("i", [0, 0, 0])  # [written, read, lost] -- only the IRQ writes [0] and [2]
        self._lost_seen = 0
        self._last = self.pin.value()  # last level stored (IRQ) ...
        self._given = self._last  # ... and last level handed to edges()
        self._irq_handler = self._irq  # one bound method, made here rather than in the IRQ
        self.pin.irq(handler=self._irq_handler, trigger=machine.Pin.IRQ_RISING | machine.Pin.IRQ_FALLING)

    def _irq(self, pin):
        v = pin.value()
        if v == self._last:
            return  # bounce already settled back, or a second IRQ for one edge
        n = self._n
        w = n[0]
        if (w - n[1]) % (2 * RING) >= RING:
            n[2] += 1  # full: edges() resynchronises from the pin's level
            return
        i = w % RING
        self._t[i] = self.clock.now()
        self._v[i] = v
        self._last = v
        n[0] = (w + 1) % (2 * RING)

    def level(self):
        return self.pin.value()

    def pressed(self):
        return self.pin.value() == (0 if self.active_low else 1)

    def pending(self):
        return self._n[0] != self._n[1] or self._n[2] != self._lost_seen

    def edges(self):
        """[(tick, level)] captured since the last call, oldest first."""
        n = self._n
        r, w = n[1], n[0]
        out = []
        while r != w:
            i = r % RING
            out.append((self._t[i], self._v[i]))
            r = (r + 1) % (2 * RING)
        n[1] = r
        if out:
            self._given = out[-1][1]
        if n[2] != self._lost_seen:
            self._lost_seen = n[2]
            self.resync()
            if self._given != self._last:
                out.append((self.clock.now(), self._last))
                self._given = self._last
        return out

    def resync(self):
        """Take the pin's level as the last one seen (after lost edges)."""
        self._last = self.pin.value()

    def inject(self, t, level):
        """Add an edge the IRQ could not see (the release of the press that woke the chip)."""
        n = self._n
        i = n[0] % RING
        self._t[i] = t
        self._v[i] = level
        self._last = level
        n[0] = (n[0] + 1) % (2 * RING)


class NullLed:
    def show(self, rgb):
        pass


class PlainLed:
    """One-colour LED: lit when any channel is > 0, honouring the board's active level."""

    def __init__(self, spec):
        self.on = 0 if spec.get("active_low", False) else 1
        self.pin = machine.Pin(spec["pin"], machine.Pin.OUT, value=1 - self.on)

    def show(self, rgb):
        self.pin.value(self.on if max(rgb) > 0 else 1 - self.on)


class PixelLed:
    """NeoPixel / SK6812 / WS2812: every pixel shows rgb scaled by the config's brightness."""

    def __init__(self, spec, brightness):
        import neopixel

        self.np = neopixel.NeoPixel(machine.Pin(spec["pin"], machine.Pin.OUT), spec.get("count", 1))
        self.scale = brightness
        self.shown = None

    def show(self, rgb):
        if rgb == self.shown:
            return  # a write costs ~30 us per pixel and blocks IRQs: skip repeats
        self.shown = rgb
        s = self.scale
        self.np.fill((int(rgb[0] * s), int(rgb[1] * s), int(rgb[2] * s)))
        self.np.write()


def make_led(spec, brightness):
    kind = (spec or {}).get("kind", "none")
    if kind == "plain":
        return PlainLed(spec)
    if kind == "neopixel":
        return PixelLed(spec, brightness)
    return NullLed()


class RtcState:
    """A small dict kept as JSON in RTC memory: survives deep sleep and soft or WDT resets
    (not a power cut). Empty or damaged memory reads as {}."""

    def __init__(self):
        self.rtc = machine.RTC()

    def load(self):
        raw = self.rtc.memory()
        if not raw:
            return {}
        try:
            d = json.loads(raw)
        except ValueError:
            return {}
        return d if isinstance(d, dict) else {}

    def save(self, d):
        raw = json.dumps(d).encode()
        if len(raw) > RTC_MAX:
            raise ValueError("RTC state is %d bytes, RTC memory holds %d" % (len(raw), RTC_MAX))
        self.rtc.memory(raw)


def reset_cause():
    """What started this run: "power", "hard", "wdt", "deepsleep", "soft" (None: unknown)."""
    c = machine.reset_cause()
    for const, name in RESET_CAUSES:
        if getattr(machine, const, None) == c:
            return name
    return None


def wake_button(board, buttons):
    """Index of the button whose pin woke the chip from deep sleep, or None."""
    if reset_cause() != "deepsleep":
        return None
    reason = machine.wake_reason()
    wake = board.get("wake") or {}
    pins = wake.get("pins") or []
    if reason == EXT0_WAKE:
        woke = pins[:1]  # ext0 watches one pin: the first wake pin
    elif reason in (EXT1_WAKE, GPIO_WAKE):
        woke = list(machine.wake_pins())
    else:
        return None  # the timer, or a reset during sleep
    for i, spec in enumerate(board["buttons"]):
        if spec.get("pin") in woke:
            return i
    return None


def arm_wake(board):
    """Set the deep-sleep wake source from the board's "wake" section (pressed level of its buttons)."""
    import esp32

    wake = board.get("wake") or {}
    pins = wake.get("pins") or []
    if not pins:
        return
    by_pin = {}
    for b in board["buttons"]:
        by_pin[b.get("pin")] = b
    lows = [p for p in pins if by_pin.get(p, {}).get("active_low", True)]
    level = 0 if lows else 1
    if lows and len(lows) != len(pins):
        raise ValueError("board wake.pins mixes active-low and active-high buttons: one wake level for all")
    mode = wake.get("mode", "ext0")
    if mode == "ext0":
        esp32.wake_on_ext0(pin=machine.Pin(pins[0]), level=level)
    elif mode == "ext1":
        if level == 0 and len(pins) > 1:
            # The ESP32's ext1 wakes on ALL pins low or ANY pin high: with several
            # active-low buttons only pressing all of them at once would wake it.
            raise ValueError("board wake: ext1 cannot wake on any one of several active-low buttons; "
                             "wire them active-high (pull-downs) or list one pin")
        esp32.wake_on_ext1(pins=[machine.Pin(p) for p in pins],
                           level=esp32.WAKEUP_ANY_HIGH if level else esp32.WAKEUP_ALL_LOW)
    elif mode == "gpio":
        esp32.wake_on_gpio(pins=[machine.Pin(p) for p in pins], level=level)
    else:
        raise ValueError('board wake.mode must be "ext0", "ext1" or "gpio", not %r' % mode)


class Hw:
    def __init__(self, board, cfg, log, clock=None):
        from .wifi_esp32 import Wifi

        self.board = board
        self.log = log
        self.clock = clock or Clock()
        self.buttons = [Button(spec, self.clock) for spec in board["buttons"]]
        brightness = (cfg.get("led") or {}).get("brightness", 0.2)
        self.led = make_led(board.get("led"), brightness)
        self.rtc = RtcState()
        self.wifi = Wifi(cfg, self.rtc, self.clock, log, reset_cause)
        self._wdt = None
        self._wake = self._find_wake()

    def _find_wake(self):
        i = wake_button(self.board, self.buttons)
        if i is None:
            return None
        t = self.clock.now()
        b = self.buttons[i]
        if not b.pressed() and not b.pending():
            # Released while the chip booted (a short click takes ~100 ms, boot ~300 ms):
            # the IRQ never saw it, so the release goes in by hand and the click is whole.
            b.inject(t, b.level())
        self.log.info("woke by button %d", i)
        return (i, t)

    def reset_cause(self):
        return reset_cause()

    def sync_time(self):
        return self.wifi.sync_time()

    def wdt_start(self, ms):
        # Fed only by feed(), which the main loop calls once a turn: a timer feeding it
        # would keep a hung app alive, which is what the watchdog is there to end.
        self._wdt = machine.WDT(timeout=ms)

    def feed(self):
        if self._wdt is not None:
            self._wdt.feed()

    def stop(self):
        """The app stopped on purpose (Ctrl-C): leave the REPL usable. MicroPython's ESP32
        watchdog has no off switch, so it is given an hour; a reset clears it. (Not for a crash:
        there the watchdog's reset, counted by boot_guard, is what should happen.)"""
        if self._wdt is not None:
            self._wdt = machine.WDT(timeout=WDT_PARKED_MS)
            self._wdt.feed()

    def idle(self, ms):
        """Wait up to ms, returning early when a button edge arrives.

        sleep_ms lets FreeRTOS idle the CPU while Wi-Fi keeps its association (modem
        sleep). machine.lightsleep is not used: it stops the radio (the AP drops a
        station that misses its beacons) and freezes ticks_ms, so edge times would lie."""
        end = self.clock.add(self.clock.now(), ms)
        while True:
            for b in self.buttons:
                if b.pending():
                    return
            left = self.clock.diff(end, self.clock.now())
            if left <= 0:
                return
            self.clock.sleep(min(left, IDLE_SLICE_MS))

    def deepsleep(self, ms=0):
        """Sleep until a wake pin's button is pressed (or ms, if > 0); wakes through boot."""
        arm_wake(self.board)
        self.led.show((0, 0, 0))
        self.wifi.down()
        self.log.info("deep sleep%s", " for %d ms" % ms if ms else "")
        if ms:
            machine.deepsleep(ms)
        machine.deepsleep()

    def wake(self):
        return self._wake

    def held_at_boot(self):
        from .boot_guard import held

        i = self.board.get("safe_button")
        if i is None or i >= len(self.buttons):
            return False
        if reset_cause() == "deepsleep":
            return False  # the press that woke a sleeping button is a press, not a request for safe mode
        return held(self.buttons[i].pressed, self.clock)

    def reset(self):
        machine.reset()


def make(board, cfg, log, clock=None):
    return Hw(board, cfg or {}, log, clock)
