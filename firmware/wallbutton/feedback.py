# LED feedback without blocking: a pattern is a list of (colour, ms) steps that
# tick() walks through as time passes; the main loop asks due() how long it may
# sleep. A one-shot pattern (ack, ok, error) plays over the status pattern (no
# Wi-Fi, Homey unreachable, needs login), which repeats until cleared.
# The rhythms differ too, so a plain one-colour LED tells them apart. Colours are
# full scale: the board's hw module applies the config's led.brightness. Under
# both, with led.show_state, the LED rests in the colour of a device's state.
OFF = (0, 0, 0)
# Colours written out (white, green, red, orange, magenta, purple): one name fewer each in RAM.
PATTERNS = {
    # one-shot; the ack lasts from the press until its result (or 3 s, for a press with no action)
    "ack": (((255, 255, 255), 3000),),
    "ok": ((OFF, 80), ((0, 255, 0), 400)),
    "error": ((OFF, 80), ((255, 0, 0), 150), (OFF, 120), ((255, 0, 0), 150), (OFF, 120), ((255, 0, 0), 150)),
    # status, repeated while it holds
    "no_wifi": (((255, 100, 0), 150), (OFF, 1850)),  # orange, one blink every 2 s
    "unreachable": (((255, 0, 200), 150), (OFF, 150), ((255, 0, 200), 150), (OFF, 1550)),  # magenta, two
    "needs_login": (((110, 0, 255), 1000), (OFF, 1000)),  # purple, slow and even
}


class Feedback:
    def __init__(self, led, clock, log=None):
        self.led = led
        self.clock = clock
        self.log = log
        self.shot = None  # (name, started) of the one-shot pattern playing
        self.state = None  # (name, started) of the status pattern
        self.shown = None
        self.resting = OFF  # the colour between patterns (led.show_state: the device's state)

    def flash(self, name, now):
        """Play a one-shot pattern now (over any status)."""
        if self.log and name != "ack":
            self.log.info("led: %s", name)
        self.shot = (name, now)
        self.tick(now)

    def status(self, name, now):
        """Set (or with None clear) the repeating status pattern."""
        if (self.state and self.state[0]) == name:
            return
        if self.log:
            self.log.info("led: %s", name or "status clear")
        self.state = (name, now) if name else None
        self.tick(now)

    def rest(self, colour, now):
        """The colour the LED keeps when no pattern plays."""
        if colour != self.resting:
            self.resting = colour
            self.tick(now)

    def _at(self, pattern, started, now, repeat):
        """(colour, ms until the next step) at `now`, or None when a one-shot is over."""
        steps = PATTERNS[pattern]
        pos = self.clock.diff(now, started)
        if repeat:
            pos %= sum(s[1] for s in steps)
        for colour, ms in steps:
            if pos < ms:
                return colour, ms - pos
            pos -= ms
        return None

    def _current(self, now):
        if self.shot:
            hit = self._at(self.shot[0], self.shot[1], now, False)
            if hit:
                return hit
            self.shot = None
        if self.state:
            return self._at(self.state[0], self.state[1], now, True)
        return self.resting, None

    def tick(self, now):
        colour = self._current(now)[0]
        if colour != self.shown:
            self.shown = colour
            self.led.show(colour)

    def due(self, now):
        """ms until the LED must change, or None when it stays as it is."""
        return self._current(now)[1]

    def off(self):
        self.shot = self.state = None
        self.resting = OFF
        self.shown = OFF
        self.led.show(OFF)
