# The flat JSON walk behind device lookups and discovery (runs under CPython and MicroPython).
import json

from uhomey.errors import ProtocolError
from uhomey.jwalk import walk


class FakeResp:
    """Just enough of uhomey.http.Response: a JSON body read in `step`-byte pieces."""

    def __init__(self, body, step=7, ctype="application/json"):
        self.body = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.step = step
        self.pos = 0
        self.ctype = ctype
        self.closed = False

    def is_json(self):
        return "json" in self.ctype

    def json(self):
        raise ProtocolError("expected JSON but got %s" % self.ctype)

    def readinto(self, mv):
        n = min(len(mv), self.step, len(self.body) - self.pos)
        mv[:n] = self.body[self.pos:self.pos + n]
        self.pos += n
        return n

    def close(self):
        self.closed = True


ME = {
    "_id": "user1", "avatar": {"small": None}, "roles": ["user"],
    "devices": [{"_id": "not-a-homey", "localUrl": "http://wrong"}],
    "homeys": [
        {"_id": "h1", "name": "Home", "localUrl": "http://10.0.0.2", "users": [{"_id": "u"}],
         "apiVersion": 3},
        {"id": "h2", "remoteUrl": "https://h2.example", "nested": {"_id": "deep"}},
    ],
    "appsDeveloper": [{"_id": "app"}],
}


def test_objects_under_one_key_of_the_answer():
    for step in (1, 3, 64, 5000):
        got = []
        r = FakeResp(ME, step)
        walk(r, "user/me", got.append, 3, ("_id", "id", "localUrl", "remoteUrl", "apiVersion"), "homeys")
        assert r.closed
        assert [(d.get("_id"), d["id"], d.get("localUrl"), d.get("remoteUrl"), d.get("apiVersion"))
                for d in got] == [("h1", None, "http://10.0.0.2", None, 3),
                                  (None, "h2", None, "https://h2.example", None)], (step, got)


def test_a_device_list_keyed_by_id_with_capabilities():
    body = {"d1": {"name": "Lamp \u00e9\"", "class": "light", "capabilitiesObj": {
        "onoff": {"type": "boolean", "setable": True, "value": False, "title": "x"},
        "dim": {"type": "number", "min": 0, "max": 1, "value": 0.25}}},
        "d2": {"name": "Plug", "capabilitiesObj": None}}
    got = []
    walk(FakeResp(body, 5), "devices", got.append, 2, ("name", "class"))
    assert sorted(got, key=lambda d: d["id"]) == [
        {"id": "d1", "name": "Lamp \u00e9\"", "class": "light", "caps": {
            "onoff": {"type": "boolean", "setable": True, "value": False},
            "dim": {"type": "number", "min": 0, "max": 1, "value": 0.25}}},
        {"id": "d2", "name": "Plug", "caps": None},
    ], got


def test_bad_answers_are_protocol_errors_and_close_the_response():
    for body, ctype in ((b'{"homeys": [{"_id": "h1"', "application/json"),
                        (b"]", "application/json"),
                        (b"<html>portal</html>", "text/html")):
        r = FakeResp(body, 4, ctype)
        try:
            walk(r, "user/me", lambda d: None, 3, ("_id",), "homeys")
        except ProtocolError:
            assert r.closed
        else:
            raise AssertionError("no error for %r" % body)


def test_lists_of_flows_and_variables_keep_scalars_and_drop_long_strings():
    body = {"v1": {"name": "Caf\u00e9 \"x\"", "type": "number", "value": 0.5, "id": "v1"},
            "v2": {"name": "y" * 300, "type": "string", "value": "abc"},
            "v3": {"extra": {"name": "not this"}, "name": "b", "type": "boolean", "value": True},
            "count": 3}
    got = []
    walk(FakeResp(body, 11), "variables", got.append, 2, ("id", "name", "type", "value"))
    assert sorted([(d["id"], d["name"], d["type"], d["value"]) for d in got]) == [  # dict order: MicroPython's
        ("v1", "Caf\u00e9 \"x\"", "number", 0.5), ("v2", None, "string", "abc"), ("v3", "b", "boolean", True)], got
