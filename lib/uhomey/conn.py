# One TCP (or TLS) connection and its small read buffer: the only place that
# touches sockets (the TLS context it is handed comes from tlsctx.py).
# Every wait of a request (connect, TLS handshake, send, head, body) is bounded
# by one deadline for the whole call (Conn.start), so a server that answers a
# byte a second cannot stretch a call past it. MicroPython's blocking reads
# wait for the whole buffer (TLS too), so a read takes what has arrived without
# blocking and blocks for one byte only when nothing has.
import socket

from .compat import MICROPYTHON, const, ticks_diff, ticks_ms
from .errors import ProtocolError

BUF_SIZE = const(512)  # the read buffer; it also carries a request out in pieces of this size
MAX_LINE = const(8192)  # the longest head line accepted
_TIMED_OUT = const(110)  # ETIMEDOUT, as CPython raises it for a timed-out read
_IPPROTO_TCP = const(6)  # the same numbers on Linux and lwIP
_TCP_NODELAY = const(1)


class Conn:
    """One TCP (or TLS) connection with a small read buffer."""

    def __init__(self, host):
        self.host = host
        self.sock = self.raw = self._poll = None
        self.buf = bytearray(BUF_SIZE)
        self.mv = memoryview(self.buf)
        self.pos = self.end = 0
        self.busy = False
        self.deadline = ticks_ms()

    def start(self, deadline):
        """A call begins: every wait from now on ends by `deadline` (ticks_ms)."""
        self.deadline = deadline

    def _left(self):
        """Seconds left before the call's deadline, for a socket timeout; OSError(ETIMEDOUT)
        once it has passed."""
        ms = ticks_diff(self.deadline, ticks_ms())
        if ms <= 0:
            raise OSError(_TIMED_OUT)
        return ms / 1000

    def open(self, port, deadline, ctx):
        self.deadline = deadline
        ai = socket.getaddrinfo(self.host, port, 0, socket.SOCK_STREAM)[0]
        self.raw = socket.socket(ai[0], socket.SOCK_STREAM)
        self.raw.settimeout(self._left())  # the TLS handshake's reads too
        try:  # a request goes out as head + body: without this, Nagle holds the body ~40 ms
            self.raw.setsockopt(_IPPROTO_TCP, _TCP_NODELAY, 1)
        except OSError:
            pass
        self.raw.connect(ai[-1])
        self.sock = self.raw if ctx is None else ctx.wrap_socket(self.raw, server_hostname=self.host)
        if not MICROPYTHON:
            self.raw = self.sock  # CPython's wrap detached the plain socket

    def _poller(self):
        if self._poll is None:
            import select

            self._poll = select.poll()
            self._poll.register(self.sock, select.POLLIN)
        return self._poll

    def _recv_into(self, mv):
        """Whatever has arrived, up to len(mv) bytes; 0 at end of stream; OSError(ETIMEDOUT)
        once the call's deadline has passed."""
        left = self._left()
        if not MICROPYTHON:
            self.sock.settimeout(left)
            return self.sock.recv_into(mv)
        n = self._ready_into(mv)
        if n is not None:
            return n
        # nothing yet: block for one byte (the kernel wakes us at once, where poll sleeps in
        # 1 ms steps on unix) for at most what is left of the deadline, then take what came
        self.raw.settimeout(left)
        n = self.sock.readinto(mv[:1])
        if not n or len(mv) == 1:
            return n or 0
        return 1 + (self._ready_into(mv[1:]) or 0)

    def _ready_into(self, mv):
        """What has arrived, without waiting: None when nothing has (MicroPython)."""
        s = self.sock
        s.setblocking(False)
        try:
            return s.readinto(mv)
        finally:
            s.setblocking(True)

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
                if self.raw is not self.sock:
                    self.raw.close()
            except OSError:
                pass
        self.sock = self.raw = self._poll = None
        self.pos = self.end = 0

    def stale(self):
        """True when an idle connection has something to read: the server closed it."""
        if self.pos < self.end:
            return True
        try:
            if MICROPYTHON:
                return bool(self._poller().poll(0))
            from .cpython import readable

            return readable(self.sock)
        except (OSError, ValueError):
            return True

    def send(self, parts, body=None):
        """A request: its head's pieces (str) and its body (bytes), copied through the read
        buffer (idle while a request goes out) and written a buffer at a time: a short
        request leaves in one write, and no piece is ever joined into a larger block (a
        login's query and tokens run to 700 bytes each)."""
        if not MICROPYTHON:
            data = "".join(parts).encode()
            self.sock.settimeout(self._left())
            self.sock.sendall(data + body if body else data)
            return
        self.raw.settimeout(self._left())
        n = 0
        for p in parts:
            n = self._put(p, n)
        if body:
            n = self._put(body, n)
        if n:
            self.sock.write(self.mv[:n])

    def _put(self, p, n):
        m = memoryview(p)  # a str's UTF-8 bytes, not copied
        k = len(m)
        if n + k > BUF_SIZE:
            if n:
                self.sock.write(self.mv[:n])
                n = 0
            if k > BUF_SIZE:
                self.sock.write(m)
                return 0
        self.mv[n:n + k] = m
        return n + k

    def readline(self, limit=MAX_LINE):
        line = b""
        while True:
            if self.pos >= self.end:
                self.end = self._recv_into(self.mv)
                self.pos = 0
                if not self.end:
                    return line
            i = self.buf.find(b"\n", self.pos, self.end)
            stop = self.end if i < 0 else i + 1
            line += self.mv[self.pos:stop]
            self.pos = stop
            if len(line) > limit:
                raise ProtocolError.of("header_line_too_long", self.host, limit)
            if i >= 0:
                return line

    def readinto(self, mv):
        """Up to len(mv) bytes; 0 at end of stream."""
        avail = self.end - self.pos
        if avail <= 0:
            if len(mv) >= BUF_SIZE:
                return self._recv_into(mv)
            self.end = avail = self._recv_into(self.mv)
            self.pos = 0
            if not avail:
                return 0
        n = min(len(mv), avail)
        mv[:n] = self.mv[self.pos:self.pos + n]
        self.pos += n
        return n
