# Stand-ins for the ESP32 port's hardware modules (machine, network, ntptime,
# esp32, neopixel), for firmware tests under CPython and the MicroPython unix
# port. One World holds the board's state: pin levels and IRQ handlers, RTC
# memory, watchdog feeds, access points, the NTP server, wake reason, LEDs, and
# a FakeClock that moves only when the code under test waits.
#   from fakes import install, remove
#   w = install()                 # sys.modules["machine"] etc. now the fakes
#   w.drive(39, 0)                # the button on pin 39 pulled low: its IRQ runs now
#   ... remove()                  # real modules (or none) again
import sys

from fakes.world import FakeClock, World  # noqa: F401

class Log:
    """A logger (info/warning) that keeps its lines, for tests to read."""

    def __init__(self):
        self.lines = []

    def info(self, msg, *args):
        self.lines.append("I " + (msg % args if args else msg))

    def warning(self, msg, *args):
        self.lines.append("W " + (msg % args if args else msg))

    def text(self):
        return "\n".join(self.lines)


NAMES = ("machine", "network", "ntptime", "esp32", "neopixel")
FIRMWARE_MODULES = ("wallbutton.hw_esp32", "wallbutton.wifi_esp32")


def install(clock=None):
    from fakes import fake_esp32, fake_machine, fake_neopixel, fake_network, fake_ntptime, world

    w = World(clock or FakeClock())
    world.current = w
    mods = (fake_machine, fake_network, fake_ntptime, fake_esp32, fake_neopixel)
    for name, mod in zip(NAMES, mods):
        sys.modules[name] = mod
    _drop(FIRMWARE_MODULES)  # bound to the fakes afresh
    return w


def remove():
    _drop(NAMES + FIRMWARE_MODULES)


def _drop(names):
    for n in names:
        if n in sys.modules:
            del sys.modules[n]
