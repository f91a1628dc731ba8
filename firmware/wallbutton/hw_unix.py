# The unix board: the firmware on a PC (MicroPython unix port or CPython).
# Buttons come from standard input. Piped or from a file, each line is one edge,
#   <ms since start> <button> <0|1>      (1 = pressed; "#" starts a comment)
# played with the real clock: an edge is delivered when its time comes, stamped
# with that time, so a scripted run goes through the real debounce and gesture
# timing. "start" is the first time the app looks at its input (after boot).
# At the end of the input, finished() turns True and the app stops once nothing
# is in flight. From a terminal, keys press buttons (unix_keys.py).
# Wi-Fi and the clock are always there; the watchdog is checked in software (a
# missed feed ends the run as a reset would); deep sleep ends the run and leaves
# a note in the RTC file, so the next run wakes from the first scripted press.
import json
import sys

from .ticks import Ticks  # the board's tick clock: now(), diff(), add()

try:
    from time import sleep_ms
except ImportError:  # CPython
    import time

    def sleep_ms(ms):
        time.sleep(ms / 1000)


try:
    from os import read as _os_read  # CPython: unbuffered, so poll() sees every byte not yet taken

    def _chunk(keys):
        return _os_read(0, 4096).decode()
except ImportError:  # MicroPython: its stdin does not read ahead

    def _chunk(keys):
        return sys.stdin.read(1) if keys else sys.stdin.readline()

try:
    from micropython import const
except ImportError:  # CPython

    def const(x):
        return x


# Underscored const() names leave no name in RAM on MicroPython: every interned name counts
# (past 630 of them MicroPython allocates a 7 KB name table, on a press if not before).
_WATCHDOG_RESET = const(3)  # exit status of a run the software watchdog ended


class Input:
    def __init__(self, feed):
        self.feed = feed
        self.pending = []
        self.lv = 0

    def level(self):
        self.feed.pump()
        return self.lv

    def edges(self):
        self.feed.pump()
        out = self.pending
        self.pending = []
        return out


class Stdin:
    """Edges from standard input: scheduled waveform lines, or keys from a terminal."""

    def __init__(self, clock, count, log):
        import select

        self.clock = clock
        self.log = log
        self.inputs = [Input(self) for _ in range(count)]
        self.start = None
        self.queue = []  # (tick, button, level) not yet due, in time order
        self.partial = ""  # the start of a line not yet complete
        self.ended = False
        self.keys = None  # a terminal's keys (unix_keys.py), loaded only for a terminal
        self.poll = select.poll()
        self.poll.register(sys.stdin, select.POLLIN)
        try:
            import termios

            termios.tcgetattr(0)
        except Exception:  # noqa: BLE001 - not a terminal: termios.error (CPython), OSError (MicroPython)
            return
        from .unix_keys import Keys

        self.keys = Keys(self)

    def begin(self):
        if self.start is None:
            self.start = self.clock.now()
            self.log.info("unix board: input clock starts at tick %d", self.start)

    def restore(self):
        if self.keys:
            self.keys.restore()

    def _line(self, line):
        line = line.split("#")[0].split()
        if not line:
            return
        try:
            ms, b, lv = int(line[0]), int(line[1]), int(line[2])
        except (ValueError, IndexError):
            self.log.warning("unix board: ignored input line %r (want: <ms> <button> <0|1>)", " ".join(line))
            return
        if not 0 <= b < len(self.inputs) or lv not in (0, 1):
            self.log.warning("unix board: ignored input line %r (no such button or level)", " ".join(line))
            return
        self.schedule(self.clock.add(self.start, ms), b, lv)

    def _read(self, ms):
        """Wait up to ms for input and take what came."""
        if self.ended:
            return
        for _ in range(64):  # a bounded number of reads per call; the rest waits for the next
            if not self.poll.poll(ms):
                return
            ms = 0
            data = _chunk(self.keys)
            if not data:
                self.ended = True
                self.poll.unregister(sys.stdin)
                data = "\n"
            if self.keys:
                for ch in data:
                    self.keys.key(ch)
                continue
            lines = (self.partial + data).split("\n")
            self.partial = lines.pop()
            for line in lines:
                self._line(line)
            if self.ended:
                return

    def schedule(self, t, b, lv):
        i = len(self.queue)
        while i and self.clock.diff(self.queue[i - 1][0], t) > 0:  # keys can interleave with a click's release
            i -= 1
        self.queue.insert(i, (t, b, lv))

    def pump(self):
        """Read what input is ready; hand out edges whose time has come."""
        self.begin()
        self._read(0)
        now = self.clock.now()
        while self.queue and self.clock.diff(self.queue[0][0], now) <= 0:
            t, b, lv = self.queue.pop(0)
            inp = self.inputs[b]
            inp.lv = lv
            inp.pending.append((t, lv))

    def wait(self, ms):
        """Sleep up to ms, less when input comes or a scheduled edge falls due."""
        self.begin()
        if self.queue:
            ms = min(ms, max(0, self.clock.diff(self.queue[0][0], self.clock.now())))
        if self.ended:
            sleep_ms(ms)
        else:
            self._read(ms)

    def first_press(self):
        """(button, tick) of the first scripted press, taken from the input: what woke the board."""
        self.begin()
        for _ in range(16):
            if self.queue or self.ended:
                break
            self._read(100)
        for i, q in enumerate(self.queue):
            if q[2] == 1:
                self.queue.pop(i)
                self.inputs[q[1]].lv = 1
                return q[1], q[0]
        return None


