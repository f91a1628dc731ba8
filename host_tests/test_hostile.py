"""uhomey's public calls against a hostile Homey (raw sockets, host_tests/hostile.py), under
CPython and the MicroPython unix port.

Each case is one broken answer to one call, followed by a good call on the same
session. The broken one must end as a HomeyError subclass (never a raw
exception, never a success that did not happen) within its deadline: the config's
`timeout` covers the whole call, retries included. The good one proves the
client is still usable.
"""
import json

import pytest

from both import INTERPS, call, ok
from hostile import GOOD_WRITE, Hostile, head, json_answer

DID = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
VID = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
HID = "5f0c0ffee0c0ffee0c0ffee0"
API_KEY = "hostile-api-key-7d1e2f3a4b5c6d7e8f90"
TIMEOUT = 1  # s: the config's `timeout`, one deadline for a whole call
SLACK_MS = 1500  # a loaded 2-core machine's scheduling, on top of the deadline
GAP = 0.3  # s between trickled bytes: below `timeout`, so only a whole-call deadline ends it
ERRORS = ("HomeyError", "ConfigError", "NetworkError", "Unreachable", "TLSError", "ProtocolError",
          "HTTPError", "AuthError", "NotFound", "Rejected")
JSON = "Content-Type: application/json"
CHUNKED = head(200, (JSON, "Transfer-Encoding: chunked"))


def cap(name):
    return "/capability/" + name


# ---- broken answers, as functions of the server's side of the connection ----------------------

def sent_then_closed(data):
    def answer(peer, method):
        peer.send(data)
        peer.close()

    return answer


def sent_then_stalled(data):
    def answer(peer, method):
        peer.send(data)
        peer.hold(30)
        peer.close()

    return answer


def trickled(first, rest):
    """`first` at once, then `rest` a byte every GAP seconds."""

    def answer(peer, method):
        peer.send(first)
        peer.trickle(rest, GAP)
        peer.close()

    return answer


def header_lines_forever(peer, method):
    peer.send(b"HTTP/1.1 200 OK\r\n")
    for i in range(1000):
        peer.send(b"X-Slow-%d: 1\r\n" % i)
        peer.hold(GAP)


def endless_continue(peer, method):
    for _ in range(100000):
        peer.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        peer.hold(0.01)


def endless_chunks(peer, method):
    peer.send(CHUNKED + b'400\r\n{"transactionId":"' + b"x" * 1007 + b"\r\n")
    for _ in range(100000):
        peer.send(b"400\r\n" + b"x" * 1024 + b"\r\n")
        peer.hold(0.001)


def raw_head(*lines):
    return b"\r\n".join((b"HTTP/1.1 200 OK",) + lines) + b"\r\n\r\n"


DEEP = 2000
DEEP_ARRAY = "[" * DEEP + "]" * DEEP
DEEP_OBJECT = '{"a":' * 20000 + "1" + "}" * 20000

