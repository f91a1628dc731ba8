# The default clock: the board's wrapping millisecond tick counter.
# Any object with the same three methods can stand in for it (tests use one
# that wraps at 2**30 and moves only when told to).
import sys

if sys.implementation.name == "micropython":
    from time import ticks_add, ticks_diff, ticks_ms
else:
    from ._ticks import ticks_add, ticks_diff, ticks_ms


class Ticks:
    """now() -> ticks; diff(a, b) -> a - b in ms; add(t, ms) -> ticks. Wrap-safe."""

    def now(self):
        return ticks_ms()

    def diff(self, a, b):
        return ticks_diff(a, b)

    def add(self, t, ms):
        return ticks_add(t, ms)
