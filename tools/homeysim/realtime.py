"""The Homey's realtime socket: Socket.IO v2 over Engine.IO 3 on a websocket.

Written from protocol.md ("Realtime") and the wire as homey-api 3.x speaks it:
`GET /socket.io/?EIO=3&transport=websocket` upgrades at once (no polling), the
server opens with `0{..}` then `40`, the client sends `handshakeClient` with its
token on `/`, joins the `/api` namespace and subscribes one URI per packet;
events go out as `42/api,["<uri>","<event>",<data>]`. In EIO 3 the CLIENT pings
(`2`) and the server answers (`3`); a client silent for pingInterval +
pingTimeout is dropped.

Each socket is served by its connection thread. Other threads never write to it
(CPython's ssl objects must not be used from two threads at once): they queue
packets and wake the thread through a socketpair.
"""
import base64
import hashlib
import json
import select
import socket
import struct
import threading
import time
import uuid

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_FRAME = 1 << 20       # a client frame bigger than this is a protocol error
READ_SIZE = 65536
API_NS = "/api"
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10
CLOSE_PROTOCOL, CLOSE_TOO_BIG = 1002, 1009


def accept_key(key):
    return base64.b64encode(hashlib.sha1(key.encode("latin-1") + WS_GUID).digest()).decode()


def ws_frame(opcode, payload, fin=True, mask=None):
    """One websocket frame (server frames are unmasked; tests pass `mask` to act as a client)."""
    head = bytearray([(0x80 if fin else 0) | opcode])
    mbit = 0x80 if mask is not None else 0
    n = len(payload)
    if n < 126:
        head.append(mbit | n)
    elif n < 65536:
        head.append(mbit | 126)
        head += struct.pack(">H", n)
    else:
        head.append(mbit | 127)
        head += struct.pack(">Q", n)
    if mask is None:
        return bytes(head) + payload
    return bytes(head) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def parse_frame(buf, masked):
    """-> (fin, opcode, payload, frame length) for the first whole frame in buf, or None.
    masked: what the peer must do (clients mask, servers do not); a wrong one raises ValueError."""
    if len(buf) < 2:
        return None
    fin, opcode = buf[0] & 0x80, buf[0] & 0x0F
    if bool(buf[1] & 0x80) != masked:
        raise ValueError("frame masking is wrong for this side")
    n, i = buf[1] & 0x7F, 2
    if n == 126:
        if len(buf) < 4:
            return None
        n, i = struct.unpack(">H", bytes(buf[2:4]))[0], 4
    elif n == 127:
        if len(buf) < 10:
            return None
        n, i = struct.unpack(">Q", bytes(buf[2:10]))[0], 10
    if n > MAX_FRAME:
        raise OverflowError("frame of %d bytes" % n)
    key = b""
    if masked:
        if len(buf) < i + 4:
            return None
        key, i = bytes(buf[i:i + 4]), i + 4
    if len(buf) < i + n:
        return None
    payload = bytes(buf[i:i + n])
    if masked:
        payload = bytes(b ^ key[j % 4] for j, b in enumerate(payload))
    return bool(fin), opcode, payload, i + n


def sio_parse(text):
    """A Socket.IO v2 packet (after the Engine.IO `4`): -> (type, namespace, ack id or None, data)."""
    kind, i = int(text[0]), 1
    nsp = "/"
    if text[i:i + 1] == "/":
        j = text.find(",", i)
        nsp, i = (text[i:], len(text)) if j < 0 else (text[i:j], j + 1)
    ack = ""
    while i < len(text) and text[i].isdigit():
        ack, i = ack + text[i], i + 1
    data = json.loads(text[i:]) if i < len(text) else None
    return kind, nsp, int(ack) if ack else None, data


def sio_packet(kind, nsp="/", ack=None, data=None):
    """The Engine.IO message carrying one Socket.IO packet, as text."""
    out = "4%d" % kind
    if nsp != "/":
        out += nsp + ","
    if ack is not None:
        out += str(ack)
    if data is not None:
        out += json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return out


