# Serial log lines: "<ms since boot> <level> <text>", e.g. "  1234 I b0 click -> toggle".
# Callers pass format args apart so a line below the level costs no string.
# Nothing logged here holds a secret: the app logs gestures, action names, device
# names and uhomey's error texts (which never carry a token or password).
LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40}
LETTERS = "DIWE"


class Log:
    def __init__(self, level="info", clock=None, out=print):
        self.level = LEVELS[level]
        self.clock = clock
        self.out = out
        self.t0 = clock.now() if clock else 0

    def log(self, lv, msg, args):
        if lv < self.level:
            return
        try:
            if args:
                msg = msg % args
            ms = self.clock.diff(self.clock.now(), self.t0) if self.clock else 0
            msg = "%6d %s %s" % (ms, LETTERS[lv // 10 - 1], msg)
        except MemoryError:  # a full heap must not turn a log line into a crash
            msg = "(out of memory: a log line was lost)"
        self.out(msg)

    def debug(self, msg, *args):
        self.log(10, msg, args)

    def info(self, msg, *args):
        self.log(20, msg, args)

    def warning(self, msg, *args):
        self.log(30, msg, args)

    def error(self, msg, *args):
        self.log(40, msg, args)
