# One push button: raw edges (or pin samples) in, gestures out.
from .debounce import Debounce
from .decode import Decoder
from .settings import MAX_EVENTS, SAMPLE_MS, settings


class Button:
    """See the package docstring. Raw levels are pin levels; cfg["active_low"] maps them."""

    def __init__(self, pin=None, cfg=None, clock=None, name="b0"):
        s = settings(cfg, name)
        if clock is None:
            from .clock import Ticks

            clock = Ticks()
        self.name = name
        self.dropped = 0  # events lost to MAX_EVENTS since the start
        self._clock = clock
        self._pin = pin
        self._low = bool(s["active_low"])
        self._fed = False  # edges arrive through edge(); the pin is no longer sampled
        self._events = []
        self._t = clock.now()  # decided up to here
        level = self._pressed(pin()) if pin is not None else 0
        self._db = Debounce(s["debounce_ms"], level, clock)
        self._dec = Decoder(s, clock, self._emit)

    def edge(self, level, t):
        """The pin went to raw `level` at tick t. Feed edges in time order."""
        self._fed = True
        self._change(self._pressed(level), t)

    def poll(self, now=None):
        """The events decided by `now` (ticks), oldest first, each once."""
        if now is None:
            now = self._clock.now()
        if self._pin is not None and not self._fed:
            self._change(self._pressed(self._pin()), now)
        self._advance(now)
        out = self._events
        if not out:
            return []
        self._events = []
        return out

    def busy(self):
        """True while pressed or a decision is still open: keep polling, do not sleep."""
        db = self._db
        return bool(db.stable or db.since is not None or self._dec.deadline is not None or self._events)

    def due(self, now=None):
        """ms until poll() must run again for exact timing; None when nothing is pending."""
        if now is None:
            now = self._clock.now()
        sampled = SAMPLE_MS if self._pin is not None and not self._fed else None
        t = self._next_decision()
        if t is None:
            return sampled
        wait = max(0, self._clock.diff(t, now))
        return wait if sampled is None else min(sampled, wait)

    def woke(self, t):
        """The chip woke from deep sleep because this button was pressed at tick t."""
        self._t = t
        self._db.restart(1)
        self._dec.press(t)

    def _pressed(self, level):
        return 1 if bool(level) != self._low else 0

    def _change(self, pressed, t):
        if self._clock.diff(t, self._t) < 0:  # an edge older than a decision already made
            t = self._t
        self._advance(t)
        self._db.change(pressed, t)

    def _gesture_next(self):
        """True when the gesture deadline is the next decision. It waits while the
        contact's level is in doubt, unless it came before the doubt began."""
        db, g = self._db, self._dec.deadline
        return g is not None and (db.since is None or self._clock.diff(g, db.since) < 0)

    def _next_decision(self):
        """The tick of the next decision, or None."""
        return self._dec.deadline if self._gesture_next() else self._db.until

    def _advance(self, t):
        """Make every decision due by tick t, debounce and gesture deadlines in time order."""
        diff = self._clock.diff
        while True:
            n = self._next_decision()
            if n is None or diff(n, t) > 0:
                break
            if self._gesture_next():
                self._dec.expire()
            else:
                self._settle()
        if diff(t, self._t) > 0:
            self._t = t

    def _settle(self):
        at = self._db.settle()
        if at is None:
            return
        if self._db.stable:
            self._dec.press(at)
        else:
            self._dec.release(at)

    def _emit(self, gesture, n):
        if len(self._events) >= MAX_EVENTS:
            self._events.pop(0)
            self.dropped += 1
        self._events.append((gesture, n))
