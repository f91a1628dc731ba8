# The token store: what lets a reboot skip the Athom login. One small JSON
# file, always replaced whole (tmp + rename), so a power cut mid-write leaves
# the previous version, never half a refresh token.
# Keys: refresh_token, access_token, access_expires (epoch s, 0 = unknown),
# homey_id, homey_url, homey_session, api_version, and name caches.
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


def damage(data):
    """What is wrong with a token store's contents, in a few words naming the key (never its
    value); None when nothing is."""
    if not isinstance(data, dict):
        return "not a JSON object"
    for key, kind in (("refresh_token", str), ("access_token", str), ("homey_id", str), ("homey_url", str),
                      ("homey_session", str), ("access_expires", int), ("api_version", int),
                      ("names", dict), ("flows", dict), ("vars", dict)):
        v = data.get(key)
        if v is not None and (not isinstance(v, kind) or isinstance(v, bool)):
            return key + " has the wrong type"
    url = data.get("homey_url")
    if url and url[:7] != "http://" and url[:8] != "https://":
        return "homey_url is no URL"
    for key in ("names", "flows", "vars"):  # name -> id, or name -> [kind or id, id or type]
        for v in (data.get(key) or {}).values():
            if not (isinstance(v, str) if key == "names" else isinstance(v, list) and len(v) == 2):
                return key + " has a wrong entry"
    return None


class Store:
    def __init__(self, path):
        import json

        self.path = path
        self.data = {}
        try:
            with open(path) as f:
                data = json.load(f)
        except OSError:  # none yet: a first boot
            return
        except (ValueError, RuntimeError, MemoryError):  # not JSON, or nested past the parser
            data = None
        wrong = damage(data)
        if wrong is None:
            self.data = data
        else:
            self._set_aside(wrong)

    def _set_aside(self, wrong):
        """Rename a damaged store (kept for a look, never deleted) so the login starts over."""
        from . import log

        bad = self.path + ".bad"
        try:
            try:
                os.remove(bad)  # an older one: rename does not replace a file on every file system
            except OSError:
                pass
            os.rename(self.path, bad)
        except OSError:
            bad = "nowhere (it will be overwritten)"
        log.warning("the token store %s is damaged (%s); set aside as %s: the login starts over",
                    self.path, wrong, bad)

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
