# The TLS client context uhomey's connections share, from the config's `tls`
# section: the trust anchors in tls.ca (DER or PEM), certificate checks on
# unless tls.verify is false. Made once per boot, when the first HTTPS
# connection opens (Http.context keeps it, ~3 KB): this module is loaded for
# that and dropped after.
from .errors import ConfigError


def tls_context(tls):
    """The context for the config's `tls` section ({"verify": bool, "ca": [paths]})."""
    verify = tls["verify"]
    if not verify:
        from . import log

        log.warning("TLS certificate checks are OFF (tls.verify is false): "
                    "anyone on the network path can read the session")
    cas = load_cas(tls["ca"]) if verify else []
    try:
        return context(cas, verify)
    except (ValueError, OSError):  # a file shaped like a certificate that still is not one
        raise ConfigError.of("config_ca_bad", "config", ", ".join(tls["ca"]))


def context(cas, verify):
    """A client context trusting `cas` (DER list); with verify=False, trusting anyone."""
    try:
        import tls
    except ImportError:  # CPython
        from .cpython import ssl_context

        return ssl_context(cas, verify)
    ctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
    ctx.verify_mode = tls.CERT_REQUIRED if verify else tls.CERT_NONE
    if verify:
        for der in cas:  # one DER certificate per call
            ctx.load_verify_locations(der)
    return ctx


def load_cas(paths):
    """The trust anchors in these files (DER or PEM), as a list of DER certificates; a
    ConfigError naming the file for one that is empty, random bytes or broken PEM."""
    out = []
    for path in paths:
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            raise ConfigError.of("ca_unreadable", path)
        if data.lstrip().startswith(b"-----BEGIN"):
            try:
                ders = pem_to_der(data)
            except ValueError:  # not base64
                ders = [b""]
            if not ders:
                raise ConfigError.of("ca_no_certificate", path)
        else:
            ders = [data]
        for der in ders:
            if not _is_der(der):
                raise ConfigError.of("config_ca_bad", "config", path)
        out += ders
    return out


def _is_der(data):
    """True when data starts as one DER certificate does: a SEQUENCE whose length fits."""
    if len(data) < 4 or data[0] != 0x30:
        return False
    n = data[1]
    if n < 0x80:
        return 2 + n <= len(data)
    k = n & 0x7F
    if not 1 <= k <= 4 or len(data) < 2 + k:
        return False
    return 2 + k + int.from_bytes(data[2:2 + k], "big") <= len(data)


def pem_to_der(data):
    """Every certificate in a PEM blob as DER bytes (the unix port cannot read PEM)."""
    from binascii import a2b_base64

    out = []
    begin = b"-----BEGIN CERTIFICATE-----"
    i = data.find(begin)
    while i >= 0:
        j = data.find(b"-----END", i)
        if j < 0:
            break
        b64 = b"".join(data[i + len(begin):j].split())
        out.append(a2b_base64(b64))
        i = data.find(begin, j)
    return out
