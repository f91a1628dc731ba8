"""The token store keeps a user logged in across power cuts and failures, under CPython and
MicroPython: a rotated refresh token is on flash as soon as its answer arrives; a write that dies
half-way leaves the old tokens or the new, never neither; and a refresh that fails for a reason
that is not the token's (a wrong client secret, a server error) leaves the stored login alone.
What a user would suffer otherwise: a wall button that needs the password typed in again.
"""
import json
import os
import resource
import signal
import subprocess
import sys

import pytest

from both import DUAL, INTERPS
from mpyrun import LIB, micropython_binary
from test_client_auth import KITCHEN, did, logged_in, reqs, results_ok, run, store_of, write_cfg

pytestmark = pytest.mark.parametrize("interp", INTERPS)


def _stale_access(cfg):
    """The stored access token's expiry set in the past, as after a long power-off: the next cloud
    call refreshes first, before anything else is asked of the api host."""
    path = os.path.join(os.path.dirname(str(cfg)), "tokens.json")
    st = store_of(cfg)
    st["access_expires"] = 1
    with open(path, "w") as f:
        json.dump(st, f)
    return st


def test_a_rotated_refresh_token_is_on_disk_before_the_next_request(sim, tmp_path, interp):
    """The call right after the refresh fails and the process ends: the file already holds the new
    refresh token (the old one is dead on the server)."""
    cfg = logged_in(sim, tmp_path)
    old = _stale_access(cfg)
    sim.expire_homey_sessions()
    sim.fault("500", path="/delegation/token", role="api")
    r = run(interp, cfg, [("get", KITCHEN)])
    assert r["results"][0]["error"] == "HTTPError" and "delegation" in r["results"][0]["msg"]
    assert [q.form()["grant_type"] for q in reqs(sim, "api", "/oauth2/token")] == ["refresh_token"]
    new = store_of(cfg)
    assert new["refresh_token"] != old["refresh_token"] and sim.refresh_tokens[old["refresh_token"]]["rotated"]
    assert not sim.refresh_tokens[new["refresh_token"]]["rotated"]
    assert new["access_token"] in sim.access_tokens


def _limited(interp, cfg, ops, fsize):
    """s_client.session(cfg, ops) in a fresh process that may write files of at most `fsize` bytes:
    a longer write stops half-way and the process is killed (SIGXFSZ), as by a power cut, or (both
    interpreters ignore that signal) sees the write fail there: the file is just as torn."""
    code = "import sys\nsys.path.insert(0, %r)\nimport s_client\nprint(s_client.session(%r, %r))\n" % (
        str(DUAL), str(cfg), [list(op) for op in ops])
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=str(LIB),
               MICROPYPATH="%s:.frozen" % LIB)
    cmd = [micropython_binary(), "-c", code] if interp == "mpy" else [sys.executable, "-B", "-c", code]

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_DFL)  # pytest's CPython ignores it: undo that
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return subprocess.run(cmd, env=env, preexec_fn=limit, capture_output=True, text=True, timeout=60)


def test_a_write_that_dies_half_way_leaves_old_or_new_tokens(sim, tmp_path, interp):
    cfg = logged_in(sim, tmp_path)
    old = store_of(cfg)
    size = os.path.getsize(tmp_path / "tokens.json")
    sim.expire_homey_sessions()
    sim.expire_access_tokens()
    p = _limited(interp, cfg, [("get", KITCHEN)], size // 2)
    died = p.returncode == -signal.SIGXFSZ or "could not write the token store" in p.stdout
    assert died, (p.returncode, p.stdout[-2000:], p.stderr[-2000:])
    assert reqs(sim, "api", "/oauth2/token"), "the process died before the refresh"
    with open(tmp_path / "tokens.json") as f:
        kept = json.load(f)  # whole JSON: the old file or the new, never a torn one
    assert kept["refresh_token"] in (old["refresh_token"],) + tuple(
        t for t, v in sim.refresh_tokens.items() if not v["rotated"])
    # the next boot carries on from what was kept (here: the old token, rotated meanwhile, so one
    # new password login) and works
    sim.clear_log()
    assert results_ok(run(interp, cfg, [("toggle", KITCHEN)]))
    assert len(reqs(sim, "accounts", "/login")) <= 1


def test_a_wrong_client_secret_keeps_the_stored_login(sim, tmp_path, interp):
    cfg = logged_in(sim, tmp_path)
    old = store_of(cfg)
    write_cfg(sim, cfg, edit={"athom": {"client_secret": "not-the-secret"}})
    sim.expire_homey_sessions()
    sim.expire_access_tokens()
    r = run(interp, cfg, [("get", KITCHEN)])
    x = r["results"][0]
    assert x["error"] == "AuthError" and "athom.client_secret" in x["msg"], x
    assert store_of(cfg)["refresh_token"] == old["refresh_token"]
    assert reqs(sim, "accounts") == []  # no password login tried with a client Athom refuses
    write_cfg(sim, cfg)  # the secret fixed: the stored login still works, no password needed
    sim.clear_log()
    assert results_ok(run(interp, cfg, [("get", KITCHEN)]))
    assert reqs(sim, "accounts") == []


def test_a_server_error_on_refresh_keeps_the_stored_login(sim, tmp_path, interp):
    cfg = logged_in(sim, tmp_path)
    old = store_of(cfg)
    sim.expire_homey_sessions()
    sim.expire_access_tokens()
    sim.fault("500", path="/oauth2/token", role="api")
    r = run(interp, cfg, [("get", KITCHEN), ("get", KITCHEN)])
    err, ok = r["results"]
    assert err["error"] == "HTTPError" and "try again later" in err["msg"], err
    assert "ok" in ok
    assert reqs(sim, "accounts") == []  # the refresh token was kept and used once Athom was back
    assert [q.form()["grant_type"] for q in reqs(sim, "api", "/oauth2/token")] == ["refresh_token"] * 2
    assert store_of(cfg)["refresh_token"] != old["refresh_token"]


def test_an_approval_remembered_for_the_configured_homey_is_kept_across_reboots(make_sim, tmp_path, interp):
    """Two Homeys, homey.id (and homey.url: no discovery) names the one the login token does not, and
    Athom remembers the approval (the consent step answers 302 at once): that Homey is the one
    stored, so a reboot makes no Athom call."""
    sim = make_sim(homeys=2)
    sim.approve(homey=0)
    cfg = write_cfg(sim, tmp_path / "config.json", homey=0, edit={"homey": {"url": sim.homey(0).local_url}})
    dev = did(sim, 0)
    results_ok(run(interp, cfg, [("get", dev)]))
    assert [q.status for q in reqs(sim, "accounts", "/oauth2/authorise")] == [302]
    assert store_of(cfg)["homey_id"] == sim.homey(0).id
    sim.clear_log()
    results_ok(run(interp, cfg, [("toggle", dev)]))
    assert reqs(sim, "accounts") == [] and reqs(sim, "api") == []
