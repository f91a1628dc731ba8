# Who the Homey calls are made as, and where they go.
#   ApiKey: a Homey Pro local API key; no Athom call, ever.
#   Cloud:  Athom tokens -> delegation -> Homey session, each renewed only when
#           the layer above it is refused, and never in a loop.
from . import log
from .compat import ticks_add, ticks_diff, ticks_ms, wall_time
from .errors import AuthError, HTTPError, NetworkError, ProtocolError
from .form import basic_auth, quote, urlencode
from .http import error_text, origin_of, raise_for

LOGIN_BACKOFF_MS = 15 * 60 * 1000  # after a refused password, do not try again for this long
REDISCOVER_MS = 60 * 1000
PROBE_TIMEOUT = 3
EXPIRY_MARGIN_S = 60
_FORM = ("Content-Type", "application/x-www-form-urlencoded")
_JSON = ("Content-Type", "application/json")


class ApiKey:
    mode = "apikey"

    def __init__(self, cfg, store, http):
        self.url = cfg["homey"]["url"]
        self._key = cfg["homey"]["api_key"]
        self.cfg = cfg
        self.store = store

    @property
    def homey_id(self):
        return self.cfg["homey"]["id"] or self.store.get("homey_id") or None

    def base(self):
        return self.url

    def bearer(self):
        return self._key

    def renew(self):
        raise AuthError("the Homey refused the API key in homey.api_key: create a new one in the Homey app "
                        "(Settings > API Keys) with the scopes this button needs", 401)

    def rediscover(self):
        return False


