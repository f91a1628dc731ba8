"""Property-based fuzzing (hypothesis, CPython) of what reads bytes a server chose: the
response head parser and body framing, the chunked decoder, the consent-page parser, the
JWT decoder, the form codec (round trips) and the streaming JSON walker. Whatever the
bytes, only a HomeyError escapes; what is well formed decodes to what was sent.

Bounded: each property runs a few hundred examples at most, derandomized so the suite is
the same on every run, with no per-example deadline (a loaded machine is not a bug)."""
import json
import socket
from base64 import urlsafe_b64encode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uhomey import consent, form, jwalk
from uhomey.conn import Conn
from uhomey.errors import HomeyError
from uhomey.http import Http

FUZZ = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)


# ---- a connection whose socket is a script of byte pieces ----------------------------------------

class ScriptedSocket:
    """Gives `pieces` one recv at a time, then ends as the server would: closes, or stalls."""

    def __init__(self, pieces, end="close"):
        self.pieces = [bytes(p) for p in pieces]
        self.end = end

    def recv_into(self, mv):
        while self.pieces and not self.pieces[0]:
            self.pieces.pop(0)
        if not self.pieces:
            if self.end == "stall":
                raise socket.timeout("timed out")
            return 0
        p = self.pieces[0]
        n = min(len(p), len(mv))
        mv[:n] = p[:n]
        self.pieces[0] = p[n:]
        return n

    def sendall(self, data):
        pass

    def settimeout(self, t):
        pass

    def setblocking(self, flag):
        pass

    def close(self):
        pass


class ScriptedHttp(Http):
    """uhomey's Http whose connections read a script instead of the network."""

    def __init__(self, pieces, end="close"):
        super().__init__(timeout=1)
        self.script = (pieces, end)

    def _connect(self, scheme, host, port, origin, timeout):
        conn = Conn(host)
        conn.sock = conn.raw = ScriptedSocket(*self.script)
        self.connects += 1
        self._conns[origin] = conn
        return conn


def split(data, cuts):
    """data in pieces, cut at the given offsets."""
    out, last = [], 0
    for c in sorted(set(c % (len(data) + 1) for c in cuts)):
        out.append(data[last:c])
        last = c
    out.append(data[last:])
    return out


def fetch(answer, cuts=(), end="close", method="GET", how="json"):
    """The body (or JSON) of a request answered with `answer`; only a HomeyError may escape."""
    http = ScriptedHttp(split(answer, cuts), end)
    try:
        r = http.request(method, "http://homey.test/api/manager/x", body="{}" if method == "PUT" else None)
        return r.json(4096) if how == "json" else bytes(r.body(4096))
    except HomeyError:
        return None
    finally:
        http.close()


# ---- the response head, framing and bodies --------------------------------------------------------

HEADER_NAMES = st.sampled_from([b"Content-Length", b"Transfer-Encoding", b"Content-Type", b"Connection",
                                b"X-Homey-ID", b"content-length", b"TRANSFER-ENCODING", b"Location", b""])
HEADER_VALUES = st.one_of(st.sampled_from([b"chunked", b"application/json", b"close", b"keep-alive", b"0",
                                           b"5", b"-1", b"99999999999999999999", b"gzip, chunked"]),
                          st.binary(max_size=20))
STATUS_LINES = st.one_of(st.sampled_from([b"HTTP/1.1 200 OK", b"HTTP/1.1 100 Continue", b"HTTP/1.0 204 X",
                                          b"HTTP/1.1 302 Found", b"HTTP/1.1 -1 X", b"HTTP/1.1", b"HTTP/2 200"]),
                         st.binary(max_size=30))


@st.composite
def answers(draw):
    """A response: a status line, header lines (name: value, or any bytes), a blank line, a body."""
    lines = [draw(STATUS_LINES)]
    for _ in range(draw(st.integers(0, 6))):
        if draw(st.booleans()):
            lines.append(draw(HEADER_NAMES) + b": " + draw(HEADER_VALUES))
        else:
            lines.append(draw(st.binary(max_size=30)))
    eol = draw(st.sampled_from([b"\r\n", b"\n"]))
    return eol.join(lines) + eol + eol + draw(st.binary(max_size=300))


@FUZZ
@given(answers(), st.lists(st.integers(0, 400), max_size=5), st.sampled_from(["close", "stall"]),
       st.sampled_from(["GET", "PUT"]), st.sampled_from(["json", "body"]))
