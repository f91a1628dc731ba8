# Presses become Homey calls. Each gesture's action becomes a job in a bounded
# queue; a press that asks for the same thing as a job still waiting folds into
# it (five fast toggles: one toggle; hold-to-dim steps: one summed step), so the
# Homey gets the user's last intent, not a backlog. One call runs per run(): the
# main loop feeds the watchdog and reads the buttons between calls, and a device
# never has two requests in flight. A job that meets an outage is retried with
# backoff for queue.retry_s, then dropped with the LED and the log saying so:
# every press is delivered or reported, never lost silently.
from uhomey import AuthError, HTTPError, NetworkError, NotFound, ProtocolError, TLSError

try:
    from micropython import const
except ImportError:  # CPython

    def const(x):
        return x


_RETRY_FIRST_MS = const(500)  # first retry after an outage; doubles up to _RETRY_MAX_MS
_RETRY_MAX_MS = const(8000)


def describe(act):
    """'toggle Kitchen light', 'flow Good night': for the log."""
    do = act["do"]
    if "devices" in act:
        what = ", ".join(act["devices"])
        if do == "set":
            return "set %s %s=%r" % (what, act["cap"], act["value"])
        return "%s %s" % (do, what)
    if do == "flow":
        return "flow %s" % act["flow"]
    if do == "variable":
        return "variable %s=%r" % (act["name"], act["value"])
    return "webhook %s" % act["event"]


def key(act):
    """Jobs with equal keys may fold into one."""
    do = act["do"]
    if "devices" in act:
        return (do, tuple(act["devices"]), act["cap"])
    if do == "flow":
        return (do, act["flow"])
    if do == "variable":
        return (do, act["name"])
    return (do, act["event"], act["tag"])


def targets(act):
    """What a job changes: jobs on a common target keep their order."""
    return act.get("devices") or [key(act)]


def failure(e):
    """The LED status an error calls for, and whether waiting may heal it."""
    if isinstance(e, AuthError):
        return "needs_login", False
    if isinstance(e, TLSError):  # a certificate that does not match will not match later
        return "error", False
    if isinstance(e, (NetworkError, ProtocolError)):  # down, cut short, a captive portal's page
        return "unreachable", True
    if isinstance(e, HTTPError) and (e.status == 429 or e.status >= 500):
        return "unreachable", True
    return "error", False


class Job:
    def __init__(self, act, source, now):
        self.act = act
        self.source = source  # "b0 click", for the log
        self.born = now
        self.presses = 1
        self.step = act.get("step")  # dim: steps folded in add up
        self.value = act.get("value")  # set / variable: the last press wins
        self.next = 0  # index of the next device (one call per run, the loop feeds the watchdog)
        self.result = None  # toggle: the value the first device took, given to the others
        self.tries = 0

    def fold(self, other):
        self.presses += 1
        if self.step is not None:
            self.step = round(self.step + other.step, 3)
        self.value = other.value


