# Token store writers for the power-loss tests (CPython and MicroPython). Each runs as a
# child process that the test kills with SIGKILL: in a tight loop of writes at a random
# moment, or parked at a chosen point of a write (a marker file says it got there).
import os

import uhomey.store as store
from uhomey.compat import sleep_ms
from uhomey.store import Store


def _touch(path):
    with open(path, "w") as f:
        f.write("1")


def _refresh_token_in(path):
    import json

    try:
        with open(path) as f:
            return json.load(f).get("refresh_token")
    except (OSError, ValueError, AttributeError):
        return None


class ParkedOs:
    """Stands in for `os` inside uhomey.store. A rename of a file whose refresh token is not
    `old` parks the process for good (after writing `marker`), so the test's kill lands there:
    between the write and the rename, or with `half`, as if the write itself was cut in half."""

    def __init__(self, marker, half, old):
        self.marker = marker
        self.half = half
        self.old = old

    def __getattr__(self, name):
        return getattr(os, name)

    def rename(self, src, dst):
        if _refresh_token_in(src) == self.old:
            return os.rename(src, dst)
        if self.half:
            with open(src, "rb") as f:
                data = f.read()
            with open(src, "wb") as f:
                f.write(data[:len(data) // 2])
        _touch(self.marker)
        for _ in range(60000):  # ten minutes at most: the test kills us long before
            sleep_ms(10)


def park(path, marker, half=False):
    """From now on uhomey.store parks at the first rename that would change the refresh token."""
    store.os = ParkedOs(marker, half, Store(path).get("refresh_token"))


def write_forever(path, marker, parked="", rounds=1000000):
    """Tokens r<n+1>, r<n+2>, ... over the store's r<n>, each a whole update; `marker` is touched
    after the first one lands. parked: "" (loop until killed), "rename" or "half" (see park)."""
    s = Store(path)
    n = int((s.get("refresh_token") or "r0")[1:])
    if parked:
        park(path, marker, parked == "half")
    for i in range(rounds):
        n += 1
        s.update(refresh_token="r%d" % n, access_token="a%d" % n, access_expires=n)
        if not i and not parked:
            _touch(marker)


def read_then_write(path):
    """A boot after the kill: what the store holds, then one more update, and that read back."""
    before = Store(path).get("refresh_token")
    n = int((before or "r0")[1:])
    Store(path).update(refresh_token="r%d" % (n + 1))
    return [before, Store(path).get("refresh_token")]


def parked_session(cfg_path, ops, marker):
    """h_hostile.session, parked at the first rename that changes the stored refresh token."""
    import h_hostile
    from uhomey import config

    park(config.load(cfg_path)["tokens"], marker)
    return h_hostile.session(cfg_path, ops)
