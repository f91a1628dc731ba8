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
import time

from loopback import LoopbackServer, read_request

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


class Hostile(LoopbackServer):
    def __init__(self, routes):
        self.routes = list(routes)
        self.requests = []  # (method, path, body)
        super().__init__(conn_timeout=MAX_HOLD + 5)

    def _answer(self, method, path):
        for part, answer in self.routes:
            if path.endswith(part[:-1]) if part[-1:] == "$" else part in path:
                return answer
        return GOOD_GET if method == "GET" else GOOD_WRITE

    def serve(self, c, n):
        peer = Peer(c, self._stop)
        buf = b""
        try:
            while not self._stop.is_set() and peer.keep:
                req, buf = read_request(c, buf)
                if req is None:
                    return
                method, path, _, body = req
                with self.lock:
                    self.requests.append((method, path, body))
                answer = self._answer(method, path)
                peer.begin()
                if callable(answer):
                    answer(peer, method)
                else:
                    peer.send(answer)
        except Gone:
            pass

    def count(self, part):
        with self.lock:
            return len([r for r in self.requests if part in r[1]])
