"""TLS that keeps checking: a server whose certificate names another host, or comes from another
CA with the same name as the trusted one, is refused before a byte of the request leaves, under
CPython and MicroPython. What a user would suffer otherwise: the Athom password, or the Homey API
key, handed to whoever sits on the network path.
"""
import json
import socket
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from both import INTERPS
from homeysim.probe import RawClient
from test_client_auth import KITCHEN, did, reqs, run, write_cfg

FORGED = ("wrong_name", "other_ca")


def _peer_cert(sim, role, check=False):
    """The certificate an https listener presents, read with a CPython client trusting the run's CA
    (check=True: the name checked too; an SSLError when the chain or name is refused)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = check
    ctx.verify_mode = ssl.CERT_REQUIRED if check else ssl.CERT_NONE
    if check:
        ctx.load_verify_locations(cafile=sim.ca_pem_path)
    host, port = sim.url(role)[len("https://"):].split(":")
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname=host) as s:
            return x509.load_der_x509_certificate(s.getpeercert(binary_form=True))


def _signed_by(cert, ca):
    try:
        ca.public_key().verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
        return True
    except Exception:  # noqa: BLE001 - cryptography's InvalidSignature
        return False


@pytest.mark.parametrize("kind", FORGED)
def test_the_simulator_forges_what_it_says(sim, kind):
    """The forged certificates are what the tests below rely on: a wrongly named one from the run's
    own CA, and a rightly named one from another CA that carries the same name."""
    with open(sim.ca_pem_path, "rb") as f:
        ca = x509.load_pem_x509_certificate(f.read())
    real = _peer_cert(sim, "api", check=True)
    sim.forged_cert(kind, "api")
    forged = _peer_cert(sim, "api")
    assert forged.issuer == ca.subject == real.issuer
    names = forged.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    if kind == "wrong_name":
        assert _signed_by(forged, ca)
        assert names.get_values_for_type(x509.DNSName) == ["wrong.example"]
        assert names.get_values_for_type(x509.IPAddress) == []
    else:
        assert not _signed_by(forged, ca)
        assert names == real.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    with pytest.raises(ssl.SSLCertVerificationError):
        _peer_cert(sim, "api", check=True)
    sim.forged_cert(None, "api")
    assert _peer_cert(sim, "api", check=True).serial_number == real.serial_number
    assert RawClient(sim.api_url, ca_pem=sim.ca_pem_path).request("GET", "/user/me").status == 401


def _refused(sim, res, role):
    """The call failed as a TLSError telling the user what to check, and nothing reached `role`."""
    assert res.get("error") == "TLSError", res
    assert "tls.ca" in res["msg"] and ("127.0.0.1" in res["msg"] or "localhost" in res["msg"]), res["msg"]
    assert reqs(sim, role) == [], [(q.method, q.path) for q in reqs(sim, role)]
    conns = [c for c in sim.connections if c.role == role or c.listener == role]
    assert conns, "the client never tried"
    assert not any(c.handshake for c in conns), "a TLS session was set up with the forged certificate"


@pytest.mark.parametrize("kind", FORGED)
@pytest.mark.parametrize("interp", INTERPS)
def test_a_forged_accounts_host_never_gets_the_password(sim, tmp_path, interp, kind):
    cfg = write_cfg(sim, tmp_path / "config.json")
    sim.forged_cert(kind, "accounts")
    r = run(interp, cfg)
    res = {"error": r["connect_error"][0], "msg": r["connect_error"][1]} if "connect_error" in r else r
    _refused(sim, res, "accounts")
    assert sim.password not in r["raw"]
    assert not (tmp_path / "tokens.json").exists()


@pytest.mark.parametrize("kind", FORGED)
@pytest.mark.parametrize("interp", INTERPS)
def test_a_forged_homey_never_gets_the_api_key(sim, tmp_path, interp, kind):
    """API-key mode over HTTPS, with `tls.verify` left out of the config: checking is the default."""
    cfg = write_cfg(sim, tmp_path / "config.json", mode="apikey", scheme="https")
    with open(cfg) as f:
        data = json.load(f)
    del data["tls"]["verify"]
    with open(cfg, "w") as f:
        json.dump(data, f)
    sim.forged_cert(kind, "local_secure")
    r = run(interp, cfg, [("get", did(sim))])
    _refused(sim, r["results"][0], "homey")
    assert data["homey"]["api_key"] not in r["raw"]


@pytest.mark.parametrize("interp", INTERPS)
def test_a_forged_cloud_api_stops_the_refresh(sim, tmp_path, interp):
    """A stored login whose access token has expired: the refresh token (which rotates) is never
    sent to an api host with a forged certificate, and stays on disk for when the real one is back."""
    cfg = write_cfg(sim, tmp_path / "config.json")
    run("cpython", cfg)
    with open(tmp_path / "tokens.json") as f:
        before = json.load(f)
    sim.expire_homey_sessions()
    sim.expire_access_tokens()
    sim.clear_log()
    sim.forged_cert("other_ca", "api")
    r = run(interp, cfg, [("toggle", KITCHEN)])
    _refused(sim, r["results"][0], "api")
    with open(tmp_path / "tokens.json") as f:
        assert json.load(f)["refresh_token"] == before["refresh_token"]
    assert before["refresh_token"] not in r["raw"]
