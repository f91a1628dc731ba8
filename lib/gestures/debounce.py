# Contact debounce on the edge timeline.
#
# Rule: a change of level is believed when the contact still shows it
# `ms` after the change's first edge. The change is then dated at that
# first edge, so gesture timing (click length, long press) counts from the
# moment the finger touched, not from the moment the bounce died down.
# Edges between the first one and the re-read are bounce and ignored; a
# glitch shorter than `ms` has ended by the re-read and is dropped. A press
# is therefore known exactly `ms` after the contact closed (issue 15:
# "fires on the debounced press edge").


class Debounce:
    """Raw levels in (1 = pressed), believed changes out. Times are ticks."""

    def __init__(self, ms, level, clock):
        self.ms = ms
        self.raw = level     # the contact as last seen
        self.stable = level  # the believed (debounced) level
        self.since = None    # first edge of a change not yet believed
        self.until = None    # when that change is re-read
        self._clock = clock

    def change(self, level, t):
        """The contact went to `level` at tick t."""
        if level == self.raw:
            return
        self.raw = level
        if self.since is None and level != self.stable:
            self.since = t
            self.until = self._clock.add(t, self.ms)

    def settle(self):
        """At the re-read: the tick the believed level changed at, or None (a glitch)."""
        since = self.since
        self.since = self.until = None
        if self.raw == self.stable:
            return None
        self.stable = self.raw
        return since

    def restart(self, level):
        """Forget the past: the contact is at `level` and believed."""
        self.raw = self.stable = level
        self.since = self.until = None