# name -> (route: path part -> answer, the call, error classes it may end in, a word its message holds)
CASES = {
    # redirects are not success: the value was never read or written
    "redirect_get": ({cap("redirect_get"): json_answer("true", 302, ("Location: http://127.0.0.1:9/x",))},
                     ["get", DID, "redirect_get"], ("HTTPError",), None),
    "moved_get": ({cap("moved_get"): json_answer("false", 301, ("Location: /elsewhere",))},
                  ["get", DID, "moved_get"], ("HTTPError",), None),
    "redirect_put_empty": ({cap("redirect_put_empty"): head(307, ("Location: /x", "Content-Length: 0"))},
                           ["set", DID, "redirect_put_empty", True], ("HTTPError",), None),
    "redirect_put_json": ({cap("redirect_put_json"): json_answer("{}", 302, ("Location: /x",))},
                          ["set", DID, "redirect_put_json", True], ("HTTPError",), None),
    # a write's answer cut short or badly framed: the value may or may not have been applied
    "cut_length_put": ({cap("cut_length_put"): sent_then_closed(
        head(200, (JSON, "Content-Length: 60")) + b'{"transactionId":"t')},
        ["set", DID, "cut_length_put", True], ("ProtocolError",), "applied"),
    "cut_chunked_put": ({cap("cut_chunked_put"): sent_then_closed(CHUNKED + b'40\r\n{"transactionId":')},
                        ["set", DID, "cut_chunked_put", True], ("ProtocolError",), "applied"),
    "no_last_chunk_put": ({cap("no_last_chunk_put"): sent_then_closed(CHUNKED + b"2\r\n{}\r\n")},
                          ["set", DID, "no_last_chunk_put", True], ("ProtocolError",), "applied"),
    "bad_chunk_size_put": ({cap("bad_chunk_size_put"): CHUNKED + b"zz\r\n{}\r\n0\r\n\r\n"},
                           ["set", DID, "bad_chunk_size_put", True], ("ProtocolError",), "applied"),
    "chunk_without_crlf_put": ({cap("chunk_without_crlf_put"): CHUNKED + b"2\r\n{}XX\r\n0\r\n\r\n"},
                               ["set", DID, "chunk_without_crlf_put", True], ("ProtocolError",), "applied"),
    "negative_chunk_put": ({cap("negative_chunk_put"): CHUNKED + b"-2\r\n{}\r\n0\r\n\r\n"},
                           ["set", DID, "negative_chunk_put", True], ("ProtocolError",), "applied"),
    "broken_json_put": ({cap("broken_json_put"): json_answer('{"transactionId":')},
                        ["set", DID, "broken_json_put", True], ("ProtocolError",), "applied"),
    "endless_body_put": ({cap("endless_body_put"): endless_chunks},
                         ["set", DID, "endless_body_put", True], ("ProtocolError",), "applied"),
    "stall_in_chunk_size_put": ({cap("stall_in_chunk_size_put"): sent_then_stalled(CHUNKED + b"1")},
                                ["set", DID, "stall_in_chunk_size_put", True], ERRORS, "applied"),
    "trickle_body_put": ({cap("trickle_body_put"): trickled(head(200, (JSON, "Content-Length: 44")),
                                                            GOOD_WRITE[-44:])},
                         ["set", DID, "trickle_body_put", True], ERRORS, "applied"),
    # answers that never end, a byte at a time or an endless run of 1xx
    "trickle_head_get": ({cap("trickle_head_get"): trickled(b"", json_answer("true"))},
                         ["get", DID, "trickle_head_get"], ("NetworkError",), None),
    "trickle_body_get": ({cap("trickle_body_get"): trickled(head(200, (JSON, "Content-Length: 40")),
                                                            b" " * 36 + b"true")},
                         ["get", DID, "trickle_body_get"], ("NetworkError",), None),
    "header_lines_forever_get": ({cap("header_lines_forever_get"): header_lines_forever},
                                 ["get", DID, "header_lines_forever_get"], ERRORS, None),
    "endless_continue_get": ({cap("endless_continue_get"): endless_continue},
                             ["get", DID, "endless_continue_get"], ("ProtocolError", "NetworkError"), None),
    # odd bytes that used to escape raw
    "non_utf8_header_value_get": ({cap("non_utf8_header_value_get"): raw_head(
        b"Content-Type: application/json", b"X-Junk: \xff\xfe\xfd", b"Content-Length: 4") + b"true"},
        ["get", DID, "non_utf8_header_value_get"], ("ProtocolError",), None),
    "non_utf8_header_name_get": ({cap("non_utf8_header_name_get"): raw_head(
        b"Content-Type: application/json", b"\xff\xfe: 1", b"Content-Length: 4") + b"true"},
        ["get", DID, "non_utf8_header_name_get"], ("ProtocolError",), None),
    "stall_in_chunk_size_get": ({cap("stall_in_chunk_size_get"): sent_then_stalled(CHUNKED + b"1")},
                                ["get", DID, "stall_in_chunk_size_get"], ("NetworkError",), None),
    "negative_chunk_get": ({cap("negative_chunk_get"): CHUNKED + b"-4\r\ntrue\r\n0\r\n\r\n"},
                           ["get", DID, "negative_chunk_get"], ("ProtocolError",), None),
    "overflow_chunk_size_get": ({cap("overflow_chunk_size_get"): sent_then_closed(
        CHUNKED + b"ffffffffffffffffffffffffffffff\r\ntrue")},
        ["get", DID, "overflow_chunk_size_get"], ("ProtocolError",), None),
    "huge_length_get": ({cap("huge_length_get"): sent_then_closed(
        head(200, (JSON, "Content-Length: 99999999999999999999")) + b"true")},
        ["get", DID, "huge_length_get"], ("ProtocolError",), None),
    "not_http_get": ({cap("not_http_get"): sent_then_closed(b"true\r\n")},
                     ["get", DID, "not_http_get"], ("ProtocolError",), None),
    # JSON nested thousands deep
    "deep_json_variable": ({"/logic/variable/": json_answer(DEEP_ARRAY)}, ["variable", VID], ERRORS, None),
    "deep_json_devices": ({"/zones/zone/$": json_answer("{}"), "/devices/device/$": json_answer(DEEP_OBJECT)},
                          ["devices"], ("ProtocolError",), None),
}


