# Consent-page parsing, JWT reading and the Homey choice (CPython and MicroPython).
from uhomey import consent
from uhomey.errors import AuthError, ProtocolError
from uhomey.form import b64url_decode


class FakeResp:
    """Just enough of uhomey.http.Response: a body in given chunk sizes, headers."""

    def __init__(self, body=b"", step=7, headers=()):
        self.body = body
        self.step = step
        self.pos = 0
        self.headers = list(headers)
        self.closed = False

    def readinto(self, mv):
        n = min(len(mv), self.step, len(self.body) - self.pos)
        mv[:n] = self.body[self.pos:self.pos + n]
        self.pos += n
        return n

    def header(self, name, default=None):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return default

    def close(self):
        self.closed = True


PAGE = b"""<!doctype html><html><head><title>Authorise</title></head><body>
<form method="post"><input type="search" name="q" value="">
<input type="hidden" name="_csrf" value="tok-EN_abc123">
<label><input type="radio" name="resource" value="resource.homey.aaaaaaaaaaaaaaaaaaaaaaaa" checked> Home</label>
<label><INPUT
   VALUE='resource.homey.bbbbbbbbbbbbbbbbbbbbbbbb' name=resource type=radio data-x="a>b"> Cabin</label>
<button name="allow" value="Allow">Allow</button><input type=submit name=deny value="Deny">
</form></body></html>"""


def test_consent_inputs_any_attribute_order_quotes_and_chunking():
    for step in (1, 3, 7, 50, 600, 5000):
        csrf, res = consent.consent_inputs(FakeResp(PAGE, step))
        assert csrf == "tok-EN_abc123", (step, csrf)
        assert res == ["resource.homey.aaaaaaaaaaaaaaaaaaaaaaaa", "resource.homey.bbbbbbbbbbbbbbbbbbbbbbbb"], res


def test_parse_attrs():
    a = consent.parse_attrs(b"<input value='v 1' NAME=\"_csrf\" type=hidden disabled data-q=\"x>y\"")
    assert a == {"value": "v 1", "name": "_csrf", "type": "hidden", "disabled": "", "data-q": "x>y"}, a
    assert consent.parse_attrs(b"<input\n\tname=a\nvalue=b/")["value"] == "b/"
    assert consent.parse_attrs(b'<input name="x" value="a&amp;b&#x2F;c">')["value"] == "a&b/c"


def test_consent_tags_across_reads_and_overlong_tags():
    size = consent.MAX_TAG
    long_tag = b"<input name=x value='" + b"y" * (size + 50) + b"'>"
    page = b"<p>" + long_tag + b"<input name=_csrf value=c1><INPUT/ name=resource value=resource.homey.z>"
    for step in (1, 5, 100, size, 5000):
        assert consent.consent_inputs(FakeResp(page, step)) == ("c1", ["resource.homey.z"]), step
    bad = b"<input name=_csrf value=\xff\xfe><input name=resource value=resource.homey.q>"
    assert consent.consent_inputs(FakeResp(bad)) == (None, ["resource.homey.q"])


def test_consent_page_without_csrf():
    csrf, res = consent.consent_inputs(FakeResp(b"<html><input name=resource value=resource.homey.x></html>"))
    assert csrf is None and res == ["resource.homey.x"]


def test_consent_page_too_large():
    try:
        consent.consent_inputs(FakeResp(b"x" * (consent.MAX_PAGE + 10), 4000))
    except ProtocolError as e:
        assert "over" in str(e)
    else:
        raise AssertionError("no error")


def _jwt(payload):
    import json
    from binascii import b2a_base64

    def seg(b):
        return b2a_base64(b).strip().decode().replace("+", "-").replace("/", "_").rstrip("=")

    return "%s.%s.%s" % (seg(b'{"alg":"HS256"}'), seg(json.dumps(payload).encode()), seg(b"sig"))


def test_jwt_homey_variants():
    assert consent.jwt_homey(_jwt({"homey": "h1", "pad": "~~~?>"})) == "h1"
    assert consent.jwt_homey(_jwt({"homeyId": "h2"})) == "h2"
    assert consent.jwt_homey(_jwt({"homeys": ["h3", "h4"]})) == "h3"
    assert consent.jwt_homey(_jwt({"homey": {"_id": "h5"}})) == "h5"
    assert consent.jwt_homey(_jwt({"sub": "x"})) is None
    assert consent.jwt_homey("not-a-jwt") is None
    assert consent.jwt_homey("a.!!!.c") is None
    assert consent.jwt_homey("a.%s.c" % "bm90IGpzb24") is None  # 'not json'
    assert b64url_decode(_jwt({"homey": "h1"}).split(".")[1])


def test_choose_homey():
    offered = ["resource.homey.A", "resource.homey.B"]
    assert consent.choose_homey(offered, "", "B") == "B"
    assert consent.choose_homey(offered, "A", "B") == "A"
    assert consent.choose_homey(["resource.homey.A"], "", None) == "A"
    assert consent.choose_homey(["resource.homey.A"], "", "Z") == "A"
    for args in ((offered, "", None), (offered, "", "Z"), (offered, "C", "A"), ([], "", None)):
        try:
            consent.choose_homey(*args)
        except AuthError as e:
            msg = str(e)
            if args[0]:
                assert "A" in msg and "B" in msg, msg
        else:
            raise AssertionError("no error for %r" % (args,))


def test_code_from_location():
    r = FakeResp(headers=[("Location", "http://localhost/?code=c%2F1&state=&lang=en")])
    assert consent.code_from(r, {}) == "c/1" and r.closed
    for loc, cls in ((None, ProtocolError), ("http://localhost/?state=x", ProtocolError),
                     ("http://localhost/?error=access_denied", AuthError)):
        r = FakeResp(headers=[("location", loc)] if loc else [])
        try:
            consent.code_from(r, {})
        except cls:
            pass
        else:
            raise AssertionError(loc)
