# Gestures from believed presses and releases (see debounce.py), each dated
# at its first edge. Knows nothing of pins or the buttons' uses.
#
# One timed decision is open at a time (`deadline`, with `_what` saying
# which): the end of a double-click window, the long-press time, or the next
# hold repeat. Button.poll() and Button.edge() call expire() for each
# deadline that time has passed, in time order with the debounced edges.

from .settings import HOLD_LIMIT_MS

# what the open deadline decides
NOTHING = 0
WINDOW = 1  # no second press by now: the first click stands alone
LONG = 2    # still pressed at long_ms: a long press, holds start
HOLD = 3    # still pressed: one more hold repeat


class Decoder:
    def __init__(self, s, clock, emit):
        self._clock = clock
        self._emit = emit
        self.click_ms = s["click_ms"]
        self.double_ms = s["double_ms"]
        self.long_ms = s["long_ms"]
        self.repeat_ms = s["repeat_ms"]
        g = s["gestures"]
        self._click = "click" in g
        self._double = "double" in g
        self._long = "long" in g
        self._hold = "hold" in g
        self._timed = self._long or self._hold
        self._at_press = s["at_press"]  # the click fires on the press edge
        self.deadline = None
        self._what = NOTHING
        self.pressed_at = None  # start of the press in progress
        self._second = False    # this press began inside a double window
        self._owed = False      # a first click waits on the double window
        self._held = False      # this press reached long_ms
        self.holds = 0

    def press(self, p):
        self._emit("press", 0)
        self._second = self._what == WINDOW
        self._set(None, NOTHING)
        self.pressed_at = p
        self._held = False
        self.holds = 0
        if self._at_press and not self._second:
            self._emit("click", 1)
        if self._timed:
            self._set(self._clock.add(p, self.long_ms), LONG)

    def release(self, r):
        p = self.pressed_at
        if p is None:  # pressed before the engine started: not a gesture
            return
        self.pressed_at = None
        self._set(None, NOTHING)
        held = self._clock.diff(r, p)
        if not self._held:
            self._click_ends(r, held)
        self._emit("release", held)

    def _click_ends(self, r, held):
        if held > self.click_ms:  # too long for a click, too short for a long press
            self._pay()
        elif self._second:
            self._owed = False
            self._emit("double", 2)
        elif self._double:
            self._owed = not self._at_press
            self._set(self._clock.add(r, self.double_ms), WINDOW)
        elif not self._at_press and self._click:
            self._emit("click", 1)

    def expire(self):
        """The open deadline has passed with no edge before it."""
        what = self._what
        if what == WINDOW:
            self._set(None, NOTHING)
            self._pay()
        elif what == LONG:
            self._held = True
            self._pay()
            if self._long:
                self._emit("long", self.long_ms)
            if self._hold:
                self._next_hold()
            else:
                self._set(None, NOTHING)
        elif what == HOLD:
            self._next_hold()

    def _next_hold(self):
        self.holds += 1
        self._emit("hold", self.holds)
        after = self._clock.add(self.deadline, self.repeat_ms)
        if self._clock.diff(after, self.pressed_at) > HOLD_LIMIT_MS:
            self._set(None, NOTHING)  # a stuck button: quiet until it is released
        else:
            self._set(after, HOLD)

    def _pay(self):
        """The first click of a double that did not come about stands alone."""
        if self._owed:
            self._owed = False
            if self._click:
                self._emit("click", 1)

    def _set(self, deadline, what):
        self.deadline = deadline
        self._what = what
