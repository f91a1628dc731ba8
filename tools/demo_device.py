# A short uhomey session as a button would run it, for the MicroPython unix
# port (or CPython). tools/demo.py starts the simulator and runs this twice:
# once from an empty token store (full Athom login), once as after a reboot.
#   micropython tools/demo_device.py <config.json> [device name]
import sys

import uhomey


def ms_since(t0):
    try:
        from time import ticks_diff, ticks_ms
    except ImportError:  # CPython
        from time import monotonic

        return int((monotonic() - t0) * 1000)
    return ticks_diff(ticks_ms(), t0)


def now():
    try:
        from time import ticks_ms
    except ImportError:
        from time import monotonic

        return monotonic()
    return ticks_ms()


def step(h, label, fn, *args):
    before = h.http.requests
    hs = h.http.handshakes
    t0 = now()
    try:
        result = fn(*args)
    except uhomey.HomeyError as e:
        result = "%s: %s" % (e.__class__.__name__, e)
    print("  %-34s -> %-28r %2d req %d TLS %4d ms" % (
        label, result, h.http.requests - before, h.http.handshakes - hs, ms_since(t0)))
    return result


def main(config, device="Kitchen light"):
    t0 = now()
    h = uhomey.connect(config)
    print("  %-34s -> %-28r %2d req %d TLS %4d ms" % (
        "uhomey.connect()", h, h.http.requests, h.http.handshakes, ms_since(t0)))
    step(h, "h.toggle(%r)" % device, h.toggle, device)
    step(h, "h.toggle(%r) again" % device, h.toggle, device)
    step(h, "h.get(%r)" % device, h.get, device)
    step(h, "h.dim_step(%r, 0.2)" % device, h.dim_step, device, 0.2)
    step(h, "h.set(%r, 'dim', 1.5)" % device, h.set, device, "dim", 1.5)
    step(h, "h.trigger('Good night')", h.trigger, "Good night")
    step(h, "h.variable('Night level')", h.variable, "Night level")
    step(h, "h.get('No such lamp')", h.get, "No such lamp")
    step(h, "len(h.devices())", lambda: len(h.devices()))
    h.close()


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print("usage: demo_device.py <config.json> [device name]")
        sys.exit(2)
    main(*sys.argv[1:3])
