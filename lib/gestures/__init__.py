"""gestures: push-button gestures for MicroPython and CPython.

    from gestures import Button
    b = Button(pin=None, cfg={"wants": ("click", "hold")}, clock=None, name="b0")
    b.edge(level, t)        # a raw pin level change captured at tick t (IRQ, gpio event)
    for gesture, n in b.poll():   # ("press", 0) ("click", 1) ("double", 2)
        ...                       # ("long", ms) ("hold", k) ("release", ms_held)

Edges are captured with their time by an interrupt (or a Linux gpio event)
and decoded later by poll(): a blocking network call in the main loop then
delays a gesture's delivery but does not lose or misjudge it (as long as
each edge carries the tick it happened at), and debounce works on the edge
timeline, not on how often the loop happens to run. A
button given only a pin is sampled by poll() instead (then it sees what the
loop's pace lets it see). Knows nothing of what the gestures do: the caller
says which gestures have actions (cfg "wants") so a click is decided as
early as those allow. Details and the reasons: README.md beside this file.
"""
from .button import Button  # noqa: F401
from .settings import DEFAULTS  # noqa: F401
