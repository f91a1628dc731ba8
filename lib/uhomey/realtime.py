# Realtime device state: the Homey pushes capability changes over Socket.IO v2
# (Engine.IO 3) on a websocket (protocol.md, "Realtime"). The websocket is ws.py
# (one socket, a 256-byte read buffer); here: the Engine.IO/Socket.IO packets, the
# link's life (backoff, pings, subscriptions), and a streaming JSON scan that keeps
# only the scalars it needs, so an `update` carrying a whole device never sits in
# RAM. It takes plain values (URL, token, Homey id, TLS context), not the session.
#
# How the session feeds it (live.py does, for h.live; the firmware loop polls that):
#   rt = Realtime(homey_url, homey_session_or_api_key, homey_id, ctx=tls_context,
#                 on_change=callback)        # callback(device_id, cap, value, own)
#   rt.watch(device_id, ("onoff", "dim"))   # each device a button drives
#   loop:  st = rt.poll()                    # never blocks on the socket once open
#     UP   -> the link is (re)subscribed; events in the gap are lost: GET the watched
#             values and hand them over with rt.seed(device_id, cap, value)
#     AUTH -> the token was refused (401): renew the Homey session, rt.set_token(new)
#     DOWN -> log it (rt.why says why); rt.value() is None until UP: use fresh_ms
#   toggle: v = rt.value(device_id, cap) -> trusted while the link is up; after the
#           PUT, rt.wrote(device_id, cap, value) (rt.own(transactionId) marks its echo as ours).
# The TCP connect runs non-blocking too (a Homey that is gone costs a press nothing);
# only a TLS handshake blocks (<= CONNECT_MS, once the Homey answered), so a button
# on the LAN is best served by the Homey's plain http:// local URL.
import json

from .compat import ticks_add, ticks_diff, ticks_ms
from .ws import CONNECT_MS, TOKEN, WebSocket, connected, open_tcp

UP, DOWN, AUTH = 1, 2, 3       # what poll() reports, once per change
BACKOFF_MS = 1000              # first retry after 1 s +-50 %, doubling...
BACKOFF_MAX_MS = 5000          # ...up to 5 s (homey-api's own backoff)
SETUP_MS = 10000               # from connect until every subscribe is acknowledged
READS = 8                      # reads of len(buf) per poll(): bounded work per call
DEPTH = 12                     # JSON nesting followed
_LONG = "\0long"               # a value longer than TOKEN: known to have changed, not to what
_IDLE, _DIAL, _HEAD, _OPEN, _HAND, _NSP, _SUBS, _LIVE, _DENIED, _OFF = range(10)
_PATH = b"/socket.io/?EIO=3&transport=websocket"


def _rand():
    import os

    return os.urandom(1)[0] / 256


