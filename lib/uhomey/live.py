# The realtime link of a session (config `homey.realtime: true`): `h.live`, the
# one Realtime of the whole device. The firmware's loop calls poll(), which never
# waits on the socket; Homey.toggle asks value(), trusted only while the link is
# up, and falls back to the homey.fresh_ms window while it is down (logged once
# per change). Every request the link needs (a watched name to its id, the
# Homey's address and session, a refused session renewed, the watched values
# re-read after a reconnect: events in a gap are lost) is made from poll(), one
# step per call, never from a press. LiveHomey is the session that holds it:
# uhomey.connect picks it only with homey.realtime, so that a session without
# the link never loads these names (each one is interned for good, and a press
# near MicroPython's next qstr pool needs far more heap).
from .compat import ticks_add, ticks_diff
from .errors import HomeyError, NotFound
from .homey import Homey
from .realtime import AUTH, DOWN, UP, Realtime

RETRY_MS = 30000      # a step whose request failed is tried again this much later
CAPS = ("onoff", "dim")  # what a button's device is watched for unless told


def _log(level, msg, *args):
    from . import log  # loaded where it logs: a quiet boot never needs it

    log.log(level, msg, *args)


class Live:
    def __init__(self, homey):
        self.h = homey
        self.rt = None
        self.url = None
        self.ids = {}       # device as watched (name or id) -> its id, None until resolved
        self.caps = {}      # device as watched -> capabilities kept
        self.up = False
        self.stale = False  # the watched values are to be re-read (after UP)
        self.denied = False  # the link's session was refused: renew it
        self.moved = False  # the link went down: see whether the Homey's address changed
        self.retry = None   # ticks before which a failed step is not tried again

    # ---- what the session and the firmware call -----------------------------------------

    def watch(self, device, caps=CAPS):
        """Keep `device`'s (a name or an id) capabilities from the Homey's pushes (added to
        those it is watched for already; the link learns them at its next (re)subscribe)."""
        had = self.caps.get(device, ())
        self.caps[device] = had + tuple(c for c in caps if c not in had)
        self.ids.setdefault(device, None)

    def value(self, did, cap):
        """The value the Homey pushed (or the re-read after UP) while the link is up; else None."""
        return self.rt.value(did, cap) if self.up else None

    def state(self, device, cap="onoff"):
        """value() for a device as it was watched (its name): for an LED showing it."""
        did = self.ids.get(device)
        return self.value(did, cap) if did else None

    def wrote(self, did, cap, value):
        if self.up:
            self.rt.wrote(did, cap, value)

    def set_token(self, token):
        """The session was renewed (by a press's 401, or here): the next handshake uses it."""
        self.denied = False
        if self.rt is not None:
            self.rt.set_token(token)

    def close(self):
        if self.rt is not None:
            self.rt.close()
        self.rt, self.up = None, False

    def poll(self):
        """Moves the link on: -> UP, DOWN, AUTH once per change of state, else None."""
        now = self.h.clock()
        if self.retry is None or ticks_diff(now, self.retry) >= 0:
            try:
                self._step()
                self.retry = None
            except HomeyError as e:  # the open link is still read below: its pings stay on time
                _log(30, "realtime: %s; trying again in %d s", e, RETRY_MS // 1000)
                self.retry = ticks_add(now, RETRY_MS)
        if self.rt is None:
            return None
        news = self.rt.poll()
        if news == UP:
            self.up = self.stale = True
            _log(20, "realtime: up; toggles trust the Homey's pushed state")
        elif news == DOWN:
            self.up, self.moved = False, True
            _log(30, "realtime: down (%s); toggles trust a value for homey.fresh_ms (%d ms)",
                 self.rt.why, self.h.fresh_ms)
        elif news == AUTH:
            self.up, self.denied = False, True
            _log(20, "realtime: the Homey refused the session; starting a new one")
        return news

    # ---- the steps that cost a request -------------------------------------------------

    def _step(self):
        """At most one kind of request-making work per poll, in the order the link needs it."""
        todo = [d for d in self.ids if self.ids[d] is None]
        if todo:
            return self._resolve(todo[0])
        if self.rt is None:
            return self._open()
        if self.moved:
            self.moved = False
            if self.h.auth.base() != self.url:  # rediscovered by a press: follow the Homey
                return self.close()
        if self.denied:
            self.h.auth.renew()
            return self.set_token(self.h.auth.bearer())
        if self.stale and self.up:
            self._reread()

    def _resolve(self, device):
        try:
            did = self.h._resolve(device)
        except NotFound as e:
            _log(30, "realtime: not watching %s: %s", device, e)
            del self.ids[device], self.caps[device]
            return
        self.ids[device] = did
        if self.rt is not None:
            self.rt.watch(did, self._caps_of(did))

    def _caps_of(self, did):
        """Every capability watched on `did`, under whichever names it was watched."""
        caps = ()
        for device in self.ids:
            if self.ids[device] == did:
                caps += tuple(c for c in self.caps[device] if c not in caps)
        return caps

    def _open(self):
        auth = self.h.auth
        self.url = auth.base()
        ctx = self.h.http.context() if self.url.startswith("https:") else None
        self.rt = Realtime(self.url, auth.bearer(), auth.homey_id, ctx=ctx, clock=self.h.clock)
        for device in self.ids:
            self.rt.watch(self.ids[device], self._caps_of(self.ids[device]))

    def _reread(self):
        """After a reconnect: what changed in the gap was not pushed, so each value is read once."""
        for device in self.ids:
            did = self.ids[device]
            for cap in self.caps[device]:
                if self.rt.value(did, cap) is None:  # an event since UP already told
                    try:
                        self.rt.seed(did, cap, self.h._read(did, cap))
                    except NotFound:  # a light without dim: nothing to keep
                        pass
        self.stale = False


class LiveHomey(Homey):
    """The session with homey.realtime: h.live, and a toggle that starts from its pushed values."""

    def __init__(self, cfg, store, http, auth, clock):
        super().__init__(cfg, store, http, auth, clock)
        self.live = Live(self)

    def close(self):
        """Close the Homey connection and the realtime link (the next call or poll opens them)."""
        super().close()
        self.live.close()

    def renew(self):
        super().renew()
        self.live.set_token(self.auth.bearer())  # the link's next handshake uses it

    def _known(self, did, cap):
        """The value the Homey pushed while the link is up; else a fresh or read one."""
        v = self.live.value(did, cap)
        return super()._known(did, cap) if v is None else v

    def _write(self, did, cap, value):
        super()._write(did, cap, value)
        self.live.wrote(did, cap, value)
        return value