@pytest.fixture
def hostile(serve):
    return lambda routes: serve(Hostile, routes)


def apikey_config(tmp_path, url, **more):
    cfg = {"homey": {"id": HID, "url": url, "api_key": API_KEY}, "timeout": TIMEOUT}
    cfg.update(more)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg))
    return str(path)


def session(interp, cfg, ops, eager=True):
    return ok(call(interp, "h_hostile", "session", cfg, ops, eager, timeout=120))


def assert_ended_well(r, classes, needle=None):
    """r is a HomeyError of one of `classes`, within the call's deadline, with no secret in it."""
    assert "raw" not in r, "a raw %s escaped: %s" % (r["raw"], r["msg"])
    assert "error" in r, "a broken answer was taken as a success: %r" % (r,)
    assert r["error"] in classes, r
    assert r["ms"] <= TIMEOUT * 1000 + SLACK_MS, "the call took %d ms (deadline %d s)" % (r["ms"], TIMEOUT)
    assert API_KEY not in r["msg"]
    if needle:
        assert needle in r["msg"], r["msg"]


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("interp", INTERPS)
def test_broken_answer_is_a_homey_error_within_the_deadline(interp, case, hostile, tmp_path):
    routes, op, classes, needle = CASES[case]
    srv = hostile(list(routes.items()))
    out = session(interp, apikey_config(tmp_path, srv.url), [op, ["get", DID, "good"], ["set", DID, "good", False]])
    assert "ok" in out["connect"], out["connect"]
    broken, good_read, good_write = out["results"]
    assert_ended_well(broken, classes, needle)
    assert good_read == dict(good_read, ok=True), "not usable after %s: %r" % (case, good_read)
    assert good_write == dict(good_write, ok=False), "not usable after %s: %r" % (case, good_write)


@pytest.mark.parametrize("interp", INTERPS)
def test_a_whole_call_has_one_deadline_across_its_retry(interp, hostile, tmp_path):
    """A GET on a kept connection that fails is retried once on a new one: both attempts share
    the call's deadline, so a trickle on the retry ends the call within `timeout` too."""
    state = {"n": 0}

    def first_good_then_reset_then_trickle(peer, method):
        state["n"] += 1
        if state["n"] == 1:
            peer.send(json_answer("true"))
        elif state["n"] == 2:
            peer.close()  # the kept connection dies: the client retries on a new one
        else:
            peer.trickle(json_answer("true"), GAP)
            peer.close()

    srv = hostile([(cap("flaky"), first_good_then_reset_then_trickle)])
    out = session(interp, apikey_config(tmp_path, srv.url), [["get", DID, "flaky"], ["get", DID, "flaky"],
                                                             ["get", DID, "good"]])
    first, retried, good = out["results"]
    assert first.get("ok") is True, first
    assert_ended_well(retried, ("NetworkError",))
    assert good.get("ok") is True, good


