# A small websocket client (RFC 6455) for the realtime link: the non-blocking
# TCP dial, the upgrade request and its answer, and the frames, read through
# one 256-byte buffer. It knows nothing of what the messages say: a subclass
# (realtime.Realtime) gets each text message's bytes as they arrive
# (_message_start, _chunk, _message_end) and decides when to dial and drop.
from .compat import MICROPYTHON, sleep_ms, ticks_diff, ticks_ms

CONNECT_MS = 3000              # TCP connect, and the TLS handshake
SEND_MS = 2000                 # a frame that cannot leave in this long: the link is dead
TOKEN = 96                     # longest header line or JSON token kept; longer ones are skipped
MAX_MESSAGE = 1 << 20          # a bigger message is a broken server
_AGAIN = (11, 2, 3)            # EAGAIN; CPython's SSL want-read / want-write
_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def open_tcp(host, port):
    """The default opener: (a non-blocking TCP socket with its connect under way, True)."""
    import socket

    ai = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)[0]
    s = socket.socket(ai[0], socket.SOCK_STREAM)
    try:
        try:  # an event must not wait ~40 ms for Nagle (IPPROTO_TCP, TCP_NODELAY)
            s.setsockopt(6, 1, 1)
        except OSError:
            pass
        s.setblocking(False)
        try:
            s.connect(ai[-1])
        except OSError as e:
            if e.args[0] not in (115, 119, 11):  # EINPROGRESS (Linux, lwIP), EAGAIN
                raise
        return s, True
    except Exception:
        s.close()
        raise


def connected(sock):
    """True once a non-blocking connect is done; OSError when it failed."""
    import select

    p = select.poll()
    p.register(sock, select.POLLOUT)
    ev = p.poll(0)
    if ev and ev[0][1] & (select.POLLERR | select.POLLHUP):
        raise OSError("cannot reach the Homey")
    return bool(ev)


def accept_for(key):
    import binascii
    import hashlib

    sha1 = getattr(hashlib, "sha1", None)  # a build without it cannot check the answer
    return sha1 and binascii.b2a_base64(sha1(key + _GUID).digest()).strip()


