"""Config as people type it, under CPython and MicroPython: a 2FA code copied from an
authenticator app with its space ("123 456") logs in. What a user would suffer otherwise: a
refused login with a code that is right.
"""
import pytest

from both import INTERPS
from test_client_auth import KITCHEN, reqs, results_ok, run, write_cfg


@pytest.mark.parametrize("interp", INTERPS)
def test_a_2fa_code_with_a_space_logs_in(make_sim, tmp_path, interp):
    sim = make_sim(otp="246810")
    cfg = write_cfg(sim, tmp_path / "config.json", edit={"athom": {"otp": "246 810"}})
    results_ok(run(interp, cfg, [("get", KITCHEN)]))
    assert reqs(sim, "accounts", "/login")[0].form()["otptoken"] == "246810"
