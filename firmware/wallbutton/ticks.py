# The boards' clock: the contract's now() / diff() / add() on the wrapping millisecond
# tick counter. gestures.clock has the same class, but a board makes its clock at boot and
# importing gestures.clock runs gestures/__init__.py, which loads the whole gesture engine;
# with this one the engine loads only when the app builds the buttons, after a boot's
# login (the heaviest moment of a device's life: 9 KB less heap then, from .mpy).
from uhomey.compat import ticks_add, ticks_diff, ticks_ms


class Ticks:
    """now() -> ticks; diff(a, b) -> a - b in ms; add(t, ms) -> ticks. Wrap-safe."""

    def now(self):
        return ticks_ms()

    def diff(self, a, b):
        return ticks_diff(a, b)

    def add(self, t, ms):
        return ticks_add(t, ms)
