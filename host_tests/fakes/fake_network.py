# A fake `network` (station interface of the ESP32 port). Costs on the fake clock
# are round figures of the same order as published ESP32 timings, for ordering
# and counting in tests (never a benchmark): a full scan 2 s, joining by BSSID
# 250 ms, joining by name 1.5 s (the driver scans), DHCP 1.2 s.
from fakes import world as _w

STA_IF, AP_IF = 0, 1
STAT_IDLE, STAT_CONNECTING, STAT_GOT_IP = 1000, 1001, 1010
STAT_NO_AP_FOUND, STAT_WRONG_PASSWORD, STAT_CONNECT_FAIL = 201, 202, 203
SCAN_MS, JOIN_BSSID_MS, JOIN_SSID_MS, DHCP_MS, FAIL_MS = 2000, 250, 1500, 1200, 800
NO_ADDR = ("0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0")


def WLAN(interface=STA_IF):
    """The port's one station interface: every call returns the same object."""
    w = _w.current
    if w.wlan is None:
        w.wlan = _Station()
    return w.wlan


class _Station:
    def __init__(self):
        self._active = False
        self._status = STAT_IDLE
        self._ap = None
        self._static = None
        self._dhcp = None
        self._pending = None

    def active(self, on=None):
        if on is None:
            return self._active
        self._active = bool(on)
        if not on:
            self.disconnect()

    def scan(self):
        w = _w.current
        w.log.append(("scan",))
        w.clock.advance(SCAN_MS)
        return [(a["ssid"].encode(), a["bssid"], a["channel"], a["rssi"], 3, False) for a in w.aps]

    def connect(self, ssid, key, bssid=None):
        w = _w.current
        if not self._active:
            raise OSError("Wifi Not Started")
        w.log.append(("connect", ssid, bssid, self._static is not None))
        self.disconnect()
        self._status = STAT_CONNECTING
        aps = [a for a in w.aps if a["ssid"] == ssid and (bssid is None or a["bssid"] == bssid)]
        join = JOIN_BSSID_MS if bssid else JOIN_SSID_MS
        if not aps:
            self._pending = w.clock.at(join, lambda: self._fail(STAT_NO_AP_FOUND))
        elif aps[0]["password"] != key:
            self._pending = w.clock.at(join + FAIL_MS, lambda: self._fail(STAT_WRONG_PASSWORD))
        else:
            ap = aps[0]
            delay = join + (0 if self._static else DHCP_MS)
            self._pending = w.clock.at(delay, lambda: self._link(ap))

    def _fail(self, status):
        self._pending = None
        self._status = status

    def _link(self, ap):
        self._pending = None
        self._ap = ap
        self._dhcp = None if self._static else (ap["ip"], "255.255.255.0", "192.168.1.1", "192.168.1.1")
        self._status = STAT_GOT_IP

    def disconnect(self):
        if self._pending is not None:
            _w.current.clock.cancel(self._pending)
            self._pending = None
        self._ap = None
        self._status = STAT_IDLE

    def drop(self):
        """Test helper: the AP went away."""
        self._ap = None
        self._status = STAT_NO_AP_FOUND

    def isconnected(self):
        return self._ap is not None

    def status(self, param=None):
        if param == "rssi":
            return self._ap["rssi"]
        return self._status

    def ifconfig(self, cfg=None):
        if cfg is None:
            if self._ap is None:
                return NO_ADDR
            return self._static or self._dhcp
        self._static = None if cfg == "dhcp" else tuple(cfg)

    def config(self, *args, **kw):
        if args == ("channel",):
            return self._ap["channel"] if self._ap else 1
        if args == ("ssid",):
            return self._ap["ssid"] if self._ap else ""
        raise ValueError("unknown config param")