class Realtime(WebSocket):
    def __init__(self, url, token, homey_id, ctx=None, on_change=None, clock=ticks_ms, opener=open_tcp,
                 rand=_rand):
        """opener(host, port) -> (socket, dialing): dialing True while a non-blocking connect
        is under way; ctx: a TLS client context for https URLs (wrapped here)."""
        WebSocket.__init__(self, url, ctx, opener)
        self.token, self.homey_id = token, homey_id
        self.on_change, self.clock, self.rand = on_change, clock, rand
        self.watched = {}      # device id -> capability ids kept (None: all)
        self.values = {}       # (device id, capability) -> value, only while the link is up
        self.mine = []         # transaction ids of our own latest writes
        self.why = self.news = self.said = None
        self.phase, self.fails, self.due = _IDLE, 0, clock()

    # ---- what the session and the firmware call -------------------------------------

    def watch(self, device_id, caps=None):
        self.watched[device_id] = caps
        self._while_live(self._subscribe, device_id)

    def unwatch(self, device_id):
        self.watched.pop(device_id, None)
        for k in [k for k in self.values if k[0] == device_id]:
            del self.values[k]
        self._while_live(self._text, '42/api,["unsubscribe","homey:device:%s"]' % device_id)

    def _while_live(self, send, arg):
        """A packet that only makes sense on a live link; a dead one is dropped here, not raised."""
        if self.phase == _LIVE:
            try:
                send(arg)
            except OSError as e:
                self._drop(e)

    def value(self, device_id, cap, default=None):
        """The value the Homey last pushed (or seeded after UP); default while the link is down."""
        return self.values.get((device_id, cap), default) if self.phase == _LIVE else default

    def seed(self, device_id, cap, value):
        """A value read after UP; an event that came in since then wins."""
        if self.phase == _LIVE and (device_id, cap) not in self.values:
            self.values[(device_id, cap)] = value

    def wrote(self, device_id, cap, value):
        """Our own write, accepted: known at once (the Homey's echo of it follows)."""
        if self.phase == _LIVE and self._wants(device_id, cap):
            self.values[(device_id, cap)] = value

    def own(self, transaction_id):
        self.mine.append(transaction_id)
        del self.mine[:-4]

    def set_token(self, token):
        self.token, self.fails, self.due = token, 0, self.clock()
        if self.phase == _DENIED:
            self.phase = _IDLE

    def close(self):
        self._close_sock()
        self.values.clear()
        self.phase = _OFF

    def poll(self):
        """Read what has arrived, answer it, keep the pings on time; -> UP, DOWN, AUTH or None."""
        if self.phase == _IDLE and ticks_diff(self.clock(), self.due) >= 0:
            self._connect()
        elif self.phase == _DIAL:
            try:
                if connected(self.sock):
                    self._upgrade(_PATH)
                    self.phase = _HEAD
                elif ticks_diff(self.clock(), self.started) > CONNECT_MS:
                    raise OSError("the Homey does not answer")
            except (OSError, ValueError) as e:  # ValueError: a certificate MicroPython refused
                self._drop(e)
        elif self.sock is not None:
            try:
                for _ in range(READS):
                    n = self._read()
                    if n is None:
                        break
                    if not n:
                        raise OSError("the Homey closed the socket")
                    self._feed(n)
                    if self.sock is None:
                        break
                if self.sock is not None:
                    self._timers(self.clock())
            except (OSError, ValueError, IndexError) as e:  # broken frames, JSON or UTF-8 on the wire
                self._drop(e)
        news, self.news = self.news, None
        return news

    # ---- the link's life -------------------------------------------------------------

    def _connect(self):
        self.started = self.clock()
        self.ping_at = self.pong_due = None
        self.acks, self.pending = 0, 0
        try:
            dialing = self._dial()
            self.phase = _DIAL
            if not dialing:
                self._upgrade(_PATH)
                self.phase = _HEAD
        except (OSError, ValueError) as e:  # ValueError: a certificate MicroPython refused
            self._drop(e)

    def _opened(self):
        self.phase = _OPEN

    def _drop(self, why):
        self._close_sock()
        self.values.clear()     # events in the gap are lost: nothing is known until UP
        self.why = str(why) or why.__class__.__name__
        delay = (BACKOFF_MS << min(self.fails, 3)) * (0.5 + self.rand())
        self.fails += 1
        self.due = ticks_add(self.clock(), int(min(delay, BACKOFF_MAX_MS)))
        self.phase = _IDLE
        self._say(DOWN)

    def _say(self, news):
        if news != self.said:
            self.news = self.said = news

    def _timers(self, now):
        if self.pong_due is not None and ticks_diff(now, self.pong_due) > 0:
            raise OSError("the Homey stopped answering pings")
        if self.ping_at is not None and ticks_diff(now, self.ping_at) >= 0:
            self._text("2")  # in Engine.IO 3 the client pings and the server answers
            self.ping_at = ticks_add(now, self.ping_iv)
            if self.pong_due is None:
                self.pong_due = ticks_add(now, self.ping_to)
        if self.phase != _LIVE and ticks_diff(now, self.started) > SETUP_MS:
            raise OSError("the Homey's socket did not get ready in time")

    def _subscribe(self, device_id):
        self.acks += 1
        self.pending += 1
        self._text('42/api,%d["subscribe","homey:device:%s"]' % (self.acks, device_id))

    # ---- Engine.IO / Socket.IO packets, JSON streamed --------------------------------------

    def _message_start(self):
        self.pk, self.path, self.obj, self.key, self.instr, self.esc = None, [], [], False, False, False
        self.dev = self.event = self.cap = self.tid = self.code = self.err = self.msg = None
        self.val = _LONG

    def _chunk(self, i, end):
        while self.pk is None and i < end:  # the packet's prefix: "0", "430", "42/api,", ...
            if self.buf[i] in b'[{"':
                self._prefix()
            else:
                self._keep(i, i + 1)
                i += 1
        b = self.buf
        while i < end:
            if self.instr:
                q, s = b.find(b'"', i, end), b.find(b"\\", i, end)
                if self.esc or 0 <= s < q or (s >= 0 and q < 0):
                    z = i + 1 if self.esc else s + 1
                    self.esc = not self.esc
                    self._keep(i, z)
                    i = z
                    continue
                self._keep(i, end if q < 0 else q + 1)
                if q < 0:
                    return
                i, self.instr = q + 1, False
                self._token()
                continue
            c = b[i]
            if self.tl >= 0:  # a number, true, false or null: ends at a delimiter
                if c not in b" \t\r\n,]}:":
                    self._keep(i, i + 1)
                    i += 1
                    continue
                self._token()
            if c == 34:
                self.tl, self.instr = 0, True
                self._keep(i, i + 1)
            elif c in b"[{":
                if len(self.path) >= DEPTH:
                    raise ValueError("JSON nested too deep")
                self.obj.append(c == 123)
                self.path.append(None if c == 123 else 0)
                self.key = c == 123
            elif c in b"]}":
                self.path.pop()
                self.obj.pop()
                self.key = False
            elif c == 44:
                if self.obj[-1]:
                    self.key = True
                else:
                    self.path[-1] += 1
            elif c not in b" \t\r\n:":
                self.tl = 0
                self._keep(i, i + 1)
            i += 1

    def _prefix(self):
        p = bytes(self.tok[:self.tl]) if self.tl <= TOKEN else b"?"
        self.pk, self.tl = p, -1

    def _token(self):
        raw = self.tok[:self.tl] if self.tl <= TOKEN else None
        self.tl = -1
        if self.key and self.obj and self.obj[-1]:
            self.key = False
            self.path[-1] = json.loads(raw) if raw is not None and len(self.path) < 5 else None
        elif len(self.path) < 5:
            self._scalar(_LONG if raw is None else json.loads(raw))

    def _scalar(self, v):
        p, pk = self.path, self.pk
        if pk[:1] == b"0" and len(p) == 1:  # the open packet: {"pingInterval":..,"pingTimeout":..}
            if p[0] == "pingInterval":
                self.ping_iv = v
            elif p[0] == "pingTimeout":
                self.ping_to = v
        elif pk[:2] in (b"43", b"44"):  # error-first acks, and error packets
            if pk[:2] == b"44" or (p and p[0] == 0 and (len(p) > 1 or v is not None)):
                self.err = True
                if p[-1:] == ["code"]:
                    self.code = v
                elif isinstance(v, str) and (self.msg is None or p[-1:] == ["error_description"]):
                    self.msg = v
        elif pk[:7] == b"42/api," and p:
            if len(p) == 1:
                if p[0] == 0 and isinstance(v, str) and v.startswith("homey:device:"):
                    self.dev = v[13:]
                elif p[0] == 1:
                    self.event = v
            elif p[0] == 2 and len(p) == 2 and self.event == "capability":
                if p[1] == "capabilityId":
                    self.cap = v
                elif p[1] == "value":
                    self.val = v
                elif p[1] == "transactionId":
                    self.tid = v
            elif len(p) == 4 and p[1] == "capabilitiesObj" and p[3] == "value" and self.event == "update":
                self._apply(self.dev, p[2], v, None)

    def _message_end(self):
        if self.pk is None:
            self._prefix()
        elif self.tl >= 0:
            self._token()
        pk = self.pk
        if pk[:1] == b"0":
            self.ping_at = ticks_add(self.clock(), self.ping_iv)
        elif pk == b"3":
            self.pong_due = None
        elif pk == b"40" and self.phase == _OPEN:
            self.phase = _HAND
            self._text('420["handshakeClient",%s]' % json.dumps({"token": self.token, "homeyId": self.homey_id}))
        elif pk[:3] == b"430" and self.phase == _HAND:  # the handshake's answer
            if self.code == 401:
                self._close_sock()
                self.phase, self.why = _DENIED, "the Homey refused the token (401): renew the session"
                return self._say(AUTH)
            if self.err:
                raise OSError("the Homey refused the handshake: %s" % self.msg)
            self.phase = _NSP
            self._text("40/api,")
        elif pk[:3] == b"43/":  # a subscribe's answer; a refused one (device gone) is only noted
            self.pending -= 1
            if self.err:
                self.why = "subscribe refused: %s" % self.msg
        elif pk[:6] == b"40/api" and self.phase == _NSP:
            self.phase = _SUBS
            for dev in self.watched:
                self._subscribe(dev)
        elif pk[:2] in (b"41", b"44") or pk == b"1":
            raise OSError("the Homey ended the session: %s" % (self.msg or pk.decode()))
        elif pk[:7] == b"42/api," and self.dev:
            self._event(self.dev)
        if self.phase == _SUBS and self.pending <= 0:
            self.phase, self.fails, self.why = _LIVE, 0, None
            self._say(UP)

    def _event(self, dev):
        if self.event == "capability" and self.cap is not None:
            self._apply(dev, self.cap, self.val, self.tid)
        elif self.event == "delete" and dev in self.watched:
            self.unwatch(dev)
            if self.on_change:
                self.on_change(dev, None, None, False)

    def _wants(self, dev, cap):
        caps = self.watched.get(dev, ())
        return dev in self.watched and cap and (caps is None or cap in caps)

    def _apply(self, dev, cap, v, tid):
        if not self._wants(dev, cap):
            return
        own = tid in self.mine
        if own:
            self.mine.remove(tid)
        if v == _LONG:
            self.values.pop((dev, cap), None)
            return
        self.values[(dev, cap)] = v
        if self.on_change:
            self.on_change(dev, cap, v, own)
