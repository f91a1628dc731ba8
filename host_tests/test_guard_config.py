"""Config as people type it, under CPython and MicroPython: a 2FA code copied from an
authenticator app with its space ("123 456") logs in, and certificate checks turned off are never
off in silence. What a user would suffer otherwise: a refused login with a code that is right; a
session anyone on the network can read without the owner knowing.
"""
import pytest

import both
from both import INTERPS
from test_client_auth import KITCHEN, did, reqs, results_ok, run, write_cfg


@pytest.mark.parametrize("interp", INTERPS)
def test_a_2fa_code_with_a_space_logs_in(make_sim, tmp_path, interp):
    sim = make_sim(otp="246810")
    cfg = write_cfg(sim, tmp_path / "config.json", edit={"athom": {"otp": "246 810"}})
    results_ok(run(interp, cfg, [("get", KITCHEN)]))
    assert reqs(sim, "accounts", "/login")[0].form()["otptoken"] == "246810"


@pytest.mark.parametrize("interp", INTERPS)
def test_certificate_checks_turned_off_are_a_warning(sim, tmp_path, interp):
    """`tls.verify: false` works (a forged certificate is accepted, as asked) and says so at the
    warning level, the one a quiet device still logs: nobody keeps it off without knowing."""
    cfg = write_cfg(sim, tmp_path / "config.json", mode="apikey", scheme="https",
                    edit={"tls": {"verify": False}})
    sim.forged_cert("other_ca", "local_secure")
    value, lines = both.ok(both.call(interp, "g_logs", "warnings", cfg, did(sim)))
    assert value == sim.homey().value(did(sim), "onoff")
    assert any("TLS certificate checks are OFF" in line for line in lines), lines
