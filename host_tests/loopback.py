"""The core the raw-socket test servers share (canned.py, hostile.py): a listener on
127.0.0.1 with a thread per connection, requests read off a socket whole (head and a
Content-Length body), and a stop that ends every connection and waits for its thread."""
import socket
import threading


class LoopbackServer:
    """Subclasses answer a connection in serve(sock, n), n counting connections from 1."""

    def __init__(self, conn_timeout=5):
        self.connections = 0
        self.lock = threading.Lock()
        self.conn_timeout = conn_timeout
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
            c.settimeout(self.conn_timeout)
            c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                self.connections += 1
                n = self.connections
                self._socks.append(c)
            t = threading.Thread(target=self._serve_and_close, args=(c, n), daemon=True)
            self._threads.append(t)
            t.start()

    def _serve_and_close(self, c, n):
        try:
            self.serve(c, n)
        except OSError:
            pass
        finally:
            try:
                c.close()
            except OSError:
                pass

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


def read_request(c, buf):
    """((method, path without query, head bytes, body bytes), rest of buf) of the next request
    on socket c, whose first bytes may be in buf; (None, buf) when the client closed."""
    while b"\r\n\r\n" not in buf:
        d = c.recv(65536)
        if not d:
            return None, buf
        buf += d
    head, buf = buf.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    while len(buf) < length:
        d = c.recv(65536)
        if not d:
            return None, buf
        buf += d
    method, path = head.split(b" ")[:2]
    return (method.decode(), path.decode().split("?")[0], head, buf[:length]), buf[length:]
