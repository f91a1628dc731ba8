# Who the Homey calls are made as with a Homey Pro's local API key (homey.url
# and homey.api_key): no Athom call, ever. The cloud's counterpart is
# auth.Cloud; each boot loads one of the two.
from .errors import AuthError, text


class ApiKey:
    mode = "apikey"

    def __init__(self, cfg, store, http, clock=None):
        self.cfg = cfg
        self.store = store
        self.http = http
        self.url = cfg["homey"]["url"]

    @property
    def homey_id(self):
        return self.cfg["homey"]["id"] or self.store.get("homey_id") or None

    def base(self):
        return self.url

    def bearer(self):
        return self.cfg["homey"]["api_key"]

    def renew(self):
        raise AuthError(text("apikey_refused"), 401)

    def rediscover(self):
        return False

    def tend(self):
        """One address (homey.url): there is no other to come back from."""
