# Drives a session with homey.realtime on (CPython and MicroPython): the loop polls
# h.live as the firmware's does, while a script says what to wait for and when to
# press; the test on the other side changes things through the simulator.
import os

from dutil import start
from uhomey.compat import sleep_ms, ticks_diff, ticks_ms
from uhomey.realtime import AUTH, DOWN, UP

NAMES = {UP: "UP", DOWN: "DOWN", AUTH: "AUTH"}


def _exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


class Run:
    def __init__(self, h):
        self.h, self.said, self.t0 = h, [], ticks_ms()

    def poll(self):
        news = self.h.live.poll()
        if news is not None:
            self.said.append([NAMES[news], ticks_diff(ticks_ms(), self.t0)])
        return news

    def until(self, done, ms):
        """Poll (every 2 ms) until done() or ms passed; -> whether done() came true."""
        t = ticks_ms()
        while ticks_diff(ticks_ms(), t) < ms:
            if done():
                return True
            self.poll()
            sleep_ms(2)
        return done()


def run(cfg_path, watch, steps):
    """watch: [device name, ...]; steps, each recorded in "results":
      ["until", "UP"|"DOWN"|"AUTH", ms]   poll until poll() says it -> true/false
      ["value", name, cap, value, ms]     poll until h.live.state(name, cap) == value -> true/false
      ["pause", ready, go, ms]            write file `ready`, poll until file `go` exists
      ["toggle", name]                     h.toggle, never polling -> [value, requests it took]
      ["poll", ms]                         poll for ms
    -> {"results", "said": [[UP|DOWN|AUTH, ms]], "logs"}"""
    h, logs = start(cfg_path, eager=True)
    if h is None:
        return logs
    for name in watch:
        h.live.watch(name)
    r = Run(h)
    results = []
    try:
        for step in steps:
            kind = step[0]
            if kind == "until":
                results.append(r.until(lambda: r.said and r.said[-1][0] == step[1], step[2]))
            elif kind == "value":
                results.append(r.until(lambda: h.live.state(step[1], step[2]) == step[3], step[4]))
            elif kind == "pause":
                with open(step[1], "w") as f:
                    f.write("1")
                results.append(r.until(lambda: _exists(step[2]), step[3]))
            elif kind == "toggle":
                n = h.http.requests
                v = h.toggle(step[1])
                results.append([v, h.http.requests - n])
            elif kind == "poll":
                r.until(lambda: False, step[1])
                results.append(None)
        return {"results": results, "said": r.said, "logs": logs}
    finally:
        h.close()
