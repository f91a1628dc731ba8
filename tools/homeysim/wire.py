"""HTTP/1.1 on the wire: reading requests, writing responses, and the codecs
(forms, queries, cookies) that handlers need.

Responses are serialised so that a normal answer leaves in one write, header
names change case from one response to the next, and chunk sizes are small
and uneven: each quirk catches a different client shortcut.
"""
import email.utils
import json
import random
import time
from urllib.parse import parse_qsl

MAX_HEAD = 16 * 1024
MAX_BODY = 8 * 1024 * 1024
BIG_WRITE = 64 * 1024

REASONS = {
    100: "Continue", 200: "OK", 204: "No Content", 302: "Found", 400: "Bad Request",
    401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
    411: "Length Required", 413: "Payload Too Large", 429: "Too Many Requests",
    431: "Request Header Fields Too Large", 500: "Internal Server Error",
    501: "Not Implemented", 503: "Service Unavailable",
}


class HttpError(Exception):
    """A request the server cannot even route: answered, then the connection closes."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class Request:
    """One request as received; also the record kept in Simulator.requests."""

    def __init__(self, conn, role, scheme, method, target, version, headers, body):
        self.conn = conn
        self.role = role
        self.scheme = scheme
        self.method = method
        self.target = target
        self.version = version
        path, _, raw_query = target.partition("?")
        self.path = path
        self.raw_query = raw_query
        self.query = dict(parse_qsl(raw_query, keep_blank_values=True))
        self.headers = headers
        self.body = body
        self.status = None
        self.fault = None
        self.homey = None
        self.listener = None
        self.first_byte = None  # time.monotonic() of the request's first byte (set by the server)

    def header(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    def header_all(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    def content_type(self):
        return (self.header("content-type") or "").split(";")[0].strip().lower()

    def cookies(self):
        jar = {}
        for line in self.header_all("cookie"):
            for part in line.split(";"):
                k, eq, v = part.strip().partition("=")
                if eq:
                    jar[k.strip()] = v.strip()
        return jar

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def form(self):
        return dict(decode_form(self.body))

    def __repr__(self):
        return "<Request #%s %s %s %s -> %s%s>" % (
            self.conn, self.role, self.method, self.target, self.status,
            " fault=%s" % self.fault if self.fault else "")


class Response:
    """A status, headers and a body (bytes, or an iterable of bytes for big bodies).

    chunked is this endpoint's habit; the server's force_chunked overrides it.
    """

    def __init__(self, status, body=b"", ctype="application/json; charset=utf-8",
                 headers=(), chunked=False):
        self.status = status
        self.body = body
        self.headers = [("Content-Type", ctype)] if ctype else []
        self.headers.extend(headers)
        self.chunked = chunked

    def body_bytes(self):
        if isinstance(self.body, (bytes, bytearray)):
            return bytes(self.body)
        return b"".join(self.body)


def json_response(obj, status=200, **kw):
    # compact and raw UTF-8, as Node's JSON.stringify sends it
    return Response(status, json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
                    **kw)


def json_error(status, error, description, **kw):
    return json_response({"code": status, "error": error, "error_description": description},
                         status, **kw)


def html_response(text, status=200, **kw):
    return Response(status, text.encode("utf-8"), ctype="text/html; charset=utf-8", **kw)


# ---- request side -----------------------------------------------------------

class Reader:
    """Buffered reads from a blocking socket. read_head's `on_wait(idle)` tells
    the owner when it blocks with nothing buffered: an idle keep-alive that
    drop_idle_connections() may close without cutting a request in half."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()
        self.first_byte = None  # time.monotonic() when the current request's first byte came

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError
        self.buf += data

    def read_head(self, limit, on_wait=None):
        start = 0
        self.first_byte = time.monotonic() if self.buf else None
        while True:
            i = self.buf.find(b"\n", start)
            while i >= 0 and i <= limit:
                # a blank line (CRLF or bare LF) ends the head
                if self.buf[i + 1:i + 2] == b"\n":
                    return self._take(i + 2)
                if self.buf[i + 1:i + 3] == b"\r\n":
                    return self._take(i + 3)
                i = self.buf.find(b"\n", i + 1)
            if len(self.buf) > limit:
                raise HttpError(431, "request head too large")
            start = max(0, len(self.buf) - 2)
            if on_wait is not None:
                on_wait(not self.buf)
            self._fill()
            if self.first_byte is None:
                self.first_byte = time.monotonic()
            if on_wait is not None:
                on_wait(False)

    def _take(self, n):
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def read_exact(self, n):
        while len(self.buf) < n:
            self._fill()
        return self._take(n)

    def read_line(self, limit=4096):
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                return self._take(i + 1)
            if len(self.buf) > limit:
                raise HttpError(400, "line too long")
            self._fill()