@pytest.mark.parametrize("interp", INTERPS)
def test_a_redirected_webhook_is_not_delivered(interp, hostile, tmp_path):
    """A webhook answered with a redirect never reached the flow: no success for the LED to show."""
    srv = hostile([("/%s/doorbell" % HID, head(302, ("Location: /elsewhere", "Content-Length: 0")))])
    cfg = {"homey": {"id": HID, "url": srv.url, "api_key": API_KEY, "webhook_url": srv.url}, "timeout": TIMEOUT}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg))
    out = session(interp, str(path), [["webhook", "doorbell"]])
    assert_ended_well(out["results"][0], ("HTTPError",))
    assert srv.count("/doorbell") == 1


# ---- the cloud path -----------------------------------------------------------------------------

def cloud_config(tmp_path, srv, store=None, **athom):
    cfg = {"athom": dict({"email": "ada@example.com", "password": PASSWORD, "client_id": "cid",
                          "client_secret": "client-secret-value-1234", "accounts_url": srv.url,
                          "api_url": srv.url}, **athom),
           "homey": {"id": HID, "url": srv.url}, "timeout": TIMEOUT}
    if store is not None:
        (tmp_path / "tokens.json").write_text(json.dumps(store))
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg))
    return str(path)


PASSWORD = "p@ss+w&rd=100% \u00fc"
LIVE_TOKENS = {"refresh_token": "refresh-0123456789abcdef", "access_token": "access-0123456789abcdef",
               "access_expires": 4102444800, "homey_id": HID}


@pytest.mark.parametrize("interp", INTERPS)
def test_a_redirected_delegation_is_no_session(interp, hostile, tmp_path):
    srv = hostile([("/delegation/token", json_answer('"delegation-jwt"', 302, ("Location: /x",))),
                   ("/users/login", json_answer('"session-0123"'))])
    out = session(interp, cloud_config(tmp_path, srv, LIVE_TOKENS), [["get", DID, "good"]])
    assert_ended_well(out["connect"], ("HTTPError",))
    assert srv.count("/users/login") == 0


@pytest.mark.parametrize("interp", INTERPS)
def test_a_redirected_token_answer_is_no_token(interp, hostile, tmp_path):
    expired = dict(LIVE_TOKENS, access_expires=1)
    srv = hostile([("/oauth2/token", json_answer('{"access_token":"a","refresh_token":"r","expires_in":3600}',
                                                 307, ("Location: /x",)))])
    out = session(interp, cloud_config(tmp_path, srv, expired), [])
    assert_ended_well(out["connect"], ("HTTPError", "AuthError"))


FORM_ECHO = ("email=ada%40example.com&password=p%40ss%2Bw%26rd%3D100%25+%C3%BC&otptoken=",
             "password p@ss+w&rd=100% \u00fc is not allowed", "bad form p%40ss%2Bw%26rd%3D100%25")


@pytest.mark.parametrize("echo", range(len(FORM_ECHO)))
@pytest.mark.parametrize("interp", INTERPS)
def test_a_server_echoing_the_login_form_does_not_leak_the_password(interp, echo, hostile, tmp_path):
    body = json.dumps({"error": "invalid_request", "error_description": FORM_ECHO[echo]})
    srv = hostile([("/login", json_answer(body, 400))])
    out = session(interp, cloud_config(tmp_path, srv, {}), [])
    r = out["connect"]
    assert_ended_well(r, ("AuthError",))
    for piece in (PASSWORD, "p@ss", "w&rd", "100%", "p%40ss", "w%26rd", "100%25", "%2B"):
        assert piece not in r["msg"], (piece, r["msg"])
