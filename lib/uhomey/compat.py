# The one place where MicroPython and CPython differ. Everything else in
# uhomey imports from here instead of guessing which interpreter it is on.
import os
import sys
import time

MICROPYTHON = sys.implementation.name == "micropython"

try:
    from micropython import const
except ImportError:
    def const(x):
        return x

# ticks: MicroPython's wrap-around millisecond clock. On CPython we emulate it
# with the ESP32's period (2**30) so wrap-around code paths are the same.
if hasattr(time, "ticks_ms"):
    ticks_ms = time.ticks_ms
    ticks_diff = time.ticks_diff
    ticks_add = time.ticks_add
    sleep_ms = time.sleep_ms
else:
    _PERIOD = 1 << 30
    _HALF = _PERIOD >> 1

    def ticks_ms():
        return int(time.monotonic() * 1000) & (_PERIOD - 1)

    def ticks_add(t, delta):
        return (t + delta) & (_PERIOD - 1)

    def ticks_diff(a, b):
        return ((a - b + _HALF) & (_PERIOD - 1)) - _HALF

    def sleep_ms(ms):
        time.sleep(ms / 1000)


def wall_time():
    """Seconds since the Unix epoch, or None when the clock was never set.

    An ESP32 without NTP starts in 2000; such a clock cannot judge a token's
    expiry across reboots, so callers fall back to asking the server.
    """
    t = time.time()
    if MICROPYTHON and time.gmtime(0)[0] == 2000:
        t += 946684800
    if t < 1700000000:
        return None
    return int(t)


# TLS: `tls` on MicroPython >= 1.23, `ssl` (with SSLContext) elsewhere.
try:
    import tls as _tls
except ImportError:
    import ssl as _tls

TLS_ERRORS = (ValueError,)
if not MICROPYTHON:
    TLS_ERRORS = (_tls.SSLError, ValueError)


def pem_to_der(data):
    """Every certificate in a PEM blob as DER bytes (the unix port cannot read PEM)."""
    from binascii import a2b_base64

    out = []
    begin = b"-----BEGIN CERTIFICATE-----"
    end = b"-----END CERTIFICATE-----"
    i = data.find(begin)
    while i >= 0:
        j = data.find(end, i)
        if j < 0:
            break
        out.append(a2b_base64(b"".join(data[i + len(begin):j].split())))
        i = data.find(begin, j)
    return out


def tls_context(cas, verify):
    """A client context trusting `cas` (list of DER bytes). Built once per trust setting."""
    ctx = _tls.SSLContext(_tls.PROTOCOL_TLS_CLIENT)
    if not verify:
        if not MICROPYTHON:
            ctx.check_hostname = False
        ctx.verify_mode = _tls.CERT_NONE
        return ctx
    ctx.verify_mode = _tls.CERT_REQUIRED
    if MICROPYTHON:
        for der in cas:
            ctx.load_verify_locations(der)
    elif cas:
        ctx.load_verify_locations(cadata=b"".join(cas))
    else:
        ctx.load_default_certs()
    return ctx


def tls_wrap(ctx, sock, host):
    return ctx.wrap_socket(sock, server_hostname=host)


# Files
def path_join(base_dir, name):
    if not name or name[0] == "/" or not base_dir:
        return name
    return base_dir.rstrip("/") + "/" + name


def dirname(path):
    i = path.rfind("/")
    if i < 0:
        return ""
    return path[:i] or "/"


def exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def write_atomic(path, data, private=False):
    """Write bytes to path.tmp, then rename over path: a reader sees old or new, never half."""
    tmp = path + ".tmp"
    if private and not MICROPYTHON:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.chmod(tmp, 0o600)
        f = os.fdopen(fd, "wb")
    else:
        f = open(tmp, "wb")
    try:
        f.write(data)
        f.flush()
        if not MICROPYTHON:
            os.fsync(f.fileno())
    finally:
        f.close()
    os.rename(tmp, path)
