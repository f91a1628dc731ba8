"""A throwaway CA and one server certificate, made fresh at every start.

EC P-256 + SHA-256 because that is what mbedTLS on an ESP32 verifies fastest,
and the server certificate names both `localhost` and `127.0.0.1` so a client
may reach the simulator by either and still check the name.
"""
import datetime
import ipaddress
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _name(cn):
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "uhomey simulator"),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ])


def make_certs(workdir):
    """Write ca.der, ca.pem, server.pem, server.key into workdir; return their paths."""
    now = datetime.datetime.now(datetime.timezone.utc)
    # Valid from yesterday: a board whose clock runs a little behind still accepts it.
    start, end = now - datetime.timedelta(days=1), now + datetime.timedelta(days=29)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("uhomey simulator CA"))
        .issuer_name(_name("uhomey simulator CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=True,
                          crl_sign=True, encipher_only=False, decipher_only=False),
            critical=True)
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        ]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=False,
                          crl_sign=False, encipher_only=False, decipher_only=False),
            critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    os.makedirs(workdir, exist_ok=True)
    paths = {n: os.path.join(workdir, n) for n in ("ca.der", "ca.pem", "server.pem", "server.key")}
    _write(paths["ca.der"], ca.public_bytes(serialization.Encoding.DER))
    _write(paths["ca.pem"], ca.public_bytes(serialization.Encoding.PEM))
    _write(paths["server.pem"], cert.public_bytes(serialization.Encoding.PEM))
    _write(paths["server.key"], key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return paths


def _write(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
