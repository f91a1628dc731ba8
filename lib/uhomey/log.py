# A tiny logger for the serial REPL. Lines look like "uhomey W: message".
# Callers pass format args separately so a disabled level costs no string.
# Nothing logged may contain a token, password, cookie or secret: log hosts,
# paths (never queries) and statuses.
DEBUG = 10
INFO = 20
WARNING = 30
ERROR = 40

level = INFO
sink = None  # callable(level, text); None prints
_LETTERS = {DEBUG: "D", INFO: "I", WARNING: "W", ERROR: "E"}


def log(lv, msg, *args):
    if lv < level:
        return
    if args:
        msg = msg % args
    if sink is not None:
        sink(lv, msg)
    else:
        print("uhomey %s: %s" % (_LETTERS.get(lv, "?"), msg))


def info(msg, *args):
    log(INFO, msg, *args)


def warning(msg, *args):
    log(WARNING, msg, *args)
