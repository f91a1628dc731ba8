# Form and URL codecs (runs under CPython and MicroPython).
from uhomey import form

NASTY = "p@ss+w&rd=100% \u00fc \u20ac/?#"


def test_password_survives_form_encoding():
    body = form.urlencode([("email", "ada@example.com"), ("password", NASTY), ("otptoken", "")])
    pairs = form.parse_qs(body)
    assert pairs == [("email", "ada@example.com"), ("password", NASTY), ("otptoken", "")], pairs


def test_form_encoding_is_exact():
    assert form.urlencode([("a b", "+&=%")]) == "a+b=%2B%26%3D%25"
    assert form.quote("\u00fc") == "%C3%BC"
    assert form.quote("a b") == "a%20b"
    assert form.quote("-._~") == "-._~"


def test_parse_qs_tolerates_odd_input():
    assert form.parse_qs("") == []
    assert form.parse_qs("code=abc&&state=&lang=en&flag") == [("code", "abc"), ("state", ""), ("lang", "en"),
                                                             ("flag", "")]
    assert form.parse_qs("x=%zz%4") == [("x", "%zz%4")]
    assert form.query_get(form.parse_qs("a=1&code=c%2Fd"), "code") == "c/d"
    assert form.query_get([], "code") is None


def test_b64url_needs_padding_and_alphabet():
    # '~~~?>' puts '+' in standard base64, and 17 bytes need one '=' of padding
    raw = b'{"homey":"~~~?>"}'
    import binascii

    std = binascii.b2a_base64(raw).strip().decode()
    url = std.replace("+", "-").replace("/", "_").rstrip("=")
    assert "=" in std and "+" in std and "-" in url
    assert form.b64url_decode(url) == raw
    assert form.b64url_decode(url.encode()) == raw


def test_basic_auth():
    assert form.basic_auth("id", "s:cr\u00e9t") == "Basic aWQ6czpjcsOpdA=="
