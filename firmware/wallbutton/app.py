# The wall button's main loop: one loop, no threads, no timers. Each pass feeds
# the watchdog, moves the buttons' captured edges into the gesture engine, turns
# decided gestures into queued actions, runs at most one Homey call, updates the
# LED, then sleeps in hw.idle() exactly as long as nothing is due. A Homey call
# blocks the loop, but never longer than uhomey's timeout, which main() sets
# below the watchdog's; edges that come meanwhile keep their capture ticks.
import sys

if sys.implementation.name == "micropython":
    from gc import collect, mem_alloc, mem_free
else:  # CPython's collector needs no help, and a full collection there takes milliseconds

    def collect():
        pass

    def mem_alloc():
        return 0

    mem_free = mem_alloc

try:
    from micropython import const
except ImportError:  # CPython

    def const(x):
        return x


# Underscored const() names leave no name in RAM on MicroPython (hw_unix.py says why that counts).
_STABLE_MS = const(30000)  # boot_guard.STABLE_MS: the app ran this long, its resets were no boot loop
_MAX_IDLE_MS = const(1000)  # the loop comes round (and feeds the watchdog) at least this often
_LIVE_IDLE_MS = const(50)  # with homey.realtime the loop reads the link this often (an LED's state follows)
_WIFI_CHECK_MS = const(5000)  # how often an idle loop looks whether Wi-Fi is still there
_STATE_ON = (255, 150, 40)  # led.show_state: a warm white while the device is on
# uhomey's per-wait timeout is at most watchdog_s / _WATCHDOG_PARTS: a call's worst case (connect,
# send, read, one reconnect) stays inside the watchdog
_WATCHDOG_PARTS = const(5)


