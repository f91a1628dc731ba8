# One TCP (or TLS) connection and its small read buffer: the only place that
# touches sockets (the TLS context it is handed comes from tlsctx.py).
# MicroPython's blocking TLS reads wait for the whole buffer, so reads go
# through poll + a non-blocking readinto.
import socket

from .compat import MICROPYTHON, const, ticks_diff, ticks_ms
from .errors import ProtocolError

BUF_SIZE = const(512)  # the read buffer; it also carries a request out in pieces of this size
MAX_LINE = const(8192)  # the longest head line accepted
_STATUS_LINE = const(12)  # "HTTP/1.1 200": the bytes every answer starts with
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

    def open(self, port, timeout, ctx):
        ai = socket.getaddrinfo(self.host, port, 0, socket.SOCK_STREAM)[0]
        self.raw = socket.socket(ai[0], socket.SOCK_STREAM)
        self.settimeout(timeout)
        try:  # a request goes out as head + body: without this, Nagle holds the body ~40 ms
            self.raw.setsockopt(_IPPROTO_TCP, _TCP_NODELAY, 1)
        except OSError:
            pass
        self.raw.connect(ai[-1])
        self.sock = self.raw if ctx is None else ctx.wrap_socket(self.raw, server_hostname=self.host)
        if not MICROPYTHON:
            self.raw = self.sock  # CPython's wrap detached the plain socket

    def settimeout(self, t):
        self.timeout = t
        self.raw.settimeout(t)

    def _poller(self):
        if self._poll is None:
            import select

            self._poll = select.poll()
            self._poll.register(self.sock, select.POLLIN)
        return self._poll

    def _recv_into(self, mv, due=False):
        """Whatever has arrived, up to len(mv) bytes; 0 at end of stream; OSError(110) on timeout.
        due: the peer owes at least len(mv) bytes (a framed body), so a blocking read is safe."""
        if not MICROPYTHON:
            return self.sock.recv_into(mv)
        s = self.sock
        if due:  # one call, no poll: the kernel wakes us (poll sleeps in 1 ms steps on unix)
            return s.readinto(mv) or 0
        # MicroPython's blocking reads wait for all len(mv) bytes (TLS too): read
        # what is there without blocking first (the rest of a TLS record usually
        # is), and poll only when nothing is.
        ms = int(self.timeout * 1000)
        start = ticks_ms()
        while True:
            s.setblocking(False)
            try:
                n = s.readinto(mv)
            finally:
                s.setblocking(True)
                self.raw.settimeout(self.timeout)
            if n is not None:
                return n
            left = ms - ticks_diff(ticks_ms(), start)
            if left <= 0 or not self._poller().poll(left):
                raise OSError(_TIMED_OUT)

    def await_head(self):
        """Block for the first bytes of an answer (every status line has them)."""
        if self.pos >= self.end:
            self.end = self._recv_into(self.mv[:_STATUS_LINE], True)
            self.pos = 0

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
            self.sock.sendall(data + body if body else data)
            return
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

    def readinto(self, mv, due=False):
        """Up to len(mv) bytes; 0 at end of stream. due: see _recv_into."""
        avail = self.end - self.pos
        if avail <= 0:
            if len(mv) >= BUF_SIZE:
                return self._recv_into(mv, due)
            self.end = avail = self._recv_into(self.mv)
            self.pos = 0
            if not avail:
                return 0
        n = min(len(mv), avail)
        mv[:n] = self.mv[self.pos:self.pos + n]
        self.pos += n
        return n
