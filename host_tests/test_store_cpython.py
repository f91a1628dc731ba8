"""CPython-only facts about the token store (file modes do not exist on the device)."""
import os
import stat

from uhomey.store import Store


def test_token_store_is_private(tmp_path):
    p = tmp_path / "tokens.json"
    Store(str(p)).update(refresh_token="r")
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o600
    # and stays private when replaced
    os.chmod(p, 0o644)
    Store(str(p)).update(refresh_token="r2")
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o600