class Led:
    def __init__(self, log):
        self.log = log
        self.rgb = (0, 0, 0)

    def show(self, rgb):
        self.rgb = rgb
        self.log.debug("led %s", rgb)


class Wifi:
    def up(self, timeout_ms):
        return True

    def ok(self):
        return True

    def info(self):
        return {"ssid": "unix", "ip": "127.0.0.1"}


class Rtc:
    """State kept across deep sleep: a JSON file beside the config."""

    def __init__(self, path):
        self.path = path

    def load(self):
        try:
            with open(self.path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    def save(self, d):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(d, f)
        import os

        os.rename(tmp, self.path)


class UnixBoard:
    def __init__(self, board, cfg, log):
        self.log = log
        self.clock = Ticks()
        self.stdin = Stdin(self.clock, len(board.get("buttons") or ()), log)
        self.buttons = self.stdin.inputs
        self.led = Led(log)
        self.wifi = Wifi()
        self.rtc = Rtc("%s/%s" % (cfg.get("dir") or ".", board.get("rtc", "rtc.json")))
        self.wdt_ms = 0
        self.fed = None
        self.longest_gap = 0  # ms, the longest time between two watchdog feeds

    def finished(self):
        return self.stdin.ended and not self.stdin.queue

    def sync_time(self):
        return True

    def wdt_start(self, ms):
        self.wdt_ms = ms
        self.fed = self.clock.now()

    def feed(self):
        if not self.wdt_ms:
            return
        now = self.clock.now()
        gap = self.clock.diff(now, self.fed)
        self.fed = now
        if gap > self.longest_gap:
            self.longest_gap = gap
        if gap > self.wdt_ms:
            self.log.error("watchdog: not fed for %d ms (limit %d): a board would reset here", gap, self.wdt_ms)
            self.stdin.restore()
            sys.exit(_WATCHDOG_RESET)

    def idle(self, ms):
        self.stdin.wait(ms)

    def deepsleep(self, ms):
        kept = self.rtc.load()
        kept["slept"] = True
        self.rtc.save(kept)
        self.log.info("unix board: deep sleep (the run ends; the next run wakes from its first press)")
        self.stop()
        sys.exit(0)

    def wake(self):
        kept = self.rtc.load()
        if not kept.pop("slept", False):
            return None
        self.rtc.save(kept)
        return self.stdin.first_press()

    def held_at_boot(self):
        return False

    def reset_cause(self):
        """A run on a PC starts like a soft reset: never counted as a boot loop."""
        return "soft"

    def stop(self):
        """The end of a run: the terminal as it was, the watchdog's record in the log."""
        self.stdin.restore()
        if self.wdt_ms:
            self.log.info("watchdog: longest gap between feeds %d ms (limit %d)", self.longest_gap, self.wdt_ms)

    def reset(self):
        self.stop()
        sys.exit(1)


def make(board, cfg, log):
    return UnixBoard(board, cfg, log)