def parse_head(raw):
    """-> (method, target, version, [(name, value)]) exactly as received."""
    # RFC 9112 2.2: ignore empty lines before a request line (a stray CRLF after a body)
    lines = raw.decode("latin-1").replace("\r\n", "\n").lstrip("\n").split("\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise HttpError(400, "bad request line")
    headers = []
    for line in lines[1:]:
        if not line:
            continue
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip():
            raise HttpError(400, "bad header line")
        headers.append((name, value.strip()))
    return parts[0], parts[1], parts[2], headers


def read_body(reader, headers):
    lower = [(k.lower(), v) for k, v in headers]
    te = [v.lower() for k, v in lower if k == "transfer-encoding"]
    if te:
        if te[-1].split(",")[-1].strip() != "chunked":
            raise HttpError(501, "unsupported transfer-encoding")
        return _read_chunked(reader)
    lengths = [v for k, v in lower if k == "content-length"]
    if not lengths:
        return b""
    if len(set(lengths)) != 1 or not lengths[0].isdigit():
        raise HttpError(400, "bad content-length")
    n = int(lengths[0])
    if n > MAX_BODY:
        raise HttpError(413, "body too large")
    return reader.read_exact(n)


def _read_chunked(reader):
    body = bytearray()
    while True:
        line = reader.read_line().split(b";")[0].strip()
        try:
            size = int(line, 16)
        except ValueError:
            raise HttpError(400, "bad chunk size") from None
        if size == 0:
            while reader.read_line().strip():
                pass  # trailers are accepted and ignored
            return bytes(body)
        if len(body) + size > MAX_BODY:
            raise HttpError(413, "body too large")
        body += reader.read_exact(size)
        if reader.read_exact(2) != b"\r\n":
            raise HttpError(400, "chunk not followed by CRLF")


# ---- response side ----------------------------------------------------------

def cased(name, n):
    """The same header name in one of four spellings, picked by n."""
    style = n % 4
    if style == 1:
        return name.lower()
    if style == 2:
        return name.upper()
    if style == 3:
        return "-".join(p[:1].upper() + p[1:].lower() for p in name.split("-"))
    return name


def head_bytes(status, headers, n):
    lines = ["HTTP/1.1 %d %s" % (status, REASONS.get(status, "Status"))]
    lines += ["%s: %s" % (cased(k, n + i), v) for i, (k, v) in enumerate(headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def std_headers():
    return [("Date", email.utils.formatdate(usegmt=True))]


def chunk_frames(pieces, n):
    """Re-cut a body into uneven chunks: 100..700 bytes at first, bigger later,
    so small bodies still arrive in several chunks. Sizes depend on n only."""
    rng = random.Random(n)
    fmt = "%X\r\n" if n % 2 else "%x\r\n"
    pending = bytearray()
    sent = 0
    want = rng.randint(100, 700)
    for piece in pieces:
        pending += piece
        while len(pending) >= want:
            yield (fmt % want).encode() + bytes(pending[:want]) + b"\r\n"
            del pending[:want]
            sent += want
            want = rng.randint(100, 700) if sent < 8192 else rng.randint(2048, 16384)
    if pending:
        yield (fmt % len(pending)).encode() + bytes(pending) + b"\r\n"
    yield b"0\r\n\r\n"


def iter_body(body):
    if isinstance(body, (bytes, bytearray)):
        yield bytes(body)
    else:
        yield from body


def send_response(sock, resp, n, chunked, extra_headers=()):
    """Write a whole response: one sendall unless the body is big and streamed."""
    headers = list(resp.headers) + list(extra_headers)
    if chunked:
        headers.append(("Transfer-Encoding", "chunked"))
        out = bytearray(head_bytes(resp.status, headers, n))
        for frame in chunk_frames(iter_body(resp.body), n):
            out += frame
            if len(out) >= BIG_WRITE:
                sock.sendall(out)
                out = bytearray()
        if out:
            sock.sendall(out)
    else:
        body = resp.body_bytes()
        headers.append(("Content-Length", str(len(body))))
        sock.sendall(head_bytes(resp.status, headers, n) + body)


# ---- codecs -----------------------------------------------------------------

def percent_decode(s, plus=False):
    """Strict percent-decoding to UTF-8 text: a stray '%' or bad UTF-8 is an error."""
    raw = s.encode("latin-1") if isinstance(s, str) else bytes(s)
    if plus:
        raw = raw.replace(b"+", b" ")
    out = bytearray()
    i = 0
    while i < len(raw):
        c = raw[i]
        if c == 0x25:
            h = raw[i + 1:i + 3]
            if len(h) != 2 or not all(x in b"0123456789abcdefABCDEF" for x in h):
                raise ValueError("bad percent-escape at byte %d" % i)
            out.append(int(h, 16))
            i += 3
        else:
            out.append(c)
            i += 1
    return out.decode("utf-8")  # raises UnicodeDecodeError (a ValueError) on bad UTF-8


def decode_form(body):
    """application/x-www-form-urlencoded -> [(name, value)]."""
    if isinstance(body, (bytes, bytearray)):
        try:
            body = bytes(body).decode("ascii")
        except UnicodeDecodeError:
            raise ValueError("raw non-ASCII byte in form body: it must be percent-encoded") from None
    pairs = []
    for field in body.split("&"):
        if not field:
            continue
        k, _, v = field.partition("=")
        pairs.append((percent_decode(k, True), percent_decode(v, True)))
    return pairs
