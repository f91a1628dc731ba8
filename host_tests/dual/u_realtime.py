# uhomey.realtime's wire handling against a scripted Homey (CPython and MicroPython):
# fragmented messages, control frames between fragments, 16- and 64-bit lengths,
# bytes arriving one at a time, close frames, masking, the backoff schedule.
import binascii
import hashlib
import json

from uhomey.realtime import AUTH, DOWN, UP, Realtime

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
DEV = "d1"


def frame(payload, opcode=1, fin=True, mask=False):
    """A server frame (unmasked unless mask: a broken server)."""
    if isinstance(payload, str):
        payload = payload.encode()
    n = len(payload)
    head = bytearray([(0x80 if fin else 0) | opcode])
    m = 0x80 if mask else 0
    if n < 126:
        head.append(m | n)
    elif n < 65536:
        head += bytes([m | 126, n >> 8, n & 255])
    else:
        head.append(m | 127)
        head += bytes([(n >> s) & 255 for s in (56, 48, 40, 32, 24, 16, 8, 0)])
    if mask:
        head += b"\0\0\0\0"  # a zero key: the payload reads the same, only the bit is wrong
    return bytes(head) + payload


def client_frames(data):
    """Every (opcode, payload) the client wrote after its HTTP request, unmasked."""
    i = data.find(b"\r\n\r\n") + 4
    out = []
    while i < len(data):
        op, n = data[i] & 15, data[i + 1] & 127
        assert data[i + 1] & 0x80, "client frames must be masked"
        i += 2
        if n == 126:
            n, i = data[i] << 8 | data[i + 1], i + 2
        key, i = data[i:i + 4], i + 4
        out.append((op, bytes(b ^ key[j & 3] for j, b in enumerate(data[i:i + n]))))
        i += n
    return out


class FakeHomey:
    """A socket whose far end answers each client message from a script, `step` bytes per read."""

    def __init__(self, step=7, open_frames=None, handshake=None):
        self.step = step
        self.pending = b""
        self.sent = b""
        self.closed = False
        self.open_frames = open_frames
        self.handshake = handshake or '430[null,{"namespace":"/api","success":true}]'

    def push(self, data):
        self.pending += data

    # the socket's side -------------------------------------------------------
    def setblocking(self, flag):
        pass

    def close(self):
        self.closed = True
        self.sent = self.pending = b""   # the next connect starts afresh

    def write(self, data):
        self.sent += bytes(data)
        if self.sent.endswith(b"\r\n\r\n") and self.sent.count(b"\r\n\r\n") == 1:
            self._upgrade()
        else:
            self._answer(client_frames(self.sent)[-1][1].decode())
        return len(data)

    send = write

    def readinto(self, mv):
        n = min(len(mv), self.step, len(self.pending))
        if not n:
            return None
        mv[:n] = self.pending[:n]
        self.pending = self.pending[n:]
        return n

    def recv_into(self, mv):
        n = self.readinto(mv)
        if n is None:
            raise OSError(11)
        return n

    # the Homey's side --------------------------------------------------------
    def _upgrade(self):
        key = [ln for ln in self.sent.split(b"\r\n") if ln.startswith(b"Sec-WebSocket-Key:")][0][18:].strip()
        accept = binascii.b2a_base64(hashlib.sha1(key + GUID).digest()).strip()
        self.push(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nX-Long: " + b"y" * 300
                  + b"\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n")
        self.push(self.open_frames or (frame('0{"sid":"s","upgrades":[],"pingInterval":25000,"pingTimeout":5000}')
                                       + frame("40")))

    def _answer(self, text):
        if text.startswith('420["handshakeClient"'):
            self.push(frame(self.handshake))
        elif text == "40/api,":
            self.push(frame("40/api,"))
        elif text.startswith("42/api,1["):
            self.push(frame("43/api,1[]"))
        elif text == "2":
            self.push(frame("3"))


def live(step=7, **kw):
    """A Realtime with the scripted Homey behind it, polled until UP."""
    home = FakeHomey(step, **kw)
    changes = []
    rt = Realtime("http://homey.local:8080", "tok", "hid", opener=lambda h, p: (home, False),
                  on_change=lambda d, c, v, o: changes.append((d, c, v, o)))
    rt.watch(DEV, ("onoff", "dim", "mode"))
    said = []
    for _ in range(400):
        st = rt.poll()
        if st is not None:
            said.append(st)
        if st == UP:
            break
    return rt, home, changes, said


def test_fragments_and_control_frames_between_them():
    opening = '0{"sid":"s","upgrades":[],"pingInterval":25000,"pingTimeout":5000}'
    frames = (frame(opening[:5], fin=False) + frame(b"abc", opcode=9)
              + frame(opening[5:30], opcode=0, fin=False) + frame(b"", opcode=10)
              + frame(opening[30:], opcode=0) + frame("40"))
    rt, home, changes, said = live(3, open_frames=frames)
    assert said == [UP], said
    sent = client_frames(home.sent)
    assert sent[0] == (10, b"abc"), sent           # the ping's payload came back in a pong
    hand = json.loads(sent[1][1].decode()[3:])
    assert hand == ["handshakeClient", {"token": "tok", "homeyId": "hid"}], hand
    assert [t for op, t in sent[2:]] == [b"40/api,", b'42/api,1["subscribe","homey:device:d1"]']
    assert b"Host: homey.local:8080\r\n" in home.sent