class Cloud:
    mode = "cloud"

    def __init__(self, cfg, store, http, clock=ticks_ms):
        self.cfg = cfg
        self.athom = cfg["athom"]
        self.store = store
        self.http = http
        self.clock = clock
        self._login_refused = None  # (ticks, error) of a refused password login
        self._discovered = None
        self._exp_tick = None

    @property
    def homey_id(self):
        return self.store.get("homey_id") or self.cfg["homey"]["id"] or None

    # --- the Homey side -------------------------------------------------
    def base(self):
        url = self.cfg["homey"]["url"] or self.store.get("homey_url")
        return url or self.discover()

    def bearer(self):
        return self.store.get("homey_session") or self.renew()

    def renew(self):
        """A new Homey session: delegation token from the cloud, then the Homey's login."""
        token = self._cloud_json("POST", "/delegation/token?audience=homey", "{}", "getting a delegation token")
        if not isinstance(token, str):
            raise ProtocolError("the delegation token answer is not a JSON string; try again later")
        base = self.base()
        hid = self.homey_id
        headers = [_JSON]
        if hid:
            headers.append(("X-Homey-ID", hid))
        r = self.http.request("POST", base + "/api/manager/users/login",
                              body='{"token":"%s"}' % token, headers=headers)
        if r.status != 200:
            raise_for(r, "starting a session on the Homey")
        session = r.json(2048)
        if not isinstance(session, str) or not session:
            raise ProtocolError("the Homey's login answer is not a session string; try again later")
        self.store.update(homey_session=session)
        self.http.close(origin_of(self.athom["api_url"]))
        log.info("new Homey session")
        return session

    def rediscover(self):
        """After the Homey's address stopped answering: look it up again (at most once a minute)."""
        if self.cfg["homey"]["url"]:
            return False
        now = self.clock()
        if self._discovered is not None and ticks_diff(now, self._discovered) < REDISCOVER_MS:
            return False
        old = self.store.get("homey_url")
        return self.discover() != old

    def discover(self):
        """Pick the Homey's address: localUrl, localUrlSecure, remoteUrl, by ping with a matching X-Homey-ID."""
        self._discovered = self.clock()
        info = self._user_homey()
        hid = info["id"]
        tried = []
        for key in ("localUrl", "localUrlSecure", "remoteUrl", "remoteUrlForwarded"):
            url = info.get(key)
            if not url or url in tried:
                continue
            tried.append(url)
            url = url.rstrip("/")
            if self._ping(url, hid):
                self.store.update(homey_url=url, homey_id=hid, api_version=info.get("apiVersion") or 3)
                log.info("reaching the Homey at %s", url)
                return url
        raise NetworkError("none of Homey %s's addresses answered (tried %d); is it online and on this network?"
                           % (hid, len(tried)))

    def _ping(self, url, hid):
        try:
            r = self.http.request("GET", "%s/api/manager/system/ping?id=%s" % (url, quote(hid)),
                                  timeout=PROBE_TIMEOUT)
        except (NetworkError, ProtocolError) as e:
            log.info("%s does not answer: %s", origin_of(url), e)
            return False
        got = r.header("x-homey-id")
        r.close()
        if 200 <= r.status < 300 and got == hid:
            return True
        log.info("%s answers as another Homey (or HTTP %d); skipped", origin_of(url), r.status)
        self.http.close(origin_of(url))
        return False

    def _user_homey(self):
        from .jscan import JsonScanner

        r = self._cloud("GET", "/user/me", None, "reading the account (user/me)")
        want = self.homey_id  # after the call: it may have logged in and learned it
        if not r.is_json():
            r.json()  # raises the content-type error
        sc = JsonScanner(r.readinto, 256, "the account (user/me)")
        found = []
        pick = None
        for k in sc.keys():
            if k != "homeys":
                sc.skip()
                continue
            for _ in sc.items():
                h = {}
                for hk in sc.keys():
                    if hk in ("_id", "id", "name", "apiVersion", "platform", "localUrl", "localUrlSecure",
                              "remoteUrl", "remoteUrlForwarded"):
                        h[hk] = sc.value(300)
                    else:
                        sc.skip()
                hid = h.get("_id") or h.get("id")
                if not isinstance(hid, str):
                    continue
                h["id"] = hid
                found.append(hid)
                if hid == want or (want is None and pick is None):
                    pick = h
        r.close()
        if pick is not None and (want is not None or len(found) == 1):
            return pick
        if want is None and found:
            raise AuthError("this account has several Homeys (%s): set homey.id in the config to the one to use"
                            % ", ".join(found))
        raise AuthError("Homey %s is not on this Athom account (it has: %s); check homey.id"
                        % (want or "?", ", ".join(found) or "none"))

    # --- the cloud side ---------------------------------------------------
    def _cloud(self, method, path, body, step):
        """A call to the Athom API with the access token: on a 401, refresh once and retry once."""
        headers = [None]
        if body is not None:
            headers.append(_JSON)
        for attempt in (0, 1):
            headers[0] = ("Authorization", "Bearer " + self._access())
            r = self.http.request(method, self.athom["api_url"] + path, body=body, headers=headers)
            if r.status == 401 and attempt == 0:
                r.close()
                log.info("%s: access token refused, refreshing", step)
                self._refresh()
                continue
            if r.status >= 400:
                raise_for(r, step)
            return r

    def _cloud_json(self, method, path, body, step):
        return self._cloud(method, path, body, step).json(8192)

    def _access(self):
        tok = self.store.get("access_token")
        if not tok:
            self._refresh()
        elif self._expired():
            log.info("access token expired, refreshing")
            self._refresh()
        return self.store.get("access_token")

    def _expired(self):
        if self._exp_tick is not None:
            return ticks_diff(self._exp_tick, self.clock()) <= 0
        exp = self.store.get("access_expires", 0)
        now = wall_time()
        return bool(exp and now and now >= exp)

    def _token_request(self, pairs, step):
        """POST /oauth2/token with the client authenticated one way only (Basic or form)."""
        a = self.athom
        pairs = list(pairs)
        headers = [_FORM]
        if a["client_auth"] == "basic":
            headers.append(("Authorization", basic_auth(a["client_id"], a["client_secret"])))
        else:
            pairs.append(("client_id", a["client_id"]))
            pairs.append(("client_secret", a["client_secret"]))
        r = self.http.request("POST", a["api_url"] + "/oauth2/token", body=urlencode(pairs), headers=headers)
        if r.status != 200:
            if r.status == 401:
                text, code = error_text(r)
                if code == "invalid_client":
                    raise AuthError("%s: Athom refused athom.client_id / athom.client_secret (%s)"
                                    % (step, text or "invalid_client"), 401, None, code)
                raise AuthError("%s: refused (%s)" % (step, text or "HTTP 401"), 401, None, code)
            raise_for(r, step)
        data = r.json(4096)
        if not isinstance(data, dict):
            raise ProtocolError("%s: the token answer is not a JSON object" % step)
        for key in ("access_token", "refresh_token"):
            if not isinstance(data.get(key), str) or not data[key]:
                raise ProtocolError("%s: the token answer has no %s" % (step, key))
        return data

    def _keep(self, data, **more):
        """Persist a token answer before anything uses it: the old refresh token is already dead."""
        life = data.get("expires_in")
        if not isinstance(life, int) or isinstance(life, bool) or life <= 0:
            life = 3600
        now = wall_time()
        self._exp_tick = ticks_add(self.clock(), (life - EXPIRY_MARGIN_S) * 1000)
        self.store.update(refresh_token=data["refresh_token"], access_token=data["access_token"],
                          access_expires=(now + life - EXPIRY_MARGIN_S) if now else 0, **more)

    def _refresh(self):
        rt = self.store.get("refresh_token")
        if not rt:
            return self._login()
        try:
            data = self._token_request((("grant_type", "refresh_token"), ("refresh_token", rt)),
                                       "refreshing the Athom token")
        except HTTPError as e:
            if e.status not in (400, 401) or e.code == "invalid_client":
                raise
            log.warning("the stored refresh token is dead (%s)", e.code or e.status)
            self.store.update(refresh_token=None, access_token=None, access_expires=None)
            if self.athom["email"] and self.athom["password"]:
                return self._login()
            raise AuthError("the stored Athom login has expired or was revoked: put athom.email and "
                            "athom.password (and athom.otp for 2FA) in the config and call uhomey.connect() "
                            "again", e.status, None, e.code)
        self._keep(data)
        log.info("Athom token refreshed")

    def _login(self):
        now = self.clock()
        if self._login_refused is not None:
            at, err = self._login_refused
            if ticks_diff(now, at) < LOGIN_BACKOFF_MS:
                raise err
        from . import login

        try:
            data, hid = login.password_login(self.http, self.cfg, self._token_request)
        except AuthError as e:
            if e.status in (400, 401, 403):
                self._login_refused = (now, e)
            raise
        changes = {}
        if hid and hid != self.store.get("homey_id"):
            changes = {"homey_id": hid, "homey_url": None, "homey_session": None, "names": None}
        self._keep(data, **changes)
        log.info("logged in to Athom")
