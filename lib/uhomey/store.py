# The token store: what lets a reboot skip the Athom login. One small JSON
# file, always replaced whole (tmp + rename), so a power cut mid-write leaves
# the previous version, never half a refresh token.
# Keys: refresh_token, access_token, access_expires (epoch s, 0 = unknown),
# homey_id, homey_url (the address in use), homey_urls (every address discovery found, best
# first: a call falls through them), homey_session, api_version, and name caches.
import os

from .compat import MICROPYTHON
from .errors import HomeyError


def write_atomic(path, data):
    """Write data as JSON to path.tmp, then rename over path: a reader sees old or new, never
    half. Streamed on MicroPython (no 1.5 KB string of tokens on the heap); private (0600)
    where the file system has modes."""
    import json

    tmp = path + ".tmp"
    if MICROPYTHON:
        f = open(tmp, "w")
        try:
            json.dump(data, f)
        finally:
            f.close()
    else:
        from . import cpython

        cpython.write_private(tmp, json.dumps(data).encode())
    os.rename(tmp, path)


class Store:
    def __init__(self, path, data=None):
        """The store at `path`. `data`: its contents as connect() read and checked them
        (config.stored); without, they are read here (anything but a JSON object reads as none)."""
        self.path = path
        self.data = {} if data is None else data
        if data is not None:
            return
        import json

        try:
            with open(path) as f:
                data = json.load(f)
            if isinstance(data, dict):
                self.data = data
        except (OSError, ValueError):
            pass

    def get(self, key, default=None):
        v = self.data.get(key)
        return default if v is None else v

    def update(self, **kw):
        """Apply changes (None removes a key) and write the file at once; HomeyError if it cannot."""
        for k in kw:
            if kw[k] is None:
                self.data.pop(k, None)
            else:
                self.data[k] = kw[k]
        try:
            write_atomic(self.path, self.data)
        except OSError as e:
            raise HomeyError.of("store_unwritable", self.path, getattr(e, "errno", "?"))
