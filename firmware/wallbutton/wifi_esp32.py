# Wi-Fi and the wall clock on an ESP32: the networks of the config's "wifi"
# section tried in order, a fast connect from what RTC memory kept of the last
# good connection, a bounded backoff between failed attempts, and NTP right
# after the first connection, before anything can open a TLS connection (a
# certificate check needs today's date; a fresh ESP32 thinks it is 2000).
from binascii import hexlify, unhexlify

import network

POLL_MS = 50  # how often a connect attempt checks the link
FAST_MS = 4000  # a fast connect that takes longer than this is not fast: scan instead
BACKOFF_MS = (2000, 5000, 15000, 60000, 300000)  # waits after 1, 2, 3, 4, 5+ failed up() calls
ADDR_KEEP_S = 3600  # reuse a DHCP address without asking this long (a lease is hours to days)
NTP_TRIES = 3
NTP_RESYNC_S = 24 * 3600  # after a deep-sleep wake the RTC kept time: ask NTP again only this often
ERRORS_KEPT = 5
# network.STAT_* where the port names them; the numbers are ESP-IDF's reason codes
STAT_WRONG_PASSWORD = getattr(network, "STAT_WRONG_PASSWORD", 202)
STAT_NO_AP_FOUND = getattr(network, "STAT_NO_AP_FOUND", 201)
STAT_CONNECT_FAIL = getattr(network, "STAT_CONNECT_FAIL", 203)
GIVE_UP = {STAT_WRONG_PASSWORD: "wrong password", STAT_NO_AP_FOUND: "network not found",
           STAT_CONNECT_FAIL: "connection refused"}


def _networks(w):
    from uhomey import ConfigError

    nets = w.get("networks")
    if not isinstance(nets, list) or not nets:
        raise ConfigError('config: wifi.networks must list at least one {"ssid": ..., "password": ...}')
    for i, n in enumerate(nets):
        if not isinstance(n, dict) or not isinstance(n.get("ssid"), str) or not n["ssid"]:
            raise ConfigError("config: wifi.networks[%d].ssid must be the network's name" % i)
        if not isinstance(n.get("password", ""), str):
            raise ConfigError("config: wifi.networks[%d].password must be a string (\"\" for an open network)" % i)
    return nets


def _static(w):
    from uhomey import ConfigError

    s = w.get("static")
    if s is None:
        return None
    keys = ("ip", "mask", "gw", "dns")
    if not isinstance(s, dict) or [k for k in keys if not isinstance(s.get(k), str)]:
        raise ConfigError('config: wifi.static must be null or {"ip": "192.168.1.50", "mask": "255.255.255.0", '
                          '"gw": "192.168.1.1", "dns": "192.168.1.1"}')
    return tuple(s[k] for k in keys)


