"""The HTTP/1.1 server core: listeners, connection threads, the request log.

Written on raw sockets so each normal response leaves in one write with
TCP_NODELAY set: otherwise Nagle + delayed ACK adds ~40 ms to every keep-alive
request and hides what the client really costs.
"""
import select
import socket
import ssl
import struct
import sys
import threading
import time
import traceback

from . import faults as faultmod
from .realtime import is_upgrade
from .wire import (MAX_HEAD, HttpError, Reader, Request, json_error, parse_head, read_body,
                   send_response, std_headers)

POLL = 0.05


class Listener:
    """One listening socket: a (role, scheme) pair, or one of a Homey's three."""

    def __init__(self, role, scheme, homey=None, which=None):
        self.role = role
        self.scheme = scheme
        self.tls = scheme == "https"
        self.homey = homey
        self.which = which
        self.port = 0
        self.sock = None
        self.accepting = True
        self.impostor = False
        self.ssl_ctx = None  # a context of its own (a forged certificate); None: the server's
        self.thread = None

    def bind(self, listen):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.port))
        if listen:
            s.listen(64)
        self.port = s.getsockname()[1]
        self.sock = s

    @property
    def name(self):
        return self.role if self.homey is None else "homey%d.%s" % (self.homey, self.which)


class Connection:
    """Record of one accepted connection (Simulator.connections)."""

    def __init__(self, cid, listener, peer):
        self.id = cid
        self.role = listener.role
        self.scheme = listener.scheme
        self.tls = listener.tls
        self.homey = listener.homey
        self.listener = listener.which
        self.peer = peer
        self.opened = time.time()
        self.requests = 0
        self.closed = False
        self.handshake = False
        self.nodelay = False
        self.idle = False
        self.sending = False
        self.sock = None
        self.thread = None

    def __repr__(self):
        return "<Connection #%d %s/%s requests=%d%s>" % (
            self.id, self.role, self.scheme, self.requests, " closed" if self.closed else "")