class WebSocket:
    def __init__(self, url, ctx, opener):
        """ctx: a TLS client context for https URLs (wrapped here); opener(host, port) ->
        (socket, dialing), dialing True while a non-blocking connect is under way."""
        scheme, _, rest = url.partition("://")
        if scheme == "https" and ctx is None:
            raise ValueError("an https Homey URL needs a TLS context (ctx)")
        self.hostport = rest.split("/")[0]
        host, _, port = self.hostport.rpartition(":")
        self.host, self.port = (host, int(port)) if host else (self.hostport, 443 if scheme == "https" else 80)
        self.ctx, self.opener = ctx, opener
        self.buf = bytearray(256)
        self.mv = memoryview(self.buf)
        self.tok = bytearray(TOKEN)
        self.ctl = bytearray(125)   # a control frame's payload (RFC 6455: at most 125 bytes)
        self.hdr = bytearray(10)
        self.sock = None

    def _dial(self):
        """Open the TCP connection; -> True while its connect is still under way."""
        self.need, self.hlen, self.tl, self.lines, self.op, self.in_head = 2, 0, 0, 0, 0, False
        self.sock, dialing = self.opener(self.host, self.port)
        return dialing

    def _upgrade(self, path):
        """TLS (blocking, bounded) when asked for, then the websocket upgrade request."""
        import binascii
        import os

        if self.ctx:
            self.sock.setblocking(True)
            self.sock.settimeout(CONNECT_MS / 1000)
            self.sock = self.ctx.wrap_socket(self.sock, server_hostname=self.host)
            self.sock.setblocking(False)
        key = binascii.b2a_base64(os.urandom(16)).strip()
        self.accept = accept_for(key)
        self._raw(b"GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                  b"Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
                  % (path, self.hostport.encode(), key))
        self.in_head = True

    def _close_sock(self):
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
        self.sock = None

    def _read(self):
        """Bytes read into buf: a count, 0 at the end of the stream, None when none are waiting."""
        try:
            return self.sock.readinto(self.mv) if MICROPYTHON else self.sock.recv_into(self.mv)
        except OSError as e:
            if e.args and e.args[0] in _AGAIN:
                return None
            raise

    def _raw(self, data):
        mv, start = memoryview(data), ticks_ms()
        while mv:
            try:
                n = self.sock.write(mv) if MICROPYTHON else self.sock.send(mv)
            except OSError as e:
                if not (e.args and e.args[0] in _AGAIN):
                    raise
                n = None
            if n:
                mv = mv[n:]
            elif ticks_diff(ticks_ms(), start) > SEND_MS:
                raise OSError("the socket takes no more data")
            else:
                sleep_ms(1)  # the send buffer is full: our frames are small, it drains at once

    def _text(self, text, opcode=1):
        """One frame, masked as every client frame must be."""
        import os

        data = text.encode() if isinstance(text, str) else text
        n = len(data)
        head = bytes((0x80 | opcode, 0x80 | n)) if n < 126 else bytes((0x80 | opcode, 0xFE, n >> 8, n & 255))
        mask = os.urandom(4)
        frame = bytearray(head + mask + data)
        off = len(head) + 4
        for i in range(n):
            frame[off + i] ^= mask[i & 3]
        self._raw(frame)

    def _feed(self, n):
        """The n bytes just read into buf: the upgrade's answer, frame headers, payloads."""
        i = 0
        while i < n and self.sock is not None:
            if self.in_head:
                i = self._head(i, n)
            elif self.need:  # frame header bytes still to come
                self.hdr[self.hlen] = self.buf[i]
                self.hlen += 1
                i += 1
                if self.hlen == self.need:
                    self._header()
            else:
                k = min(self.left, n - i)
                if self.op >= 8:
                    self.ctl[self.clen:self.clen + k] = self.mv[i:i + k]
                    self.clen += k
                elif self.msg_op == 1:
                    self.mlen += k
                    if self.mlen > MAX_MESSAGE:
                        raise ValueError("message too big")
                    self._chunk(i, i + k)
                i += k
                self.left -= k
                if not self.left:
                    self._frame_end()

    def _header(self):
        h = self.hdr
        if h[1] & 0x80:
            raise ValueError("the server masked a frame")
        n = h[1] & 0x7F
        if n > 125 and self.need == 2:
            self.need = 4 if n == 126 else 10
            return
        if n > 125:
            n = 0
            for b in h[2:self.need]:
                n = n << 8 | b
        self.op, self.fin, self.left, self.need, self.clen = h[0] & 0x0F, h[0] & 0x80, n, 0, 0
        if self.op >= 8 and n > 125:
            raise ValueError("control frame too long")
        if self.op in (1, 2):
            self.msg_op, self.mlen, self.tl = self.op, 0, 0
            self._message_start()
        if not n:
            self._frame_end()

    def _frame_end(self):
        self.need, self.hlen = 2, 0
        if self.op == 8:
            raise OSError("the Homey closed the socket")
        if self.op == 9:
            self._text(bytes(self.ctl[:self.clen]), 10)
        elif self.op < 8 and self.fin and self.msg_op == 1:
            self._message_end()

    def _head(self, i, n):
        """The HTTP answer to the upgrade, a line at a time (long lines are skipped)."""
        j = self.buf.find(b"\n", i, n)
        self._keep(i, n if j < 0 else j + 1)
        if j < 0:
            return n
        line = bytes(self.tok[:self.tl]).strip() if self.tl <= TOKEN else b"-"
        self.tl, self.lines = 0, self.lines + 1
        if self.lines == 1 and line[8:13] != b" 101 ":
            raise OSError("the Homey refused the realtime socket: " + line[:40].decode())
        if self.accept and line.lower().startswith(b"sec-websocket-accept:") and line[21:].strip() == self.accept:
            self.accept = None  # checked (None from the start on a build without sha1)
        if not line:
            if self.accept:
                raise ValueError("bad Sec-WebSocket-Accept from the Homey")
            self.in_head = False
            self._opened()
        return j + 1

    def _keep(self, a, z):
        """buf[a:z] added to the token being collected (tok); too long: marked skipped."""
        if self.tl + z - a > TOKEN:
            self.tl = TOKEN + 1
        else:
            self.tok[self.tl:self.tl + z - a] = self.mv[a:z]
            self.tl += z - a