class App:
    def __init__(self, cfg, board, hw, log, homey):
        self.cfg = cfg
        self.hw = hw
        self.log = log
        self.clock = clock = hw.clock
        self.wd_ms = int(cfg["watchdog_s"] * 1000)
        self.wifi_ms = int((cfg.get("wifi") or {}).get("timeout_s", 15) * 1000)
        if self.wd_ms:  # a connect attempt must end well before the watchdog bites
            self.wifi_ms = min(self.wifi_ms, self.wd_ms // 2)
        self.sleep_ms = int(cfg["sleep"]["idle_s"] * 1000)
        from .actions import Actions  # here, not at the top: after a boot login (start.session)
        from .feedback import Feedback

        self.fb = Feedback(hw.led, clock, log)
        kept = hw.rtc.load() if self.sleep_ms else {}
        self.actions = Actions(homey, cfg, self.fb, log, clock, self.net_ready,
                               kept.get("ids") or {}, kept.get("states") or {})
        self.buttons = self._buttons(cfg["buttons"], board.get("buttons") or [])
        self.homey = homey
        self.live = homey.live  # homey.realtime: the pushed state of the buttons' devices
        self.shows = cfg["led"].get("show_state")  # a device whose on/off the LED rests in
        if self.live is not None:
            self._watch(cfg["buttons"])
        self.time_ok = False
        self.wifi_seen = None  # tick of the last Wi-Fi check while idle
        self.active = clock.now()  # tick of the last press or call (for deep sleep)
        self.finished = getattr(hw, "finished", None)  # unix board: the waveform has ended
        self.started = clock.now()
        self.settled = False

    def _buttons(self, cfgs, pins):
        from gestures import Button

        if len(cfgs) > len(pins):
            from uhomey import ConfigError

            raise ConfigError("config: buttons has %d entries but the board has %d button(s)"
                              % (len(cfgs), len(pins)))
        out = []
        for i, b in enumerate(cfgs):
            opts = dict(b["timing"])
            opts["active_low"] = pins[i].get("active_low", True)
            opts["wants"] = tuple(b["actions"])
            opts["fire"] = b["fire"]
            out.append(Button(cfg=opts, clock=self.clock, name="b%d" % i))
        return out

    def _watch(self, buttons):
        """The devices the buttons drive are watched on the realtime link (resolved in its poll)."""
        for b in buttons:
            for act in b["actions"].values():
                if act["do"] in ("toggle", "dim"):  # the actions that start from the current value
                    caps = (act["cap"], "onoff") if act["do"] == "dim" else (act["cap"],)
                    for name in act["devices"]:
                        self.live.watch(name, caps)
        if self.shows:
            self.live.watch(self.shows, ("onoff",))

    # ---- the loop -----------------------------------------------------------------------------

    def run(self):
        hw = self.hw
        if self.wd_ms:
            hw.wdt_start(self.wd_ms)
        self.boot()
        while True:
            hw.feed()
            now = self.clock.now()
            self.settle(now)
            self.read_buttons(now)
            self.poll_live(now)
            self.actions.expire(now)
            if self.actions.due(now) == 0:
                collect()  # from this shallow stack; the call's allocations then find whole blocks
                self.log.debug("heap: %d used, %d free", mem_alloc(), mem_free())
                self.actions.run(now)
                self.active = self.clock.now()
                continue
            self.fb.tick(now)
            # in battery mode the run ends in deep sleep, as the board's would
            if not self.sleep_ms and self.finished and self.quiet(now) and self.finished():
                self.log.info("input ended; nothing in flight: stopping")
                return
            self.watch_wifi(now)
            self.tend_homey()
            if self.sleep_ms and self.quiet(now) and self.clock.diff(now, self.active) >= self.sleep_ms:
                self.deepsleep()
            hw.idle(self.wait(now))

    def settle(self, now):
        """A run this long was no boot loop: boot_guard clears its count (loaded for that once)."""
        uptime = self.clock.diff(now, self.started)
        if self.settled or uptime < _STABLE_MS:
            return
        self.settled = True
        from .boot_guard import settle

        settle(self.hw, uptime)
        forget("wallbutton.boot_guard")

    def boot(self):
        hw = self.hw
        woke = hw.wake()
        if woke:
            i, t = woke
            self.log.info("woken by b%d", i)
            if i < len(self.buttons):
                self.buttons[i].woke(t)
        if hw.wifi.up(self.wifi_ms):
            self.log.info("wifi: %s", hw.wifi.info())
            # the RTC kept the date through deep sleep: a waking press sends nothing before its call
            self.time_ok = bool(woke) or hw.sync_time()
        else:
            self.log.warning("wifi: not connected yet; presses wait for it")
            self.fb.status("no_wifi", self.clock.now())

    def read_buttons(self, now):
        for i, b in enumerate(self.buttons):
            for t, level in self.hw.buttons[i].edges():
                b.edge(level, t)
                self.active = now
            for gesture, n in b.poll(now):
                self.gesture(i, gesture, n, now)

    def gesture(self, i, gesture, n, now):
        if gesture == "press":
            self.log.info("b%d press (led: ack)", i)
            self.fb.flash("ack", now)
            return
        if gesture == "release":
            self.log.debug("b%d release after %d ms", i, n)
            return
        act = self.cfg["buttons"][i]["actions"].get(gesture)
        if act is None:
            self.log.debug("b%d %s (no action)", i, gesture)
            return
        self.actions.add(act, "b%d %s" % (i, gesture if gesture != "hold" else "hold %d" % n), now)

    def poll_live(self, now):
        """Move the realtime link on (never waits on its socket), before a press's call reads it."""
        if self.live is None or not self.hw.wifi.ok():
            return
        self.live.poll()
        if self.shows:
            self.fb.rest(_STATE_ON if self.live.state(self.shows) is True else (0, 0, 0), now)

    def quiet(self, now):
        """Nothing pressed, no gesture window open, nothing queued."""
        return self.actions.idle() and not any(b.busy() for b in self.buttons)

    def wait(self, now):
        """ms the loop may sleep: until the next button, queue or LED deadline."""
        ms = self.wd_ms // 4 if self.wd_ms else _MAX_IDLE_MS
        ms = min(ms, _MAX_IDLE_MS)
        if self.live is not None:
            ms = min(ms, _LIVE_IDLE_MS)
        for d in [b.due(now) for b in self.buttons] + [self.actions.due(now), self.fb.due(now)]:
            if d is not None and d < ms:
                ms = d
        if self.sleep_ms and self.quiet(now):
            ms = min(ms, max(0, self.sleep_ms - self.clock.diff(now, self.active)))
        return max(0, ms)

    # ---- network ----------------------------------------------------------------------------

    def net_ready(self):
        """None when a call may go out; else the LED status that says why not."""
        hw = self.hw
        if not hw.wifi.ok():
            hw.feed()
            if not hw.wifi.up(self.wifi_ms):
                return "no_wifi"
            self.log.info("wifi: back (%s)", hw.wifi.info())
        if not self.time_ok:
            hw.feed()
            self.time_ok = hw.sync_time()
            if not self.time_ok:
                self.log.warning("clock not set over NTP: certificates cannot be checked yet")
                return "no_wifi"
        return None

    def watch_wifi(self, now):
        if self.wifi_seen is not None and self.clock.diff(now, self.wifi_seen) < _WIFI_CHECK_MS:
            return
        self.wifi_seen = now
        state = self.fb.state and self.fb.state[0]
        up = self.hw.wifi.ok()
        if not up and state is None:
            self.fb.status("no_wifi", now)
        elif up and state == "no_wifi":
            self.fb.status(None, now)

    def tend_homey(self):
        """Back to the Homey's LAN address once it answers again, after a press fell through to
        another: uhomey pings it at most once a minute (a comparison otherwise), and only here,
        where nothing is queued, never before a press's call."""
        if not self.hw.wifi.ok():
            return
        from uhomey import HomeyError  # loaded already: a lookup

        try:
            self.homey.tend()
        except HomeyError as e:  # the token store unwritable, out of RAM: the loop goes on
            self.log.warning("homey: %s", e)

    # ---- battery mode -------------------------------------------------------------------------

    def deepsleep(self):
        from .battery import deepsleep  # loaded only now: on a board it never returns

        deepsleep(self)


# ---- start --------------------------------------------------------------------------------------


def forget(name):
    """Drop a module used only at boot, so the heap it held serves the presses."""
    import sys

    sys.modules.pop(name, None)
    pkg, _, mod = name.rpartition(".")
    if pkg in sys.modules and mod in sys.modules[pkg].__dict__:
        delattr(sys.modules[pkg], mod)


def attach_repl(app):
    """After Ctrl-C: the REPL helpers (wallbutton.repl, on boards) reuse this app's session."""
    if app is None:
        return
    try:
        from . import repl
    except ImportError:
        return
    repl.attach(app)


def homey_config(cfg):
    """uhomey's view of the config: its network waits end well inside the watchdog."""
    ucfg = dict(cfg)
    if cfg["watchdog_s"]:
        ucfg["timeout"] = min(cfg.get("timeout", 10), cfg["watchdog_s"] / _WATCHDOG_PARTS)
    return ucfg


def main(config_path, boards_dir=None, out=print):
    """Start (config, board, hardware, Homey session) and run the loop. Returns the exit
    status when the input ends (unix board) or on Ctrl-C, with the LED off."""
    import uhomey

    from .start import session, start

    parts = start(config_path, boards_dir, out)
    if isinstance(parts, int):
        return parts
    cfg, board, hw, log = parts
    app = None
    try:
        h = session(cfg, hw, log, homey_config)
        start = session = None
        forget("wallbutton.start")  # boot only: its heap goes back to the presses
        app = App(cfg, board, hw, log, h)
        for name in ("athom", "homey", "tls", "wifi", "ntp"):  # uhomey and hw keep their own copies
            cfg.pop(name, None)
        app.run()
        return 0
    except uhomey.HomeyError as e:
        log.error("cannot start: %s", e)
        hw.led.show((255, 0, 0))
        return 1
    except KeyboardInterrupt:
        log.info("stopped (Ctrl-C)")
        attach_repl(app)
        return 0
    finally:
        if app:
            app.fb.off()
            app.actions.h.close()
        if hasattr(hw, "stop"):  # the unix board: the terminal as it was, the watchdog's record
            hw.stop()
