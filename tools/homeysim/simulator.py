"""The Simulator: options, shared state, the clock, switches and accessors.

State (codes, tokens, approvals, every Homey's data) sits behind one RLock.
Expiries are judged on a simulated clock (`now()`, moved by `advance()`), so
tests can age codes, tokens and sessions without sleeping.
"""
import json
import os
import random
import shutil
import tempfile
import threading
import time

from . import certs
from .accounts import Accounts
from .cloud import Cloud, Webhooks
from .faults import Fault
from .homey import Homey
from .homey_api import HomeyApi
from .realtime import Realtime, upgrade_error
from .server import Listener, Server
from .tokens import JwtSigner, hex_id
from .wire import json_error

DEFAULT_PASSWORD = "p@ss+w&rd=100% ü"
DEFAULT_CLIENT_SECRET = "sim-secret-5f2b9c61e0d84a7f+/="
HOMEY_NAMES = ("Home", "Cottage", "Office", "Studio", "Boathouse", "Workshop")
HOMEY_LISTENERS = (("local", "http"), ("local_secure", "https"), ("remote", "https"))
CLOUD_ROLES = ("accounts", "api", "webhook")


class Simulator:
    def __init__(self, workdir=None, homeys=1, devices=3, otp=None, jwt_homey=None,
                 jwt_homey_key="homey", consent_variant=0, remember_consent=False,
                 force_chunked=None, idle_timeout=30, client_id="uhomey-sim-client",
                 client_secret=DEFAULT_CLIENT_SECRET, redirect_uri="http://localhost",
                 email="ada@example.com", password=DEFAULT_PASSWORD, seed=0,
                 client_name="uhomey", full_name="Ada Lovelace", code_lifetime=30):
        if jwt_homey_key not in ("homey", "homeyId", "homeys"):
            raise ValueError("jwt_homey_key must be homey, homeyId or homeys")
        if consent_variant not in (0, 1, 2):
            raise ValueError("consent_variant must be 0, 1 or 2")
        if otp is not None and not (isinstance(otp, str) and len(otp) == 6 and otp.isdigit()):
            raise ValueError("otp must be None or a 6-digit string")
        self.lock = threading.RLock()
        self._offset = 0.0
        self.workdir = workdir
        self._own_workdir = workdir is None
        self.otp = otp
        self.code_lifetime = code_lifetime  # seconds a login code lives (0: dead on arrival)
        self.jwt_homey_key = jwt_homey_key
        self.consent_variant = consent_variant
        self.remember_consent = remember_consent
        self.force_chunked = force_chunked
        self.idle_timeout = idle_timeout
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.client_name = client_name
        self.email = email
        self.password = password
        self.full_name = full_name
        self.user_id = hex_id(random.Random("user-%d" % seed))
        self.signer = JwtSigner()

        specs = homeys if isinstance(homeys, (list, tuple)) else [{} for _ in range(homeys)]
        if not specs:
            raise ValueError("an account needs at least one Homey")
        self.homeys = []
        for i, spec in enumerate(specs):
            self.homeys.append(Homey(self, i, spec.get("name", HOMEY_NAMES[i % len(HOMEY_NAMES)]),
                                     api_version=spec.get("api_version", 3),
                                     platform=spec.get("platform", "local"),
                                     devices=spec.get("devices", devices), seed=seed))
        self.jwt_homey = len(self.homeys) - 1 if jwt_homey is None else jwt_homey
        if not 0 <= self.jwt_homey < len(self.homeys):
            raise ValueError("jwt_homey %r: the account has %d Homeys" % (jwt_homey, len(self.homeys)))

        self.codes = {}
        self.access_tokens = {}
        self.refresh_tokens = {}
        self.approvals = {}      # client_id -> Homey id the user approved
        self.webhooks = []
        self._accounts = Accounts(self)
        self._cloud = Cloud(self)
        self._webhooks = Webhooks(self)
        self._homey_api = HomeyApi(self)
        self.realtime = Realtime(self)
        self._server = None
        self._listeners = {}
        self._stopped = False

    # ---- lifecycle -------------------------------------------------------------------

    def start(self):
        if self.workdir is None:
            self.workdir = tempfile.mkdtemp(prefix="homeysim-")
        self.workdir = os.path.abspath(self.workdir)
        paths = certs.make_certs(self.workdir)
        self.ca_der_path, self.ca_pem_path = paths["ca.der"], paths["ca.pem"]
        with open(self.ca_der_path, "rb") as f:
            self.ca_der = f.read()
        srv = Server(self, paths["server.pem"], paths["server.key"], self.force_chunked,
                     self.idle_timeout)
        try:
            for role in CLOUD_ROLES:
                for scheme in ("http", "https"):
                    self._listeners[(role, scheme)] = srv.add_listener(Listener(role, scheme))
            for h in self.homeys:
                for which, scheme in HOMEY_LISTENERS:
                    h.listeners[which] = srv.add_listener(Listener("homey", scheme, h.index, which))
        except BaseException:
            for lst in srv.listeners:
                lst.sock.close()
            raise
        self._server = srv
        srv.start()
        return self

    def stop(self):
        if self._server is None or self._stopped:
            return
        self._stopped = True
        self._server.stop()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def handle(self, listener, req):
        if listener.role == "homey":
            return self._homey_api.handle(listener, req)
        if listener.role == "accounts":
            return self._accounts.handle(listener, req)
        if listener.role == "api":
            return self._cloud.handle(listener, req)
        return self._webhooks.handle(listener, req)

    def refuse_upgrade(self, listener, req):
        """-> None when a Homey listener takes this websocket upgrade, else the error answer."""
        why = upgrade_error(req)
        if why is None and listener.impostor:
            why = "This Homey does not know this session"
        return None if why is None else json_error(400, "bad_request", why)

    # ---- addresses -----------------------------------------------------------------

    def url(self, role, scheme="https", homey=0):
        """Base URL of a listener: role accounts/api/webhook (either scheme) or a
        Homey's local/local_secure/remote."""
        if role in CLOUD_ROLES:
            return "%s://127.0.0.1:%d" % (scheme, self._listeners[(role, scheme)].port)
        h = self.homeys[homey]
        return {"local": h.local_url, "local_secure": h.local_secure_url,
                "remote": h.remote_url}[role]

    @property
    def accounts_url(self):
        return self.url("accounts")

    @property
    def api_url(self):
        return self.url("api")

    @property
    def webhook_url(self):
        return self.url("webhook")

    def homey(self, i=0):
        return self.homeys[i]

    # ---- the record ------------------------------------------------------------------

    @property
    def connections(self):
        return self._server.connections

    @property
    def requests(self):
        return self._server.requests

    def clear_log(self):
        """Forget requests, connections, webhooks and triggered flows. Connections
        still open keep working; their later requests log under their old ids."""
        self._server.clear_log()
        with self.lock:
            del self.webhooks[:]
            for h in self.homeys:
                del h.triggered[:]

    def count(self, role=None, path=None, method=None):
        return sum(1 for r in list(self.requests)
                   if (role is None or r.role == role) and (path is None or r.path.startswith(path))
                   and (method is None or r.method == method))

    def tls_handshakes(self, role=None):
        return sum(1 for c in list(self.connections)
                   if c.tls and c.handshake and (role is None or c.role == role))

    # ---- switches --------------------------------------------------------------------

    def fault(self, kind, path=None, role=None, count=1, **params):
        """The next `count` matching requests get fault `kind`. Extra matchers:
        homey=<index>, which=local|local_secure|remote (Homey listeners only)."""
        homey, which = params.pop("homey", None), params.pop("which", None)
        return self._server.faults.add(Fault(kind, path, role, count, params, homey, which))

    def clear_faults(self):
        self._server.faults.clear()

    def drop_idle_connections(self):
        return self._server.drop_idle()

    def close_connections(self, role=None):
        return self._server.close_where(lambda c: role is None or c.role == role)

    def now(self):
        return time.time() + self._offset

    def advance(self, seconds):
        with self.lock:
            self._offset += seconds

    def expire_access_tokens(self):
        with self.lock:
            for t in self.access_tokens.values():
                t["expires"] = float("-inf")

    def revoke_refresh_tokens(self):
        with self.lock:
            for t in self.refresh_tokens.values():
                t["revoked"] = True

    def expire_homey_sessions(self):
        with self.lock:
            for h in self.homeys:
                for s in h.sessions.values():
                    s["expires"] = float("-inf")

    def set_unreachable(self, homey_index, which, on=True):
        self._server.set_accepting(self.homeys[homey_index].listeners[which], not on)

    def impostor(self, homey_index, which, on=True):
        self.homeys[homey_index].listeners[which].impostor = on

    def forged_cert(self, kind, role, homey=0):
        """From the next connection on, the https listener `role` (accounts/api/webhook, or Homey
        `homey`'s local_secure/remote) presents a forged certificate (certs.forge): kind
        "wrong_name" or "other_ca"; None: the real one again."""
        if role in CLOUD_ROLES:
            lst = self._listeners[(role, "https")]
        elif role in ("local_secure", "remote"):
            lst = self.homeys[homey].listeners[role]
        else:
            raise ValueError("forged_cert: %r has no https listener" % (role,))
        lst.ssl_ctx = None if kind is None else self._server.tls_context(*certs.forge(self.workdir, kind))

    def approve(self, homey=None):
        """As if the user approved this client before: the consent GET answers 302."""
        with self.lock:
            self.approvals[self.client_id] = self.homeys[self.jwt_homey if homey is None else homey].id

    # ---- config for uhomey --------------------------------------------------------------

    def config(self, mode="cloud", homey=None, scheme="https", tokens="tokens.json"):
        cfg = {}
        if mode == "cloud":
            cfg["athom"] = {"email": self.email, "password": self.password, "otp": self.otp or "",
                            "client_id": self.client_id, "client_secret": self.client_secret,
                            "redirect_uri": self.redirect_uri,
                            "accounts_url": self.url("accounts", scheme),
                            "api_url": self.url("api", scheme)}
            cfg["homey"] = {"id": self.homeys[homey].id if homey is not None else "", "url": "",
                            "api_key": "", "webhook_url": self.url("webhook", scheme)}
        elif mode == "apikey":
            h = self.homeys[homey or 0]
            cfg["homey"] = {"id": h.id, "url": h.local_secure_url if scheme == "https" else h.local_url,
                            "api_key": h.create_api_key(), "webhook_url": self.url("webhook", scheme)}
        else:
            raise ValueError("mode must be cloud or apikey")
        if scheme == "https":
            cfg["tls"] = {"ca": self.ca_der_path, "verify": True}
        if mode == "cloud":
            cfg["tokens"] = tokens
        return cfg

    def write_config(self, path, **kw):
        cfg = self.config(**kw)
        tmp = str(path) + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(cfg, f, indent=2, ensure_ascii=False)
        os.replace(tmp, path)
        return cfg
