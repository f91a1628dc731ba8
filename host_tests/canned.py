"""A loopback HTTP server that answers with exact bytes, for the client's framing tests.

`routes` maps a request path to a list of answers used in turn (the last one
repeats); each answer is raw bytes, or a tuple (bytes, action) with action
"close" (close after sending), "rst" (reset), "stall" (send nothing; hold the
connection until the server stops) or "rst-before" (reset without answering).
"""
import socket
import struct
import threading


class Canned:
    def __init__(self, routes):
        self.routes = {k: list(v) for k, v in routes.items()}
        self.connections = 0
        self.requests = []  # (connection number, method, path, head bytes, body bytes)
        self._stop = threading.Event()
        self._socks = []
        self.lock = threading.Lock()
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
            with self.lock:
                self.connections += 1
                n = self.connections
                self._socks.append(c)
            threading.Thread(target=self._serve, args=(c, n), daemon=True).start()

    def _answer(self, path):
        with self.lock:
            lst = self.routes.get(path) or self.routes.get("*")
            a = lst.pop(0) if len(lst) > 1 else lst[0]
        return a if isinstance(a, tuple) else (a, None)

    def _serve(self, c, n):
        c.settimeout(5)
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buf = b""
        try:
            while not self._stop.is_set():
                while b"\r\n\r\n" not in buf:
                    d = c.recv(65536)
                    if not d:
                        return
                    buf += d
                head, buf = buf.split(b"\r\n\r\n", 1)
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    k, _, v = line.partition(b":")
                    if k.strip().lower() == b"content-length":
                        length = int(v)
                while len(buf) < length:
                    buf += c.recv(65536)
                body, buf = buf[:length], buf[length:]
                method, path = head.split(b" ")[:2]
                path = path.decode().split("?")[0]
                with self.lock:
                    self.requests.append((n, method.decode(), path, head, body))
                data, action = self._answer(path)
                if action == "rst-before":
                    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    c.close()
                    return
                if action == "stall":
                    self._stop.wait(30)
                    return
                c.sendall(data)
                if action == "rst":
                    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    c.close()
                    return
                if action == "close":
                    c.close()
                    return
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
                    s.close()
                except OSError:
                    pass
        self.t.join(2)


def resp(status=200, body=b"", headers=(), ctype="application/json", length=True):
    h = ["HTTP/1.1 %d X" % status]
    if ctype:
        h.append("Content-Type: %s" % ctype)
    if length:
        h.append("Content-Length: %d" % len(body))
    h += list(headers)
    return ("\r\n".join(h) + "\r\n\r\n").encode() + body


def chunked(body_parts, status=200, headers=(), ext=False, trailer=False, ctype="application/json"):
    h = ["HTTP/1.1 %d OK" % status, "Transfer-Encoding: chunked", "Content-Type: %s" % ctype] + list(headers)
    out = ("\r\n".join(h) + "\r\n\r\n").encode()
    for p in body_parts:
        out += ("%x%s\r\n" % (len(p), ";name=val" if ext else "")).encode() + p + b"\r\n"
    out += b"0\r\n" + (b"X-Trailer: 1\r\n" if trailer else b"") + b"\r\n"
    return out
