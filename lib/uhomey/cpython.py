# CPython stand-ins for what MicroPython has built in: const(), the wrap-around
# millisecond clock (with the ESP32's period, 2**30, so wrap-around code paths
# run the same on a PC), and the CPython-only branches of file, socket and TLS
# code. Never imported on the device (compat.py picks it on CPython only).
import os
import time

_PERIOD = 1 << 30
_HALF = _PERIOD >> 1


def const(x):
    return x


def ticks_ms():
    return int(time.monotonic() * 1000) & (_PERIOD - 1)


def ticks_add(t, delta):
    return (t + delta) & (_PERIOD - 1)


def ticks_diff(a, b):
    return ((a - b + _HALF) & (_PERIOD - 1)) - _HALF


def sleep_ms(ms):
    time.sleep(ms / 1000)


def write_private(path, data):
    """path written with mode 0600 from the start, flushed to disk."""
    f = os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb")
    try:
        os.chmod(path, 0o600)
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    finally:
        f.close()


def readable(sock):
    """True when the socket (or the TLS layer over it) has something to read now."""
    import select

    if getattr(sock, "pending", None) and sock.pending():
        return True
    return bool(select.select([sock], [], [], 0)[0])


def ssl_context(cas, verify):
    """CPython's client context: trusting `cas` (DER list), the system's CAs when there are
    none, or anyone with verify=False."""
    import ssl

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    if cas:
        ctx.load_verify_locations(cadata=b"".join(cas))
    else:
        ctx.load_default_certs()
    return ctx
