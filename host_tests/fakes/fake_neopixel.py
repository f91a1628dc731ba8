# A fake `neopixel`: write() shows the pixels in world.pixels.
from fakes import world as _w


class NeoPixel:
    def __init__(self, pin, n):
        self.pin = pin
        self.buf = [(0, 0, 0)] * n

    def __setitem__(self, i, rgb):
        self.buf[i] = tuple(rgb)

    def fill(self, rgb):
        self.buf = [tuple(rgb)] * len(self.buf)

    def write(self):
        _w.current.pixels = list(self.buf)
