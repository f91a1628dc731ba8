"""Power loss around the token store, under CPython and the MicroPython unix port: a
process writing tokens is killed (SIGKILL) between a write and its rename, in the middle
of a write, and at random moments of a tight loop of writes. The store on disk then holds
the old or the new tokens, never neither, and the next boot reads it and writes on.
And the rare case of a server that rotated the refresh token while the device died before
saving it: a clear AuthError, never a loop."""
import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest

from both import DUAL, INTERPS, call, ok
from mpyrun import LIB, micropython_binary

KILL_ROUNDS = 15  # random-moment kills per interpreter


def spawn(interp, fn, *args):
    """A child process running h_tokens.<fn>(*args), for the test to kill."""
    code = "import sys\nsys.path.insert(0, %r)\nimport h_tokens\nh_tokens.%s(*%r)\n" % (str(DUAL), fn, list(args))
    env = dict(os.environ)
    if interp == "mpy":
        env["MICROPYPATH"] = ":".join([str(LIB), ".frozen"])
        cmd = [micropython_binary(), "-c", code]
    else:
        env["PYTHONPATH"] = str(LIB)
        cmd = [sys.executable, "-c", code]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_for(path, proc, seconds=30):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if os.path.exists(path):
            return
        if proc.poll() is not None:
            raise AssertionError("the writer ended before %s: %s" % (path, proc.stderr.read().decode()[-2000:]))
        time.sleep(0.005)
    proc.kill()
    raise AssertionError("the writer never reached %s" % path)


def kill(proc):
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    proc.stderr.close()


def stored(path):
    """The refresh token on disk: the file must be whole JSON holding one."""
    with open(path) as f:
        data = json.load(f)
    assert isinstance(data.get("refresh_token"), str), data
    return data["refresh_token"]


def number(token):
    return int(token[1:])


@pytest.mark.parametrize("where", ["rename", "half"])
@pytest.mark.parametrize("interp", INTERPS)
def test_killed_between_write_and_rename_or_mid_write_keeps_the_old_tokens(interp, where, tmp_path):
    path = str(tmp_path / "tokens.json")
    with open(path, "w") as f:
        json.dump({"refresh_token": "r5", "access_token": "a5", "homey_id": "h"}, f)
    marker = str(tmp_path / "parked")
    proc = spawn(interp, "write_forever", path, marker, where)
    wait_for(marker, proc)
    kill(proc)
    assert stored(path) == "r5"  # the old tokens, whole
    assert os.path.exists(path + ".tmp")  # the new ones never replaced them
    before, after = ok(call(interp, "h_tokens", "read_then_write", path))
    assert (before, after) == ("r5", "r6")  # the next boot reads the old store and writes on


@pytest.mark.parametrize("interp", INTERPS)
def test_killed_at_random_moments_the_store_holds_old_or_new_never_neither(interp, tmp_path):
    path = str(tmp_path / "tokens.json")
    rng = random.Random(10)
    last = 0
    for i in range(KILL_ROUNDS):
        marker = str(tmp_path / ("started-%d" % i))
        proc = spawn(interp, "write_forever", path, marker)
        wait_for(marker, proc)
        time.sleep(rng.uniform(0, 0.02))
        kill(proc)
        n = number(stored(path))
        assert n > last, "round %d: the store went back from r%d to r%d" % (i, last, n)
        last = n


# ---- the server rotated the refresh token; the device died before saving it ----------------------

def session(interp, cfg, ops):
    return ok(call(interp, "h_hostile", "session", str(cfg), ops, True, timeout=60))


@pytest.mark.parametrize("interp", INTERPS)
def test_rotated_by_the_server_then_died_before_saving_is_a_clear_auth_error(interp, sim, tmp_path):
    cfg = tmp_path / "config.json"
    sim.write_config(str(cfg))
    dev = sim.homey(0).device_by_name("Kitchen light")["id"]
    assert "ok" in session("cpython", cfg, [["get", dev]])["results"][0]  # logged in; tokens stored
    old = stored(str(tmp_path / "tokens.json"))
    sim.expire_access_tokens()
    sim.expire_homey_sessions()  # the next press refreshes: the server rotates the refresh token

    marker = str(tmp_path / "parked")
    code_args = (str(cfg), [["get", dev]], marker)
    proc = spawn_session(interp, *code_args)
    wait_for(marker, proc)
    kill(proc)
    assert sim.refresh_tokens[old]["rotated"]  # the server moved on
    assert stored(str(tmp_path / "tokens.json")) == old  # the device kept the old, now dead, one

    with open(cfg) as f:
        c = json.load(f)
    c["athom"]["password"] = ""  # a device onboarded once, with no password left in its config
    with open(cfg, "w") as f:
        json.dump(c, f)
    sim.clear_log()
    out = session(interp, cfg, [["get", dev], ["get", dev]])
    errors = [out["connect"]] if "error" in out["connect"] else out["results"]
    for r in errors:
        assert r.get("error") == "AuthError", r
        assert "athom.password" in r["msg"] and "connect()" in r["msg"], r["msg"]
    assert len([q for q in sim.requests if q.path == "/oauth2/token"]) == 1  # one refresh tried, no loop
    assert [q for q in sim.requests if q.role == "accounts"] == []
    assert len(sim.requests) <= 7


def spawn_session(interp, cfg, ops, marker):
    return spawn(interp, "parked_session", cfg, ops, marker)
