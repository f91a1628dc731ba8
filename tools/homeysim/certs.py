"""A throwaway CA and one server certificate, made fresh at every start; and,
on demand, forged server certificates a client must refuse (`forge`).

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


CA_NAME = "uhomey simulator CA"
SERVER_NAMES = ("localhost", "127.0.0.1")
FORGED = ("wrong_name", "other_ca")


def _validity():
    # Valid from yesterday: a board whose clock runs a little behind still accepts it.
    now = datetime.datetime.now(datetime.timezone.utc)
    return now - datetime.timedelta(days=1), now + datetime.timedelta(days=29)


def _make_ca(start, end):
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name(CA_NAME))
        .issuer_name(_name(CA_NAME))
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
    return ca_key, ca


def _make_server(ca_key, ca, names, start, end):
    """A server key and certificate for `names` (DNS names or IP addresses), signed by ca."""
    ca_ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    alt = []
    for n in names:
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(n)))
        except ValueError:
            alt.append(x509.DNSName(n))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(names[0]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
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
    return key, cert


def _write_pair(workdir, stem, key, cert):
    paths = (os.path.join(workdir, stem + ".pem"), os.path.join(workdir, stem + ".key"))
    _write(paths[0], cert.public_bytes(serialization.Encoding.PEM))
    _write(paths[1], _key_pem(key))
    return paths


def _key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def make_certs(workdir):
    """Write ca.der, ca.pem, ca.key, server.pem, server.key into workdir; return their paths."""
    start, end = _validity()
    ca_key, ca = _make_ca(start, end)
    key, cert = _make_server(ca_key, ca, SERVER_NAMES, start, end)
    os.makedirs(workdir, exist_ok=True)
    paths = {n: os.path.join(workdir, n) for n in ("ca.der", "ca.pem", "ca.key")}
    _write(paths["ca.der"], ca.public_bytes(serialization.Encoding.DER))
    _write(paths["ca.pem"], ca.public_bytes(serialization.Encoding.PEM))
    _write(paths["ca.key"], _key_pem(ca_key))  # kept for forge(): signing a wrongly named certificate
    paths["server.pem"], paths["server.key"] = _write_pair(workdir, "server", key, cert)
    return paths


def forge(workdir, kind):
    """(certfile, keyfile) of a server certificate a checking client must refuse, beside the run's CA:
    "wrong_name": signed by the run's CA, for another host only (wrong.example);
    "other_ca": for the right names, signed by a second CA whose name is the same as the run's
    (only the signature tells them apart)."""
    start, end = _validity()
    if kind == "wrong_name":
        with open(os.path.join(workdir, "ca.pem"), "rb") as f:
            ca = x509.load_pem_x509_certificate(f.read())
        with open(os.path.join(workdir, "ca.key"), "rb") as f:
            ca_key = serialization.load_pem_private_key(f.read(), None)
        key, cert = _make_server(ca_key, ca, ("wrong.example",), start, end)
    elif kind == "other_ca":
        ca_key, ca = _make_ca(start, end)
        key, cert = _make_server(ca_key, ca, SERVER_NAMES, start, end)
    else:
        raise ValueError("forged certificate kind must be one of %s" % ", ".join(FORGED))
    return _write_pair(workdir, "forged-" + kind, key, cert)


def _write(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
