"""A loopback HTTP server that answers with exact bytes, for the client's framing tests.

`routes` maps a request path to a list of answers used in turn (the last one
repeats); each answer is raw bytes, or a tuple (bytes, action) with action
"close" (close after sending), "rst" (reset), "stall" (send nothing; hold the
connection until the server stops) or "rst-before" (reset without answering).
"""
import socket
import struct

from loopback import LoopbackServer, read_request


class Canned(LoopbackServer):
    def __init__(self, routes):
        self.routes = {k: list(v) for k, v in routes.items()}
        self.requests = []  # (connection number, method, path, head bytes, body bytes)
        super().__init__()

    def _answer(self, path):
        with self.lock:
            lst = self.routes.get(path) or self.routes.get("*")
            a = lst.pop(0) if len(lst) > 1 else lst[0]
        return a if isinstance(a, tuple) else (a, None)

    def serve(self, c, n):
        buf = b""
        while not self._stop.is_set():
            req, buf = read_request(c, buf)
            if req is None:
                return
            with self.lock:
                self.requests.append((n,) + req)
            data, action = self._answer(req[1])
            if action == "rst-before":
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return
            if action == "stall":
                self._stop.wait(30)
                return
            c.sendall(data)
            if action == "rst":
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return
            if action == "close":
                return


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