def test_any_answer_ends_as_a_value_or_a_homey_error(answer, cuts, end, method, how):
    fetch(answer, cuts, end, method, how)


@FUZZ
@given(st.binary(max_size=400), st.lists(st.integers(0, 400), max_size=5), st.sampled_from(["close", "stall"]))
def test_any_bytes_end_as_a_value_or_a_homey_error(data, cuts, end):
    fetch(data, cuts, end)


# ---- the chunked decoder --------------------------------------------------------------------------

@st.composite
def chunked_bodies(draw):
    """(body, its chunked encoding): random chunk sizes, hex case, extensions and trailers."""
    body = draw(st.binary(max_size=600))
    out = b""
    rest = body
    while rest:
        n = draw(st.integers(1, max(1, len(rest))))
        size = ("%x" % n).encode()
        size = size.upper() if draw(st.booleans()) else size
        ext = draw(st.sampled_from([b"", b";name=val", b"; a=b"]))
        out += size + ext + b"\r\n" + rest[:n] + b"\r\n"
        rest = rest[n:]
    out += b"0\r\n" + draw(st.sampled_from([b"", b"X-Trailer: 1\r\n"])) + b"\r\n"
    return body, out


CHUNKED_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n"


@FUZZ
@given(chunked_bodies(), st.lists(st.integers(0, 800), max_size=6))
def test_a_well_formed_chunked_body_decodes_to_what_was_sent(pair, cuts):
    body, encoded = pair
    assert fetch(CHUNKED_HEAD + encoded, cuts, how="body") == body


@FUZZ
@given(chunked_bodies(), st.integers(0, 10000), st.binary(min_size=1, max_size=4),
       st.sampled_from(["replace", "insert", "cut"]), st.sampled_from(["close", "stall"]))
def test_a_damaged_chunked_body_is_a_homey_error_or_decodes(pair, at, junk, how, end):
    body, encoded = pair
    i = at % len(encoded)
    if how == "replace":
        encoded = encoded[:i] + junk + encoded[i + len(junk):]
    elif how == "insert":
        encoded = encoded[:i] + junk + encoded[i:]
    else:
        encoded = encoded[:i]
    fetch(CHUNKED_HEAD + encoded, (), end, how="body")


# ---- a body read by a parser (consent page, JSON walk) ---------------------------------------------

class ScriptedBody:
    """Stands in for a Response whose body is `pieces` (is_json, readinto, close)."""

    def __init__(self, pieces, json_type=True):
        self.sock = ScriptedSocket(pieces)
        self.json_type = json_type

    def is_json(self):
        return self.json_type

    def json(self, limit=4096):
        from uhomey.errors import ProtocolError

        raise ProtocolError("not JSON")

    def readinto(self, mv):
        return self.sock.recv_into(mv)

    def close(self):
        pass


HTML_BITS = st.sampled_from([b"<input", b"<INPUT ", b" name=", b"_csrf", b"resource", b" value=", b'"', b"'",
                             b">", b"<", b"/>", b"resource.homey.", b"&quot;", b"\xff\xfe", b"=", b" ", b"\n",
                             b"<input name=_csrf value=", b"<input type=hidden name=\"resource\" value='"])


@FUZZ
@given(st.lists(st.one_of(HTML_BITS, st.binary(max_size=40)), max_size=60), st.lists(st.integers(0, 3000),
                                                                                    max_size=4))
def test_any_consent_page_ends_as_inputs_or_a_homey_error(bits, cuts):
    page = b"".join(bits)
    try:
        csrf, offered = consent.consent_inputs(ScriptedBody(split(page, cuts)))
    except HomeyError:
        return
    assert csrf is None or isinstance(csrf, str)
    assert all(isinstance(x, str) and x.startswith("resource.homey.") for x in offered)


ATTR_TEXT = st.text(alphabet="abcdefABCDEF0123456789-_.", min_size=1, max_size=30)


@FUZZ
@given(ATTR_TEXT, ATTR_TEXT, st.sampled_from(['"', "'"]), st.booleans(),
       st.text(alphabet="abc xyz\n", max_size=300), st.lists(st.integers(0, 3000), max_size=4))
