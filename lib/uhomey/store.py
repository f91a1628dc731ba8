# The token store: what lets a reboot skip the Athom login. One small JSON
# file, always replaced whole (tmp + rename), so a power cut mid-write leaves
# the previous version, never half a refresh token.
# Keys: refresh_token, access_token, access_expires (epoch s, 0 = unknown),
# homey_id, homey_url, homey_session, api_version, and name caches.
import os

from .compat import MICROPYTHON
from .errors import HomeyError


def write_atomic(path, data):
    """Write bytes to path.tmp, then rename over path: a reader sees old or new, never half.
    Private (0600) where the file system has modes."""
    tmp = path + ".tmp"
    if MICROPYTHON:
        f = open(tmp, "wb")
        try:
            f.write(data)
        finally:
            f.close()
    else:
        from ._cpy import write_private

        write_private(tmp, data)
    os.rename(tmp, path)


class Store:
    def __init__(self, path):
        import json

        self.path = path
        self.data = {}
        try:
            with open(path) as f:
                data = json.load(f)
            if isinstance(data, dict):
                self.data = data
        except OSError:
            pass
        except ValueError:
            from . import log

            log.warning("%s is not valid JSON; starting without stored tokens", path)

    def get(self, key, default=None):
        v = self.data.get(key)
        return default if v is None else v

    def update(self, **changes):
        """Apply changes (None removes a key) and write the file at once; HomeyError if it cannot."""
        import json

        for k in changes:
            if changes[k] is None:
                self.data.pop(k, None)
            else:
                self.data[k] = changes[k]
        try:
            write_atomic(self.path, json.dumps(self.data).encode())
        except OSError as e:
            raise HomeyError("could not write the token store %s (error %s): is the flash full or read-only?"
                             % (self.path, getattr(e, "errno", "?")))
