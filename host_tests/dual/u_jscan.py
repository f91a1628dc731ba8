# The streaming JSON scanner (runs under CPython and MicroPython).
import io
import json

from uhomey.errors import ProtocolError
from uhomey.jscan import TOO_LONG, JsonScanner

DOC = {
    "a": {"id": "x\u00fc\"\\/\n\t\U0001F600", "name": "Caf\u00e9 \u2603", "n": [1, 2.5, -300.0, True, False, None,
                                                                           {"z": "}]\\\""}],
          "e": {}, "f": [], "big": 12345678901234},
    "b": "y" * 1000,
    "c": [[[[]]], {"d": {"e": [1, {"f": "g"}]}}],
}


def _scanner(raw, size):
    return JsonScanner(io.BytesIO(raw).readinto, size)


def _walk(sc):
    c = sc.peek()
    if c == 123:
        return {k: _walk(sc) for k in sc.keys()}
    if c == 91:
        return [_walk(sc) for _ in sc.items()]
    return sc.value(5000)


def test_walk_equals_json_loads_at_every_buffer_size():
    compact = json.dumps(DOC).encode()
    spaced = compact.replace(b",", b" ,\n ").replace(b":", b" : ")  # no ',' or ':' inside DOC's strings
    for raw in (compact, spaced):
        for size in (1, 2, 3, 5, 7, 16, 64, 512):
            got = _walk(_scanner(raw, size))
            assert got == DOC, (size, got)


def test_skip_leaves_the_stream_at_the_next_key():
    raw = json.dumps(DOC).encode()
    for size in (1, 4, 33):
        sc = _scanner(raw, size)
        seen = []
        for k in sc.keys():
            seen.append(k)
            sc.skip()
        assert sorted(seen) == ["a", "b", "c"], seen


def test_long_strings_are_dropped_not_kept():
    sc = _scanner(json.dumps({"b": "y" * 5000, "c": "short"}).encode(), 64)
    out = {}
    for k in sc.keys():
        out[k] = sc.string(100)
    assert out["b"] is TOO_LONG and out["c"] == "short"


def test_value_of_a_container_is_skipped():
    sc = _scanner(b'{"a": {"x": [1, 2]}, "b": 3}', 8)
    out = {}
    for k in sc.keys():
        out[k] = sc.value()
    assert out == {"a": None, "b": 3}


def test_empty_containers_and_numbers():
    assert _walk(_scanner(b"{}", 4)) == {}
    assert _walk(_scanner(b"[]", 4)) == []
    assert _walk(_scanner(b'[0, -1, 1.5e3, 2E-2, 1e2]', 3)) == [0, -1, 1500.0, 0.02, 100.0]


def _bad(raw, size=8):
    try:
        _walk(_scanner(raw, size))
    except ProtocolError as e:
        return str(e)
    raise AssertionError("no ProtocolError for %r" % raw)


def test_broken_json_is_a_protocol_error():
    assert "ends early" in _bad(b'{"a": [1, 2')
    assert "ends early" in _bad(b'{"a": "abc')
    _bad(b'{"a" 1}')
    _bad(b'{"a": 1 "b": 2}')
    _bad(b'{"a": tru}')
    _bad(b'{"a": "\\q"}')
    _bad(b'{"a": "\\u12"}')
    _bad(b'[1 2]')
    _bad(b"<html>")
    _bad(b'{"a": 1' + b"2" * 60 + b"}")


def test_scanner_keeps_no_more_than_its_buffer():
    # a 200 KB document through a 64-byte buffer: only the wanted value survives
    doc = {"k%04d" % i: {"name": "n%d" % i, "pad": "p" * 150} for i in range(1000)}
    raw = json.dumps(doc).encode()
    sc = _scanner(raw, 64)
    found = None
    for k in sc.keys():
        for kk in sc.keys():
            if kk == "name":
                v = sc.string()
                if v == "n777":
                    found = k
            else:
                sc.skip()
    assert found == "k0777"
