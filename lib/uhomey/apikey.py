# Who the Homey calls are made as with a Homey Pro's local API key: no Athom
# call, ever. The cloud's counterpart is auth.Cloud; each boot loads one.
from .errors import AuthError, HomeyError, why


class ApiKey:
    mode = "apikey"

    def __init__(self, cfg, store, http, clock=None):
        self.cfg = cfg
        self.store = store
        self.url = cfg["homey"]["url"]

    @property
    def homey_id(self):
        return self.cfg["homey"]["id"] or self.store.get("homey_id") or None

    def base(self):
        return self.url

    def bearer(self):
        return self.cfg["homey"]["api_key"]

    def renew(self):
        raise AuthError(why(1), 401)  # the Homey refused the API key in homey.api_key: create a new one...

    def rediscover(self):
        return False


def learn_id(h, r):
    """With no homey.id in the config, the Homey's id from its X-Homey-ID header, kept."""
    got = r.header("X-Homey-ID")
    if got and not h.auth.homey_id:
        try:
            h.store.update(homey_id=got)
        except HomeyError as e:
            from . import log

            log.warning("%s", e)