def test_long_frames_escapes_and_a_close():
    rt, home, changes, said = live(500)
    event = '42/api,["homey:device:d1","capability",{"value":"caf\\u00e9 \\"q\\" \\\\","capabilityId":"mode"}]'
    home.push(frame(event))
    big = ('{"id":"d1","name":"%s","nested":[[[[[[[1]]]]]]],"capabilitiesObj":{"onoff":{"id":"onoff",'
           '"value":true,"title":"%s"},"dim":{"value":0.5,"x":[{"value":3}]}}}' % ("n" * 70000, "x" * 200))
    home.push(frame('42/api,["homey:device:d1","update",%s]' % big))  # a 64-bit length
    home.push(frame('42/api,["homey:device:d9","capability",{"capabilityId":"onoff","value":false}]'))
    home.push(frame('42/api,["homey:device:d1","capability",{"capabilityId":"mode","value":"%s"}]' % ("z" * 200)))
    for _ in range(200):
        rt.poll()
    assert changes == [(DEV, "mode", 'caf\u00e9 "q" \\', False), (DEV, "onoff", True, False),
                       (DEV, "dim", 0.5, False)], changes
    assert rt.value(DEV, "onoff") is True and rt.value(DEV, "mode") is None  # too long to keep: unknown
    home.push(frame(b"\x03\xe8", opcode=8))
    said = [rt.poll() for _ in range(20)]
    assert DOWN in said and home.closed and rt.value(DEV, "onoff") is None
    assert "closed" in rt.why


def test_broken_servers_drop_the_link():
    for bad in (frame("3", mask=True), frame("42/api," + "[" * 40 + "]" * 40), frame("x" * 200, opcode=9),
                frame('42/api,["a"]]]'), frame('42/api,["homey:device:d1","capability",{"value":tru}]')):
        rt, home, changes, said = live(64)
        home.push(bad)
        assert DOWN in [rt.poll() for _ in range(20)], bad[:20]
        assert home.closed


def test_handshake_401_waits_for_a_new_token():
    rt, home, changes, said = live(handshake='430[{"code":401,"error":"invalid_token","error_description":"gone"}]')
    assert said == [AUTH] and home.closed and "401" in rt.why
    assert [rt.poll() for _ in range(5)] == [None] * 5   # no retry with the same token
    home.handshake = '430[null,{"namespace":"/api","success":true}]'
    rt.set_token("tok2")
    for _ in range(400):
        if rt.poll() == UP:
            break
    else:
        raise AssertionError("no UP after a new token")


def test_accept_key_is_rfc_6455s():
    from uhomey.ws import accept_for as _accept_for

    assert _accept_for(b"dGhlIHNhbXBsZSBub25jZQ==") == b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="  # RFC 6455, 1.3


def test_backoff_doubles_to_five_seconds_and_jitters():
    now = [0]
    tries = []

    def opener(h, p):
        tries.append(now[0])
        raise OSError(111)

    for r, want in ((0.5, [0, 1000, 3000, 7000, 12000, 17000]), (0.0, [0, 500, 1500, 3500, 7500, 11500])):
        now[0] = 0
        del tries[:]
        rt = Realtime("http://h", "t", "i", opener=opener, clock=lambda: now[0], rand=lambda: r)
        said = []
        while now[0] <= want[-1]:
            st = rt.poll()
            if st:
                said.append(st)
            now[0] += 50
        assert tries == want, (r, tries)
        assert said == [DOWN]   # said once, not on every failed try


def test_seeds_events_and_unwatch():
    rt, home, changes, said = live()
    on = '42/api,["homey:device:d1","capability",{"capabilityId":"onoff","value":true,"transactionId":"t1"}]'
    rt.seed(DEV, "onoff", False)                  # read after UP
    assert rt.value(DEV, "onoff") is False
    rt.own("t1")
    home.push(frame(on))
    for _ in range(10):
        rt.poll()
    rt.seed(DEV, "onoff", False)                  # a read older than the event: the event wins
    assert rt.value(DEV, "onoff") is True and changes == [(DEV, "onoff", True, True)]
    rt.unwatch(DEV)
    assert client_frames(home.sent)[-1] == (1, b'42/api,["unsubscribe","homey:device:d1"]')
    home.push(frame(on))
    for _ in range(10):
        rt.poll()
    assert rt.value(DEV, "onoff") is None and len(changes) == 1
    rt.close()
    assert home.closed and rt.poll() is None and rt.value(DEV, "onoff", "gone") == "gone"


def test_a_dead_socket_under_watch_is_a_drop_not_an_error():
    rt, home, changes, said = live()

    def dead(data):
        raise OSError(32)

    home.write = home.send = dead
    rt.watch("d2", ("onoff",))
    assert rt.poll() == DOWN and home.closed and "32" in rt.why