def test_the_csrf_and_homey_inputs_are_found_in_any_markup(csrf, hid, quote, reverse, filler, cuts):
    attrs = [b"type=" + quote.encode() + b"hidden" + quote.encode(),
             b"name=" + quote.encode() + b"_csrf" + quote.encode(),
             b"value=" + quote.encode() + csrf.encode() + quote.encode()]
    tag = b"<input " + b" ".join(reversed(attrs) if reverse else attrs) + b">"
    res = b'<input type="hidden" name="resource" value="resource.homey.' + hid.encode() + b'">'
    page = filler.encode() + tag + filler.encode() + res + filler.encode()
    assert consent.consent_inputs(ScriptedBody(split(page, cuts))) == (csrf, ["resource.homey." + hid])


# ---- the JWT decoder -------------------------------------------------------------------------------

def b64url(data):
    return urlsafe_b64encode(data).rstrip(b"=").decode()


@FUZZ
@given(st.text(max_size=200))
def test_any_token_gives_a_homey_id_or_none(token):
    try:
        got = consent.jwt_homey(token)
    except HomeyError:
        return
    assert got is None or isinstance(got, str)


@FUZZ
@given(st.text(alphabet="0123456789abcdef", min_size=1, max_size=24), st.sampled_from(["homey", "homeyId", "homeys"]),
       TEXT)
def test_a_jwt_round_trips_its_homey(hid, key, pad):
    payload = {key: [hid] if key == "homeys" else hid, "pad": pad}
    token = "%s.%s.%s" % (b64url(b'{"alg":"HS256"}'), b64url(json.dumps(payload).encode()), b64url(b"sig"))
    assert consent.jwt_homey(token) == hid


@FUZZ
@given(st.binary(max_size=200))
def test_any_payload_bytes_give_a_homey_id_or_none(payload):
    token = "h.%s.s" % b64url(payload)
    got = consent.jwt_homey(token)
    assert got is None or isinstance(got, str)


# ---- the form codec --------------------------------------------------------------------------------

@FUZZ
@given(TEXT, st.booleans())
def test_quote_then_unquote_gives_the_text_back(text, plus):
    assert form.unquote(form.quote(text, plus), plus) == text


@FUZZ
@given(st.lists(st.tuples(TEXT, TEXT), max_size=6))
def test_a_form_round_trips_through_urlencode_and_parse_qs(pairs):
    pairs = [(k, v) for k, v in pairs if k or v]  # "=" alone is an empty pair: parse_qs keeps it
    assert form.parse_qs(form.urlencode(pairs)) == pairs


@FUZZ
@given(st.text(max_size=60))
def test_any_query_parses_to_text_pairs(query):
    for k, v in form.parse_qs(query):
        assert isinstance(k, str) and isinstance(v, str)


# ---- the streaming JSON walker ---------------------------------------------------------------------

JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
                           max_leaves=30)


def walked(data, cuts=(), top=2):
    seen = []
    try:
        jwalk.walk(ScriptedBody(split(data, cuts)), "fuzzing", seen.append, top, ("id", "name"))
    except HomeyError:
        return None
    return seen


@FUZZ
@given(JSON_VALUES, st.lists(st.integers(0, 2000), max_size=4), st.integers(1, 3))
def test_the_walker_takes_any_json_without_a_raw_error(value, cuts, top):
    walked(json.dumps(value, ensure_ascii=False).encode(), cuts, top)


@FUZZ
@given(st.binary(max_size=300), st.lists(st.integers(0, 300), max_size=4))
def test_the_walker_takes_any_bytes_without_a_raw_error(data, cuts):
    walked(data, cuts)


@FUZZ
@given(st.dictionaries(st.text(alphabet="0123456789abcdef-", min_size=1, max_size=36), TEXT, max_size=8),
       st.lists(st.integers(0, 2000), max_size=4))
def test_the_walker_reports_each_device_of_a_list(names, cuts):
    listing = {k: {"id": k, "name": v, "class": "light", "capabilitiesObj": {"onoff": {"value": True}}}
               for k, v in names.items()}
    seen = walked(json.dumps(listing, ensure_ascii=False).encode(), cuts)
    assert [(d["id"], d["name"]) for d in seen] == list(names.items())


@FUZZ
@given(st.integers(50, 5000), st.sampled_from(["[", '{"a":']))
def test_the_walker_refuses_json_nested_too_deep(depth, opener):
    closer = "]" if opener == "[" else "}"
    assert walked((opener * depth + "1" + closer * depth).encode()) is None
