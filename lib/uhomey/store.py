# The token store: what lets a reboot skip the Athom login. One small JSON
# file, always replaced whole (tmp + rename), so a power cut mid-write leaves
# the previous version, never half a refresh token.
from . import log
from .compat import write_atomic
from .errors import HomeyError

# Keys: refresh_token, access_token, access_expires (epoch s, 0 = unknown),
# homey_id, homey_url, homey_session, api_version, names {name: id}.


class Store:
    def __init__(self, path):
        self.path = path
        self.data = {}
        self._load()

    def _load(self):
        import json

        try:
            with open(self.path) as f:
                data = json.load(f)
        except OSError:
            return
        except ValueError:
            log.warning("%s is not valid JSON; starting without stored tokens", self.path)
            return
        if isinstance(data, dict):
            self.data = data

    def get(self, key, default=None):
        v = self.data.get(key)
        return default if v is None else v

    def update(self, **changes):
        """Apply changes and write the file at once; raises HomeyError if it cannot."""
        for k in changes:
            v = changes[k]
            if v is None:
                self.data.pop(k, None)
            else:
                self.data[k] = v
        self.save()

    def save(self):
        import json

        try:
            write_atomic(self.path, json.dumps(self.data).encode(), private=True)
        except OSError as e:
            raise HomeyError(
                "could not write the token store %s (%s): is the flash full or read-only?"
                % (self.path, getattr(e, "errno", e))
            )
