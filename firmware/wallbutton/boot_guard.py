# Safe mode and the boot-loop counter: the two ways a wall button that went wrong
# still leaves its owner a REPL.
#  - the board's safe button held at boot (SAFE_HOLD_MS) -> no app, REPL only;
#  - BOOT_LOOPS resets in a row that did not come from a deep-sleep wake or a
#    soft reset (Ctrl-D), each before the app ran STABLE_MS -> the same.
# /boot.py decides (at_boot); /main.py asks (check) and tells when the app has
# run long enough to clear the counter (settle). The counter lives in hw.rtc
# (RTC memory on an ESP32: survives resets, not a power cut -- a brownout loop
# still counts because MicroPython reports a brownout as a power-on reset).
import json

BOOT_LOOPS = 5  # resets in a row before the app is skipped
STABLE_MS = 30000  # the app ran this long: its resets were not a loop
SAFE_HOLD_MS = 1000  # the safe button must stay pressed this long at boot
HOLD_STEP_MS = 20
SAFE_RGB = (0, 0, 255)  # steady blue (a plain LED: steady on)
COUNTED = ("power", "hard", "wdt", None)  # reset causes that can be a loop (None: unknown)
BOARD_FILE = "/board.json"

_decision = None  # None: not decided this boot; "": run the app; other str: why safe mode
_settled = False


class _PrintLog:
    def info(self, msg, *args):
        print("boot I " + (msg % args if args else msg))

    def warning(self, msg, *args):
        print("boot W " + (msg % args if args else msg))


def held(pressed, clock, ms=SAFE_HOLD_MS):
    """True when pressed() stays true for ms; False as soon as it reads false."""
    start = clock.now()
    while pressed():
        if clock.diff(clock.now(), start) >= ms:
            return True
        clock.sleep(HOLD_STEP_MS)
    return False


def _cause(hw):
    f = getattr(hw, "reset_cause", None)
    return f() if f else None


def decide(hw, log):
    """Count this boot and say why the app must not run ("" when it may)."""
    reason = ""
    if hw.held_at_boot():
        reason = "the safe-mode button was held at boot"
    st = hw.rtc.load()
    boots = st.get("boots", 0)
    if _cause(hw) in COUNTED:
        boots += 1
    if boots >= BOOT_LOOPS:
        reason = reason or ("%d resets in a row, each before the app ran %d s" % (boots, STABLE_MS // 1000))
    if reason:
        boots = 0  # the next reset (after a fix at the REPL) tries the app again
    st["boots"] = boots
    hw.rtc.save(st)
    if reason:
        _show_safe(hw, log, reason)
    return reason


def _show_safe(hw, log, reason):
    hw.led.show(SAFE_RGB)
    log.warning("SAFE MODE: %s. The app does not start; the REPL is yours. "
                "Ctrl-D or machine.reset() starts it again.", reason)


def at_boot(board_file=BOARD_FILE, log=None, clock=None):
    """For /boot.py: decide safe mode for this boot. Never raises (a boot.py that fails
    every time would itself be the loop): an unreadable board file means safe mode."""
    global _decision
    log = log or _PrintLog()
    try:
        with open(board_file) as f:
            board = json.load(f)
        mod = __import__("wallbutton.hw_" + board["platform"], None, None, ("make",))
        hw = mod.make(board, {}, log, clock) if clock else mod.make(board, {}, log)
        _decision = decide(hw, log)
    except Exception as e:  # noqa: BLE001 - anything here must end in a usable REPL
        _decision = "boot check failed (%s: %s) -- fix %s" % (e.__class__.__name__, e, board_file)
        log.warning("SAFE MODE: %s", _decision)
    return _decision or None


def check(hw, log=None):
    """For main.py: None when the app may run, else why not (the LED shows safe mode again,
    as main.py's hw took the pins over). Decides now when no boot.py did (a PC)."""
    global _decision
    log = log or _PrintLog()
    if _decision is None:
        _decision = decide(hw, log)
    elif _decision:
        _show_safe(hw, log, _decision)
    return _decision or None


def settle(hw, uptime_ms):
    """Call from the main loop: once the app has run STABLE_MS, clear the boot-loop counter
    (one RTC write per boot). True on the call that cleared it."""
    global _settled
    if _settled or uptime_ms < STABLE_MS:
        return False
    _settled = True
    st = hw.rtc.load()
    if st.get("boots"):
        st["boots"] = 0
        hw.rtc.save(st)
    return True