class Server:
    def __init__(self, app, certfile, keyfile, force_chunked=None, idle_timeout=30.0):
        self.app = app
        self.force_chunked = force_chunked
        self.idle_timeout = idle_timeout
        self.ssl_ctx = self.tls_context(certfile, keyfile)
        self.listeners = []
        self.connections = []
        self.requests = []
        self.faults = faultmod.FaultBook()
        self.stop_event = threading.Event()
        self._lock = threading.Lock()
        self._n = 0
        self._conn_ids = 0
        self._live = {}   # id -> Connection still open; survives clear_log()

    @staticmethod
    def tls_context(certfile, keyfile):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(certfile, keyfile)
        return ctx

    # ---- lifecycle -----------------------------------------------------------

    def add_listener(self, listener):
        listener.bind(listen=True)
        self.listeners.append(listener)
        return listener

    def start(self):
        for lst in self.listeners:
            lst.thread = threading.Thread(target=self._accept_loop, args=(lst,),
                                          name="sim-accept-" + lst.name, daemon=True)
            lst.thread.start()

    def stop(self, timeout=1.5):
        self.stop_event.set()
        for lst in self.listeners:
            _quiet(lst.sock.close)
        with self._lock:
            conns = list(self._live.values())
        for c in conns:
            self._shutdown(c)
        deadline = time.monotonic() + timeout
        for t in [lst.thread for lst in self.listeners] + [c.thread for c in conns]:
            if t is not None and t is not threading.current_thread():
                t.join(max(0.0, deadline - time.monotonic()))
        for c in conns:
            self._close(c)

    # ---- switches --------------------------------------------------------------

    def set_accepting(self, lst, on):
        """Off: the port stays bound but does not listen, so connects are refused."""
        with self._lock:
            if on == lst.accepting:
                return
            lst.accepting = on
            if on:
                lst.sock.listen(64)
                return
            old = lst.sock
            # shutdown stops the listen even while the accept thread's select()
            # still holds the socket; rebinding at once keeps the port ours
            _quiet(old.shutdown, socket.SHUT_RDWR)
            old.close()
            deadline = time.monotonic() + 1.0
            while True:
                try:
                    lst.bind(listen=False)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.01)
        self.close_where(lambda c: c.role == lst.role and c.homey == lst.homey
                         and c.listener == lst.which and c.scheme == lst.scheme)

    def close_where(self, pred):
        with self._lock:
            victims = [c for c in self._live.values() if pred(c)]
        for c in victims:
            self._shutdown(c)
        return len(victims)

    def drop_idle(self):
        # A connection that just wrote its answer is about to idle: the caller has
        # usually read that answer already, so wait for it rather than miss it.
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:
            with self._lock:
                if not any(c.sending for c in self._live.values()):
                    break
            time.sleep(0.005)
        return self.close_where(lambda c: c.idle)

    def clear_log(self):
        with self._lock:
            del self.requests[:]
            del self.connections[:]

    def next_n(self):
        with self._lock:
            self._n += 1
            return self._n

    # ---- accept and serve -------------------------------------------------------

    def _accept_loop(self, lst):
        while not self.stop_event.is_set():
            sock = lst.sock
            if not lst.accepting:
                self.stop_event.wait(POLL)
                continue
            try:
                ready, _, _ = select.select([sock], [], [], POLL)
                if not ready:
                    continue
                raw, peer = sock.accept()
            except (OSError, ValueError):
                continue  # the socket was swapped or closed under us
            if not lst.accepting:
                raw.close()
                continue
            with self._lock:
                if self.stop_event.is_set():
                    raw.close()
                    return
                self._conn_ids += 1
                conn = Connection(self._conn_ids, lst, peer)
                conn.sock = raw
                self.connections.append(conn)
                self._live[conn.id] = conn
            conn.thread = threading.Thread(target=self._serve, args=(conn, lst),
                                           name="sim-conn-%d" % conn.id, daemon=True)
            conn.thread.start()

    def _serve(self, conn, lst):
        raw = conn.sock
        outcome = "close"
        try:
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.nodelay = bool(raw.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            sock = raw
            if lst.tls:
                raw.settimeout(min(self.idle_timeout, 10.0))
                # wrap_socket detaches `raw`: from here on only the SSLSocket owns the fd
                ctx = lst.ssl_ctx or self.ssl_ctx
                sock = ctx.wrap_socket(raw, server_side=True, do_handshake_on_connect=False)
                conn.sock = sock
                if self.stop_event.is_set() or conn.closed:
                    return
                sock.do_handshake()
                conn.handshake = True
            sock.settimeout(self.idle_timeout)
            reader = Reader(sock)
            while not self.stop_event.is_set() and not conn.closed:
                outcome = self._one(conn, lst, sock, reader)
                if outcome != "keep":
                    break
        except (OSError, EOFError, ValueError, ssl.SSLError):
            pass
        finally:
            if outcome == "reset":
                # linger on with a zero timeout: close() sends RST instead of FIN
                _quiet(conn.sock.setsockopt, socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self._close(conn)
            else:
                self._shutdown(conn)
                self._close(conn)

    def _one(self, conn, lst, sock, reader):
        def waiting(idle):
            conn.idle = idle
            conn.sending = False

        try:
            method, target, version, headers = parse_head(reader.read_head(MAX_HEAD, waiting))
            if any(k.lower() == "expect" and v.lower() == "100-continue" for k, v in headers):
                sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            body = read_body(reader, headers)
        except HttpError as e:
            resp = json_error(e.status, "bad_request", str(e))
            _quiet(self._send, sock, resp, False)
            return "close"

        req = Request(conn.id, lst.role, lst.scheme, method, target, version, headers, body)
        req.homey, req.listener = lst.homey, lst.which
        req.first_byte = reader.first_byte
        conn_hdr = ",".join(v for k, v in headers if k.lower() == "connection").lower()
        keep = "close" not in conn_hdr and (version != "HTTP/1.0" or "keep-alive" in conn_hdr)

        def respond():
            try:
                return self.app.handle(lst, req)
            except Exception:
                traceback.print_exc(file=sys.stderr)
                return json_error(500, "simulator_bug", "the simulator raised; see its stderr")

        def log(status):
            req.status = status
            with self._lock:
                conn.requests += 1
                self.requests.append(req)

        fault = self.faults.take(lst, req)
        if fault is None and lst.homey is not None and is_upgrade(req):
            # the realtime socket: refused with an error, or served to its end
            refused = self.app.refuse_upgrade(lst, req)
            log(101 if refused is None else refused.status)
            if refused is not None:
                self._send(sock, refused, False)
            else:
                self.app.realtime.serve(sock, reader, self.app.homeys[lst.homey], req, self.stop_event)
            return "close"
        if fault is None:
            resp = respond()
            log(resp.status)
            conn.sending = keep
            self._send(sock, resp, keep)
            return "keep" if keep else "close"

        req.fault = fault.kind
        log(None)
        n = self.next_n()

        def send_normal(resp, announce_close=True):
            self._send(sock, resp, keep or not announce_close, n)

        outcome = faultmod.apply(self.stop_event, sock, req, fault, respond, n, send_normal)
        return outcome if (keep or outcome != "keep") else "close"

    def _send(self, sock, resp, keep, n=None):
        n = self.next_n() if n is None else n
        chunked = resp.chunked if self.force_chunked is None else self.force_chunked
        extra = std_headers()
        extra.append(("Connection", "keep-alive") if keep else ("Connection", "close"))
        if keep:
            extra.append(("Keep-Alive", "timeout=%d" % max(1, int(self.idle_timeout))))
        send_response(sock, resp, n, chunked, extra)

    # ---- closing ---------------------------------------------------------------

    def _shutdown(self, conn):
        """Unblocks a thread stuck in recv/sendall on this connection, and sends FIN."""
        if conn.sock is not None:
            # socket.socket.shutdown on an SSLSocket too: it acts on the fd and
            # leaves the SSL object alone for the thread still using it
            _quiet(socket.socket.shutdown, conn.sock, socket.SHUT_RDWR)

    def _close(self, conn):
        with self._lock:
            if conn.closed:
                return
            conn.closed = True
            conn.idle = conn.sending = False
            self._live.pop(conn.id, None)
        _quiet(conn.sock.close)


def _quiet(fn, *args):
    try:
        fn(*args)
    except (OSError, ValueError, ssl.SSLError):
        pass