class Client:
    """One realtime socket: what it has proven and subscribed to, and its outbox."""

    def __init__(self, hub, sock, homey):
        self.hub = hub
        self.sock = sock
        self.homey = homey
        self.sid = uuid.uuid4().hex[:20]
        self.token = None          # set by a successful handshakeClient
        self.in_api = False        # joined the /api namespace
        self.subs = set()
        self.frozen = False        # fault: reads and writes nothing more
        self.outbox = []
        self.last_ping = time.monotonic()
        self.pings = 0
        self.wake_r, self.wake_w = socket.socketpair()
        self.lock = threading.Lock()

    def queue(self, text):
        with self.lock:
            self.outbox.append(text)
        self.wake()

    def wake(self):
        try:
            self.wake_w.send(b"x")
        except OSError:
            pass

    def __repr__(self):
        return "<realtime client homey%d subs=%s%s>" % (self.homey.index, sorted(self.subs),
                                                        " frozen" if self.frozen else "")


class Realtime:
    """Every realtime client of a simulator; `publish` sends an event to the subscribed ones."""

    def __init__(self, sim, ping_interval=25000, ping_timeout=5000):
        self.sim = sim
        self.ping_interval = ping_interval   # ms, told to clients in the open packet
        self.ping_timeout = ping_timeout
        self.clients = []
        self.sockets = 0                     # sockets ever opened (reconnects show here)
        self.lock = threading.Lock()

    # ---- the switches tests use ----------------------------------------------------

    def subscribed(self, uri, homey=0):
        """How many live clients of Homey `homey` are subscribed to `uri`."""
        with self.lock:
            return sum(1 for c in self.clients if c.homey.index == homey and uri in c.subs
                       and not c.frozen)

    def drop(self, homey=None, silent=False):
        """Fault: cut every realtime socket (of one Homey). silent=True: the sockets stay
        open but the server goes quiet (no pongs, no events), as on a dead network path;
        the client must notice through its pings. -> how many were hit."""
        with self.lock:
            # a socket cut before may not have left the list yet (its thread ends on its own)
            victims = [c for c in self.clients if not c.frozen and (homey is None or c.homey.index == homey)]
        for c in victims:
            c.frozen = True
            if not silent:
                try:
                    socket.socket.shutdown(c.sock, socket.SHUT_RDWR)
                except OSError:
                    pass
            c.wake()
        return len(victims)

    def publish(self, homey, uri, event, data):
        text = sio_packet(2, API_NS, None, [uri, event, data])
        with self.lock:
            targets = [c for c in self.clients if c.homey is homey and uri in c.subs]
        for c in targets:
            c.queue(text)
        return len(targets)

    # ---- serving one socket ------------------------------------------------------------

    def serve(self, sock, reader, homey, req, stop_event):
        """Answer the upgrade (checked by upgrade_error), then run the socket until it closes."""
        key = req.header("sec-websocket-key")
        head = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Accept: %s\r\n\r\n" % accept_key(key)).encode()
        client = Client(self, sock, homey)
        opening = {"sid": client.sid, "upgrades": [], "pingInterval": self.ping_interval,
                   "pingTimeout": self.ping_timeout}
        sock.sendall(head + ws_frame(OP_TEXT, b"0" + json.dumps(opening).encode())
                     + ws_frame(OP_TEXT, b"40"))
        with self.lock:
            self.clients.append(client)
            self.sockets += 1
        try:
            self._loop(client, sock, bytearray(reader.buf), stop_event)
        finally:
            with self.lock:
                self.clients.remove(client)
            client.wake_r.close()
            client.wake_w.close()

    def _loop(self, c, sock, buf, stop_event):
        pending = getattr(sock, "pending", None)
        fragments = None
        while not stop_event.is_set():
            self._flush(c, sock)
            dead_in = c.last_ping + (self.ping_interval + self.ping_timeout) / 1000 - time.monotonic()
            if dead_in <= 0 and not c.frozen:
                return  # the client stopped pinging: socket.io closes it ("ping timeout")
            if not (pending and pending()):
                ready = select.select([sock, c.wake_r], [], [], min(0.25, max(dead_in, 0.01)))[0]
                if c.wake_r in ready:
                    c.wake_r.recv(4096)
                if sock not in ready:
                    continue
            data = sock.recv(READ_SIZE)
            if not data:
                return
            if c.frozen:
                continue
            buf += data
            while True:
                try:
                    frame = parse_frame(buf, masked=True)
                except OverflowError:
                    return self._close(sock, CLOSE_TOO_BIG)
                except ValueError:
                    return self._close(sock, CLOSE_PROTOCOL)
                if frame is None:
                    break
                fin, op, payload, used = frame
                del buf[:used]
                if op == OP_CLOSE:
                    return self._close(sock, 1000)
                if op == OP_PING:
                    sock.sendall(ws_frame(OP_PONG, payload))
                    continue
                if op == OP_PONG:
                    continue
                if op in (OP_TEXT, OP_BINARY):
                    fragments = bytearray(payload)
                elif op == OP_CONT and fragments is not None:
                    fragments += payload
                else:
                    return self._close(sock, CLOSE_PROTOCOL)
                if fin:
                    self._message(c, bytes(fragments).decode("utf-8"))
                    fragments = None
                    self._flush(c, sock)

    def _flush(self, c, sock):
        with c.lock:
            out, c.outbox = c.outbox, []
        if out and not c.frozen:
            sock.sendall(b"".join(ws_frame(OP_TEXT, t.encode("utf-8")) for t in out))

    @staticmethod
    def _close(sock, code):
        try:
            sock.sendall(ws_frame(OP_CLOSE, struct.pack(">H", code)))
        except OSError:
            pass

    # ---- Engine.IO and Socket.IO -----------------------------------------------------

    def _message(self, c, text):
        if not text:
            return
        if text[0] == "2":          # EIO ping (maybe "2probe"): pong with the same data
            c.last_ping = time.monotonic()
            c.pings += 1
            c.queue("3" + text[1:])
            return
        if text[0] == "1":          # EIO close
            raise EOFError
        if text[0] != "4" or len(text) < 2:
            return
        try:
            kind, nsp, ack, data = sio_parse(text[1:])
        except (ValueError, IndexError):
            c.queue(sio_packet(4, "/", None, "Invalid packet"))
            return
        if kind == 0:
            self._join(c, nsp)
        elif kind == 1 and nsp == API_NS:
            c.in_api = False
            c.subs.clear()
        elif kind == 2 and isinstance(data, list) and data:
            self._event(c, nsp, ack, data[0], data[1:])

    def _join(self, c, nsp):
        if nsp == "/":
            c.queue("40")
        elif nsp == API_NS and c.token is not None:
            c.in_api = True
            c.queue(sio_packet(0, API_NS))
        else:
            c.queue(sio_packet(4, nsp, None, "Unauthorized: handshakeClient first"
                               if nsp == API_NS else "Invalid namespace"))

    def _event(self, c, nsp, ack, name, args):
        def reply(*values):
            if ack is not None:
                c.queue(sio_packet(3, nsp, ack, list(values)))

        if nsp == "/" and name == "handshakeClient":
            return reply(*self._handshake(c, args[0] if args else None))
        if nsp != API_NS or not c.in_api:
            return reply({"code": 400, "error": "not_connected",
                          "error_description": "Join the /api namespace first"})
        uri = args[0] if args and isinstance(args[0], str) else None
        if name == "subscribe":
            if not self._known(c.homey, uri):
                return reply({"code": 404, "error": "not_found",
                              "error_description": "Nothing to subscribe to at %r" % uri})
            c.subs.add(uri)
            return reply(None)
        if name == "unsubscribe":
            c.subs.discard(uri)
            return reply(None)
        reply({"code": 501, "error": "not_implemented",
               "error_description": "The simulator's socket does not serve %r" % name})

    def _handshake(self, c, body):
        body = body if isinstance(body, dict) else {}
        if body.get("homeyId") != c.homey.id:
            return ({"code": 400, "error": "invalid_homey",
                     "error_description": "This is Homey %s" % c.homey.id},)
        cred, why = c.homey.lookup_bearer(body.get("token"))
        if cred is None:
            return ({"code": 401, "error": "invalid_token", "error_description": why},)
        c.token = body["token"]
        return None, {"namespace": API_NS, "success": True}

    def _known(self, homey, uri):
        if uri == "homey:manager:devices":
            return True
        prefix = "homey:device:"
        with self.sim.lock:
            return bool(uri) and uri.startswith(prefix) and uri[len(prefix):] in homey.devices


def capability_event(cap, value, transaction_id, now):
    return {"capabilityId": cap, "value": value,
            "transactionId": transaction_id or str(uuid.uuid4()),
            "transactionTime": int(now * 1000)}


def is_upgrade(req):
    return (req.path.rstrip("/") == "/socket.io"
            and (req.header("upgrade") or "").lower() == "websocket")


def upgrade_error(req):
    """-> None when `req` is a websocket upgrade the realtime socket takes, else why not."""
    if req.query.get("EIO") != "3" or req.query.get("transport") != "websocket":
        return "Only EIO=3 with transport=websocket is served"
    if req.header("sec-websocket-version") != "13" or not req.header("sec-websocket-key"):
        return "Bad websocket handshake"
    return None

