# A fake `ntptime`: settime() costs 30 ms of the fake clock; world.ntp_fail makes the next ones time out.
from fakes import world as _w

host = "pool.ntp.org"
timeout = 1
RTT_MS = 30


def settime():
    w = _w.current
    linked = w.wlan is not None and w.wlan.isconnected()
    w.log.append(("ntp", host, linked))
    if w.ntp_fail or not linked:
        w.ntp_fail = max(0, w.ntp_fail - 1)
        w.clock.advance(timeout * 1000)
        raise OSError(110)  # ETIMEDOUT, as ntptime's socket raises it
    w.clock.advance(RTT_MS)
