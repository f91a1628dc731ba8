# A Linux board (Raspberry Pi and the like) behind the firmware's hardware
# interface: buttons are GPIO lines, read through the GPIO character device
# (uAPI v1 line events, CPython) or sysfs value+edge files (CPython and the
# MicroPython unix port); the LED is a sysfs LED or a sysfs GPIO; the OS runs
# Wi-Fi and the clock; the watchdog is /dev/watchdog when the board names it;
# "RTC" state is a file on tmpfs (kept across restarts of the firmware, not a
# reboot, as RTC memory is). Built by make(board, cfg, log).
import json
import os
import struct
import sys

from .ticks import Ticks

POLLIN = 0x001
POLLPRI = 0x002  # sysfs signals a new value on a GPIO's value file this way
POLLERR = 0x008
GPIO_ROOT = "/class/gpio"
EXPORT_WAIT_MS = 1000  # udev may take a moment to let us at a freshly exported line
STATE_FILE = "/tmp/uhomey-rtc.json"
# GPIO chardev uAPI v1 (linux/gpio.h)
GPIO_GET_LINEEVENT_IOCTL = 0xC030B404  # _IOWR(0xB4, 0x04, struct gpioevent_request) (48 bytes)
GPIOHANDLE_GET_LINE_VALUES_IOCTL = 0xC040B408  # _IOWR(0xB4, 0x08, struct gpiohandle_data) (64 bytes)
EVENT_REQUEST = "=III32si"  # lineoffset, handleflags, eventflags, consumer_label, fd
EVENT_SIZE = 16  # struct gpioevent_data: u64 timestamp (ns), u32 id, 4 bytes padding
HANDLE_INPUT = 1 << 0
BIAS = {"up": 1 << 5, "down": 1 << 6, None: 0}  # GPIOHANDLE_REQUEST_BIAS_PULL_UP / _DOWN (Linux 5.5+)
BOTH_EDGES = 3  # GPIOEVENT_REQUEST_RISING_EDGE | GPIOEVENT_REQUEST_FALLING_EDGE
RISING = 1  # GPIOEVENT_EVENT_RISING_EDGE
TICKS_MASK = (1 << 30) - 1  # the CPython ticks (uhomey.compat) wrap like an ESP32's
KERNEL_SKEW_MS = 1000  # a kernel timestamp further than this from now is not CLOCK_MONOTONIC
WDIOC_SETTIMEOUT = 0xC0045706  # _IOWR('W', 6, int)


class Clock(Ticks):
    """The contract's clock plus sleep(ms) and epoch(), on CPython and MicroPython."""

    def sleep(self, ms):
        import time

        if hasattr(time, "sleep_ms"):
            time.sleep_ms(ms)
        else:
            time.sleep(ms / 1000)

    def epoch(self):
        import time

        return time.time()


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)


class SysfsLine:
    """A button on /sys/class/gpio/gpioN: "value" holds the level; with "edge" set the kernel
    wakes poll() (POLLPRI) on each change. Edges are stamped when read (poll returns at once)."""

    def __init__(self, spec, sysfs, clock):
        n = spec["sysfs"]
        root = sysfs + GPIO_ROOT
        d = "%s/gpio%d" % (root, n)
        if not _exists(d):
            _write(root + "/export", str(n))
            _await(d + "/value", clock)
        _write(d + "/direction", "in")
        _write(d + "/edge", "both")
        self.f = open(d + "/value", "rb", 0)  # unbuffered: every read asks the kernel
        self.clock = clock
        self.active_low = spec.get("active_low", True)
        self.last = self.level()

    def fileno(self):
        return self.f.fileno()

    events = POLLPRI | POLLERR

    def level(self):
        self.f.seek(0)
        return 1 if self.f.read(1) == b"1" else 0

    def edges(self):
        v = self.level()
        if v == self.last:
            return []
        self.last = v
        return [(self.clock.now(), v)]


