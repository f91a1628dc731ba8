# The unix board's terminal keys: 1-4 click button 0-3 (a press of KEY_CLICK_MS), q w e r
# press or let go of button 0-3 (long presses, hold-to-dim). Loaded by hw_unix only
# when standard input is a terminal, which it switches to one key at a time, unechoed
# (Ctrl-C still stops the firmware), and puts back as it was at the end.
import termios

KEY_CLICK_MS = 120
CLICK_KEYS = "1234"
HOLD_KEYS = "qwer"
LFLAG = 3  # termios attribute index and Linux lflag bits (MicroPython's termios has no names)
ICANON = 2
ECHO = 8


class Keys:
    def __init__(self, stdin):
        self.stdin = stdin
        self.saved = termios.tcgetattr(0)
        mode = list(self.saved)
        mode[LFLAG] &= ~(ICANON | ECHO)
        termios.tcsetattr(0, termios.TCSANOW, mode)
        stdin.log.info("unix board: keys 1-4 click a button, q w e r press/let go, Ctrl-C stops")

    def key(self, ch):
        s = self.stdin
        now = s.clock.now()
        if ch in CLICK_KEYS:
            b = CLICK_KEYS.index(ch)
            s.schedule(now, b, 1)
            s.schedule(s.clock.add(now, KEY_CLICK_MS), b, 0)
        elif ch in HOLD_KEYS:
            b = HOLD_KEYS.index(ch)
            down = [q[2] for q in s.queue if q[1] == b]
            lv = down[-1] if down else s.inputs[b].lv
            s.schedule(now, b, 1 - lv)

    def restore(self):
        if self.saved is not None:
            termios.tcsetattr(0, termios.TCSANOW, self.saved)
            self.saved = None