class Actions:
    def __init__(self, homey, cfg, feedback, log, clock, net_ready=None, ids=None, states=None):
        self.h = homey
        self.fb = feedback
        self.log = log
        self.clock = clock
        self.max = cfg["queue"]["max"]
        self.retry_ms = int(cfg["queue"]["retry_s"] * 1000)
        self.coalesce = cfg["queue"]["coalesce"]
        self.remember = cfg["sleep"]["toggle"] == "remember"
        self.net_ready = net_ready  # () -> None when the network is up, else an LED status name
        self.ids = ids if ids is not None else {}  # device name -> id kept across deep sleep
        self.states = states if states is not None else {}  # "device/cap" -> on/off this button set last
        self.jobs = []
        self.retry_at = None

    # ---- queue ------------------------------------------------------------------------------

    def add(self, act, source, now):
        job = Job(act, source, now)
        mine = targets(act)
        for j in reversed(self.jobs):
            if not any(t in mine for t in targets(j.act)):
                continue
            if self.coalesce and j.next == 0 and key(j.act) == key(act):
                j.fold(job)
                self.log.info("%s folds into the waiting %s (%d presses)", source, describe(act), j.presses)
                return j
            break
        if len(self.jobs) >= self.max:
            self._drop(self.jobs.pop(0), "the queue is full (queue.max %d)" % self.max)
        self.jobs.append(job)
        self.log.info("%s -> %s", source, describe(act))
        return job

    def idle(self):
        return not self.jobs

    def due(self, now):
        """ms until a job may run (0: now), or None with nothing queued."""
        if not self.jobs:
            return None
        if self.retry_at is None:
            return 0
        return max(0, self.clock.diff(self.retry_at, now))

    def expire(self, now):
        """During an outage, drop every job older than queue.retry_s (those behind the one that
        failed too: a press waits at most that long, not that long per job ahead of it)."""
        if self.retry_at is None:
            return
        keep = []
        for j in self.jobs:
            if self.clock.diff(now, j.born) >= self.retry_ms:
                self._drop(j, "not delivered within queue.retry_s (%d s)" % (self.retry_ms // 1000))
            else:
                keep.append(j)
        self.jobs = keep
        if not keep:
            self.retry_at = None

    def _drop(self, job, why):
        self.log.error("dropped %s (%s, %d press%s): %s", describe(job.act), job.source, job.presses,
                       "" if job.presses == 1 else "es", why)
        self.fb.flash("error", self.clock.now())

    # ---- running ----------------------------------------------------------------------------

    def run(self, now):
        """One call of the oldest job (blocking up to uhomey's timeout)."""
        job = self.jobs[0]
        down = self.net_ready() if self.net_ready else None
        if down:
            return self._failed(job, down, True, "no network connection")
        t0 = self.clock.now()
        try:
            done = self._call(job)
        except Exception as e:  # noqa: BLE001 - every failure is reported, none kills the loop
            status, transient = failure(e)
            try:
                why = "%s: %s" % (e.__class__.__name__, e)
            except MemoryError:  # the heap ran out: say so in words that need none
                why = "out of memory"
            return self._failed(job, status, transient, why)
        self.retry_at = None
        if not done:
            return
        self.jobs.pop(0)
        ms = self.clock.diff(self.clock.now(), t0)
        got = "" if job.result is None else " -> %r" % (job.result,)  # flows and webhooks return nothing
        self.log.info("done %s%s (%d ms, %d press%s)", describe(job.act), got, ms, job.presses,
                      "" if job.presses == 1 else "es")
        self.fb.status(None, self.clock.now())
        self.fb.flash("ok", self.clock.now())

    def _failed(self, job, status, transient, why):
        now = self.clock.now()
        job.tries += 1
        if not transient or self.retry_ms == 0:
            self.jobs.remove(job)
            self._drop(job, why)
            if status == "needs_login":
                for j in self.jobs:  # they would fail alike, each costing a refresh attempt
                    self._drop(j, "the device needs a new login")
                self.jobs = []
                self.fb.status(status, now)
            return
        wait = min(_RETRY_FIRST_MS << min(job.tries - 1, 8), _RETRY_MAX_MS)
        self.retry_at = self.clock.add(now, wait)
        self.log.warning("%s failed (%s); retrying in %d ms", describe(job.act), why, wait)
        self.fb.status(status, now)

    def _call(self, job):
        """The next call of a job; True when the job is complete."""
        act = job.act
        do = act["do"]
        h = self.h
        if do == "flow":
            h.trigger(act["flow"])
        elif do == "variable":
            job.result = h.set_variable(act["name"], job.value)
        elif do == "webhook":
            h.webhook(act["event"], tag=act["tag"])
        else:
            name = act["devices"][job.next]
            job.result = self._device(job, name)
            job.next += 1
            return job.next >= len(act["devices"])
        return True

    def _device(self, job, name):
        """One device of a device job; a stored id that vanished is retried by name."""
        dev = self.ids.get(name, name)
        try:
            return self._device_call(job, name, dev)
        except NotFound:
            if dev == name:
                raise
            self.ids.pop(name, None)
            self.log.info("stored id of %r is gone; asking by name", name)
            return self._device_call(job, name, name)

    def _device_call(self, job, name, dev):
        act = job.act
        do = act["do"]
        cap = act["cap"]
        h = self.h
        if do == "dim":
            return h.dim_step(dev, job.step, cap)
        if do == "set":
            v = h.set(dev, cap, job.value)
        elif job.presses % 2 == 0:  # an even number of toggles folded together changes nothing
            return job.result
        elif job.next:  # the other devices of a toggle follow the first one
            v = h.set(dev, cap, job.result)
        elif self.remember and name + "/" + cap in self.states:
            v = h.set(dev, cap, not self.states[name + "/" + cap])
        else:
            v = h.toggle(dev, cap)
        if isinstance(v, bool):
            self.states[name + "/" + cap] = v
        return v