def _exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def _await(path, clock):
    for _ in range(EXPORT_WAIT_MS // 50):
        if _exists(path):
            return
        clock.sleep(50)
    raise OSError("GPIO export made no %s: is the line number right (see boards/README.md)?" % path)


class DevOps:
    """The OS calls a chardev line makes; tests hand in fakes with the same methods."""

    def open(self, path):
        return os.open(path, os.O_RDONLY)

    def ioctl(self, fd, request, buf):
        import fcntl

        return fcntl.ioctl(fd, request, buf)

    def read(self, fd, n):
        try:
            return os.read(fd, n)
        except BlockingIOError:
            return b""

    def nonblocking(self, fd):
        os.set_blocking(fd, False)

    def close(self, fd):
        os.close(fd)


class ChardevLine:
    """A button on a GPIO character device line (/dev/gpiochipN, uAPI v1 line events):
    the kernel queues every edge with its own timestamp, so nothing is missed between polls."""

    def __init__(self, spec, clock, ops=None):
        if sys.implementation.name != "cpython":
            raise OSError('board: a "chip"/"line" button needs CPython (ioctl); on MicroPython use "sysfs"')
        self.ops = ops or DevOps()
        self.clock = clock
        self.active_low = spec.get("active_low", True)
        chip = self.ops.open(spec["chip"])
        try:
            req = struct.pack(EVENT_REQUEST, spec["line"], HANDLE_INPUT | BIAS[spec.get("pull")], BOTH_EDGES,
                              b"uhomey", 0)
            res = self.ops.ioctl(chip, GPIO_GET_LINEEVENT_IOCTL, req)
        finally:
            self.ops.close(chip)  # the event fd lives on without the chip's
        self.fd = struct.unpack(EVENT_REQUEST, res)[4]
        self.ops.nonblocking(self.fd)

    def fileno(self):
        return self.fd

    events = POLLIN

    def level(self):
        res = self.ops.ioctl(self.fd, GPIOHANDLE_GET_LINE_VALUES_IOCTL, bytes(64))
        return res[0]

    def edges(self):
        out = []
        while True:
            data = self.ops.read(self.fd, EVENT_SIZE * 16)
            if not data:
                return out
            for i in range(0, len(data) - EVENT_SIZE + 1, EVENT_SIZE):
                ts, kind = struct.unpack_from("=QI", data, i)
                out.append((self._tick(ts), 1 if kind == RISING else 0))

    def _tick(self, ts_ns):
        """The event's kernel time as a tick (CLOCK_MONOTONIC since Linux 5.7, as Python's
        monotonic clock); an older kernel's wall-clock stamp is replaced by the read time."""
        now = self.clock.now()
        t = (ts_ns // 1000000) & TICKS_MASK
        return t if abs(self.clock.diff(now, t)) <= KERNEL_SKEW_MS else now


def make_button(spec, sysfs, clock, ops=None):
    if "sysfs" in spec:
        return SysfsLine(spec, sysfs, clock)
    if "chip" in spec:
        return ChardevLine(spec, clock, ops)
    raise ValueError('board: a Linux button needs {"chip": "/dev/gpiochip0", "line": 17} or {"sysfs": 529}')


class NullLed:
    def show(self, rgb):
        pass


class SysfsLed:
    """/sys/class/leds/<name>: lit at max_brightness when any channel is > 0."""

    def __init__(self, path):
        self.path = path
        _write(path + "/trigger", "none")  # else the kernel's own trigger (mmc, heartbeat) fights us
        with open(path + "/max_brightness") as f:
            self.max = f.read().strip() or "1"
        self.shown = None

    def show(self, rgb):
        v = self.max if max(rgb) > 0 else "0"
        if v != self.shown:
            _write(self.path + "/brightness", v)
            self.shown = v


class GpioLed:
    """A plain LED on a sysfs GPIO output, honouring its active level."""

    def __init__(self, spec, sysfs, clock):
        n = spec["sysfs"]
        root = sysfs + GPIO_ROOT
        self.path = "%s/gpio%d" % (root, n)
        if not _exists(self.path):
            _write(root + "/export", str(n))
            _await(self.path + "/value", clock)
        self.on = "0" if spec.get("active_low", False) else "1"
        self.off = "1" if self.on == "0" else "0"
        _write(self.path + "/direction", "out")
        self.shown = None
        self.show((0, 0, 0))

    def show(self, rgb):
        v = self.on if max(rgb) > 0 else self.off
        if v != self.shown:
            _write(self.path + "/value", v)
            self.shown = v


def make_led(spec, sysfs, clock, log):
    """The board's LED; one the firmware may not drive (no root, no udev rule) is logged and
    left dark rather than keeping the buttons from working."""
    kind = (spec or {}).get("kind", "none")
    try:
        if kind == "sysfs":
            path = spec["path"]
            return SysfsLed(sysfs + path[len("/sys"):] if path.startswith("/sys/") else path)
        if kind == "plain":
            return GpioLed(spec, sysfs, clock)
    except OSError as e:
        log.warning("LED %s not usable (%s): running without it (root or a udev rule gives access)", spec, e)
    return NullLed()


class FileState:
    """The "RTC memory" of a Linux board: a small JSON file, replaced whole (tmp + rename)."""

    def __init__(self, path):
        self.path = path

    def load(self):
        try:
            with open(self.path) as f:
                d = json.load(f)
        except (OSError, ValueError):
            return {}
        return d if isinstance(d, dict) else {}

    def save(self, d):
        _write(self.path + ".tmp", json.dumps(d))
        os.rename(self.path + ".tmp", self.path)


class OsNetwork:
    """The OS keeps the network up and the clock set (NetworkManager, systemd-timesyncd)."""

    def up(self, timeout_ms=None):
        return True

    def ok(self):
        return True

    def info(self):
        return {"connected": True, "via": "os", "clock_set": True, "errors": []}

    def errors(self):
        return []

    def sync_time(self):
        return True

    def down(self):
        pass


class Hw:
    def __init__(self, board, cfg, log, clock=None, sysfs="/sys", ops=None):
        self.board = board
        self.log = log
        self.clock = clock or Clock()
        self.buttons = [make_button(spec, sysfs, self.clock, ops) for spec in board["buttons"]]
        self.led = make_led(board.get("led"), sysfs, self.clock, log)
        self.rtc = FileState(board.get("state_file", STATE_FILE))
        self.wifi = OsNetwork()
        self._wdt = None
        self.feeds = 0

    def reset_cause(self):
        return None  # unknown: every start counts towards boot_guard's loop limit

    def sync_time(self):
        return True

    def wdt_start(self, ms):
        path = self.board.get("watchdog")
        if not path:
            self.log.info("no hardware watchdog on this board (board.watchdog); feeds are only counted")
            return
        self._wdt = open(path, "wb", 0)  # unbuffered: each feed reaches the driver at once
        if sys.implementation.name == "cpython":
            import fcntl

            fcntl.ioctl(self._wdt.fileno(), WDIOC_SETTIMEOUT, struct.pack("i", max(1, ms // 1000)))

    def feed(self):
        self.feeds += 1
        if self._wdt is not None:
            self._wdt.write(b"\0")

    def stop(self):
        """A clean stop (Ctrl-C, end of run): disarm the watchdog with its magic close ("V"),
        so stopping the service does not reboot the board. A crash never gets here."""
        if self._wdt is not None:
            self._wdt.write(b"V")
            self._wdt.close()
            self._wdt = None

    def idle(self, ms):
        """Wait up to ms for a GPIO event (poll on every line's file)."""
        import select

        if not self.buttons:
            self.clock.sleep(ms)
            return
        p = select.poll()
        for b in self.buttons:
            p.register(b.fileno(), b.events)
        p.poll(ms)

    def deepsleep(self, ms=0):
        self.log.info("a Linux board does not deep-sleep (keep sleep.idle_s at 0): the firmware exits")
        raise SystemExit(0)

    def wake(self):
        return None

    def held_at_boot(self):
        from .boot_guard import held

        i = self.board.get("safe_button")
        if i is None or i >= len(self.buttons):
            return False
        b = self.buttons[i]
        return held(lambda: b.level() == (0 if b.active_low else 1), self.clock)

    def reset(self):
        raise SystemExit(1)  # the service manager (Restart=always) starts the firmware again


def make(board, cfg, log, clock=None, sysfs="/sys", ops=None):
    return Hw(board, cfg or {}, log, clock, sysfs, ops)
