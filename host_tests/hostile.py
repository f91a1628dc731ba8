"""A Homey (or Athom host) that answers the way a hostile network would, on raw sockets.

`Hostile(routes)`: routes is a list of (path substring, answer); the first route
whose substring is in a request's path answers it (a substring ending in `$` must
end the path), and a request no route takes
gets the good answer of a capability (GET: `true`; anything else: a write's
`{"transactionId", "transactionTime"}`). An answer is bytes (sent at once, the
connection kept) or a function answer(peer, method) that writes what it likes
through `peer` (send, trickle, hold, close). An answer takes at most `MAX_HOLD`
seconds in all (then its connection is dropped) and ends when the client goes
away or the server stops, so a client that never gives up still lets the test
finish and fail.
"""
import socket
import threading
import time

MAX_HOLD = 8.0  # s: the longest any answer takes in all (what bounds a test of a client that waits on)


class Gone(Exception):
    """The client closed its side, or the server is stopping."""


class Peer:
    """The server's side of one connection, for an answer function."""

    def __init__(self, sock, stop):
        self.sock = sock
        self.stop = stop
        self.keep = True  # False: the connection closes after this answer
        self.end = 0.0  # monotonic time when the answer being written must stop

    def begin(self):
        """A new answer: it may take MAX_HOLD seconds in all, then its connection is dropped."""
        self.end = time.monotonic() + MAX_HOLD

    def send(self, data):
        if self.stop.is_set() or time.monotonic() >= self.end:
            raise Gone()
        try:
            self.sock.sendall(data)
        except OSError:
            raise Gone()

    def hold(self, seconds):
        """Send nothing for `seconds` (at most MAX_HOLD); Gone when the client leaves meanwhile."""
        end = min(time.monotonic() + seconds, self.end)
        while time.monotonic() < end:
            if self.stop.wait(0.05):
                raise Gone()
            if self.client_left():
                raise Gone()

    def client_left(self):
        try:
            self.sock.setblocking(False)
            try:
                return self.sock.recv(1, socket.MSG_PEEK) == b""
            finally:
                self.sock.setblocking(True)
        except BlockingIOError:
            return False
        except OSError:
            return True

    def trickle(self, data, gap):
        """data one byte at a time, `gap` seconds apart."""
        for i in range(len(data)):
            self.send(data[i:i + 1])
            self.hold(gap)

    def close(self):
        self.keep = False


def head(status=200, headers=(), reason="OK"):
    lines = ["HTTP/1.1 %d %s" % (status, reason)] + list(headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def json_answer(body, status=200, headers=()):
    body = body.encode() if isinstance(body, str) else body
    return head(status, ("Content-Type: application/json", "Content-Length: %d" % len(body)) + tuple(headers)) + body


GOOD_GET = json_answer("true")
GOOD_WRITE = json_answer('{"transactionId":"t-1","transactionTime":1}')


class Hostile:
    def __init__(self, routes):
        self.routes = list(routes)
        self.requests = []  # (method, path, body)
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._socks = []
        self._threads = []
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(16)
        self.srv.settimeout(0.1)
        self.port = self.srv.getsockname()[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.t = threading.Thread(target=self._accept, daemon=True)
        self.t.start()

    def _accept(self):
        while not self._stop.is_set():
            try:
                c, _ = self.srv.accept()
            except OSError:
                continue
            c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                self._socks.append(c)
            t = threading.Thread(target=self._serve, args=(c,), daemon=True)
            self._threads.append(t)
            t.start()

    def _read_request(self, c, buf):
        while b"\r\n\r\n" not in buf:
            d = c.recv(65536)
            if not d:
                return None, buf
            buf += d
        raw, buf = buf.split(b"\r\n\r\n", 1)
        length = 0
        for line in raw.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v)
        while len(buf) < length:
            d = c.recv(65536)
            if not d:
                return None, buf
            buf += d
        method, path = raw.split(b" ")[:2]
        req = (method.decode(), path.decode().split("?")[0], buf[:length])
        return req, buf[length:]

    def _answer(self, method, path):
        for part, answer in self.routes:
            if path.endswith(part[:-1]) if part[-1:] == "$" else part in path:
                return answer
        return GOOD_GET if method == "GET" else GOOD_WRITE

    def _serve(self, c):
        c.settimeout(MAX_HOLD + 5)
        peer = Peer(c, self._stop)
        buf = b""
        try:
            while not self._stop.is_set() and peer.keep:
                req, buf = self._read_request(c, buf)
                if req is None:
                    return
                with self.lock:
                    self.requests.append(req)
                answer = self._answer(req[0], req[1])
                peer.begin()
                if callable(answer):
                    answer(peer, req[0])
                else:
                    peer.send(answer)
        except (Gone, OSError):
            pass
        finally:
            try:
                c.close()
            except OSError:
                pass

    def count(self, part):
        with self.lock:
            return len([r for r in self.requests if part in r[1]])

    def stop(self):
        self._stop.set()
        self.srv.close()
        with self.lock:
            for s in self._socks:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        for t in self._threads:
            t.join(2)
        self.t.join(2)
