# A button's settings: the defaults in one place, and the checks on a config.

GESTURES = ("click", "double", "long", "hold")
FIRE_MODES = ("auto", "release", "eager")

# Timings in ESPHome's vocabulary (binary_sensor on_click / on_double_click).
DEFAULTS = {
    "active_low": True,  # the usual wiring: a pull-up and a button to ground
    "debounce_ms": 20,   # mechanical contacts settle within 5-10 ms
    "click_ms": 350,     # longest press that is a click
    "double_ms": 400,    # from a click's release to the next press of a double
    "long_ms": 800,      # a press this long is a long press; holds start here
    "repeat_ms": 250,    # hold repeat period (dimming steps)
    "wants": GESTURES,   # the gestures that have actions
    "fire": "auto",
}

MAX_EVENTS = 32  # decided but not yet polled; the oldest go first beyond this
SAMPLE_MS = 10   # poll period due() asks for when the pin is sampled, not edge-fed
# Hold repeats stop once a press is this long: no finger dims for a minute, but a
# button wedged by a door or a shelf would otherwise send steps for ever.
HOLD_LIMIT_MS = 60000


def settings(cfg, name):
    """cfg merged over DEFAULTS and checked; ValueError names the button and the key."""
    s = dict(DEFAULTS)
    for k, v in (cfg or {}).items():
        if k not in DEFAULTS:
            raise ValueError("button %s: unknown setting %r (known: %s)" % (name, k, ", ".join(sorted(DEFAULTS))))
        s[k] = v
    for k in ("debounce_ms", "click_ms", "double_ms", "long_ms", "repeat_ms"):
        if not isinstance(s[k], int) or s[k] <= 0:
            raise ValueError("button %s: %s must be a whole number of ms above 0, not %r" % (name, k, s[k]))
    if not s["debounce_ms"] < s["click_ms"] < s["long_ms"]:
        raise ValueError("button %s: needs debounce_ms < click_ms < long_ms" % name)
    if s["fire"] not in FIRE_MODES:
        raise ValueError("button %s: fire must be one of %s, not %r" % (name, ", ".join(FIRE_MODES), s["fire"]))
    wants = s["wants"]
    wants = (wants,) if isinstance(wants, str) else tuple(wants)
    for g in wants:
        if g not in GESTURES:
            raise ValueError("button %s: unknown gesture %r (known: %s)" % (name, g, ", ".join(GESTURES)))
    # "release" is the classic library: it decodes every gesture, so a click
    # always waits for the release and the double-click window.
    s["gestures"] = GESTURES if s["fire"] == "release" else wants
    s["at_press"] = _click_at_press(s["fire"], wants)
    return s


def _click_at_press(fire, wants):
    if "click" not in wants:
        return False
    if fire == "eager":
        return True
    return fire == "auto" and all(g == "click" for g in wants)
