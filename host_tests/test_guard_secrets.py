"""Secrets on every error path, under CPython and MicroPython. The consent steps carry the login
token in their query: a fault there must not put that query into an error or a log line. And a
server that echoes a token in its error text (some do) must not get it into the user's error.
What a user would suffer otherwise: a login token or key in a screenshot, a forum post, a log file.
"""
import pytest

from both import INTERPS
from canned import resp
from test_client_auth import KITCHEN, did, reqs, run, write_cfg
from test_guard_answers import DEV, KEY, cap, key_config
from test_http_client import canned  # noqa: F401 - the raw server fixture

pytestmark = pytest.mark.parametrize("interp", INTERPS)

# the consent page's GET broken: in its body, after its head, and before any answer (closed with
# nothing said, twice: a GET on a kept-alive connection is sent once more on a new one)
CONSENT_FAULTS = {
    "cut": ("truncated_chunked", 1, {}),
    "reset": ("reset", 1, {}),
    "closed": ("stall", 2, {"seconds": 0, "then": "close"}),
}


@pytest.mark.parametrize("case", sorted(CONSENT_FAULTS))
def test_a_fault_on_the_consent_page_keeps_its_query_to_itself(sim, tmp_path, interp, case):
    kind, count, params = CONSENT_FAULTS[case]
    path = "/oauth2/authorise"
    cfg = write_cfg(sim, tmp_path / "config.json")
    sim.fault(kind, path=path, role="accounts", count=count, **params)
    r = run(interp, cfg, [("get", did(sim)), ("get", KITCHEN)], eager=False, debug=True)
    err, ok = r["results"]
    assert err["error"] in ("ProtocolError", "NetworkError") and path in err["msg"], err
    assert "ok" in ok
    tokens = [q.query["user_token"] for q in reqs(sim, "accounts") if "user_token" in q.query]
    assert len(tokens) >= 2
    for t in tokens:
        assert t not in r["raw"] and t[-40:] not in r["raw"]
    for word in ("user_token", "client_id=", "redirect_uri="):
        assert word not in r["raw"], word


JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI1YzBmZmVlMCIsImhvbWV5IjoiNWMwZmZlZTAifQ."
       "Qm9ndXNTaWduYXR1cmVGb3JUZXN0aW5nT25seTEyMw")
HEX40 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"
B64 = "q8Jc0X+4m/Zt1k7sW3vF9pL2nR6yA5eH0uD4gK8iT1o="
ECHOES = {  # capability -> (secret echoed, words of the message that must stay readable)
    "c1": ("Invalid token %s supplied" % JWT, JWT, ("Invalid", "supplied")),
    "c2": ("session %s, expired" % KEY, KEY, ("session", "expired")),
    "c3": ("refresh_token=%s is revoked" % HEX40, HEX40, ("is", "revoked")),
    "c4": ("Authorization: Bearer %s (rejected)" % B64, B64, ("Authorization:", "Bearer", "(rejected)")),
    "c6": ("unknown client %s" % HEX40, HEX40, ("unknown", "client")),  # a bare 40-character token
}


def test_token_shaped_words_in_an_echoed_error_are_blanked(interp, canned, tmp_path):  # noqa: F811
    routes = {}
    for c, (text, _, _) in ECHOES.items():
        body = ('{"code":400,"error":"invalid_value","error_description":"%s"}' % text).encode()
        routes[cap(c)] = [resp(400, body=body)]
    routes[cap("c5")] = [resp(401, body=('{"error":"invalid_token","error_description":"Bearer %s"}' % KEY).encode())]
    srv = canned(routes)
    ops = [("set", DEV, c, 1) for c in sorted(ECHOES)] + [("get", DEV, "c5")]
    r = run(interp, key_config(tmp_path, srv), ops, debug=True)
    for (c, (_, secret, words)), x in zip(sorted(ECHOES.items()), r["results"]):
        assert x["error"] == "Rejected", x
        assert secret not in x["msg"] and "[...]" in x["msg"], x["msg"]
        for w in words:
            assert w in x["msg"].split(), (w, x["msg"])
    assert r["results"][-1]["error"] == "AuthError"
    for _, secret, _ in ECHOES.values():
        assert secret not in r["raw"] and secret[8:32] not in r["raw"]
    assert KEY not in r["raw"]