class Wifi:
    def __init__(self, cfg, rtc, clock, log, reset_cause):
        w = cfg.get("wifi") or {}
        self.networks = _networks(w) if w else []
        self.static = _static(w)
        self.fast = w.get("fast", True)
        self.timeout_ms = int(w.get("timeout_s", 15) * 1000)
        self.ntp_host = (cfg.get("ntp") or {}).get("host", "pool.ntp.org")
        self.rtc = rtc
        self.clock = clock
        self.log = log
        self.reset_cause = reset_cause
        self.wlan = None
        self.fails = 0
        self.next_try = None  # tick before which up() does not try again
        self.via = None  # "fast" or "scan": how the link came up
        self.chosen = None  # (ssid, bssid bytes, channel) of the link
        self.addr_at = None  # epoch of the DHCP lease a fast connect reused (None: a fresh one)
        self.synced = False
        self._errors = []

    # -- status ----------------------------------------------------------
    def ok(self):
        return self.wlan is not None and self.wlan.isconnected()

    def errors(self):
        """The last few Wi-Fi and clock errors, oldest first."""
        return list(self._errors)

    def info(self):
        if self.wlan is None:  # a fresh object (the REPL's): the port's one station interface says
            self.wlan = network.WLAN(network.STA_IF)
        d = {"connected": self.ok(), "via": self.via, "clock_set": self.synced, "errors": self.errors()}
        if self.ok():
            ssid, bssid, channel = self.chosen or (self.wlan.config("ssid"), None, self.wlan.config("channel"))
            d.update(ssid=ssid, ip=self.wlan.ifconfig()[0], rssi=self.wlan.status("rssi"),
                     bssid=hexlify(bssid).decode() if bssid else None, channel=channel)
        return d

    def _error(self, msg, *args):
        msg = msg % args if args else msg
        self._errors = (self._errors + [msg])[-ERRORS_KEPT:]
        self.log.warning("%s", msg)

    # -- connecting ------------------------------------------------------
    def _sta(self):
        if self.wlan is None:
            self.wlan = network.WLAN(network.STA_IF)
        self.wlan.active(True)
        return self.wlan

    def up(self, timeout_ms=None):
        """Connect (at most timeout_ms, default wifi.timeout_s); True once linked and the clock
        tried. While backing off after failures, False at once."""
        if self.ok():
            return True
        now = self.clock.now()
        if self.next_try is not None and self.clock.diff(self.next_try, now) > 0:
            return False
        end = self.clock.add(now, timeout_ms or self.timeout_ms)
        if not self.networks:
            self._error("no Wi-Fi configured: add a wifi section with networks to config.json")
        if not (self.networks and (self._fast(end) or self._scan_and_join(end))):
            self.fails += 1
            wait = BACKOFF_MS[min(self.fails, len(BACKOFF_MS)) - 1]
            self.next_try = self.clock.add(self.clock.now(), wait)
            self._error("no Wi-Fi after %d attempt(s); next try in %d s", self.fails, wait // 1000)
            return False
        self.fails = 0
        self.next_try = None
        self._remember()
        self.log.info("Wi-Fi %s (%s) ip %s", self.chosen[0], self.via, self.wlan.ifconfig()[0])
        self.sync_time()
        return True

    def _password(self, ssid):
        for n in self.networks:
            if n["ssid"] == ssid:
                return n.get("password", "")
        return None

    def _fast(self, end):
        """Join the AP of the last good connection by BSSID, with its address (no scan, no DHCP)."""
        kept = self.rtc.load().get("wifi") if self.fast else None
        if not kept:
            return False
        pw = self._password(kept.get("ssid"))
        if pw is None:
            return False  # that network left the config
        wlan = self._sta()
        reused = None if self.static else self._kept_address(kept)
        addr = self.static or reused
        if addr:
            wlan.ifconfig(addr)
        bssid = unhexlify(kept["bssid"])
        wlan.connect(kept["ssid"], pw, bssid=bssid)
        budget = min(FAST_MS, self.clock.diff(end, self.clock.now()))
        if self._wait(self.clock.add(self.clock.now(), budget), kept["ssid"]):
            self.via = "fast"
            self.chosen = (kept["ssid"], bssid, kept.get("channel"))
            self.addr_at = kept["at"] if reused else None  # a reused lease keeps its age
            return True
        self.log.info("fast connect to %s failed; scanning", kept["ssid"])
        self._forget()
        if addr and not self.static:
            wlan.ifconfig("dhcp")
        return False

    def _kept_address(self, kept):
        addr, at = kept.get("addr"), kept.get("at")
        if not addr or not at:
            return None
        age = self.clock.epoch() - at
        return tuple(addr) if 0 <= age < ADDR_KEEP_S else None

    def _scan_and_join(self, end):
        """The configured networks in order: those the scan saw (strongest AP each) first."""
        wlan = self._sta()
        if self.static:
            wlan.ifconfig(self.static)
        seen = {}
        for entry in wlan.scan():  # (ssid, bssid, channel, rssi, security, hidden)
            ssid = entry[0].decode() if isinstance(entry[0], bytes) else entry[0]
            if ssid not in seen or entry[3] > seen[ssid][3]:
                seen[ssid] = entry
        order = [n for n in self.networks if n["ssid"] in seen]
        order += [n for n in self.networks if n["ssid"] not in seen]  # hidden, or missed by the scan
        for n in order:
            if self.clock.diff(end, self.clock.now()) <= 0:
                self._error("Wi-Fi: out of time before trying %s", n["ssid"])
                return False
            entry = seen.get(n["ssid"])
            if entry:
                wlan.connect(n["ssid"], n.get("password", ""), bssid=entry[1])
            else:
                wlan.connect(n["ssid"], n.get("password", ""))
            if self._wait(end, n["ssid"]):
                self.via = "scan"
                self.addr_at = None
                self.chosen = (n["ssid"], entry[1] if entry else None, entry[2] if entry else None)
                return True
        return False

    def _wait(self, end, ssid):
        wlan = self.wlan
        while self.clock.diff(end, self.clock.now()) > 0:
            if wlan.isconnected():
                return True
            why = GIVE_UP.get(wlan.status())
            if why:
                self._error("Wi-Fi %s: %s", ssid, why)
                wlan.disconnect()
                return False
            self.clock.sleep(POLL_MS)
        if wlan.isconnected():
            return True
        self._error("Wi-Fi %s: no connection within the time allowed", ssid)
        wlan.disconnect()
        return False

    def _remember(self):
        """Keep what makes the next connect fast (never the password: it stays in config.json)."""
        ssid, bssid, channel = self.chosen
        st = self.rtc.load()
        if not (self.fast and bssid):
            st.pop("wifi", None)
        else:
            st["wifi"] = {"ssid": ssid, "bssid": hexlify(bssid).decode(), "channel": channel,
                          "addr": list(self.wlan.ifconfig()), "at": self.addr_at or self.clock.epoch()}
        self.rtc.save(st)

    def _forget(self):
        st = self.rtc.load()
        if st.pop("wifi", None) is not None:
            self.rtc.save(st)

    def down(self):
        if self.wlan is not None:
            self.wlan.active(False)

    # -- clock -----------------------------------------------------------
    def sync_time(self):
        """Set the clock over NTP (bounded tries). True when it is set; a failure is logged with
        what it means: every certificate check fails until the date is right."""
        if self.synced:
            return True
        st = self.rtc.load()
        at = st.get("ntp_at")
        if self.reset_cause() == "deepsleep" and at and 0 <= self.clock.epoch() - at < NTP_RESYNC_S:
            self.synced = True  # the RTC counted through the sleep; no packet before the press's request
            return True
        if not self.ok():
            self._error("clock not set: no Wi-Fi yet (TLS would reject every certificate)")
            return False
        import ntptime

        ntptime.host = self.ntp_host
        why = None
        for _ in range(NTP_TRIES):
            try:
                ntptime.settime()
            except (OSError, OverflowError) as e:
                why = e
                continue
            self.synced = True
            st["ntp_at"] = self.clock.epoch()
            self.rtc.save(st)
            self.log.info("clock set over NTP from %s", self.ntp_host)
            return True
        self._error("clock not set: NTP from %s failed %d times (%r); TLS will reject the Homey's and "
                    "Athom's certificates until it is set -- check ntp.host and that UDP port 123 is open",
                    self.ntp_host, NTP_TRIES, why)
        return False
