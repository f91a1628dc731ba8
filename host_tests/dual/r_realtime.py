# Drives uhomey.realtime (CPython and MicroPython) against the simulator: polls a
# Realtime until enough changes came in, and reports what poll() said and when.
import gc

from uhomey.compat import sleep_ms, ticks_diff, ticks_ms
from uhomey.realtime import AUTH, DOWN, UP, Realtime

NAMES = {UP: "UP", DOWN: "DOWN", AUTH: "AUTH"}


def tls_context(ca_der_path):
    with open(ca_der_path, "rb") as f:
        der = f.read()
    try:
        import tls
    except ImportError:  # CPython
        import ssl

        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(cadata=der)
        return ctx
    ctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
    ctx.verify_mode = tls.CERT_REQUIRED
    ctx.load_verify_locations(der)
    return ctx


def _heap():
    if not hasattr(gc, "mem_alloc"):
        return None
    gc.collect()
    return gc.mem_alloc()


def run(url, token, homey_id, watches, changes_wanted, timeout_ms, opts=None):
    """watches: [[device id, [caps] or None]]; opts: "ca" (DER path), "renew" (a token
    set_token() gets on AUTH), "own" (a transaction id marked as ours), "seed"
    ([device, cap, value] seeded on each UP), "stay_ms" (poll on this long after
    the changes came). -> {"said": [[status, ms since start, why]], "changes":
    [[device, cap, value, own]], "values": {"dev cap": value}, "heap": bytes the open
    link holds after a collection (MicroPython; None on CPython)}"""
    opts = opts or {}
    said, changes = [], []
    base = _heap()
    ctx = tls_context(opts["ca"]) if opts.get("ca") else None
    rt = Realtime(url, token, homey_id, ctx=ctx,
                  on_change=lambda d, c, v, own: changes.append([d, c, v, own]))
    for dev, caps in watches:
        rt.watch(dev, caps)
    if opts.get("own"):
        rt.own(opts["own"])
    start = ticks_ms()
    done_at = None
    try:
        while ticks_diff(ticks_ms(), start) < timeout_ms:
            st = rt.poll()
            if st is not None:
                said.append([NAMES[st], ticks_diff(ticks_ms(), start), rt.why])
                if st == AUTH and opts.get("renew"):
                    rt.set_token(opts["renew"])
                if st == UP and opts.get("seed"):
                    rt.seed(*opts["seed"])
            if done_at is None and len(changes) >= changes_wanted:
                done_at = ticks_ms()
            if done_at is not None and ticks_diff(ticks_ms(), done_at) >= opts.get("stay_ms", 0):
                break
            sleep_ms(2)
        values = {}
        for dev, caps in watches:
            for cap in caps or ():
                values[dev + " " + cap] = rt.value(dev, cap)
        heap = _heap()
        return {"said": said, "changes": changes, "values": values,
                "heap": None if heap is None else heap - base}
    finally:
        rt.close()
