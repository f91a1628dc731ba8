"""Fault switches: a few requests get a broken answer instead of the normal one.

500, 429 and html replace the handler (nothing happens server-side); close,
truncated_*, reset and a stall that ends in an answer run the handler first, as
a real server would have done the work before the answer got lost. no_location
and no_csrf run the handler and send its answer with a piece missing.
"""
import json
import re
import threading

from .wire import head_bytes, html_response, json_error

KINDS = ("500", "429", "html", "truncated_chunked", "truncated_length", "reset", "stall", "close",
         "no_location", "no_csrf")
_CSRF_INPUT = re.compile(rb"<input[^>]*\b_csrf\b[^>]*>", re.I | re.S)
PARAMS = {"429": {"retry_after"}, "stall": {"seconds", "then"}}

CAPTIVE_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Guest Wi-Fi</title></head>
<body><h1>Welcome to Guest Wi-Fi</h1>
<p>Please accept the terms of use to continue browsing.</p>
<form method="post" action="/accept"><input type="checkbox" name="terms"> I agree
<button type="submit">Connect</button></form></body></html>
"""

_FILLER = json.dumps({"code": 200, "note": "filler so a short answer can still be cut in half",
                      "pad": "x" * 200}).encode()


class Fault:
    def __init__(self, kind, path, role, count, params, homey=None, which=None):
        if kind not in KINDS:
            raise ValueError("unknown fault kind %r (one of %s)" % (kind, ", ".join(KINDS)))
        unknown = set(params) - PARAMS.get(kind, set())
        if unknown:  # a typo would otherwise silently give the default
            raise ValueError("fault %r takes no parameter %s" % (kind, ", ".join(sorted(unknown))))
        if params.get("then", "answer") not in ("answer", "close"):
            raise ValueError('stall then= must be "answer" or "close"')
        self.kind = kind
        self.path = path
        self.role = role
        self.remaining = count
        self.params = params
        self.homey = homey
        self.which = which
        self.hits = 0

    def matches(self, listener, req):
        return ((self.role is None or self.role == listener.role)
                and (self.path is None or req.path.startswith(self.path))
                and (self.homey is None or self.homey == listener.homey)
                and (self.which is None or self.which == listener.which))

    def __repr__(self):
        return "<Fault %s path=%s role=%s remaining=%d hits=%d>" % (
            self.kind, self.path, self.role, self.remaining, self.hits)


class FaultBook:
    def __init__(self):
        self._lock = threading.Lock()
        self.items = []

    def add(self, fault):
        with self._lock:
            self.items.append(fault)
        return fault

    def take(self, listener, req):
        with self._lock:
            for f in self.items:
                if f.remaining > 0 and f.matches(listener, req):
                    f.remaining -= 1
                    f.hits += 1
                    return f
        return None

    def clear(self):
        with self._lock:
            self.items = []


def apply(stop_event, sock, req, fault, respond, n, send_normal):
    """Answer `req` the broken way; -> "keep", "close" or "reset" (what to do with the connection)."""
    kind = fault.kind
    if kind == "500":
        req.status = 500
        send_normal(json_error(500, "internal_server_error", "Simulated fault: internal server error"))
        return "keep"
    if kind == "429":
        retry = fault.params.get("retry_after", 2)
        req.status = 429
        send_normal(json_error(429, "too_many_requests", "Simulated fault: rate limited, retry later",
                               headers=[("Retry-After", str(retry))]))
        return "keep"
    if kind == "html":
        req.status = 200
        send_normal(html_response(CAPTIVE_PAGE))
        return "keep"
    if kind == "close":
        resp = respond()
        req.status = resp.status
        send_normal(resp, announce_close=False)
        return "close"
    if kind in ("no_location", "no_csrf"):
        resp = respond()
        if kind == "no_location":
            resp.headers = [(k, v) for k, v in resp.headers if k.lower() != "location"]
        else:
            resp.body = _CSRF_INPUT.sub(b"", resp.body_bytes())
        req.status = resp.status
        send_normal(resp)
        return "keep"
    if kind == "stall":
        req.status = 0
        stop_event.wait(fault.params.get("seconds", 30))
        if stop_event.is_set() or fault.params.get("then", "answer") != "answer":
            return "close"
        resp = respond()
        req.status = resp.status
        send_normal(resp)
        return "keep"

    # the real answer's own headers go out (X-Homey-ID, Set-Cookie...), its framing does not
    resp = respond()
    body = resp.body_bytes()
    if len(body) < 16:
        body = _FILLER
    req.status = 200
    headers = [("Content-Type", "application/json; charset=utf-8")]
    headers += [(k, v) for k, v in resp.headers if k.lower() != "content-type"]
    if kind == "truncated_chunked":
        # one whole chunk, then a chunk that stops half-way and never ends
        first, rest = body[:len(body) // 3], body[len(body) // 3:]
        head = head_bytes(200, headers + [("Transfer-Encoding", "chunked")], n)
        sock.sendall(head + b"%x\r\n%s\r\n" % (len(first), first)
                     + b"%x\r\n" % len(rest) + rest[:len(rest) // 2])
        return "close"
    head = head_bytes(200, headers + [("Content-Length", str(len(body)))], n)
    sock.sendall(head + body[:len(body) // 2])
    return "reset" if kind == "reset" else "close"
