"""uhomey's HTTP/1.1 client against exact bytes, under CPython and MicroPython."""
import pytest

from both import INTERPS, call, ok
from canned import Canned, chunked, resp


@pytest.fixture
def canned(serve):
    return lambda routes: serve(Canned, routes)


def run(interp, srv, steps, timeout=2):
    outcomes, stats = ok(call(interp, "s_http", "sequence", srv.url, steps, timeout))
    return outcomes, stats


@pytest.mark.parametrize("interp", INTERPS)
def test_keep_alive_reuses_one_connection(interp, canned):
    srv = canned({"*": [resp(body=b'{"a": 1}')]})
    out, stats = run(interp, srv, [["GET", "/a", None, "json"]] * 3 + [["PUT", "/b", '{"v":1}', "json"]])
    assert [o["json"] for o in out] == [{"a": 1}] * 4
    assert srv.connections == 1 and stats["connects"] == 1 and stats["requests"] == 4
    head = srv.requests[3][3].decode().lower()
    for h in ("host: 127.0.0.1:%d" % srv.port, "accept-encoding: identity", "connection: keep-alive",
              "user-agent: uhomey", "accept: application/json", "content-length: 7", "x-test: 1"):
        assert h in head, (h, head)
    assert srv.requests[3][4] == b'{"v":1}'


@pytest.mark.parametrize("interp", INTERPS)
def test_long_query_and_bodies_arrive_whole_through_the_send_buffer(interp, canned):
    """The head goes out as pieces copied through the connection's 512-byte buffer: a 700-byte
    query (a login's token), bodies below, at and far over the buffer, and UTF-8 text, intact."""
    srv = canned({"*": [resp(body=b'{"a": 1}')]})
    query = "/q?user_token=" + "t" * 700
    bodies = ['{"v":"%s"}' % ("\u00e9" * n) for n in (1, 200, 253, 254, 2000)]
    steps = [["GET", query, None, "json"]] + [["PUT", "/b", b, "json"] for b in bodies]
    out, stats = run(interp, srv, steps)
    assert [o["json"] for o in out] == [{"a": 1}] * len(steps)
    assert srv.connections == 1 and stats["requests"] == len(steps)
    assert srv.requests[0][3].split(b" ")[1] == query.encode()
    for (_, method, _, head, body), sent in zip(srv.requests[1:], bodies):
        assert method == "PUT" and body == sent.encode()
        assert b"content-length: %d" % len(sent.encode()) in head.lower()


@pytest.mark.parametrize("interp", INTERPS)
def test_chunked_with_extensions_and_trailers_streams(interp, canned):
    body = b'{"devices": ["' + b"x" * 3000 + b'"]}'
    parts = [body[:1], body[1:700], body[700:2900], body[2900:]]
    srv = canned({"/c": [chunked(parts, ext=True, trailer=True)], "/d": [resp(body=b"[]")]})
    out, stats = run(interp, srv, [["GET", "/c", None, "stream"], ["GET", "/c", None, "json"],
                                   ["GET", "/d", None, "json"]])
    assert out[0]["body"] == body.decode() and out[0]["pieces"] > 100
    assert out[1]["json"] == {"devices": ["x" * 3000]} and out[2]["json"] == []
    assert srv.connections == 1


@pytest.mark.parametrize("interp", INTERPS)
def test_body_until_close(interp, canned):
    srv = canned({"/old": [(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello until close", "close")],
                  "/x": [resp(body=b"1")]})
    out, stats = run(interp, srv, [["GET", "/old", None, "body"], ["GET", "/x", None, "json"]])
    assert out[0]["body"] == "hello until close" and out[1]["json"] == 1
    assert srv.connections == 2


@pytest.mark.parametrize("interp", INTERPS)
def test_redirect_is_not_followed_and_cookies_are_all_kept(interp, canned):
    srv = canned({"/authorise": [resp(302, b"<a>moved</a>", ctype="text/html", headers=(
        "Location: http://localhost/?code=abc&state=", "Set-Cookie: sid=s1; Path=/; HttpOnly",
        "set-cookie: _csrf=cookieval; Path=/", "SET-COOKIE: lang=en", "Set-Cookie: sid=s2; Path=/",
        "Set-Cookie: gone=; Max-Age=0"))]})
    out, _ = run(interp, srv, [["POST", "/authorise", "a=b", "cookies"]])
    assert out[0]["status"] == 302 and out[0]["location"] == "http://localhost/?code=abc&state="
    assert len(out[0]["set_cookie"]) == 5
    assert out[0]["cookies"] == "_csrf=cookieval; lang=en; sid=s2"
    assert len(srv.requests) == 1  # nothing went to localhost


@pytest.mark.parametrize("interp", INTERPS)
def test_server_closed_idle_connection_is_reopened(interp, canned):
    srv = canned({"/a": [(resp(body=b"1"), "close"), resp(body=b"2")]})
    out, stats = run(interp, srv, [["GET", "/a", None, "json"], ["SLEEP", "100", None, ""],
                                   ["POST", "/a", "{}", "json"]])
    assert [o.get("json") for o in out] == [1, 2], out
    assert srv.connections == 2 and stats["retries"] == 0  # seen as closed before sending


@pytest.mark.parametrize("interp", INTERPS)
def test_idempotent_request_retried_once_after_reset(interp, canned):
    srv = canned({"/a": [resp(body=b"1"), (b"", "rst-before"), resp(body=b"3")]})
    out, stats = run(interp, srv, [["GET", "/a", None, "json"], ["GET", "/a", None, "json"]])
    assert [o.get("json") for o in out] == [1, 3], out
    assert stats["retries"] == 1 and srv.connections == 2


@pytest.mark.parametrize("interp", INTERPS)
def test_post_is_not_retried_after_reset(interp, canned):
    srv = canned({"/a": [resp(body=b"1"), (b"", "rst-before"), resp(body=b"3")]})
    out, stats = run(interp, srv, [["GET", "/a", None, "json"], ["POST", "/a", "{}", "json"],
                                   ["POST", "/a", "{}", "json"]])
    assert out[1]["error"] == "NetworkError" and "/a" in out[1]["msg"], out
    assert out[2]["json"] == 3 and stats["retries"] == 0


@pytest.mark.parametrize("interp", INTERPS)
def test_stall_times_out_and_client_recovers(interp, canned):
    srv = canned({"/slow": [(b"", "stall")], "/a": [resp(body=b"1")]})
    out, stats = run(interp, srv, [["GET", "/slow", None, "json"], ["GET", "/a", None, "json"]], timeout=1)
    assert out[0]["error"] == "NetworkError" and "timed out" in out[0]["msg"], out
    assert out[1]["json"] == 1


@pytest.mark.parametrize("interp", INTERPS)
def test_truncated_bodies_and_garbage(interp, canned):
    srv = canned({
        "/short": [(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{\"a\":", "close")],
        "/chunk": [(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                    b"10\r\n{\"a\": 1234567", "close")],
        "/rst": [(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n"
                  + b" " * 2000, "rst")],
        "/junk": [(b"SSH-2.0-OpenSSH\r\n\r\n", "close")],
        "/badlen": [resp(headers=("Content-Length: x",), length=False)],
        "/html": [resp(body=b"<html>portal</html>", ctype="text/html")],
        "/longhdr": [resp(headers=("X-Big: " + "b" * 9000,))],
        "/many": [resp(headers=["X-%d: 1" % i for i in range(100)])],
        "/ok": [resp(body=b"true")],
    })
    paths = ["/short", "/chunk", "/rst", "/junk", "/badlen", "/html", "/longhdr", "/many"]
    steps = []
    for p in paths:
        steps += [["GET", p, None, "json"], ["GET", "/ok", None, "json"]]
    out, stats = run(interp, srv, steps)
    errors = out[0::2]
    assert [o.get("error") for o in errors] == ["ProtocolError", "ProtocolError", "NetworkError", "ProtocolError",
                                                "ProtocolError", "ProtocolError", "ProtocolError",
                                                "ProtocolError"], errors
    assert "cut short" in errors[0]["msg"] and "cut short" in errors[1]["msg"]
    assert "expected JSON" in errors[5]["msg"] and "text/html" in errors[5]["msg"]
    assert all(o.get("json") is True for o in out[1::2]), out  # usable after every failure
    assert stats["open"] <= 1


@pytest.mark.parametrize("interp", INTERPS)
def test_continue_and_no_body_statuses(interp, canned):
    srv = canned({"/c": [b"HTTP/1.1 100 Continue\r\n\r\n" + resp(body=b"7")],
                  "/n": [b"HTTP/1.1 204 No Content\r\n\r\n"], "/h": [resp(body=b"")]})
    out, stats = run(interp, srv, [["GET", "/c", None, "json"], ["PUT", "/n", "{}", "body"],
                                   ["GET", "/c", None, "json"]])
    assert out[0]["json"] == 7 and out[1] == {"status": 204, "location": None, "ctype": None, "body": ""}
    assert out[2]["json"] == 7 and srv.connections == 1


@pytest.mark.parametrize("interp", INTERPS)
def test_refused_is_unreachable(interp):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    out, stats = ok(call(interp, "s_http", "sequence", "http://127.0.0.1:%d" % port, [["GET", "/", None, "json"]]))
    assert out[0]["error"] == "Unreachable" and "refused" in out[0]["msg"]
